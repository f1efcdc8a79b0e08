"""Pure renderers: (ScanResult, rules) → str. One module per format; none reads files or config.

JSON and SARIF also stream (`stream`): the envelope, then one finding at a time, so a large result is never held
as one document; `render` is the same text joined. Every format is documented in docs/output-formats.md; change
that page when a shape changes.
"""

from __future__ import annotations

import io
from collections.abc import Callable

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
    "STREAMED",
    "RenderContext",
    "context_for",
    "help_uri",
    "message_with_evidence",
    "render",
    "severity_counts",
    "stream",
]

FORMATS = ("text", "json", "sarif", "github", "azure", "gitlab")
STREAMED = ("json", "sarif")  # formats `stream` writes piece by piece


def render(fmt: str, result: ScanResult, rules: dict[str, Rule], *, color: bool = False,
           context: RenderContext | None = None) -> str:
    """Render `result` in `fmt`; `color` only affects text (the caller decides whether stdout is a TTY).

    CI formats rebase paths onto `context.repo_root` (pass `context_for(result.root)`); without a context they
    use the paths as the scan reported them."""
    ctx = context if context is not None else RenderContext(scan_root=result.root)
    if fmt == "text":
        from mi_migrate.output.text import render as text_render

        return text_render(result, rules, color=color)
    if fmt in STREAMED:
        out = io.StringIO()
        stream(fmt, result, rules, out.write, context=ctx)
        return out.getvalue()
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


def stream(fmt: str, result: ScanResult, rules: dict[str, Rule], write: Callable[[str], object], *,
           context: RenderContext | None = None) -> None:
    """Write `fmt` (one of STREAMED) through `write`, one finding at a time; the text equals `render`'s."""
    ctx = context if context is not None else RenderContext(scan_root=result.root)
    if fmt == "json":
        from mi_migrate.output.json import stream as json_stream

        json_stream(result, rules, write)
    elif fmt == "sarif":
        from mi_migrate.output.sarif import stream as sarif_stream

        sarif_stream(result, rules, write, ctx)
    else:
        raise ValueError(f"format {fmt!r} is not streamed (streamed: {', '.join(STREAMED)})")
