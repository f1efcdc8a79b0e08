"""GitHub Actions workflow commands: one `::error file=…::message` annotation per finding.

Escaping follows actions/toolkit (`command.ts`): message data escapes % CR LF; property values also : and ,.
GitHub shows at most 10 annotations of each level per step; the rest stay in the log, so the renderer adds a
plain line pointing at SARIF when a level overflows.
"""

from __future__ import annotations

from collections import Counter

from mi_migrate.core.finding import Finding, Severity
from mi_migrate.core.rules import Rule
from mi_migrate.output.context import RenderContext, message_with_evidence
from mi_migrate.scan.model import ScanResult

NO_CONTEXT = RenderContext()

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}
ANNOTATIONS_PER_STEP = 10


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, context: RenderContext = NO_CONTEXT) -> str:
    """One workflow command; columns only when the span is on one line (GitHub drops them otherwise)."""
    span = finding.span
    props = [("file", context.display_path(finding.path)), ("line", str(span.line)), ("endLine", str(span.end_line))]
    if span.end_line == span.line:
        props += [("col", str(span.column)), ("endColumn", str(span.end_column))]
    props.append(("title", f"mi-migrate ({finding.rule_id})"))
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{COMMANDS[finding.severity]} {rendered}::{escape_data(message_with_evidence(finding))}"


def render(result: ScanResult, rules: dict[str, Rule], context: RenderContext = NO_CONTEXT) -> str:
    lines = [annotation(f, context) for f in result.findings]
    counts = Counter(f.severity for f in result.findings)
    if any(n > ANNOTATIONS_PER_STEP for n in counts.values()):
        lines.append(
            f"mi-migrate: {len(result.findings)} findings; GitHub annotates only {ANNOTATIONS_PER_STEP} of "
            "each level per step, so upload --format sarif to code scanning for the full list."
        )
    return "\n".join(lines) + ("\n" if lines else "")
