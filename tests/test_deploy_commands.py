"""The pipeline's commands that need no cloud: the pull-request comment, against a local
stand-in for GitHub's REST API. (plan, apply, drift and update-pipeline run against the
emulator in tests/test_e2e_apply.py.)"""

from __future__ import annotations

import http.server
import json
import threading

import pytest
from datalake_cdktf.deploy import comment
from datalake_cdktf.plan_summary import MARKER


class FakeGitHub(http.server.ThreadingHTTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), FakeGitHubHandler)
        self.comments: list[dict] = [{"url": "x/1", "body": "LGTM, says a person"}]
        self.requests: list[tuple[str, str, str | None]] = []

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class FakeGitHubHandler(http.server.BaseHTTPRequestHandler):
    server: FakeGitHub

    def _reply(self, payload) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def do_GET(self):
        self.server.requests.append(("GET", self.path, self.headers["Authorization"]))
        self._reply(self.server.comments)

    def do_POST(self):
        self.server.requests.append(("POST", self.path, self.headers["Authorization"]))
        created = {"url": f"{self.server.api}/comment/{len(self.server.comments) + 1}", "body": self._body()["body"]}
        self.server.comments.append(created)
        self._reply(created)

    def do_PATCH(self):
        self.server.requests.append(("PATCH", self.path, self.headers["Authorization"]))
        (target,) = [c for c in self.server.comments if c["url"].endswith(self.path)]
        target["body"] = self._body()["body"]
        self._reply(target)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def github():
    server = FakeGitHub()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_summary_is_posted_once_and_updated_in_place(github):
    repository = "https://github.com/example-org/datalake-etl-sales.git"
    first = comment(f"{MARKER}\nplan one", repository_url=repository, trigger="pr/12", token="t0ken", api=github.api)
    second = comment(f"{MARKER}\nplan two", repository_url=repository, trigger="pr/12", token="t0ken", api=github.api)
    assert first == second, "the same comment, updated"
    ours = [c for c in github.comments if c["body"].startswith(MARKER)]
    assert [c["body"] for c in ours] == [f"{MARKER}\nplan two"]
    assert github.comments[0]["body"] == "LGTM, says a person", "nobody else's comment is touched"
    methods = [(method, path) for method, path, _ in github.requests]
    assert methods[:2] == [("GET", "/repos/example-org/datalake-etl-sales/issues/12/comments"), ("POST", methods[1][1])]
    assert methods[3][0] == "PATCH"
    assert {auth for _, _, auth in github.requests} == {"Bearer t0ken"}


def test_a_build_that_is_not_for_a_pull_request_is_refused(github):
    with pytest.raises(SystemExit, match="not a GitHub pull-request build"):
        comment("x", repository_url="https://github.com/o/r.git", trigger="branch/main", token="t", api=github.api)
