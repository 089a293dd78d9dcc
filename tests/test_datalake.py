"""datalake-<env>: a private network, the data key, the catalog and the SSM contract."""

from __future__ import annotations

import ipaddress
import shutil

import pytest
import yaml
from datalake_cdktf.config import load_config
from datalake_cdktf.constructs.private_network import INTERFACE_ENDPOINTS, private_subnet_cidrs
from datalake_cdktf.contract import DATALAKE_KEYS

from main import CONFIG_DIR
from tests.support.iam import endpoint_allows
from tests.support.synth import policy, statement, synthesize


@pytest.fixture
def lake(stacks, env):
    return stacks[f"datalake-{env.name}"]


def subnets(lake) -> list[dict]:
    return sorted(lake.resources("aws_subnet").values(), key=lambda s: ipaddress.ip_network(s["cidr_block"]))


def test_vpc_uses_the_configured_range_with_dns_for_endpoints(lake, env):
    vpc = lake.resource("aws_vpc", "network/vpc")
    assert vpc["cidr_block"] == str(env.vpc_cidr)
    assert vpc["enable_dns_hostnames"] is True and vpc["enable_dns_support"] is True, vpc


def test_one_private_subnet_per_configured_zone_inside_the_vpc(lake, env):
    found = subnets(lake)
    assert [s["availability_zone"] for s in found] == list(env.availability_zones)
    cidrs = [ipaddress.ip_network(s["cidr_block"]) for s in found]
    assert all(c.subnet_of(env.vpc_cidr) for c in cidrs), cidrs
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1 :]), cidrs
    assert all(s["map_public_ip_on_launch"] is False for s in found)


def test_subnet_slots_are_quarters_of_the_range():
    assert private_subnet_cidrs(ipaddress.ip_network("10.0.0.0/16"), 3) == [
        ipaddress.ip_network(n) for n in ("10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18")
    ]
    assert private_subnet_cidrs(ipaddress.ip_network("192.168.1.0/24"), 2)[1] == ipaddress.ip_network("192.168.1.64/26")
    with pytest.raises(ValueError, match="between 1 and 4"):
        private_subnet_cidrs(ipaddress.ip_network("10.0.0.0/16"), 5)


def test_there_is_no_path_to_the_internet(lake):
    for kind in ("aws_internet_gateway", "aws_nat_gateway", "aws_eip", "aws_egress_only_internet_gateway"):
        assert lake.resources(kind) == {}, kind
    route_table = lake.resource("aws_route_table", "network/private")
    assert not route_table.get("route"), route_table


def test_every_subnet_uses_the_private_route_table(lake):
    associations = lake.resources("aws_route_table_association").values()
    assert len(associations) == len(subnets(lake))
    assert {a["route_table_id"] for a in associations} == {lake.ref("aws_route_table", "network/private", "id")}


def test_s3_is_reached_through_a_gateway_endpoint(lake, env):
    s3 = lake.resource("aws_vpc_endpoint", "network/s3")
    assert s3["service_name"] == f"com.amazonaws.{env.region}.s3"
    assert s3["vpc_endpoint_type"] == "Gateway"
    assert s3["route_table_ids"] == [lake.ref("aws_route_table", "network/private", "id")]


def test_aws_apis_are_reached_through_private_interface_endpoints(lake, env):
    assert set(INTERFACE_ENDPOINTS) == {"glue", "kms", "logs", "monitoring", "secretsmanager", "ssm", "states", "sts"}
    sg = lake.ref("aws_security_group", "network/endpoints-sg", "id")
    for service in INTERFACE_ENDPOINTS:
        endpoint = lake.resource("aws_vpc_endpoint", f"network/{service}")
        assert endpoint["service_name"] == f"com.amazonaws.{env.region}.{service}"
        assert endpoint["vpc_endpoint_type"] == "Interface"
        assert endpoint["private_dns_enabled"] is True
        assert endpoint["security_group_ids"] == [sg]
        assert len(endpoint["subnet_ids"]) == len(env.availability_zones)


