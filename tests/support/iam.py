"""Who may do what, evaluated: the synthesized IAM documents as principalmapper's model.

principalmapper (nccgroup/PMapper) simulates IAM authorization locally: identity
policies, permissions boundaries, resource policies (bucket, key and trust policies),
explicit denies and condition operators. Here every role, managed and inline policy,
boundary, trust policy, bucket policy and key policy of the synthesized stacks becomes
its model of the accounts, with Terraform references resolved to the ARNs AWS would
assign. Tests ask it questions ("can the ETL deploy role of dev put a bucket policy on
the raw bucket?") and its graph analysis looks for privilege-escalation paths.

What is added to the documents, as AWS has it in every account:

- each data-lake account's administrator role (``admin_role_name``), with
  AdministratorAccess and trusted by the central account, which the escalation
  analysis must never reach;
- a key that belongs to someone else (``foreign_key_arn``), with the default key
  policy (the account administers it through IAM).
"""

from __future__ import annotations

import collections
import collections.abc
import fnmatch
import json
import re
from dataclasses import dataclass, field
from typing import Any

from datalake_cdktf import naming

from tests.support.synth import SynthStack

# principalmapper 1.1.5 (its latest release) imports Mapping from collections, which
# Python 3.10 removed (nccgroup/PMapper#131); the fix is merged upstream, unreleased.
for _name in ("Mapping", "MutableMapping"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))

import principalmapper  # noqa: E402
from principalmapper.common import Edge, Graph, Node, Policy  # noqa: E402
from principalmapper.graphing import cross_account_edges, gathering, iam_edges, sts_edges  # noqa: E402
from principalmapper.querying.local_policy_simulation import (  # noqa: E402
    ResourcePolicyEvalResult,
    policy_has_matching_statement,
    resource_policy_authorization,
)
from principalmapper.querying.query_interface import _infer_condition_keys as _inferred_keys  # noqa: E402
from principalmapper.querying.query_interface import local_check_authorization_full  # noqa: E402
from principalmapper.util.case_insensitive_dict import CaseInsensitiveDict  # noqa: E402

ADMINISTRATOR_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
FOREIGN_KEY_ID = "foreign"


def default_key_policy(account_id: str) -> dict[str, Any]:
    """The policy AWS gives a key created without one: the account administers it through IAM."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


def account_trust(account_id: str) -> dict[str, Any]:
    """A trust policy that delegates to ``account_id`` (how AWS Organizations' admin role trusts)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": "sts:AssumeRole"}
        ],
    }


