"""The library as a team's package index serves it: the wheel built from ``modules/``,
behind a PEP 503 simple index on 127.0.0.1 (a free port, a thread of the test process).

An ETL repository installs ``datalake-cdktf`` from its team's index (the template's
Pipfile names it by ``$DATALAKE_INDEX_URL``); everything else comes from PyPI. The
tests stand in for that index with :func:`serve_index`, which serves exactly the
wheels it is given and answers 404 for any other project, so a dependency can only
come from PyPI through the normal index::

    dist = build_distributions(tmp_path)
    with serve_index(dist.wheel) as url:       # http://127.0.0.1:<port>/simple/
        ... DATALAKE_INDEX_URL=url pipenv sync ...

:func:`build_distributions` builds offline (``python -m build --no-isolation``: the
build backend, hatchling, is one of this repository's dev packages).
"""

from __future__ import annotations

import hashlib
import html
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.parser import Parser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zipfile import ZipFile

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / "modules"
"""The library's source tree (its pyproject.toml)."""
PROJECT = "datalake-cdktf"


@dataclass(frozen=True)
class Distributions:
    """What :func:`build_distributions` built: the wheel, the sdist (if asked for) and the
    version both carry."""

    wheel: Path
    sdist: Path | None
    version: str

    @property
    def wheel_sha256(self) -> str:
        return sha256(self.wheel)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_distributions(outdir: Path, *, sdist: bool = True, source: Path = MODULES) -> Distributions:
    """Build the wheel (and the sdist) of ``source`` into ``outdir``, without the network.

    Raises AssertionError with the build's output when it fails."""
    outdir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "build", "--no-isolation", "--wheel", *(["--sdist"] if sdist else [])]
    result = subprocess.run(
        [*command, "--outdir", str(outdir), str(source)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, f"{' '.join(command)} {source}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    (wheel,) = outdir.glob("*.whl")
    sdists = list(outdir.glob("*.tar.gz"))
    return Distributions(wheel=wheel, sdist=sdists[0] if sdist else None, version=wheel_version(wheel))


def wheel_version(wheel: Path) -> str:
    """The version in a wheel's metadata."""
    with ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(archive.read(name).decode())["Version"]


def _normalized(name: str) -> str:
    """PEP 503's normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _project_of(filename: str) -> str:
    return _normalized(filename.split("-", 1)[0])


def _requires_python(wheel: Path) -> str | None:
    with ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(archive.read(name).decode()).get("Requires-Python")


class ServedIndex(str):
    """The index's URL (a ``str``: ``http://127.0.0.1:<port>/simple/``), and the paths it
    was asked for (``requests``), in order."""

    requests: list[str]

    def __new__(cls, url: str, requests: list[str]) -> ServedIndex:
        served = super().__new__(cls, url)
        served.requests = requests
        return served


@contextmanager
def serve_index(*files: Path) -> Iterator[ServedIndex]:
    """A PEP 503 simple index of ``files`` (wheels) on 127.0.0.1 at a free port, until the
    ``with`` block ends. Yields its URL (ending in ``/simple/``); project pages list each
    file with its ``#sha256=`` and ``data-requires-python``; any other project is 404."""
    by_project: dict[str, dict[str, Path]] = {}
    for path in files:
        by_project.setdefault(_project_of(path.name), {})[path.name] = path
    pages = {"/simple/": _page("Simple index", {p: f"{p}/" for p in sorted(by_project)})}
    downloads: dict[str, Path] = {}
    for project, named in by_project.items():
        links = {}
        for filename, path in sorted(named.items()):
            links[filename] = f"../../files/{filename}#sha256={sha256(path)}"
            downloads[f"/files/{filename}"] = path
        requires = {name: _requires_python(path) for name, path in named.items()}
        pages[f"/simple/{project}/"] = _page(f"Links for {project}", links, requires)
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            requests.append(path)
            if path in pages:
                body, kind = pages[path].encode(), "text/html; charset=utf-8"
            elif path.rstrip("/") + "/" in pages:  # pip asks for /simple/<name>/ but be lenient
                body, kind = pages[path.rstrip("/") + "/"].encode(), "text/html; charset=utf-8"
            elif path in downloads:
                body, kind = downloads[path].read_bytes(), "application/octet-stream"
            else:
                self.send_error(404, "not served by this index: only the library is")
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:
            pass  # the requests are recorded instead

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="package-index", daemon=True)
    thread.start()
    try:
        yield ServedIndex(f"http://127.0.0.1:{server.server_address[1]}/simple/", requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _page(title: str, links: dict[str, str], requires_python: dict[str, str | None] | None = None) -> str:
    rows = []
    for text, href in links.items():
        requires = (requires_python or {}).get(text)
        attribute = f' data-requires-python="{html.escape(requires)}"' if requires else ""
        rows.append(f'    <a href="{html.escape(href)}"{attribute}>{html.escape(text)}</a><br/>')
    return (
        "<!DOCTYPE html>\n<html>\n  <head><title>{0}</title></head>\n  <body>\n    <h1>{0}</h1>\n{1}\n  </body>\n"
        "</html>\n"
    ).format(html.escape(title), "\n".join(rows))
