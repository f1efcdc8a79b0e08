"""Helpers for the `fix` family tests: rewrite a snippet (checking a second pass changes nothing) and run the
rewritten module against the real SDKs with the local managed-identity endpoint."""

from __future__ import annotations

import base64
import json
import textwrap
from pathlib import Path
from typing import Any

from mi_migrate.fix.codemod import transform
from mi_migrate.fix.families import all_targets
from mi_migrate.fix.model import Change, FixOptions
from mi_migrate.fix.settings import RepoSettings
from mi_migrate.testing import fakes


def rewrite(code: str, root: Path, options: FixOptions | None = None) -> tuple[str, list[Change]]:
    """Rewrite dedented, «token»-expanded code; asserts that rewriting the result again changes nothing."""
    options = options or FixOptions()
    source = fakes.expand(textwrap.dedent(code))
    updated, changes = transform(source, all_targets(), options, RepoSettings(root))
    again, _ = transform(updated, all_targets(), options, RepoSettings(root))
    assert again == updated, "a second fix pass changed the code"
    return updated, changes


def dedent(code: str) -> str:
    return textwrap.dedent(code)


def write_settings(root: Path, name: str, text: str) -> None:
    """A repository settings file (.env, local.settings.json, ...) holding fake connection strings."""
    (root / name).write_text(fakes.expand(textwrap.dedent(text)), encoding="utf-8")


def run_module(code: str) -> dict[str, Any]:
    """Execute rewritten module text and return its namespace (the clients it built)."""
    namespace: dict[str, Any] = {"__name__": "rewritten"}
    exec(compile(code, "rewritten.py", "exec"), namespace)
    return namespace


def jwt_audience(token: str) -> str:
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))["aud"]


def only(changes: list[Change], client: str) -> Change:
    found = [c for c in changes if c.client == client]
    assert len(found) == 1, found
    return found[0]
