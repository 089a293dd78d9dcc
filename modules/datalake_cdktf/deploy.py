"""The repository's side of a pipeline's plan, as a command a person can run on a laptop.

It works on synthesized stacks (``cdktf.out/stacks/<stack>``) with the real Terraform
(``$TERRAFORM`` or ``terraform`` on PATH) and the credentials of whoever runs it::

    python -m datalake_cdktf.deploy plan --stack datalake-dev [--stack ...] [--out plans]

``plan`` writes the plan artifact the gate seals and applies (:mod:`datalake_cdktf.gate`):
per stack, a copy of its folder (``cdk.tf.json``, its lock file and assets; no
``.terraform``) with its saved plan ``plan.tfplan``, and the stack's name appended to
``<out>/stacks`` (the order to apply in). Every plan compares the code with the recorded
state (``-refresh=false``) and takes no state lock (``-lock=false``): the roles that run a
repository's code read nothing live and write nothing, and the apply takes the lock and
refuses a plan made stale meanwhile. Live drift is the administrator's drift check's to
report. It prints the summary (the same as the gate's) for the build's log.

Apply the artifact with ``python -m datalake_cdktf.gate apply --plans plans`` (what the
pipeline's apply build runs, with the approved digest).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from datalake_cdktf.gate import PLAN_FILE, STACKS_FILE, GateError, summarize, terraform

__all__ = ["DEFAULT_STACKS_DIR", "main", "plan"]

DEFAULT_STACKS_DIR = Path("cdktf.out") / "stacks"
"""Where ``plan`` finds the synthesized stacks (``--stacks-dir``)."""


def plan(stacks: list[Path], out: Path) -> dict[str, int]:
    """Each stack folder of ``stacks`` copied into ``out/<stack>`` with its saved plan, and
    named in ``out/stacks``; returns the plans' counts (and prints their summary)."""
    out.mkdir(parents=True, exist_ok=True)
    listed = out / STACKS_FILE
    names = listed.read_text().split() if listed.is_file() else []
    shown = []
    for folder in stacks:
        if not (folder / "cdk.tf.json").is_file():
            raise SystemExit(f"{folder}: no cdk.tf.json here: synthesize first (make synth)")
        copy = out / folder.name
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfplan", "*.tfstate*"))
        terraform(copy, "init", "-input=false")
        terraform(copy, "plan", "-input=false", "-lock=false", "-refresh=false", f"-out={PLAN_FILE}")
        shown.append((folder.name, json.loads(terraform(copy, "show", "-json", PLAN_FILE).stdout)))
        shutil.rmtree(copy / ".terraform")  # the providers: the apply build installs its own
        if folder.name not in names:
            names.append(folder.name)
    listed.write_text("".join(f"{name}\n" for name in names))
    summary = summarize(shown)
    print(summary.markdown())
    return summary.counts()


def main(argv: list[str] | None = None) -> int:
    """``python -m datalake_cdktf.deploy plan``: the plan artifact of the stacks named."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("plan", help="saved plans of the stacks, read-only, for the gate")
    command.add_argument("--stack", action="append", required=True, help="stack name (repeat for several)")
    command.add_argument("--stacks-dir", type=Path, default=DEFAULT_STACKS_DIR)
    command.add_argument("--out", type=Path, default=Path("plans"))
    args = parser.parse_args(argv)
    try:
        plan([args.stacks_dir / name for name in args.stack], args.out)
    except GateError as failure:  # a Terraform failure: its output, not a traceback
        print(failure, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
