"""An ETL repository's own config: its name, its Glue jobs, their order, trigger and helpers.

One YAML file at the root of the repository (``etl.yaml``, JSON Schema from
:func:`etl_schema`) declares what the repository deploys into every environment; the
deployment (accounts, names, zones) comes from the infrastructure repository
(:func:`datalake_cdktf.config.load_deployment`). Paths in the file are relative to it.
``repository`` is the one place the repository's name is written: the deployment's
``repositories.etl`` entry it deploys as (:func:`repository_of` checks it against the
deployment). Its stack ids, for a Makefile or a pipeline::

    python -m datalake_cdktf.config.etl stacks [--environment dev] [--file etl.yaml]

:func:`load_etl_config` raises :class:`~datalake_cdktf.config.ConfigError` naming the
file, the field, the value and the fix, for unknown keys, a script or folder that is
not there, a zone the data lake does not have, two jobs of one name, a job waiting for
one that does not exist, or a cycle in the job order. Nothing is synthesized, so
nothing can be destroyed.

A job's catalog access follows its zones: reading a zone reads its Glue database,
writing a zone writes (creates tables in) its database.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, ValidationInfo, model_validator

from datalake_cdktf.config.loader import _NO_VALUE, ConfigError, ConfigProblem, _explain, _read_mapping
from datalake_cdktf.config.model import ConfigRuleError, Problem, RepositoryName, StrictModel
from datalake_cdktf.naming import ZONES, NamingError, etl_stack_id

if TYPE_CHECKING:
    from datalake_cdktf.config.model import DeploymentConfig, Repository
    from datalake_cdktf.context import RepositoryContext

__all__ = [
    "ETL_FILE",
    "EtlConfig",
    "Job",
    "LambdaFunction",
    "Location",
    "Workflow",
    "etl_schema",
    "load_etl_config",
    "repository_of",
    "stack_ids",
]

ETL_FILE = "etl.yaml"
"""The config file of an ETL repository, at its root."""

Zone = Literal[ZONES]  # type: ignore[valid-type]

_SECRET_VALUE = re.compile(r"(AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_|xox[abpr]-|-----BEGIN")

# Set by the job construct from other fields; an argument may not override them.
RESERVED_ARGUMENTS = {
    "--job-bookmark-option": "bookmarks",
    "--enable-metrics": "(always on)",
    "--enable-continuous-cloudwatch-log": "(always on)",
    "--enable-spark-ui": "spark_ui",
    "--spark-event-logs-path": "spark_ui",
    "--extra-py-files": "extra_python_modules",
    "--TempDir": "(the job's temporary prefix)",
    "--job-language": "(always python)",
    "--enable-glue-datacatalog": "(always on)",
}


def _relative_file(suffixes: tuple[str, ...]):
    """A path relative to the config file, of a file that exists, with one of ``suffixes``."""

    def check(value: str, info: ValidationInfo) -> str:
        _check_relative(value)
        if not value.endswith(suffixes):
            raise ValueError(f"must be a {' or '.join(suffixes)} file")
        root = (info.context or {}).get("root")
        if root is not None and not (Path(root) / value).is_file():
            raise ValueError(f"no such file next to the config ({Path(root) / value}): add it or fix the path")
        return value

    return check


def _relative_folder(value: str, info: ValidationInfo) -> str:
    _check_relative(value)
    root = (info.context or {}).get("root")
    if root is not None and not (Path(root) / value).is_dir():
        raise ValueError(f"no such folder next to the config ({Path(root) / value}): add it or fix the path")
    return value


def _function_folder(value: str, info: ValidationInfo) -> str:
    root = (info.context or {}).get("root")
    if root is not None and (Path(root) / value / "requirements.txt").is_file():
        raise ValueError(
            "has a requirements.txt, which is not installed: a function is packaged as its folder's files only. "
            "Put the packages it needs into the folder (pip install --target), or drop the file"
        )
    return value


def _check_relative(value: str) -> None:
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or "\\" in value:
        raise ValueError("must be a path inside the repository, relative to the config file, with '/'")


JobName = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$",
        description="Job name, unique in the repository: 2-24 lower-case letters, digits and '-'.",
        examples=["orders-conformed"],
    ),
]
Prefix = Annotated[
    str,
    Field(
        pattern=r"^([a-z0-9][a-z0-9_=.-]*/)+$",
        description="Key prefix in the zone's bucket, ending in '/', e.g. 'sales/orders/'.",
        examples=["sales/orders/"],
    ),
]
ShortSecretName = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9_+=.@-]{1,128}$",
        description=(
            "Name of a secret of this repository (never its value): the job reads "
            "'<project>/<env>/<repository>/<name>' from Secrets Manager."
        ),
        examples=["sales-api"],
    ),
]
ArgumentName = Annotated[
    str,
    Field(pattern=r"^--[A-Za-z][A-Za-z0-9_-]*$", description="A job argument, e.g. '--source-format'."),
]


class Location(StrictModel):
    """A prefix in one zone of the data lake."""

    zone: Zone = Field(description="Zone of the data lake: raw, conformed or purpose-built.")
    prefix: Prefix


class Job(StrictModel):
    """One Glue 5.0 Spark job (Python). Defaults are stated per field."""

    name: JobName
    description: str = Field("", max_length=2048, description="What the job does (shown in the Glue console).")
    script: Annotated[str, AfterValidator(_relative_file((".py",)))] = Field(
        description="The job's entry point, a .py file relative to the config, e.g. 'jobs/orders_conformed.py'."
    )
    reads: tuple[Location, ...] = Field((), description="Where the job reads (read-only access).")
    writes: tuple[Location, ...] = Field((), description="Where the job writes (read and write access).")
    after: tuple[JobName, ...] = Field((), description="Jobs of this repository that must succeed first.")
    worker_type: Literal["G.025X", "G.1X", "G.2X", "G.4X", "G.8X"] = Field("G.1X", description="Glue worker type.")
    workers: int = Field(2, ge=2, le=299, description="Number of workers (2-299).")
    timeout_minutes: int = Field(60, ge=1, le=2880, description="Stop the run after this many minutes.")
    max_retries: int = Field(0, ge=0, le=10, description="Glue's own retries of a failed run.")
    bookmarks: bool = Field(True, description="Job bookmarks: process only new data on each run.")
    spark_ui: bool = Field(False, description="Write Spark event logs for the Spark UI (to the assets bucket).")
    arguments: dict[ArgumentName, str] = Field(
        {}, description="Extra job arguments (plain values, never secrets: use 'secrets')."
    )
    secrets: tuple[ShortSecretName, ...] = Field(
        (),
        description="Secrets the job may read, by name; passed as arguments '--secret-<name>' (names, never values).",
    )
    extra_python_modules: tuple[Annotated[str, AfterValidator(_relative_file((".py", ".zip", ".whl")))], ...] = Field(
        (), description="Extra Python files, zips or wheels the script imports, relative to the config."
    )
    network: bool = Field(
        False,
        description=(
            "Run in the data lake's private subnets (through this repository's Glue connections): "
            "no internet, AWS APIs and this account's buckets through the VPC's endpoints. "
            "Needed to reach anything inside the VPC."
        ),
    )
    crawler: bool = Field(False, description="A crawler over what the job writes, into the written zone's database.")
    data_quality: Annotated[str, AfterValidator(_relative_file((".dqdl",)))] | None = Field(
        None, description="A Glue Data Quality ruleset (DQDL file) for the job's output table."
    )

    @model_validator(mode="after")
    def _arguments_and_secrets(self) -> Job:
        problems = []
        for argument in self.arguments:
            if argument in RESERVED_ARGUMENTS or argument.startswith("--secret-"):
                owner = RESERVED_ARGUMENTS.get(argument, "secrets")
                problems.append(Problem(("arguments", argument), argument, f"is set by the library: use {owner}"))
        for value in self.arguments.values():
            if _SECRET_VALUE.search(value):
                problems.append(Problem(("arguments",), "(hidden)", "looks like a secret value: use 'secrets'"))
                break
        for i, name in enumerate(self.secrets):
            if _SECRET_VALUE.search(name):
                problems.append(Problem(("secrets", i), "(hidden)", "looks like a secret value: give its name"))
        if self.crawler and not self.writes:
            problems.append(Problem(("crawler",), True, "a crawler needs the job to write somewhere: add 'writes'"))
        if self.data_quality and not self.writes:
            problems.append(Problem(("data_quality",), self.data_quality, "checks the job's output: add 'writes'"))
        if problems:
            raise ConfigRuleError(problems)
        return self

    @property
    def zones_read(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(loc.zone for loc in self.reads))

    @property
    def zones_written(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(loc.zone for loc in self.writes))


class LambdaFunction(StrictModel):
    """A Lambda helper built from a folder of this repository (Python)."""

    name: JobName
    source: Annotated[str, AfterValidator(_relative_folder), AfterValidator(_function_folder)] = Field(
        description=(
            "Folder with the function's code, relative to the config: packaged as it is, with the packages "
            "it needs inside it (no requirements.txt is installed)."
        )
    )
    handler: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$",
        description="module.function, e.g. 'handler.handle'.",
    )
    runtime: Literal["python3.12", "python3.13"] = "python3.12"
    timeout_seconds: int = Field(60, ge=1, le=900)
    memory_mb: int = Field(256, ge=128, le=10240)
    reserved_concurrency: int = Field(
        5, ge=1, le=100, description="At most this many runs at once (reserved from the account's concurrency)."
    )
    audit_table: bool = Field(
        False, description="A DynamoDB table (encrypted, point-in-time recovery) the function records into."
    )


class Workflow(StrictModel):
    """How a run starts: on files arriving under a prefix, or on a schedule (one of the two)."""

    on_object_created: Location | None = Field(
        None, description="Start when an object is created under this prefix (EventBridge)."
    )
    schedule: str | None = Field(
        None,
        pattern=r"^(cron\(.+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$",
        description="An EventBridge schedule, e.g. 'cron(0 5 * * ? *)'.",
    )
    validate_with: JobName | None = Field(
        None, description="A Lambda helper (by name) that checks the arriving object before the jobs run."
    )
    retries: int = Field(2, ge=0, le=10, description="Retries of a failed job step, with exponential backoff.")

    @model_validator(mode="after")
    def _one_trigger(self) -> Workflow:
        if (self.on_object_created is None) == (self.schedule is None):
            raise ConfigRuleError(
                [Problem(("on_object_created",), None, "give exactly one of 'on_object_created' or 'schedule'")]
            )
        if self.validate_with and self.on_object_created is None:
            raise ConfigRuleError(
                [
                    Problem(
                        ("validate_with",), self.validate_with, "checks an arriving object: needs 'on_object_created'"
                    )
                ]
            )
        return self


class EtlConfig(StrictModel):
    """An ETL repository: its name, its jobs, the workflow that runs them, its Lambda helpers."""

    repository: RepositoryName | None = Field(
        None,
        description=(
            "This repository's name as the deployment lists it under repositories.etl (the infrastructure "
            "repository's envs/deployment.yaml), e.g. 'sales': its stacks are etl-<repository>-<env>, deployed "
            "through its own deploy role. Required to build the stacks (build_etl_app); the only place the "
            "name is written."
        ),
        examples=["sales"],
    )
    jobs: tuple[Job, ...] = Field(min_length=1, description="The repository's Glue jobs.")
    workflow: Workflow
    lambdas: tuple[LambdaFunction, ...] = Field((), description="Lambda helpers built from this repository.")

    @model_validator(mode="after")
    def _names_and_order(self) -> EtlConfig:
        problems = []
        names: dict[str, int] = {}
        for i, job in enumerate(self.jobs):
            if job.name in names:
                problems.append(Problem(("jobs", i, "name"), job.name, f"is also job {names[job.name]}: rename one"))
            names.setdefault(job.name, i)
            for j, other in enumerate(job.after):
                if other not in names and other not in {x.name for x in self.jobs}:
                    known = ", ".join(x.name for x in self.jobs)
                    problems.append(Problem(("jobs", i, "after", j), other, f"no such job: name one of {known}"))
                elif other == job.name:
                    problems.append(Problem(("jobs", i, "after", j), other, "a job cannot wait for itself"))
        cycle = _cycle({job.name: job.after for job in self.jobs})
        if cycle and not problems:
            index = next(i for i, job in enumerate(self.jobs) if job.name == cycle[0])
            problems.append(
                Problem(("jobs", index, "after"), list(self.jobs[index].after), f"cycle: {' -> '.join(cycle)}")
            )
        lambdas: set[str] = set()
        for i, function in enumerate(self.lambdas):
            if function.name in lambdas or function.name in names:
                problems.append(Problem(("lambdas", i, "name"), function.name, "is taken by another job or helper"))
            lambdas.add(function.name)
        if self.workflow.validate_with and self.workflow.validate_with not in lambdas:
            problems.append(
                Problem(
                    ("workflow", "validate_with"),
                    self.workflow.validate_with,
                    "no such Lambda helper: declare it under 'lambdas'",
                )
            )
        if problems:
            raise ConfigRuleError(problems)
        return self

    def run_order(self) -> list[Job]:
        """The jobs in an order that respects every ``after`` (config order otherwise)."""
        done: list[Job] = []
        remaining = list(self.jobs)
        while remaining:
            ready = next(j for j in remaining if all(a in {d.name for d in done} for a in j.after))
            done.append(ready)
            remaining.remove(ready)
        return done

    def job(self, name: str) -> Job:
        return next(job for job in self.jobs if job.name == name)


def _cycle(edges: dict[str, tuple[str, ...]]) -> list[str] | None:
    """A cycle of the ``after`` graph as a path (first name repeated at the end), or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt in edges and state.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
        state[node] = 2
        path.pop()
        return None

    for node in edges:
        if state.get(node) is None:
            found = visit(node)
            if found:
                return found
    return None


