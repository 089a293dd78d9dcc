"""checkov as the tests run it (on synthesized stacks or on plan JSON), and the accepted
findings of tests/checkov_skips.yaml."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

SKIPS_FILE = Path(__file__).resolve().parents[1] / "checkov_skips.yaml"


def scan(*target: str, framework: str) -> tuple[dict[str, Any], str]:
    """checkov's JSON report on ``target`` (``-d <dir>`` or ``-f <file>``), and its stderr."""
    checkov = Path(sys.executable).with_name("checkov")
    result = subprocess.run(
        [str(checkov), *target, "--framework", framework, "--skip-download", "--quiet", "--compact", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    return json.loads(result.stdout), result.stderr


def skips() -> dict[str, Any]:
    """Check id -> {reason, resources (globs over "<stack id>/<resource>")}."""
    return yaml.safe_load(SKIPS_FILE.read_text())


def accepted(skips: dict[str, Any], check_id: str, where: str) -> bool:
    """Whether the finding ``check_id`` on ``where`` ("<stack id>/<resource>") is accepted."""
    entry = skips.get(check_id)
    return bool(entry) and any(fnmatch.fnmatchcase(where, glob) for glob in entry["resources"])


def accepted_in_plan(skips: dict[str, Any], check_id: str, stack_id: str, resource: str) -> bool:
    """:func:`accepted` for a finding of a plan scan: it names a resource by its address
    (``aws_lambda_function.<name>``) where the scan of synthesized JSON, which the skips'
    globs are written for, says ``resource.<name>`` for most checks."""
    name = resource.split(".", 1)[1]
    return any(accepted(skips, check_id, f"{stack_id}/{where}") for where in (resource, f"resource.{name}"))
