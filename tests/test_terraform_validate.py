"""Terraform itself, with the real hashicorp/aws provider, accepts every synthesized stack."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.conftest import DEFAULT
from tests.support.tools import provider_mirror, terraform_binary, write_cli_config

STACK_IDS = ["central-bootstrap", *(f"{k}-{e.name}" for e in DEFAULT.environments for k in ("bootstrap", "datalake"))]


@pytest.fixture(scope="module")
def terraform(tmp_path_factory):
    """Run terraform offline: providers from the local mirror, no checkpoint calls."""
    binary = terraform_binary()
    mirror = provider_mirror()
    config = write_cli_config(tmp_path_factory.mktemp("terraform") / "terraform.rc", mirror)
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(config), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}

    def run(*args: str, cwd) -> subprocess.CompletedProcess:
        return subprocess.run([binary, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)

    return run


@pytest.mark.parametrize("stack_id", STACK_IDS)
def test_terraform_validates_the_stack(stacks, terraform, tmp_path, stack_id):
    workdir = tmp_path / stack_id
    shutil.copytree(stacks[stack_id].directory, workdir)
    # -backend=false: validation needs no state bucket (and no AWS credentials).
    init = terraform("init", "-backend=false", "-input=false", "-no-color", cwd=workdir)
    assert init.returncode == 0, init.stderr + init.stdout
    result = terraform("validate", "-json", "-no-color", cwd=workdir)
    report = json.loads(result.stdout)
    assert report["valid"] is True, json.dumps(report["diagnostics"], indent=2)
    assert report["warning_count"] == 0, json.dumps(report["diagnostics"], indent=2)
