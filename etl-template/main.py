"""Synthesize this repository's stack in every environment: etl-sales-<env>.

    python main.py              # the deployment from $DATALAKE_DEPLOYMENT, ./deployment.json or ./envs/
    python main.py --read-only  # through the plan roles (pull-request plans)
    cdktf synth / cdktf deploy etl-sales-dev

Both configs (the deployment and etl.yaml) are validated before the engine starts, so
a mistake comes back at once, naming the file, the field and the fix.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from datalake_cdktf.config import ConfigError, load_deployment
from datalake_cdktf.config.etl import load_etl_config

ROOT = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--read-only", action="store_true", help="plan through the plan roles (pull requests)")
    args = parser.parse_args(argv)
    try:
        deployment = load_deployment()
        load_etl_config(ROOT / "etl.yaml")
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    from stacks import build_app  # the engine starts here

    app, stacks = build_app(deployment, read_only=args.read_only)
    app.synth()
    for stack in stacks:
        print(f"{stack.stack_id:<24} {stack.account_id} {stack.region}")
    print(f"\n{len(stacks)} stacks synthesized into {app.outdir}/stacks/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
