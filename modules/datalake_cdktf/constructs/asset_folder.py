"""The files a stack uploads (job scripts, their modules), copied into it as one asset.

Terraform reads an uploaded file at apply time, from the synthesized stack's folder
(the pipeline applies the saved plan from the Plan stage's artifact, not from the
checkout). So each file must be copied into the stack: CDKTF's ``TerraformAsset`` does
that. One asset per file costs two engine calls per file; a whole repository's files
cost two per stack when they travel as one folder. This construct stages them, under
the keys their uploads use, in ``staging`` (a folder of the app's output, rewritten on
every synth) and adds that folder as the stack's asset.

Each file's content hash (:meth:`AssetFolder.digest`) is what its upload compares, so a
change to one file changes that file's object only.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from datalake_cdktf.engine import AssetType, Construct, TerraformAsset

__all__ = ["AssetFolder"]


class AssetFolder(Construct):
    """``files``: key (a relative POSIX path, e.g. ``jobs/orders/orders.py``) -> file.

    Properties: ``path`` (the folder, relative to the synthesized stack), ``hash``."""

    def __init__(self, scope: Construct, construct_id: str, *, files: Mapping[str, Path], staging: Path):
        super().__init__(scope, construct_id)
        self._digests: dict[str, str] = {}
        if staging.exists():
            shutil.rmtree(staging)
        for key, source in sorted(files.items()):
            relative = PurePosixPath(key)
            if relative.is_absolute() or ".." in relative.parts:
                raise ValueError(f"asset key {key!r} must be a relative path inside the folder")
            content = Path(source).read_bytes()
            target = staging.joinpath(*relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            self._digests[key] = hashlib.sha256(content).hexdigest()
        staging.mkdir(parents=True, exist_ok=True)
        listing = "\n".join(f"{key} {digest}" for key, digest in sorted(self._digests.items()))
        self.hash = hashlib.sha256(listing.encode()).hexdigest()
        asset = TerraformAsset(
            self, "folder", path=str(staging.resolve()), type=AssetType.DIRECTORY, asset_hash=self.hash[:32]
        )
        self.path = asset.path.rstrip("/")

    def source(self, key: str) -> str:
        """Where the file of ``key`` is, relative to the synthesized stack (for ``source``)."""
        self.digest(key)  # an unknown key fails here, not at plan time
        return f"{self.path}/{key}"

    def digest(self, key: str) -> str:
        """The SHA-256 (hex) of the file of ``key``."""
        try:
            return self._digests[key]
        except KeyError:
            raise KeyError(f"{key!r} is not in this asset folder (it holds {sorted(self._digests)})") from None
