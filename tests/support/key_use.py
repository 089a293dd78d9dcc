"""Who uses each KMS key of a deployment, and whether they may: found in the synthesized
JSON, answered by the IAM evaluator (:class:`tests.support.iam.AccessModel`).

Every string attribute of every resource (and every stack's S3 backend) is read; one
that resolves to a key of the model is a :class:`Reference`: a key ARN, an alias ARN or
name, a ``${aws_kms_key...}`` token, or a ``${data.aws_ssm_parameter...}`` token whose
parameter another stack publishes with a key as its value (the ETL stacks read the data
key of ``datalake-<env>`` that way). An attribute whose name says it holds a key but
whose value resolves to none is a problem, and so is a resource type that names a key
without a rule in :data:`RULES`: nothing that names a key goes unchecked.

A rule turns a reference into :class:`Use` records: who calls KMS with the key, which
action, with which request context. Two kinds of caller:

- a **service principal** (CloudWatch Logs for a log group, CodeStar Notifications or
  CloudWatch alarms or EventBridge publishing to an encrypted topic): only the key
  policy can admit it (:meth:`AccessModel.service_can`), with the context the service
  sends (the log group's ``kms:EncryptionContext:aws:logs:arn``, ``aws:SourceAccount``);
- a **role** for which a service calls KMS (S3, with bucket keys, for buckets, state
  files, CodeBuild's caches and CodePipeline's artifacts; Glue; SNS; DynamoDB;
  ``kms:ViaService`` and the encryption context set as that service sets them) or
  which calls KMS itself (a Glue job's bookmarks): its own policies, its
  boundary and the key policy (which must delegate to the account) all take part
  (:meth:`AccessModel.can`). The roles are those of the model that the resource names
  (a build's service role, a job's role, the role a stack is applied through) or, for
  data, every role that the model lets read or write it.

The rules model AWS's documented behaviour; each says which, in its docstring.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from datalake_cdktf import naming

from tests.support.iam import AccessModel, _listed, _Resolver, sample, satisfying
from tests.support.synth import SynthStack

KEY_ARN = re.compile(r"^arn:[a-z-]+:kms:([a-z0-9-]+):(\d{12}):(key|alias)/.+$")
REFERENCE = re.compile(r"^\$\{([^}]+)\}$")
ENCRYPTION_MODES = {"aws:kms", "aws:kms:dsse", "AES256", "KMS", "SSE-KMS", "CSE-KMS", "SSE-S3", "DISABLED"}
"""Values of attributes named like keys that say how, not with what."""
NOT_SETTINGS = {"//", "tags", "tags_all"}

LOGS_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo")
"""What CloudWatch Logs does with a log group's key (CloudWatch Logs User Guide, "Encrypt
log data in CloudWatch Logs using AWS KMS"); DescribeKey takes no encryption context."""
PUBLISH_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
"""What a publisher to an encrypted topic needs (SNS Developer Guide, "Configure AWS KMS
permissions for AWS services")."""
S3_READ, S3_WRITE = ("kms:Decrypt",), ("kms:GenerateDataKey",)
"""What a reader and a writer of an SSE-KMS object need through S3."""
CATALOG_READS = ("glue:GetDatabase", "glue:GetTable", "glue:GetPartitions")
CATALOG_WRITES = ("glue:CreateDatabase", "glue:UpdateDatabase", "glue:CreateTable", "glue:UpdateTable")
CATALOG_ENCRYPT = ("kms:Encrypt", "kms:GenerateDataKey")
"""What readers and writers of an encrypted catalog do with its key (Glue Developer Guide,
"Encrypting your Data Catalog"; Athena's guide asks the same of every catalog user)."""
TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:Scan")
DOCUMENTS = {"aws_iam_policy", "aws_iam_role", "aws_iam_role_policy", "aws_sns_topic_policy"}
"""Resource types that mention a topic's ARN in a policy: grants, not publishers."""


@dataclass(frozen=True)
class Reference:
    """One attribute of one resource that names a key of the model."""

    stack: str
    resource_type: str
    name: str
    attribute: str
    key: str
    account: str
    region: str

    def __str__(self) -> str:
        return f"{self.stack}: {self.resource_type}.{self.name}.{self.attribute}"


