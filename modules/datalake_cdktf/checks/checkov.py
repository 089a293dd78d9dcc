"""checkov on synthesized stacks (or on a plan's JSON), and the findings accepted on them.

An accepted finding is listed once per check id, with the reason it is accepted and
where (``resources``: globs over ``"<stack id>/<resource as checkov names it>"``)::

    CKV_AWS_116:
      reason: >-
        Why this is right here, and the test that shows it.
      resources: ["etl-*/resource.etl_lambda-*_function_*"]

:data:`ACCEPTED_FILE` lists those on the resources the library's constructs create
(the test names in its reasons are those of the library's own repository, which runs
them on every stack it makes). A repository that adds resources of its own accepts
their findings in a file of its own: :func:`accepted_findings` reads both::

    findings = checkov.scan_stacks({i: s.json for i, s in read_stacks("cdktf.out").items()}, tmp_path)
    assert not checkov.unaccepted(findings, checkov.accepted_findings("tests/checkov_accepted.yaml"))
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from datalake_cdktf.checks.terraform import unavailable

__all__ = [
    "ACCEPTED_FILE",
    "Finding",
    "Scan",
    "accepted",
    "accepted_findings",
    "accepted_in_plan",
    "load_accepted",
    "reasonless",
    "scan",
    "scan_stacks",
    "stale",
    "unaccepted",
]

ACCEPTED_FILE = Path(__file__).with_name("checkov_accepted.yaml")
"""The findings accepted on the library's own resources."""


class Finding(NamedTuple):
    """A failed check: its id, ``"<stack id>/<resource>"`` and the check's name."""

    check_id: str
    where: str
    name: str


class Scan(NamedTuple):
    """What :func:`scan_stacks` found: the failed checks and checkov's summary (counts)."""

    findings: list[Finding]
    summary: dict[str, Any]


def _checkov() -> str:
    beside = Path(sys.executable).with_name("checkov")  # the virtual environment's
    found = str(beside) if beside.is_file() else shutil.which("checkov")
    if not found:
        unavailable("checkov is not installed: install datalake-cdktf[checks] (e.g. in your dev packages)")
    return found


def scan(*target: str, framework: str) -> tuple[dict[str, Any], str]:
    """checkov's JSON report on ``target`` (``-d <dir>`` or ``-f <file>``), and its stderr.
    Offline (``--skip-download``)."""
    result = subprocess.run(
        [_checkov(), *target, "--framework", framework, "--skip-download", "--quiet", "--compact", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return json.loads(result.stdout), result.stderr
    except json.JSONDecodeError:
        raise AssertionError(f"checkov gave no report (exit {result.returncode}):\n{result.stderr[-3000:]}") from None


def scan_stacks(stacks: Mapping[str, Mapping[str, Any]], workdir: Path) -> Scan:
    """Every failed check of ``stacks`` (stack id -> its ``cdk.tf.json``), scanned at once
    (``--framework terraform_json``) from copies written under ``workdir``; AssertionError
    with checkov's output when it cannot parse one."""
    folder = workdir / "checkov"
    folder.mkdir(parents=True, exist_ok=True)
    for stack_id, stack in stacks.items():
        document = json.loads(json.dumps(stack))
        # checkov 3.3's terraform_json parser crashes on a string directly in the
        # `terraform` block ("this method receives only dicts"); required_version is
        # not security-relevant, so the scanned copy leaves it out.
        document.get("terraform", {}).pop("required_version", None)
        (folder / stack_id).mkdir(exist_ok=True)
        (folder / stack_id / "cdk.tf.json").write_text(json.dumps(document))
    report, stderr = scan("-d", str(folder), framework="terraform_json")
    if report["summary"]["parsing_errors"]:
        raise AssertionError(f"checkov could not parse every stack:\n{stderr[-3000:]}")
    findings = [
        Finding(
            check["check_id"],
            check["file_path"].strip("/").split("/")[0] + "/" + check["resource"],
            check["check_name"],
        )
        for check in report["results"]["failed_checks"]
    ]
    return Scan(findings, report["summary"])


def load_accepted(path: Path | str) -> dict[str, Any]:
    """One file of accepted findings: check id -> {reason, resources}; an empty file is none."""
    return yaml.safe_load(Path(path).read_text()) or {}


def accepted_findings(*files: Path | str) -> dict[str, Any]:
    """The library's accepted findings and those of ``files``. A check id may be listed in
    one file only (ValueError naming both), so each acceptance has one reason."""
    merged: dict[str, Any] = {}
    origin: dict[str, Path] = {}
    for path in (ACCEPTED_FILE, *map(Path, files)):
        for check_id, entry in load_accepted(path).items():
            if check_id in merged:
                raise ValueError(
                    f"{check_id} is accepted in {origin[check_id]} and in {path}: keep one, with its reason"
                )
            merged[check_id], origin[check_id] = entry, path
    return merged


def accepted(skips: Mapping[str, Any], check_id: str, where: str) -> bool:
    """Whether the finding ``check_id`` on ``where`` ("<stack id>/<resource>") is accepted."""
    entry = skips.get(check_id)
    return bool(entry) and any(fnmatch.fnmatchcase(where, glob) for glob in entry["resources"])


def accepted_in_plan(skips: Mapping[str, Any], check_id: str, stack_id: str, resource: str) -> bool:
    """:func:`accepted` for a finding of a plan scan: it names a resource by its address
    (``aws_lambda_function.<name>``) where the scan of synthesized JSON, which the globs
    are written for, says ``resource.<name>`` for most checks."""
    name = resource.split(".", 1)[1]
    return any(accepted(skips, check_id, f"{stack_id}/{where}") for where in (resource, f"resource.{name}"))


def unaccepted(findings: Iterable[Finding], skips: Mapping[str, Any]) -> list[str]:
    """``"<check id> <where>: <check name>"`` of each finding no entry accepts."""
    return [f"{f.check_id} {f.where}: {f.name}" for f in findings if not accepted(skips, f.check_id, f.where)]


def stale(findings: Iterable[Finding], skips: Mapping[str, Any]) -> list[str]:
    """``"<check id>: <glob>"`` of each acceptance in ``skips`` that no finding matches any
    more (delete it, so a fixed finding cannot hide a new one)."""
    findings = list(findings)
    return [
        f"{check_id}: {glob}"
        for check_id, entry in skips.items()
        for glob in entry["resources"]
        if not any(f.check_id == check_id and fnmatch.fnmatchcase(f.where, glob) for f in findings)
    ]


def reasonless(skips: Mapping[str, Any]) -> list[str]:
    """Entries without exactly a reason (of more than 40 characters) and some resources."""
    problems = []
    for check_id, entry in skips.items():
        if not isinstance(entry, dict) or set(entry) != {"reason", "resources"}:
            problems.append(f"{check_id}: give exactly 'reason' and 'resources'")
        elif len(str(entry["reason"])) <= 40:
            problems.append(f"{check_id}: say why the finding is accepted")
        elif not entry["resources"]:
            problems.append(f"{check_id}: say where it is accepted")
    return problems
