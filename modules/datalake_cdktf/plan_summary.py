"""Turn ``terraform show -json`` of saved plans into the Markdown a reviewer reads.

One command serves the approval request, the pull-request comment and a person at a
laptop::

    terraform show -json plan.tfplan > datalake-dev.json
    python -m datalake_cdktf.plan_summary datalake-dev.json [etl-sales-dev.json ...]

Per stack: how many resources are added, changed, replaced and destroyed; every destroy
or replace of a data-bearing resource (a bucket, a key, a catalog database or table, a
table, the state) is called out first. Only resource addresses, types and actions are
printed: never an attribute value, so nothing sensitive can reach a log, an approval
request or a comment. ``--counts FILE`` also writes the totals as ``KEY=value`` lines
(``ADD``, ``CHANGE``, ``REPLACE``, ``DESTROY``, ``DATA_AT_RISK``) for a build to export.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["DATA_BEARING", "MARKER", "PlanSummary", "StackPlan", "main", "summarize"]

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
"""First line of every summary: how a pull-request comment is found and updated in place."""

KINDS = ("add", "change", "replace", "destroy")


@dataclass
class StackPlan:
    """The resource changes of one stack's plan: address -> kind (one of ``KINDS``)."""

    stack: str
    changes: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, stack: str, plan: dict[str, Any]) -> StackPlan:
        result = cls(stack)
        for change in plan.get("resource_changes", []):
            if change.get("mode") == "data":
                continue
            kind = _kind(change["change"]["actions"])
            if kind:
                result.changes[change["address"]] = kind
                result.types[change["address"]] = change["type"]
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

    def markdown(self) -> str:
        lines = [MARKER, f"### Terraform plan: {self.headline()}", ""]
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
            if not stack.changes:
                continue
            lines += ["", f"<details><summary><code>{stack.stack}</code></summary>", ""]
            lines += [f"- {kind} `{address}`" for address, kind in sorted(stack.changes.items())]
            lines += ["", "</details>"]
        return "\n".join(lines) + "\n"


def summarize(plans: Iterable[tuple[str, dict[str, Any]]]) -> PlanSummary:
    """A summary of ``(stack name, terraform show -json output)`` pairs."""
    return PlanSummary([StackPlan.from_json(stack, plan) for stack, plan in plans])


def _kind(actions: list[str]) -> str | None:
    if actions in (["delete", "create"], ["create", "delete"]):
        return "replace"
    return {("create",): "add", ("update",): "change", ("delete",): "destroy"}.get(tuple(actions))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def main(argv: list[str] | None = None) -> int:
    """``python -m datalake_cdktf.plan_summary <plan.json>...``: print the summary (Markdown)."""
    parser = argparse.ArgumentParser(description="Summarize `terraform show -json` plans as Markdown.")
    parser.add_argument("plans", nargs="+", type=Path, help="plan JSON files, one per stack (named <stack>.json)")
    parser.add_argument("--counts", type=Path, help="also write KEY=value totals to this file")
    parser.add_argument("--out", type=Path, help="write the Markdown here instead of printing it")
    args = parser.parse_args(argv)
    summary = summarize((path.stem, json.loads(path.read_text())) for path in args.plans)
    if args.counts:
        args.counts.write_text("".join(f"{key}={value}\n" for key, value in summary.counts().items()))
    if args.out:
        args.out.write_text(summary.markdown())
    else:
        sys.stdout.write(summary.markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
