"""Validators turn a regex match into a verdict: the secret, its parsed fields, or a rejection.

Each rule pattern names one validator. A validator returns None to drop a match (placeholder, emulator, wrong
length), so rules stay precise without becoming unreadable regexes.
"""

from __future__ import annotations

from mi_migrate.scan.validators.base import FILE_GATES, REGISTRY, MatchContext, Validator, Verdict, register

__all__ = ["REGISTRY", "MatchContext", "Validator", "Verdict", "get", "register", "rejects_file"]


def get(name: str) -> Validator:
    _load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"no validator named {name!r}") from None


def rejects_file(name: str, path: str) -> bool:
    """Whether validator `name` turns away every match in the file at `path`."""
    _load_all()
    gate = FILE_GATES.get(name)
    return gate is not None and gate.search(path) is not None


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
