"""Terraform, offline, for tests: found here, required in CI, skipped with a reason elsewhere.

Terraform installs the hashicorp/aws provider (the version the bindings were generated
from, :data:`AWS_PROVIDER_VERSION`) from a filesystem mirror, never from the network.
Where the mirror is, in this order:

1. ``$TF_PROVIDER_MIRROR``: a folder holding
   ``registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/`` (create one online with
   ``terraform providers mirror <dir>`` in a synthesized stack's folder);
2. your Terraform CLI config (``$TF_CLI_CONFIG_FILE``, else ``~/.terraformrc``), when a
   ``filesystem_mirror`` in it holds that version: it is used as it is;
3. Terraform's implied mirror folders (``~/.terraform.d/plugins``, ...) and any folder
   directly under ``/opt``.

For 1 and 3 the runner writes a CLI config of its own that installs hashicorp/aws from
the mirror and nothing from the network. CI runs with ``CI=true``: a missing Terraform
or mirror fails the test (:func:`unavailable`); elsewhere the test is skipped, and the
reason says what to install.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

__all__ = [
    "AWS_PROVIDER_VERSION",
    "MINIMUM_TERRAFORM",
    "MIRROR_VARIABLE",
    "provider_mirror",
    "terraform_binary",
    "terraform_runner",
    "unavailable",
    "user_cli_config",
    "validate",
    "write_cli_config",
]

AWS_PROVIDER_VERSION = "5.100.0"
"""What cdktf-cdktf-provider-aws==20.1.0 was generated from: the mirror must hold it."""
MIRROR_VARIABLE = "TF_PROVIDER_MIRROR"
"""Environment variable naming a filesystem mirror of the provider."""
MINIMUM_TERRAFORM = (1, 10)
"""S3-native state locking (``use_lockfile``) needs Terraform 1.10."""

# Where to look when neither $TF_PROVIDER_MIRROR nor the CLI config says: Terraform's own
# implied mirror directories on Linux and macOS, then any folder directly under /opt.
_IMPLIED_MIRRORS = (
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
    "/opt/*",
)
_FILESYSTEM_MIRROR = re.compile(r"filesystem_mirror\s*\{[^}]*?\bpath\s*=\s*\"([^\"]+)\"", re.DOTALL)


def unavailable(reason: str) -> NoReturn:
    """Fail the test in CI (``CI`` is 1, true or yes), skip it elsewhere; ``reason`` says
    what to install."""
    import pytest  # only tests call this

    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def terraform_binary() -> str:
    """``$TERRAFORM`` or ``terraform`` on PATH, at least :data:`MINIMUM_TERRAFORM`."""
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


def user_cli_config() -> Path | None:
    """Your Terraform CLI config (``$TF_CLI_CONFIG_FILE``, else ``~/.terraformrc``) when it
    exists and one of its ``filesystem_mirror`` blocks holds hashicorp/aws at the pinned
    version; else None."""
    configured = os.environ.get("TF_CLI_CONFIG_FILE")
    path = Path(configured) if configured else Path("~/.terraformrc").expanduser()
    if not path.is_file():
        return None
    mirrors = _FILESYSTEM_MIRROR.findall(path.read_text(errors="replace"))
    return path if any(_holds_aws_provider(Path(os.path.expanduser(m))) for m in mirrors) else None


def provider_mirror() -> Path:
    """Root of a filesystem mirror that holds hashicorp/aws at the pinned version
    (``$TF_PROVIDER_MIRROR``, else an implied mirror folder); :func:`unavailable` if none."""
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
        f"no filesystem mirror of hashicorp/aws {AWS_PROVIDER_VERSION} found: set ${MIRROR_VARIABLE} to one, or "
        "give your Terraform CLI config a filesystem_mirror that holds it (create one once, online, with "
        "`terraform providers mirror <dir>` in a synthesized stack folder)"
    )


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


def terraform_runner(workdir: Path, **extra_env: str) -> Callable[..., subprocess.CompletedProcess]:
    """``run(*args, cwd=..., env=None)``: the real Terraform, offline, providers from the
    mirror; ``env`` adds variables for one call (e.g. another principal's credentials).
    ``run.env`` is the environment it runs with (for other processes that run Terraform).

    Fails in CI (skips elsewhere) when Terraform or the mirror is missing."""
    binary = terraform_binary()
    if os.environ.get(MIRROR_VARIABLE) or not user_cli_config():
        config = write_cli_config(workdir / "terraform.rc", provider_mirror())
    else:
        config = user_cli_config()
    base_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "TF_CLI_CONFIG_FILE": str(config),
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        # The AWS provider's start-up (several per command) allocates heavily: with Go's
        # collector at 400% instead of 100%, `terraform validate` of central-bootstrap takes
        # 18% less CPU (5.96 s -> 4.87 s) for 521 -> 711 MB peak RSS of terraform + provider.
        # Behaviour is unchanged; set GOGC to override.
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


def validate(
    stack_dir: Path, workdir: Path, terraform: Callable[..., subprocess.CompletedProcess] | None = None
) -> str:
    """``terraform init -backend=false`` and ``terraform validate`` of a synthesized stack,
    in a copy of its folder under ``workdir`` (no state bucket, no AWS credentials needed).

    Returns "" when Terraform finds the stack valid without a warning, else what it said
    (the command and its output). ``terraform``: a :func:`terraform_runner` to reuse."""
    terraform = terraform or terraform_runner(workdir)
    copy = workdir / stack_dir.name
    shutil.copytree(stack_dir, copy)
    init = terraform("init", "-backend=false", "-input=false", cwd=copy)
    if init.returncode != 0:
        return f"terraform init -backend=false in {stack_dir.name}:\n{init.stdout[-3000:]}{init.stderr[-3000:]}"
    result = terraform("validate", "-json", cwd=copy)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        return f"terraform validate in {stack_dir.name}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
    if report.get("valid") is not True or report.get("warning_count", 0):
        return f"terraform validate in {stack_dir.name}:\n" + json.dumps(report.get("diagnostics"), indent=2)
    return ""
