"""Deployment config: the validated model, its loader and the naming helper.

This package is the only code that reads config. Everything else receives a
:class:`DeploymentConfig` (frozen) or one of its parts.
"""

from envs.loader import CONFIG_DIR_VARIABLE, DEFAULT_CONFIG_DIR, ConfigError, load_config
from envs.model import DeploymentConfig, Environment, Repository
from envs.naming import Label

__all__ = [
    "CONFIG_DIR_VARIABLE",
    "DEFAULT_CONFIG_DIR",
    "ConfigError",
    "DeploymentConfig",
    "Environment",
    "Label",
    "Repository",
    "load_config",
]
