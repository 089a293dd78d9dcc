"""What one repository's pipeline of one environment may do in the central account: the
permission set of :mod:`datalake_cdktf.iam.pipeline`, for the builds that run as each
role (:data:`datalake_cdktf.builds.BUILDS` says which).

:class:`PipelineAccess` (every name the documents use) is importable from here as before.
"""

from __future__ import annotations

from datalake_cdktf.builds import run_as
from datalake_cdktf.iam.pipeline import PipelineAccess, Role
from datalake_cdktf.iam.statements import Statement

__all__ = ["PipelineAccess", "Role", "role_policies"]


def role_policies(access: PipelineAccess) -> dict[Role, tuple[list[Statement], list[Statement]]]:
    """Each role of ``access``'s pipeline: its trust and its permissions, for the builds
    that run as it (none for the CodePipeline role)."""
    policies = {}
    for role in Role:
        builds = tuple(build.name for build in run_as(role))
        policies[role] = (access.trust(role, builds), access.permissions(role, builds))
    return policies
