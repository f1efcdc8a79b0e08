"""ruff-like text: `path:line:col: ID message [evidence]` on stdout, a summary for stderr.

Findings go to stdout so they can be piped or grepped; the summary and the notes go to stderr (human only).
"""

from __future__ import annotations

import click

from mi_migrate.core.finding import Finding, Severity
from mi_migrate.core.rules import Rule
from mi_migrate.output.context import severity_counts
from mi_migrate.scan.model import ScanResult

NOTES_SHOWN = 20
SEVERITY_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.NOTE: "cyan"}


def origin_label(f: Finding) -> str:
    """` [commit abc1234 2024-01-02, removed — still in history, rotate it]` for history findings, else ""."""
    origin = f.origin
    if not origin.get("commit"):
        return ""
    author = f", by {origin['author']}" if origin.get("author") else ""
    return f" [commit {origin['commit'][:7]} {str(origin.get('date', ''))[:10]}{author}, {origin.get('status')}]"


def _line(f: Finding, color: bool) -> str:
    if not color:
        location = f"{f.path}:{f.span.line}:{f.span.column}:"
        evidence = f" [{f.evidence}]" if f.evidence else ""
        return f"{location} {f.rule_id} {f.message}{evidence}{origin_label(f)}"
    location = click.style(f.path, bold=True) + f":{f.span.line}:{f.span.column}:"
    code = click.style(f.rule_id, fg=SEVERITY_COLORS[f.severity], bold=True)
    evidence = " " + click.style(f"[{f.evidence}]", dim=True) if f.evidence else ""
    return f"{location} {code} {f.message}{evidence}{origin_label(f)}"


def render(result: ScanResult, rules: dict[str, Rule], *, color: bool = False) -> str:
    """One line per finding; `color` adds ANSI styles (pass it only when stdout is a terminal)."""
    lines = [_line(f, color) for f in result.findings]
    return "\n".join(lines) + ("\n" if lines else "")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary(result: ScanResult, *, color: bool = False) -> str:
    """Notes (first 20) then one line of totals; meant for stderr, after the findings."""
    lines = [f"{note.path}: {note.message}" for note in result.notes[:NOTES_SHOWN]]
    hidden = len(result.notes) - NOTES_SHOWN
    if hidden > 0:
        lines.append(f"… {hidden} more {'note' if hidden == 1 else 'notes'}")
    counts = severity_counts(result.findings)
    by_severity = ", ".join(_plural(n, label) for label, n in counts.items())
    total = len(result.findings)
    head = f"Found {_plural(total, 'finding')} ({by_severity})" if total else "No findings"
    totals = (
        f"{head} in {_plural(result.files_scanned, 'file')}, {result.bytes_scanned:,} bytes scanned; "
        f"{_plural(len(result.notes), 'note')}."
    )
    if color:
        totals = click.style(totals, fg="red" if counts["error"] else None, bold=True)
    lines.append(totals)
    return "\n".join(lines)
