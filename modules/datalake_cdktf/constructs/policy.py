"""Moved to :mod:`datalake_cdktf.iam.statements` (0.7.x); kept so imports from here still work."""

from __future__ import annotations

from datalake_cdktf.iam import statements as _statements
from datalake_cdktf.iam.statements import *  # noqa: F403 (the same names, re-exported)

__all__ = list(_statements.__all__)