@dataclass
class AccessModel:
    """Every principal and resource policy of a deployment, by ARN."""

    nodes: dict[str, Node] = field(default_factory=dict)
    bucket_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    key_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    key_aliases: dict[str, str] = field(default_factory=dict)
    """Alias ARN -> key ARN."""
    managed_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)
    """Account id -> region (each account of the deployment lives in one region)."""

    # Building -------------------------------------------------------------------

    @classmethod
    def from_stacks(cls, stacks: dict[str, SynthStack], admin_roles: dict[str, str]) -> AccessModel:
        """``admin_roles``: account id -> the administrator role name AWS Organizations puts there."""
        model = cls()
        pending_roles = []
        for stack in stacks.values():
            resolver = _Resolver(stack)
            model.regions.update(resolver.regions())
            for name, conf in stack.resources("aws_iam_policy").items():
                model.managed_policies[resolver.arn("aws_iam_policy", name)] = json.loads(
                    resolver.resolve(conf["policy"])
                )
            for conf in stack.resources("aws_s3_bucket_policy").values():
                model.bucket_policies[resolver.resolve(conf["bucket"])] = json.loads(resolver.resolve(conf["policy"]))
            for name, conf in stack.resources("aws_kms_key").items():
                model.key_policies[resolver.arn("aws_kms_key", name)] = json.loads(resolver.resolve(conf["policy"]))
            for conf in stack.resources("aws_kms_alias").values():
                account, region = resolver.account_of(conf)
                key_id = resolver.resolve(conf["target_key_id"])
                model.key_aliases[naming.kms_alias_arn(account_id=account, region=region, alias=conf["name"])] = (
                    naming.arn(service="kms", region=region, account_id=account, resource=f"key/{key_id}")
                )
            pending_roles += [(resolver, name, conf) for name, conf in stack.resources("aws_iam_role").items()]
        for resolver, name, conf in pending_roles:
            model._add_role(resolver, name, conf)
        (central,) = [a for a in model.regions if a not in admin_roles]
        for account_id, role_name in admin_roles.items():
            model.add_role(
                naming.role_arn(account_id=account_id, role_name=role_name, region=model.regions[account_id]),
                trust=account_trust(central),
                policies=[ADMINISTRATOR_ACCESS],
                is_admin=True,
            )
        return model

    def _add_role(self, resolver: _Resolver, name: str, conf: dict[str, Any]) -> None:
        arn = resolver.arn("aws_iam_role", name)
        role_name = conf["name"]
        policies = [
            self.managed_policies[resolver.resolve(attachment["policy_arn"])]
            for attachment in resolver.stack.resources("aws_iam_role_policy_attachment").values()
            if resolver.resolve(attachment["role"]) == role_name
        ]
        for inline in resolver.stack.resources("aws_iam_role_policy").values():
            if resolver.resolve(inline["role"]) == role_name:
                policies.append(json.loads(resolver.resolve(inline["policy"])))
        boundary = conf.get("permissions_boundary")
        self.add_role(
            arn,
            trust=json.loads(resolver.resolve(conf["assume_role_policy"])),
            policies=policies,
            boundary=self.managed_policies[resolver.resolve(boundary)] if boundary else None,
        )

    def add_role(
        self,
        arn: str,
        *,
        trust: dict[str, Any],
        policies: list[dict[str, Any]],
        boundary: dict[str, Any] | None = None,
        is_admin: bool = False,
    ) -> Node:
        """A role in the model (also: hypothetical roles a test wants to reason about)."""
        node = Node(
            arn,
            "AROA" + re.sub(r"[^A-Z0-9]", "", arn.upper())[-16:],
            [Policy(arn, f"policy-{i}", doc) for i, doc in enumerate(policies)],
            [],
            trust,
            None,
            0,
            False,
            is_admin,
            Policy(arn, "boundary", boundary) if boundary else None,
            False,
            {},
        )
        self.nodes[arn] = node
        return node

    # Questions ------------------------------------------------------------------

    def can(self, principal: str, action: str, resource: str, **context: Any) -> bool:
        """Is ``principal`` (a role ARN in the model) allowed ``action`` on ``resource``?

        Condition keys come from ``context`` (``iam:PassedToService="glue.amazonaws.com"``);
        ``aws:RequestedRegion`` defaults to the region of the principal's account. The
        resource's own policy (bucket, key or trust policy) takes part where it has one.
        """
        node = self.nodes[principal]
        keys = {"aws:RequestedRegion": self.regions[_account(principal)], **context}
        policy, owner = self.resource_policy(action, resource)
        allowed = local_check_authorization_full(node, action, resource, keys, policy, owner)
        if allowed and node.permissions_boundary is not None:
            # principalmapper lets a resource policy that names a principal skip its
            # boundary. AWS does that for IAM users only: "resource-based policies that
            # grant permissions to an IAM role ARN are limited by an implicit deny in a
            # permissions boundary" (IAM User Guide, policy evaluation logic).
            context_keys = CaseInsensitiveDict({**_inferred_keys(node, CaseInsensitiveDict(keys)), **keys})
            allowed = policy_has_matching_statement(node.permissions_boundary, "Allow", action, resource, context_keys)
        return allowed

    def service_can(self, service: str, action: str, key_arn: str, **context: Any) -> bool:
        """May the AWS service principal ``service`` (``logs.eu-west-1.amazonaws.com``) do
        ``action`` on the KMS key ``key_arn`` of the model?

        A service principal has no identity policy and no boundary, so only the key's own
        policy can admit it (AWS's default policy, for a key no stack created, admits no
        service). The statements that apply are those whose ``Principal`` is ``"*"`` (or
        ``{"AWS": "*"}``) or names ``service`` under ``Service``, and those whose
        ``NotPrincipal`` does not name it; the account-root statement does not apply (it
        delegates to IAM, and a service principal has no IAM policy). principalmapper's
        resource-policy evaluation for services decides: conditions through its condition
        machinery, on ``context`` only, as the service would send it
        (``aws:SourceAccount``, ``kms:EncryptionContext:aws:logs:arn``, ...), nothing
        inferred; a matching Deny wins over every Allow.
        """
        owner = _account(key_arn)
        policy = self.key_policies.get(key_arn, default_key_policy(owner))
        # {"AWS": "*"} is "*" (every principal) to AWS; principalmapper reads it as IAM principals only.
        statements = [
            {**s, "Principal": "*"} if s.get("Principal") in ({"AWS": "*"}, {"AWS": ["*"]}) else s
            for s in _listed(policy["Statement"])
        ]
        policy = {**policy, "Statement": statements}
        result = resource_policy_authorization(service, owner, policy, action, key_arn, CaseInsensitiveDict(context))
        return result is ResourcePolicyEvalResult.SERVICE_MATCH

    def service_may_assume(self, service: str, role_arn: str, **context: Any) -> bool:
        """May the AWS service principal ``service`` (``codebuild.amazonaws.com``) assume
        ``role_arn``? Only the role's trust policy decides (evaluated as for
        :meth:`service_can`), with ``context`` as the service sends it
        (``aws:SourceArn``, ``aws:SourceAccount``)."""
        trust = self.nodes[role_arn].trust_policy
        result = resource_policy_authorization(
            service, _account(role_arn), trust, "sts:AssumeRole", role_arn, CaseInsensitiveDict(context)
        )
        return result is ResourcePolicyEvalResult.SERVICE_MATCH

    def key_alias_names(self, key_arn: str) -> list[str]:
        """The ``alias/...`` names that point at ``key_arn`` (what ``kms:ResourceAliases`` holds)."""
        return sorted(alias.split(":", 5)[5] for alias, key in self.key_aliases.items() if key == key_arn)

    def can_somewhere(self, principal: str, action: str, **context: Any) -> bool:
        """Is ``action`` allowed to ``principal`` on some resource its own policies name?

        For calls whose resource is not known (the emulator reports "*" for most
        services): every Allow statement of the principal that lists the action is tried
        on a resource of the statement's own, with the statement's conditions met."""
        for policy in self.nodes[principal].attached_policies:
            for statement in _listed(policy.policy_doc["Statement"]):
                actions = [a.lower() for a in _listed(statement["Action"])] if "Action" in statement else []
                if statement["Effect"] != "Allow" or not any(fnmatch.fnmatchcase(action.lower(), a) for a in actions):
                    continue
                keys = {**satisfying(statement.get("Condition", {})), **context}
                if any(self.can(principal, action, sample(r), **keys) for r in _listed(statement["Resource"])):
                    return True
        return False

    def allows_call(self, principal: str, action: str, resource: str, context: tuple = ()) -> bool:
        """Would AWS allow a call the emulator recorded (``principal``: the role, its
        ``action`` as moto names it, ``resource``: "*" where the emulator does not say)?
        A KMS call without its key is allowed if one key of the principal's account allows
        it (its key policy and aliases taking part), else as :meth:`can_somewhere` says."""
        action, keys = iam_action(action), dict(context)
        if resource != "*":
            return self.can(principal, action, resource, **keys)
        if action.startswith("kms:"):
            account = _account(principal)
            for key in self.key_policies:
                if _account(key) == account and self.can(
                    principal, action, key, **{"kms:ResourceAliases": self.key_alias_names(key), **keys}
                ):
                    return True
        return self.can_somewhere(principal, action, **keys)

    def authorizer(self) -> collections.abc.Callable[[Any], bool]:
        """For the emulator (``Emulator.authorize``): a call by a session of one of this
        model's roles (administrators aside) goes through only if :meth:`allows_call` says
        so; any other caller's (the harness's, an administrator's) goes through."""

        def authorize(call: Any) -> bool:
            found = re.fullmatch(r"arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/.+", call.principal)
            if not found:
                return True
            partition, account, name = found.groups()
            role = f"arn:{partition}:iam::{account}:role/{name}"
            node = self.nodes.get(role)
            if node is None or node.is_admin:
                return True
            return self.allows_call(role, call.action, call.resource, call.context)

        return authorize

    def resource_policy(self, action: str, resource: str) -> tuple[dict[str, Any] | None, str | None]:
        if not resource.startswith("arn:"):
            return None, None
        service = resource.split(":")[2]
        if service == "s3":
            bucket = resource.split(":::", 1)[1].split("/", 1)[0]
            owner = next((a for a in self.regions if f"-{a}-" in bucket or bucket.endswith(f"-{a}")), None)
            return self.bucket_policies.get(bucket), owner
        if service == "kms" and ":key/" in resource:
            owner = _account(resource)
            return self.key_policies.get(resource, default_key_policy(owner)), owner
        if action == "sts:AssumeRole":
            return self.nodes[resource].trust_policy, _account(resource)
        return None, None

    def foreign_key_arn(self, account_id: str) -> str:
        """A key of ``account_id`` that no stack created (its policy is AWS's default)."""
        return naming.arn(
            service="kms", region=self.regions[account_id], account_id=account_id, resource=f"key/{FOREIGN_KEY_ID}"
        )

    def key_arn(self, alias_arn: str) -> str:
        return self.key_aliases[alias_arn]

    # Escalation analysis --------------------------------------------------------

    def escalation_paths(self) -> list[str]:
        """Every path by which a principal that is not an administrator reaches one.

        principalmapper decides who is an administrator (may edit its own policies,
        attach AdministratorAccess, create an administrator role, rewrite an attached
        policy), then finds edges: A can update B's trust policy, or A may assume B
        (identity policy and B's trust both allow it, across accounts too). A path
        from a non-administrator to an administrator is an escalation.
        """
        graphs = {}
        for account in self.regions:
            nodes = [n for arn, n in self.nodes.items() if _account(arn) == account]
            gathering.update_admin_status(nodes)
            edges = iam_edges.generate_edges_locally(nodes) + sts_edges.generate_edges_locally(nodes)
            graphs[account] = Graph(
                nodes, edges, [], [], {"account_id": account, "pmapper_version": principalmapper.__version__}
            )
        edges: list[Edge] = [edge for graph in graphs.values() for edge in graph.edges]
        accounts = list(graphs)
        for i, a in enumerate(accounts):
            for b in accounts[i + 1 :]:
                edges += cross_account_edges.get_edges_between_graphs(graphs[a], graphs[b])
        outgoing: dict[str, list[Edge]] = {}
        for edge in edges:
            outgoing.setdefault(edge.source.arn, []).append(edge)
        paths = []
        for start in self.nodes.values():
            if start.is_admin:
                continue
            seen, frontier = {start.arn}, [(start, [start.arn])]
            while frontier:
                node, path = frontier.pop()
                for edge in outgoing.get(node.arn, []):
                    target = edge.destination
                    if target.arn in seen:
                        continue
                    seen.add(target.arn)
                    step = [*path, f"--({edge.reason})--> {target.arn}"]
                    if target.is_admin:
                        paths.append(" ".join(step))
                    frontier.append((target, step))
        return paths


