"""Dev of the default deployment on this machine, as its runbook deploys it: a local AWS
(tests/support/emulator.py), a Git host with the deployment's repositories
(tests/support/git_host.py), the library served from a package index
(tests/support/package_index.py), and CodePipeline and CodeBuild running what is
deployed (tests/support/pipeline_runner.py).

The end-to-end tests (tests/test_e2e_apply.py) and the pipeline benchmark
(benchmarks/pipeline.py) both start here::

    with Sandbox(workdir) as sandbox:
        sandbox.administer()                 # the administrator's runbook commands
        run = sandbox.push(INFRA, {}, "deploy dev").succeeded()

- The infrastructure repository is this repository as a deployment has it: a Git
  repository of its own holding the working tree's files, whose envs/ names the package
  index the sandbox serves the library from (the only change).
- The sales ETL repository is the template, copied out of this tree into a repository of
  its own (:func:`~tests.support.template_repository.copy_template`), with the served
  wheel's hash in its lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from datalake_cdktf.config.model import Repository

from tests.conftest import DEFAULT
from tests.support.emulator import Emulator, running_emulator
from tests.support.git_host import GitHost, GitHostApi, running_api
from tests.support.package_index import Distributions, build_distributions, serve_index
from tests.support.pipeline_runner import Execution, Runner
from tests.support.template_repository import copy_template, use_served_wheel
from tests.support.tools import terraform_binary, terraform_runner, unavailable

ROOT = Path(__file__).resolve().parents[2]
CENTRAL = DEFAULT.central.account_id
DEV = DEFAULT.environment("dev")
INFRA = DEFAULT.repositories.infrastructure
(SALES,) = DEFAULT.repositories.etl
TOKEN_VALUE = "e2e-pull-request-token-value"
"""The start of each repository's comment token's value (its name follows), stored in
Secrets Manager by the administrator (never in a log)."""
CLI = ROOT / "node_modules" / ".bin" / "cdktf"
ADMINISTRATOR_DEPLOYS = (
    # the runbook's commands, as an administrator types them
    ("central-bootstrap",),  # first apply: creates the state bucket (local state)
    ("central-bootstrap", "bootstrap-dev", "pipeline-*-dev"),
)


def pipeline_name(repository: Repository) -> str:
    return DEFAULT.label(DEV).name(repository.name)


class Sandbox(contextlib.ExitStack):
    """Everything dev needs on this machine, started on entry and stopped on exit.

    Attributes: ``emulator``, ``admin`` (the central administrator's credentials),
    ``terraform`` (the real Terraform, offline), ``library`` (the served wheel) and
    ``index`` (its URL), ``git`` and ``git_api`` (the Git host), ``infrastructure`` (the
    infrastructure repository's checkout), ``runner``."""

    def __init__(self, workdir: Path, echo: Callable[[str], None] = print):
        super().__init__()
        self.workdir = workdir
        self.echo = echo

    def __enter__(self) -> Sandbox:
        super().__enter__()
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.emulator: Emulator = self.enter_context(running_emulator(CENTRAL))
        self.admin = self._administrator()
        self.terraform = terraform_runner(
            self._folder("cli"), AWS_REGION=DEV.region, **self.admin, **self.emulator.terraform_env()
        )
        self.library: Distributions = build_distributions(self._folder("dist"), sdist=False)
        self.index: str = self.enter_context(serve_index(self.library.wheel))
        self.git = GitHost(self._folder("git-host"))
        self.git_api: GitHostApi = self.enter_context(running_api())
        for repository in DEFAULT.repositories.all:  # each token is the comment bot of its repository
            self.git_api.users[f"{TOKEN_VALUE}-{repository.name}"] = f"datalake-bot-{repository.name}"
        self.infrastructure = self._infrastructure_repository()
        profile = self.emulator.write_profile(self.workdir / "emulator.json")
        environment = {  # DIFFERENCES "network"
            "DATALAKE_EMULATOR": str(profile),
            "TF_CLI_CONFIG_FILE": self.terraform.env["TF_CLI_CONFIG_FILE"],
            "HTTP_PROXY": self.emulator.proxy,  # S3 Control's host-prefixed calls (gap 4)
            "NO_PROXY": "127.0.0.1,localhost",
        }
        infra_test = DEFAULT.label(DEV).repository_prefix(INFRA.name) + "test"
        self.runner = Runner(
            self.emulator,
            self.git,
            self._folder("runner"),
            account_id=CENTRAL,
            environment=environment,
            substitutions={infra_test: {"make test": "make -n test"}},  # DIFFERENCES "substitution"
            git_api=self.git_api.url,
            echo=self.echo,
        )
        self.callback(self.runner.close)

    def _folder(self, name: str) -> Path:
        folder = self.workdir / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _administrator(self) -> dict[str, str]:
        """An administrator of the central account, who can assume each environment's
        admin role, and has stored the pull-request comment token under its name."""
        iam = self.emulator.client("iam", CENTRAL)
        iam.create_user(UserName="admin")
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "sts:AssumeRole"}
            ],
        }
        self.emulator.client("iam", DEV.account_id).create_role(
            RoleName=DEV.admin_role_name, AssumeRolePolicyDocument=json.dumps(trust)
        )
        for repository in DEFAULT.repositories.all:  # each repository's own token, by the name envs/ gives
            self.emulator.client("secretsmanager", CENTRAL).create_secret(
                Name=repository.pull_request_token, SecretString=f"{TOKEN_VALUE}-{repository.name}"
            )
        return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}

    def _infrastructure_repository(self) -> Path:
        """The deployment's infrastructure repository on the Git host (dev's branch): this
        repository's working tree, with envs/ naming the served package index."""
        checkout = self._folder("infrastructure") / "datalake-infrastructure"
        for name in working_tree():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, checkout / name)
        root = checkout / "envs" / "deployment.yaml"
        config = yaml.safe_load(root.read_text())
        config.setdefault("pipelines", {})["package_index"] = str(self.index)
        root.write_text(yaml.safe_dump(config, sort_keys=False))
        self.git.create(INFRA.full_repository_id, checkout, branch=DEV.branch, message="the deployment")
        return checkout

    # The runbook ---------------------------------------------------------------------

    def administer(self, step: int, out: Path, log: Path) -> subprocess.CompletedProcess:
        """The administrator's ``step``-th runbook command (ADMINISTRATOR_DEPLOYS), with the
        infrastructure repository's config, into ``out``."""
        if not CLI.exists():
            unavailable(
                "the cdktf CLI is not installed: run `make setup-dev` (npm ci installs it from package-lock.json)"
            )
        stacks = ADMINISTRATOR_DEPLOYS[step]
        command = [str(CLI), "deploy", *stacks, "--auto-approve", "--output", str(out)]
        # --skip-provider-lock: Terraform installs the provider from the local mirror and may
        # not ask the registry for other platforms' checksums (there is no network here).
        command += ["--skip-provider-lock", "--parallelism", "4"]
        env = {
            **self.terraform.env,
            "DATALAKE_CONFIG_DIR": str(self.infrastructure / "envs"),  # the repository's config
            "DATALAKE_EMULATOR": str(self.workdir / "emulator.json"),
            "DATALAKE_BOOTSTRAP_LOCAL_STATE": "1",  # central-bootstrap keeps its state on disk here
            "TERRAFORM_BINARY_NAME": terraform_binary(),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "FORCE_COLOR": "0",
            "CI": "1",  # cdktf's plain line-per-event output, as in a build log, on a terminal too
        }
        return run_logged(command, cwd=ROOT, env=env, log=log, timeout=1200)

    def push(self, repository: Repository, changes: dict[str, str | None], message: str) -> Execution:
        """Commit ``changes`` to ``repository``'s dev branch: the run of its pipeline that starts."""
        return self.started(
            repository, lambda: self.git.commit(repository.full_repository_id, DEV.branch, changes, message)
        )

    def push_template(self, clone: Path) -> Execution:
        """The template as its team starts it: a copy out of this tree in ``clone`` (a
        repository of its own) with the served wheel's hash in its lock, pushed to the Git
        host as the sales repository: the run that starts."""

        def push() -> str:
            copy_template(clone)
            use_served_wheel(clone, self.library)
            return self.git.create(SALES.full_repository_id, clone, branch=DEV.branch, message="the sales repository")

        return self.started(SALES, push)

    def started(self, repository: Repository, push: Callable[[], object]) -> Execution:
        """The run of ``repository``'s dev pipeline that ``push()`` starts."""
        pipeline = pipeline_name(repository)
        before = len(self.runner.executions_of(pipeline))
        push()
        deadline = time.monotonic() + 60
        while len(self.runner.executions_of(pipeline)) == before:
            if time.monotonic() > deadline:
                raise AssertionError(f"the push started no run of {pipeline}")
            time.sleep(0.2)
        return self.runner.executions_of(pipeline)[before]

    def credentials(self, repository: Repository | None, role: str | None = None) -> dict[str, str]:
        """A session of ``repository``'s dev pipeline role (or of ``role``) in the central
        account, as CodeBuild gets it (in the environment rather than at its endpoint)."""
        admin = self.admin
        sts = self.emulator.client(
            "sts", CENTRAL, key=admin["AWS_ACCESS_KEY_ID"], secret=admin["AWS_SECRET_ACCESS_KEY"]
        )
        role = role or DEFAULT.pipeline_role_arn(DEV, repository)
        session = sts.assume_role(RoleArn=role, RoleSessionName="codebuild")["Credentials"]
        return {
            "AWS_ACCESS_KEY_ID": session["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": session["SecretAccessKey"],
            "AWS_SESSION_TOKEN": session["SessionToken"],
        }

    def stack_env(self, repository: Repository, role: str = "deploy") -> dict[str, str]:
        """What a build that plans (``role`` "plan": a session of the code's role) or applies
        (``role`` "deploy": a session of the apply role) ``repository``'s dev stack works
        with: that session, and the AWS config that maps the stacks' profile to ``role`` in
        dev (from the session in the environment, where a build has it at its endpoint)."""
        central = DEFAULT.apply_role_arn if role == "deploy" else DEFAULT.pipeline_role_arn
        target = {"deploy": DEFAULT.deploy_role_arn, "plan": DEFAULT.plan_role_arn}[role](DEV, repository)
        config = self._folder("aws-config") / f"{repository.name}-{role}"
        profile = DEFAULT.label(DEV).profile(repository.name)
        config.write_text(f"[profile {profile}]\nrole_arn = {target}\ncredential_source = Environment\n")
        return {**self.credentials(None, role=central(DEV, repository)), "AWS_CONFIG_FILE": str(config)}


def working_tree() -> list[str]:
    """This repository's files as a commit of its working tree would hold them."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    return [name for name in listed if name and (ROOT / name).is_file()]


def run_logged(
    command: list[str], *, cwd: Path, env: dict[str, str], log: Path, timeout: float
) -> subprocess.CompletedProcess:
    """``subprocess.run`` with stderr merged into stdout, killed after ``timeout`` seconds;
    each line also goes to ``log`` as it comes, with its seconds since the start (for
    when a step fails or is slow: the log is there even if the run is killed)."""
    started = time.monotonic()
    lines: list[str] = []
    log.parent.mkdir(parents=True, exist_ok=True)
    with (
        log.open("w") as stamped,
        subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as process,
    ):
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            for line in process.stdout:
                lines.append(line)
                stamped.write(f"{time.monotonic() - started:7.1f}s {line}")
        finally:
            killer.cancel()
        returncode = process.wait()
    return subprocess.CompletedProcess(command, returncode, "".join(lines), "")
