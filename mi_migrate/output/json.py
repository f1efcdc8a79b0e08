"""`--format json`: the stable, versioned shape documented in docs/output-formats.md.

Adding a key is compatible; renaming, removing or changing the meaning of one bumps SCHEMA_VERSION.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from mi_migrate import __version__
from mi_migrate.core.finding import Kind
from mi_migrate.core.rules import Rule
from mi_migrate.output.context import severity_counts
from mi_migrate.output.streaming import Items, dump, materialize
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


def envelope(result: ScanResult) -> dict[str, Any]:
    """The document with its findings and notes as Items: one dict at a time when written with `dump`."""
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "mi-migrate", "version": __version__},
        "summary": summary(result),
        "findings": Items(f.to_dict() for f in result.findings),
        "notes": Items({"path": n.path, "message": n.message} for n in result.notes),
    }


def document(result: ScanResult) -> dict[str, Any]:
    """The JSON document as a dict (the report and tests reuse it); the CLI streams it instead."""
    return materialize(envelope(result))


def stream(result: ScanResult, rules: dict[str, Rule], write: Callable[[str], object]) -> None:
    """Write the document through `write` one finding at a time (indented by 2, like `json.dumps(document)`)."""
    dump(envelope(result), write)


def render(result: ScanResult, rules: dict[str, Rule]) -> str:
    parts: list[str] = []
    stream(result, rules, parts.append)
    return "".join(parts)
