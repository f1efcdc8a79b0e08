"""One module per SDK family; each exposes `targets()`: the callables it rewrites and how."""

from __future__ import annotations

import functools
import importlib

from mi_migrate.fix.codemod import Target

FAMILY_MODULES = (
    "storage",
    "messaging",
    "cosmos",
    "appconfig",
    "communication",
    "key_credentials",
    "legacy_cognitive",
    "iothub",
    "openai",
    "identity",
    "sql",
    "postgres",
    "redis",
    "keyvault",
)


@functools.cache
def all_targets() -> tuple[Target, ...]:
    found: list[Target] = []
    for name in FAMILY_MODULES:
        try:
            module = importlib.import_module(f"mi_migrate.fix.families.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"mi_migrate.fix.families.{name}":
                raise
            continue
        found.extend(module.targets())
    return tuple(found)
