"""A valid config: the default files load as documented, every default stated in a
docstring or field description holds, and loaded config never changes."""

from __future__ import annotations

import ipaddress
import shutil
from pathlib import Path

import pytest
import yaml
from datalake_cdktf.config import CONFIG_DIR_VARIABLE, DeploymentConfig, Environment, load_config
from datalake_cdktf.config.model import Retention
from datalake_cdktf.naming import ZONES
from pydantic import BaseModel, ValidationError

from main import CONFIG_DIR

MINIMAL_DEPLOYMENT = {
    "project": {"name": "lake"},
    "central": {"account_id": "111111111111", "region": "eu-west-1"},
    "environments": ["dev"],
    "repositories": {
        "infrastructure": {"name": "infra", "full_repository_id": "org/infra", "pull_request_token": "lake/infra/t"},
        "etl": [{"name": "etl", "full_repository_id": "org/etl", "pull_request_token": "lake/etl/t"}],
    },
}
MINIMAL_ENVIRONMENT = {
    "account_id": "222222222222",
    "region": "eu-west-1",
    "branch": "main",
    "vpc_cidr": "10.10.0.0/16",
    "availability_zones": ["eu-west-1a", "eu-west-1b"],
}


def write_config(folder: Path, deployment: dict, environments: dict[str, dict]) -> Path:
    (folder / "environments").mkdir(parents=True)
    (folder / "deployment.yaml").write_text(yaml.safe_dump(deployment))
    for name, body in environments.items():
        (folder / "environments" / f"{name}.yaml").write_text(yaml.safe_dump(body))
    return folder


@pytest.fixture
def minimal(tmp_path) -> DeploymentConfig:
    """Only the required keys: everything else takes its default."""
    return load_config(write_config(tmp_path, MINIMAL_DEPLOYMENT, {"dev": MINIMAL_ENVIRONMENT}))


@pytest.fixture(scope="module")
def default() -> DeploymentConfig:
    return load_config(CONFIG_DIR)


# The default files.


def test_default_files_load(default):
    assert isinstance(default, DeploymentConfig)
    assert default.project.name == "datalake"
    assert default.central.account_id == "111111111111"


def test_environments_in_order_with_their_branches(default):
    assert [(e.name, e.branch) for e in default.environments] == [("dev", "main"), ("test", "test"), ("prod", "prod")]


def test_only_prod_is_production_and_it_requires_approval(default):
    prod = default.environment("prod")
    assert prod.is_production and prod.approval_required, prod
    assert [e.name for e in default.environments if e.is_production] == ["prod"]


def test_default_environments_each_have_their_own_account_and_range(default):
    accounts = [default.central.account_id, *(e.account_id for e in default.environments)]
    assert len(set(accounts)) == len(accounts), accounts
    cidrs = [e.vpc_cidr for e in default.environments]
    assert all(isinstance(c, ipaddress.IPv4Network) for c in cidrs), cidrs
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1 :]), cidrs


def test_environment_lookup_by_name(default):
    assert default.environment("test").name == "test"
    with pytest.raises(KeyError, match=r"no environment named 'qa'; known: \['dev', 'test', 'prod'\]"):
        default.environment("qa")


def test_repositories_all_lists_infrastructure_first(default):
    assert [r.name for r in default.repositories.all] == ["datalake-infra", "sales"]


# Defaults: each stated default has its own test (test_default), and explicit values win
# (test_explicit).


def test_default_retention(minimal):
    retention = minimal.environment("dev").retention
    assert retention == Retention()
    assert (retention.raw_days, retention.conformed_days, retention.purpose_built_days) == (None, None, None)
    assert retention.noncurrent_version_days == 90
    assert retention.access_log_days == 365


def test_default_environment_flags(minimal):
    env = minimal.environment("dev")
    assert env.protect_data is True
    assert env.approval_required is False
    assert env.production is False
    assert env.is_production is False
    assert env.admin_role_name == "OrganizationAccountAccessRole"


def test_defaults_of_tags_source_and_pipelines(minimal):
    assert minimal.tags == {}
    assert minimal.source.provider == "GitHub" and minimal.source.uses_connection
    assert minimal.pipelines.build_image == "aws/codebuild/amazonlinux-x86_64-standard:5.0"
    assert minimal.pipelines.drift_schedule == "cron(0 6 * * ? *)"
    assert minimal.pipelines.log_retention_days == 365
    assert minimal.pipelines.pull_request_comments is True