def endpoint_policy(lake, name: str) -> dict:
    return policy(lake.resource("aws_vpc_endpoint", f"network/{name}")["policy"])


def test_the_s3_endpoint_reaches_only_this_accounts_buckets_and_glues_own(lake, env):
    s3 = endpoint_policy(lake, "s3")
    own = f"arn:aws:s3:::datalake-{env.name}-raw-{env.account_id}-eu-west-1/x.csv"
    assert endpoint_allows(s3, "s3:GetObject", own, **{"aws:ResourceAccount": env.account_id})
    assert endpoint_allows(s3, "s3:PutObject", own, **{"aws:ResourceAccount": env.account_id})
    stranger = "arn:aws:s3:::exfiltration/x.csv"
    assert not endpoint_allows(s3, "s3:PutObject", stranger, **{"aws:ResourceAccount": "999999999999"})
    glue_assets = "arn:aws:s3:::aws-glue-jes-prod-eu-west-1-assets/x.jar"
    assert endpoint_allows(s3, "s3:GetObject", glue_assets, **{"aws:ResourceAccount": "999999999999"})
    assert not endpoint_allows(s3, "s3:PutObject", glue_assets, **{"aws:ResourceAccount": "999999999999"})


@pytest.mark.parametrize("service", INTERFACE_ENDPOINTS)
def test_interface_endpoints_serve_only_this_accounts_principals(lake, env, service):
    endpoint = endpoint_policy(lake, service)
    anything = f"arn:aws:{service}:eu-west-1:{env.account_id}:x"
    assert endpoint_allows(endpoint, f"{service}:Get", anything, **{"aws:PrincipalAccount": env.account_id})
    assert not endpoint_allows(endpoint, f"{service}:Get", anything, **{"aws:PrincipalAccount": "999999999999"})


def rules(lake, kind: str, group: str) -> list[dict]:
    """The ``kind`` (ingress or egress) rules of the security group at construct path ``group``."""
    group_id = lake.ref("aws_security_group", group, "id")
    found = lake.resources(f"aws_vpc_security_group_{kind}_rule").values()
    return [rule for rule in found if rule["security_group_id"] == group_id]


