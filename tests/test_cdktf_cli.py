"""`cdktf synth`, as users run it, goes through cdktf.json to the same app and output."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.support.tools import unavailable

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "node_modules" / ".bin" / "cdktf"


def test_cdktf_synth_writes_the_same_stacks_as_main(stacks, tmp_path):
    if not CLI.exists():
        unavailable("the cdktf CLI is not installed: run `make setup` (npm ci installs it from package-lock.json)")
    output = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k not in ("DATALAKE_CONFIG_DIR", "CDKTF_OUTDIR")}
    result = subprocess.run(
        [str(CLI), "synth", "--output", str(output)],
        cwd=ROOT,
        env={**env, "CHECKPOINT_DISABLE": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    written = sorted(p.name for p in (output / "stacks").iterdir())
    assert written == sorted(stacks), written
    for stack_id, stack in stacks.items():
        assert json.loads((output / "stacks" / stack_id / "cdk.tf.json").read_text()) == stack.json, stack_id
