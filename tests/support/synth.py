"""Synthesize a deployment once and read its stacks as plain JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datalake_cdktf.config.model import DeploymentConfig

from stacks import build_app


@dataclass(frozen=True)
class SynthStack:
    """One synthesized stack: its ``cdk.tf.json`` and lookups by construct path."""

    stack_id: str
    directory: Path
    json: dict[str, Any]

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Resources of a type by Terraform name (empty if none)."""
        return self.json.get("resource", {}).get(resource_type, {})

    def all_resources(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (rtype, name, conf)
            for rtype, instances in self.json.get("resource", {}).items()
            for name, conf in instances.items()
        ]

    def resource(self, resource_type: str, construct_path: str) -> dict[str, Any]:
        """The resource whose construct path is ``<stack>/<construct_path>``."""
        want = f"{self.stack_id}/{construct_path}"
        for conf in self.resources(resource_type).values():
            if conf["//"]["metadata"]["path"] == want:
                return conf
        have = [conf["//"]["metadata"]["path"] for conf in self.resources(resource_type).values()]
        raise AssertionError(f"no {resource_type} at {want}; have {have}")

    def address(self, resource_type: str, construct_path: str) -> str:
        want = f"{self.stack_id}/{construct_path}"
        for name, conf in self.resources(resource_type).items():
            if conf["//"]["metadata"]["path"] == want:
                return f"{resource_type}.{name}"
        raise AssertionError(f"no {resource_type} at {want}")

    def ref(self, resource_type: str, construct_path: str, attribute: str) -> str:
        """The ``${type.name.attr}`` token another resource uses to point at this one."""
        return "${" + self.address(resource_type, construct_path) + "." + attribute + "}"

    @property
    def provider(self) -> dict[str, Any]:
        """The stack's default AWS provider (the one without an alias)."""
        (aws,) = [p for p in self.json["provider"]["aws"] if "alias" not in p]
        return aws

    def aliased_provider(self, alias: str) -> dict[str, Any]:
        (aws,) = [p for p in self.json["provider"]["aws"] if p.get("alias") == alias]
        return aws

    @property
    def backend(self) -> dict[str, Any]:
        return self.json["terraform"]["backend"]


ETL_TEMPLATE = Path(__file__).resolve().parents[2] / "etl-template"
"""The template ETL repository (the default deployment's ``sales``)."""


def synthesize(config: DeploymentConfig, outdir: Path) -> dict[str, SynthStack]:
    """Build and synthesize every stack of ``config`` into ``outdir``."""
    return _synthesized(*build_app(config, outdir), outdir)


def synthesize_etl(
    config: DeploymentConfig,
    outdir: Path,
    etl_file: Path = ETL_TEMPLATE / "etl.yaml",
    *,
    read_only: bool = False,
) -> dict[str, SynthStack]:
    """Every ``etl-<repository>-<env>`` of an ETL repository's config (default: the
    template), for the repository its ``repository:`` names."""
    from datalake_cdktf.etl import build_etl_app

    app, stacks = build_etl_app(etl_file, deployment=config, outdir=outdir, read_only=read_only)
    return _synthesized(app, stacks, outdir)


def _synthesized(app, stacks, outdir: Path) -> dict[str, SynthStack]:
    app.synth()
    result = {}
    for stack in stacks:
        directory = outdir / "stacks" / stack.stack_id
        result[stack.stack_id] = SynthStack(
            stack.stack_id, directory, json.loads((directory / "cdk.tf.json").read_text())
        )
    return result


def policy(document: str) -> dict[str, Any]:
    """A policy document string from the JSON as a dict."""
    return json.loads(document)


def statement(document: str, sid: str) -> dict[str, Any]:
    for stmt in policy(document)["Statement"]:
        if stmt.get("Sid") == sid:
            return stmt
    raise AssertionError(f"no statement {sid!r} in {document}")
