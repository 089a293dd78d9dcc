"""The JSON Schemas in envs/schema/ match the model and describe the files as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from datalake_cdktf.config.schema import DEPLOYMENT_SCHEMA, ENVIRONMENT_SCHEMA, schemas

from main import CONFIG_DIR

SCHEMA_DIR = CONFIG_DIR / "schema"

ENVIRONMENT_FILES = sorted((CONFIG_DIR / "environments").glob("*.yaml"))
YAML_FILES = [
    pytest.param(CONFIG_DIR / "deployment.yaml", DEPLOYMENT_SCHEMA, id="deployment"),
    *(pytest.param(path, ENVIRONMENT_SCHEMA, id=path.stem) for path in ENVIRONMENT_FILES),
]


@pytest.mark.parametrize("name", [DEPLOYMENT_SCHEMA, ENVIRONMENT_SCHEMA])
def test_committed_schema_matches_the_model(name):
    path = SCHEMA_DIR / name
    stale = f"envs/schema/{name} is out of date with envs/model.py: run `make schema` and commit the result"
    assert path.is_file(), stale
    assert path.read_text(encoding="utf-8") == schemas()[name], stale


def test_generated_text_is_deterministic():
    text = schemas()
    assert text == schemas()
    for name, body in text.items():
        assert body.endswith("}\n"), name
        assert body == json.dumps(json.loads(body), indent=2, sort_keys=True, ensure_ascii=False) + "\n", name


def test_deployment_schema_lists_environments_by_name():
    schema = json.loads(schemas()[DEPLOYMENT_SCHEMA])
    environments = schema["properties"]["environments"]
    assert environments["type"] == "array" and environments["items"]["type"] == "string", environments
    assert environments["uniqueItems"] is True, environments
    assert "Environment" not in schema.get("$defs", {}), "environment bodies live in their own files"


def test_environment_schema_has_no_name():
    schema = json.loads(schemas()[ENVIRONMENT_SCHEMA])
    assert "name" not in schema["properties"], "the file name is the environment name"
    assert "name" not in schema["required"], schema["required"]
    assert schema["additionalProperties"] is False, "unknown keys are errors in editors too"


@pytest.mark.parametrize(("path", "schema_name"), YAML_FILES)
def test_yaml_file_names_its_schema(path: Path, schema_name: str):
    first = path.read_text().splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, f"{path.name}: first line should name its schema, got {first!r}"
    assert (path.parent / match.group(1)).resolve() == SCHEMA_DIR / schema_name


@pytest.mark.parametrize(("path", "schema_name"), YAML_FILES)
def test_default_yaml_file_is_valid_for_its_schema(path: Path, schema_name: str):
    schema = json.loads((SCHEMA_DIR / schema_name).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    data = yaml.safe_load(path.read_text())
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == [], f"{path.name}: {errors}"


def test_schema_flags_a_typo_as_an_editor_would():
    schema = json.loads((SCHEMA_DIR / ENVIRONMENT_SCHEMA).read_text())
    body = yaml.safe_load((CONFIG_DIR / "environments" / "test.yaml").read_text())
    body["vpc_cdir"] = body.pop("vpc_cidr")
    messages = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(body)]
    assert any("vpc_cdir" in m for m in messages), messages
    assert any("'vpc_cidr' is a required property" in m for m in messages), messages
