"""Every name a deployment and an etl.yaml imply is checked before the engine starts.

Generated deployments (project, environment and repository names across their allowed
lengths, regions, one to four environments, one or two ETL repositories) with an
``etl.yaml`` (the template's, its jobs and helper renamed across their allowed
lengths): each either fails with a config error that names a file and a field, raised
before the engine would start, or synthesizes with every physical name within the limit
of the AWS service that holds it (tests/support/physical_names.py: AWS's limits, not
the library's).
"""

from __future__ import annotations

import shutil
import string
import tempfile
from pathlib import Path
from typing import Any

import datalake_cdktf.etl
import pytest
import yaml
from datalake_cdktf.config import ConfigError, load_config
from datalake_cdktf.etl import build_etl_app
from hypothesis import HealthCheck, Phase, example, given, settings, target
from hypothesis import strategies as st

from main import CONFIG_DIR
from tests.support.configs import edited_config
from tests.support.physical_names import too_long
from tests.support.synth import ETL_TEMPLATE, synthesize, synthesize_etl

REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-2", "eu-central-1", "ca-central-1")


def name(low: int, high: int, *, hyphens: bool = True) -> st.SearchStrategy[str]:
    """A name of ``low``..``high`` characters as the schema allows: a letter first, then
    letters and digits (and '-' inside, where ``hyphens``); the longest lengths, where
    limits are met, drawn as often as all the others."""
    inner = string.ascii_lowercase + string.digits + ("-" if hyphens else "")
    lengths = st.one_of(st.integers(low, high), st.integers(max(low, high - 4), high))
    return lengths.flatmap(
        lambda n: st.tuples(
            st.sampled_from(string.ascii_lowercase),
            st.text(inner, min_size=n - 2, max_size=n - 2),
            st.sampled_from(string.ascii_lowercase + string.digits),
        ).map(lambda parts: "".join(parts)[:n])
    )


@st.composite
def deployments(draw) -> dict[str, Any]:
    environments = draw(st.lists(name(2, 10, hyphens=False), min_size=1, max_size=4, unique=True))
    etl = draw(st.lists(name(2, 24), min_size=1, max_size=2, unique=True))
    return {
        "project": draw(name(2, 16)),
        "central_region": draw(st.sampled_from(REGIONS)),
        "environments": [(env, draw(st.sampled_from(REGIONS))) for env in environments],
        "infrastructure": draw(name(2, 24)),
        "etl": etl,
        "jobs": draw(st.lists(name(2, 24), min_size=3, max_size=3, unique=True)),
    }


def write(folder: Path, d: dict[str, Any]) -> tuple[Path, Path]:
    """The deployment ``d`` describes, as envs/ files, and the template with its jobs and
    helper renamed: (config folder, etl.yaml)."""

    def edit(root: dict[str, Any]) -> None:
        root["project"]["name"] = d["project"]
        root["central"]["region"] = d["central_region"]
        root["environments"] = [env for env, _ in d["environments"]]
        root["repositories"]["infrastructure"]["name"] = d["infrastructure"]
        root["repositories"]["etl"] = [
            {"name": r, "full_repository_id": f"example-org/{r}", "pull_request_token": f"tokens/{r}"} for r in d["etl"]
        ]

    config = edited_config(folder / "envs", edit)
    for path in (config / "environments").iterdir():
        path.unlink()
    model = yaml.safe_load((CONFIG_DIR / "environments" / "test.yaml").read_text())
    for i, (env, region) in enumerate(d["environments"]):
        model.update(
            account_id=f"2000000000{i:02d}",
            region=region,
            branch=env,
            vpc_cidr=f"10.{10 * (i + 1)}.0.0/16",
            availability_zones=[f"{region}a", f"{region}b"],
        )
        (config / "environments" / f"{env}.yaml").write_text(yaml.safe_dump(model))

    repository = folder / "etl"
    shutil.copytree(ETL_TEMPLATE, repository, ignore=shutil.ignore_patterns(".*", "node_modules", "cdktf.out"))
    etl = yaml.safe_load((repository / "etl.yaml").read_text())
    renamed = dict(zip(["orders-conformed", "daily-sales", "validate-arrival"], d["jobs"], strict=True))
    etl["repository"] = d["etl"][0]
    for job in etl["jobs"]:
        job["name"] = renamed[job["name"]]
        job["after"] = [renamed[a] for a in job.get("after", ())]
    for function in etl["lambdas"]:
        function["name"] = renamed[function["name"]]
    etl["workflow"]["validate_with"] = renamed[etl["workflow"]["validate_with"]]
    (repository / "etl.yaml").write_text(yaml.safe_dump(etl, sort_keys=False))
    return config, repository / "etl.yaml"


class EngineWouldStart(Exception):
    """Raised in place of the engine: every check before it has passed."""


def assert_located(err: ConfigError, folder: Path) -> None:
    assert err.problems, err
    for problem in err.problems:
        assert problem.file.is_relative_to(folder) and problem.file.exists(), str(err)
        assert problem.field and problem.field != "(file)" and problem.message, str(err)


# The longest names the deployment accepts in eu-west-1 (a bucket of the environment and a
# pipeline's bucket at 63 characters) leave a job or helper 16 characters of its role's 64.
LONGEST = {
    "project": "p" * 16,
    "central_region": "eu-west-1",
    "environments": [("e" * 9, "eu-west-1")],
    "infrastructure": "infra",
    "etl": ["r" * 20],
    "jobs": ["j" * 24, "k" * 17, "l" * 16],
}
FITS = {**LONGEST, "jobs": ["j" * 16, "k" * 16, "l" * 16]}


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="names-") as folder:
        yield Path(folder)


# Each accepted example synthesizes two apps (seconds each), so a failure is reported as
# found, not shrunk (shrinking would synthesize hundreds more).
@settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@example(LONGEST)
@example(FITS)
@given(deployments())
def test_every_name_is_checked_before_the_engine_or_fits_its_service(workdir, monkeypatch, d):
    folder = Path(tempfile.mkdtemp(dir=workdir))
    config_dir, etl_file = write(folder, d)
    longest_role = len(d["project"]) + max(len(e) for e, _ in d["environments"]) + len(d["etl"][0])
    target(float(longest_role + max(len(j) for j in d["jobs"])), label="longest job role")
    try:
        config = load_config(config_dir)
    except ConfigError as err:
        assert_located(err, config_dir)
        return

    def engine(*_args, **_kwargs):
        raise EngineWouldStart

    with monkeypatch.context() as patch:
        patch.setattr(datalake_cdktf.etl, "new_app", engine)
        try:
            build_etl_app(etl_file, deployment=config)
        except ConfigError as err:
            assert_located(err, folder)
            return
        except EngineWouldStart:
            pass

    stacks = {**synthesize(config, folder / "out"), **synthesize_etl(config, folder / "etl-out", etl_file)}
    assert not too_long((stack_id, s.json) for stack_id, s in stacks.items())
    shutil.rmtree(folder)
