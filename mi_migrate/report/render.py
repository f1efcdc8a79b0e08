"""Render the report dict as Markdown, a self-contained HTML page, or JSON (jinja2 templates shipped in the
package; HTML autoescaped; StrictUndefined so a missing key fails loudly instead of printing nothing)."""

from __future__ import annotations

import json
from typing import Any

from mi_migrate.report.redaction import final_pass

FORMATS = ("md", "html", "json")
EXTENSIONS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".json": "json"}
BAR_COLOURS = ("#2563eb", "#0891b2", "#7c3aed", "#db2777", "#ea580c", "#16a34a", "#ca8a04", "#475569")


def environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("mi_migrate.report", "templates"),
        autoescape=lambda name: bool(name and name.endswith(".html")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cell"] = md_cell
    env.filters["code"] = md_code
    return env


def md_cell(value: Any) -> str:
    """A value safe inside a Markdown table cell."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def md_code(value: Any) -> str:
    """Inline code that survives backticks in the value."""
    text = "" if value is None else str(value).replace("\n", " ")
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def chart(summary: dict[str, Any], width: int = 640) -> dict[str, Any]:
    """Geometry of the horizontal bar chart of findings by service: one bar per service."""
    items = list(summary["by_service"].items())
    label_w, row_h, bar_h, top = 130, 30, 20, 10
    top_count = max((count for _, count in items), default=1) or 1
    plot = width - label_w - 50
    bars = []
    for i, (service, count) in enumerate(items):
        y = top + i * row_h
        bars.append({"service": service, "count": count, "x": label_w, "y": y,
                     "width": max(2, round(plot * count / top_count)), "height": bar_h,
                     "label_y": y + bar_h * 0.72, "colour": BAR_COLOURS[i % len(BAR_COLOURS)]})
    return {"width": width, "height": top * 2 + row_h * max(len(items), 1), "bars": bars, "label_w": label_w}


def render(report: dict[str, Any], fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r} (expected one of {', '.join(FORMATS)})")
    if fmt == "json":
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    else:
        template = environment().get_template(f"report.{fmt}")
        text = template.render(r=report, chart=chart(report["summary"]))
    return final_pass(text, f"report.{fmt}")


def format_for(path: str, fmt: str | None = None) -> str:
    if fmt:
        return fmt
    from pathlib import PurePath

    suffix = PurePath(path).suffix.lower()
    if suffix not in EXTENSIONS:
        raise ValueError(f"cannot tell the report format from {path!r}: use a .md, .html or .json file name")
    return EXTENSIONS[suffix]
