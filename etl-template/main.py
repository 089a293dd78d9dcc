"""Synthesize this repository's stack in every environment: etl-<repository>-<env>.

    python main.py              # the deployment from $DATALAKE_DEPLOYMENT (a checkout of the
                                # infrastructure repository's envs/), ./deployment.json or ./envs/
    npx cdktf synth / npx cdktf deploy etl-<repository>-dev

Both configs (the deployment and etl.yaml, whose ``repository`` the deployment must
list) are validated before the engine starts, so a mistake comes back at once, naming
the file, the field and the fix.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from datalake_cdktf.config import ConfigError, load_deployment
from datalake_cdktf.config.etl import load_etl_config, repository_of

ETL_FILE = Path(__file__).resolve().parent / "etl.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    try:
        deployment = load_deployment()
        repository_of(load_etl_config(ETL_FILE), deployment, ETL_FILE)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    from stacks import build_app  # the engine starts here

    app, stacks = build_app(deployment)
    app.synth()
    for stack in stacks:
        print(f"{stack.stack_id:<24} {stack.account_id} {stack.region}")
    print(f"\n{len(stacks)} stacks synthesized into {app.outdir}/stacks/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
