"""A Git host on this machine: bare repositories standing for GitHub (or CodeCommit), and a
stand-in for its REST API that records every request.

A push is a commit to a repository's branch; a pull request is a head branch and a base.
Whoever listens (the pipeline runner) hears each push and each pull request opened or
updated, as the host's webhooks and events would tell AWS.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GIT_ENV = {
    "GIT_AUTHOR_NAME": "e2e",
    "GIT_AUTHOR_EMAIL": "e2e@example.org",
    "GIT_COMMITTER_NAME": "e2e",
    "GIT_COMMITTER_EMAIL": "e2e@example.org",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(*args: str, cwd: Path, input: bytes | None = None) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True, input=input, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} in {cwd}: {result.stderr.decode()[-2000:]}")
    return result.stdout.decode()


@dataclass
class PullRequest:
    repository_id: str
    number: int
    head: str
    """The head branch."""
    base: str
    """The base branch (the environment's)."""
    actor: str = "1001"
    """The author's Git host account id (envs/ lists 1001 under pipelines.pull_request_authors)."""
    from_fork: bool = False


@dataclass
class GitHost:
    """Bare repositories under ``root``, by ``owner/name``."""

    root: Path
    push_listeners: list[Callable[[str, str, str], None]] = field(default_factory=list)
    """Called with (repository id, branch, commit) after each push."""
    pull_request_listeners: list[Callable[[PullRequest, str, str], None]] = field(default_factory=list)
    """Called with (pull request, event, head commit): event ``created`` or ``updated``."""
    pull_requests: list[PullRequest] = field(default_factory=list)

    def bare(self, repository_id: str) -> Path:
        return self.root / f"{repository_id}.git"

    def create(self, repository_id: str, files: Path, *, branch: str, message: str = "initial commit") -> str:
        """A new repository whose ``branch`` holds the files under ``files`` (its ``.git`` left out)."""
        bare = self.bare(repository_id)
        bare.parent.mkdir(parents=True, exist_ok=True)
        git("init", "--bare", "--quiet", f"--initial-branch={branch}", str(bare), cwd=self.root)
        with self._worktree(repository_id, None) as work:
            shutil.copytree(files, work, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))
            return self._commit_and_push(work, branch, message, repository_id)

    def commit(
        self,
        repository_id: str,
        branch: str,
        changes: dict[str, str | bytes | None],
        message: str,
        *,
        base: str | None = None,
    ) -> str:
        """Commit ``changes`` (path -> new content, ``None`` deletes) on ``branch`` (created
        from ``base`` if new) and push it: the commit id."""
        with self._worktree(repository_id, base or branch) as work:
            for path, content in changes.items():
                target = work / path
                if content is None:
                    target.unlink()
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                (target.write_bytes if isinstance(content, bytes) else target.write_text)(content)
            return self._commit_and_push(work, branch, message, repository_id)

    def read(self, repository_id: str, revision: str, path: str) -> str:
        return git("show", f"{revision}:{path}", cwd=self.bare(repository_id))

    def message(self, repository_id: str, revision: str) -> str:
        return git("log", "-1", "--format=%B", revision, cwd=self.bare(repository_id)).strip()

    def head(self, repository_id: str, branch: str) -> str:
        return git("rev-parse", f"refs/heads/{branch}", cwd=self.bare(repository_id)).strip()

    def archive(self, repository_id: str, revision: str) -> bytes:
        """The commit's files as a zip, without ``.git`` (CodePipeline's CODE_ZIP)."""
        result = subprocess.run(
            ["git", "archive", "--format=zip", revision],
            cwd=self.bare(repository_id),
            capture_output=True,
            check=True,
        )
        return result.stdout

    def clone(self, repository_id: str, revision: str, target: Path) -> str:
        """A clone at ``revision`` (CodeBuild's own checkout keeps ``.git``): the commit id."""
        git("clone", "--quiet", str(self.bare(repository_id)), str(target), cwd=self.root)
        if revision.startswith("refs/heads/"):
            revision = "origin/" + revision.removeprefix("refs/heads/")
        git("checkout", "--quiet", "--detach", revision, cwd=target)
        return git("rev-parse", "HEAD", cwd=target).strip()

    def open_pull_request(self, repository_id: str, head: str, base: str, **details: Any) -> PullRequest:
        """A pull request of ``head`` (a branch already pushed) into ``base``."""
        pull_request = PullRequest(repository_id, len(self.pull_requests) + 1, head, base, **details)
        self.pull_requests.append(pull_request)
        for listener in self.pull_request_listeners:
            listener(pull_request, "created", self.head(repository_id, head))
        return pull_request

    def _commit_and_push(self, work: Path, branch: str, message: str, repository_id: str) -> str:
        git("add", "--all", cwd=work)
        git("commit", "--quiet", "--allow-empty", "-m", message, cwd=work)
        git("push", "--quiet", "origin", f"HEAD:refs/heads/{branch}", cwd=work)
        commit = git("rev-parse", "HEAD", cwd=work).strip()
        for listener in self.push_listeners:
            listener(repository_id, branch, commit)
        for pull_request in self.pull_requests:
            if (pull_request.repository_id, pull_request.head) == (repository_id, branch):
                for listener in self.pull_request_listeners:
                    listener(pull_request, "updated", commit)
        return commit

    @contextmanager
    def _worktree(self, repository_id: str, revision: str | None) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="worktree-", dir=self.root) as folder:
            work = Path(folder) / "work"
            if revision is None:
                work.mkdir()
                git("init", "--quiet", cwd=work)
                git("remote", "add", "origin", str(self.bare(repository_id)), cwd=work)
            else:
                git("clone", "--quiet", "--branch", revision, str(self.bare(repository_id)), str(work), cwd=self.root)
            yield work


