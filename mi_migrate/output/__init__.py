"""Pure renderers: (ScanResult, rules) → str. One module per format; none reads files or config."""

from __future__ import annotations

from collections.abc import Callable

from mi_migrate.rules import Rule
from mi_migrate.scan import ScanResult

FORMATS = ("text", "json", "sarif", "github", "azure")


def render(fmt: str, result: ScanResult, rules: dict[str, Rule]) -> str:
    renderer: Callable[[ScanResult, dict[str, Rule]], str]
    if fmt == "text":
        from mi_migrate.output.text import render as renderer
    elif fmt == "json":
        from mi_migrate.output.json import render as renderer
    elif fmt == "sarif":
        from mi_migrate.output.sarif import render as renderer
    elif fmt == "github":
        from mi_migrate.output.github import render as renderer
    elif fmt == "azure":
        from mi_migrate.output.azure import render as renderer
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return renderer(result, rules)
