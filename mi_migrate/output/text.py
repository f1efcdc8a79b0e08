"""ruff-like text: `path:line:col: ID message` (stub)."""

from __future__ import annotations

from mi_migrate.rules import Rule
from mi_migrate.scan import ScanResult


def render(result: ScanResult, rules: dict[str, Rule]) -> str:
    lines = [
        f"{f.path}:{f.span.line}:{f.span.column}: {f.rule_id} {f.message}"
        + (f" [{f.evidence}]" if f.evidence else "")
        for f in result.findings
    ]
    return "\n".join(lines) + ("\n" if lines else "")


def summary(result: ScanResult) -> str:
    return f"{len(result.findings)} findings in {result.files_scanned} files"
