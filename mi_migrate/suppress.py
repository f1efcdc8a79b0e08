"""Inline suppressions (stub; see issue 2 item 10)."""

from __future__ import annotations

from mi_migrate.engine import LineIndex
from mi_migrate.finding import Finding


def apply_inline(findings: list[Finding], text: str, index: LineIndex) -> list[Finding]:
    return findings
