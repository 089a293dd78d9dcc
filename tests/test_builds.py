"""What a build installs that no repository brings: Terraform, pinned and checked.

The buildspec's install command (datalake_cdktf.builds.terraform_install, as every
pipeline's projects carry it) runs here in bash against a local HTTP server standing
for releases.hashicorp.com (the pipeline runner's builds keep the machine's Terraform
instead: tests/support/pipeline_runner.py, DIFFERENCES).
"""

from __future__ import annotations

import hashlib
import http.server
import io
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path

import pytest
from datalake_cdktf.builds import terraform_install
from datalake_cdktf.config import ConfigError, load_config
from datalake_cdktf.config.model import TerraformRelease

from tests.conftest import DEFAULT
from tests.support.configs import edited_config

VERSION = "1.12.2"
PLATFORM = {"x86_64": "linux_amd64", "aarch64": "linux_arm64"}[
    subprocess.check_output(["uname", "-m"], text=True).strip()
]


def release_zip(version: str) -> bytes:
    """A zip shaped like HashiCorp's: one executable ``terraform`` (a script that says its version)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("terraform")
        info.external_attr = 0o755 << 16
        archive.writestr(info, f"#!/bin/sh\necho 'Terraform v{version}'\necho 'on {PLATFORM}'\n")
    return buffer.getvalue()


@pytest.fixture
def releases():
    """releases.hashicorp.com on 127.0.0.1: serves one zip; records what was asked."""
    body = release_zip(VERSION)
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            if self.path != f"/terraform/{VERSION}/terraform_{VERSION}_{PLATFORM}.zip":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/terraform", hashlib.sha256(body).hexdigest(), asked
    finally:
        server.shutdown()
        server.server_close()


def install(release: TerraformRelease, home: Path, path: str = "/usr/bin:/bin") -> subprocess.CompletedProcess:
    """The install command as a build's shell runs it, on a PATH without this machine's Terraform."""
    script = terraform_install(release) + '\necho "installed: $(command -v terraform)"'
    return subprocess.run(
        ["bash", "-c", script], env={"HOME": str(home), "PATH": path}, capture_output=True, text=True, check=False
    )


def pinned(url: str, digest: str) -> TerraformRelease:
    return TerraformRelease(version=VERSION, sha256={PLATFORM: digest}, download_url=url)


def test_the_pinned_release_is_downloaded_checked_unpacked_and_kept_in_the_cache(releases, tmp_path):
    url, digest, asked = releases
    first = install(pinned(url, digest), tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"Terraform v{VERSION}" in first.stdout
    assert f"installed: {tmp_path}/.local/bin/terraform" in first.stdout
    assert (tmp_path / ".cache" / "terraform" / f"terraform_{VERSION}_{PLATFORM}.zip").is_file()
    shutil.rmtree(tmp_path / ".local")  # a new build: only the cache survives
    again = install(pinned(url, digest), tmp_path)
    assert again.returncode == 0 and f"Terraform v{VERSION}" in again.stdout, again.stderr
    assert len(asked) == 1, f"the second build downloads nothing: {asked}"


def test_a_download_that_does_not_have_the_pinned_checksum_is_refused_and_deleted(releases, tmp_path):
    url, digest, _ = releases
    tampered = digest[::-1]
    result = install(pinned(url, tampered), tmp_path)
    assert result.returncode != 0
    assert "does not have the pinned SHA-256" in result.stderr, result.stderr
    assert not (tmp_path / ".local" / "bin" / "terraform").exists(), "nothing unpacked"
    assert not list((tmp_path / ".cache" / "terraform").iterdir()), "the refused zip is not kept"


def test_a_platform_without_a_pinned_checksum_fails_before_downloading(releases, tmp_path):
    url, digest, asked = releases
    other = "linux_arm64" if PLATFORM == "linux_amd64" else "linux_amd64"
    result = install(TerraformRelease(version=VERSION, sha256={other: digest}, download_url=url), tmp_path)
    assert result.returncode != 0 and "add it to pipelines.terraform.sha256" in result.stderr, result.stderr
    assert not asked


def test_a_terraform_of_the_pinned_version_on_the_images_path_is_kept(releases, tmp_path):
    url, digest, asked = releases
    image = tmp_path / "image-bin"
    image.mkdir()
    (image / "terraform").write_text(f"#!/bin/sh\necho 'Terraform v{VERSION}'\n")
    (image / "terraform").chmod(0o755)
    result = install(pinned(url, digest), tmp_path / "home", path=f"{image}:/usr/bin:/bin")
    assert result.returncode == 0 and f"installed: {image}/terraform" in result.stdout, result.stderr
    assert not asked
    (image / "terraform").write_text("#!/bin/sh\necho 'Terraform v1.10.0'\n")  # another version: replaced
    result = install(pinned(url, digest), tmp_path / "home", path=f"{image}:/usr/bin:/bin")
    assert result.returncode == 0 and f"installed: {tmp_path}/home/.local/bin/terraform" in result.stdout
    assert len(asked) == 1


def with_terraform(tmp_path: Path, terraform: dict) -> Path:
    return edited_config(tmp_path / "envs", lambda root: root["pipelines"].update(terraform=terraform))


def test_another_terraform_version_needs_its_own_checksums(tmp_path):
    with pytest.raises(
        ConfigError, match=r"deployment.yaml: pipelines.terraform.sha256 .*terraform_1\.12\.2_SHA256SUMS"
    ):
        load_config(with_terraform(tmp_path, {"version": "1.12.2"}))


def test_a_checksum_that_differs_from_hashicorps_for_the_default_version_is_refused(tmp_path):
    wrong = {"version": "1.11.4", "sha256": {"linux_amd64": "0" * 64}}
    with pytest.raises(ConfigError, match=r"pipelines.terraform.sha256.*differs from HashiCorp's published"):
        load_config(with_terraform(tmp_path, wrong))


def test_a_download_url_that_could_inject_shell_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"pipelines.terraform.download_url"):
        load_config(with_terraform(tmp_path, {"download_url": "https://mirror.example.org/$(id)"}))


def test_a_build_the_run_starts_names_its_stage_and_no_other_build_does():
    from datalake_cdktf.builds import Build, Trigger

    with pytest.raises(ValueError, match="names its stage"):
        Build("check", "check {repository}", "setup", ("make check",))
    with pytest.raises(ValueError, match="names its stage"):
        Build("nightly", "check {repository}", "setup", ("make check",), trigger=Trigger.SCHEDULE, stage="Nightly")


@pytest.mark.parametrize("repository", DEFAULT.repositories.all, ids=lambda r: r.name)
def test_each_role_is_trusted_only_by_the_projects_of_the_builds_that_run_as_it(repository):
    """The table says which role a build runs as; the role's trust, its log groups and its
    caches follow it (the CodePipeline role runs no build: its services, no project)."""
    from datalake_cdktf.builds import BUILDS, run_as
    from datalake_cdktf.pipeline_access import Role, role_policies

    from stacks.environment_bootstrap import pipeline_access

    environment = DEFAULT.environments[0]
    access = pipeline_access(DEFAULT, environment, repository)
    policies = role_policies(access)
    assert sorted(b.name for role in Role for b in run_as(role)) == sorted(b.name for b in BUILDS), "one role each"
    for role, (trust, _) in policies.items():
        projects = {access.arn("codebuild", f"project/{access.project(b.name)}") for b in run_as(role)}
        trusted = {
            arn
            for statement in trust
            if statement["Principal"]["Service"] == "codebuild.amazonaws.com"
            for arn in statement["Condition"]["ArnLike"]["aws:SourceArn"]
        }
        assert trusted == projects, (role, trust)
    by_sid = {s["Sid"]: s for s in policies[Role.PULL_REQUEST][1]}
    (only,) = run_as(Role.PULL_REQUEST)
    assert by_sid["WriteItsBuildLogs"]["Resource"].endswith(f"/aws/codebuild/{access.project(only.name)}*"), by_sid
    assert by_sid["ItsOwnBuildCache"]["Resource"].endswith(f"/cache/{only.name}/*"), by_sid
