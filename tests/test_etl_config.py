"""An ETL repository's etl.yaml: what it may declare, and the errors a team sees."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from datalake_cdktf.config import ConfigError
from datalake_cdktf.config.etl import EtlConfig, etl_schema, load_etl_config

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
