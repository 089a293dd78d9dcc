"""An ETL repository's etl.yaml: what it may declare, and the errors a team sees."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from datalake_cdktf.config import ConfigError
from datalake_cdktf.config.etl import EtlConfig, etl_schema, load_etl_config, repository_of, stack_ids

GOOD = """
jobs:
  - name: orders-conformed
    script: jobs/orders_conformed.py
    reads: [{zone: raw, prefix: sales/orders/}]
    writes: [{zone: conformed, prefix: sales/orders/}]
    secrets: [sales-api]
  - name: orders-daily
    script: jobs/orders_daily.py
    after: [orders-conformed]
    reads: [{zone: conformed, prefix: sales/orders/}]
    writes: [{zone: purpose-built, prefix: sales/daily/}]
    crawler: true
workflow:
  on_object_created: {zone: raw, prefix: sales/orders/incoming/}
  validate_with: validate-arrival
lambdas:
  - name: validate-arrival
    source: lambdas/validate_arrival
    handler: handler.handle
    audit_table: true
"""


def repository(tmp_path: Path, text: str = GOOD) -> Path:
    for script in ("jobs/orders_conformed.py", "jobs/orders_daily.py"):
        (tmp_path / script).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / script).write_text("print('job')\n")
    (tmp_path / "lambdas" / "validate_arrival").mkdir(parents=True, exist_ok=True)
    path = tmp_path / "etl.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def problems(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as err:
        load_etl_config(repository(tmp_path, text))
    return str(err.value)


def test_a_good_file_loads_with_its_defaults_and_run_order(tmp_path):
    config = load_etl_config(repository(tmp_path))
    conformed, _ = config.jobs
    assert (conformed.worker_type, conformed.workers, conformed.bookmarks, conformed.spark_ui) == (
        "G.1X",
        2,
        True,
        False,
    )
    assert conformed.zones_read == ("raw",) and conformed.zones_written == ("conformed",)
    assert [j.name for j in config.run_order()] == ["orders-conformed", "orders-daily"]


def test_run_order_follows_after_not_file_order(tmp_path):
    text = GOOD.replace("    after: [orders-conformed]\n", "").replace(
        "    secrets: [sales-api]\n", "    secrets: [sales-api]\n    after: [orders-daily]\n"
    )
    config = load_etl_config(repository(tmp_path, text))
    assert [j.name for j in config.run_order()] == ["orders-daily", "orders-conformed"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("    crawler: true", "    crawlr: true"),
            "jobs.1.crawlr = True: Extra inputs are not permitted. "
            "Fix: remove the key or fix its spelling (did you mean 'crawler'?)",
        ),
        (
            ("jobs/orders_daily.py", "jobs/missing.py"),
            "jobs.1.script = 'jobs/missing.py': no such file next to the config",
        ),
        (
            (
                "{zone: conformed, prefix: sales/orders/}]\n    writes",
                "{zone: curated, prefix: sales/orders/}]\n    writes",
            ),
            "jobs.1.reads.0.zone = 'curated': Input should be 'raw', 'conformed' or 'purpose-built'",
        ),
        (
            ("name: orders-daily", "name: orders-conformed"),
            "jobs.1.name = 'orders-conformed': is also job 0: rename one",
        ),
        (
            ("after: [orders-conformed]", "after: [orders-hourly]"),
            "jobs.1.after.0 = 'orders-hourly': no such job: name one of orders-conformed, orders-daily",
        ),
        (
            ("    secrets: [sales-api]\n", "    secrets: [sales-api]\n    after: [orders-daily]\n"),
            "cycle: orders-conformed -> orders-daily -> orders-conformed",
        ),
        (
            ("validate_with: validate-arrival", "validate_with: check"),
            "workflow.validate_with = 'check': no such Lambda helper",
        ),
        (
            ("source: lambdas/validate_arrival", "source: ../elsewhere"),
            "lambdas.0.source = '../elsewhere': Value error, must be a path inside the repository",
        ),
        (
            ("prefix: sales/orders/incoming/", "prefix: /sales/incoming"),
            "workflow.on_object_created.prefix = '/sales/incoming': String should match pattern",
        ),
    ],
    ids=[
        "typo",
        "missing-script",
        "unknown-zone",
        "duplicate",
        "unknown-after",
        "cycle",
        "unknown-lambda",
        "outside",
        "prefix",
    ],
)
def test_each_mistake_names_the_file_the_field_and_the_fix(tmp_path, change, expected):
    old, new = change
    assert old in GOOD
    message = problems(tmp_path, GOOD.replace(old, new, 1))
    assert message.startswith("Invalid ETL config (") and "etl.yaml: " in message
    assert expected.replace("Value error, ", "") in message, message


def test_a_functions_requirements_file_is_refused_since_nothing_installs_it(tmp_path):
    path = repository(tmp_path)
    (tmp_path / "lambdas" / "validate_arrival" / "requirements.txt").write_text("requests==2.32.3\n")
    with pytest.raises(ConfigError) as err:
        load_etl_config(path)
    assert "lambdas.0.source = 'lambdas/validate_arrival': has a requirements.txt, which is not installed" in str(
        err.value
    ), err.value
    assert "(pip install --target)" in str(err.value)


def test_a_secret_value_is_refused_and_never_repeated(tmp_path):
    token = "ghp_" + "a" * 36
    message = problems(tmp_path, GOOD.replace("secrets: [sales-api]", f"secrets: [{token}]"))
    assert "looks like a secret value" in message or "should match pattern" in message
    assert token not in message
    message = problems(tmp_path, GOOD.replace("secrets: [sales-api]", f"arguments: {{--token: {token}}}"))
    assert "looks like a secret value: use 'secrets'" in message and token not in message


def test_arguments_the_library_sets_are_refused(tmp_path):
    message = problems(
        tmp_path, GOOD.replace("secrets: [sales-api]", "arguments: {--job-bookmark-option: job-bookmark-disable}")
    )
    assert "jobs.0.arguments.--job-bookmark-option" in message and "use bookmarks" in message


def test_exactly_one_trigger(tmp_path):
    both = GOOD.replace("  validate_with: validate-arrival\n", "  schedule: cron(0 5 * * ? *)\n")
    assert "give exactly one of 'on_object_created' or 'schedule'" in problems(tmp_path, both)


def test_the_schema_describes_every_field():
    schema = etl_schema()
    assert schema["title"] == "etl.yaml" and schema["additionalProperties"] is False
    job = schema["$defs"]["Job"]
    assert job["additionalProperties"] is False and {"name", "script"} <= set(job["required"])
    assert all(
        "description" in f or "$ref" in f or "anyOf" in f for n, f in job["properties"].items() if n != "name"
    ), job
    assert EtlConfig.model_fields["jobs"].is_required()


# The repository's name: written once, in etl.yaml, and checked against the deployment --


def test_the_repository_names_the_deployments_etl_repository(tmp_path):
    from tests.conftest import DEFAULT

    path = repository(tmp_path, "repository: sales\n" + GOOD)
    config = load_etl_config(path)
    assert config.repository == "sales"
    assert repository_of(config, DEFAULT, path) == DEFAULT.etl_repository("sales")
    assert stack_ids(path, DEFAULT) == [f"etl-sales-{env.name}" for env in DEFAULT.environments]
    assert stack_ids(path, DEFAULT, environment="test") == ["etl-sales-test"]
    with pytest.raises(ValueError, match="no environment 'qa' in the deployment: use one of dev, test, prod"):
        stack_ids(path, DEFAULT, environment="qa")


def test_a_missing_repository_names_the_file_the_field_and_the_fix(tmp_path):
    from datalake_cdktf.etl import build_etl_app

    from tests.conftest import DEFAULT

    path = repository(tmp_path)  # GOOD has no `repository:`: it still loads (older files)
    with pytest.raises(ConfigError) as err:
        build_etl_app(path, deployment=DEFAULT, outdir=tmp_path / "out")
    message = str(err.value)
    assert message.startswith("Invalid ETL config (1 problem):"), message
    assert "etl.yaml: repository: missing: name this repository as the deployment lists it" in message, message
    assert "(repositories.etl of the deployment: sales), e.g. 'repository: sales'" in message, message
    assert not (tmp_path / "out").exists(), "nothing is synthesized"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("marketing", "etl.yaml: repository = 'marketing': not an ETL repository of the deployment ("),
        ("datalake-infra", "not an ETL repository of the deployment (that is the infrastructure repository) ("),
    ],
    ids=["unknown", "infrastructure"],
)
def test_a_repository_the_deployment_does_not_list_is_refused_with_the_fix(tmp_path, name, expected):
    from tests.conftest import DEFAULT

    path = repository(tmp_path, f"repository: {name}\n" + GOOD)
    with pytest.raises(ConfigError) as err:
        repository_of(load_etl_config(path), DEFAULT, path)
    message = str(err.value)
    assert expected in message, message
    assert "repositories.etl of the deployment: sales): fix the name, or add the repository to" in message, message
    assert "envs/deployment.yaml" in message, message


def test_a_repository_name_that_cannot_be_one_is_refused_by_the_schema(tmp_path):
    message = problems(tmp_path, "repository: Sales_Team\n" + GOOD)
    assert "etl.yaml: repository = 'Sales_Team': String should match pattern" in message, message


def test_the_deprecated_repository_argument_still_works_and_may_not_contradict_the_file(tmp_path):
    from datalake_cdktf.etl import build_etl_app

    from tests.conftest import DEFAULT

    old = repository(tmp_path)  # an etl.yaml from before `repository:`, and main.py passing the name
    with pytest.warns(DeprecationWarning, match=r"name the repository in etl.yaml \('repository: sales'\)"):
        _, stacks = build_etl_app(old, repository="sales", deployment=DEFAULT, outdir=tmp_path / "out")
    assert [s.stack_id for s in stacks] == [f"etl-sales-{env.name}" for env in DEFAULT.environments]
    named = repository(tmp_path / "named", "repository: sales\n" + GOOD)
    with pytest.warns(DeprecationWarning), pytest.raises(ConfigError) as err:
        build_etl_app(named, repository="marketing", deployment=DEFAULT, outdir=tmp_path / "out2")
    assert "etl.yaml: repository = 'sales': build_etl_app was given repository='marketing': drop the argument" in str(
        err.value
    )


def test_the_stacks_command_prints_the_stack_ids_for_a_makefile(tmp_path, monkeypatch, capsys):
    from datalake_cdktf.config.etl import main

    from main import CONFIG_DIR

    monkeypatch.setenv("DATALAKE_DEPLOYMENT", str(CONFIG_DIR))
    path = repository(tmp_path, "repository: sales\n" + GOOD)
    assert main(["stacks", "--file", str(path), "--environment", "prod"]) == 0
    assert capsys.readouterr().out == "etl-sales-prod\n"
    assert main(["stacks", "--file", str(path), "--environment", "qa"]) == 2
    assert "no environment 'qa' in the deployment" in capsys.readouterr().err
    assert main(["stacks", "--file", str(repository(tmp_path / "old"))]) == 2
    assert "repository: missing" in capsys.readouterr().err


def test_the_schema_describes_the_repository():
    field = etl_schema()["properties"]["repository"]
    assert "repositories.etl" in str(field) and "etl-<repository>-<env>" in str(field), field
    assert "repository" not in etl_schema()["required"], "older files without it still load"


def test_the_templates_committed_schema_is_the_models_and_its_etl_yaml_follows_it():
    import json

    import jsonschema
    import yaml

    from tests.support.synth import ETL_TEMPLATE

    committed = json.loads((ETL_TEMPLATE / "schema" / "etl.schema.json").read_text())
    assert committed == etl_schema(), "etl-template/schema/etl.schema.json is out of date: run `make schema` there"
    jsonschema.validate(yaml.safe_load((ETL_TEMPLATE / "etl.yaml").read_text()), committed)


# Names the jobs and helpers imply: checked with the deployment, before the engine starts --

LONG_REPOSITORY = "sales-and-marketing1"


@pytest.fixture(scope="module")
def long_names(tmp_path_factory):
    """The default deployment with a 16-character project name and a 20-character ETL
    repository: ``analytics-platfm-test-sales-and-marketing1-`` leaves 21 characters of a
    role's 64 (in test and prod; 22 in dev)."""
    from datalake_cdktf.config import load_config

    from tests.support.configs import edited_config

    def edit(root):
        root["project"]["name"] = "analytics-platfm"
        root["repositories"]["etl"][0]["name"] = LONG_REPOSITORY

    return load_config(edited_config(tmp_path_factory.mktemp("long-names") / "envs", edit))