def load_etl_config(path: Path | str = ETL_FILE) -> EtlConfig:
    """Load and validate an ETL repository's config (paths relative to its folder)."""
    path = Path(path)
    try:
        data = _read_mapping(path)
    except ConfigError as err:
        raise ConfigError(err.problems, "ETL config") from None
    try:
        return EtlConfig.model_validate(data, context={"root": path.parent})
    except ValidationError as err:
        raise ConfigError(_explain(err, path, [], EtlConfig), "ETL config") from None


def repository_of(etl: EtlConfig, deployment: DeploymentConfig, path: Path | str = ETL_FILE) -> Repository:
    """The deployment's ETL repository that ``etl`` (read from ``path``) names in
    ``repository``; :class:`~datalake_cdktf.config.ConfigError` naming the file, the
    field and the fix when it names none or one the deployment does not list."""
    known = [r.name for r in deployment.repositories.etl]
    listed = f"repositories.etl of the deployment: {', '.join(known)}"
    if etl.repository is None:
        fix = (
            f"missing: name this repository as the deployment lists it ({listed}), "
            f"e.g. 'repository: {known[0]}' at the top of the file"
        )
        raise ConfigError([ConfigProblem(Path(path), "repository", _NO_VALUE, fix)], "ETL config")
    if etl.repository not in known:
        other = (
            " (that is the infrastructure repository)"
            if etl.repository == deployment.repositories.infrastructure.name
            else ""
        )
        fix = (
            f"not an ETL repository of the deployment{other} ({listed}): fix the name, or add the repository "
            "to repositories.etl in the infrastructure repository's envs/deployment.yaml (and apply its bootstrap)"
        )
        raise ConfigError([ConfigProblem(Path(path), "repository", etl.repository, fix)], "ETL config")
    repository = deployment.etl_repository(etl.repository)
    problems = _names_too_long(etl, deployment, repository, Path(path))
    if problems:
        raise ConfigError(problems, "ETL config")
    return repository


