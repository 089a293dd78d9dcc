"""The template ETL repository works as a repository of its own, from its README alone.

Its files are copied out of this tree into a Git repository of their own; this
repository's ``envs/`` into another folder (a checkout of the infrastructure
repository); a package index on 127.0.0.1 serves the wheel built from ``modules/``
(the copy's lock gets its hash: it stands in for the release); then the commands of the
template README's ``commands`` block run in the copy, in order, with nothing of this
repository's environment (:func:`tests.support.template_repository.scrubbed_environment`):
the machine's settings, a Terraform CLI config for the provider mirror, and the two
variables the README exports. Each command's time is printed; a failure names the
command and shows the end of its output. Then a second checkout runs as a pipeline's
plan build does (pipenv and the virtual environment in a cache folder, runtime
packages only; warm, nothing installed again; a changed lock synced again).

Run by ``make test-template`` (``pytest -s tests/check_template_repository.py``), not by
``pytest tests/`` (its name does not start with ``test_``): it installs a repository's
worth of packages and takes minutes, beside the other parts of ``make test``.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from datalake_cdktf.checks.terraform import provider_mirror, terraform_binary, write_cli_config

from tests.conftest import DEFAULT
from tests.support.package_index import Distributions, ServedIndex, build_distributions, serve_index
from tests.support.template_repository import (
    ROOT,
    TEMPLATE,
    copy_template,
    git,
    scrubbed_environment,
    use_served_wheel,
)

COMMANDS_MARKER = "<!-- commands:"
EXPORTED = {"DATALAKE_INDEX_URL", "DATALAKE_DEPLOYMENT", "CHECKPOINT_DISABLE"}
"""What the README's block may export; the first two get this run's values."""
STACKS = sorted(f"etl-sales-{env.name}" for env in DEFAULT.environments)


def readme_commands() -> tuple[dict[str, str], list[str]]:
    """The ``sh`` block after the marker in the template's README: its exports, and its
    commands (comments dropped), in order."""
    text = (TEMPLATE / "README.md").read_text()
    assert COMMANDS_MARKER in text, "etl-template/README.md: mark its commands block with " + COMMANDS_MARKER
    match = re.search(r"```sh\n(.*?)```", text[text.index(COMMANDS_MARKER) :], re.DOTALL)
    assert match, "etl-template/README.md: the commands are a ```sh block after the marker"
    exports, commands = {}, []
    for line in match.group(1).splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            assert name in EXPORTED, f"the README exports {name}: set it here too, or drop it there"
            exports[name] = value
        elif line:
            commands.append(line)
    assert exports.keys() == EXPORTED, f"the README exports {sorted(exports)}, not {sorted(EXPORTED)}"
    return exports, commands


def run(command: str, cwd: Path, env: dict[str, str], log: Path, timings: list) -> str:
    """``command`` in ``cwd`` with ``env`` only (no shell); its output (stderr merged),
    also written to ``log``. Fails naming the command, with the end of its output."""
    started = time.monotonic()
    result = subprocess.run(
        shlex.split(command),
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
        timeout=1800,
    )
    seconds = time.monotonic() - started
    timings.append((command, seconds))
    log.write_text(result.stdout)
    print(f"  {command}: {seconds:.1f} s (exit {result.returncode}; output in {log})", flush=True)
    if result.returncode != 0:
        pytest.fail(
            f"`{command}` failed in {cwd} (exit {result.returncode}, {seconds:.0f} s); its output ends:\n"
            f"{result.stdout[-4000:]}",
            pytrace=False,
        )
    return result.stdout


@dataclass
class Workplace:
    copy: Path
    """The template as a repository of its own (its lock taking the served wheel, committed)."""
    env: dict[str, str]
    """What its commands run with: the machine's settings, the README's exports."""
    logs: Path
    index: ServedIndex
    dist: Distributions
    timings: list[tuple[str, float]] = field(default_factory=list)


def commit_served_wheel(repository: Path, dist: Distributions) -> None:
    """:func:`use_served_wheel`, committed (when it changed anything: modules/ changed
    since the lock was made), so that the run must leave the tree clean."""
    use_served_wheel(repository, dist)
    if git(repository, "status", "--porcelain"):
        git(repository, "commit", "--quiet", "--all", "-m", "CI: the wheel built from modules/ stands in")


@pytest.fixture(scope="module")
def workplace(tmp_path_factory):
    """The copy and what its commands run with; the index serves until the module ends."""
    if not (TEMPLATE / "Pipfile.lock").is_file():
        pytest.fail("etl-template has no Pipfile.lock: lock it (README.md, 'make lock')", pytrace=False)
    terraform_binary()  # Terraform and the mirror are required in CI, as the copy's tests need them
    config = write_cli_config(tmp_path_factory.mktemp("terraform") / "terraform.rc", provider_mirror())
    # The one source of truth, envs/, as a checkout of the infrastructure repository has it.
    deployment = shutil.copytree(ROOT / "envs", tmp_path_factory.mktemp("datalake-infrastructure") / "envs")
    copy = copy_template(tmp_path_factory.mktemp("etl-sales") / "repository")
    dist = build_distributions(tmp_path_factory.mktemp("dist"), sdist=False)
    logs = tmp_path_factory.mktemp("logs")
    with serve_index(dist.wheel) as index:
        commit_served_wheel(copy, dist)
        exports, _ = readme_commands()
        env = scrubbed_environment(
            TF_CLI_CONFIG_FILE=str(config),
            DATALAKE_INDEX_URL=index,
            DATALAKE_DEPLOYMENT=str(deployment),
            CHECKPOINT_DISABLE=exports["CHECKPOINT_DISABLE"],
            # A shell as servers often have it, and as `cdktf synth` runs its app: `npm ci`
            # then leaves out the devDependencies unless told otherwise (the cdktf CLI is one).
            NODE_ENV="production",
        )
        print(f"\nthe template as a repository of its own: {copy} (index {index}, library {dist.version})", flush=True)
        yield Workplace(copy, env, logs, index, dist)


@pytest.fixture(scope="module")
def outputs(workplace) -> dict[str, str]:
    """Each README command run in the copy, in order: its output. (A missing index fails
    first, with what to set.) Prints each command's time."""
    copy, env, logs, timings = workplace.copy, workplace.env, workplace.logs, workplace.timings
    without_index = {k: v for k, v in env.items() if k != "DATALAKE_INDEX_URL"}
    started = time.monotonic()
    refused = subprocess.run(
        ["make", "setup"], cwd=copy, env=without_index, capture_output=True, text=True, check=False, timeout=600
    )
    print(f"  make setup without DATALAKE_INDEX_URL: {time.monotonic() - started:.1f} s (installs pipenv)", flush=True)
    assert refused.returncode != 0, "make setup without DATALAKE_INDEX_URL must stop"
    assert "DATALAKE_INDEX_URL is not set: export it as the URL of the package index" in refused.stderr, (
        refused.stdout[-2000:] + refused.stderr[-2000:]
    )
    _, commands = readme_commands()
    results = {}
    for i, command in enumerate(commands):
        results[command] = run(command, copy, env, logs / f"{i}-{command.split()[-1]}.log", timings)
        if command == "make synth":  # the CLI writes the same folder: keep this one to compare
            (copy / "cdktf.out").rename(logs / "make-synth.out")
    total = sum(seconds for _, seconds in timings)
    print("  " + ", ".join(f"{c}: {s:.0f} s" for c, s in timings) + f"; total {total:.0f} s", flush=True)
    return results