# moto names some S3 calls by their API, IAM by its action.
S3_API_TO_IAM = {
    "s3:HeadBucket": "s3:ListBucket",
    "s3:HeadObject": "s3:GetObject",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3:PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3:DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "s3:GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "s3:PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "s3:DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "s3:DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3:DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "s3:DeleteBucketTagging": "s3:PutBucketTagging",
    "s3:DeleteObjects": "s3:DeleteObject",
}
# ... and CloudWatch by its endpoint's name.
SERVICE_TO_IAM = {"monitoring": "cloudwatch"}


def iam_action(action: str) -> str:
    """The IAM action of a call the emulator recorded under its own name for it."""
    service, name = action.split(":", 1)
    return S3_API_TO_IAM.get(action, f"{SERVICE_TO_IAM.get(service, service)}:{name}")


def endpoint_allows(policy: dict[str, Any], action: str, resource: str, **context: Any) -> bool:
    """Does a VPC endpoint policy (Principal "*") let a request through?"""
    keys = CaseInsensitiveDict(context)
    allowed = policy_has_matching_statement(policy, "Allow", action, resource, keys)
    return allowed and not policy_has_matching_statement(policy, "Deny", action, resource, keys)


def satisfying(condition: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Request context that meets an Allow statement's condition (first value of each key)."""
    context: dict[str, Any] = {}
    for operator, keys in condition.items():
        for key, values in keys.items():
            value = _listed(values)[0]
            if "Like" in operator:
                value = value.replace("*", "x")
            context[key] = [value] if operator.startswith("ForAnyValue") else value
    return context


def sample(resource: str) -> str:
    """A resource a pattern names: ``arn:aws:s3:::datalake-dev-*`` -> ``...datalake-dev-x``."""
    return resource if resource == "*" else resource.replace("*", "x")


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _account(arn: str) -> str:
    return arn.split(":")[4]


class _Resolver:
    """Terraform references of one stack, as the ARNs and names AWS assigns."""

    def __init__(self, stack: SynthStack):
        self.stack = stack
        self.providers = {}
        for provider in stack.json["provider"]["aws"]:
            (account,) = provider["allowed_account_ids"]
            self.providers["aws." + provider["alias"] if "alias" in provider else "aws"] = (account, provider["region"])

    def regions(self) -> dict[str, str]:
        return dict(self.providers.values())

    def account_of(self, conf: dict[str, Any]) -> tuple[str, str]:
        return self.providers[conf.get("provider", "aws")]

    def arn(self, resource_type: str, name: str) -> str:
        conf = self.stack.resources(resource_type)[name]
        account, region = self.account_of(conf)
        if resource_type == "aws_iam_role":
            return naming.role_arn(account_id=account, role_name=conf["name"], region=region)
        if resource_type == "aws_iam_policy":
            return naming.policy_arn(account_id=account, policy_name=conf["name"], region=region)
        if resource_type == "aws_s3_bucket":
            return naming.bucket_arn(bucket_name=conf["bucket"], region=region)
        if resource_type == "aws_kms_key":
            return naming.arn(service="kms", region=region, account_id=account, resource=f"key/{self.key_id(name)}")
        if resource_type == "aws_sns_topic":
            return naming.arn(service="sns", region=region, account_id=account, resource=conf["name"])
        if resource_type == "aws_cloudwatch_log_group":
            return naming.arn(service="logs", region=region, account_id=account, resource=f"log-group:{conf['name']}")
        raise AssertionError(f"no ARN rule for {resource_type}: add one to tests/support/iam.py")

    def key_id(self, name: str) -> str:
        return f"{self.stack.stack_id}-{name}"

    def attribute(self, resource_type: str, name: str, attribute: str) -> str:
        if attribute == "arn":
            return self.arn(resource_type, name)
        conf = self.stack.resources(resource_type)[name]
        if resource_type == "aws_iam_role" and attribute in ("name", "id"):
            return conf["name"]
        if resource_type == "aws_s3_bucket" and attribute in ("id", "bucket"):
            return conf["bucket"]
        if resource_type == "aws_kms_key" and attribute in ("key_id", "id"):
            return self.key_id(name)
        raise AssertionError(f"no rule for ${{{resource_type}.{name}.{attribute}}}: add one to tests/support/iam.py")

    def resolve(self, text: str) -> str:
        def replace(match: re.Match) -> str:
            resource_type, name, attribute = match.group(1).split(".")
            return self.attribute(resource_type, name, attribute)

        return re.sub(r"\$\{([^}]+)\}", replace, text)
