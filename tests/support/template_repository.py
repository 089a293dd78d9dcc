"""The template ETL repository (etl-template/) as another team has it: a Git repository
of its own, outside this tree, installing the library from a package index, run with
nothing of this repository's environment.

- :func:`copy_template` copies the template's files (the working tree's content of
  what Git tracks or would track there) into a folder of its own and commits them.
- :func:`use_served_wheel` makes the copy's lock accept the wheel a test's index serves
  (:mod:`tests.support.package_index`): the lock pins the hash of the released wheel,
  the index serves the one built from ``modules/`` now, so the copy's Pipfile.lock
  (only the copy's) gets the served wheel's hash, once the served version is checked to
  be the one the template pins.
- :func:`scrubbed_environment`: the machine's settings only (home, locale, certificates,
  proxies, pip's configuration, CI) and a PATH without this repository's tools; no
  virtual environment, PYTHONPATH, PIPENV_* or DATALAKE_* of ours.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

from tests.support.package_index import Distributions

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "etl-template"
LIBRARY = "datalake-cdktf"

# What a fresh machine's shell has that the template's commands may use: the user's home
# (pip's, npm's and pyenv's configuration and caches), locale, temporary folder, Java,
# certificates and proxies, pip's own settings, and CI.
_MACHINE = {"HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "TMPDIR", "TZ", "JAVA_HOME", "PYENV_ROOT"}
_MACHINE |= {"SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "CI"}
_MACHINE |= {f"{name}_proxy" for name in ("http", "https", "no", "all")}
_MACHINE |= {f"{name}_PROXY" for name in ("HTTP", "HTTPS", "NO", "ALL")}


def template_files() -> list[str]:
    """The template's files as a commit of the working tree would hold them (tracked, or
    new and not ignored), relative to etl-template/."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "etl-template"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    files = {str(Path(name).relative_to("etl-template")) for name in listed if name and (ROOT / name).is_file()}
    return sorted(files)


def git(repository: Path, *args: str) -> str:
    """``git <args>`` in ``repository`` (no user config needed); its output."""
    identity = ["-c", "user.name=Template test", "-c", "user.email=template@example.invalid"]
    result = subprocess.run(
        ["git", *identity, "-c", "commit.gpgsign=false", *args],
        cwd=repository,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"git {' '.join(args)} in {repository}:\n{result.stdout}{result.stderr}"
    return result.stdout


def copy_template(target: Path) -> Path:
    """The template's files in ``target`` (outside this repository), committed to a Git
    repository of its own on ``main``."""
    target = target.resolve()
    assert not target.is_relative_to(ROOT), f"{target} is inside {ROOT}: copy the template out of this tree"
    for name in template_files():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(TEMPLATE / name, target / name)
    git(target, "init", "--quiet", "--initial-branch=main")
    git(target, "add", "--all")
    git(target, "commit", "--quiet", "-m", "The ETL repository, from the template")
    return target


def _pin(entry: str | dict) -> str:
    return entry if isinstance(entry, str) else entry.get("version", "")


def use_served_wheel(repository: Path, dist: Distributions) -> None:
    """Replace the hashes of datalake-cdktf in ``repository``'s Pipfile.lock (every
    category) by the served wheel's, after checking that the Pipfile pins exactly the
    served version in each category, and so does the lock. AssertionError otherwise,
    with the fix."""
    pipfile = tomllib.loads((repository / "Pipfile").read_text())
    lock_path = repository / "Pipfile.lock"
    lock = json.loads(lock_path.read_text())
    wanted = f"=={dist.version}"
    fix = (
        f"modules/ builds {LIBRARY} {dist.version}: bump the template's pin (etl-template/Pipfile) to {wanted} "
        "and relock (`make lock` there, with DATALAKE_INDEX_URL naming an index that serves the new wheel)"
    )
    for section, category in (("packages", "default"), ("dev-packages", "develop")):
        if LIBRARY not in pipfile.get(section, {}):
            continue
        pin = _pin(pipfile[section][LIBRARY])
        assert pin == wanted, f"the template's Pipfile [{section}] pins {LIBRARY} {pin!r}, but {fix}"
        locked = lock.get(category, {}).get(LIBRARY)
        assert locked, f"the template's Pipfile.lock has no {LIBRARY} in {category!r}: relock it ({fix})"
        assert locked["version"] == wanted, f"the template's Pipfile.lock [{category}] has {locked['version']}: {fix}"
        locked["hashes"] = [f"sha256:{dist.wheel_sha256}"]
    assert LIBRARY in lock["default"], f"the template does not install {LIBRARY} from its index"
    lock_path.write_text(json.dumps(lock, indent=4, sort_keys=True) + "\n")


def scrubbed_environment(**settings: str) -> dict[str, str]:
    """The machine's own settings (see above), with ``PATH`` less every folder inside this
    repository (its .venv/, .tools/, node_modules/) and any active virtual environment,
    and ``settings`` on top."""
    inside = [ROOT]
    if os.environ.get("VIRTUAL_ENV"):
        inside.append(Path(os.environ["VIRTUAL_ENV"]))
    path = [
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry and not any(Path(entry).resolve().is_relative_to(folder.resolve()) for folder in inside)
    ]
    machine = {k: v for k, v in os.environ.items() if k in _MACHINE or k.startswith(("LC_", "PIP_"))}
    return {**machine, "PATH": os.pathsep.join(path), **settings}
