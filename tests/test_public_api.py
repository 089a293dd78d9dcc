"""The library's public API: every package and module lists its names in ``__all__``,
each resolves, and each has a docstring (constants: the string after the assignment)."""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
from pathlib import Path

import pytest

PACKAGE = Path(importlib.import_module("datalake_cdktf").__file__).parent
PUBLIC_MODULES = sorted(
    ".".join(("datalake_cdktf", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
    for path in PACKAGE.rglob("*.py")
    if not any(part.startswith("_") and part != "__init__.py" for part in path.relative_to(PACKAGE).parts)
)
"""Every module of the library but the private ones (a name starting with '_')."""


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
        if inspect.isclass(value) or inspect.isfunction(value) or hasattr(value, "__wrapped__"):  # cached too
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
