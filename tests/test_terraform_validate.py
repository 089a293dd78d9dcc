"""Terraform itself, with the real hashicorp/aws provider, accepts every synthesized stack."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import DEFAULT, expected_stacks
from tests.support.tools import terraform_runner

STACK_IDS = [*expected_stacks(DEFAULT), *(f"etl-sales-{e.name}" for e in DEFAULT.environments)]


@pytest.fixture(scope="module")
def terraform(tmp_path_factory):
    return terraform_runner(tmp_path_factory.mktemp("terraform"))


@pytest.mark.parametrize("stack_id", STACK_IDS)
def test_terraform_validates_the_stack(all_stacks, terraform, tmp_path, stack_id):
    workdir = tmp_path / stack_id
    shutil.copytree(all_stacks[stack_id].directory, workdir)
    # -backend=false: validation needs no state bucket (and no AWS credentials).
    init = terraform("init", "-backend=false", "-input=false", cwd=workdir)
    assert init.returncode == 0, init.stderr + init.stdout
    result = terraform("validate", "-json", cwd=workdir)
    report = json.loads(result.stdout)
    assert report["valid"] is True, json.dumps(report["diagnostics"], indent=2)
    assert report["warning_count"] == 0, json.dumps(report["diagnostics"], indent=2)
