"""This repository's stacks: what etl.yaml declares, in every environment.

Add resources of your own to each stack here (``stack`` is an
:class:`~datalake_cdktf.stack.EtlStack`: name them with ``stack.prefix``, the only
names your deploy role may manage).
"""

from __future__ import annotations

from pathlib import Path

from datalake_cdktf.config import DeploymentConfig
from datalake_cdktf.engine import App
from datalake_cdktf.etl import build_etl_app
from datalake_cdktf.stack import EtlStack

ROOT = Path(__file__).resolve().parents[1]
ETL_FILE = ROOT / "etl.yaml"
"""What this repository deploys, and its name in the deployment (``repository:``)."""


def build_app(deployment: DeploymentConfig, outdir: str | Path | None = None) -> tuple[App, list[EtlStack]]:
    """One ``etl-<repository>-<env>`` stack per environment of ``deployment``."""
    return build_etl_app(ETL_FILE, deployment=deployment, outdir=outdir)
