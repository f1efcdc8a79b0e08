"""Non-Azure secrets from detect-secrets' plugins (stub; see issue 2 item 6)."""

from __future__ import annotations

from mi_migrate.finding import Finding


def scan(rel_path: str, text: str, lower: bytes) -> list[Finding]:
    return []
