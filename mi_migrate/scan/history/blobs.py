"""`scan --history` by blob: every distinct file version in the repository is scanned once, and only the few
with findings are traced back to the commits that introduced them.

Why: a patch stream (`git log -p`) repeats every hunk's context and costs git a diff per commit and file; a
repository's history is mostly the same blobs seen again. Here

1. `git rev-list --objects --all` names every reachable blob with a path it had (`--missing=print`: a partial
   clone or an incomplete snapshot lists what it lacks instead of failing; those are skipped with one note);
2. `git cat-file --batch-all-objects --batch-check --unordered` gives their types and sizes; the blobs are then
   taken path by path (each path's versions in pack order), so one worker sees a file's versions one after
   another: git's delta cache serves them (reading is faster than in pack order) and the scan's memories of
   lines and values seen before (plugin results, context windows, decoded strings) are hit;
3. workers (one `cat-file --batch` each, over contiguous slices of that order) read and scan the blobs
   themselves, exactly as working-tree files, and return only findings: no blob crosses a process boundary;
4. one `git log --all --raw --find-object=<blob>…` lists, newest first, the commits where blobs with findings
   appear or disappear. A secret counts as added by a commit at a path when a blob holding it appears there and
   no blob the same commit replaced or deleted held it (a rename or an unrelated edit to the file is not an
   addition). The oldest addition is the reported origin (mi_migrate.scan.history.run.Collector). Blob and commit ids
   are the only things on command lines; a secret never is.

A secret is "present at HEAD" when a blob in HEAD's tree holds it. Used for a full `scan --history` (bare and
mirror clones included: `--all` takes every ref, `refs/pull/*` too); `--since`, `--range` and `--staged` scan
added lines from a patch stream (mi_migrate.scan.history.stream), because there the question is what those commits
added, not which blobs they can reach.
"""

from __future__ import annotations

import operator
import os
import subprocess
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace

from mi_migrate.core import config as config_mod
from mi_migrate.core import gitsafe
from mi_migrate.core.finding import Finding, Note
from mi_migrate.scan.collector import fewer_collections
from mi_migrate.scan.files import scan_bytes
from mi_migrate.scan.history import gitdiff
from mi_migrate.scan.history.gitdiff import Commit
from mi_migrate.scan.model import PARALLEL_THRESHOLD_BYTES, ScanSettings

CHUNK_BYTES = 8 << 20  # blobs per worker task: one cat-file process reads this much
FIND_OBJECTS_PER_LOG = 2000  # --find-object arguments per git log (command-line length)
MAX_NOTES = 200
MARKER = b"\x01mi-migrate-commit"
LOG_FORMAT = "%x01mi-migrate-commit%x00%H%x00%aI%x00%ae"
NULL_SHA = b"0" * 40


@dataclass
class BlobScan:
    """What a blob scan found: findings per blob (only blobs with secrets), counts and notes."""

    findings: dict[bytes, list[Finding]] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    notes: list[Note] = field(default_factory=list)


def _git_bytes(cwd: str, *args: str, stdin: bytes | None = None) -> bytes:
    """A short git command's stdout; a failure is a ValueError with git's first error line (exit 2)."""
    try:
        proc = gitsafe.run(*gitdiff.GIT_CONFIG, *args, cwd=cwd, timeout=3600, stdin=stdin)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ValueError(f"cannot run git: {exc}") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise ValueError(f"git {args[0]} failed: {err.splitlines()[0] if err else proc.returncode}")
    return proc.stdout


def reachable_blobs(cwd: str, revs: Sequence[str], specs: Sequence[str]) -> tuple[dict[bytes, bytes], int]:
    """{object id: a path it had} for every object reachable from `revs`, and how many are missing."""
    out = _git_bytes(cwd, "rev-list", "--objects", "--missing=print", *revs, "--", *specs)
    named: dict[bytes, bytes] = {}
    missing = 0
    for line in out.split(b"\n"):
        if not line:
            continue
        if line.startswith(b"?"):
            missing += 1
            continue
        sha, _, path = line.partition(b" ")
        if path:
            named[sha] = path
    return named, missing


