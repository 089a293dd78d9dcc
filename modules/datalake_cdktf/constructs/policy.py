"""Moved to :mod:`datalake_cdktf.iam.statements` (0.7.x); kept so imports from here still work."""

from __future__ import annotations

from datalake_cdktf.iam.statements import (
    CATALOG_READ_KEY,
    CATALOG_WRITE_KEY,
    XRAY_TRACING,
    Statement,
    alerts_use_key,
    allow,
    build_logs_use_key,
    catalog_use_key,
    cloudwatch_logs_use_key,
    deny,
    deny_insecure_transport,
    document,
    key_administration,
    notifications_use_key,
    objects_use_key,
    server_access_logging,
    xray_tracing,
)

__all__ = [
    "CATALOG_READ_KEY",
    "CATALOG_WRITE_KEY",
    "XRAY_TRACING",
    "Statement",
    "alerts_use_key",
    "allow",
    "build_logs_use_key",
    "catalog_use_key",
    "cloudwatch_logs_use_key",
    "deny",
    "deny_insecure_transport",
    "document",
    "key_administration",
    "notifications_use_key",
    "objects_use_key",
    "server_access_logging",
    "xray_tracing",
]