def test_the_lock_names_the_index_by_its_variable_and_holds_no_address_or_credential():
    lock = json.loads((TEMPLATE / "Pipfile.lock").read_text())
    sources = {source["name"]: source["url"] for source in lock["_meta"]["sources"]}
    assert sources == {"pypi": "https://pypi.org/simple", "datalake": "${DATALAKE_INDEX_URL}"}, sources
    indexes = {(name, entry.get("index", "pypi")) for c in ("default", "develop") for name, entry in lock[c].items()}
    assert {name for name, index in indexes if index != "pypi"} == {"datalake-cdktf"}, "only it from the index"
    assert ("datalake-cdktf", "datalake") in indexes and ("datalake-cdktf", "pypi") not in indexes
    text = (TEMPLATE / "Pipfile.lock").read_text()
    assert re.findall(r"[a-z][a-z0-9+.-]*://[^\s\"]+", text) == ["https://pypi.org/simple"], "no other address"
    assert "@" not in text, "no credential (user:token@host)"


def test_a_served_version_the_template_does_not_pin_is_refused_with_the_fix(tmp_path):
    for name in ("Pipfile", "Pipfile.lock"):
        shutil.copy(TEMPLATE / name, tmp_path / name)
    before = (tmp_path / "Pipfile.lock").read_text()
    newer = Distributions(wheel=tmp_path / "datalake_cdktf-9.9.9-py3-none-any.whl", sdist=None, version="9.9.9")
    with pytest.raises(AssertionError, match=r"pins datalake-cdktf '==\d.*modules/ builds datalake-cdktf 9.9.9: bump"):
        use_served_wheel(tmp_path, newer)
    assert (tmp_path / "Pipfile.lock").read_text() == before, "nothing is changed then"


def test_make_test_runs_every_test_of_the_template_and_skips_none(outputs):
    summary = outputs["make test"].strip().splitlines()[-1]
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", summary)}
    assert counts.get("passed", 0) >= 18, summary
    assert not {"failed", "skipped", "xfailed", "xpassed", "error", "errors", "deselected"} & set(counts), summary
    assert "tests/test_stacks.py" in outputs["make test"], "the stacks' checks ran"


