"""Shared fixtures: the default config and its synthesized stacks (built once)."""

from __future__ import annotations

import pytest
from datalake_cdktf.config import DeploymentConfig, load_config

from main import CONFIG_DIR
from tests.support.synth import SynthStack, synthesize, synthesize_etl

DEFAULT = load_config(CONFIG_DIR)
ENVIRONMENTS = [env.name for env in DEFAULT.environments]


def expected_stacks(config: DeploymentConfig) -> list[str]:
    """Every stack a config makes, in build order."""
    stacks = ["central-bootstrap"]
    for env in config.environments:
        stacks += [f"bootstrap-{env.name}", f"datalake-{env.name}"]
        stacks += [f"pipeline-{repo.name}-{env.name}" for repo in config.repositories.all]
    return stacks


@pytest.fixture(scope="session")
def config() -> DeploymentConfig:
    return DEFAULT


@pytest.fixture(params=ENVIRONMENTS)
def env(request):
    """Each environment of the default config in turn (tests using it run once per environment)."""
    return DEFAULT.environment(request.param)


@pytest.fixture(scope="session")
def stacks(tmp_path_factory) -> dict[str, SynthStack]:
    """Every stack of the default config, synthesized once per test session."""
    return synthesize(DEFAULT, tmp_path_factory.mktemp("synth"))


@pytest.fixture(scope="session")
def etl_stacks(tmp_path_factory) -> dict[str, SynthStack]:
    """The template ETL repository's etl-sales-<env> stacks on the default config."""
    return synthesize_etl(DEFAULT, tmp_path_factory.mktemp("synth-etl"))


@pytest.fixture(scope="session")
def all_stacks(stacks, etl_stacks) -> dict[str, SynthStack]:
    """Every stack: the deployment's and the template ETL repository's."""
    return {**stacks, **etl_stacks}