def _derived_names(etl: EtlConfig, context: RepositoryContext):
    """(field, value, build) for each name the ETL constructs derive from a name in
    ``etl.yaml``, ``build`` calling the :class:`~datalake_cdktf.context.RepositoryContext`
    methods the constructs call. A job's Glue job, crawler and ruleset share its role's
    name under a longer limit (255); a helper's role, its function's; the workflow's names
    end in suffixes shorter than the repository's own '-codepipeline', checked with the
    deployment."""
    for i, job in enumerate(etl.jobs):
        yield f"jobs.{i}.name", job.name, lambda name=job.name: context.role_name(name)
    for i, function in enumerate(etl.lambdas):
        yield f"lambdas.{i}.name", function.name, lambda name=function.name: context.function_name(name=name)


def _names_too_long(
    etl: EtlConfig, deployment: DeploymentConfig, repository: Repository, path: Path
) -> list[ConfigProblem]:
    """A problem per job or helper whose derived names break a limit in an environment of
    the deployment (the environment with the longest label first, so the room it gives is
    the room left in every environment)."""
    problems: dict[str, ConfigProblem] = {}
    contexts = [deployment.repository_context(env, repository) for env in deployment.environments]
    for context in sorted(contexts, key=lambda c: -len(c.label.name())):
        for field, value, build in _derived_names(etl, context):
            try:
                build()
            except NamingError as err:
                if field in problems:
                    continue
                room = (err.limit or 0) - len(context.label.repository_prefix(repository.name))
                fix = (
                    f"shorten it to at most {room} characters (or the project, environment or repository name)"
                    if room >= 2
                    else "shorten the project, environment or repository name: they leave no room for this name"
                )
                stage = context.label.stage
                problems[field] = ConfigProblem(path, field, value, f"in environment {stage!r}, {err}: {fix}")
    return list(problems.values())


