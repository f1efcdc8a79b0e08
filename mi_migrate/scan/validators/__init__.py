"""Validators turn a regex match into a verdict: the secret, its parsed fields, or a rejection.

Each rule pattern names one validator. A validator returns None to drop a match (placeholder, emulator, wrong
length), so rules stay precise without becoming unreadable regexes.
"""

from __future__ import annotations

import re

from mi_migrate.scan.validators.base import FILE_GATES, REGISTRY, MatchContext, Validator, Verdict, register

__all__ = ["REGISTRY", "MatchContext", "Validator", "Verdict", "file_gate", "get", "register"]


def get(name: str) -> Validator:
    _load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"no validator named {name!r}") from None


def file_gate(name: str) -> re.Pattern[str] | None:
    """The file paths where validator `name` turns away every match, if it declares them."""
    _load_all()
    return FILE_GATES.get(name)


_LOADED = False


def _load_all() -> None:
    global _LOADED
    if _LOADED:
        return
    import importlib

    for module in ("connection_strings", "identifiable", "keys", "sas"):  # importing registers them
        try:
            importlib.import_module(f"mi_migrate.scan.validators.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"mi_migrate.scan.validators.{module}":
                raise
    _LOADED = True