def blob_order(cwd: str, named: dict[bytes, bytes], max_size: int) -> tuple[list[tuple[bytes, bytes, int]], list[
        tuple[bytes, int]]]:
    """Reachable blobs as (id, path, size), by path and then in pack order, and the ones over the size cap."""
    out = _git_bytes(cwd, "cat-file", "--batch-all-objects", "--unordered",
                     "--batch-check=%(objectname) %(objecttype) %(objectsize)")
    order: list[tuple[bytes, bytes, int]] = []
    big: list[tuple[bytes, int]] = []
    seen: set[bytes] = set()
    for line in out.split(b"\n"):
        parts = line.split(b" ")
        if len(parts) != 3 or parts[1] != b"blob" or parts[0] in seen:
            continue
        path = named.get(parts[0])
        if path is None:
            continue
        seen.add(parts[0])
        size = int(parts[2])
        if size > max_size:
            big.append((path, size))
        else:
            order.append((parts[0], path, size))
    order.sort(key=operator.itemgetter(1))  # by path; stable: each path's versions stay in pack order
    return order, big


def _chunks(order: list[tuple[bytes, bytes, int]], limit: int) -> Iterator[list[tuple[bytes, bytes, int]]]:
    chunk: list[tuple[bytes, bytes, int]] = []
    size = 0
    for item in order:
        chunk.append(item)
        size += item[2]
        if size >= limit:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


