"""The plan summary (datalake_cdktf.plan_summary) on plans in Terraform's JSON format.

Real plans of these stacks, planned against the emulator, are summarized in
tests/test_e2e_apply.py; here the rules, one at a time."""

from __future__ import annotations

import json

from datalake_cdktf.plan_summary import MARKER, main, summarize

SECRET = "s3cr3t-value-that-must-not-leak"


def change(address: str, actions: list[str], *, mode: str = "managed") -> dict:
    resource_type = address.split(".")[0]
    return {
        "address": address,
        "mode": mode,
        "type": resource_type,
        "change": {
            "actions": actions,
            "before": {"password": SECRET} if "delete" in actions else None,
            "after": {"value": SECRET} if "create" in actions or "update" in actions else None,
            "after_sensitive": {"value": True},
        },
    }


PLAN = {
    "format_version": "1.2",
    "resource_changes": [
        change("aws_s3_bucket.raw", ["delete", "create"]),
        change("aws_kms_key.data", ["delete"]),
        change("aws_ssm_parameter.setting", ["update"]),
        change("aws_glue_job.load", ["create"]),
        change("aws_iam_role.job", ["create", "delete"]),
        change("aws_vpc.main", ["no-op"]),
        change("data.aws_ssm_parameter.version", ["read"], mode="data"),
    ],
}


def test_counts_per_kind_of_change():
    summary = summarize([("datalake-dev", PLAN)])
    assert summary.counts() == {"ADD": 1, "CHANGE": 1, "REPLACE": 2, "DESTROY": 1, "DATA_AT_RISK": 2}


def test_data_bearing_destroys_and_replaces_are_called_out_first():
    text = summarize([("datalake-dev", PLAN)]).markdown()
    lines = text.splitlines()
    assert lines[0] == MARKER
    assert lines[1] == "### Terraform plan: 1 to add, 1 to change, 2 to replace, 1 to destroy in 1 stack"
    risk = text.index("Data at risk: 2 data-bearing resources")
    assert text.index("**replace** `aws_s3_bucket.raw`") > risk
    assert text.index("**destroy** `aws_kms_key.data`") > risk
    assert "aws_iam_role.job" not in text[risk : text.index("| stack |")], "a role holds no data"
    assert risk < text.index("| stack |"), "the warning comes before the table"


def test_no_value_of_any_attribute_is_printed():
    assert SECRET not in summarize([("datalake-dev", PLAN)]).markdown()


def test_an_empty_plan_says_so():
    text = summarize([("datalake-dev", {"resource_changes": []}), ("etl-sales-dev", {})]).markdown()
    assert "### Terraform plan: no changes in 2 stacks" in text
    assert "Data at risk" not in text and "<details>" not in text


def test_the_command_reads_one_file_per_stack_and_writes_counts(tmp_path, capsys):
    (tmp_path / "datalake-dev.json").write_text(json.dumps(PLAN))
    (tmp_path / "etl-sales-dev.json").write_text(json.dumps({"resource_changes": []}))
    counts = tmp_path / "counts.env"
    assert (
        main([str(tmp_path / "datalake-dev.json"), str(tmp_path / "etl-sales-dev.json"), "--counts", str(counts)]) == 0
    )
    out = capsys.readouterr().out
    assert "| `datalake-dev` | 1 | 1 | 2 | 1 |" in out and "| `etl-sales-dev` | 0 | 0 | 0 | 0 |" in out
    assert counts.read_text().splitlines() == ["ADD=1", "CHANGE=1", "REPLACE=2", "DESTROY=1", "DATA_AT_RISK=2"]
