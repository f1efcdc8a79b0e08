"""Azure Pipelines logging commands: `##vso[task.logissue type=error;…;code=AZ101;]message`.

Azure Pipelines knows only error and warning issues, so notes become warnings. Escaping follows the agent's
CommandStringConvertor: `;` %3B, `]` %5D, CR %0D, LF %0A in property values and the message, and `%` as
%AZP25, the only percent form the agent decodes (a bare %25 would be shown literally).
"""

from __future__ import annotations

from mi_migrate.core.finding import Finding, Severity
from mi_migrate.core.rules import Rule
from mi_migrate.output.context import RenderContext, message_with_evidence
from mi_migrate.scan.model import ScanResult

NO_CONTEXT = RenderContext()

ISSUE_TYPES = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "warning"}


def escape_data(text: str) -> str:
    return text.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(";", "%3B").replace("]", "%5D")


def issue(finding: Finding, context: RenderContext = NO_CONTEXT) -> str:
    props = [
        ("type", ISSUE_TYPES[finding.severity]),
        ("sourcepath", context.display_path(finding.path)),
        ("linenumber", str(finding.span.line)),
        ("columnnumber", str(finding.span.column)),
        ("code", finding.rule_id),
    ]
    rendered = "".join(f"{key}={escape_property(value)};" for key, value in props)
    return f"##vso[task.logissue {rendered}]{escape_data(message_with_evidence(finding))}"


def render(result: ScanResult, rules: dict[str, Rule], context: RenderContext = NO_CONTEXT) -> str:
    lines = [issue(f, context) for f in result.findings]
    return "\n".join(lines) + ("\n" if lines else "")
