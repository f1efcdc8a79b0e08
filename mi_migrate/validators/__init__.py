"""Validators turn a regex match into a verdict: the secret, its parsed fields, or a rejection.

Each rule pattern names one validator. A validator returns None to drop a match (placeholder, emulator, wrong
length), so rules stay precise without becoming unreadable regexes.
"""

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


def get(name: str) -> Validator:
    _load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"no validator named {name!r}") from None


_LOADED = False


def _load_all() -> None:
    global _LOADED
    if _LOADED:
        return
    import importlib

    for module in ("connection_strings", "identifiable", "keys", "sas"):  # importing registers them
        try:
            importlib.import_module(f"mi_migrate.validators.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"mi_migrate.validators.{module}":
                raise
    _LOADED = True
