"""What a deploy role's definition is: the concerns of its permissions and of its boundary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from datalake_cdktf.iam.statements import Statement

if TYPE_CHECKING:  # the scope chooses among the definitions, which name it only as a type
    from datalake_cdktf.iam.deploy.scope import DeployAccess

__all__ = ["Concern", "DeployRoleDefinition"]

Concern = Callable[["DeployAccess"], list[Statement]]
"""One purpose of a role (its buckets, its jobs, a deny): the repository's scope in, the
statements that purpose needs out (none, where the scope's settings exclude it)."""


@dataclass(frozen=True)
class DeployRoleDefinition:
    """A deploy role as lists of concerns, each list in the order its documents list them.

    - ``permissions``: what the deploy role may do; packed into its managed policies.
    - ``boundary``: the ceiling of the deploy role and of every role it creates.
    - ``plan``: what its read-only plan role may do, for a pull request's plan (which runs
      the pull request's code): the calls ``terraform plan -refresh=false`` makes (the
      provider's identity check, the stacks' data sources, Step Functions' validation of
      a planned definition), and nothing else.
    """

    permissions: tuple[Concern, ...]
    boundary: tuple[Concern, ...]
    plan: tuple[Concern, ...]
