"""The tags the library puts on every resource, and the one place their keys are written.

Every stack tags its resources (its provider's ``default_tags``) with the deployment's
own tags and then these four, which a deployment may not set itself (the config refuses
them): who owns a resource (``repository``) is what the deploy roles' conditions check.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ENVIRONMENT", "MANAGED_BY", "OWNER", "PROJECT", "RESERVED", "resource_tags"]

PROJECT = "project"
"""The project's name (``project.name``)."""
ENVIRONMENT = "environment"
"""The stage: an environment's name, or ``central``."""
MANAGED_BY = "managed-by"
"""What manages the resource: always ``cdktf``."""
OWNER = "repository"
"""The repository whose stack the resource is in: the deploy roles may only create
resources tagged with their own repository (``aws:RequestTag/repository``)."""
RESERVED = frozenset({PROJECT, ENVIRONMENT, MANAGED_BY, OWNER})
"""The keys a deployment's ``tags`` may not use."""


def resource_tags(tags: Mapping[str, str], *, project: str, stage: str, repository: str) -> dict[str, str]:
    """The deployment's ``tags``, then the library's own (in that order: the synthesized
    JSON keeps it)."""
    return {**tags, PROJECT: project, ENVIRONMENT: stage, MANAGED_BY: "cdktf", OWNER: repository}
