"""What a scan takes and returns: ScanOptions (what the caller asked for), ScanSettings (what a worker needs for
one file; picklable) and ScanResult. Plain data, so every layer above the scanner can name them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from mi_migrate.core.config import Config
from mi_migrate.core.finding import Finding, Note, Severity

DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024
# Below this many bytes in total a process pool costs more than it saves (pre-commit runs on a few files).
PARALLEL_THRESHOLD_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class ScanSettings:
    """Everything a worker process needs to scan one file; picklable."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    third_party: bool = True  # run detect-secrets' plugins too
    python: bool = True  # Python-aware key-based client findings
    iac: bool = True  # infrastructure-as-code structure (AZ40x); their findings hold no secret, so history skips it
    engine: str = ""  # candidate engine (mi_migrate.scan.candidates): "hyperscan", "re", "" = choose per scan


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    files_scanned: int = 0
    bytes_scanned: int = 0
    root: Path = Path(".")
    config: Config | None = None  # the configuration the scan ran with (set by api.run_scan)

    def at_or_above(self, threshold: Severity | None) -> list[Finding]:
        if threshold is None:
            return []
        return [f for f in self.findings if f.severity >= threshold]


@dataclass(frozen=True)
class ScanOptions:
    """What the caller asked for (the CLI's scan options); mi_migrate.api.run_scan turns it into ScanSettings."""

    paths: tuple[str, ...] = (".",)
    config: Path | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    baseline: Path | None = None
    max_file_size: int | None = None
    jobs: int = 0
    third_party: bool = True
    apply_baseline: bool = True  # False when writing a new baseline: it must list every finding
    history: bool = False  # scan the lines each commit added (mi_migrate.scan.history.run)
    since: str | None = None  # history: commits not reachable from this revision
    rev_range: str | None = None  # history: only the commits of A..B
    staged: bool = False  # scan what is staged (index vs HEAD) instead of files
    show_authors: bool = False  # history: put the author's email in origin
    diff_base: str | None = None  # pull-request mode: only findings on lines changed since the merge base


def usable_cpus() -> int:
    """The CPUs this process may run on (a container's or `taskset`'s limit), not the machine's count: a pool
    larger than that only adds switching."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1
