"""The scan API: files in, findings and notes out. No printing here; the CLI renders the result."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import replace
from pathlib import Path

from mi_migrate.core.finding import Finding, Note
from mi_migrate.core.rules import Rule, load_rules, select_rules
from mi_migrate.scan.collector import fewer_collections
from mi_migrate.scan.model import PARALLEL_THRESHOLD_BYTES, ScanResult, ScanSettings, usable_cpus

_RULES_CACHE: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[Rule, ...]] = {}


def active_rules(settings: ScanSettings) -> tuple[Rule, ...]:
    key = (settings.select, settings.ignore)
    if key not in _RULES_CACHE:
        _RULES_CACHE[key] = select_rules(load_rules(), list(settings.select), list(settings.ignore))
    return _RULES_CACHE[key]


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else latin-1 so offsets still map to lines."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def scan_bytes(rel_path: str, data: bytes, settings: ScanSettings) -> tuple[list[Finding], list[Note]]:
    """Scan one file's content. Never raises for bad content: problems become notes.

    One candidate scan (mi_migrate.scan.candidates) decides what can find anything here; a file without candidates
    is neither decoded nor lower-cased."""
    from mi_migrate.scan import candidates, engine, filetypes, suppress
    from mi_migrate.scan.python import syntax

    notes: list[Note] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = decode(data)
        raw = text.encode("utf-8", "replace")
    else:
        if b"\0" in data:
            return [], [Note(rel_path, "skipped: binary file")]
        raw, text = data, ""
    rules = active_rules(settings)
    hits = candidates.find(raw, settings.engine)
    planned = filetypes.plan(rel_path, hits, rules, settings)
    if planned.nothing:
        return [], notes
    text = text or decode(data)
    findings: list[Finding] = []
    index = engine.LineIndex.of(text)
    if planned.text_rules:
        findings.extend(engine.scan_text(rel_path, text, planned.text_rules, index, hits=hits))
    try:
        extra, extra_notes = filetypes.scan_structured(rel_path, text, hits, rules, settings, findings, index,
                                                       planned)
    finally:
        syntax.forget()  # the Python tree its analyses shared
    findings.extend(extra)
    notes.extend(extra_notes)
    if not findings:
        return [], notes
    findings = engine.deduplicate(findings, {r.id: r.priority for r in rules})
    return suppress.apply_inline(findings, text, index), notes


def scan_file(path: Path | str, rel_path: str, settings: ScanSettings) -> tuple[list[Finding], list[Note], int]:
    try:  # one open, its fstat for the cap, one read: no file object, no pathlib object, no second stat per file
        fd = os.open(path, _READ_FLAGS)
        try:
            size = os.fstat(fd).st_size
            if size > settings.max_file_size:
                return [], [Note(rel_path, f"skipped: {size} bytes is over the {settings.max_file_size}-byte cap")], 0
            data = _read_all(fd, size)
        finally:
            os.close(fd)
    except OSError as exc:
        return [], [Note(rel_path, f"skipped: cannot read ({exc.strerror or exc.__class__.__name__})")], 0
    try:
        findings, notes = scan_bytes(rel_path, data, settings)
    except RecursionError:
        return [], [Note(rel_path, "skipped: nesting too deep to analyse")], len(data)
    return findings, notes, len(data)


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)  # no newline translation on Windows


def _read_all(fd: int, size: int) -> bytes:
    """Everything left in `fd`, read as `size` bytes plus one: a regular file needs one read and one more call
    only when it is not where fstat said its end was (it grew, or it is no regular file)."""
    data = os.read(fd, size + 1)
    if len(data) == size or not data:
        return data
    chunks = [data]
    while True:
        more = os.read(fd, 1 << 20)
        if not more:
            return b"".join(chunks)
        chunks.append(more)


@fewer_collections()
def _scan_chunk(
    chunk: list[tuple[str, str]], settings: ScanSettings
) -> tuple[list[Finding], list[Note], int, int]:
    findings: list[Finding] = []
    notes: list[Note] = []
    total = 0
    for abs_path, rel_path in chunk:
        f, n, size = scan_file(abs_path, rel_path, settings)
        findings.extend(f)
        notes.extend(n)
        total += size
    return findings, notes, total, len(chunk)


CHUNK_FILES = 256  # the most files a worker is sent at once


def _chunks(items: Sequence[tuple[str, str]], count: int) -> Iterator[list[tuple[str, str]]]:
    size = max(1, min(CHUNK_FILES, len(items) // (count * 8) or 1))
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


# A repository whose git index is at least this large (~1,500 files) is scanned by a pool started before its
# files are listed (start_pool): far past the point where a scan runs in parallel.
LARGE_INDEX_BYTES = 256 * 1024


def start_pool(paths: Sequence[str], jobs: int = 0) -> Executor | None:
    """A worker pool for a scan of `paths`, started now when they are one large git repository: its workers load
    the scanner (the candidate database, the analyses, detect-secrets' plugins) while this process lists the
    files, ~0.3 s each on a 25k-file repository. None otherwise (a small scan never pays for a pool)."""
    jobs = jobs or usable_cpus()
    if jobs <= 1 or len(paths) != 1:
        return None
    try:
        if os.stat(os.path.join(paths[0], ".git", "index")).st_size < LARGE_INDEX_BYTES:
            return None
    except OSError:
        return None
    from concurrent.futures import ProcessPoolExecutor

    from mi_migrate.scan import candidates

    pool = ProcessPoolExecutor(max_workers=jobs)
    for _ in range(jobs):
        pool.submit(_load_scanner, candidates.choose())
    return pool


def _load_scanner(engine: str) -> None:
    """What a worker's first files would load."""
    from mi_migrate.scan import candidates, third_party
    from mi_migrate.scan.python import analysis
    from mi_migrate.scan.structured import python_strings, yaml_files

    candidates.finder(engine)
    third_party.prepare()
    del analysis, python_strings, yaml_files


def _choices_size(files: Iterable[tuple[str, str]], total_size: int = 0) -> int:
    """`total_size` plus the sizes of `files`, only as far as the engine and pool choices need: past both
    thresholds nothing changes."""
    from mi_migrate.scan import candidates

    for p, _ in files:
        if total_size >= max(PARALLEL_THRESHOLD_BYTES, candidates.NATIVE_MIN_BYTES):
            break
        try:
            total_size += os.stat(p).st_size
        except OSError:
            pass
    return total_size


class EarlyChunks:
    """discovery.collect's `early` for a scan in a pool started beforehand (start_pool): the files git lists are
    sent to the workers a chunk at a time while the rest is still being listed, once they are enough to be
    scanned in parallel (until then they wait, and a small repository is scanned as scan_files would)."""

    def __init__(self, pool: Executor, settings: ScanSettings) -> None:
        self.pool = pool
        self.settings = settings
        self.waiting: list[tuple[str, str]] = []
        self.futures: list[Future[tuple[list[Finding], list[Note], int, int]]] = []
        self.total_size = 0
        self.started = False

    def __call__(self, batch: list[tuple[str, str]]) -> None:
        if self.started:
            self.submit(batch)
            return
        self.waiting += batch
        self.total_size = _choices_size(batch, self.total_size)
        if self.total_size >= PARALLEL_THRESHOLD_BYTES:
            from mi_migrate.scan import candidates

            self.started = True
            if not self.settings.engine:
                self.settings = replace(self.settings, engine=candidates.choose(self.total_size))
            self.submit(self.waiting)
            self.waiting = []

    def submit(self, items: list[tuple[str, str]]) -> None:
        for start in range(0, len(items), CHUNK_FILES):
            self.futures.append(self.pool.submit(_scan_chunk, items[start : start + CHUNK_FILES], self.settings))


def scan_files(files: Sequence[tuple[Path | str, str]], settings: ScanSettings, jobs: int = 0,
               pool: Executor | None = None, early: EarlyChunks | None = None) -> ScanResult:
    """Scan (absolute path, repository-relative path) pairs, in parallel when the input is large (in `pool`
    when given: see start_pool; the caller shuts it down), with the files `early` has taken from discovery."""
    from mi_migrate.scan import candidates

    result = ScanResult()
    items = [(os.fspath(p), rel) for p, rel in files]
    sent: list[Future[tuple[list[Finding], list[Note], int, int]]] = []
    if early is not None and early.started:  # the rest (links, files named or walked) follows the early chunks
        early.submit(items)
        settings, sent = early.settings, early.futures
    elif early is not None:  # too little to scan in parallel: the files it holds are scanned with the rest
        items = early.waiting + items
    jobs = jobs or usable_cpus()
    total_size = _choices_size(items) if not sent else 0
    if not settings.engine:  # one engine for the whole scan: native when it pays for its compile time
        settings = replace(settings, engine=candidates.choose(total_size))
    if sent:
        outcomes: Iterable[tuple[list[Finding], list[Note], int, int]] = (future.result() for future in sent)
    elif jobs <= 1 or len(items) < 2 or total_size < PARALLEL_THRESHOLD_BYTES:
        outcomes = [_scan_chunk(items, settings)]
    else:
        from concurrent.futures import ProcessPoolExecutor  # imported only when a pool runs (not for pre-commit)

        running = pool if pool is not None else ProcessPoolExecutor(max_workers=jobs)
        outcomes = running.map(_scan_chunk, _chunks(items, jobs), [settings] * len(items))
        if pool is None:
            with running:
                outcomes = list(outcomes)
    for f, n, size, count in outcomes:
        result.findings.extend(f)
        result.notes.extend(n)
        result.bytes_scanned += size
        result.files_scanned += count
    result.findings.sort(key=lambda f: (f.path, f.span.line, f.span.column, f.rule_id))
    result.notes.sort(key=lambda n: n.path)
    return result
