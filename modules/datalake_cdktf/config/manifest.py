"""The deployment as one validated JSON file: how a repository without ``envs/`` gets it.

An ETL repository never copies account ids, regions or names. Its build reads the
deployment through :func:`load_deployment`, from one of:

1. ``$DATALAKE_DEPLOYMENT``: a manifest file, or the infrastructure repository's
   ``envs/`` folder (a checkout beside it, when working locally);
2. ``deployment.json`` in the current folder: the manifest the central pipeline hands
   to the build (``python -m datalake_cdktf.config.manifest`` in the infrastructure
   repository writes it from ``envs/``);
3. ``envs/`` in the current folder (the infrastructure repository itself).

Either way the same model validates it; a manifest records the version of the library
that wrote it, and a manifest a newer format than this library reads is refused with
the fix.

    python -m datalake_cdktf.config.manifest [--config-dir envs] [--out deployment.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from datalake_cdktf.config.loader import (
    _NO_VALUE,
    DEFAULT_CONFIG_DIR,
    ConfigError,
    ConfigProblem,
    _explain,
    _read_text,
    load_config,
)
from datalake_cdktf.config.model import DeploymentConfig

__all__ = [
    "DEFAULT_MANIFEST",
    "DEPLOYMENT_VARIABLE",
    "MANIFEST_FORMAT",
    "load_deployment",
    "read_manifest",
    "write_manifest",
]

MANIFEST_FORMAT = 1
"""The manifest's own format; a reader refuses any other."""
DEPLOYMENT_VARIABLE = "DATALAKE_DEPLOYMENT"
"""Environment variable: a manifest file or a config folder."""
DEFAULT_MANIFEST = Path("deployment.json")
"""Where a build finds the manifest the central pipeline hands it."""


def write_manifest(config: DeploymentConfig, path: Path | str) -> Path:
    """Write ``config`` as a manifest (deterministic JSON) to ``path``."""
    from datalake_cdktf import __version__

    path = Path(path)
    document = {"format": MANIFEST_FORMAT, "written_by": f"datalake-cdktf {__version__}", "deployment": None}
    document["deployment"] = config.model_dump(mode="json")
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_manifest(path: Path | str) -> DeploymentConfig:
    """The deployment in a manifest file, validated by the model; :class:`ConfigError` otherwise."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError([ConfigProblem(path, "(file)", _NO_VALUE, "file not found: create it or fix the path")])
    try:
        document = json.loads(_read_text(path))
    except json.JSONDecodeError as err:
        problem = ConfigProblem(path, f"line {err.lineno}", _NO_VALUE, f"not valid JSON: {err.msg}")
        raise ConfigError([problem]) from None
    if not isinstance(document, dict) or "deployment" not in document:
        fix = "not a deployment manifest: write it with `python -m datalake_cdktf.config.manifest`"
        raise ConfigError([ConfigProblem(path, "(file)", _NO_VALUE, fix)])
    if document.get("format") != MANIFEST_FORMAT:
        fix = (
            f"this library reads manifest format {MANIFEST_FORMAT} ({document.get('written_by', 'unknown writer')} "
            "wrote this one): use the same datalake-cdktf version as the infrastructure repository"
        )
        raise ConfigError([ConfigProblem(path, "format", document.get("format"), fix)])
    try:
        return DeploymentConfig.model_validate(document["deployment"])
    except ValidationError as err:
        problems = _explain(err, path, [])
        raise ConfigError(
            [ConfigProblem(p.file, f"deployment.{p.field}", p.value, p.message) for p in problems]
        ) from None


def load_deployment(source: Path | str | None = None) -> DeploymentConfig:
    """The deployment from ``source`` (a manifest file or a config folder), else from
    ``$DATALAKE_DEPLOYMENT``, ``./deployment.json`` or ``./envs/``, in that order."""
    if source is None:
        source = os.environ.get(DEPLOYMENT_VARIABLE) or next(
            (p for p in (DEFAULT_MANIFEST, DEFAULT_CONFIG_DIR) if p.exists()), None
        )
    if source is None:
        fix = (
            f"no deployment found: set {DEPLOYMENT_VARIABLE} to the infrastructure repository's envs/ folder or "
            f"to a manifest, or put the manifest at ./{DEFAULT_MANIFEST}"
        )
        raise ConfigError([ConfigProblem(Path.cwd(), DEPLOYMENT_VARIABLE, _NO_VALUE, fix)])
    source = Path(source)
    return load_config(source) if source.is_dir() else read_manifest(source)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the deployment manifest from a config folder.")
    parser.add_argument("--config-dir", type=Path, default=DEFAULT_CONFIG_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_MANIFEST)
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config_dir)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    print(f"wrote {write_manifest(config, args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
