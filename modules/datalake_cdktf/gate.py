"""The pipeline's gate: the only code that runs where a secret or deploy power is.

A repository's code (its tests, its synth, its ``terraform plan``) runs with read-only
credentials and no secret. What it hands on, the plan artifact, is then read by this
tool, which the administrator's builds (``bootstrap-<env>``: seal, apply, drift, comment)
carry inside their own build definitions: no repository and no pipeline role can change
it. It is one file with no dependency but Python's standard library, the Terraform that
the build installed (``$TERRAFORM`` or ``terraform``) and, to fetch a pull request's
plans, the AWS CLI::

    python gate.py seal    --plans plans --out review          # digest, checks, summary
    python gate.py apply   --plans plans --digest <sha256> [--keep s3://<bucket>/applied/plans.zip]
    python gate.py drift   --applied s3://<bucket>/applied/plans.zip [--stack <name>]...  # live vs applied
    python gate.py comment --build <the pull request's build id> --project <its project> \\
                           --bucket <artifact bucket> --repository owner/name
    python gate.py digest  --plans plans

**The plan artifact** is a folder: ``stacks`` (the stacks' names, one per line, in the
order they are applied) and, per stack, its synthesized folder (``cdk.tf.json``,
``.terraform.lock.hcl``, its assets) with its saved plan ``plan.tfplan``. Its **digest** is
the SHA-256 of its manifest, the ``sha256sum`` lines of every file in path order (print it
with ``digest``; check it with ``sha256sum -c``).

- ``seal`` refuses a plan that could run code at apply (a provisioner, or a provider other
  than AWS's or Terraform's own) or holds a symbolic link, computes the digest and the summary
  from the plan files themselves (``terraform show -json``), and writes ``summary.md`` and
  ``exports.env`` (``DIGEST``, the counts, ``SUMMARY_URL``) for the approval request.
- ``apply`` refuses plans whose digest is not the approved one, then applies each stack's
  saved plan as it is: its files, job scripts and packages included; with ``--keep``, it
  then keeps the configuration it applied (the artifact without its saved plans) there.
- ``drift`` plans each stack of the configuration last applied (``--keep``'s) against what
  is there now: no code of the repository runs, everything in the state is read back
  through the provider, and it exits 2, naming each resource, action and attribute, when
  the next apply would change something (someone changed or deleted it by hand).
- ``comment`` asks CodeBuild for the pull request's build (its status, pull request,
  artifact and log: nothing the pull request's code wrote but its plans), summarizes its
  plans and puts the summary on the pull request (GitHub), updating the comment it wrote
  before and no other; a summary longer than a comment may be is cut, with a link to the
  whole one.

Summaries name resources and attributes, never a value.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ALLOWED_PROVIDERS",
    "COMMENT_LIMIT",
    "DATA_BEARING",
    "MARKER",
    "PLAN_FILE",
    "STACKS_FILE",
    "GateError",
    "PlanSummary",
    "StackPlan",
    "apply",
    "check",
    "comment",
    "digest",
    "drift",
    "main",
    "manifest",
    "post_comment",
    "pull_request_build",
    "seal",
    "summarize",
]

STACKS_FILE = "stacks"
"""The plan artifact's list of its stacks, in the order they are applied."""
PLAN_FILE = "plan.tfplan"
"""Each stack folder's saved plan."""
ALLOWED_PROVIDERS = frozenset({"registry.terraform.io/hashicorp/aws", "terraform.io/builtin/terraform"})
"""The providers a sealed plan may use: AWS's and Terraform's own (``terraform_data``);
another provider could run any program at apply."""
DATA_BEARING = frozenset(
    {
        "aws_dynamodb_table",
        "aws_glue_catalog_database",
        "aws_glue_catalog_table",
        "aws_kms_key",
        "aws_s3_bucket",
        "aws_s3_object",
        "aws_secretsmanager_secret",
        "aws_ssm_parameter",
    }
)
"""Resource types whose destruction loses data (or the means to read it)."""
MARKER = "<!-- datalake-cdktf plan summary -->"
"""First line of every summary: how the pull-request comment this tool wrote is found again."""
COMMENT_LIMIT = 65536
"""The most characters GitHub takes in a comment's body."""
KINDS = ("add", "change", "replace", "destroy")
_STACK_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")


class GateError(Exception):
    """A refusal: the message says what was refused and why."""


# The plan artifact ----------------------------------------------------------------------


