"""External tools the tests need: found here, required in CI, skipped with a reason elsewhere.

CI runs with ``CI=true``: a missing Terraform or provider mirror fails the run. On a
developer machine without them the tests that need them are skipped, and the reason
says what to install. Terraform and its provider mirror are found by the library's
checks (:mod:`datalake_cdktf.checks.terraform`), which ETL repositories' tests use too;
Node.js and asl-validator are this repository's own.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from datalake_cdktf.checks.terraform import (
    AWS_PROVIDER_VERSION,
    MINIMUM_TERRAFORM,
    MIRROR_VARIABLE,
    provider_mirror,
    terraform_binary,
    terraform_runner,
    unavailable,
    write_cli_config,
)

__all__ = [
    "AWS_PROVIDER_VERSION",
    "MINIMUM_TERRAFORM",
    "MIRROR_VARIABLE",
    "asl_validator",
    "node",
    "provider_mirror",
    "terraform_binary",
    "terraform_runner",
    "unavailable",
    "write_cli_config",
]

ROOT = Path(__file__).resolve().parents[2]


def node() -> str:
    """The Node.js that runs the jsii kernel: ``$JSII_NODE`` (scripts/with-pinned-node sets
    it to the pinned one) or the ``node`` on PATH."""
    found = os.environ.get("JSII_NODE") or shutil.which("node")
    if not found:
        unavailable("Node.js is not installed: install Node.js 22 or run `npm ci` (package-lock.json pins it)")
    return found


def asl_validator() -> list[str]:
    """The command of the pinned ``asl-validator`` (package.json), run on the pinned Node.js."""
    script = ROOT / "node_modules" / "asl-validator" / "dist" / "bin" / "asl-validator.js"
    if not script.is_file():
        unavailable("asl-validator is not installed: run `npm ci` (package.json pins it; Node.js 22 runs it)")
    return [node(), str(script)]
