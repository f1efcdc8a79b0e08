"""Hash-only baselines (stub; see issue 2 item 10)."""

from __future__ import annotations

from pathlib import Path

from mi_migrate.finding import Finding


def load(path: Path) -> set[str]:
    return set()


def filter_new(known: set[str], findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.fingerprint not in known]