def stacks(plans: Path, *, saved: bool = True) -> list[str]:
    """The artifact's stacks in apply order, each a folder with its saved plan (``saved``;
    else a configuration applied, kept without them)."""
    listed = plans / STACKS_FILE
    if not listed.is_file():
        raise GateError(f"{plans}: no '{STACKS_FILE}' file: this is not a plan artifact")
    names = [line.strip() for line in listed.read_text().splitlines() if line.strip()]
    if not names or len(set(names)) != len(names):
        raise GateError(f"{listed}: lists {names}: name each stack once")
    for name in names:
        if not _STACK_NAME.match(name):
            raise GateError(f"{listed}: {name!r} is not a stack's name")
        if saved and not (plans / name / PLAN_FILE).is_file():
            raise GateError(f"{plans / name}: no saved plan ({PLAN_FILE})")
    return names


def manifest(plans: Path) -> str:
    """``sha256sum`` lines of every file under ``plans``, in path order (no links allowed)."""
    lines = []
    for path in sorted(plans.rglob("*"), key=lambda p: p.relative_to(plans).as_posix()):
        relative = path.relative_to(plans).as_posix()
        if path.is_symlink():
            raise GateError(f"{plans}: {relative} is a symbolic link: a plan artifact holds files only")
        if path.is_file():
            lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {relative}\n")
    return "".join(lines)


def digest(plans: Path) -> str:
    """The SHA-256 of the artifact's :func:`manifest`."""
    return hashlib.sha256(manifest(plans).encode()).hexdigest()


# Terraform --------------------------------------------------------------------------------


def terraform(folder: Path, *args: str, codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
    """Terraform (``$TERRAFORM`` or on ``PATH``) in ``folder``; an unexpected exit raises."""
    binary = os.environ.get("TERRAFORM") or shutil.which("terraform") or "terraform"
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    result = subprocess.run(
        [binary, *args, "-no-color"], cwd=folder, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode not in codes:
        raise GateError(f"terraform {args[0]} failed in {folder.name}:\n{result.stdout}{result.stderr}")
    return result


def show(folder: Path) -> dict[str, Any]:
    """``terraform show -json`` of the saved plan in a copy of ``folder`` (the artifact
    itself is left as it was: its digest must not change)."""
    with tempfile.TemporaryDirectory() as work:
        copy = Path(work) / folder.name
        shutil.copytree(folder, copy, symlinks=True)
        terraform(copy, "init", "-input=false", "-backend=false")
        return json.loads(terraform(copy, "show", "-json", PLAN_FILE).stdout)


def check(stack: str, folder: Path, plan: dict[str, Any]) -> list[str]:
    """What in the saved plan of ``stack`` (in ``folder``; ``plan`` is its ``terraform show
    -json``) could run code at apply: a provider outside :data:`ALLOWED_PROVIDERS` (configured,
    used by a change or locked), or a provisioner anywhere in the configuration the plan
    carries (its ``tfconfig/``, ``removed`` blocks included, which ``show`` leaves out).
    Empty when the apply build may apply it."""
    providers = {p.get("full_name") for p in plan.get("configuration", {}).get("provider_config", {}).values()}
    providers |= {change.get("provider_name") for change in plan.get("resource_changes", [])}
    with zipfile.ZipFile(folder / PLAN_FILE) as saved:
        names = saved.namelist()
        if ".terraform.lock.hcl" in names:
            providers |= set(_LOCKED.findall(saved.read(".terraform.lock.hcl").decode(errors="replace")))
        provisioned = [
            name
            for name in names
            if name.startswith("tfconfig/") and _PROVISIONER.search(saved.read(name).decode(errors="replace"))
        ]
    problems = [
        f"{stack}: provider {provider} (only {', '.join(sorted(ALLOWED_PROVIDERS))})"
        for provider in sorted(providers - ALLOWED_PROVIDERS - {None})
    ]
    problems += [f"{stack}: {name.removeprefix('tfconfig/')} declares a provisioner" for name in provisioned]
    return problems


_LOCKED = re.compile(r'^provider\s+"([^"]+)"', re.MULTILINE)
_PROVISIONER = re.compile(r'"provisioner"\s*:|^\s*provisioner\s+"', re.MULTILINE)


# Summaries ------------------------------------------------------------------------------


@dataclass
class StackPlan:
    """The resource changes of one stack's plan: address -> kind (one of ``KINDS``), its
    type, the attributes that change and, for a replace, those that force it (names only)."""

    stack: str
    changes: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, list[str]] = field(default_factory=dict)
    forced_by: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, stack: str, plan: dict[str, Any]) -> StackPlan:
        result = cls(stack)
        for change in plan.get("resource_changes", []):
            if change.get("mode") == "data":
                continue
            kind = _kind(change["change"]["actions"])
            if kind:
                address = change["address"]
                result.changes[address] = kind
                result.types[address] = change["type"]
                if kind in ("change", "replace"):
                    result.attributes[address] = _changed(change["change"])
                if kind == "replace":
                    paths = change["change"].get("replace_paths") or []
                    result.forced_by[address] = sorted({str(path[0]) for path in paths})
        return result

    def count(self, kind: str) -> int:
        return sum(1 for k in self.changes.values() if k == kind)

    def at_risk(self) -> list[tuple[str, str]]:
        """(kind, address) of every destroy or replace of a data-bearing resource."""
        return sorted(
            (kind, address)
            for address, kind in self.changes.items()
            if kind in ("replace", "destroy") and self.types[address] in DATA_BEARING
        )

    def lines(self) -> list[str]:
        """One Markdown line per change: what, and for a change or replace, which attributes."""
        lines = []
        for address, kind in sorted(self.changes.items()):
            line = f"- {kind} `{address}`"
            if self.forced_by.get(address):
                line += " (forced by " + ", ".join(f"`{name}`" for name in self.forced_by[address]) + ")"
            if self.attributes.get(address):
                line += ": " + ", ".join(f"`{name}`" for name in self.attributes[address])
            lines.append(line)
        return lines


