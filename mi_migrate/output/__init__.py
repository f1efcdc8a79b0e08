"""Pure renderers: (ScanResult, rules) → str. One module per format; none reads files or config.

Every format is documented in docs/output-formats.md; change that page when a shape changes.
"""

from __future__ import annotations

from mi_migrate.core.rules import Rule
from mi_migrate.output.context import (
    CI_FORMATS,
    DOCS_BASE_URL,
    RULES_DOC_URL,
    RenderContext,
    context_for,
    help_uri,
    message_with_evidence,
    severity_counts,
)
from mi_migrate.scan.model import ScanResult

__all__ = [
    "CI_FORMATS",
    "DOCS_BASE_URL",
    "FORMATS",
    "RULES_DOC_URL",
    "RenderContext",
    "context_for",
    "help_uri",
    "message_with_evidence",
    "render",
    "severity_counts",
]

FORMATS = ("text", "json", "sarif", "github", "azure", "gitlab")


def render(fmt: str, result: ScanResult, rules: dict[str, Rule], *, color: bool = False,
           context: RenderContext | None = None) -> str:
    """Render `result` in `fmt`; `color` only affects text (the caller decides whether stdout is a TTY).

    CI formats rebase paths onto `context.repo_root` (pass `context_for(result.root)`); without a context they
    use the paths as the scan reported them."""
    ctx = context if context is not None else RenderContext(scan_root=result.root)
    if fmt == "text":
        from mi_migrate.output.text import render as text_render

        return text_render(result, rules, color=color)
    if fmt == "json":
        from mi_migrate.output.json import render as json_render

        return json_render(result, rules)
    if fmt == "sarif":
        from mi_migrate.output.sarif import render as sarif_render

        return sarif_render(result, rules, ctx)
    if fmt == "github":
        from mi_migrate.output.github import render as github_render

        return github_render(result, rules, ctx)
    if fmt == "azure":
        from mi_migrate.output.azure import render as azure_render

        return azure_render(result, rules, ctx)
    if fmt == "gitlab":
        from mi_migrate.output.gitlab import render as gitlab_render

        return gitlab_render(result, rules, ctx)
    raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
