"""The migration report: per Azure resource, what to change (identity, least-privilege roles, settings, key
rotation), built from a scan and a fix (a dry run for `mi-migrate report`, the real one for `fix --report`).

    write_report(path, options, fix_result=None)   # format from the extension: .md, .html, .json
    build_report(options, fix_result=None) -> dict # the JSON shape, see docs/report.md and report.schema.json
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mi_migrate.report.render import FORMATS, format_for, render

__all__ = ["FORMATS", "build_report", "render", "render_report", "schema", "write_report"]


def build_report(options: Any, fix_result: Any = None, *, third_party: bool = True,
                 history: bool = False) -> dict[str, Any]:
    """Scan options.paths and combine the findings with `fix_result` (a dry-run fix when None); with `history`,
    keys removed from HEAD but still in git history join the findings, so rotation lists them."""
    from dataclasses import replace

    from mi_migrate import api
    from mi_migrate.fix.runner import fix_paths
    from mi_migrate.report.model import build

    mode = "fixed" if fix_result is not None and options.write else "dry-run"
    if fix_result is None:
        fix_result = fix_paths(replace(options, write=False))
    scan = api.run_scan(api.ScanOptions(paths=options.paths, config=options.config, jobs=options.jobs,
                                        third_party=third_party, apply_baseline=False))
    if history:
        past = api.run_scan(api.ScanOptions(paths=options.paths, config=options.config, jobs=options.jobs,
                                            third_party=third_party, apply_baseline=False, history=True))
        scan.findings += [f for f in past.findings if not f.origin.get("present_at_head")]
    return build(scan, fix_result, tuple(options.paths), mode, getattr(options, "client_id_env", None))


def render_report(options: Any, fmt: str, fix_result: Any = None, history: bool = False) -> str:
    return render(build_report(options, fix_result, history=history), fmt)


def write_report(path: Path | str, options: Any, fix_result: Any = None, fmt: str | None = None) -> Path:
    """Build, render and atomically write the report; the format comes from the file extension unless given."""
    target = Path(path)
    text = render_report(options, format_for(str(target), fmt), fix_result)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target


def schema() -> dict[str, Any]:
    import json
    from importlib import resources

    return json.loads(resources.files("mi_migrate.report").joinpath("report.schema.json").read_text("utf-8"))