@dataclass
class PlanSummary:
    stacks: list[StackPlan]

    def total(self, kind: str) -> int:
        return sum(stack.count(kind) for stack in self.stacks)

    def at_risk(self) -> list[tuple[str, str, str]]:
        return [(stack.stack, kind, address) for stack in self.stacks for kind, address in stack.at_risk()]

    def counts(self) -> dict[str, int]:
        return {kind.upper(): self.total(kind) for kind in KINDS} | {"DATA_AT_RISK": len(self.at_risk())}

    def headline(self) -> str:
        if not any(stack.changes for stack in self.stacks):
            return f"no changes in {_plural(len(self.stacks), 'stack')}"
        parts = ", ".join(f"{self.total(kind)} to {kind}" for kind in KINDS)
        return f"{parts} in {_plural(len(self.stacks), 'stack')}"

    def markdown(self, *, note: str = "") -> str:
        """The summary: headline, data at risk, a table per stack, each change folded."""
        lines = [MARKER, f"### Terraform plan: {self.headline()}", ""]
        if note:
            lines += [note, ""]
        risky = self.at_risk()
        if risky:
            lines.append(f"> **Data at risk: {_plural(len(risky), 'data-bearing resource')} destroyed or replaced**")
            lines += [f"> - `{stack}`: **{kind}** `{address}`" for stack, kind, address in risky]
            lines.append("")
        lines += ["| stack | add | change | replace | destroy |", "| --- | --- | --- | --- | --- |"]
        lines += [
            f"| `{stack.stack}` | " + " | ".join(str(stack.count(kind)) for kind in KINDS) + " |"
            for stack in self.stacks
        ]
        for stack in self.stacks:
            if stack.changes:
                lines += ["", f"<details><summary><code>{stack.stack}</code></summary>", "", *stack.lines()]
                lines += ["", "</details>"]
        return "\n".join(lines) + "\n"


def summarize(plans: Iterable[tuple[str, dict[str, Any]]]) -> PlanSummary:
    """A summary of ``(stack name, terraform show -json output)`` pairs."""
    return PlanSummary([StackPlan.from_json(stack, plan) for stack, plan in plans])


def _kind(actions: list[str]) -> str | None:
    if actions in (["delete", "create"], ["create", "delete"]):
        return "replace"
    return {("create",): "add", ("update",): "change", ("delete",): "destroy"}.get(tuple(actions))


def _changed(change: dict[str, Any]) -> list[str]:
    """The top-level attributes whose value changes or becomes known only at apply."""
    before, after = change.get("before") or {}, change.get("after") or {}
    unknown = change.get("after_unknown") or {}
    names = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    names |= {name for name, value in unknown.items() if value and name in before}
    return sorted(names)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# Seal and apply ---------------------------------------------------------------------------


