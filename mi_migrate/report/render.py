"""Render the report dict as Markdown, a self-contained HTML page, or JSON (jinja2 templates shipped in the
package; HTML autoescaped; StrictUndefined so a missing key fails loudly instead of printing nothing)."""

from __future__ import annotations

import json
import re
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
    env.filters["inline"] = html_inline
    env.filters["app_md"] = app_md
    env.filters["app_html"] = app_html
    return env


ROOT_APP = "the repository root"
INLINE_CODE = re.compile(r"`([^`\n]+)`")


def html_inline(value: Any) -> Any:
    """Prose for the HTML page: escaped, and `code spans` (the Markdown notation the messages use) as <code>."""
    from markupsafe import Markup, escape

    text = str(escape("" if value is None else value))
    return Markup(INLINE_CODE.sub(lambda m: f"<code>{m.group(1)}</code>", text))


def app_md(app: Any) -> str:
    """An app folder in Markdown: `path`, the root by name (not a bare '.' next to a full stop)."""
    return ROOT_APP if app in (".", "") else md_code(app)


def app_html(app: Any) -> Any:
    from markupsafe import Markup, escape

    return Markup(ROOT_APP) if app in (".", "") else Markup(f"<code>{escape(app)}</code>")


def rotation_groups(rotation: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rotation entries that call for the same steps on the same resource, as one: eleven expired test tokens
    signed by one account key are one key renewal, not eleven identical blocks."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for x in rotation:
        notes = [n for n in x["notes"] if not n.startswith(("SAS expiry", "In git history"))]
        key = (x["service"], x.get("resource") or x["finding"], tuple(x["commands"]), x.get("disable_key_auth"),
               tuple(notes))
        group = groups.get(key)
        if group is None:
            group = groups[key] = {"findings": [], "places": [], "service": x["service"], "evidence": [],
                                   "commands": x["commands"], "notes": [],
                                   "disable_key_auth": x.get("disable_key_auth")}
        group["findings"].append(x["finding"])
        place = f"{x['path']}:{x['line']}"
        if place not in group["places"]:
            group["places"].append(place)
        if x["evidence"] and x["evidence"] not in group["evidence"]:
            group["evidence"].append(x["evidence"])
        for note in x["notes"]:
            if note not in group["notes"]:
                group["notes"].append(note)
    return list(groups.values())


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
        text = template.render(r=report, chart=chart(report["summary"]), rotation=rotation_groups(report["rotation"]))
    return final_pass(text, f"report.{fmt}")


def format_for(path: str, fmt: str | None = None) -> str:
    if fmt:
        return fmt
    from pathlib import PurePath

    suffix = PurePath(path).suffix.lower()
    if suffix not in EXTENSIONS:
        raise ValueError(f"cannot tell the report format from {path!r}: use a .md, .html or .json file name")
    return EXTENSIONS[suffix]
