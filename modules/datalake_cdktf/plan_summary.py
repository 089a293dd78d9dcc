"""Turn ``terraform show -json`` of saved plans into the Markdown a reviewer reads.

One command serves the approval request, the pull-request comment and a person at a
laptop::

    terraform show -json plan.tfplan > datalake-dev.json
    python -m datalake_cdktf.plan_summary datalake-dev.json [etl-sales-dev.json ...]

Per stack: how many resources are added, changed, replaced and destroyed; every destroy
or replace of a data-bearing resource (a bucket, a key, a catalog database or table, a
table, the state) is called out first. Only resource addresses, types and actions are
printed, and for a change or a replace the names of the attributes that change (and of
those that force the replace): never an attribute value, so nothing sensitive can reach a
log, an approval request or a comment. The summarizer is :mod:`datalake_cdktf.gate`'s,
the one the pipelines' seal and comment builds run. ``--counts FILE`` also writes the totals as ``KEY=value`` lines
(``ADD``, ``CHANGE``, ``REPLACE``, ``DESTROY``, ``DATA_AT_RISK``) for a build to export.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from datalake_cdktf.gate import DATA_BEARING, MARKER, PlanSummary, StackPlan, summarize

__all__ = ["DATA_BEARING", "MARKER", "PlanSummary", "StackPlan", "main", "summarize"]


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