def seal(plans: Path, out: Path, *, log_url: str = "") -> tuple[str, PlanSummary]:
    """Check every stack's plan, then write the summary (``summary.md``) and the approval's
    variables (``exports.env``: ``DIGEST``, the counts, ``SUMMARY_URL``) into ``out``.
    Returns the digest and the summary; a plan that fails :func:`check` is refused."""
    names = stacks(plans)
    sealed = digest(plans)  # before anything reads the plans, and of exactly what is handed on
    shown = [(name, show(plans / name)) for name in names]
    problems = [problem for name, plan in shown for problem in check(name, plans / name, plan)]
    if problems:
        raise GateError("refused: the apply build runs no code a repository brings:\n  " + "\n  ".join(problems))
    summary = summarize(shown)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.md").write_text(summary.markdown(note=f"Plan artifact SHA-256 `{sealed}`"))
    exports = {"DIGEST": sealed, **summary.counts(), "SUMMARY_URL": log_url}
    (out / "exports.env").write_text("".join(f"{key}={value}\n" for key, value in exports.items()))
    return sealed, summary


def apply(plans: Path, approved: str | None) -> list[str]:
    """Apply each stack's saved plan, in order, once the artifact's digest is ``approved``
    (``None``: print the digest and apply, for a person at a laptop). Terraform refuses a
    plan made stale by another change. Returns the stacks applied."""
    names = stacks(plans)
    found = digest(plans)
    if approved is not None and found != approved:
        raise GateError(f"refused: the plan artifact's SHA-256 is {found}, the approved one {approved}")
    print(f"applying the plan artifact {found}")
    for name in names:
        terraform(plans / name, "init", "-input=false")
        print(terraform(plans / name, "apply", "-input=false", PLAN_FILE).stdout)
    return names


def keep(plans: Path, location: str) -> None:
    """The configuration just applied (``plans`` without saved plans or providers), zipped
    to ``location`` (``s3://<bucket>/<key>``), where the drift build reads it."""
    with tempfile.TemporaryDirectory() as work:
        archive = Path(work) / "applied.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as packed:
            for path in sorted(plans.rglob("*")):
                relative = path.relative_to(plans.parent)
                if path.is_file() and ".terraform" not in relative.parts and path.suffix != ".tfplan":
                    packed.write(path, relative.as_posix())
        copied = subprocess.run(["aws", "s3", "cp", str(archive), location], check=False)
        if copied.returncode != 0:
            raise GateError(f"applied, but the configuration could not be kept at {location} (drift reads it there)")
    print(f"the configuration applied is kept at {location}")


# Drift ------------------------------------------------------------------------------------


def fetch_applied(location: str, into: Path) -> Path:
    """The configuration last applied (``keep``'s zip at ``location``), unpacked in ``into``:
    its plans folder."""
    archive = into / "applied.zip"
    copied = subprocess.run(["aws", "s3", "cp", location, str(archive)], check=False)
    if copied.returncode != 0:
        raise GateError(f"no configuration applied yet at {location}: nothing to compare (it is kept by each apply)")
    _unzip(archive, into / "applied")
    (plans,) = [folder for folder in (into / "applied").iterdir() if (folder / STACKS_FILE).is_file()]
    return plans


def drift(plans: Path, only: Iterable[str] = ()) -> dict[str, list[str]]:
    """Per stack of ``plans`` (a configuration applied, ``keep``'s; those in ``only``, if
    any), a plan of that configuration against what is there now (every resource read back
    through the provider): ``{stack: ["<address>: <action> <attributes>", ...]}`` for those
    the next apply would change.

    Not a refresh-only plan: its ``resource_drift`` lists every difference between what
    the state recorded and what the provider reads back, which includes differences no
    apply would act on and no one made by hand: absent tags read back as an empty map, and
    attributes another resource manages (a role's ``inline_policy``, written by its
    ``aws_iam_role_policy``; a topic's ``policy``, by its ``aws_sns_topic_policy``)."""
    names = stacks(plans, saved=False)
    missing = sorted(set(only) - set(names))
    if missing:
        raise GateError(f"{', '.join(missing)}: not in the configuration applied ({', '.join(names)})")
    drifted: dict[str, list[str]] = {}
    for name in [n for n in names if not only or n in only]:
        folder = plans / name
        terraform(folder, "init", "-input=false")
        terraform(folder, "plan", "-input=false", "-lock=false", "-out=drift.tfplan")
        plan = json.loads(terraform(folder, "show", "-json", "drift.tfplan").stdout)
        changes = [
            f"{change['address']}: {_drifted(change['change'])}"
            for change in plan.get("resource_changes", [])
            if change.get("mode") != "data" and change["change"]["actions"] != ["no-op"]
        ]
        if changes:
            drifted[name] = changes
    return drifted


