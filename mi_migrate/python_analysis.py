"""Python-aware findings (stub; see issue 2 item 5)."""

from __future__ import annotations

from mi_migrate.finding import Finding, Note
from mi_migrate.rules import Rule


def analyze(rel_path: str, text: str, lower: bytes, rules: tuple[Rule, ...]) -> tuple[list[Finding], list[Note]]:
    return [], []
