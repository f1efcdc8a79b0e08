"""Library entry points behind the CLI: options dataclasses in, results out, no printing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mi_migrate import baseline as baseline_mod
from mi_migrate import config as config_mod
from mi_migrate import discovery
from mi_migrate.scan import DEFAULT_MAX_FILE_SIZE, ScanResult, ScanSettings, scan_files


@dataclass(frozen=True)
class ScanOptions:
    paths: tuple[str, ...] = (".",)
    config: Path | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    baseline: Path | None = None
    max_file_size: int | None = None
    jobs: int = 0
    third_party: bool = True
    apply_baseline: bool = True  # False when writing a new baseline: it must list every finding
    history: bool = False  # scan the lines each commit added (mi_migrate.history)
    since: str | None = None  # history: commits not reachable from this revision
    rev_range: str | None = None  # history: only the commits of A..B
    staged: bool = False  # scan what is staged (index vs HEAD) instead of files
    show_authors: bool = False  # history: put the author's email in origin
    diff_base: str | None = None  # pull-request mode: only findings on lines changed since the merge base


def run_scan(options: ScanOptions) -> ScanResult:
    """Discover files, scan them, then apply configuration and the baseline."""
    if options.history or options.staged:
        from mi_migrate import history

        return history.run_history(options)
    cfg = config_mod.load(options.config, [Path(p) for p in options.paths])
    files, notes = discovery.collect([Path(p) for p in options.paths], cfg)
    settings = ScanSettings(
        select=tuple(options.select or cfg.select),
        ignore=tuple(options.ignore) + tuple(cfg.ignore),
        max_file_size=options.max_file_size or cfg.max_file_size or DEFAULT_MAX_FILE_SIZE,
        third_party=options.third_party and cfg.third_party,
    )
    result = scan_files(files, settings, options.jobs)
    result.root = cfg.root
    result.config = cfg
    result.notes = notes + result.notes
    result.findings = config_mod.apply(cfg, result.findings)
    baseline_path = options.baseline or cfg.baseline
    if baseline_path is not None and options.apply_baseline:
        result.findings = baseline_mod.filter_new(baseline_mod.load(baseline_path), result.findings)
    if options.diff_base is not None:
        from mi_migrate import gitdiff
        from mi_migrate.finding import Note

        result.findings, note = gitdiff.keep_changed(result.findings, str(cfg.root), options.diff_base)
        result.notes.append(Note(".", note))
    return result