@dataclass(frozen=True)
class Use:
    """``principal`` (a service principal or a role ARN) does ``action`` on ``resource``
    (the key, or for an IAM action the user needs besides, that action's resource)."""

    reference: Reference
    principal: str
    action: str
    resource: str
    why: str
    context: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def by_service(self) -> bool:
        return not self.principal.startswith("arn:")

    def allowed(self, model: AccessModel) -> bool:
        if self.by_service:
            return model.service_can(self.principal, self.action, self.resource, **self.context)
        return self.principal in model.nodes and model.can(self.principal, self.action, self.resource, **self.context)

    def __str__(self) -> str:
        return f"{self.reference} -> {self.principal} {self.action} ({self.why}) {self.context}"


class KeyUses:
    """Every reference to a key in ``stacks``, the uses each implies, and what the model refuses."""

    def __init__(self, stacks: dict[str, SynthStack], model: AccessModel):
        self.stacks, self.model = stacks, model
        self.resolvers = {stack_id: _Resolver(stack) for stack_id, stack in stacks.items()}
        self.problems: list[str] = []
        """References no rule reads, keys nobody creates, roles not in the model."""
        self.published: dict[tuple[str, str], tuple[str, str]] = {}
        """(account, SSM parameter name) -> (stack, value) of every parameter a stack publishes."""
        for stack_id, stack in stacks.items():
            for conf in stack.resources("aws_ssm_parameter").values():
                account, _ = self.resolvers[stack_id].account_of(conf)
                self.published[(account, conf["name"])] = (stack_id, conf.get("value", conf.get("insecure_value", "")))
        self._object_users: dict[tuple[str, str | None], dict[str, set[str]]] = {}
        self.references = list(self._references())
        self.uses = [use for reference in self.references for use in self._uses(reference)]

    # Questions --------------------------------------------------------------------

    def refused(self, model: AccessModel | None = None) -> list[Use]:
        """Each use that ``model`` (default: the one the uses were found with) refuses."""
        return [use for use in self.uses if not use.allowed(model or self.model)]

    def region_mismatches(self) -> list[str]:
        """References to a key of another region than the resource's (KMS keys are regional)."""
        return [
            f"{reference}: a key of {reference.key.split(':')[3]} used in {reference.region}"
            for reference in self.references
            if reference.key.split(":")[3] != reference.region
        ]

    def services_of(self, key: str) -> set[str]:
        """The service principals that use ``key``."""
        return {use.principal for use in self.uses if use.by_service and use.resource == key}

    # Finding references -------------------------------------------------------------

    def _references(self) -> Iterator[Reference]:
        for stack_id, stack in self.stacks.items():
            resolver = self.resolvers[stack_id]
            for resource_type, name, conf in stack.all_resources():
                account, region = resolver.account_of(conf)
                for path, value in _leaves(conf):
                    key = self.key_of(stack_id, value, account, region)
                    where = f"{stack_id}: {resource_type}.{name}.{path}"
                    if key:
                        yield Reference(stack_id, resource_type, name, path, key, account, region)
                    elif _names_a_key(path) and value not in ENCRYPTION_MODES:
                        self.problems.append(f"{where}: {value!r} names no key of the model")
            backend = stack.json.get("terraform", {}).get("backend", {}).get("s3", {})
            if "kms_key_id" in backend:
                key = self.key_of(stack_id, backend["kms_key_id"], "", backend["region"])
                if key:
                    yield Reference(
                        stack_id, "terraform.backend", "s3", "kms_key_id", key, key.split(":")[4], backend["region"]
                    )
                else:
                    self.problems.append(f"{stack_id}: backend kms_key_id {backend['kms_key_id']!r} names no key")

    def key_of(self, stack_id: str, value: str, account: str, region: str) -> str | None:
        """The ARN of the model's key that ``value`` names, if it names one."""
        match = REFERENCE.match(value)
        if match and match.group(1).startswith("aws_kms_key."):
            return self.resolvers[stack_id].arn("aws_kms_key", match.group(1).split(".")[1])
        if match and match.group(1).startswith("aws_kms_alias."):
            alias = self.stacks[stack_id].resources("aws_kms_alias")[match.group(1).split(".")[1]]
            return self.key_of(stack_id, alias["target_key_id"], account, region)
        if match:
            resolved = self.value(stack_id, value)
            if isinstance(resolved, tuple):  # a parameter another stack publishes: its value there
                return self.key_of(*resolved, account, region)
            if resolved is None or REFERENCE.match(resolved):
                return None
            value = resolved
        if value.startswith("alias/") and account:
            value = naming.kms_alias_arn(account_id=account, region=region, alias=value)
        found = KEY_ARN.match(value)
        if not found:
            return None
        key = self.model.key_aliases.get(value) if found.group(3) == "alias" else value
        if key is None or key not in self.model.key_policies:
            self.problems.append(f"{stack_id}: {value} is a key no stack of the deployment creates")
            return None
        return key

    def value(self, stack_id: str, text: str) -> str | tuple[str, str] | None:
        """What a full ``${...}`` token stands for: a string, or (for a parameter another
        stack publishes) ``(that stack, its value)``, to be read there; None if unknown."""
        match = REFERENCE.match(text)
        if not match:
            return None if "${" in text else text
        parts = match.group(1).split(".")
        resolver = self.resolvers[stack_id]
        if parts[0] == "data":
            if parts[1] != "aws_ssm_parameter" or parts[3] not in ("value", "insecure_value"):
                return None
            conf = self.stacks[stack_id].json["data"]["aws_ssm_parameter"][parts[2]]
            account, _ = resolver.account_of(conf)
            return self.published.get((account, conf["name"]))
        resource_type, name, attribute = parts
        conf = self.stacks[stack_id].resources(resource_type).get(name, {})
        if attribute == "name" and isinstance(conf.get("name"), str):
            return conf["name"]
        try:
            return resolver.attribute(resource_type, name, attribute)
        except AssertionError:
            return None

    def text(self, stack_id: str, text: str) -> str | None:
        """``text`` with a full token resolved, following published parameters."""
        resolved = self.value(stack_id, text)
        while isinstance(resolved, tuple):
            resolved = self.value(*resolved)
        return resolved

    # Who uses a key -------------------------------------------------------------------

    def _uses(self, reference: Reference) -> list[Use]:
        rule = RULES.get(reference.resource_type)
        if rule is None:
            self.problems.append(f"{reference}: no rule says who uses a key named by {reference.resource_type}")
            return []
        return rule(self, reference)

    def conf(self, reference: Reference) -> dict[str, Any]:
        return self.stacks[reference.stack].resources(reference.resource_type)[reference.name]

    def unknown(self, reference: Reference) -> list[Use]:
        self.problems.append(f"{reference}: the rule of {reference.resource_type} does not know this attribute")
        return []

    def service(
        self, reference: Reference, service: str, actions: tuple[str, ...], why: str, **context: Any
    ) -> list[Use]:
        return [Use(reference, service, action, reference.key, why, context) for action in actions]

    def role(
        self, reference: Reference, role: str, actions: tuple[str, ...], why: str, via: str | None, **context: Any
    ) -> list[Use]:
        """``role`` uses the key through the service ``via`` (``s3``: ``kms:ViaService`` is
        ``s3.<region>.amazonaws.com``, the resource's region) or, with ``via`` None, itself."""
        if role not in self.model.nodes:
            self.problems.append(f"{reference}: {role} ({why}) is not a role of the model")
            return []
        keys = {
            "kms:CallerAccount": role.split(":")[4],
            "kms:ResourceAliases": self.model.key_alias_names(reference.key),
            **({"kms:ViaService": f"{via}.{reference.region}.amazonaws.com"} if via else {}),
            **context,
        }
        return [Use(reference, role, action, reference.key, why, keys) for action in actions]

    def role_arn(self, stack_id: str, conf: dict[str, Any], text: str) -> str:
        """A role named by ARN, token or name (a crawler's ``role``), as its ARN."""
        value = self.text(stack_id, text) or text
        if value.startswith("arn:"):
            return value
        account, region = self.resolvers[stack_id].account_of(conf)
        return naming.role_arn(account_id=account, role_name=value, region=region)

    def applier(self, stack_id: str, conf: dict[str, Any]) -> str | None:
        """The role Terraform applies ``conf`` through (its provider's), None for an
        administrator. A stack a pipeline applies names its repository's profile
        ``<project>-<env>-<repo>``, which the apply build maps to ``<project>-<env>-<repo>-deploy``
        (tests/test_pipelines.py holds the builds to that)."""
        alias = conf.get("provider", "aws")
        for provider in self.stacks[stack_id].json["provider"]["aws"]:
            if ("aws." + provider["alias"] if "alias" in provider else "aws") == alias:
                if provider.get("profile"):
                    (account,) = provider["allowed_account_ids"]
                    region = provider["region"]
                    return naming.role_arn(account_id=account, role_name=provider["profile"] + "-deploy", region=region)
                return provider["assume_role"][0]["role_arn"] if provider.get("assume_role") else None
        raise AssertionError(f"{stack_id}: no provider {alias}")

    def resources_of(self, account: str, resource_type: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(stack, name, conf) of every ``resource_type`` of ``account``."""
        for stack_id, stack in self.stacks.items():
            for name, conf in stack.resources(resource_type).items():
                if self.resolvers[stack_id].account_of(conf)[0] == account:
                    yield stack_id, name, conf

    def roles_of(self, account: str) -> list[str]:
        return [arn for arn, node in self.model.nodes.items() if arn.split(":")[4] == account and not node.is_admin]

    def object_users(self, bucket: str, object_arn: str | None = None) -> dict[str, set[str]]:
        """Roles of the model (administrators aside) that may read or write objects of
        ``bucket`` (an ARN): each Allow statement of theirs listing ``s3:GetObject`` or
        ``s3:PutObject`` is tried on an object of the bucket that its resource names (or
        on ``object_arn``), with the statement's conditions met; bucket policies take part."""
        if (bucket, object_arn) in self._object_users:
            return self._object_users[(bucket, object_arn)]
        users: dict[str, set[str]] = self._object_users.setdefault((bucket, object_arn), {})
        for arn, node in self.model.nodes.items():
            if node.is_admin:
                continue
            for policy in node.attached_policies:
                for statement in _listed(policy.policy_doc["Statement"]):
                    if statement["Effect"] != "Allow" or "Action" not in statement:
                        continue
                    patterns = [a.lower() for a in _listed(statement["Action"])]
                    for mode, action in (("read", "s3:GetObject"), ("write", "s3:PutObject")):
                        if not any(fnmatch.fnmatchcase(action.lower(), p) for p in patterns):
                            continue
                        for resource in _listed(statement.get("Resource", [])):
                            candidate = object_arn or _object_in(bucket, resource)
                            if candidate and fnmatch.fnmatchcase(candidate, resource):
                                context = satisfying(statement.get("Condition", {}))
                                if self.model.can(arn, action, candidate, **context):
                                    users.setdefault(arn, set()).add(mode)
        return users

    def bucket_key(self, bucket_name: str) -> bool | None:
        """Whether the bucket's default encryption uses S3 bucket keys (None: no such bucket)."""
        for stack_id, stack in self.stacks.items():
            for conf in stack.resources("aws_s3_bucket_server_side_encryption_configuration").values():
                if self.text(stack_id, conf["bucket"]) == bucket_name:
                    return any(rule.get("bucket_key_enabled") for rule in conf["rule"])
        return None

    def through_s3(
        self,
        reference: Reference,
        role: str,
        actions: tuple[str, ...],
        why: str,
        bucket: str,
        obj: str,
        bucket_key: bool,
    ) -> list[Use]:
        """With a bucket key S3 asks KMS with the bucket's ARN as encryption context, else the object's."""
        context = {"kms:EncryptionContext:aws:s3:arn": bucket if bucket_key else obj}
        return self.role(reference, role, actions, why, "s3", **context)

    def security_configuration_users(self, account: str, name: str) -> Iterator[tuple[str, str, str]]:
        """(``job`` or ``crawler``, its role's ARN, its name) of each Glue job and crawler of
        ``account`` that runs with the security configuration ``name``."""
        for kind, resource_type, role_attribute in (
            ("job", "aws_glue_job", "role_arn"),
            ("crawler", "aws_glue_crawler", "role"),
        ):
            for stack_id, _, conf in self.resources_of(account, resource_type):
                if "security_configuration" in conf and self.text(stack_id, conf["security_configuration"]) == name:
                    yield kind, self.role_arn(stack_id, conf, conf[role_attribute]), conf["name"]


# Rules: one per resource type that names a key ------------------------------------------


def log_group(uses: KeyUses, reference: Reference) -> list[Use]:
    """CloudWatch Logs encrypts the group's events with the key: the key policy must admit
    ``logs.<region>.amazonaws.com`` for this group's ARN as encryption context. (Flow logs,
    Lambda functions and state machines deliver into log groups: this rule covers them.)"""
    if reference.attribute != "kms_key_id":
        return uses.unknown(reference)
    group = uses.resolvers[reference.stack].arn("aws_cloudwatch_log_group", reference.name)
    return logs_encrypt(uses, reference, group, "CloudWatch Logs encrypts the log group")


def logs_encrypt(uses: KeyUses, reference: Reference, group: str, why: str) -> list[Use]:
    service = f"logs.{reference.region}.amazonaws.com"
    return uses.service(reference, service, LOGS_ACTIONS, why, **{"kms:EncryptionContext:aws:logs:arn": group})


def topic(uses: KeyUses, reference: Reference) -> list[Use]:
    """Whoever publishes to an encrypted topic uses its key (SNS encrypts with the
    publisher's permissions). Publishers are the resources that name the topic (by token
    or ARN); each resource type that may has a rule in :data:`PUBLISHERS`."""
    if reference.attribute != "kms_master_key_id":
        return uses.unknown(reference)
    arn = uses.resolvers[reference.stack].arn("aws_sns_topic", reference.name)
    token = "${aws_sns_topic." + reference.name + ".arn}"
    named = re.compile(re.escape(arn) + r"(?![\w-])")
    found = []
    for stack_id, stack in uses.stacks.items():
        for resource_type, name, conf in stack.all_resources():
            if resource_type in DOCUMENTS or (stack_id, name) == (reference.stack, reference.name):
                continue
            if uses.resolvers[stack_id].account_of(conf)[0] != reference.account:
                continue
            if not any(named.search(v) or (stack_id == reference.stack and token in v) for _, v in _leaves(conf)):
                continue
            publisher = PUBLISHERS.get(resource_type)
            if publisher is None:
                uses.problems.append(
                    f"{reference}: {resource_type}.{name} names the topic; no rule says how it publishes"
                )
                continue
            found += publisher(uses, reference, stack_id, conf)
    return found


def _service_publishes(service: str) -> Callable[..., list[Use]]:
    def publishes(uses: KeyUses, reference: Reference, stack_id: str, conf: dict[str, Any]) -> list[Use]:
        why = f"{service} publishes to the topic"
        return uses.service(reference, service, PUBLISH_ACTIONS, why, **{"aws:SourceAccount": reference.account})

    return publishes


def _role_publishes(attribute: str) -> Callable[..., list[Use]]:
    def publishes(uses: KeyUses, reference: Reference, stack_id: str, conf: dict[str, Any]) -> list[Use]:
        role = uses.role_arn(stack_id, conf, conf[attribute])
        return uses.role(reference, role, PUBLISH_ACTIONS, f"{conf.get('name', stack_id)} publishes as its role", "sns")

    return publishes


def _event_target_publishes(uses: KeyUses, reference: Reference, stack_id: str, conf: dict[str, Any]) -> list[Use]:
    """EventBridge publishes to an SNS target as itself (a role is for other targets)."""
    if "role_arn" in conf:
        return _role_publishes("role_arn")(uses, reference, stack_id, conf)
    return _service_publishes("events.amazonaws.com")(uses, reference, stack_id, conf)


PUBLISHERS: dict[str, Callable[..., list[Use]]] = {
    "aws_codestarnotifications_notification_rule": _service_publishes("codestar-notifications.amazonaws.com"),
    "aws_cloudwatch_metric_alarm": _service_publishes("cloudwatch.amazonaws.com"),
    "aws_cloudwatch_event_target": _event_target_publishes,
    # a manual approval's notification, and a state machine's sns:publish task: their roles
    "aws_codepipeline": _role_publishes("role_arn"),
    "aws_sfn_state_machine": _role_publishes("role_arn"),
}
"""Resource types that publish to a topic they name, and as whom."""


def bucket_encryption(uses: KeyUses, reference: Reference) -> list[Use]:
    """A bucket's default encryption: S3 uses the key for whoever reads (Decrypt) or writes
    (GenerateDataKey) its objects, with their permissions; every role of the model that may
    read or write the bucket's objects is asked."""
    if not reference.attribute.endswith("apply_server_side_encryption_by_default.kms_master_key_id"):
        return uses.unknown(reference)
    conf = uses.conf(reference)
    name = uses.text(reference.stack, conf["bucket"])
    index = int(re.search(r"rule\[(\d+)\]", reference.attribute).group(1))
    bucket_key = bool(conf["rule"][index].get("bucket_key_enabled"))
    bucket = naming.bucket_arn(bucket_name=name, region=reference.region)
    found = []
    for role, modes in uses.object_users(bucket).items():
        for mode in sorted(modes):
            actions = S3_READ if mode == "read" else S3_WRITE
            found += uses.through_s3(
                reference, role, actions, f"{mode}s objects of {name}", bucket, f"{bucket}/x", bucket_key
            )
    return found


def s3_object(uses: KeyUses, reference: Reference) -> list[Use]:
    """An object uploaded with the key: the role the stack is applied through writes it."""
    if reference.attribute != "kms_key_id":
        return uses.unknown(reference)
    conf = uses.conf(reference)
    role = uses.applier(reference.stack, conf)
    if role is None:
        return []  # applied by an administrator
    bucket = naming.bucket_arn(bucket_name=conf["bucket"], region=reference.region)
    obj = f"{bucket}/{conf['key']}"
    why = f"Terraform uploads {conf['key']}"
    return uses.through_s3(reference, role, S3_WRITE, why, bucket, obj, bool(conf.get("bucket_key_enabled")))


def backend(uses: KeyUses, reference: Reference) -> list[Use]:
    """A stack's state: whoever may write its state object (or lock file) encrypts with the
    backend's key through S3, whoever may read it decrypts."""
    config = uses.stacks[reference.stack].json["terraform"]["backend"]["s3"]
    bucket = naming.bucket_arn(bucket_name=config["bucket"], region=config["region"])
    obj = f"{bucket}/{config['key']}"
    bucket_key = bool(uses.bucket_key(config["bucket"]))
    found = []
    for role, modes in uses.object_users(bucket, obj).items():
        for mode in sorted(modes):
            actions = S3_READ if mode == "read" else S3_WRITE
            found += uses.through_s3(reference, role, actions, f"{mode}s {config['key']}", bucket, obj, bucket_key)
    return found


def codebuild_project(uses: KeyUses, reference: Reference) -> list[Use]:
    """A build's encryption key: CodeBuild encrypts what the build keeps in S3 with it (its
    S3 cache, S3 artifacts and S3 logs; CODEPIPELINE artifacts take the artifact store's
    key, see :func:`codepipeline`) as the project's service role, through S3: the role
    reads (Decrypt) and writes (GenerateDataKey) there with the key."""
    if reference.attribute != "encryption_key":
        return uses.unknown(reference)
    conf = uses.conf(reference)
    role = uses.role_arn(reference.stack, conf, conf["service_role"])
    destinations = []
    for kind, setting in (("cache", conf.get("cache")), ("artifacts", conf.get("artifacts"))):
        for block in _listed(setting or []):
            if block.get("type") == "S3":  # artifacts: a bucket and the path in it
                destinations.append((kind, "/".join(filter(None, (block["location"], block.get("path"))))))
    for block in _listed(conf.get("logs_config", {}).get("s3_logs", [])):
        if block.get("status") == "ENABLED":
            destinations.append(("logs", block["location"]))
    found = []
    for kind, location in destinations:
        location = uses.text(reference.stack, location) or location
        name = location.split("/", 1)[0]
        bucket = naming.bucket_arn(bucket_name=name, region=reference.region)
        why = f"build {conf['name']} keeps its {kind} in {name}"
        bucket_key = bool(uses.bucket_key(name))
        found += uses.through_s3(
            reference,
            role,
            ("kms:Decrypt", "kms:GenerateDataKey"),
            why,
            bucket,
            f"{bucket}/{location.split('/', 1)[-1]}/x",
            bucket_key,
        )
    return found


def codepipeline(uses: KeyUses, reference: Reference) -> list[Use]:
    """An artifact store's key: CodePipeline reads and writes the artifacts in the store's
    bucket through S3 as the pipeline's role. (Builds reading them: the bucket's rule.)"""
    match = re.fullmatch(r"artifact_store\[(\d+)\]\.encryption_key\.id", reference.attribute)
    if not match:
        return uses.unknown(reference)
    conf = uses.conf(reference)
    store = conf["artifact_store"][int(match.group(1))]
    role = uses.role_arn(reference.stack, conf, conf["role_arn"])
    bucket = naming.bucket_arn(bucket_name=store["location"], region=reference.region)
    bucket_key = bool(uses.bucket_key(store["location"]))
    actions = ("kms:Decrypt", "kms:GenerateDataKey")
    return uses.through_s3(
        reference, role, actions, f"pipeline {conf['name']}'s artifacts", bucket, f"{bucket}/x", bucket_key
    )


def catalog_encryption(uses: KeyUses, reference: Reference) -> list[Use]:
    """The Data Catalog's keys. Metadata (mode SSE-KMS, not SSE-KMS-WITH-SERVICE-ROLE): Glue
    encrypts and decrypts it with the caller's permissions (``kms:ViaService`` Glue), so
    every role that may read the account's databases or tables decrypts and every role that
    may write them encrypts. Connection passwords: :func:`connection_passwords`."""
    conf = uses.conf(reference)
    if reference.attribute.endswith("connection_password_encryption.aws_kms_key_id"):
        return connection_passwords(uses, reference, conf)
    if not reference.attribute.endswith("encryption_at_rest.sse_aws_kms_key_id"):
        return uses.unknown(reference)
    account = conf["catalog_id"]

    def requests(actions: tuple[str, ...]) -> list[tuple[str, str]]:
        found = []
        for _, _, database in uses.resources_of(account, "aws_glue_catalog_database"):
            name = database["name"]
            for action in actions:
                resource = f"database/{name}" if action.endswith("Database") else f"table/{name}/x"
                found.append(
                    (action, naming.arn(service="glue", region=reference.region, account_id=account, resource=resource))
                )
        return found

    reads, writes = requests(CATALOG_READS), requests(CATALOG_WRITES)
    found = []
    for role in uses.roles_of(account):
        if any(uses.model.can(role, action, resource) for action, resource in reads):
            found += uses.role(reference, role, ("kms:Decrypt",), "reads the catalog's metadata", "glue")
        if any(uses.model.can(role, action, resource) for action, resource in writes):
            found += uses.role(reference, role, CATALOG_ENCRYPT, "writes the catalog's metadata", "glue")
    return found


def connection_passwords(uses: KeyUses, reference: Reference, settings: dict[str, Any]) -> list[Use]:
    """Connection passwords: whoever creates a connection that has a password encrypts it
    through Glue; the jobs that use it decrypt it, themselves where the catalog returns
    passwords encrypted, else through Glue. (A connection without a password, such as a
    NETWORK connection, uses no key.)"""
    encrypted = settings["data_catalog_encryption_settings"]["connection_password_encryption"].get(
        "return_connection_password_encrypted", False
    )
    found = []
    for stack_id, _, conf in uses.resources_of(settings["catalog_id"], "aws_glue_connection"):
        if "PASSWORD" not in conf.get("connection_properties", {}):
            continue
        creator = uses.applier(stack_id, conf)
        if creator:
            found += uses.role(reference, creator, ("kms:Encrypt",), f"creates connection {conf['name']}", "glue")
        for job_stack, _, job in uses.resources_of(settings["catalog_id"], "aws_glue_job"):
            if conf["name"] in job.get("connections", []):
                role = uses.role_arn(job_stack, job, job["role_arn"])
                why = f"Glue job {job['name']} reads connection {conf['name']}"
                found += uses.role(reference, role, ("kms:Decrypt",), why, None if encrypted else "glue")
    return found


def glue_security_configuration(uses: KeyUses, reference: Reference) -> list[Use]:
    """A Glue security configuration, for every job and crawler that runs with it:

    - CloudWatch encryption: Glue associates the key with the run's log groups (under
      ``/aws-glue/``: ``jobs/<configuration>-role/<role>/output`` and ``/error``,
      ``jobs/logs-v2-<configuration>``, ``crawlers-role/<role>-<configuration>``), so
      CloudWatch Logs must be admitted for them and the role may ``logs:AssociateKmsKey``;
    - S3 encryption: a job writes SSE-KMS with the key through S3, into every bucket its
      role may write;
    - job bookmarks (CSE-KMS): the job encrypts and decrypts its bookmarks itself.
    """
    conf = uses.conf(reference)
    name = conf["name"]
    users = list(uses.security_configuration_users(reference.account, name))
    found: list[Use] = []
    if reference.attribute == "encryption_configuration.cloudwatch_encryption.kms_key_arn":
        for kind, role, run in users:
            role_name = role.rsplit("/", 1)[1]
            groups = (
                [
                    f"/aws-glue/jobs/{name}-role/{role_name}/output",
                    f"/aws-glue/jobs/{name}-role/{role_name}/error",
                    f"/aws-glue/jobs/logs-v2-{name}",
                ]
                if kind == "job"
                else [f"/aws-glue/crawlers-role/{role_name}-{name}"]
            )
            for group in groups:
                arn = naming.arn(
                    service="logs", region=reference.region, account_id=reference.account, resource=f"log-group:{group}"
                )
                found += logs_encrypt(uses, reference, arn, f"Glue {kind} {run} logs to {group}")
                found.append(Use(reference, role, "logs:AssociateKmsKey", arn, f"Glue {kind} {run} encrypts {group}"))
            if role not in uses.model.nodes:
                uses.problems.append(f"{reference}: {role} (Glue {kind} {run}) is not a role of the model")
    elif reference.attribute == "encryption_configuration.s3_encryption.kms_key_arn":
        for kind, role, run in users:
            if kind != "job":
                continue
            for _, _, bucket_conf in uses.resources_of(reference.account, "aws_s3_bucket"):
                bucket = naming.bucket_arn(bucket_name=bucket_conf["bucket"], region=reference.region)
                if "write" in uses.object_users(bucket).get(role, set()):
                    bucket_key = bool(uses.bucket_key(bucket_conf["bucket"]))
                    why = f"Glue job {run} writes {bucket_conf['bucket']}"
                    found += uses.through_s3(reference, role, S3_WRITE, why, bucket, f"{bucket}/x", bucket_key)
    elif reference.attribute == "encryption_configuration.job_bookmarks_encryption.kms_key_arn":
        for kind, role, run in users:
            if kind == "job":
                found += uses.role(
                    reference, role, ("kms:Decrypt", "kms:GenerateDataKey"), f"Glue job {run}'s bookmarks", None
                )
    else:
        return uses.unknown(reference)
    return found


def dynamodb_table(uses: KeyUses, reference: Reference) -> list[Use]:
    """A table's customer-managed key: DynamoDB decrypts the table key with the caller's
    permissions (``kms:ViaService`` DynamoDB, encryption context the table name and the
    account), and whoever creates the table lets DynamoDB hold grants on the key."""
    if reference.attribute != "server_side_encryption.kms_key_arn":
        return uses.unknown(reference)
    conf = uses.conf(reference)
    table = naming.arn(
        service="dynamodb", region=reference.region, account_id=reference.account, resource=f"table/{conf['name']}"
    )
    context = {
        "kms:EncryptionContext:aws:dynamodb:tableName": conf["name"],
        "kms:EncryptionContext:aws:dynamodb:subscriberId": reference.account,
    }
    found = []
    creator = uses.applier(reference.stack, conf)
    if creator:
        found += uses.role(
            reference, creator, ("kms:CreateGrant", "kms:DescribeKey"), f"Terraform creates {conf['name']}", "dynamodb"
        )
    for role in uses.roles_of(reference.account):
        if role != creator and any(uses.model.can(role, action, table) for action in TABLE_ACTIONS):
            found += uses.role(
                reference, role, ("kms:Decrypt",), f"uses the table {conf['name']}", "dynamodb", **context
            )
    return found


def no_use(uses: KeyUses, reference: Reference) -> list[Use]:
    """The key's alias, or a parameter that publishes the key's ARN for other stacks: naming
    a key is not using it (whoever reads the parameter and uses the key is a reference of its own)."""
    expected = {"aws_kms_alias": ("name", "target_key_id"), "aws_ssm_parameter": ("value",)}
    return [] if reference.attribute in expected[reference.resource_type] else uses.unknown(reference)


RULES: dict[str, Callable[[KeyUses, Reference], list[Use]]] = {
    "aws_cloudwatch_log_group": log_group,
    "aws_sns_topic": topic,
    "aws_s3_bucket_server_side_encryption_configuration": bucket_encryption,
    "aws_s3_object": s3_object,
    "terraform.backend": backend,
    "aws_codebuild_project": codebuild_project,
    "aws_codepipeline": codepipeline,
    "aws_glue_data_catalog_encryption_settings": catalog_encryption,
    "aws_glue_security_configuration": glue_security_configuration,
    "aws_dynamodb_table": dynamodb_table,
    "aws_kms_alias": no_use,
    "aws_ssm_parameter": no_use,
}
"""Who uses a key that a resource of each type names."""


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, string) of every string setting inside ``value`` (no tags, no metadata)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in NOT_SETTINGS:
                yield from _leaves(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value


def _names_a_key(path: str) -> bool:
    """Is this setting's name one that holds a key (``kms_key_id``, ``encryption_key.id``, ...)?"""
    return any("kms" in part or "encryption_key" in part for part in re.split(r"[.\[\]]", path.lower()))


def _object_in(bucket: str, pattern: str) -> str | None:
    """An object of ``bucket`` that the resource ``pattern`` names, if it names one."""
    candidate = sample(pattern)
    if candidate.startswith(bucket + "/"):
        return candidate
    return f"{bucket}/x" if fnmatch.fnmatchcase(f"{bucket}/x", pattern) else None


def report(uses: list[Use]) -> str:
    """One line per (reference, principal, purpose), its actions together: for messages."""
    grouped: dict[tuple[str, str, str], list[str]] = {}
    contexts: dict[tuple[str, str, str], dict[str, Any]] = {}
    for use in uses:
        key = (str(use.reference), use.principal, use.why)
        grouped.setdefault(key, []).append(use.action)
        contexts[key] = {k: v for k, v in use.context.items() if k not in ("kms:ResourceAliases", "kms:CallerAccount")}
    return "\n".join(
        f"{where} -> {principal}: {', '.join(actions)} ({why}) {contexts[(where, principal, why)] or ''}".rstrip()
        for (where, principal, why), actions in sorted(grouped.items())
    )
