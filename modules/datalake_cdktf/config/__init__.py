"""The deployment config: the validated model and its loader.

The loader (and YAML) is imported only when :func:`load_config` is first called, so a
construct or stack that only needs the model's types does not load it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from datalake_cdktf.config.model import DeploymentConfig, Environment, Repository

if TYPE_CHECKING:
    from datalake_cdktf.config.loader import ConfigError, load_config
    from datalake_cdktf.config.manifest import load_deployment, write_manifest

__all__ = [
    "CONFIG_DIR_VARIABLE",
    "DEFAULT_CONFIG_DIR",
    "ConfigError",
    "DeploymentConfig",
    "Environment",
    "Repository",
    "load_config",
    "load_deployment",
    "write_manifest",
]

_FROM_LOADER = {"CONFIG_DIR_VARIABLE", "DEFAULT_CONFIG_DIR", "ConfigError", "load_config"}


_FROM_MANIFEST = {"load_deployment", "write_manifest"}


def __getattr__(name: str) -> Any:
    if name in _FROM_LOADER:
        from datalake_cdktf.config import loader

        return getattr(loader, name)
    if name in _FROM_MANIFEST:
        from datalake_cdktf.config import manifest

        return getattr(manifest, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
