"""What every validator shares: the Verdict it returns, the MatchContext it reads and the registry it joins
(`@register(name)`). Validator modules import this, never the package, which loads them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Verdict:
    """What a validator accepted: the secret (for hashing and redaction) and its span in the scanned text."""

    secret: str
    start: int
    end: int
    fields: dict[str, str] = field(default_factory=dict)
    message: str | None = None  # overrides the rule title when set
    severity: str | None = None  # overrides the rule severity (an expired SAS is a warning, not an error)


@dataclass(frozen=True)
class MatchContext:
    """The text a match was found in, and where. Validators may look around the match for context."""

    text: str
    match: re.Match[str]
    options: dict[str, Any]
    filename: str

    def window(self, before: int = 80, after: int = 0) -> str:
        """The text just around the match (same line preferred), for keyword context checks."""
        start = max(0, self.match.start() - before)
        end = min(len(self.text), self.match.end() + after)
        return self.text[start:end]


Validator = Callable[[MatchContext], "Verdict | None"]
REGISTRY: dict[str, Validator] = {}


def register(name: str) -> Callable[[Validator], Validator]:
    def wrap(func: Validator) -> Validator:
        REGISTRY[name] = func
        return func

    return wrap


# validator → the file paths where it turns every match away (context_key: lock files and bundles), so the engine
# need not run its patterns there at all
FILE_GATES: dict[str, re.Pattern[str]] = {}
