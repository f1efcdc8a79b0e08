"""The migration report: per Azure resource, what to change (identity, least-privilege roles, settings, key
rotation), built from a scan and a fix (a dry run for `mi-migrate report`, the real one for `fix --report`).

    report.model.build(scan, fix, ...) -> dict     # the JSON shape, see docs/report.md and report.schema.json
    render(report, fmt) -> str                     # md, html, json

Running the scan and the fix first is the entry points' job: mi_migrate.api.build_report / write_report.
"""

from __future__ import annotations

from typing import Any

from mi_migrate.report.render import FORMATS, format_for, render

__all__ = ["FORMATS", "format_for", "render", "schema"]


def schema() -> dict[str, Any]:
    import json
    from importlib import resources

    return json.loads(resources.files("mi_migrate.report").joinpath("report.schema.json").read_text("utf-8"))
