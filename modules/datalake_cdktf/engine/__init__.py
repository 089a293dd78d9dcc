"""The engine: every import of CDK for Terraform and of the AWS provider bindings.

Nothing else in the library imports ``cdktf``, ``constructs`` or
``cdktf_cdktf_provider_aws`` directly, so the engine can be swapped for the community
fork (CDK Terrain, ``cdktn``) by editing this package alone.

Resources come from :mod:`datalake_cdktf.engine.aws`, which loads only the binding
modules used (``from datalake_cdktf.engine.aws import s3_bucket``) instead of all
~2,100 of them, and the jsii kernel (Node.js) this package starts does the same with
the provider's JavaScript modules (``kernel_preload.js``, which also formats cdktf's
token creation stacks only when read, and links the files of an asset marked with
:func:`link_files` into its stacks). ``DATALAKE_EAGER_BINDINGS=1`` turns all of it
off: stock CDKTF, the benchmark's baseline; output is identical either way.
Importing this package changes nothing in the process: settings are applied by
:func:`new_app`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from datalake_cdktf.engine._kernel import LINK_FILES_CONTEXT, preloaded_kernel, stock_cdktf
from datalake_cdktf.engine._type_hints import speed_up_type_checks
from datalake_cdktf.engine._wire import build_create_requests_directly, send_structs_with_their_fields_only

with preloaded_kernel():  # importing cdktf starts the kernel
    from cdktf import (
        App,
        AssetType,
        Fn,
        LocalBackend,
        Postcondition,
        S3Backend,
        TerraformAsset,
        TerraformProvider,
        TerraformResourceLifecycle,
        TerraformStack,
    )
    from constructs import Construct

__all__ = [
    "App",
    "AssetType",
    "Construct",
    "Fn",
    "LocalBackend",
    "Postcondition",
    "S3Backend",
    "TerraformAsset",
    "TerraformProvider",
    "TerraformResourceLifecycle",
    "TerraformStack",
    "link_files",
    "new_app",
]


def new_app(outdir: str | Path | None = None) -> App:
    """A CDKTF app writing to ``outdir`` (default: the engine's, ``$CDKTF_OUTDIR`` under
    the cdktf CLI, else ``cdktf.out``), with Terraform's and the CLI's calls home off
    (``CHECKPOINT_DISABLE=1`` unless already set) for every process it starts. Unless
    ``DATALAKE_EAGER_BINDINGS=1``: the CDKTF bindings' type checks made faster
    (:func:`speed_up_type_checks`), structs sent to the kernel with their own fields
    only (:func:`send_structs_with_their_fields_only`) and requests to create objects
    built without jsii's generic converter (:func:`build_create_requests_directly`)."""
    os.environ.setdefault("CHECKPOINT_DISABLE", "1")
    if not stock_cdktf():
        for bindings in ("constructs", "cdktf"):
            speed_up_type_checks(sys.modules[bindings])
        send_structs_with_their_fields_only()
        build_create_requests_directly()
    return App(outdir=str(outdir)) if outdir is not None else App()


def link_files(asset: TerraformAsset) -> TerraformAsset:
    """Have the kernel hard-link the files of ``asset`` (a folder) into its stack instead
    of copying them: for a folder whose files never change in place (named by their
    content, written once, read-only). The stack's files are the same either way; they
    are copied where a link cannot be made, or without the preload
    (``DATALAKE_EAGER_BINDINGS=1``). Returns ``asset``."""
    asset.node.set_context(LINK_FILES_CONTEXT, True)
    return asset
