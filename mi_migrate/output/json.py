"""`--format json`: the stable, versioned shape documented in docs/output-formats.md.

Adding a key is compatible; renaming, removing or changing the meaning of one bumps SCHEMA_VERSION.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from mi_migrate import __version__
from mi_migrate.core.finding import Kind
from mi_migrate.core.rules import Rule
from mi_migrate.output.context import severity_counts
from mi_migrate.scan.model import ScanResult

SCHEMA_VERSION = 1


def summary(result: ScanResult) -> dict[str, Any]:
    """Totals a CI gate can read without walking the findings; every severity and kind key is present."""
    kinds = Counter(f.kind for f in result.findings)
    services = Counter(f.service for f in result.findings)
    return {
        "findings": len(result.findings),
        "by_severity": severity_counts(result.findings),
        "by_kind": {kind.value: kinds.get(kind, 0) for kind in Kind},
        "by_service": dict(sorted(services.items())),
        "files_scanned": result.files_scanned,
        "bytes_scanned": result.bytes_scanned,
        "notes": len(result.notes),
    }


def document(result: ScanResult) -> dict[str, Any]:
    """The JSON document as a dict (the report and tests reuse it)."""
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "mi-migrate", "version": __version__},
        "summary": summary(result),
        "findings": [f.to_dict() for f in result.findings],
        "notes": [{"path": n.path, "message": n.message} for n in result.notes],
    }


def render(result: ScanResult, rules: dict[str, Rule]) -> str:
    return json.dumps(document(result), indent=2, ensure_ascii=False) + "\n"