def stack_ids(
    path: Path | str = ETL_FILE, deployment: DeploymentConfig | None = None, *, environment: str | None = None
) -> list[str]:
    """The ids of the stacks the repository of ``path`` deploys (``etl-<repository>-<env>``),
    one per environment of the deployment (default: :func:`~datalake_cdktf.config.load_deployment`)
    in its order, or ``environment``'s only. :class:`~datalake_cdktf.config.ConfigError`
    for a bad config; ValueError for an environment the deployment does not have."""
    from datalake_cdktf.config.manifest import load_deployment

    etl = load_etl_config(path)
    deployment = deployment or load_deployment()
    repository = repository_of(etl, deployment, path)
    names = [env.name for env in deployment.environments]
    if environment is not None:
        if environment not in names:
            raise ValueError(f"no environment {environment!r} in the deployment: use one of {', '.join(names)}")
        names = [environment]
    return [etl_stack_id(repository.name, name) for name in names]


def main(argv: list[str] | None = None) -> int:
    """``stacks``: print the stack ids of the repository, one a line; exit 2 with the
    problems on a bad config or an unknown environment."""
    parser = argparse.ArgumentParser(
        prog="python -m datalake_cdktf.config.etl", description="An ETL repository's config."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    stacks = commands.add_parser("stacks", help="the ids of the repository's stacks, one a line")
    stacks.add_argument("--environment", help="only this environment's stack")
    stacks.add_argument("--file", type=Path, default=Path(ETL_FILE), help=f"the ETL config (default: ./{ETL_FILE})")
    args = parser.parse_args(argv)
    try:
        ids = stack_ids(args.file, environment=args.environment)
    except (ConfigError, ValueError) as err:
        print(err, file=sys.stderr)
        return 2
    print("\n".join(ids))
    return 0


def etl_schema() -> dict[str, Any]:
    """JSON Schema of ``etl.yaml`` (cross-field rules and file checks only in the loader)."""
    schema = EtlConfig.model_json_schema()
    schema["title"] = ETL_FILE
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


if __name__ == "__main__":
    sys.exit(main())
