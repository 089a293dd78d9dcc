"""The files a stack uploads (job scripts, their modules), put into it as one asset.

Terraform reads an uploaded file at apply time, from the synthesized stack's folder
(the pipeline applies the saved plan from the Plan stage's artifact, not from the
checkout). So each file must be in the stack's folder: CDKTF's ``TerraformAsset`` puts
it there. One asset per file costs two engine calls per file; a whole repository's files
cost two per stack when they travel as one folder.

Each file is staged as ``<digest>``, the SHA-256 of its content, in a folder of the
asset whose path never changes (CDKTF names an asset's folder by the hash it is given,
by default the hash of the whole folder). So the path an upload reads
(:meth:`AssetFolder.source`) changes exactly when that file's content does: a change
to one file plans an update of that file's object only, where a path with the
folder's hash in it would change every object's ``source`` and upload them all again.

The folder is staged once per content under ``staging`` (a folder of the app's
output): a repository's stacks in every environment, and the next synth, use the one
already there. Its files are written once and read-only, so each stack's copy is a
hard link to them (:func:`~datalake_cdktf.engine.link_files`) rather than the bytes
written again per stack.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from datalake_cdktf.engine import AssetType, Construct, TerraformAsset, link_files

__all__ = ["AssetFolder"]


class AssetFolder(Construct):
    """``files``: key (a relative POSIX path, e.g. ``jobs/orders/orders.py``) -> file.

    Properties: ``path`` (the folder, relative to the synthesized stack), ``hash`` (of
    the files' contents, whatever their keys)."""

    STABLE_HASH = "by-content"
    """The asset hash CDKTF names the folder by; the files in it are named by theirs."""

    def __init__(self, scope: Construct, construct_id: str, *, files: Mapping[str, Path], staging: Path):
        super().__init__(scope, construct_id)
        contents: dict[str, bytes] = {}
        for key, source in sorted(files.items()):
            relative = PurePosixPath(key)
            if relative.is_absolute() or ".." in relative.parts:
                raise ValueError(f"asset key {key!r} must be a relative path inside the folder")
            contents[key] = Path(source).read_bytes()
        self._digests = {key: hashlib.sha256(content).hexdigest() for key, content in contents.items()}
        # the folder holds one file per distinct content, named by it: named by those alone
        self.hash = hashlib.sha256("\n".join(sorted(set(self._digests.values()))).encode()).hexdigest()
        folder = staging / self.hash[:32]
        if not folder.is_dir():
            _stage({self._digests[key]: content for key, content in contents.items()}, folder)
        asset = link_files(
            TerraformAsset(
                self, "folder", path=str(folder.resolve()), type=AssetType.DIRECTORY, asset_hash=self.STABLE_HASH
            )
        )
        self.path = asset.path.rstrip("/")

    def source(self, key: str) -> str:
        """Where the file of ``key`` is, relative to the synthesized stack (for ``source``):
        a path that changes only with the file's content. An unknown key fails here."""
        return f"{self.path}/{self.digest(key)}"

    def digest(self, key: str) -> str:
        """The SHA-256 (hex) of the file of ``key``."""
        try:
            return self._digests[key]
        except KeyError:
            raise KeyError(f"{key!r} is not in this asset folder (it holds {sorted(self._digests)})") from None


def _stage(contents: Mapping[str, bytes], folder: Path) -> None:
    """Write ``contents`` (file name -> bytes) into ``folder`` whole or not at all: into
    a sibling folder first, renamed to ``folder`` when complete (if another synth staged
    the same content meanwhile, its folder stays). The files are read-only: the stacks
    link to them."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}")
    partial.mkdir()
    try:
        for name, content in contents.items():
            with open(os.open(partial / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444), "wb") as file:
                file.write(content)
        try:
            partial.rename(folder)
        except OSError:
            if not folder.is_dir():
                raise
    finally:
        if partial.exists():
            shutil.rmtree(partial)
