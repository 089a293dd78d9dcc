"""External tools the tests need: found here, required in CI, skipped with a reason elsewhere.

CI runs with ``CI=true``: a missing Terraform or provider mirror fails the run. On a
developer machine without them the tests that need them are skipped, and the reason
says what to install.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

AWS_PROVIDER_VERSION = "5.100.0"
"""What cdktf-cdktf-provider-aws==20.1.0 was generated from: the mirror must hold it."""
MIRROR_VARIABLE = "TF_PROVIDER_MIRROR"
MINIMUM_TERRAFORM = (1, 10)

# Where to look when $TF_PROVIDER_MIRROR is unset: Terraform's own implied mirror
# directories on Linux and macOS, then any folder directly under /opt.
_IMPLIED_MIRRORS = (
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
    "/opt/*",
)


def unavailable(reason: str) -> None:
    """Fail in CI, skip elsewhere; ``reason`` says what to install."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def terraform_binary() -> str:
    binary = shutil.which(os.environ.get("TERRAFORM") or "terraform")
    if not binary:
        unavailable("Terraform >= 1.10 is not installed: install it and put `terraform` on PATH (or set TERRAFORM)")
    output = subprocess.run([binary, "version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"Terraform v(\d+)\.(\d+)", output)
    if not match or tuple(map(int, match.groups())) < MINIMUM_TERRAFORM:
        unavailable(f"Terraform >= 1.10 is required for S3-native state locking; found: {output.strip()[:80]!r}")
    return binary


def _holds_aws_provider(root: Path) -> bool:
    return (root / "registry.terraform.io" / "hashicorp" / "aws" / AWS_PROVIDER_VERSION).is_dir()


def provider_mirror() -> Path:
    """Root of a filesystem mirror that holds hashicorp/aws at the pinned version."""
    configured = os.environ.get(MIRROR_VARIABLE)
    if configured:
        if not _holds_aws_provider(Path(configured)):
            unavailable(
                f"${MIRROR_VARIABLE}={configured} has no registry.terraform.io/hashicorp/aws/"
                f"{AWS_PROVIDER_VERSION}/: fill it with `terraform providers mirror {configured}`"
            )
        return Path(configured)
    for pattern in _IMPLIED_MIRRORS:
        for candidate in sorted(glob.glob(os.path.expanduser(pattern))):
            if _holds_aws_provider(Path(candidate)):
                return Path(candidate)
    unavailable(
        f"no filesystem mirror of hashicorp/aws {AWS_PROVIDER_VERSION} found: set ${MIRROR_VARIABLE} to one "
        "(create it once, online, with `terraform providers mirror <dir>` in a synthesized stack folder)"
    )
    raise AssertionError("unreachable")


def terraform_runner(workdir: Path, **extra_env: str):
    """``run(*args, cwd=..., env=None)``: the real Terraform, offline, providers from the
    mirror; ``env`` adds variables for one call (e.g. another principal's credentials).

    Fails in CI (skips elsewhere) when Terraform or the mirror is missing.
    """
    binary = terraform_binary()
    config = write_cli_config(workdir / "terraform.rc", provider_mirror())
    base_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "TF_CLI_CONFIG_FILE": str(config),
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        # The AWS provider's start-up (several per command) allocates heavily: with Go's
        # collector at 400% instead of 100%, `terraform validate` of central-bootstrap takes
        # 18% less CPU (5.96 s -> 4.87 s) for 521 -> 711 MB peak RSS of terraform + provider
        # (python benchmarks/terraform_gc.py). Behaviour is unchanged; set GOGC to override.
        "GOGC": os.environ.get("GOGC", "400"),
        **extra_env,
    }

    def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [binary, *args, "-no-color"],
            cwd=cwd,
            env={**base_env, **(env or {})},
            capture_output=True,
            text=True,
            check=False,
        )

    run.env = base_env  # for other processes that run Terraform (the project's deploy commands)
    return run


def write_cli_config(path: Path, mirror: Path) -> Path:
    """A Terraform CLI config that installs hashicorp/aws from ``mirror`` and nothing from the network."""
    path.write_text(
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/aws"]\n'
        "  }\n"
        "}\n"
    )
    return path


ROOT = Path(__file__).resolve().parents[2]


def node() -> str:
    """The Node.js that runs the jsii kernel: ``$JSII_NODE`` (scripts/with-pinned-node sets
    it to the pinned one) or the ``node`` on PATH."""
    found = os.environ.get("JSII_NODE") or shutil.which("node")
    if not found:
        unavailable("Node.js is not installed: install Node.js 22 or run `npm ci` (package-lock.json pins it)")
    return found


def asl_validator() -> list[str]:
    """The command of the pinned ``asl-validator`` (package.json), run on the pinned Node.js."""
    script = ROOT / "node_modules" / "asl-validator" / "dist" / "bin" / "asl-validator.js"
    if not script.is_file():
        unavailable("asl-validator is not installed: run `npm ci` (package.json pins it; Node.js 22 runs it)")
    return [node(), str(script)]
