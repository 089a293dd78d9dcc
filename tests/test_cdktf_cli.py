"""`cdktf synth`, as users run it, goes through cdktf.json to the same app and output."""

from __future__ import annotations

import json
import os
import shutil
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


def test_the_npm_packages_install_whole_under_the_cdktf_cli(tmp_path):
    """`cdktf synth` runs cdktf.json's app (make synth, whose setup installs the npm packages
    when package-lock.json changed) with NODE_ENV=production, under which `npm ci` leaves
    out the devDependencies: the cdktf CLI itself. The Makefile's install keeps them. (The
    template's Makefile is checked where it runs anyway: make test-template installs with
    NODE_ENV=production.)"""
    checkout = ROOT
    if not shutil.which("npm"):
        unavailable("npm is not installed: install Node.js 20 or newer with npm")
    for name in ("Makefile", "package.json", "package-lock.json"):
        shutil.copy(checkout / name, tmp_path / name)
    marker = next(
        line.split(":", 1)[0]
        for line in subprocess.run(
            ["make", "-np"], cwd=tmp_path, capture_output=True, text=True, check=False
        ).stdout.splitlines()
        if line.startswith("node_modules/.installed-")
    )
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "check-prerequisites").symlink_to(ROOT / "scripts" / "check-prerequisites")
    env = {**os.environ, "NODE_ENV": "production"}
    result = subprocess.run(["make", marker], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "node_modules" / ".bin" / "cdktf").exists(), "the CLI is a devDependency"