def _drifted(change: dict[str, Any]) -> str:
    """What the next apply would do to a drifted resource, and to which attributes."""
    if change.get("before") is None:
        return "gone (the next apply creates it)"
    return f"{'/'.join(change['actions'])} " + ", ".join(_changed(change))


# Pull-request comments --------------------------------------------------------------------


def comment_body(
    summary: PlanSummary | None, *, status: str, build_log: str, summary_log: str, limit: int = COMMENT_LIMIT
) -> str:
    """The comment: the summary, or why there is none (the pull request's build ended
    ``status``; its log at ``build_log``), cut to ``limit`` characters with a link to the
    whole summary (``summary_log``, the log this tool printed it to) when it is longer."""
    failed = "" if status == "SUCCEEDED" else f"The pull request's build ended {status}: {build_log or 'see its log'}"
    if summary is None:
        body = f"{MARKER}\n### Terraform plan: none\n\n{failed or 'The build planned nothing.'}\n"
    else:
        body = summary.markdown(note=failed)
    if len(body) <= limit:
        return body
    tail = f"\n\n*Cut at {limit} characters: the whole summary is in {summary_log or 'the comment build log'}.*\n"
    cut = body[: limit - len(tail)]
    return cut[: cut.rfind("\n") + 1] + tail.lstrip("\n")


def post_comment(body: str, *, repository: str, number: int, token: str, api: str) -> str:
    """Create the comment, or update the one this token's user wrote before (found by
    :data:`MARKER`): never another person's comment. Returns the comment's URL."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
    me = _github("GET", f"{api}/user", headers)["login"]
    issue = f"{api}/repos/{repository}/issues/{number}/comments"
    mine = [
        c
        for c in _github("GET", f"{issue}?per_page=100", headers)
        if c.get("user", {}).get("login") == me and c.get("body", "").startswith(MARKER)
    ]
    if mine:
        return _github("PATCH", mine[0]["url"], headers, {"body": body})["url"]
    return _github("POST", issue, headers, {"body": body})["url"]


def _github(method: str, url: str, headers: dict[str, str], body: dict | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def pull_request_build(build_id: str, project: str) -> dict[str, Any]:
    """CodeBuild's record of the pull request's build ``build_id`` (through the AWS CLI),
    which must be a build of ``project``: its status, source version, artifact and log."""
    found = subprocess.run(
        ["aws", "codebuild", "batch-get-builds", "--ids", build_id, "--output", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    builds = json.loads(found.stdout).get("builds", [])
    if len(builds) != 1 or builds[0].get("projectName") != project:
        raise GateError(f"refused: {build_id!r} is not a build of {project}")
    return builds[0]


def fetch_artifact(location: str, bucket: str, into: Path) -> Path | None:
    """The pull request's plans (``plans/`` of its artifact at ``location``, an S3 ARN or
    URI in ``bucket`` under ``pull-requests/``), unpacked into ``into``; None when the
    build left none."""
    if not location:
        return None
    found = re.match(r"^(?:arn:aws[a-z-]*:s3:::|s3://)([^/]+)/(pull-requests/.+)$", location)
    if not found or found.group(1) != bucket:
        raise GateError(f"refused: {location!r} is not a pull request's artifact in {bucket}")
    archive = into / "artifact.zip"
    copied = subprocess.run(["aws", "s3", "cp", f"s3://{found.group(1)}/{found.group(2)}", str(archive)], check=False)
    if copied.returncode != 0:
        return None  # the build failed before it uploaded its plans
    _unzip(archive, into / "artifact")
    plans = into / "artifact" / "plans"
    return plans if (plans / STACKS_FILE).is_file() else None


def _unzip(archive: Path, into: Path) -> None:
    """``archive`` unpacked in ``into``; refused if an entry would leave it."""
    with zipfile.ZipFile(archive) as unpacked:
        for member in unpacked.namelist():
            if member.startswith("/") or ".." in Path(member).parts:
                raise GateError(f"refused: the artifact's entry {member!r} leaves its folder")
        unpacked.extractall(into)


def comment(
    *,
    plans: Path | None,
    status: str,
    repository: str,
    pull_request: str,
    token: str,
    api: str,
    build_log: str = "",
    summary_log: str = "",
) -> str:
    """Summarize a pull request's ``plans`` (None: its build planned nothing) and put the
    summary on the pull request (``pull_request``: ``pr/<number>``)."""
    number = re.fullmatch(r"pr/(\d+)", pull_request or "")
    if not number:
        raise GateError(f"not a pull request's build (source version {pull_request!r})")
    summary = None
    if plans is not None:
        summary = summarize((name, show(plans / name)) for name in stacks(plans))
    body = comment_body(summary, status=status, build_log=build_log, summary_log=summary_log)
    print(summary.markdown() if summary else body)
    return post_comment(body, repository=repository, number=int(number.group(1)), token=token, api=api)


# The command ------------------------------------------------------------------------------


def build_log_url(build_arn: str) -> str:
    """The console page of a CodeBuild build's log (``CODEBUILD_BUILD_ARN``), or ''."""
    found = re.match(r"^arn:aws[a-z-]*:codebuild:([^:]+):(\d{12}):build/([^:]+):(.+)$", build_arn or "")
    if not found:
        return ""
    region, account, project, build = found.groups()
    build_id = urllib.parse.quote(f"{project}:{build}", safe="")
    return (
        f"https://{region}.console.aws.amazon.com/codesuite/codebuild/{account}/projects/{project}"
        f"/build/{build_id}/log?region={region}"
    )


