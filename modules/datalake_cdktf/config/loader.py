"""Read the deployment config from ``envs/`` and explain every problem in it.

Layout (the JSON Schemas in ``envs/schema/`` let editors complete and check both)::

    envs/deployment.yaml            project, central account, repositories, tags,
                                    secret names, and the list of environment names
    envs/environments/<name>.yaml   one file per environment, named after it

A bad config raises :class:`ConfigError`: one message, one line per problem, each
naming the file, the field, the bad value and the fix. Nothing is synthesized, so
nothing can be destroyed.
"""

from __future__ import annotations

import codecs
import difflib
import os
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from datalake_cdktf.config.model import ConfigRuleError, DeploymentConfig, Environment, EnvironmentName

__all__ = [
    "CONFIG_DIR_VARIABLE",
    "DEFAULT_CONFIG_DIR",
    "ENVIRONMENTS_DIR",
    "ROOT_FILE",
    "ConfigError",
    "ConfigProblem",
    "config_dir_from_environment",
    "load_config",
]

DEFAULT_CONFIG_DIR = Path("envs")
"""The config folder of a CDKTF project, relative to where it runs (its root)."""
CONFIG_DIR_VARIABLE = "DATALAKE_CONFIG_DIR"
"""Environment variable naming another config folder (default: ``envs/``)."""

ROOT_FILE = "deployment.yaml"
"""The deployment's file in the config folder."""
ENVIRONMENTS_DIR = "environments"
"""The folder, in the config folder, of one file per environment (``<name>.yaml``)."""


@dataclass(frozen=True)
class ConfigProblem:
    """One problem of a config: the file, the field (dotted), the value and the message with its fix."""

    file: Path
    field: str
    value: Any
    message: str

    def __str__(self) -> str:
        value = "" if self.value is _NO_VALUE else f" = {self.value!r}"
        return f"{_display(self.file)}: {self.field}{value}: {self.message}"


