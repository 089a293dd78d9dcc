"""The library as another team gets it: built, installed from the wheel into a fresh
virtual environment outside this repository, used by the README's example in a project
of its own (with its own stacks/ and modules/ folders), synthesized and validated.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from email.parser import Parser
from pathlib import Path

import datalake_cdktf
import pytest
from datalake_cdktf.config import write_manifest
from datalake_cdktf.contract import CONTRACT_VERSION

from tests.conftest import DEFAULT
from tests.support.package_index import build_distributions, serve_index, sha256
from tests.support.tools import terraform_runner

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_MARKER = "<!-- example: consumer main.py"


def readme_example() -> str:
    """The Python block that follows the example marker in README.md."""
    text = (ROOT / "README.md").read_text()
    after = text[text.index(EXAMPLE_MARKER) :]
    match = re.search(r"```python\n(.*?)```", after, re.DOTALL)
    assert match, "README.md: the consumer example is a ```python block after the marker"
    return match.group(1)


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: int = 600):
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=timeout
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The wheel and the sdist, built from modules/ (no network: the backend is installed)."""
    out = tmp_path_factory.mktemp("dist")
    build_distributions(out)
    return out


@pytest.fixture(scope="module")
def consumer(dist, tmp_path_factory) -> tuple[Path, Path]:
    """A fresh venv with the wheel installed (its dependencies from the package index),
    and a consumer project: the README's main.py, its own stacks/ and modules/ packages."""
    base = tmp_path_factory.mktemp("consumer")
    venv = base / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=base)
    (wheel,) = dist.glob("*.whl")
    run(venv / "bin" / "pip", "install", "--quiet", "--disable-pip-version-check", wheel, cwd=base, timeout=900)
    project = base / "etl-sales"
    for folder in ("stacks", "modules"):  # the names every CDKTF Python project uses
        (project / folder).mkdir(parents=True)
        (project / folder / "__init__.py").write_text(f'OWNER = "the consumer project"  # its own {folder}\n')
    (project / "main.py").write_text(readme_example())
    (project / "cdktf.json").write_text(json.dumps({"language": "python", "app": "python main.py"}))
    write_manifest(DEFAULT, project / "deployment.json")
    return venv, project


def consumer_env() -> dict[str, str]:
    keep = ("PATH", "HOME", "JSII_NODE", "TMPDIR", "LANG")
    return {k: os.environ[k] for k in keep if k in os.environ} | {"CHECKPOINT_DISABLE": "1"}


def test_the_wheel_carries_the_version_the_package_reports_and_pins_the_engine(dist):
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    assert wheel.name == f"datalake_cdktf-{datalake_cdktf.__version__}-py3-none-any.whl"
    assert sdist.name == f"datalake_cdktf-{datalake_cdktf.__version__}.tar.gz"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = Parser().parsestr(
            archive.read(f"datalake_cdktf-{datalake_cdktf.__version__}.dist-info/METADATA").decode()
        )
    assert "datalake_cdktf/constructs/secure_bucket.py" in names and "datalake_cdktf/py.typed" in names
    assert "datalake_cdktf/engine/kernel_preload.js" in names, "the kernel's preload ships with the engine"
    assert not [n for n in names if n.startswith(("stacks/", "envs/", "tests/"))], "only the library is shipped"
    requires = metadata.get_all("Requires-Dist")
    assert "cdktf==0.21.0" in requires and "cdktf-cdktf-provider-aws==20.1.0" in requires, requires


def test_the_wheel_is_reproducible(dist, tmp_path):
    """The same tree builds the same bytes (hatchling fixes timestamps and order), so a
    wheel's hash names its content: a lock that pins it pins the library's code."""
    (wheel,) = dist.glob("*.whl")
    again = build_distributions(tmp_path / "again", sdist=False)
    assert again.wheel.name == wheel.name and sha256(again.wheel) == sha256(wheel)


def test_the_index_serves_only_the_wheel_by_pep_503(dist):
    (wheel,) = dist.glob("*.whl")
    with serve_index(wheel) as index:
        assert index.startswith("http://127.0.0.1:") and index.endswith("/simple/")
        root = urllib.request.urlopen(index).read().decode()
        assert '<a href="datalake-cdktf/">datalake-cdktf</a>' in root, root
        page = urllib.request.urlopen(index + "datalake-cdktf/").read().decode()
        link = re.search(r'href="([^"#]+)#sha256=([0-9a-f]{64})" data-requires-python="&gt;=3.11"', page)
        assert link and link.group(2) == sha256(wheel), page
        assert urllib.request.urlopen(urllib.parse.urljoin(index + "datalake-cdktf/", link.group(1))).read() == (
            wheel.read_bytes()
        )
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(index + "boto3/")
        assert missing.value.code == 404, "any other package comes from PyPI"
    assert index.requests[:2] == ["/simple/", "/simple/datalake-cdktf/"], index.requests


def test_the_readme_example_synthesizes_in_a_project_of_its_own(consumer):
    venv, project = consumer
    probe = (
        "import stacks, modules, datalake_cdktf, sys\n"
        f"assert stacks.__file__.startswith({str(project)!r}) and modules.__file__.startswith({str(project)!r})\n"
        f"assert not datalake_cdktf.__file__.startswith({str(ROOT)!r}), datalake_cdktf.__file__\n"
        "print(datalake_cdktf.__version__)\n"
    )
    assert run(venv / "bin" / "python", "-c", probe, cwd=project, env=consumer_env()).stdout.strip() == (
        datalake_cdktf.__version__
    )
    result = run(venv / "bin" / "python", "main.py", cwd=project, env=consumer_env())
    assert result.stderr.strip() == "", result.stderr
    produced = sorted(p.name for p in (project / "cdktf.out" / "stacks").iterdir())
    assert produced == sorted(f"etl-sales-{env.name}" for env in DEFAULT.environments)


def test_the_consumer_stack_deploys_through_its_repository_and_checks_the_contract_version(consumer):
    _, project = consumer
    for env in DEFAULT.environments:
        stack = json.loads((project / "cdktf.out" / "stacks" / f"etl-sales-{env.name}" / "cdk.tf.json").read_text())
        (aws,) = stack["provider"]["aws"]
        assert aws["profile"] == f"datalake-{env.name}-sales" and aws["allowed_account_ids"] == [env.account_id]
        assert stack["terraform"]["backend"]["s3"]["key"] == f"etl-sales-{env.name}/terraform.tfstate"
        versions = [
            d for d in stack["data"]["aws_ssm_parameter"].values() if d["name"].endswith("/datalake/contract/version")
        ]
        (version,) = versions
        (check,) = version["lifecycle"]["postcondition"]
        assert check["condition"] == f'${{contains(["{CONTRACT_VERSION}"], self.insecure_value)}}', check
        assert "Upgrade datalake-cdktf in this repository" in check["error_message"], check
        parameters = stack["resource"]["aws_ssm_parameter"].values()
        assert {p["name"] for p in parameters} == {
            f"/datalake/{env.name}/sales/input/bucket",
            f"/datalake/{env.name}/sales/output/database",
        }


def test_the_consumer_output_is_valid_terraform(consumer, tmp_path):
    _, project = consumer
    terraform = terraform_runner(tmp_path)
    for env in DEFAULT.environments:
        folder = project / "cdktf.out" / "stacks" / f"etl-sales-{env.name}"
        init = terraform("init", "-backend=false", "-input=false", cwd=folder)
        assert init.returncode == 0, init.stderr
        validate = terraform("validate", cwd=folder)
        assert validate.returncode == 0, validate.stdout + validate.stderr
