"""The emulator profile ($DATALAKE_EMULATOR): the same stacks, sent to local endpoints.

It must change where calls go and nothing else (accounts, roles, state keys, resources
stay what AWS gets), refuse any endpoint off this machine, and be absent by default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from datalake_cdktf.config import ConfigError
from datalake_cdktf.emulator import EMULATOR_VARIABLE, load_emulator_profile

from tests.conftest import DEFAULT
from tests.support.synth import synthesize, synthesize_etl

ROOT = Path(__file__).resolve().parents[1]
LOCAL = "http://127.0.0.1:4599"
SERVICES = ("iam", "kms", "s3", "sts", "ssm", "codebuild")
PROVIDER_KEYS = {"endpoints", "s3_use_path_style", "skip_credentials_validation", "skip_metadata_api_check"}
PROVIDER_KEYS |= {"skip_region_validation"}


def write_profile(folder: Path, endpoints: dict[str, str]) -> Path:
    path = folder / "emulator.json"
    path.write_text(json.dumps({"endpoints": endpoints}))
    return path


@pytest.fixture(scope="module")
def emulated(tmp_path_factory):
    """Every stack (the deployment's and the template's) under a profile."""
    folder = tmp_path_factory.mktemp("emulated")
    profile = write_profile(folder, dict.fromkeys(SERVICES, LOCAL))
    previous = os.environ.get(EMULATOR_VARIABLE)
    os.environ[EMULATOR_VARIABLE] = str(profile)
    try:
        return {**synthesize(DEFAULT, folder / "app"), **synthesize_etl(DEFAULT, folder / "etl")}
    finally:
        if previous is None:
            del os.environ[EMULATOR_VARIABLE]
        else:
            os.environ[EMULATOR_VARIABLE] = previous


def test_without_the_variable_no_stack_names_an_endpoint(all_stacks):
    assert EMULATOR_VARIABLE not in os.environ
    for stack_id, stack in all_stacks.items():
        for aws in stack.json["provider"]["aws"]:
            assert not PROVIDER_KEYS & set(aws), stack_id
        assert "endpoints" not in stack.json["terraform"]["backend"].get("s3", {}), stack_id


def test_the_profile_redirects_every_provider_and_backend_and_changes_nothing_else(emulated, all_stacks):
    assert sorted(emulated) == sorted(all_stacks)
    for stack_id, stack in emulated.items():
        plain = all_stacks[stack_id].json
        providers = stack.json["provider"]["aws"]
        for aws, original in zip(providers, plain["provider"]["aws"], strict=True):
            assert aws["endpoints"] == [dict.fromkeys(sorted(SERVICES), LOCAL)], stack_id
            assert aws["s3_use_path_style"] is True, stack_id
            # the same account, the same role chain: only where calls go differs
            assert {k: v for k, v in aws.items() if k not in PROVIDER_KEYS} == original, stack_id
        backend = stack.json["terraform"]["backend"]
        if "s3" in backend:
            assert backend["s3"]["endpoints"] == {"iam": LOCAL, "s3": LOCAL, "sts": LOCAL}, stack_id
            assert backend["s3"]["key"] == plain["terraform"]["backend"]["s3"]["key"], stack_id
        without_providers = {k: v for k, v in stack.json.items() if k not in ("provider", "terraform", "//")}
        plain_without = {k: v for k, v in plain.items() if k not in ("provider", "terraform", "//")}
        assert without_providers == plain_without, stack_id


@pytest.mark.parametrize(
    ("endpoints", "field", "message"),
    [
        ({"s3": "http://10.0.0.5:4566", "sts": LOCAL, "iam": LOCAL}, "endpoints", "is not on this machine"),
        ({"s3": "https://s3.amazonaws.com", "sts": LOCAL, "iam": LOCAL}, "endpoints", "is not on this machine"),
        ({"s3": LOCAL}, "endpoints", "name sts, iam too"),
    ],
)
def test_a_profile_that_could_reach_another_host_or_lose_the_state_is_refused(tmp_path, endpoints, field, message):
    profile = write_profile(tmp_path, endpoints)
    with pytest.raises(ConfigError) as raised:
        load_emulator_profile({EMULATOR_VARIABLE: str(profile)})
    text = str(raised.value)
    assert str(profile) in text and field in text and message in text, text


def test_a_missing_profile_file_is_named_with_the_fix(tmp_path):
    with pytest.raises(ConfigError, match=r"cannot read it .*unset it or fix the path"):
        load_emulator_profile({EMULATOR_VARIABLE: str(tmp_path / "nowhere.json")})


def test_main_refuses_a_bad_profile_before_the_engine_starts(tmp_path):
    profile = write_profile(tmp_path, {"s3": "http://example.com", "sts": LOCAL, "iam": LOCAL})
    code = (
        "import sys, main\n"
        "status = main.main([])\n"
        "assert 'jsii' not in sys.modules, 'the engine was loaded'\n"
        "sys.exit(status)\n"
    )
    env = {**os.environ, EMULATOR_VARIABLE: str(profile), "CDKTF_OUTDIR": str(tmp_path / "out")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert "Invalid emulator profile" in result.stderr and "is not on this machine" in result.stderr
    assert not (tmp_path / "out").exists()
