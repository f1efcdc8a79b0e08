"""Scanning a git patch stream: each file's added lines through the working-tree scanner, in a worker pool once
the stream proves large.

Why a pool: parsing the stream is cheap next to the rules, so the parent parses and workers scan batches of
file diffs. At most two batches per worker are in flight and results are consumed in stream order (the
collector's "oldest wins" relies on it), so memory stays bounded however long the history is. Small streams
(tests, `--staged`, pre-commit) never start a pool.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace

from mi_migrate.core import config as config_mod
from mi_migrate.core.finding import Finding, Note, Span
from mi_migrate.scan.collector import fewer_collections
from mi_migrate.scan.files import scan_bytes
from mi_migrate.scan.history.gitdiff import Commit, FileDiff, parse
from mi_migrate.scan.model import PARALLEL_THRESHOLD_BYTES, ScanSettings

BATCH_BYTES = 1 << 20
MAX_NOTES = 200


def scan_diff(diff: FileDiff, settings: ScanSettings) -> list[Finding]:
    """Secrets on the added lines of one file's hunks, with that commit's line numbers.

    The lines are joined as one text (a blank line between non-adjacent runs, so a comment never appears to
    sit above a line it is not above), scanned exactly like a file, then mapped back to real line numbers.
    """
    parts: list[bytes] = []
    real: list[int] = []
    added: list[bool] = []
    previous = -1
    for number, body, is_added in diff.lines:
        if previous >= 0 and number != previous + 1:
            parts.append(b"")
            real.append(0)
            added.append(False)
        parts.append(body)
        real.append(number)
        added.append(is_added)
        previous = number
    if not any(added):
        return []
    try:
        found, _ = scan_bytes(diff.path, b"\n".join(parts), settings)
    except RecursionError:
        return []
    out = []
    for finding in found:
        first, last = finding.span.line - 1, min(finding.span.end_line - 1, len(added) - 1)
        if not finding.secret_hash or not (added[first] or added[last]):
            continue
        end = real[last] or real[first]
        span = Span(real[first], finding.span.column, max(end, real[first]), finding.span.end_column)
        out.append(replace(finding, span=span))
    return out


@fewer_collections()
def scan_batch(batch: list[FileDiff], settings: ScanSettings) -> list[tuple[FileDiff, list[Finding]]]:
    """Worker entry point: the diffs come back without their lines (nothing large crosses twice)."""
    out = []
    for diff in batch:
        found = scan_diff(diff, settings)
        diff.lines = []
        out.append((diff, found))
    return out


@dataclass
class StreamScan:
    """One pass over a patch stream; `on_finding(commit, finding)` receives findings in stream order."""

    settings: ScanSettings
    cfg: config_mod.Config
    on_finding: Callable[[Commit | None, Finding], None]
    on_rename: Callable[[tuple[str, str]], None]
    jobs: int = 1
    commits: int = 0
    files: int = 0
    bytes: int = 0
    notes: dict[str, Note] = field(default_factory=dict)

    def run(self, lines: Iterable[bytes]) -> None:
        exclude = self.cfg.exclude_spec()
        batch: list[FileDiff] = []
        batch_bytes = 0
        pending: deque[Future[list[tuple[FileDiff, list[Finding]]]]] = deque()
        pool: ProcessPoolExecutor | None = None
        try:
            for item in parse(lines, self.settings.max_file_size):
                if isinstance(item, Commit):
                    self.commits += 1
                    continue
                if isinstance(item, tuple):
                    self.on_rename(item)
                    continue
                if exclude.match_file(item.path):
                    continue
                if item.too_big:
                    self._note_too_big(item)
                    continue
                batch.append(item)
                batch_bytes += item.size
                if batch_bytes < BATCH_BYTES:
                    continue
                if pool is None and self.jobs > 1 and self.bytes + batch_bytes > PARALLEL_THRESHOLD_BYTES:
                    pool = ProcessPoolExecutor(max_workers=self.jobs)
                if pool is None:
                    self._consume(scan_batch(batch, self.settings))
                else:
                    pending.append(pool.submit(scan_batch, batch, self.settings))
                    while len(pending) > 2 * self.jobs:
                        self._consume(pending.popleft().result())
                batch, batch_bytes = [], 0
            while pending:
                self._consume(pending.popleft().result())
            self._consume(scan_batch(batch, self.settings))
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def _consume(self, results: list[tuple[FileDiff, list[Finding]]]) -> None:
        for diff, found in results:
            self.files += 1
            self.bytes += diff.size
            for finding in config_mod.apply(self.cfg, found) if found else ():
                self.on_finding(diff.commit, finding)

    def _note_too_big(self, diff: FileDiff) -> None:
        if len(self.notes) < MAX_NOTES and diff.path not in self.notes:
            where = f" in {diff.commit.sha[:7]}" if diff.commit else ""
            self.notes[diff.path] = Note(diff.path, f"skipped{where}: added text over the "
                                                    f"{self.settings.max_file_size}-byte cap")