def main(argv: list[str] | None = None) -> int:
    """``python gate.py seal|apply|drift|comment|digest``: see the module's docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("seal", "apply", "digest"):
        command = commands.add_parser(name)
        command.add_argument("--plans", type=Path, default=Path("plans"))
    commands.choices["seal"].add_argument("--out", type=Path, default=Path("review"))
    commands.choices["apply"].add_argument("--digest", help="the approved SHA-256 (omit: apply, printing it)")
    commands.choices["apply"].add_argument("--keep", help="s3://<bucket>/<key>: keep the configuration applied there")
    drifting = commands.add_parser("drift")
    drifting.add_argument("--applied", required=True, help="s3://<bucket>/<key>: the configuration last applied")
    drifting.add_argument("--stack", action="append", default=[], help="a stack to check (default: every one)")
    commenting = commands.add_parser("comment")
    commenting.add_argument("--build", required=True, help="the pull request's build (its id or ARN)")
    commenting.add_argument("--project", required=True, help="the pull-request build's project")
    commenting.add_argument("--bucket", required=True, help="the bucket pull requests' artifacts are in")
    commenting.add_argument("--repository", required=True, help="owner/name at the Git host")
    args = parser.parse_args(argv)
    own_log = build_log_url(os.environ.get("CODEBUILD_BUILD_ARN", ""))
    try:
        if args.command == "digest":
            sys.stdout.write(manifest(args.plans))
            print(digest(args.plans))
        elif args.command == "seal":
            sealed, summary = seal(args.plans, args.out, log_url=own_log)
            print(manifest(args.plans), end="")
            print(f"\nplan artifact SHA-256 {sealed}\n\n{summary.markdown()}")
        elif args.command == "apply":
            apply(args.plans, args.digest)
            if args.keep:
                keep(args.plans, args.keep)
        elif args.command == "drift":
            with tempfile.TemporaryDirectory() as work:
                drifted = drift(fetch_applied(args.applied, Path(work)), args.stack)
            for name, changes in drifted.items():
                print(f"drift in {name}:\n  " + "\n  ".join(changes))
            print("no drift" if not drifted else f"drift in {', '.join(drifted)}")
            return 2 if drifted else 0
        else:
            build = pull_request_build(args.build, args.project)
            with tempfile.TemporaryDirectory() as work:
                plans = fetch_artifact(build.get("artifacts", {}).get("location", ""), args.bucket, Path(work))
                url = comment(
                    plans=plans,
                    status=build.get("buildStatus", ""),
                    repository=args.repository,
                    pull_request=build.get("sourceVersion", ""),
                    token=os.environ["PULL_REQUEST_TOKEN"],
                    api=os.environ.get("GITHUB_API_URL", "https://api.github.com"),
                    build_log=build.get("logs", {}).get("deepLink", ""),
                    summary_log=own_log,
                )
            print(f"plan summary on {url}")
    except GateError as refusal:
        print(refusal, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
