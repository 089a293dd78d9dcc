"""The deployment config's rules that involve more than one field, one function each.

Each takes the whole :class:`~datalake_cdktf.config.model.DeploymentConfig` and returns
its :class:`~datalake_cdktf.config.problems.Problem` list (empty: the rule holds);
the model runs every rule of :data:`CROSS_FIELD_RULES` after its fields are valid and
raises one :class:`~datalake_cdktf.config.problems.ConfigRuleError` with every problem,
so the loader names each file and field at once. A new rule is a new function here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from datalake_cdktf.config.problems import Problem
from datalake_cdktf.naming import DATALAKE_NAMES, ZONES, NamingError

if TYPE_CHECKING:
    from datalake_cdktf.config.model import DeploymentConfig

__all__ = [
    "CROSS_FIELD_RULES",
    "disjoint_cidrs",
    "names_fit",
    "pull_request_token",
    "separate_accounts",
    "separate_name_prefixes",
    "unique_environments",
    "unique_repositories",
]


def unique_environments(config: DeploymentConfig) -> list[Problem]:
    """Each environment has its own name and its own branch."""
    problems, names, branches = [], {}, {}
    for i, env in enumerate(config.environments):
        if env.name in names:
            problems.append(
                Problem(("environments", i, "name"), env.name, "is used by two environments: give each a unique name")
            )
        names.setdefault(env.name, i)
        if env.branch in branches:
            other = config.environments[branches[env.branch]].name
            problems.append(
                Problem(
                    ("environments", i, "branch"),
                    env.branch,
                    f"already deploys environment {other!r}: each environment needs its own branch",
                )
            )
        branches.setdefault(env.branch, i)
    return problems


def separate_accounts(config: DeploymentConfig) -> list[Problem]:
    """Each environment has its own account, and none is the central account."""
    problems, seen = [], {}
    for i, env in enumerate(config.environments):
        if env.account_id == config.central.account_id:
            problems.append(
                Problem(
                    ("environments", i, "account_id"),
                    env.account_id,
                    "is the central deployment account: each data lake needs its own account",
                )
            )
        elif env.account_id in seen:
            problems.append(
                Problem(
                    ("environments", i, "account_id"),
                    env.account_id,
                    f"is also the account of environment {seen[env.account_id]!r}: each "
                    "environment needs its own account",
                )
            )
        seen.setdefault(env.account_id, env.name)
    return problems


def disjoint_cidrs(config: DeploymentConfig) -> list[Problem]:
    """No two environments' VPC ranges overlap (so the networks can be peered later)."""
    problems = []
    for i, env in enumerate(config.environments):
        for other in config.environments[:i]:
            if env.vpc_cidr.overlaps(other.vpc_cidr):
                problems.append(
                    Problem(
                        ("environments", i, "vpc_cidr"),
                        str(env.vpc_cidr),
                        f"overlaps vpc_cidr {other.vpc_cidr} of environment {other.name!r}: "
                        f"give {env.name!r} and {other.name!r} separate private ranges so the "
                        "networks can be peered later",
                    )
                )
    return problems


def unique_repositories(config: DeploymentConfig) -> list[Problem]:
    """Each repository has its own name, and each Git repository is listed once
    (``full_repository_id``, case-folded where the Git host ignores case)."""
    problems, seen = [], set()
    repos = [(("repositories", "infrastructure", "name"), config.repositories.infrastructure)]
    repos += [(("repositories", "etl", i, "name"), r) for i, r in enumerate(config.repositories.etl)]
    hosted: dict[str, str] = {}
    fold = str.lower if config.source.host.names_ignore_case else str
    for loc, repo in repos:
        if repo.name in seen:
            problems.append(Problem(loc, repo.name, "is used by two repositories: names must be unique"))
        seen.add(repo.name)
        other = hosted.setdefault(fold(repo.full_repository_id), repo.name)
        if other != repo.name:
            problems.append(
                Problem(
                    (*loc[:-1], "full_repository_id"),
                    repo.full_repository_id,
                    f"is also repository {other!r}: two pipelines would deploy one repository's code under "
                    "two names; list each Git repository once",
                )
            )
    return problems


