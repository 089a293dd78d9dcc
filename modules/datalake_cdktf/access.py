"""The deploy roles' permission sets, by the names consumers import.

The documents of a repository's deploy role (its permissions, boundary, trust and
read-only plan twin) are built in :mod:`datalake_cdktf.iam.deploy`: the scope
:class:`DeployAccess` in :mod:`datalake_cdktf.iam.deploy.scope`, each role's concerns and
definition in :mod:`~datalake_cdktf.iam.deploy.data_lake` (the infrastructure
repository) and :mod:`~datalake_cdktf.iam.deploy.etl` (an ETL repository), the actions
both manage in :mod:`~datalake_cdktf.iam.deploy.common`. This module keeps
``datalake_cdktf.access.DeployAccess`` and the two constants importable.
"""

from __future__ import annotations

from datalake_cdktf.iam.deploy.common import KEY_ADMINISTRATION, OWNER_TAG
from datalake_cdktf.iam.deploy.scope import DeployAccess

__all__ = ["KEY_ADMINISTRATION", "OWNER_TAG", "DeployAccess"]
