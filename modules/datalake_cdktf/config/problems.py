"""A broken config rule: where, the bad value, what is wrong and the fix.

At the bottom of the config package, so the model and its rules
(:mod:`datalake_cdktf.config.rules`) both report through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ConfigRuleError", "Problem"]


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (a pydantic-style location), the bad value, what and the fix."""

    loc: tuple[str | int, ...]
    value: Any
    message: str

    def __str__(self) -> str:
        where = ".".join(str(p) for p in self.loc)
        return f"{where} = {self.value!r}: {self.message}"


class ConfigRuleError(ValueError):
    """A cross-field rule failed; ``problems`` locate each failure."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))
