"""checkov as the tests run it (on synthesized stacks or on plan JSON), and the accepted
findings: the library's (``datalake_cdktf/checks/checkov_accepted.yaml``, on the
resources its constructs create) and this repository's own (tests/checkov_skips.yaml).
The code is the library's (:mod:`datalake_cdktf.checks.checkov`), which ETL
repositories' tests use too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datalake_cdktf.checks.checkov import accepted, accepted_findings, accepted_in_plan, scan

__all__ = ["SKIPS_FILE", "accepted", "accepted_in_plan", "scan", "skips"]

SKIPS_FILE = Path(__file__).resolve().parents[1] / "checkov_skips.yaml"
"""This repository's own accepted findings (on resources no library construct creates)."""


def skips() -> dict[str, Any]:
    """Check id -> {reason, resources (globs over "<stack id>/<resource>")}: the library's
    accepted findings and this repository's."""
    return accepted_findings(SKIPS_FILE)