def named(tmp_path: Path, job: str, helper: str) -> Path:
    text = GOOD.replace("orders-conformed", job).replace("validate-arrival", helper)
    return repository(tmp_path, f"repository: {LONG_REPOSITORY}\n" + text)


def test_a_job_or_helper_whose_name_would_be_too_long_is_refused_with_the_room_left(tmp_path, long_names):
    from datalake_cdktf.etl import build_etl_app

    path = named(tmp_path, "j" * 24, "f" * 23)
    with pytest.raises(ConfigError) as err:
        build_etl_app(path, deployment=long_names, outdir=tmp_path / "out")
    lines = str(err.value).splitlines()
    assert lines[0] == "Invalid ETL config (2 problems):", lines
    prefix = f"analytics-platfm-test-{LONG_REPOSITORY}-"
    assert lines[1].endswith(
        f"etl.yaml: jobs.0.name = '{'j' * 24}': in environment 'test', IAM role name '{prefix}{'j' * 24}' is 67 "
        "characters; the limit is 64: shorten it to at most 21 characters (or the project, environment or "
        "repository name)"
    ), lines[1]
    assert lines[2].endswith(
        f"etl.yaml: lambdas.0.name = '{'f' * 23}': in environment 'test', Lambda function name '{prefix}{'f' * 23}' "
        "is 66 characters; the limit is 64: shorten it to at most 21 characters (or the project, environment or "
        "repository name)"
    ), lines[2]
    assert not (tmp_path / "out").exists(), "nothing is synthesized"


def test_a_name_of_exactly_the_room_left_is_accepted(tmp_path, long_names):
    path = named(tmp_path, "j" * 21, "f" * 21)
    assert repository_of(load_etl_config(path), long_names, path).name == LONG_REPOSITORY
