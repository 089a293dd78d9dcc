"""datalake-cdktf: a multi-account AWS data lake and its ETL jobs, as CDK for Terraform.

The public API, each name loaded on first use (importing the package loads nothing
heavy: no YAML loader, no jsii engine):

- config: :class:`DeploymentConfig` and its parts, :func:`load_config`, :class:`ConfigError`;
- naming: :class:`Label` (every physical name);
- stacks: :class:`DeploymentStack` (provider pinned to an account, role assumption,
  default tags, S3 backend with lock file), :class:`EtlStack` (an ETL repository's stack
  in one environment), :func:`new_app`;
- the data lake's SSM contract: :class:`DataLakeContract` (typed, version-checked);
- the deployment as an ETL repository's build sees it: :func:`load_deployment`;
- access: :class:`DeployAccess` (what a repository's deploy role may do);
- constructs: see :mod:`datalake_cdktf.constructs`.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.8.0"

_NAMES = {
    "ConfigError": "datalake_cdktf.config",
    "DeploymentConfig": "datalake_cdktf.config",
    "Environment": "datalake_cdktf.config",
    "Repository": "datalake_cdktf.config",
    "load_config": "datalake_cdktf.config",
    "Label": "datalake_cdktf.naming",
    "DeploymentStack": "datalake_cdktf.stack",
    "EtlStack": "datalake_cdktf.stack",
    "DataLakeContract": "datalake_cdktf.constructs.datalake_contract",
    "load_deployment": "datalake_cdktf.config",
    "new_app": "datalake_cdktf.engine",
    "DeployAccess": "datalake_cdktf.access",
}

__all__ = ["__version__", *sorted(_NAMES)]


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
