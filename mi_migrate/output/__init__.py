"""Pure renderers: (ScanResult, rules) → str. One module per format; none reads files or config.

Every format is documented in docs/output-formats.md; change that page when a shape changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from mi_migrate.finding import Finding, Severity
from mi_migrate.rules import Rule
from mi_migrate.scan import ScanResult

FORMATS = ("text", "json", "sarif", "github", "azure")


def render(fmt: str, result: ScanResult, rules: dict[str, Rule], *, color: bool = False) -> str:
    """Render `result` in `fmt`; `color` only affects text (the caller decides whether stdout is a TTY)."""
    renderer: Callable[[ScanResult, dict[str, Rule]], str]
    if fmt == "text":
        from mi_migrate.output.text import render as text_render

        return text_render(result, rules, color=color)
    if fmt == "json":
        from mi_migrate.output.json import render as renderer
    elif fmt == "sarif":
        from mi_migrate.output.sarif import render as renderer
    elif fmt == "github":
        from mi_migrate.output.github import render as renderer
    elif fmt == "azure":
        from mi_migrate.output.azure import render as renderer
    else:
        raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
    return renderer(result, rules)


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Counts keyed error, warning, note: every key always present so consumers need no defaults."""
    counts = Counter(f.severity for f in findings)
    return {s.label: counts.get(s, 0) for s in sorted(Severity, reverse=True)}


def message_with_evidence(finding: Finding) -> str:
    """The message plus the redacted evidence, the one text every CI format shows."""
    return f"{finding.message} [{finding.evidence}]" if finding.evidence else finding.message
