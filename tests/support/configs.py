"""Other deployments than envs/: a copy of it, edited, for tests of how config scales."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from main import CONFIG_DIR


def edited_config(folder: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """envs/ copied to ``folder`` (its schemas left out), ``edit`` applied to its
    deployment.yaml (a dict, changed in place): the folder."""
    shutil.copytree(CONFIG_DIR, folder, ignore=shutil.ignore_patterns("schema"))
    root = yaml.safe_load((folder / "deployment.yaml").read_text())
    edit(root)
    (folder / "deployment.yaml").write_text(yaml.safe_dump(root))
    return folder


def four_environments(folder: Path, **qa: Any) -> Path:
    """The default deployment with a fourth environment ``qa`` (a copy of test's, in
    account 555555555555 on branch qa, 10.40.0.0/16, and ``qa``'s other fields) and a
    second ETL repository, ``marketing``."""

    def add(root: dict[str, Any]) -> None:
        root["environments"].append("qa")
        root["repositories"]["etl"].append(
            {
                "name": "marketing",
                "full_repository_id": "example-org/etl-marketing",
                "pull_request_token": "datalake/marketing/pull-request-token",
            }
        )

    edited_config(folder, add)
    environment = yaml.safe_load((folder / "environments" / "test.yaml").read_text())
    environment.update(account_id="555555555555", branch="qa", vpc_cidr="10.40.0.0/16", **qa)
    (folder / "environments" / "qa.yaml").write_text(yaml.safe_dump(environment))
    return folder
