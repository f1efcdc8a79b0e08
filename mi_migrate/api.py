"""Library entry points behind the CLI: options dataclasses in, results out, no printing.

    run_scan(ScanOptions) -> ScanResult          discover, scan, then config, baseline and --diff-base
    write_baseline(ScanOptions, path) -> ...     scan keeping baselined findings and write a new baseline
    run_fix(FixOptions) -> FixResult             plan every rewrite, write them all or none
    build_report / render_report / write_report  the migration report: a scan plus a (dry-run) fix

This is the one module that ties the layers together (scan, baseline, fix, report); the CLI talks to it and to the
pure renderers in mi_migrate.output only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mi_migrate.core import config as config_mod
from mi_migrate.core.finding import Finding, Note
from mi_migrate.fix.model import FixOptions
from mi_migrate.scan import discovery
from mi_migrate.scan.files import EarlyChunks, scan_files, start_pool
from mi_migrate.scan.model import DEFAULT_MAX_FILE_SIZE, ScanOptions, ScanResult, ScanSettings

if TYPE_CHECKING:
    from mi_migrate.fix.runner import FixResult

# fix and report load libcst and the report's tables: imported where used, so `scan` (pre-commit) stays fast
__all__ = [
    "FixOptions",
    "ScanOptions",
    "ScanResult",
    "build_report",
    "describe",
    "redact_secrets",
    "render_report",
    "report_format_for",
    "run_fix",
    "run_scan",
    "scan_all",
    "write_baseline",
    "write_report",
]


def run_scan(options: ScanOptions) -> ScanResult:
    """Discover files, scan them, then apply configuration and the baseline."""
    if options.history or options.staged:
        from mi_migrate.scan.history import run as history

        return history.run_history(options, _history_baseline(options))
    cfg = config_mod.load(options.config, [Path(p) for p in options.paths])
    settings = ScanSettings(
        select=tuple(options.select or cfg.select),
        ignore=tuple(options.ignore) + tuple(cfg.ignore),
        max_file_size=options.max_file_size or cfg.max_file_size or DEFAULT_MAX_FILE_SIZE,
        third_party=options.third_party and cfg.third_party,
    )
    pool = start_pool([str(p) for p in options.paths or ["."]], options.jobs)
    try:
        early = EarlyChunks(pool, settings) if pool is not None else None  # scanning starts while git lists
        files, notes = discovery.collect([Path(p) for p in options.paths], cfg, early)
        result = scan_files(files, settings, options.jobs, pool, early)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    result.root = cfg.root
    result.config = cfg
    result.notes = notes + result.notes
    result.findings = config_mod.apply(cfg, result.findings)
    baseline_path = options.baseline or cfg.baseline
    if baseline_path is not None and options.apply_baseline:
        from mi_migrate import baseline as baseline_mod  # (detect-secrets' baseline format: not for every scan)

        result.findings = baseline_mod.filter_new(baseline_mod.load(baseline_path), result.findings)
    if options.diff_base is not None:
        from mi_migrate.scan.history import gitdiff

        result.findings, note = gitdiff.keep_changed(result.findings, str(cfg.root), options.diff_base)
        result.notes.append(Note(".", note))
    return result


def _history_baseline(options: ScanOptions) -> Callable[[list[Finding], config_mod.Config], list[Finding]]:
    """The baseline decision for history and staged scans (see mi_migrate.scan.history.run): a staged finding is
    known by its fingerprint; a history finding also when any entry has the same rule and secret hash."""

    def accept(findings: list[Finding], cfg: config_mod.Config) -> list[Finding]:
        from mi_migrate import baseline as baseline_mod

        baseline_path = options.baseline or cfg.baseline
        if baseline_path is None or not options.apply_baseline:
            return findings
        known = baseline_mod.load(baseline_path)
        if options.staged:
            return baseline_mod.filter_new(known, findings)
        accepted = baseline_mod.secret_keys(baseline_path)
        return [f for f in findings if f.fingerprint not in known and (f.rule_id, f.secret_hash) not in accepted]

    return accept


def scan_all(options: ScanOptions) -> tuple[ScanResult, config_mod.Config]:
    """Scan as `run_scan` does but keep already-baselined findings: a new baseline must list them all."""
    result = run_scan(replace(options, apply_baseline=False))
    assert result.config is not None
    return result, result.config


def write_baseline(options: ScanOptions, output: Path | None = None) -> tuple[ScanResult, Path, int]:
    """Scan everything and write the baseline to `output` (default: the configured one, else ROOT's);
    (the scan, the file written, the number of entries)."""
    result, cfg = scan_all(options)
    from mi_migrate import baseline as baseline_mod

    target = output or baseline_mod.default_path(cfg)
    return result, target, baseline_mod.write(target, result.findings)


def run_fix(options: FixOptions) -> FixResult:
    """Plan every rewrite under options.paths, then (when options.write) write them all or none."""
    from mi_migrate.fix.runner import fix_paths

    return fix_paths(options)


def describe(exc: BaseException) -> str:
    """An exception as one short line, secrets redacted (mi_migrate.fix.runner.describe)."""
    from mi_migrate.fix.runner import describe as describe_exc

    return describe_exc(exc)


def redact_secrets(text: str, path: str = "diff.txt") -> str:
    """`text` with every secret the scanner recognises redacted (mi_migrate.scan.redact_text)."""
    from mi_migrate.scan.redact_text import redact_secrets as redact_text

    return redact_text(text, path)


def report_format_for(path: str, fmt: str | None = None) -> str:
    """The report format for an output path (mi_migrate.report.render.format_for)."""
    from mi_migrate.report.render import format_for

    return format_for(path, fmt)


def build_report(options: FixOptions, fix_result: FixResult | None = None, *, third_party: bool = True,
                 history: bool = False) -> dict[str, Any]:
    """Scan options.paths and combine the findings with `fix_result` (a dry-run fix when None); with `history`,
    keys removed from HEAD but still in git history join the findings, so rotation lists them."""
    from mi_migrate.fix.runner import fix_paths
    from mi_migrate.report.model import build

    mode = "fixed" if fix_result is not None and options.write else "dry-run"
    if fix_result is None:
        fix_result = fix_paths(replace(options, write=False))
    scan = run_scan(ScanOptions(paths=options.paths, config=options.config, jobs=options.jobs,
                                third_party=third_party, apply_baseline=False))
    if history:
        past = run_scan(ScanOptions(paths=options.paths, config=options.config, jobs=options.jobs,
                                    third_party=third_party, apply_baseline=False, history=True))
        scan.findings += [f for f in past.findings if not f.origin.get("present_at_head")]
    return build(scan, fix_result, tuple(options.paths), mode, getattr(options, "client_id_env", None))


def render_report(options: FixOptions, fmt: str, fix_result: FixResult | None = None, history: bool = False) -> str:
    from mi_migrate.report.render import render

    return render(build_report(options, fix_result, history=history), fmt)


def write_report(path: Path | str, options: FixOptions, fix_result: FixResult | None = None,
                 fmt: str | None = None) -> Path:
    """Build, render and atomically write the report; the format comes from the file extension unless given."""
    target = Path(path)
    text = render_report(options, report_format_for(str(target), fmt), fix_result)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target
