"""The checks a repository's tests run on its synthesized stacks, so that its Test stage
finds what its Plan would: the ones the library's own repository runs on every stack.

Install them with the extra: ``datalake-cdktf[checks]`` (checkov, parliament and pytest
at the versions the accepted findings below were written for).

- :mod:`datalake_cdktf.checks.terraform`: ``terraform init -backend=false`` and
  ``terraform validate`` with the pinned hashicorp/aws provider from a filesystem
  mirror (your Terraform CLI config's, or ``$TF_PROVIDER_MIRROR``), offline. Without
  Terraform or the mirror a test is skipped with what to install, and fails in CI
  (``CI=true``).
- :mod:`datalake_cdktf.checks.checkov`: checkov on the stacks
  (``--framework terraform_json``), and the findings accepted on the library's own
  resources, each with its reason (``checkov_accepted.yaml`` in this package).
- :mod:`datalake_cdktf.checks.iam_lint`: parliament on every IAM, key, bucket and topic
  policy of the stacks, and the findings accepted on the library's own policies
  (``iam_lint_accepted.yaml``).

A repository adds acceptances of its own (for resources it adds) in files of its own;
a finding accepted nowhere fails its test with what to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["SynthesizedStack", "read_stacks"]


@dataclass(frozen=True)
class SynthesizedStack:
    """One synthesized stack: its id, its folder (``cdk.tf.json`` and its assets) and that JSON."""

    stack_id: str
    directory: Path
    json: dict[str, Any]


def read_stacks(outdir: Path | str) -> dict[str, SynthesizedStack]:
    """Every stack an app synthesized into ``outdir`` (``<outdir>/stacks/<id>/cdk.tf.json``), by id."""
    stacks = {}
    for document in sorted(Path(outdir).glob("stacks/*/cdk.tf.json")):
        stack_id = document.parent.name
        stacks[stack_id] = SynthesizedStack(stack_id, document.parent, json.loads(document.read_text()))
    return stacks