@fewer_collections()
def scan_chunk(cwd: str, chunk: list[tuple[bytes, bytes, int]],
               settings: ScanSettings) -> tuple[list[tuple[bytes, list[Finding]]], int, int]:
    """Worker entry point: read these blobs with one `git cat-file --batch` and scan each; only findings with a
    secret come back (code patterns need the whole working tree; history reports secrets)."""
    stdin = b"".join(sha + b"\n" for sha, _, _ in chunk)
    out = _git_bytes(cwd, "cat-file", "--batch", stdin=stdin)
    found: list[tuple[bytes, list[Finding]]] = []
    pos = scanned = total = 0
    for sha, raw_path, _ in chunk:
        end = out.index(b"\n", pos)
        header = out[pos:end].split(b" ")
        if len(header) < 3 or header[1] == b"missing":
            pos = end + 1
            continue
        size = int(header[2])
        data = out[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1
        scanned += 1
        total += size
        try:
            findings, _ = scan_bytes(os.fsdecode(raw_path), data, settings)
        except RecursionError:
            continue
        findings = [f for f in findings if f.secret_hash]
        if findings:
            found.append((sha, findings))
    return found, scanned, total


def scan_blobs(cwd: str, order: list[tuple[bytes, bytes, int]], settings: ScanSettings, jobs: int) -> BlobScan:
    result = BlobScan()
    total = sum(size for _, _, size in order)
    if not settings.engine:
        from mi_migrate.scan import candidates

        settings = replace(settings, engine=candidates.choose(total))

    def consume(part: tuple[list[tuple[bytes, list[Finding]]], int, int]) -> None:
        found, scanned, size = part
        result.files += scanned
        result.bytes += size
        for sha, findings in found:
            result.findings[sha] = findings

    if jobs <= 1 or total < PARALLEL_THRESHOLD_BYTES:
        for chunk in _chunks(order, CHUNK_BYTES):
            consume(scan_chunk(cwd, chunk, settings))
        return result
    limit = max(1 << 20, min(CHUNK_BYTES, total // (jobs * 4) + 1))
    chunks = list(_chunks(order, limit))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for part in pool.map(scan_chunk, [cwd] * len(chunks), chunks, [settings] * len(chunks)):
            consume(part)
    return result


@dataclass
class _Change:
    old: bytes
    new: bytes
    path: str


def introductions(cwd: str, revs: Sequence[str], specs: Sequence[str],
                  shas: Sequence[bytes]) -> Iterator[tuple[Commit, list[_Change]]]:
    """Commits (newest first, first-parent diffs for merges) where one of `shas` appears or disappears, with
    the file changes that involve them."""
    batches = [list(shas[i : i + FIND_OBJECTS_PER_LOG]) for i in range(0, len(shas), FIND_OBJECTS_PER_LOG)]
    events: list[tuple[Commit, list[_Change]]] = []
    for batch in batches:
        args = ["log", *revs, "--date-order", "--no-renames", "--diff-merges=first-parent", "--raw", "-z",
                "--no-abbrev", f"--format={LOG_FORMAT}", *(f"--find-object={sha.decode()}" for sha in batch),
                "--", *specs]
        events.extend(_parse_raw_log(_git_bytes(cwd, *args)))
    if len(batches) > 1:  # one order for all batches: the commits' position in a single date-order walk
        position = {sha: i for i, sha in enumerate(
            _git_bytes(cwd, "rev-list", "--date-order", *revs, "--", *specs).decode().split())}
        merged: dict[str, tuple[Commit, list[_Change]]] = {}
        for commit, changes in events:
            merged.setdefault(commit.sha, (commit, []))[1].extend(changes)
        events = sorted(merged.values(), key=lambda event: position.get(event[0].sha, 1 << 60))
    yield from events


def _parse_raw_log(out: bytes) -> Iterator[tuple[Commit, list[_Change]]]:
    tokens = out.split(b"\0")
    commit: Commit | None = None
    changes: list[_Change] = []
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip(b"\n")
        if token == MARKER:
            if commit is not None:
                yield commit, changes
            sha, date, email = [*tokens[i + 1 : i + 4], b"", b"", b""][:3]
            commit = Commit(sha.decode("ascii", "replace"), date.decode("ascii", "replace"),
                            email.decode("utf-8", "replace"))
            changes = []
            i += 4
            continue
        if token.startswith(b":") and i + 1 < len(tokens):
            meta = token[1:].split(b" ")
            if len(meta) >= 5:
                changes.append(_Change(meta[2], meta[3], os.fsdecode(tokens[i + 1])))
            i += 2
            continue
        i += 1
    if commit is not None:
        yield commit, changes


def head_blobs(cwd: str) -> set[bytes]:
    try:
        out = _git_bytes(cwd, "ls-tree", "-r", "-z", "--full-tree", "HEAD")
    except ValueError:  # no HEAD (an unborn branch, a mirror without one)
        return set()
    blobs = set()
    for record in out.split(b"\0"):
        meta = record.partition(b"\t")[0].split(b" ")
        if len(meta) == 3 and meta[1] == b"blob":
            blobs.add(meta[2])
    return blobs


def run(cwd: str, revs: Sequence[str], specs: Sequence[str], settings: ScanSettings, cfg: config_mod.Config,
        jobs: int, found: Callable[[Commit, Finding], None]) -> tuple[BlobScan, set[str]]:
    """Scan every reachable blob once, hand each secret's additions to `found` (newest first) and return the scan
    and the secret hashes HEAD still holds."""
    named, missing = reachable_blobs(cwd, revs, specs)
    exclude = cfg.exclude_spec()
    named = {sha: path for sha, path in named.items() if not exclude.match_file(os.fsdecode(path))}
    order, big = blob_order(cwd, named, settings.max_file_size)
    del named
    scan = scan_blobs(cwd, order, settings, jobs)
    if missing:
        scan.notes.append(Note(".", f"{missing} objects missing (partial clone or incomplete snapshot): "
                                    "not scanned"))
    seen_big: set[bytes] = set()
    for path, size in big:
        if path not in seen_big and len(seen_big) < MAX_NOTES:
            seen_big.add(path)
            scan.notes.append(Note(os.fsdecode(path), f"skipped in history: a {size}-byte version is over the "
                                                      f"{settings.max_file_size}-byte cap"))
    if not scan.findings:
        return scan, set()
    keys = {sha: {(f.rule_id, f.secret_hash) for f in findings} for sha, findings in scan.findings.items()}
    for commit, changes in introductions(cwd, revs, specs, sorted(scan.findings)):
        replaced: set[tuple[str, str | None]] = set()
        for change in changes:
            replaced |= keys.get(change.old, set())
        for change in changes:
            for finding in scan.findings.get(change.new, ()):
                if (finding.rule_id, finding.secret_hash) in replaced or exclude.match_file(change.path):
                    continue
                for kept in config_mod.apply(cfg, [replace(finding, path=change.path)]):
                    found(commit, kept)
    at_head = head_blobs(cwd)
    present = {f.secret_hash for sha, findings in scan.findings.items() if sha in at_head
               for f in findings if f.secret_hash}
    return scan, present
