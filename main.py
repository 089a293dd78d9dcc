"""Synthesize every stack of the deployment and print a summary.

    python main.py                       # config from envs/ (or $DATALAKE_CONFIG_DIR)
    python main.py --config-dir other/   # another config folder
    cdktf synth / cdktf deploy <stack>   # the same, through the cdktf CLI

Wiring only: load config, build stacks, synth, summarize. The config is validated
before the CDKTF engine (jsii and Node.js) is loaded, so a config error comes back at
once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from datalake_cdktf.config.loader import ConfigError, config_dir_from_environment, load_config
from datalake_cdktf.emulator import EMULATOR_VARIABLE, load_emulator_profile

CONFIG_DIR = Path(__file__).resolve().parent / "envs"

LOCAL_STATE_VARIABLE = "DATALAKE_BOOTSTRAP_LOCAL_STATE"
"""Set to 1 to synthesize ``central-bootstrap`` with local state (first apply only)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config-dir", type=Path, default=None, help="config folder (default: envs/)")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config_dir or config_dir_from_environment(CONFIG_DIR))
        emulator = load_emulator_profile()
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    from stacks import build_app  # the engine starts here, after the config is known good

    app, stacks = build_app(config, local_bootstrap_state=os.environ.get(LOCAL_STATE_VARIABLE) == "1")
    app.synth()
    outdir = Path(app.outdir)
    rows = [
        (
            stack.stack_id,
            stack.account_id,
            stack.region,
            stack.backend_key,
            str(resource_count(outdir / "stacks" / stack.stack_id / "cdk.tf.json")),
        )
        for stack in stacks
    ]
    print(format_table(("stack", "account", "region", "state key", "resources"), rows))
    print(f"\n{len(stacks)} stacks synthesized into {outdir}/stacks/")
    if emulator:
        print(f"emulator profile (${EMULATOR_VARIABLE}): every provider and backend calls {emulator.summary()}")
    return 0


def resource_count(stack_json: Path) -> int:
    resources = json.loads(stack_json.read_text())["resource"]
    return sum(len(instances) for instances in resources.values())


def format_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    lines = [header, tuple("-" * w for w in widths), *rows]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines)


if __name__ == "__main__":
    sys.exit(main())