def test_explicit_values_win(default):
    dev = default.environment("dev")
    assert dev.protect_data is False
    assert dev.retention == Retention(
        raw_days=30, conformed_days=30, purpose_built_days=30, noncurrent_version_days=7, access_log_days=90
    )
    assert default.environment("test").retention.raw_days == 90
    assert default.tags == {"cost-center": "data-platform", "owner": "data-platform-team"}


def test_explicit_admin_role_name(tmp_path):
    body = {**MINIMAL_ENVIRONMENT, "admin_role_name": "BreakGlassAdmin"}
    config = load_config(write_config(tmp_path, MINIMAL_DEPLOYMENT, {"dev": body}))
    assert config.environment("dev").admin_role_name == "BreakGlassAdmin"


@pytest.mark.parametrize("name", ["prod", "production"])
def test_production_is_implied_by_the_name(name):
    env = Environment(name=name, approval_required=True, **MINIMAL_ENVIRONMENT)
    assert env.is_production and env.production is False


def test_production_flag_marks_any_name():
    env = Environment(name="live", production=True, approval_required=True, **MINIMAL_ENVIRONMENT)
    assert env.is_production


def _defaults_stated() -> list:
    """Every field with a plain default, with the description that must state it."""
    params = []
    for model in (Environment, Retention):
        for name, field in model.model_fields.items():
            if field.default_factory is not None or field.is_required():
                continue
            params.append(pytest.param(model, name, id=f"{model.__name__}.{name}"))
    return params


@pytest.mark.parametrize(("model", "name"), _defaults_stated())
def test_field_descriptions_state_the_default(model: type[BaseModel], name: str):
    field = model.model_fields[name]
    stated = {None: "default: keep", True: "default true", False: "default false"}.get(field.default)
    stated = stated or f"default {field.default}"
    assert stated in (field.description or ""), f"{model.__name__}.{name}: {field.description!r} should say {stated!r}"


# Loaded config never changes.


def test_config_is_frozen(default):
    with pytest.raises(ValidationError, match="frozen"):
        default.project.name = "other"
    with pytest.raises(ValidationError, match="frozen"):
        default.environment("prod").approval_required = False
    with pytest.raises(ValidationError, match="frozen"):
        default.environment("dev").retention.raw_days = 1
    assert isinstance(default.environments, tuple), "a list could be appended to"


# Retention per zone.


@pytest.mark.parametrize("zone", ZONES)
def test_days_for_reads_the_zone_field(zone):
    attribute = zone.replace("-", "_") + "_days"
    assert Retention(**{attribute: 7}).days_for(zone) == 7
    assert Retention().days_for(zone) is None


def test_days_for_purpose_built(default):
    assert default.environment("dev").retention.days_for("purpose-built") == 30
    assert default.environment("prod").retention.days_for("purpose-built") is None


# Where the config is read from.


def test_load_config_without_argument_reads_the_environment_variable(tmp_path, monkeypatch):
    deployment = {**MINIMAL_DEPLOYMENT, "project": {"name": "elsewhere"}}
    folder = write_config(tmp_path, deployment, {"dev": MINIMAL_ENVIRONMENT})
    monkeypatch.setenv(CONFIG_DIR_VARIABLE, str(folder))
    assert load_config().project.name == "elsewhere"


def test_load_config_without_argument_or_variable_reads_envs_of_the_current_folder(monkeypatch):
    """A CDKTF project runs from its root, where its envs/ folder is."""
    monkeypatch.delenv(CONFIG_DIR_VARIABLE, raising=False)
    monkeypatch.chdir(CONFIG_DIR.parent)
    assert load_config() == load_config(CONFIG_DIR)


def test_an_explicit_folder_wins_over_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(CONFIG_DIR_VARIABLE, str(tmp_path / "nowhere"))
    assert load_config(CONFIG_DIR).project.name == "datalake"


def test_config_folder_may_be_anywhere(tmp_path):
    """Only the YAML files are needed: no Python next to them."""
    only_yaml = shutil.ignore_patterns("*.py", "__pycache__", "schema")
    shutil.copytree(CONFIG_DIR, tmp_path / "cfg", ignore=only_yaml)
    assert load_config(tmp_path / "cfg") == load_config(CONFIG_DIR)


def test_known_regions_are_the_regions_of_botocores_loader():
    """known_regions reads botocore's endpoint data file directly (faster than importing
    botocore's loader): the same regions, in every partition."""
    from botocore.loaders import Loader
    from datalake_cdktf.config.model import known_regions

    partitions = Loader().load_data("endpoints")["partitions"]
    assert known_regions() == {region for partition in partitions for region in partition["regions"]}
    assert {"eu-west-1", "us-gov-west-1", "cn-north-1"} <= known_regions()
