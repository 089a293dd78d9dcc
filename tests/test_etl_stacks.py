"""The template ETL repository's etl-sales-<env>, synthesized through the library as its
team would, on the default deployment: jobs, their roles and what those roles reach."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from datalake_cdktf.config.etl import load_etl_config
from datalake_cdktf.constructs.glue_job import job_files

from tests.conftest import DEFAULT
from tests.support.synth import ETL_TEMPLATE, synthesize_etl

ROOT = Path(__file__).resolve().parents[1]
ETL = load_etl_config(ETL_TEMPLATE / "etl.yaml")
(SALES,) = DEFAULT.repositories.etl


@pytest.fixture
def etl(etl_stacks, env):
    return etl_stacks[f"etl-sales-{env.name}"]


@pytest.fixture(scope="module")
def model(all_stacks):
    from tests.support.iam import AccessModel

    return AccessModel.from_stacks(all_stacks, {e.account_id: e.admin_role_name for e in DEFAULT.environments})


def job_role(env, job: str) -> str:
    return f"arn:aws:iam::{env.account_id}:role/datalake-{env.name}-sales-{job}"


def bucket(env, zone: str) -> str:
    return f"arn:aws:s3:::datalake-{env.name}-{zone}-{env.account_id}-{env.region}"


def test_one_stack_per_environment_in_its_account_through_the_sales_profile(etl_stacks):
    """The stack names the profile ``<project>-<env>-sales``: the plan build maps it to the
    read-only plan role, the apply build to the deploy role (tests/test_pipelines.py)."""
    assert sorted(etl_stacks) == sorted(f"etl-sales-{e.name}" for e in DEFAULT.environments)
    for env in DEFAULT.environments:
        stack = etl_stacks[f"etl-sales-{env.name}"]
        assert stack.provider["allowed_account_ids"] == [env.account_id]
        assert stack.provider["profile"] == f"datalake-{env.name}-sales" and "assume_role" not in stack.provider
        assert stack.backend["s3"]["key"] == f"etl-sales-{env.name}/terraform.tfstate"


def test_read_only_is_deprecated_and_changes_nothing(tmp_path, etl_stacks):
    with pytest.warns(DeprecationWarning, match="read_only is deprecated since datalake-cdktf 0.8.0"):
        stacks = synthesize_etl(DEFAULT, tmp_path, read_only=True)
    for stack_id, stack in stacks.items():
        assert stack.provider == etl_stacks[stack_id].provider


def test_every_job_runs_glue_5_with_the_environments_security_configuration(etl):
    contract = {c["name"]: name for name, c in etl.json["data"]["aws_ssm_parameter"].items()}
    security = contract[f"/datalake/{etl.stack_id.split('-')[-1]}/datalake/glue/security-configuration/name"]
    jobs = etl.resources("aws_glue_job")
    assert len(jobs) == len(ETL.jobs)
    for job in jobs.values():
        assert job["glue_version"] == "5.0" and job["command"]["name"] == "glueetl"
        assert job["security_configuration"] == "${data.aws_ssm_parameter." + security + ".insecure_value}"
        arguments = job["default_arguments"]
        assert arguments["--job-bookmark-option"] == "job-bookmark-enable"
        assert arguments["--enable-metrics"] == arguments["--enable-continuous-cloudwatch-log"] == "true"
        assert "--enable-spark-ui" not in arguments
        assert job["execution_property"] == {"max_concurrent_runs": 1}
    for crawler in etl.resources("aws_glue_crawler").values():
        assert crawler["security_configuration"] == "${data.aws_ssm_parameter." + security + ".insecure_value}"


def test_scripts_are_encrypted_objects_under_the_repositorys_assets_prefix(etl, env):
    for job in etl.resources("aws_glue_job").values():
        location = job["command"]["script_location"]
        assert location.startswith(f"s3://datalake-{env.name}-assets-{env.account_id}-{env.region}/sales/jobs/")
    expected = {f"sales/{key}": path for job in ETL.jobs for key, path in job_files(job, ETL_TEMPLATE).items()}
    uploads = {obj["key"]: obj for obj in etl.resources("aws_s3_object").values()}
    assert sorted(uploads) == sorted(expected)
    for key, obj in uploads.items():
        assert obj["server_side_encryption"] == "aws:kms"
        # Terraform reads the file from the synthesized stack (the Apply stage has only
        # that): it must be there, be the repository's file, and hash to source_hash.
        uploaded = (etl.directory / obj["source"]).read_bytes()
        assert uploaded == expected[key].read_bytes(), key
        assert hashlib.sha256(uploaded).hexdigest() == obj["source_hash"], key


def test_a_changed_script_changes_its_objects_hash_and_nothing_else(tmp_path):
    repository = tmp_path / "repo"
    shutil.copytree(ETL_TEMPLATE, repository, ignore=shutil.ignore_patterns("cdktf.out", "__pycache__", "tests"))
    before = synthesize_etl(DEFAULT, tmp_path / "before", repository / "etl.yaml")["etl-sales-dev"]
    script = repository / "jobs" / "daily_sales.py"
    script.write_text(script.read_text() + "# changed\n")
    after = synthesize_etl(DEFAULT, tmp_path / "after", repository / "etl.yaml")["etl-sales-dev"]

    def objects(stack):
        return {o["key"]: o for o in stack.resources("aws_s3_object").values()}

    old, new = objects(before), objects(after)
    changed = sorted(key for key in old if old[key] != new[key])
    assert changed == ["sales/jobs/daily-sales/daily_sales.py"], "a plan would update these objects: " + str(changed)
    (key,) = changed
    assert {k for k in old[key] if old[key][k] != new[key][k]} == {"source", "source_hash"}
    assert before.resources("aws_glue_job") == after.resources("aws_glue_job"), "the job itself is unchanged"


def test_the_stacks_files_are_exactly_what_its_jobs_upload_on_every_synth(tmp_path):
    """A job removed from etl.yaml takes its script out of the synthesized stack too: the
    asset folder is rewritten on each synth into the same output, not added to. (Each
    file is there once, by content: the two jobs' identical modules are one file.)"""
    repository = tmp_path / "repo"
    shutil.copytree(ETL_TEMPLATE, repository, ignore=shutil.ignore_patterns("cdktf.out", "__pycache__", "tests"))
    out = tmp_path / "out"

    def files(stack) -> tuple[set[Path], set[Path]]:
        """(what the stack's asset folder holds, what its objects read)"""
        sources = {stack.directory / o["source"] for o in stack.resources("aws_s3_object").values()}
        (folder,) = {source.parent for source in sources}
        return {p for p in folder.rglob("*") if p.is_file()}, sources

    held, read = files(synthesize_etl(DEFAULT, out, repository / "etl.yaml")["etl-sales-dev"])
    assert held == read and len(held) == 3, "orders_conformed.py, daily_sales.py, sales_transforms.py"
    config = repository / "etl.yaml"
    text = config.read_text()
    start = text.index("  - name: daily-sales")
    config.write_text(text[:start] + text[text.index("\nworkflow:", start) + 1 :])
    held, read = files(synthesize_etl(DEFAULT, out, config)["etl-sales-dev"])
    assert held == read and len(held) == 2, "daily_sales.py is gone"


def test_an_asset_key_outside_its_folder_is_refused(tmp_path):
    code = (
        "from pathlib import Path\n"
        "from datalake_cdktf.engine import TerraformStack, new_app\n"
        "from datalake_cdktf.constructs.asset_folder import AssetFolder\n"
        f"base = Path({str(tmp_path)!r}); (base / 'x.py').write_text('x')\n"
        "stack = TerraformStack(new_app(str(base / 'out')), 's')\n"
        "try:\n"
        "    AssetFolder(stack, 'f', files={'../x.py': base / 'x.py'}, staging=base / 'stage')\n"
        "except ValueError as err:\n"
        "    print(err)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert "must be a relative path inside the folder" in result.stdout, result.stderr[-2000:]


def test_files_of_the_same_content_are_staged_once_and_linked_into_every_stack(tmp_path):
    """Stacks with files of the same content (a repository in three environments; here
    one also keys them differently) share one staging folder, written once and
    read-only (a second synth rewrites nothing); changed content gets its own; every
    stack still receives the files, as hard links to the staged ones."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from datalake_cdktf.engine import TerraformStack, new_app\n"
        "from datalake_cdktf.constructs.asset_folder import AssetFolder\n"
        f"base = Path({str(tmp_path)!r})\n"
        "(base / 'a.py').write_text('a'); (base / 'b.py').write_text(sys.argv[1])\n"
        "app = new_app(str(base / 'out'))\n"
        "for name, key in (('dev', 'jobs/b/b.py'), ('test', 'jobs/b/b.py'), ('other', 'jobs/c/b.py')):\n"
        "    files = {'jobs/a/a.py': base / 'a.py', key: base / 'b.py'}\n"
        "    AssetFolder(TerraformStack(app, name), 'files', files=files, staging=base / 'stage')\n"
        "app.synth()\n"
    )
    stage = tmp_path / "stage"

    def synth(content: str) -> dict[Path, int]:
        result = subprocess.run([sys.executable, "-c", code, content], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr[-2000:]
        return {path: path.stat().st_ino for path in stage.rglob("*")}

    staged = synth("b")
    assert len(list(stage.iterdir())) == 1, "the three stacks share a folder"
    assert synth("b") == staged, "the second synth rewrote staged files"
    synth("changed")
    assert len(list(stage.iterdir())) == 2, "changed content: a new folder beside the old"
    staged = {path.name: path.stat() for path in stage.rglob("*") if path.is_file()}
    assert all(stat.st_mode & 0o222 == 0 for stat in staged.values()), "a staged file is writable"
    for stack in ("dev", "test", "other"):
        copies = [p for p in (tmp_path / "out" / "stacks" / stack / "assets").rglob("*") if p.is_file()]
        assert sorted(c.read_text() for c in copies) == ["a", "changed"], (stack, copies)
        assert all(c.stat().st_ino == staged[c.name].st_ino for c in copies), "a copy, not a link"


def test_every_role_is_capped_by_the_boundary_and_trusts_one_service_of_this_account(etl, env):
    services = {}
    for role in etl.resources("aws_iam_role").values():
        assert role["permissions_boundary"] == DEFAULT.boundary_arn(env, SALES)
        assert role["name"].startswith(f"datalake-{env.name}-sales-")
        (statement,) = json.loads(role["assume_role_policy"])["Statement"]
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": env.account_id}}
        services[role["name"].removeprefix(f"datalake-{env.name}-sales-")] = statement["Principal"]["Service"]
    assert services == {
        "orders-conformed": "glue.amazonaws.com",
        "daily-sales": "glue.amazonaws.com",
        "validate-arrival": "lambda.amazonaws.com",
        "workflow": "states.amazonaws.com",
        "trigger": "events.amazonaws.com",
    }


def test_each_job_role_reaches_only_its_declared_prefixes(model, env):
    conformed, daily = job_role(env, "orders-conformed"), job_role(env, "daily-sales")
    raw, conf, pb = bucket(env, "raw"), bucket(env, "conformed"), bucket(env, "purpose-built")
    # orders-conformed: reads raw sales/orders/, writes conformed sales/orders/.
    assert model.can(conformed, "s3:GetObject", f"{raw}/sales/orders/2026/11/a.csv")
    assert not model.can(conformed, "s3:PutObject", f"{raw}/sales/orders/a.csv"), "inputs are read-only"
    assert not model.can(conformed, "s3:GetObject", f"{raw}/hr/people.csv"), "another team's raw data"
    assert model.can(conformed, "s3:PutObject", f"{conf}/sales/orders/order_date=2026-11-27/p.parquet")
    assert not model.can(conformed, "s3:PutObject", f"{conf}/finance/ledger/p.parquet")
    assert not model.can(conformed, "s3:GetObject", f"{pb}/sales/daily-sales/p.parquet"), "not declared"
    assert model.can(conformed, "s3:ListBucket", raw, **{"s3:prefix": "sales/orders/2026/"})
    assert not model.can(conformed, "s3:ListBucket", raw, **{"s3:prefix": "hr/"})
    # daily-sales: reads conformed, writes purpose-built.
    assert model.can(daily, "s3:GetObject", f"{conf}/sales/orders/order_date=2026-11-27/p.parquet")
    assert not model.can(daily, "s3:PutObject", f"{conf}/sales/orders/p.parquet")
    assert model.can(daily, "s3:PutObject", f"{pb}/sales/daily-sales/order_date=2026-11-27/p.parquet")
    assert not model.can(daily, "s3:GetObject", f"{raw}/sales/orders/a.csv")


def test_each_job_role_uses_only_the_catalog_databases_of_its_zones(model, env):
    conformed, daily = job_role(env, "orders-conformed"), job_role(env, "daily-sales")
    catalog = f"arn:aws:glue:{env.region}:{env.account_id}"
    table = f"{catalog}:table/datalake_{env.name}_" + "{}/orders"
    assert model.can(conformed, "glue:CreateTable", table.format("conformed"))
    assert model.can(conformed, "glue:GetTable", table.format("raw"))
    assert not model.can(conformed, "glue:CreateTable", table.format("raw")), "reads raw: read-only there"
    assert not model.can(conformed, "glue:GetTable", table.format("purpose_built"))
    assert model.can(daily, "glue:CreateTable", table.format("purpose_built"))
    assert not model.can(daily, "glue:DeleteTable", table.format("purpose_built")), "never deletes tables"
    assert not model.can(daily, "glue:GetTable", table.format("raw"))


def test_job_roles_cannot_reach_assets_secrets_or_roles_of_others(model, env):
    role = job_role(env, "orders-conformed")
    assets = bucket(env, "assets")
    secrets = f"arn:aws:secretsmanager:{env.region}:{env.account_id}:secret:datalake/{env.name}"
    assert model.can(role, "s3:GetObject", f"{assets}/sales/jobs/orders-conformed/orders_conformed.py")
    assert not model.can(role, "s3:GetObject", f"{assets}/sales/jobs/daily-sales/daily_sales.py"), "another job"
    assert not model.can(role, "s3:PutObject", f"{assets}/sales/jobs/orders-conformed/orders_conformed.py")
    assert not model.can(role, "s3:GetObject", f"{assets}/other/jobs/x/x.py")
    assert not model.can(role, "secretsmanager:GetSecretValue", f"{secrets}/sales/sales-api-AbCdEf"), "undeclared"
    assert not model.can(role, "iam:PassRole", role)
    assert not model.can(role, "sts:AssumeRole", DEFAULT.deploy_role_arn(env, SALES))


def test_job_roles_use_the_data_key_and_no_other(model, env):
    from datalake_cdktf import naming

    data_key = model.key_arn(
        naming.kms_alias_arn(account_id=env.account_id, region=env.region, alias=f"alias/datalake-{env.name}-data")
    )
    other_key = f"arn:aws:kms:{env.region}:{env.account_id}:key/00000000-0000-0000-0000-000000000000"
    aliases = {"kms:ResourceAliases": [f"alias/datalake-{env.name}-data"]}
    for job in ("orders-conformed", "daily-sales"):
        role = job_role(env, job)
        assert model.can(role, "kms:GenerateDataKey", data_key, **aliases)
        assert model.can(role, "kms:Decrypt", data_key, **aliases)
        assert not model.can(role, "kms:Decrypt", other_key, **{"kms:ResourceAliases": ["alias/other"]})
        assert not model.can(role, "kms:Decrypt", other_key)
        assert not model.can(role, "kms:ScheduleKeyDeletion", data_key, **aliases)


def test_networked_jobs_use_the_connections_the_data_lake_creates_for_their_repository(etl, stacks, env):
    lake = stacks[f"datalake-{env.name}"]
    created = [
        c["name"]
        for c in lake.resources("aws_glue_connection").values()
        if c["//"]["metadata"]["path"].startswith(f"datalake-{env.name}/jobs-network-sales/")
    ]
    assert created == [f"datalake-{env.name}-sales-{zone}" for zone in env.availability_zones]
    for job in etl.resources("aws_glue_job").values():  # the template's jobs all say network: true
        assert job["connections"] == created, job["name"]


def test_a_job_without_network_runs_outside_the_vpc_and_its_role_has_no_network_rights(tmp_path, stacks):
    from tests.support.iam import AccessModel

    repository = tmp_path / "repo"
    shutil.copytree(ETL_TEMPLATE, repository, ignore=shutil.ignore_patterns("cdktf.out", "__pycache__", "tests"))
    etl_yaml = repository / "etl.yaml"
    text = etl_yaml.read_text()
    start = text.index("  - name: daily-sales")
    etl_yaml.write_text(text[:start] + text[start:].replace("    network: true\n", "", 1))
    etl = synthesize_etl(DEFAULT, tmp_path / "out", etl_yaml)["etl-sales-dev"]
    jobs = {job["name"]: job for job in etl.resources("aws_glue_job").values()}
    assert "connections" not in jobs["datalake-dev-sales-daily-sales"]
    assert jobs["datalake-dev-sales-orders-conformed"]["connections"]

    env = DEFAULT.environment("dev")
    admin_roles = {e.account_id: e.admin_role_name for e in DEFAULT.environments}
    model = AccessModel.from_stacks({**stacks, etl.stack_id: etl}, admin_roles)
    connection = f"arn:aws:glue:{env.region}:{env.account_id}:connection/datalake-dev-sales-eu-west-1a"
    interface = f"arn:aws:ec2:{env.region}:{env.account_id}:network-interface/eni-0123456789abcdef0"
    outside, inside = job_role(env, "daily-sales"), job_role(env, "orders-conformed")
    assert not model.can(outside, "glue:GetConnection", connection)
    assert not model.can(outside, "ec2:CreateNetworkInterface", interface)
    assert model.can(inside, "glue:GetConnection", connection)
    assert model.can(inside, "ec2:CreateNetworkInterface", interface)


def test_a_networked_job_without_connections_is_refused_when_configured():
    from datalake_cdktf.constructs.glue_job import GlueJobConfig

    (job,) = [j for j in ETL.jobs if j.name == "daily-sales"]
    config = dict(
        job=job,
        root=ETL_TEMPLATE,
        files=None,
        security_configuration="datalake-dev-jobs",
        kms_key_arn="arn:aws:kms:eu-west-1:222222222222:key/1",
    )
    with pytest.raises(ValueError, match="'daily-sales' runs in the network: give the repository's Glue connections"):
        GlueJobConfig(**config)
    assert GlueJobConfig(**config, connections=("datalake-dev-sales-eu-west-1a",)).connections


def test_a_networked_job_role_reads_only_its_connections_and_manages_only_worker_interfaces(model, env):
    role = job_role(env, "orders-conformed")
    region, account = env.region, env.account_id
    glue, ec2 = f"arn:aws:glue:{region}:{account}", f"arn:aws:ec2:{region}:{account}"
    for zone in env.availability_zones:
        assert model.can(role, "glue:GetConnection", f"{glue}:connection/datalake-{env.name}-sales-{zone}")
    assert not model.can(role, "glue:GetConnection", f"{glue}:connection/datalake-{env.name}-marketing-eu-west-1a")
    assert not model.can(role, "glue:UpdateConnection", f"{glue}:connection/datalake-{env.name}-sales-eu-west-1a")
    assert model.can(role, "ec2:CreateNetworkInterface", f"{ec2}:network-interface/eni-0123456789abcdef0")
    assert model.can(role, "ec2:CreateNetworkInterface", f"{ec2}:subnet/subnet-0123456789abcdef0")
    glue_tag = {"aws:TagKeys": ["aws-glue-service-resource"]}
    assert model.can(role, "ec2:CreateTags", f"{ec2}:network-interface/eni-0123456789abcdef0", **glue_tag)
    assert not model.can(
        role, "ec2:CreateTags", f"{ec2}:network-interface/eni-0123456789abcdef0", **{"aws:TagKeys": ["owner"]}
    ), "only Glue's own tag"
    assert not model.can(role, "ec2:CreateTags", f"{ec2}:security-group/sg-0123456789abcdef0", **glue_tag)
    for action in ("ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateRoute"):
        assert not model.can(role, action, f"{ec2}:security-group/sg-0123456789abcdef0"), action
    assert not model.can(role, "ec2:CreateNetworkInterface", f"arn:aws:ec2:us-east-1:{account}:subnet/subnet-1")


def test_only_the_data_lake_manages_the_jobs_connections(model, env):
    connection = f"arn:aws:glue:{env.region}:{env.account_id}:connection/datalake-{env.name}-sales-eu-west-1a"
    infra = DEFAULT.deploy_role_arn(env, DEFAULT.repositories.infrastructure)
    sales = DEFAULT.deploy_role_arn(env, SALES)
    for action in ("glue:CreateConnection", "glue:UpdateConnection", "glue:DeleteConnection"):
        assert model.can(infra, action, connection), action
        assert not model.can(sales, action, connection), f"the repository cannot move its jobs' network: {action}"


def run_template(tmp_path, template, *args):
    env = {**os.environ, "DATALAKE_DEPLOYMENT": str(ROOT / "envs"), "CDKTF_OUTDIR": str(tmp_path / "out")}
    return subprocess.run(
        [sys.executable, str(template / "main.py"), *args], cwd=tmp_path, env=env, capture_output=True, text=True
    )


def test_the_templates_own_main_synthesizes_every_environment(tmp_path):
    result = run_template(tmp_path, ETL_TEMPLATE)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "3 stacks synthesized" in result.stdout
    for env in DEFAULT.environments:
        assert (tmp_path / "out" / "stacks" / f"etl-sales-{env.name}" / "cdk.tf.json").is_file()


def test_a_mistake_in_etl_yaml_stops_the_template_before_the_engine_starts(tmp_path):
    repository = tmp_path / "repo"
    shutil.copytree(ETL_TEMPLATE, repository, ignore=shutil.ignore_patterns("cdktf.out", "__pycache__"))
    etl_yaml = repository / "etl.yaml"
    etl_yaml.write_text(etl_yaml.read_text().replace("script: jobs/daily_sales.py", "script: jobs/daily.py"))
    result = run_template(tmp_path, repository)
    assert result.returncode == 2 and not (tmp_path / "out").exists()
    assert "etl.yaml: jobs.1.script = 'jobs/daily.py': no such file next to the config" in result.stderr


def test_a_data_quality_ruleset_is_created_from_the_file_a_job_names(tmp_path):
    repository = tmp_path / "repo"
    shutil.copytree(ETL_TEMPLATE, repository, ignore=shutil.ignore_patterns("cdktf.out", "__pycache__", "tests"))
    rules = 'Rules = [ RowCount > 0, IsComplete "order_date" ]\n'
    (repository / "checks").mkdir()
    (repository / "checks" / "daily_sales.dqdl").write_text(rules)
    etl_yaml = repository / "etl.yaml"
    etl_yaml.write_text(
        etl_yaml.read_text().replace(
            "    script: jobs/daily_sales.py\n",
            "    script: jobs/daily_sales.py\n    data_quality: checks/daily_sales.dqdl\n",
        )
    )
    stack = synthesize_etl(DEFAULT, tmp_path / "out", etl_yaml)["etl-sales-dev"]
    (ruleset,) = stack.resources("aws_glue_data_quality_ruleset").values()
    assert ruleset["name"] == "datalake-dev-sales-daily-sales" and ruleset["ruleset"] == rules