class ConfigError(Exception):
    """The config is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[ConfigProblem], what: str = "deployment config"):
        self.problems = problems
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        lines = [f"Invalid {what} ({count}):"]
        lines += [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


_NO_VALUE = object()


def config_dir_from_environment(default: Path = DEFAULT_CONFIG_DIR) -> Path:
    """``$DATALAKE_CONFIG_DIR`` if set, else ``default`` (``envs/`` in the current folder)."""
    return Path(os.environ.get(CONFIG_DIR_VARIABLE) or default)


def load_config(config_dir: Path | str | None = None) -> DeploymentConfig:
    """Load and validate the config in ``config_dir`` (default: see above)."""
    folder = Path(config_dir) if config_dir is not None else config_dir_from_environment()
    root_file = folder / ROOT_FILE
    root = _read_mapping(root_file)
    names = root.get("environments")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ConfigError(
            [
                ConfigProblem(
                    root_file,
                    "environments",
                    names,
                    f"list the environment names, e.g. [dev, test, prod]; each has a file "
                    f"{ENVIRONMENTS_DIR}/<name>.yaml",
                )
            ]
        )
    bad_names = _bad_environment_names(names, root_file)
    if bad_names:
        # Each name becomes a file path: check names before reading any file.
        raise ConfigError(bad_names)
    env_files = [folder / ENVIRONMENTS_DIR / f"{name}.yaml" for name in names]
    problems = _unlisted_files(folder / ENVIRONMENTS_DIR, env_files, root_file)
    environments = []
    for name, env_file in zip(names, env_files, strict=True):
        try:
            data = _read_mapping(env_file)
        except ConfigError as err:
            problems += err.problems
            continue
        if "name" in data:
            problems.append(
                ConfigProblem(env_file, "name", data["name"], "the file name is the environment name: remove this key")
            )
        environments.append({**data, "name": name})
    if problems:
        raise ConfigError(problems)

    try:
        return DeploymentConfig.model_validate({**root, "environments": environments})
    except ValidationError as err:
        raise ConfigError(_explain(err, root_file, env_files)) from None


_ENVIRONMENT_NAME = TypeAdapter(EnvironmentName)


def _is_environment_name(name: str) -> bool:
    try:
        _ENVIRONMENT_NAME.validate_python(name)
    except ValidationError:
        return False
    return True


def _bad_environment_names(names: list[str], root_file: Path) -> list[ConfigProblem]:
    problems, seen = [], set()
    for i, name in enumerate(names):
        if not _is_environment_name(name):
            problems.append(
                ConfigProblem(
                    root_file,
                    f"environments.{i}",
                    name,
                    "is not a valid environment name: 2-10 lower-case letters and digits, "
                    f"starting with a letter; rename it here and its file in {ENVIRONMENTS_DIR}/",
                )
            )
        elif name in seen:
            problems.append(
                ConfigProblem(root_file, f"environments.{i}", name, "is listed twice: list each environment once")
            )
        seen.add(name)
    return problems


def _read_mapping(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError([ConfigProblem(path, "(file)", _NO_VALUE, "file not found: create it or fix the name")])
    try:
        data = yaml.load(_read_text(path), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        line = f"line {where.line + 1}" if where else "(file)"
        reason = getattr(err, "problem", None) or str(err)
        raise ConfigError([ConfigProblem(path, line, _NO_VALUE, f"not valid YAML: {reason}")]) from None
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(path, "(file)", data, "must be a YAML mapping of keys to values")])
    return data


_OTHER_ENCODINGS = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}


def _read_text(path: Path) -> str:
    """The file as UTF-8 text (a UTF-8 byte-order mark is fine); anything else is a
    located problem, never a UnicodeDecodeError."""
    data = path.read_bytes()
    for bom, encoding in _OTHER_ENCODINGS.items():  # UTF-32 first: its LE mark starts like UTF-16's
        if data.startswith(bom):
            fix = f"the file is saved as {encoding}: save it as UTF-8 (in most editors: 'Save with encoding')"
            raise ConfigError([ConfigProblem(path, "(file)", _NO_VALUE, fix)])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        byte = data[err.start : err.start + 1].hex()
        fix = f"not UTF-8 text: byte 0x{byte} cannot be read: remove it or save the file as UTF-8"
        raise ConfigError([ConfigProblem(path, f"line {line}", _NO_VALUE, fix)]) from None


def _unlisted_files(folder: Path, listed: list[Path], root_file: Path) -> list[ConfigProblem]:
    """A file nobody listed is almost always a typo: say so instead of ignoring it."""
    if not folder.is_dir():
        return []
    problems = []
    for path in sorted(folder.glob("*.y*ml")):
        if path.suffix != ".yaml":
            fix = f"environment files end in .yaml: rename it to {path.stem}.yaml"
        elif path not in listed:
            fix = f"not listed in {_display(root_file)} 'environments': add {path.stem!r} there or delete the file"
        else:
            continue
        problems.append(ConfigProblem(path, "(file)", _NO_VALUE, fix))
    return problems


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key given twice (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _explain(
    err: ValidationError, root_file: Path, env_files: list[Path], root: type[BaseModel] | None = None
) -> list[ConfigProblem]:
    """One located problem per pydantic error of a ``root`` model (default: the deployment)."""
    root = root or DeploymentConfig
    problems = []
    errors = err.errors(include_url=False)
    nested = {tuple(e["loc"][:n]) for e in errors for n in range(len(e["loc"]))}
    for error in errors:
        if error["type"] == "too_short" and tuple(error["loc"]) in nested:
            continue  # pydantic counts only the valid items: the item's own error says it all
        rule = (error.get("ctx") or {}).get("error")
        if isinstance(rule, ConfigRuleError):
            for p in rule.problems:
                problems.append(_locate(tuple(error["loc"]) + p.loc, p.value, p.message, root_file, env_files))
            continue
        message = error["msg"].removeprefix("Value error, ")
        hint = _hint(error, root)
        if hint:
            message = f"{message}. Fix: {hint}"
        problems.append(_locate(tuple(error["loc"]), error.get("input", _NO_VALUE), message, root_file, env_files))
    return problems


def _locate(loc, value, message, root_file: Path, env_files: list[Path]) -> ConfigProblem:
    if env_files and len(loc) >= 2 and loc[0] == "environments" and isinstance(loc[1], int):
        file, rest = env_files[loc[1]], loc[2:]
    else:
        file, rest = root_file, loc
    field = ".".join(str(p) for p in rest) or "(file)"
    if file != root_file and rest == ("name",):
        field = "name (the file name)"  # no such key: the name comes from the file
    if isinstance(value, dict) and rest:
        value = _NO_VALUE  # a whole mapping is noise; the field says where
    if "secrets" in rest:
        value = _NO_VALUE  # it may be a pasted secret: never repeat it into a log
    return ConfigProblem(file, field, value, message)


def _hint(error: dict, root: type[BaseModel]) -> str | None:
    loc, kind = tuple(error["loc"]), error["type"]
    owner, field = _field_at(loc, root)
    if kind == "extra_forbidden":
        if owner is None:
            return "remove the key or fix its spelling; see the schema for the allowed keys"
        # An environment's name is its file name, never a key in the file.
        names = sorted(n for n in owner.model_fields if not (owner is Environment and n == "name"))
        close = difflib.get_close_matches(str(loc[-1]), names, n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        return f"remove the key or fix its spelling{guess}; allowed here: {', '.join(names)}"
    description = _description(field)
    if kind == "missing":
        return f"add this required key: {description}" if description else "add this required key"
    if kind == "string_type" and isinstance(error.get("input"), int):
        return "quote it: YAML reads bare digits as a number (and drops leading zeros)"
    return description


def _description(field: Any) -> str | None:
    if field is None:
        return None
    if field.description is not None:
        return field.description
    return next((m.description for m in field.metadata if getattr(m, "description", None)), None)


def _field_at(loc: tuple, root: type[BaseModel]) -> tuple[type[BaseModel] | None, Any]:
    """The model owning the last field of ``loc`` and that field's FieldInfo (or None)."""
    model: type[BaseModel] | None = root
    field = None
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        owner = model
        field = model.model_fields.get(part)
        if field is None:
            return owner, None
        model = _model_in(field.annotation)
        if model is None:
            return owner, field
    return model, field


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found:
            return found
    return None


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