def pull_request_token(config: DeploymentConfig) -> list[Problem]:
    """Pull-request comments need each repository's own token, which may write to that
    repository only: one token for all would let a repository's comment build write to
    every other, so none is shared and none is named under ``secrets``."""
    problems = []
    if "pull_request_token" in config.secrets:
        problems.append(
            Problem(
                ("secrets", "pull_request_token"),
                config.secrets["pull_request_token"],
                "one token would serve every repository and environment: give each repository its own "
                "token, scoped to that repository, as repositories.<repository>.pull_request_token, and "
                "remove this one",
            )
        )
    repos = [(("repositories", "infrastructure"), config.repositories.infrastructure)]
    repos += [(("repositories", "etl", i), r) for i, r in enumerate(config.repositories.etl)]
    named: dict[str, str] = {}
    comments = config.pipelines.pull_request_comments and config.source.host.comments
    for loc, repo in repos:
        token = repo.pull_request_token
        if token is None and comments:
            problems.append(
                Problem(
                    (*loc, "pull_request_token"),
                    None,
                    f"pipelines post plan summaries on pull requests, which needs a token for {repo.name!r}: "
                    "name the Secrets Manager secret of a token that may comment on this repository only, "
                    "or set pipelines.pull_request_comments: false",
                )
            )
        elif token is not None and token in named:
            problems.append(
                Problem(
                    (*loc, "pull_request_token"),
                    token,
                    f"is also {named[token]!r}'s token: each repository has its own, scoped to that repository",
                )
            )
        if token is not None:
            named.setdefault(token, repo.name)
    return problems


def separate_name_prefixes(config: DeploymentConfig) -> list[Problem]:
    """Each repository owns the names under ``<project>-<env>-<repository>-``; no
    repository's prefix may cover another's names or the data lake's own."""
    problems = []
    repos = [(("repositories", "infrastructure", "name"), config.repositories.infrastructure)]
    repos += [(("repositories", "etl", i, "name"), r) for i, r in enumerate(config.repositories.etl)]
    for loc, repo in repos:
        covered = [other.name for _, other in repos if other.name.startswith(repo.name + "-")]
        if covered:
            problems.append(
                Problem(
                    loc,
                    repo.name,
                    f"is the start of repository name {covered[0]!r}: its permissions, which cover every "
                    f"name that starts with '<project>-<env>-{repo.name}-', would reach that repository's "
                    "resources. Rename one of them",
                )
            )
        if not config.is_infrastructure(repo):
            reserved = [n for n in DATALAKE_NAMES if n == repo.name or n.startswith(repo.name + "-")]
            if reserved:
                problems.append(
                    Problem(
                        loc,
                        repo.name,
                        f"would own the data lake's name {reserved[0]!r} (<project>-<env>-{reserved[0]}...): "
                        f"ETL repositories may not be named after {sorted(DATALAKE_NAMES)}; rename it",
                    )
                )
    return problems


def names_fit(config: DeploymentConfig) -> list[Problem]:
    """Every derived physical name fits its service's rules (S3 63, IAM role 64)."""
    problems = []
    fix = "shorten project.name or the environment name"
    for purpose in ("tfstate", "artifacts", "access-logs"):
        try:
            config.central_bucket(purpose)
        except NamingError as err:
            problems.append(Problem(("project", "name"), config.project.name, f"{err}: shorten project.name"))
    for i, env in enumerate(config.environments):
        label = config.label(env)
        try:
            for purpose in (*ZONES, "access-logs"):
                label.bucket(purpose, env.account_id, env.region)
            for repo in config.repositories.all:
                label.codepipeline_role(repo.name)
                label.deploy_role(repo.name)
                label.pipeline_bucket(repo.name, config.central.account_id)
            label.role(config.repositories.infrastructure.name, "flow-logs")
        except NamingError as err:
            problems.append(Problem(("environments", i, "name"), env.name, f"{err}: {fix} or the repository names"))
    return problems


CROSS_FIELD_RULES: tuple[Callable[[DeploymentConfig], list[Problem]], ...] = (
    unique_environments,
    separate_accounts,
    disjoint_cidrs,
    unique_repositories,
    separate_name_prefixes,
    names_fit,
    pull_request_token,
)
"""Every cross-field rule, in the order their problems are reported."""