def test_the_library_came_from_the_index_and_not_from_this_tree(workplace, outputs):
    copy, env, index = workplace.copy, workplace.env, workplace.index
    assert any(p.startswith("/files/datalake_cdktf-") for p in index.requests), index.requests
    where = subprocess.run(
        [".tools/bin/pipenv", "run", "python", "-c", "import datalake_cdktf; print(datalake_cdktf.__file__)"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(copy)) and not where.startswith(str(ROOT)), where
    verify = subprocess.run(
        [".tools/bin/pipenv", "verify"], cwd=copy, env=env, capture_output=True, text=True, check=False
    )
    assert verify.returncode == 0, f"Pipfile.lock is not Pipfile's: run `make lock`\n{verify.stdout}{verify.stderr}"


def test_make_synth_writes_a_stack_for_every_environment(workplace, outputs):
    logs = workplace.logs
    assert f"{len(STACKS)} stacks synthesized" in outputs["make synth"], outputs["make synth"][-2000:]
    assert sorted(p.name for p in (logs / "make-synth.out" / "stacks").iterdir()) == STACKS


def test_the_cdktf_cli_synthesizes_the_same_stacks(workplace, outputs):
    copy, logs = workplace.copy, workplace.logs
    assert (copy / "node_modules" / ".bin" / "cdktf").exists(), "installed with NODE_ENV=production too"
    cli = copy / "cdktf.out" / "stacks"
    assert sorted(p.name for p in cli.iterdir()) == STACKS
    for stack in STACKS:
        made = json.loads((logs / "make-synth.out" / "stacks" / stack / "cdk.tf.json").read_text())
        assert json.loads((cli / stack / "cdk.tf.json").read_text()) == made, f"{stack}: the two synths differ"


def test_the_run_leaves_the_repository_clean(workplace, outputs):
    """.gitignore holds everything the commands generate, and no command edits a tracked file."""
    copy = workplace.copy
    assert (copy / ".venv").is_dir() and (copy / "node_modules").is_dir() and (copy / "cdktf.out").is_dir()
    assert git(copy, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_pipeline_build_installs_only_the_runtime_where_it_is_told_and_once(workplace, outputs, tmp_path):
    """As a plan or apply build runs it: a fresh checkout, pipenv and the virtual
    environment at stable paths of the build's cache (TOOLS, WORKON_HOME +
    PIPENV_CUSTOM_VENV_NAME, PIPENV_VENV_IN_PROJECT=0), `make synth` installing the
    runtime packages only (no test tools, no npm) and, warm, nothing, until the lock
    changes; ENV's stack named from etl.yaml, an unknown ENV refused with the
    environments there are."""
    env, logs, timings = workplace.env, workplace.logs, workplace.timings
    checkout = copy_template(tmp_path / "checkout")
    commit_served_wheel(checkout, workplace.dist)
    cache = tmp_path / "cache"
    build = {**env, "TOOLS": str(cache / "tools"), "WORKON_HOME": str(cache / "venvs")}
    build |= {"PIPENV_VENV_IN_PROJECT": "0", "PIPENV_CUSTOM_VENV_NAME": "etl-sales-plan"}
    first = run("make synth", checkout, build, logs / "build-synth-cold.log", timings)
    assert "pipenv sync" in first and "sync --dev" not in first and "npm" not in first, first[-2000:]
    venv = cache / "venvs" / "etl-sales-plan"
    assert (cache / "tools" / "bin" / "pipenv").is_file() and (venv / "bin" / "python").is_file()
    assert not [p for p in (".venv", ".tools", "node_modules") if (checkout / p).exists()], "all in the cache"
    installed = {p.name.split("-")[0].lower() for p in venv.glob("lib/python*/site-packages/*.dist-info")}
    assert {"datalake_cdktf", "cdktf", "botocore"} <= installed, sorted(installed)
    assert not {"pytest", "checkov", "parliament", "pyspark", "moto"} & installed, "no test tools in a plan build"
    warm = run("make synth", checkout, build, logs / "build-synth-warm.log", timings)
    assert "pipenv sync" not in warm and f"{len(STACKS)} stacks synthesized" in warm, warm[-2000:]
    lock = checkout / "Pipfile.lock"  # the same packages, other bytes: a laptop's lock changed by a pull
    lock.write_text(json.dumps(json.loads(lock.read_text()), indent=2) + "\n")
    git(checkout, "commit", "--quiet", "--all", "-m", "the lock, rewritten")
    changed = run("make synth", checkout, build, logs / "build-synth-new-lock.log", timings)
    assert "pipenv sync" in changed, "a changed lock syncs again"
    unknown = subprocess.run(
        ["make", "plan", "ENV=qa"], cwd=checkout, env=build, capture_output=True, text=True, check=False, timeout=600
    )
    assert unknown.returncode != 0, unknown.stdout[-2000:]
    assert "no environment 'qa' in the deployment: use one of dev, test, prod" in unknown.stderr, unknown.stderr
    assert git(checkout, "status", "--porcelain", "--untracked-files=all") == ""
