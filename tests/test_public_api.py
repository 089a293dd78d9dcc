"""The library's public API: every package and module lists its names in ``__all__``,
each resolves, and each has a docstring (constants: the string after the assignment)."""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
from pathlib import Path

import pytest

PUBLIC_MODULES = [
    "datalake_cdktf",
    "datalake_cdktf.access",
    "datalake_cdktf.checks",
    "datalake_cdktf.checks.checkov",
    "datalake_cdktf.checks.iam_lint",
    "datalake_cdktf.checks.terraform",
    "datalake_cdktf.config",
    "datalake_cdktf.config.etl",
    "datalake_cdktf.config.manifest",
    "datalake_cdktf.constructs",
    "datalake_cdktf.constructs.etl_workflow",
    "datalake_cdktf.constructs.glue_job",
    "datalake_cdktf.constructs.job_network",
    "datalake_cdktf.constructs.lambda_function",
    "datalake_cdktf.contract",
    "datalake_cdktf.engine",
    "datalake_cdktf.etl",
    "datalake_cdktf.naming",
    "datalake_cdktf.stack",
]
PACKAGE = Path(importlib.import_module("datalake_cdktf").__file__).parent


def documented_constants() -> set[str]:
    """Names assigned at the top of any library module and followed by a string literal."""
    documented = set()
    for path in PACKAGE.rglob("*.py"):
        body = ast.parse(path.read_text()).body
        for node, following in itertools.pairwise(body):
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
                documented |= {t.id for t in targets if isinstance(t, ast.Name)}
    return documented


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_public_name_resolves_and_is_documented(name):
    module = importlib.import_module(name)
    assert inspect.getdoc(module), f"{name} has no module docstring"
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    undocumented = []
    for public in module.__all__:
        value = getattr(module, public)  # resolves (lazily loaded names too)
        if public == "__version__" or (name == "datalake_cdktf.engine" and public != "new_app"):
            continue  # the engine re-exports CDKTF's classes; their documentation is CDKTF's
        if inspect.isclass(value) or inspect.isfunction(value):
            documented = bool(inspect.getdoc(value))
        else:
            documented = public in documented_constants()
        if not documented:
            undocumented.append(public)
    assert not undocumented, f"{name}: document {undocumented}"


def test_the_root_lists_the_names_a_consumer_needs():
    import datalake_cdktf

    for needed in ("DataLakeContract", "DeploymentStack", "EtlStack", "load_config", "load_deployment", "new_app"):
        assert needed in datalake_cdktf.__all__, needed
