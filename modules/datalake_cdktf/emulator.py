"""The emulator profile: the same stacks, their providers and state sent to a local AWS
emulator (moto) instead of AWS.

    DATALAKE_EMULATOR=emulator.json cdktf deploy central-bootstrap 'bootstrap-dev' ...

The profile is one JSON file, named by ``$DATALAKE_EMULATOR``::

    {"endpoints": {"s3": "http://127.0.0.1:5000", "iam": "http://127.0.0.1:5000", ...}}

With it, every stack's AWS providers and its S3 state backend call those endpoints
(path-style S3, no EC2 metadata or account lookups), and nothing else changes: the same
accounts, the same ``assume_role`` chain into each environment, the same state keys. A
service the file does not name would still go to AWS, so name every service the
stacks use. Endpoints must be on this machine (``127.0.0.1``, ``::1`` or
``localhost``): a profile can never send a deployment's calls to another host.

Without the variable there is no profile, and the synthesized stacks are exactly the
ones AWS gets. ``make e2e`` writes the file for the emulator it starts (a free port).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["EMULATOR_VARIABLE", "EmulatorProfile", "load_emulator_profile"]

EMULATOR_VARIABLE = "DATALAKE_EMULATOR"
"""Environment variable naming the emulator profile's file (unset: AWS itself)."""

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_BACKEND_SERVICES = ("s3", "sts", "iam")


class EmulatorProfile(BaseModel):
    """``endpoints``: AWS service name as the provider's ``endpoints`` block spells it
    (``s3``, ``iam``, ``sts``, ``codebuild``, ...) -> ``http://127.0.0.1:<port>``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoints: dict[str, str] = Field(min_length=1)

    @field_validator("endpoints")
    @classmethod
    def _local_only(cls, endpoints: dict[str, str]) -> dict[str, str]:
        for service, url in endpoints.items():
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or parts.hostname not in _LOOPBACK:
                raise ValueError(
                    f"{service}: {url!r} is not on this machine; an emulator profile may only name "
                    "http(s)://127.0.0.1:<port>, [::1] or localhost"
                )
        missing = [s for s in _BACKEND_SERVICES if s not in endpoints]
        if missing:
            raise ValueError(f"name {', '.join(missing)} too: the state backend calls them")
        return endpoints

    def summary(self) -> str:
        """The endpoints, most used first: ``http://127.0.0.1:5000 (16 services)``."""
        counts = Counter(self.endpoints.values()).most_common()
        return ", ".join(f"{url} ({count} services)" for url, count in counts)

    def provider_endpoints(self) -> list[dict[str, str]]:
        """The provider's ``endpoints`` block, by Terraform's service names."""
        return [dict(sorted(self.endpoints.items()))]

    def provider_settings(self) -> dict[str, object]:
        """The other arguments of an ``aws`` provider that send it to the emulator."""
        return {
            "s3_use_path_style": True,
            "skip_credentials_validation": True,
            "skip_metadata_api_check": "true",
            "skip_region_validation": True,
        }

    def backend_settings(self) -> dict[str, object]:
        """Arguments of the ``s3`` backend that keep the state in the emulator."""
        return {
            "endpoints": {service: self.endpoints[service] for service in _BACKEND_SERVICES},
            "use_path_style": True,
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            "skip_region_validation": True,
            "skip_requesting_account_id": True,
        }


def load_emulator_profile(environ: dict[str, str] | None = None) -> EmulatorProfile | None:
    """The profile the file in ``$DATALAKE_EMULATOR`` describes, or None when unset.

    A missing or invalid file raises :class:`~datalake_cdktf.config.ConfigError` naming
    the file, the field and the fix (nothing is synthesized then)."""
    environ = os.environ if environ is None else environ
    name = environ.get(EMULATOR_VARIABLE)
    if not name:
        return None
    # Only now: importing a construct must not import the config loader (and YAML).
    from datalake_cdktf.config.loader import ConfigError, ConfigProblem

    path = Path(name)
    try:
        data = json.loads(path.read_text())
    except OSError as err:
        problem = ConfigProblem(
            path, EMULATOR_VARIABLE, name, f"cannot read it ({err.strerror}): unset it or fix the path"
        )
        raise ConfigError([problem], "emulator profile") from None
    except json.JSONDecodeError as err:
        problem = ConfigProblem(path, f"line {err.lineno}", name, f"not JSON: {err.msg}")
        raise ConfigError([problem], "emulator profile") from None
    try:
        return EmulatorProfile.model_validate(data)
    except ValidationError as err:
        problems = [
            ConfigProblem(path, ".".join(str(p) for p in e["loc"]) or ".", e.get("input"), e["msg"])
            for e in err.errors()
        ]
        raise ConfigError(problems, "emulator profile") from None