@dataclass
class ApiRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class GitHostApi(http.server.ThreadingHTTPServer):
    """The Git host's REST API (GitHub's issue comments and the token's user), on 127.0.0.1:
    each request is recorded (``requests``), comments are kept per repository and issue
    (``comments``) with their author, and a token is a user (``users``: token -> login);
    as on GitHub, a comment is edited by its author only."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ApiHandler)
        self.requests: list[ApiRequest] = []
        self.comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.users: dict[str, str] = {}
        self.lock = threading.Lock()

    def post(self, repository: str, number: int, login: str, body: str) -> dict[str, Any]:
        """A comment ``login`` writes on the pull request (a person, in a test)."""
        with self.lock:
            return self._created(repository, number, login, body)

    def _created(self, repository: str, number: int, login: str, body: str) -> dict[str, Any]:
        found = self.comments.setdefault((repository, number), [])
        created = {
            "id": sum(map(len, self.comments.values())) + 1,
            "url": f"{self.url}/repos/{repository}/issues/comments/{len(found) + 1}-{number}",
            "user": {"login": login},
            "body": body,
        }
        found.append(created)
        return created

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def comment(self, method: str, path: str, body: Any, authorization: str = "") -> tuple[int, Any]:
        login = self.users.get(authorization.removeprefix("Bearer "))
        if login is None:
            return 401, {"message": "Bad credentials"}
        path = path.split("?", 1)[0]
        parts = path.strip("/").split("/")
        with self.lock:
            if parts == ["user"] and method == "GET":
                return 200, {"login": login}
            if parts[:1] == ["repos"] and parts[3:4] == ["issues"] and parts[5:] == ["comments"]:
                key = ("/".join(parts[1:3]), int(parts[4]))
                if method == "GET":
                    return 200, self.comments.get(key, [])
                return 201, self._created(*key, login, body["body"])
            if parts[:1] == ["repos"] and parts[3:5] == ["issues", "comments"] and method == "PATCH":
                url = f"{self.url}{path}"
                for comments in self.comments.values():
                    for comment in comments:
                        if comment["url"] == url:
                            if comment["user"]["login"] != login:
                                return 403, {"message": "Must be the comment's author"}
                            comment["body"] = body["body"]
                            return 200, comment
            return 404, {"message": "Not Found"}


class _ApiHandler(http.server.BaseHTTPRequestHandler):
    server: GitHostApi

    def _answer(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.loads(raw) if raw else None
        self.server.requests.append(ApiRequest(self.command, self.path, dict(self.headers.items()), body))
        status, payload = self.server.comment(self.command, self.path, body, self.headers.get("Authorization", ""))
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def running_api() -> Iterator[GitHostApi]:
    api = GitHostApi()
    threading.Thread(target=api.serve_forever, daemon=True).start()
    try:
        yield api
    finally:
        api.shutdown()
        api.server_close()
