"""The library's floors: each module imports only from its own floor or those below it.

From the bottom: names and plain data (naming, tags, the repository context, Git hosts,
the contract, the gate and its plan summaries), then IAM (the statements and every role's permission set)
and the config model, then what is computed from config (the builds, the permission sets
for one pipeline or repository, the deploy commands, the checks), then the engine, then
the constructs and stack bases, and the ETL app on top. So the permission sets and the
config can be read, tested and changed without the engine, and nothing below the
constructs reaches up into them.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(importlib.import_module("datalake_cdktf").__file__).parent
FLOORS = (
    ("naming", "tags", "context", "git_hosts", "contract", "gate", "plan_summary"),
    ("iam", "config"),
    ("builds", "access", "pipeline_access", "emulator", "deploy", "checks"),
    ("engine",),
    ("constructs", "stack"),
    ("etl",),
)
"""Top-level modules and packages of ``datalake_cdktf``, floor by floor from the bottom."""


def floor(top: str) -> int:
    return next(i for i, names in enumerate(FLOORS) if top in names)


def module_top(path: Path) -> str:
    return path.relative_to(PACKAGE).with_suffix("").parts[0]


def imported_tops(path: Path) -> set[str]:
    """The top-level library modules ``path`` imports (anywhere in it, lazy imports too)."""
    tops = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("datalake_cdktf"):
            parts = node.module.split(".")
            if len(parts) > 1:
                tops.add(parts[1])
            else:  # from datalake_cdktf import x: a submodule, or a name of the package root
                tops |= {a.name if _is_module(a.name) else "(root)" for a in node.names if a.name != "__version__"}
        elif isinstance(node, ast.Import):
            tops |= {a.name.split(".")[1] for a in node.names if a.name.startswith("datalake_cdktf.")}
    return tops


def _is_module(name: str) -> bool:
    return (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file()


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.name != "__init__.py")


def test_every_top_level_module_has_a_floor():
    tops = {module_top(p) for p in MODULES}
    assert tops == {name for names in FLOORS for name in names}, "give each new module its floor in FLOORS"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_from_its_floor_or_below(path):
    own = floor(module_top(path))
    imported = imported_tops(path) - {module_top(path)}
    assert "(root)" not in imported, f"{path.name}: import from the module that defines the name, not the package"
    above = sorted(top for top in imported if floor(top) > own)
    assert not above, f"{path.relative_to(PACKAGE)} (floor {own}) imports from above it: {above}"