def test_endpoints_accept_only_https_from_the_vpc(lake, env):
    (rule,) = rules(lake, "ingress", "network/endpoints-sg")
    assert (rule["ip_protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 443, 443), rule
    assert rule["cidr_ipv4"] == str(env.vpc_cidr), rule
    assert rules(lake, "egress", "network/endpoints-sg") == []
    assert "ingress" not in lake.resource("aws_security_group", "network/endpoints-sg")


def job_network(lake, repository: str) -> dict:
    """The Glue connections of ``repository``'s jobs (name -> resource) and its group's rules."""
    base = f"jobs-network-{repository}"
    connections = {
        c["name"]: c
        for c in lake.resources("aws_glue_connection").values()
        if c["//"]["metadata"]["path"].startswith(f"{lake.stack_id}/{base}/")
    }
    return {
        "group": lake.ref("aws_security_group", f"{base}/security-group", "id"),
        "group_name": lake.resource("aws_security_group", f"{base}/security-group")["name"],
        "connections": connections,
        "ingress": rules(lake, "ingress", f"{base}/security-group"),
        "egress": rules(lake, "egress", f"{base}/security-group"),
    }


def test_each_etl_repository_has_a_glue_connection_in_every_private_subnet(lake, env, config):
    subnet_of_zone = {
        s["availability_zone"]: lake.ref("aws_subnet", f"network/private-{i}", "id")
        for i, s in enumerate(lake.resource("aws_subnet", f"network/private-{i}") for i in range(len(subnets(lake))))
    }
    for repository in config.repositories.etl:
        network = job_network(lake, repository.name)
        assert network["group_name"] == f"datalake-{env.name}-{repository.name}-glue-jobs"
        assert list(network["connections"]) == [
            f"datalake-{env.name}-{repository.name}-{zone}" for zone in env.availability_zones
        ]
        for name, connection in network["connections"].items():
            zone = name.removeprefix(f"datalake-{env.name}-{repository.name}-")
            assert connection["connection_type"] == "NETWORK"
            assert connection["physical_connection_requirements"] == {
                "availability_zone": zone,
                "subnet_id": subnet_of_zone[zone],
                "security_group_id_list": [network["group"]],
            }


def test_job_workers_reach_each_other_the_endpoints_and_s3_and_nothing_else(lake, env, config):
    s3_prefix_list = lake.ref("aws_vpc_endpoint", "network/s3", "prefix_list_id")
    for repository in config.repositories.etl:
        network = job_network(lake, repository.name)
        (inbound,) = network["ingress"]
        assert inbound["referenced_security_group_id"] == network["group"], "only from its own workers"
        assert (inbound["ip_protocol"], inbound["from_port"], inbound["to_port"]) == ("tcp", 0, 65535)
        outbound = {
            (
                r["from_port"],
                r["to_port"],
                r.get("referenced_security_group_id") or r.get("cidr_ipv4") or r.get("prefix_list_id"),
            )
            for r in network["egress"]
        }
        assert outbound == {(0, 65535, network["group"]), (443, 443, str(env.vpc_cidr)), (443, 443, s3_prefix_list)}
        assert all(r["ip_protocol"] == "tcp" for r in network["egress"])


def test_a_second_etl_repositorys_jobs_get_their_own_group_and_connections(tmp_path):
    """Config alone: each ETL repository's workers are in a group of their own, which
    admits only itself, so one team's jobs cannot reach another's workers."""
    folder = tmp_path / "envs"
    shutil.copytree(CONFIG_DIR, folder, ignore=shutil.ignore_patterns("schema"))
    root = yaml.safe_load((folder / "deployment.yaml").read_text())
    root["repositories"]["etl"].append(
        {"name": "marketing", "full_repository_id": "example-org/etl-marketing", "pull_request_token": "x/marketing/t"}
    )
    (folder / "deployment.yaml").write_text(yaml.safe_dump(root))
    config = load_config(folder)
    lake = synthesize(config, tmp_path / "out")["datalake-prod"]
    sales, marketing = job_network(lake, "sales"), job_network(lake, "marketing")
    assert list(marketing["connections"]) == [f"datalake-prod-marketing-eu-west-1{z}" for z in "abc"]
    assert sales["group"] != marketing["group"]
    assert {r["referenced_security_group_id"] for r in marketing["ingress"]} == {marketing["group"]}
    assert {r["referenced_security_group_id"] for r in sales["ingress"]} == {sales["group"]}


def test_default_security_group_has_no_rules(lake):
    default = lake.resource("aws_default_security_group", "network/default-sg")
    assert "ingress" not in default and "egress" not in default, default


def test_all_traffic_is_logged_to_an_encrypted_log_group(lake):
    flow = lake.resource("aws_flow_log", "network/flow-log")
    assert flow["traffic_type"] == "ALL"
    assert flow["log_destination"] == lake.ref("aws_cloudwatch_log_group", "network/flow-log-group", "arn")
    group = lake.resource("aws_cloudwatch_log_group", "network/flow-log-group")
    assert group["kms_key_id"] == lake.ref("aws_kms_key", "data-key/key", "arn")
    assert group["retention_in_days"] == 365


def test_data_key_rotates_and_lets_cloudwatch_logs_encrypt_only_the_groups_that_use_it(lake, env):
    """The flow logs, Glue's logs and each ETL repository's log groups of this account; no
    other group (tests/test_key_use.py asks the evaluator, for every group that uses a key)."""
    key = lake.resource("aws_kms_key", "data-key/key")
    assert key["enable_key_rotation"] is True
    grant = statement(key["policy"], "CloudWatchLogsEncryptsOwnLogGroups")
    assert grant["Principal"] == {"Service": f"logs.{env.region}.amazonaws.com"}
    groups = [f"/aws/vpc/datalake-{env.name}/flow-logs", "/aws-glue/*", f"/datalake/{env.name}/sales/*"]
    assert grant["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": sorted(
                f"arn:aws:logs:{env.region}:{env.account_id}:log-group:{group}" for group in groups
            )
        }
    }


def test_every_role_the_stack_creates_carries_the_boundary(lake, env):
    roles = lake.resources("aws_iam_role").values()
    assert roles, "the flow-log role at least"
    boundary = f"arn:aws:iam::{env.account_id}:policy/datalake-{env.name}-datalake-infra-boundary"
    for role in roles:
        assert role["permissions_boundary"] == boundary, role
        assert role["name"].startswith(f"datalake-{env.name}-"), "the deploy role may only manage its prefix"


def test_flow_log_role_is_for_this_accounts_flow_logs_only(lake, env):
    trust = policy(lake.resource("aws_iam_role", "network/flow-log-role")["assume_role_policy"])
    (only,) = trust["Statement"]
    assert only["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert only["Condition"] == {"StringEquals": {"aws:SourceAccount": env.account_id}}


def test_one_catalog_database_per_zone_located_in_its_bucket(lake, env):
    for zone in ("raw", "conformed", "purpose-built"):
        database = lake.resource("aws_glue_catalog_database", f"catalog/{zone}")
        assert database["name"] == f"datalake_{env.name}_{zone.replace('-', '_')}"
        assert database["location_uri"] == f"s3://datalake-{env.name}-{zone}-{env.account_id}-{env.region}/"
        assert database["catalog_id"] == env.account_id


def test_catalog_metadata_and_connection_passwords_are_encrypted(lake):
    settings = lake.resource("aws_glue_data_catalog_encryption_settings", "catalog/encryption")
    key = lake.ref("aws_kms_key", "data-key/key", "arn")
    encryption = settings["data_catalog_encryption_settings"]
    assert encryption["encryption_at_rest"] == {"catalog_encryption_mode": "SSE-KMS", "sse_aws_kms_key_id": key}
    assert encryption["connection_password_encryption"] == {
        "aws_kms_key_id": key,
        "return_connection_password_encrypted": True,
    }


def test_jobs_run_with_a_security_configuration_encrypting_everything_with_the_data_key(lake, env):
    (configuration,) = lake.resources("aws_glue_security_configuration").values()
    key = lake.ref("aws_kms_key", "data-key/key", "arn")
    encryption = configuration["encryption_configuration"]
    assert encryption["s3_encryption"] == {"s3_encryption_mode": "SSE-KMS", "kms_key_arn": key}
    assert encryption["cloudwatch_encryption"] == {"cloudwatch_encryption_mode": "SSE-KMS", "kms_key_arn": key}
    assert encryption["job_bookmarks_encryption"] == {"job_bookmarks_encryption_mode": "CSE-KMS", "kms_key_arn": key}
    parameters = {p["name"]: p["value"] for p in lake.resources("aws_ssm_parameter").values()}
    assert parameters[f"/datalake/{env.name}/datalake/glue/security-configuration/name"] == configuration["name"]
    assert configuration["name"] == f"datalake-{env.name}-jobs"


def test_outputs_are_published_under_the_documented_path_scheme(lake, env):
    parameters = {p["name"]: p for p in lake.resources("aws_ssm_parameter").values()}
    prefix = f"/datalake/{env.name}/datalake/"
    assert sorted(parameters) == sorted(prefix + key for key in DATALAKE_KEYS)
    assert parameters[prefix + "buckets/raw/name"]["value"] == f"datalake-{env.name}-raw-{env.account_id}-{env.region}"
    assert parameters[prefix + "glue/databases/conformed/name"]["value"] == f"datalake_{env.name}_conformed"
    assert parameters[prefix + "vpc/id"]["value"] == lake.ref("aws_vpc", "network/vpc", "id")
    assert parameters[prefix + "kms/key-arn"]["value"] == lake.ref("aws_kms_key", "data-key/key", "arn")
    subnet_ids = parameters[prefix + "vpc/private-subnet-ids"]
    assert subnet_ids["type"] == "StringList"
    assert subnet_ids["value"].count(",") == len(env.availability_zones) - 1
    assert {p["type"] for n, p in parameters.items() if n != prefix + "vpc/private-subnet-ids"} == {"String"}
