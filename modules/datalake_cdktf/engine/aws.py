"""The hashicorp/aws provider bindings, one submodule at a time.

``cdktf_cdktf_provider_aws/__init__.py`` imports all of its ~2,100 submodules, which
costs seconds and hundreds of MB on every synth. The submodules themselves only need
the package's ``_jsii`` module (it loads the jsii assembly once). So we register the
package in ``sys.modules`` without running its ``__init__`` and import submodules on
first use: ``from datalake_cdktf.engine.aws import s3_bucket`` imports exactly that one (PEP 562).

If the installed bindings are not laid out as expected, or
``DATALAKE_EAGER_BINDINGS=1`` is set (the benchmark's baseline), we fall back to the
plain eager import, with a warning in the first case. Output is identical either way.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import warnings
from types import ModuleType

from datalake_cdktf.engine._kernel import stock_cdktf
from datalake_cdktf.engine._type_hints import speed_up_type_checks

__all__ = [
    "PACKAGE",
    "load_package",
    "register_package_lazily",
]

PACKAGE = "cdktf_cdktf_provider_aws"
"""The Python package of the prebuilt AWS provider bindings (cdktf-cdktf-provider-aws)."""


def register_package_lazily(package: str = PACKAGE) -> bool:
    """Put ``package`` in ``sys.modules`` without running its ``__init__`` and load its
    ``_jsii`` module; False (and nothing registered) if the layout is not the expected one.

    The registered module loads its submodules on first attribute access, so both
    idioms of the bindings keep working for any code in the process:
    ``from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket`` and
    ``import cdktf_cdktf_provider_aws as aws; aws.s3_bucket.S3Bucket``."""
    if package in sys.modules:
        return True  # already imported (eagerly, or by us): nothing to do
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return False
    locations = list(spec.submodule_search_locations)
    has_jsii = any(os.path.isfile(os.path.join(p, "_jsii", "__init__.py")) for p in locations)
    if not has_jsii:
        return False
    module = importlib.util.module_from_spec(spec)
    module.__getattr__ = _submodule_loader(package)  # PEP 562, as the real __init__ would offer
    sys.modules[package] = module
    try:
        importlib.import_module(f"{package}._jsii")  # loads the assembly into jsii once
    except Exception:
        del sys.modules[package]
        return False
    return True


def load_package(package: str = PACKAGE) -> None:
    """Make ``package``'s submodules importable: lazily if possible, else eagerly."""
    if stock_cdktf():
        importlib.import_module(package)
        return
    if not register_package_lazily(package):
        warnings.warn(
            f"{package} is not laid out as expected; importing it eagerly (slower synth)",
            RuntimeWarning,
            stacklevel=2,
        )
        importlib.import_module(package)


def _submodule_loader(package: str):
    def load(name: str) -> ModuleType:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return speed_up_type_checks(importlib.import_module(f"{package}.{name}"))
        except ModuleNotFoundError as err:
            raise AttributeError(f"the AWS provider bindings have no module {name!r}") from err

    return load


load_package()

_load_submodule = _submodule_loader(PACKAGE)


def __getattr__(name: str) -> ModuleType:
    module = _load_submodule(name)
    globals()[name] = module
    return module
