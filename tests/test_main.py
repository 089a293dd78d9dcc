"""The main job: `python main.py` synthesizes every stack and prints a summary; a bad
config stops it with one readable message and nothing synthesized."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEFAULT, expected_stacks

MAIN = Path(__file__).resolve().parents[1] / "main.py"
ENVS = MAIN.parent / "envs"


def run_main(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("DATALAKE_CONFIG_DIR", "CDKTF_OUTDIR")}
    return subprocess.run(
        [sys.executable, str(MAIN), *args],
        cwd=cwd,
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture(scope="module")
def lazy_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("main-lazy")
    return cwd, run_main(cwd)


def test_summary_lists_every_stack_with_its_account_state_key_and_resource_count(lazy_run):
    cwd, result = lazy_run
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["stack", "account", "region", "state", "key", "resources"]
    rows = {line.split()[0]: line.split() for line in lines[2:] if line.strip() and not line.startswith(" ")}
    expected = expected_stacks(DEFAULT)
    assert [r for r in rows if r in expected] == expected, result.stdout
    for stack_id in expected:
        _, account, region, state_key, count = rows[stack_id]
        stack_json = json.loads((cwd / "cdktf.out" / "stacks" / stack_id / "cdk.tf.json").read_text())
        assert int(count) == sum(len(v) for v in stack_json["resource"].values()), stack_id
        assert state_key == f"{stack_id}/terraform.tfstate"
        assert account == stack_json["provider"]["aws"][0]["allowed_account_ids"][0]
        assert region == stack_json["provider"]["aws"][0]["region"]
    assert f"{len(expected)} stacks synthesized" in result.stdout


def test_nothing_is_printed_on_stderr(lazy_run):
    _, result = lazy_run
    assert result.stderr.strip() == "", result.stderr


def test_a_bad_config_exits_2_with_one_readable_message_and_synthesizes_nothing(tmp_path):
    bad = tmp_path / "envs"
    shutil.copytree(ENVS, bad, ignore=shutil.ignore_patterns("*.py", "__pycache__", "schema"))
    test_env = bad / "environments" / "test.yaml"
    test_env.write_text(test_env.read_text().replace("vpc_cidr: 10.20.0.0/16", "vpc_cidr: 10.10.0.0/16"))
    result = run_main(tmp_path, "--config-dir", str(bad))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "envs/environments/test.yaml: vpc_cidr = '10.10.0.0/16': overlaps" in result.stderr, result.stderr
    assert "'dev'" in result.stderr, "the message names the other environment"
    assert result.stdout == ""
    assert not (tmp_path / "cdktf.out").exists()


def test_config_dir_can_come_from_the_environment(tmp_path):
    bad = tmp_path / "envs"
    bad.mkdir()
    result = run_main(tmp_path, DATALAKE_CONFIG_DIR=str(bad))
    assert result.returncode == 2
    assert "deployment.yaml: (file)" in result.stderr and "file not found" in result.stderr, result.stderr


def test_a_config_error_comes_back_before_the_engine_starts(tmp_path):
    """Validation runs before jsii and Node.js are loaded (the engine costs seconds)."""
    bad = tmp_path / "envs"
    bad.mkdir()
    probe = (
        "import sys, main\n"
        f"code = main.main(['--config-dir', {str(bad)!r}])\n"
        "loaded = sorted(m for m in ('jsii', 'cdktf', 'constructs', 'stacks') if m in sys.modules)\n"
        "print(code, loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=MAIN.parent, capture_output=True, text=True, check=False, timeout=60
    )
    assert result.stdout.strip() == "2 []", result.stdout + result.stderr
