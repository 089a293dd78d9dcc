"""JSON Schemas of the two kinds of config file, generated from the config model.

``python -m datalake_cdktf.config.schema`` (or ``make schema``) rewrites ``envs/schema/*.json``; a test
fails when the committed files differ from what the model generates. The YAML files
name their schema in a ``# yaml-language-server: $schema=...`` comment, so editors
complete keys, show each field's description and flag typos while typing.

The schemas follow the files, not the Python model:

- ``deployment.schema.json``: ``deployment.yaml``, where ``environments`` is a list of
  environment *names* (each body lives in its own file);
- ``environment.schema.json``: one ``environments/<name>.yaml``, without ``name``
  (the file name is the environment name).

A schema checks each file on its own. Rules across fields or files (overlapping CIDRs,
shared accounts, name lengths) are checked only by :func:`datalake_cdktf.config.load_config`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from datalake_cdktf.config.model import DeploymentConfig, Environment, EnvironmentName

__all__ = [
    "DEPLOYMENT_SCHEMA",
    "ENVIRONMENT_SCHEMA",
    "SCHEMA_DIR",
    "deployment_schema",
    "environment_schema",
    "main",
    "schemas",
    "write",
]

SCHEMA_DIR = Path("envs") / "schema"
"""Where a project keeps the schemas, beside its YAML files (relative to its root)."""
DEPLOYMENT_SCHEMA = "deployment.schema.json"
"""The file name of the deployment's JSON Schema."""
ENVIRONMENT_SCHEMA = "environment.schema.json"
"""The file name of an environment file's JSON Schema."""

_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def deployment_schema() -> dict[str, Any]:
    """Schema of ``deployment.yaml``: the model, with environments listed by name."""
    schema = DeploymentConfig.model_json_schema()
    schema["properties"]["environments"] = {
        "title": "Environments",
        "description": (
            "Names of the environments, in deployment order, e.g. [dev, test, prod]. "
            "Each has its file environments/<name>.yaml."
        ),
        "type": "array",
        "items": TypeAdapter(EnvironmentName).json_schema(),
        "minItems": 1,
        "uniqueItems": True,
    }
    schema["title"] = "deployment.yaml"
    return _finish(schema)


def environment_schema() -> dict[str, Any]:
    """Schema of one ``environments/<name>.yaml``: an environment without ``name``."""
    schema = Environment.model_json_schema()
    del schema["properties"]["name"]
    schema["required"] = [key for key in schema["required"] if key != "name"]
    schema["title"] = "environments/<name>.yaml"
    schema["description"] = f"{schema['description']} The environment's name is the file name."
    return _finish(schema)


def schemas() -> dict[str, str]:
    """File name -> file text of every schema, exactly as ``envs/schema/`` should hold it."""
    return {
        DEPLOYMENT_SCHEMA: _render(deployment_schema()),
        ENVIRONMENT_SCHEMA: _render(environment_schema()),
    }


def write(folder: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema into ``folder`` (default ``envs/schema/``); return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in schemas().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def _finish(schema: dict[str, Any]) -> dict[str, Any]:
    schema["$schema"] = _DIALECT
    _drop_unused_definitions(schema)
    return schema


def _drop_unused_definitions(schema: dict[str, Any]) -> None:
    """Keep only the ``$defs`` reachable from the root (Environment is gone once it is a name)."""
    definitions = schema.pop("$defs", {})
    used: set[str] = set()
    pending = [schema]
    while pending:
        node = pending.pop()
        for name in _refs(node) - used:
            used.add(name)
            pending.append(definitions[name])
    if used:
        schema["$defs"] = {name: definitions[name] for name in sorted(used)}


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].removeprefix("#/$defs/")} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _render(schema: dict[str, Any]) -> str:
    """Deterministic text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    """``python -m datalake_cdktf.config.schema``: rewrite both schemas in ``envs/schema/``."""
    for path in write():
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
