"""Every malformed config is refused with a message that names the file, the field, the
bad value and the fix, and never with a traceback or a pydantic URL.

Each case copies the default YAML files (``envs/deployment.yaml`` and
``envs/environments/*.yaml``) into a temporary folder, breaks one thing and loads it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from datalake_cdktf.config.loader import ConfigError, load_config

from main import CONFIG_DIR

Mutation = Callable[[Path], None]

ENVIRONMENTS = ["dev", "test", "prod"]
GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5" * 3 + "f6G7h8"  # the shape of a token, 36 characters after ghp_
PEM_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAsecretbits\n-----END RSA PRIVATE KEY-----\n"


def copy_default_files(folder: Path) -> Path:
    """The default YAML files (not the Python package) in ``folder``."""
    (folder / "environments").mkdir(parents=True)
    shutil.copy(CONFIG_DIR / "deployment.yaml", folder / "deployment.yaml")
    for path in (CONFIG_DIR / "environments").glob("*.yaml"):
        shutil.copy(path, folder / "environments" / path.name)
    return folder


def load_broken(folder: Path, mutate: Mutation) -> str:
    """Load the default files after ``mutate``; the config must be refused. Returns the message."""
    mutate(copy_default_files(folder))
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    message = str(caught.value)
    assert_readable(message, caught.value)
    return message


def assert_readable(message: str, error: ConfigError) -> None:
    lines = message.splitlines()
    count = len(error.problems)
    assert count >= 1, message
    assert lines[0] == f"Invalid deployment config ({count} problem{'s' if count != 1 else ''}):", message
    assert len(lines) == count + 1, f"one line per problem:\n{message}"
    for line in lines[1:]:
        assert line.startswith("  - "), message
        assert "Traceback" not in line, message
        assert "errors.pydantic.dev" not in line, message
        assert "Value error" not in line, message


def problem_line(message: str, file: str, field: str) -> str:
    """The one line about ``field`` of ``file`` (a path relative to the config folder)."""
    pattern = re.compile(rf"^  - (.*/)?{re.escape(file)}: {re.escape(field)}(: | = )")
    found = [line for line in message.splitlines() if pattern.match(line)]
    assert len(found) == 1, f"expected one problem for {file}: {field}, got {found}:\n{message}"
    return found[0]


# Mutations: each returns a function that breaks a copied config folder.


def edit(file: str, change: Callable[[dict[str, Any]], Any]) -> Mutation:
    """Load ``file`` as YAML, ``change`` the data in place, write it back."""

    def mutate(folder: Path) -> None:
        path = folder / file
        data = yaml.safe_load(path.read_text())
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    return mutate


def set_key(file: str, key: str, value: Any) -> Mutation:
    """Set ``key`` (dotted for nested mappings, e.g. ``retention.raw_days``) in ``file``."""
    *parents, last = key.split(".")

    def change(data: dict[str, Any]) -> None:
        for part in parents:
            data = data[int(part)] if isinstance(data, list) else data.setdefault(part, {})
        data[last] = value

    return edit(file, change)


def drop_key(file: str, key: str) -> Mutation:
    return edit(file, lambda data: data.pop(key))


def replace_text(file: str, old: str, new: str) -> Mutation:
    def mutate(folder: Path) -> None:
        path = folder / file
        text = path.read_text()
        assert old in text, f"{old!r} is not in the default {file}"
        path.write_text(text.replace(old, new))

    return mutate


def rename_environment(old: str, new: str) -> Mutation:
    """Rename the file and the entry in deployment.yaml together (a consistent rename)."""

    def mutate(folder: Path) -> None:
        (folder / "environments" / f"{old}.yaml").rename(folder / "environments" / f"{new}.yaml")
        edit("deployment.yaml", lambda d: d.update(environments=[new if n == old else n for n in d["environments"]]))(
            folder
        )

    return mutate


def all_of(*mutations: Mutation) -> Mutation:
    def mutate(folder: Path) -> None:
        for m in mutations:
            m(folder)

    return mutate


def copy_file(source: str, target: str) -> Mutation:
    return lambda folder: shutil.copy(folder / source, folder / target)


def delete_file(file: str) -> Mutation:
    return lambda folder: (folder / file).unlink()


def write_bytes(file: str, change: Callable[[bytes], bytes]) -> Mutation:
    def mutate(folder: Path) -> None:
        path = folder / file
        path.write_bytes(change(path.read_bytes()))

    return mutate


def _line_of(file: str, text: str) -> int:
    """1-based line number of ``text`` in the default ``file``."""
    lines = (CONFIG_DIR / file).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


TEST = "environments/test.yaml"
PROD = "environments/prod.yaml"
ROOT = "deployment.yaml"
LONG_PROJECT = "abcdefghijklmnop"  # 16 characters: the longest project name allowed

CASES = [
    # Unknown keys: a typo is an error that names the allowed keys, never silently dropped.
    pytest.param(
        replace_text(TEST, "vpc_cidr:", "vpc_cdir:"),
        TEST,
        "vpc_cdir",
        [
            "= '10.20.0.0/16'",
            "fix its spelling",
            "did you mean 'vpc_cidr'?",
            "allowed here: account_id, admin_role_name",
        ],
        id="unknown-key-in-environment-file",
    ),
    pytest.param(
        set_key(ROOT, "regoin", "eu-west-1"),
        ROOT,
        "regoin",
        [
            "fix its spelling",
            "allowed here: central, environments, pipelines, project, repositories, secrets, source, tags",
        ],
        id="unknown-key-in-deployment-file",
    ),
    pytest.param(
        set_key(TEST, "retention.raw_day", 30),
        TEST,
        "retention.raw_day",
        ["did you mean 'raw_days'?", "allowed here: access_log_days, conformed_days"],
        id="unknown-nested-key",
    ),
    # Accounts.
    pytest.param(
        set_key(TEST, "account_id", "33333333333"),
        TEST,
        "account_id",
        ["= '33333333333'", "exactly 12 digits"],
        id="account-id-11-digits",
    ),
    pytest.param(
        replace_text(TEST, '"333333333333"', "333333333333"),
        TEST,
        "account_id",
        ["= 333333333333", "quote it"],
        id="account-id-unquoted",
    ),
    pytest.param(
        replace_text(ROOT, '"111111111111"', "111111111111"),
        ROOT,
        "central.account_id",
        ["= 111111111111", "quote it"],
        id="central-account-id-unquoted",
    ),
    pytest.param(
        set_key(TEST, "account_id", "111111111111"),
        TEST,
        "account_id",
        ["= '111111111111'", "is the central deployment account", "its own account"],
        id="environment-in-central-account",
    ),
    pytest.param(
        set_key(PROD, "account_id", "333333333333"),
        PROD,
        "account_id",
        ["= '333333333333'", "environment 'test'", "its own account"],
        id="two-environments-one-account",
    ),
    # Networks.
    pytest.param(
        set_key(PROD, "vpc_cidr", "10.20.128.0/17"),
        PROD,
        "vpc_cidr",
        ["= '10.20.128.0/17'", "overlaps", "10.20.0.0/16", "'test'", "'prod'"],
        id="overlapping-vpc-cidrs",
    ),
    pytest.param(
        set_key(TEST, "vpc_cidr", "8.8.0.0/16"),
        TEST,
        "vpc_cidr",
        ["= '8.8.0.0/16'", "RFC 1918", "e.g. '10.10.0.0/16'"],
        id="public-cidr",
    ),
    pytest.param(
        set_key(TEST, "vpc_cidr", "172.16.0.0/12"),
        TEST,
        "vpc_cidr",
        ["= '172.16.0.0/12'", "/16 to /24"],
        id="cidr-prefix-too-large",
    ),
    pytest.param(
        set_key(TEST, "vpc_cidr", "10.20.0.1/16"),
        TEST,
        "vpc_cidr",
        ["= '10.20.0.1/16'", "host bits", "write 10.20.0.0/16"],
        id="cidr-with-host-bits",
    ),
    # Branches and approval.
    pytest.param(
        set_key(PROD, "branch", "test"),
        PROD,
        "branch",
        ["= 'test'", "already deploys environment 'test'", "its own branch"],
        id="duplicate-branch",
    ),
    pytest.param(
        all_of(set_key(PROD, "approval_required", False), drop_key(PROD, "production")),
        PROD,
        "approval_required",
        ["= False", "'prod' is production", "set approval_required: true"],
        id="prod-without-approval",
    ),
    pytest.param(
        all_of(rename_environment("prod", "live"), set_key("environments/live.yaml", "approval_required", False)),
        "environments/live.yaml",
        "approval_required",
        ["= False", "'live' is production", "set approval_required: true"],
        id="production-flag-without-approval",
    ),
    # Files that are not UTF-8 text.
    pytest.param(
        write_bytes(TEST, lambda data: data.replace(b"branch: test", b"branch: t\xe9st")),
        TEST,
        f"line {_line_of(TEST, 'branch: test')}",
        ["not UTF-8 text", "byte 0xe9", "save the file as UTF-8"],
        id="latin-1-byte-in-a-file",
    ),
    pytest.param(
        write_bytes(PROD, lambda data: data.decode().encode("utf-16")),
        PROD,
        "(file)",
        ["saved as UTF-16", "save it as UTF-8"],
        id="file-saved-as-utf-16",
    ),
    # Regions and zones.
    pytest.param(
        set_key(TEST, "region", "europe-west1"),
        TEST,
        "region",
        ["= 'europe-west1'", "AWS region code", "e.g. 'eu-west-1'"],
        id="bad-region",
    ),
    pytest.param(
        all_of(set_key(TEST, "region", "eu-west-9"), set_key(TEST, "availability_zones", ["eu-west-9a", "eu-west-9b"])),
        TEST,
        "region",
        ["= 'eu-west-9'", "is not an AWS region", "did you mean 'eu-west-1'?"],
        id="region-of-the-right-shape-that-does-not-exist",
    ),
    pytest.param(
        set_key(ROOT, "central.region", "us-esat-1"),
        ROOT,
        "central.region",
        ["= 'us-esat-1'", "is not an AWS region", "did you mean 'us-east-1'?"],
        id="misspelt-central-region",
    ),
    pytest.param(
        set_key(TEST, "availability_zones", ["eu-west-1a", "eu-west-2b"]),
        TEST,
        "availability_zones.1",
        ["= 'eu-west-2b'", "not a zone of region eu-west-1", "e.g. eu-west-1a"],
        id="zone-outside-region",
    ),
    pytest.param(
        set_key(TEST, "availability_zones", ["eu-west-1a", "eu-west-1a"]),
        TEST,
        "availability_zones",
        ["['eu-west-1a', 'eu-west-1a']", "lists a zone twice"],
        id="zone-listed-twice",
    ),
    pytest.param(
        set_key(TEST, "availability_zones", ["eu-west-1a"]),
        TEST,
        "availability_zones",
        ["['eu-west-1a']", "at least 2", "2-4 availability zone names"],
        id="too-few-zones",
    ),
    # Names that would break AWS limits: the model builds every physical name up front.
    pytest.param(
        all_of(
            set_key(ROOT, "project.name", LONG_PROJECT),
            rename_environment("prod", "production"),
            set_key("environments/production.yaml", "region", "ap-southeast-2"),
            set_key("environments/production.yaml", "availability_zones", ["ap-southeast-2a", "ap-southeast-2b"]),
        ),
        "environments/production.yaml",
        "name (the file name)",
        [
            "= 'production'",
            f"'{LONG_PROJECT}-production-conformed-444444444444-ap-southeast-2'",
            "65 characters; the limit is 63",
            "shorten project.name or the environment name",
        ],
        id="environment-bucket-name-too-long",
    ),
    pytest.param(
        all_of(set_key(ROOT, "project.name", LONG_PROJECT), set_key(ROOT, "central.region", "ap-southeast-2")),
        ROOT,
        "project.name",
        [f"= '{LONG_PROJECT}'", "64 characters; the limit is 63", "shorten project.name"],
        id="central-bucket-name-too-long",
    ),
    # Secrets: names only. The value must never be repeated into a CI log.
    pytest.param(
        set_key(ROOT, "secrets.pull_request_token", GITHUB_TOKEN),
        ROOT,
        "secrets.pull_request_token",
        ["looks like a secret value", "rotate it", "put the secret's name here"],
        id="secret-value-instead-of-name",
    ),
    pytest.param(
        set_key(ROOT, "repositories.etl.0.pull_request_token", GITHUB_TOKEN),
        ROOT,
        "repositories.etl.0.pull_request_token",
        ["looks like a secret value", "rotate it", "put the secret's name here"],
        id="token-value-instead-of-its-secrets-name",
    ),
    pytest.param(
        set_key(ROOT, "secrets.tls_key", PEM_KEY),
        ROOT,
        "secrets.tls_key",
        ["looks like a secret value", "rotate it"],
        id="private-key-instead-of-name",
    ),
    # Files.
    pytest.param(
        set_key(ROOT, "environments", ["dev", "test", "prod", "qa"]),
        "environments/qa.yaml",
        "(file)",
        ["file not found", "create it"],
        id="listed-environment-without-file",
    ),
    pytest.param(
        copy_file(TEST, "environments/qa.yaml"),
        "environments/qa.yaml",
        "(file)",
        ["not listed in", "deployment.yaml 'environments'", "add 'qa' there or delete the file"],
        id="environment-file-not-listed",
    ),
    pytest.param(
        set_key(ROOT, "environments", ["dev", "test", "prod", "test"]),
        ROOT,
        "environments.3",
        ["= 'test'", "listed twice"],
        id="environment-listed-twice",
    ),
    pytest.param(
        set_key(ROOT, "environments", ["dev", "test", "../deployment"]),
        ROOT,
        "environments.2",
        ["= '../deployment'", "not a valid environment name", "lower-case letters and digits"],
        id="environment-name-is-a-path",
    ),
    pytest.param(
        replace_text(TEST, "branch: test\n", "branch: test\nregion: eu-west-2\n"),
        TEST,
        f"line {_line_of(TEST, 'branch: test') + 1}",
        ["not valid YAML", "key 'region' appears twice"],
        id="duplicate-yaml-key",
    ),
    pytest.param(
        replace_text(TEST, "vpc_cidr: 10.20.0.0/16", "vpc_cidr: 10.20.0.0/16: oops"),
        TEST,
        f"line {_line_of(TEST, 'vpc_cidr')}",
        ["not valid YAML", "mapping values are not allowed here"],
        id="yaml-syntax-error",
    ),
    pytest.param(
        lambda folder: (folder / TEST).write_text("# nothing yet\n"),
        TEST,
        "(file)",
        ["= None", "must be a YAML mapping"],
        id="empty-environment-file",
    ),
    # Required, reserved and misplaced keys.
    pytest.param(
        drop_key(TEST, "branch"),
        TEST,
        "branch",
        ["Field required", "add this required key", "e.g. 'main'"],
        id="missing-branch",
    ),
    pytest.param(
        set_key(ROOT, "tags.project", "other"),
        ROOT,
        "tags",
        ["tag 'project' is reserved", "rename it"],
        id="reserved-tag-project",
    ),
    pytest.param(
        set_key(ROOT, "tags", {"aws:foo": "bar"}),
        ROOT,
        "tags",
        ["tag 'aws:foo' is reserved", "aws:* belongs to AWS", "rename it"],
        id="reserved-tag-aws-prefix",
    ),
    pytest.param(
        set_key(TEST, "name", "test"),
        TEST,
        "name",
        ["= 'test'", "the file name is the environment name", "remove this key"],
        id="name-key-in-environment-file",
    ),
    # Repositories and retention.
    pytest.param(
        set_key(ROOT, "repositories.etl", [{"name": "datalake-infra", "full_repository_id": "example-org/other"}]),
        ROOT,
        "repositories.etl.0.name",
        ["= 'datalake-infra'", "used by two repositories", "must be unique"],
        id="duplicate-repository-name",
    ),
    pytest.param(
        set_key(
            ROOT,
            "repositories.etl",
            [{"name": "sales", "full_repository_id": "Example-Org/Datalake-Infrastructure"}],
        ),
        ROOT,
        "repositories.etl.0.full_repository_id",
        ["= 'Example-Org/Datalake-Infrastructure'", "is also repository 'datalake-infra'", "list each Git"],
        id="duplicate-full-repository-id",
    ),
    pytest.param(
        set_key(
            ROOT,
            "repositories.etl",
            [{"name": "sales", "full_repository_id": "o/a"}, {"name": "sales-eu", "full_repository_id": "o/b"}],
        ),
        ROOT,
        "repositories.etl.0.name",
        ["= 'sales'", "is the start of repository name 'sales-eu'", "'<project>-<env>-sales-'", "Rename one"],
        id="repository-name-is-the-prefix-of-another",
    ),
    pytest.param(
        set_key(ROOT, "repositories.etl", [{"name": "raw", "full_repository_id": "example-org/raw"}]),
        ROOT,
        "repositories.etl.0.name",
        ["= 'raw'", "would own the data lake's name 'raw'", "rename it"],
        id="etl-repository-named-after-a-zone",
    ),
    pytest.param(
        set_key(ROOT, "repositories.etl", [{"name": "access", "full_repository_id": "example-org/access"}]),
        ROOT,
        "repositories.etl.0.name",
        ["= 'access'", "would own the data lake's name 'access-logs'"],
        id="etl-repository-name-prefixes-a-data-lake-name",
    ),
    pytest.param(
        edit(ROOT, lambda data: data["repositories"]["infrastructure"].pop("pull_request_token")),
        ROOT,
        "repositories.infrastructure.pull_request_token",
        ["needs a token for 'datalake-infra'", "may comment on this repository only", "pull_request_comments: false"],
        id="pull-request-comments-without-a-token",
    ),
    pytest.param(
        set_key(ROOT, "secrets.pull_request_token", "datalake/pull-request-token"),
        ROOT,
        "secrets.pull_request_token",
        ["one token would serve every repository", "repositories.<repository>.pull_request_token", "remove this one"],
        id="one-token-for-every-repository",
    ),
    pytest.param(
        set_key(ROOT, "repositories.etl.0.pull_request_token", "datalake/datalake-infra/pull-request-token"),
        ROOT,
        "repositories.etl.0.pull_request_token",
        ["is also 'datalake-infra''s token", "each repository has its own"],
        id="two-repositories-one-token",
    ),
    pytest.param(
        set_key(ROOT, "source.provider", "Github"),
        ROOT,
        "source.provider",
        ["= 'Github'", "'GitHub'"],
        id="misspelt-source-provider",
    ),
    pytest.param(
        set_key(ROOT, "pipelines.build_image", "aws/codebuild/amazonlinux-x86_64-standard:latest"),
        ROOT,
        "pipelines.build_image",
        ["pinned to a version"],
        id="unpinned-build-image",
    ),
    pytest.param(
        set_key(ROOT, "tags", {"repository": "x"}),
        ROOT,
        "tags",
        ["tag 'repository' is reserved", "rename it"],
        id="reserved-tag-repository",
    ),
    pytest.param(
        set_key(ROOT, "repositories.etl", [{"nmae": "sales", "full_repository_id": "example-org/etl"}]),
        ROOT,
        "repositories.etl.0.nmae",
        ["did you mean 'name'?"],
        id="typo-in-repository-list-item",
    ),
    pytest.param(
        set_key(TEST, "retention.raw_days", -1),
        TEST,
        "retention.raw_days",
        ["= -1", "greater than or equal to 1", "Expire raw objects after N days"],
        id="negative-retention-days",
    ),
    pytest.param(
        set_key(TEST, "retention.raw_days", "90"),
        TEST,
        "retention.raw_days",
        ["= '90'", "valid integer"],
        id="quoted-retention-days",
    ),
    pytest.param(
        set_key(PROD, "approval_required", "yes"),
        PROD,
        "approval_required",
        ["= 'yes'", "valid boolean"],
        id="string-for-a-boolean",
    ),
    pytest.param(
        all_of(copy_file("environments/test.yaml", "environments/qa.yml")),
        "environments/qa.yml",
        "(file)",
        ["rename it to qa.yaml"],
        id="yml-extension",
    ),
]


@pytest.mark.parametrize(("mutate", "file", "field", "expected"), CASES)
def test_bad_config_is_refused_naming_file_field_value_and_fix(tmp_path, mutate, file, field, expected):
    message = load_broken(tmp_path, mutate)
    line = problem_line(message, file, field)
    for fragment in expected:
        assert fragment in line, f"{fragment!r} missing from:\n{line}"
    # The broken file is the one blamed: no other file is mentioned.
    for other in message.splitlines()[1:]:
        assert re.match(rf"^  - (.*/)?{re.escape(file)}: ", other), f"only {file} is broken:\n{message}"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_typo_is_reported_in_the_file_that_has_it(tmp_path, env_name):
    message = load_broken(tmp_path, replace_text(f"environments/{env_name}.yaml", "region:", "regoin:"))
    line = problem_line(message, f"environments/{env_name}.yaml", "regoin")
    assert "did you mean 'region'?" in line, line


def test_allowed_keys_of_an_environment_file_leave_out_name(tmp_path):
    """``name`` comes from the file name; suggesting it would contradict the loader."""
    message = load_broken(tmp_path, set_key(TEST, "vpc_cdir", "10.99.0.0/16"))
    allowed = problem_line(message, TEST, "vpc_cdir").split("allowed here: ")[1].split(", ")
    assert "name" not in allowed, allowed
    assert "vpc_cidr" in allowed, allowed


@pytest.mark.parametrize(
    ("mutate", "secret"),
    [
        pytest.param(set_key(ROOT, "secrets.pull_request_token", GITHUB_TOKEN), GITHUB_TOKEN, id="github-token"),
        pytest.param(set_key(ROOT, "secrets.tls_key", PEM_KEY), "MIIEpAIBAAKCAQEAsecretbits", id="private-key"),
        pytest.param(set_key(ROOT, "secrets.db", "correct horse battery staple"), "horse battery", id="password"),
    ],
)
def test_a_secret_value_never_appears_in_the_message(tmp_path, mutate, secret):
    message = load_broken(tmp_path, mutate)
    assert secret not in message, message
    assert "secrets." in message, message


def test_item_error_is_not_repeated_as_a_too_short_list(tmp_path):
    """pydantic also says the list has 'at least 1 item ... not 0'; only the item's error helps."""
    message = load_broken(tmp_path, set_key(ROOT, "repositories.etl", [{"nmae": "x", "full_repository_id": "o/x"}]))
    assert "at least 1 item" not in message, message


def test_problems_in_several_files_are_reported_together(tmp_path):
    message = load_broken(
        tmp_path,
        all_of(
            set_key(ROOT, "regoin", "eu-west-1"),
            set_key(TEST, "vpc_cdir", "10.99.0.0/16"),
            set_key(PROD, "approval_required", False),
        ),
    )
    assert message.splitlines()[0] == "Invalid deployment config (3 problems):", message
    problem_line(message, ROOT, "regoin")
    problem_line(message, TEST, "vpc_cdir")
    problem_line(message, PROD, "approval_required")


def test_problems_in_several_files_are_reported_together_when_files_are_missing(tmp_path):
    message = load_broken(
        tmp_path,
        all_of(
            delete_file(TEST),
            copy_file(PROD, "environments/qa.yaml"),
            replace_text(PROD, "branch: prod", "branch: [prod"),
        ),
    )
    assert message.splitlines()[0] == "Invalid deployment config (3 problems):", message
    problem_line(message, TEST, "(file)")
    problem_line(message, "environments/qa.yaml", "(file)")
    assert re.search(r"environments/prod\.yaml: line \d+: not valid YAML", message), message
