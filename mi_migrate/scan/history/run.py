"""`mi-migrate scan --history` and `--staged`: secrets in the lines each commit added, or in what is staged.

A key deleted from the working tree is still in every clone, so it must be rotated although HEAD looks clean.
One `git log -p` process streams every commit's patch (all refs unless --since/--range); the parser holds one
file's hunks at a time and the scan keeps one entry per distinct secret, so memory does not grow with the
number of commits. Each file's added lines (with one context line each side, for suppression comments on the
unchanged line above) are scanned with the working tree's text rules, detect-secrets' plugins, inline
suppressions and config (per-file-ignores, severity, exclude). Python-aware rules (AZ2xx) need whole files and
stay working-tree only; findings without a secret (code patterns) are not reported from history.

Each secret (rule + secret hash) is reported once, at its oldest appearance; `origin` says where, whether HEAD
still holds it (HEAD's blobs at the paths history saw it at, renames followed, scanned via `git cat-file
--batch`) and where else it occurs (`also_in`, at most 20). Merge commits are diffed against their first parent.

Baseline decision: a history finding is accepted when the baseline holds its fingerprint (rule, path at that
commit, secret hash) *or* any entry with the same rule and secret hash. A path is where a key sat in one
commit; a baseline written at HEAD, or by `mi-migrate baseline --history`, accepts the key wherever history
has it, so an accepted key never reappears per commit or per rename. The scanner does not read baselines: the
caller passes that decision in as `accept` (mi_migrate.api).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mi_migrate.core import config as config_mod
from mi_migrate.core.finding import Finding, Note
from mi_migrate.scan.files import scan_bytes
from mi_migrate.scan.history import gitdiff
from mi_migrate.scan.history.gitdiff import Commit
from mi_migrate.scan.history.stream import StreamScan
from mi_migrate.scan.model import DEFAULT_MAX_FILE_SIZE, ScanOptions, ScanResult, ScanSettings, usable_cpus

# the baseline decision, made by the caller: the findings (and the configuration) in, the ones to report out
Accept = Callable[[list[Finding], config_mod.Config], list[Finding]]

PRESENT = "present at HEAD"
REMOVED = "removed — still in history, rotate it"
ALSO_IN_CAP = 20


@dataclass
class _Secret:
    """One distinct secret: its oldest occurrence so far (git log is newest-first) and where else it was seen."""

    finding: Finding
    commit: Commit
    also_in: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=ALSO_IN_CAP))
    occurrences: int = 1
    paths: set[str] = field(default_factory=set)


class Collector:
    """Dedupes findings by (rule, secret hash) across commits; memory grows with distinct secrets only."""

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], _Secret] = {}
        self.renames: set[tuple[str, str]] = set()

    def add(self, commit: Commit, finding: Finding) -> None:
        key = (finding.rule_id, finding.secret_hash or "")
        seen = self.secrets.get(key)
        if seen is None:
            self.secrets[key] = _Secret(finding, commit, paths={finding.path})
            return
        seen.paths.add(finding.path)
        if (seen.commit.sha, seen.finding.path) == (commit.sha, finding.path):
            if finding.span.line < seen.finding.span.line:
                seen.finding = finding
            return
        seen.occurrences += 1
        if seen.commit.sha == commit.sha:  # same commit, another file: no order between them
            if (commit.sha, finding.path) not in seen.also_in:
                seen.also_in.append((commit.sha, finding.path))
            return
        seen.also_in.append((seen.commit.sha, seen.finding.path))  # the stream goes back in time: older wins
        seen.finding, seen.commit = finding, commit

    def findings(self, at_head: set[str], show_authors: bool) -> list[Finding]:
        out = []
        for seen in self.secrets.values():
            present = (seen.finding.secret_hash or "") in at_head
            origin: dict[str, Any] = {
                "commit": seen.commit.sha,
                "date": seen.commit.date,
                "path": seen.finding.path,
                "line": seen.finding.span.line,
                "present_at_head": present,
                "status": PRESENT if present else REMOVED,
                "also_in": [{"commit": c, "path": p} for c, p in reversed(seen.also_in)],
                "occurrences": seen.occurrences,
            }
            if show_authors:
                origin["author"] = seen.commit.author
            out.append(replace(seen.finding, origin=origin))
        return sorted(out, key=lambda f: (f.path, f.span.line, f.span.column, f.rule_id))


def run_history(options: ScanOptions, accept: Accept | None = None) -> ScanResult:
    """Scan history (or the index, with options.staged) and apply config, then `accept` (the baseline) as run_scan
    does."""
    paths = [Path(p) for p in options.paths]
    cfg = config_mod.load(options.config, paths)
    top = toplevel(paths[0] if paths else Path("."), bare=not options.staged)
    settings = ScanSettings(
        select=tuple(options.select or cfg.select),
        ignore=tuple(options.ignore) + tuple(cfg.ignore),
        max_file_size=options.max_file_size or cfg.max_file_size or DEFAULT_MAX_FILE_SIZE,
        third_party=options.third_party and cfg.third_party,
        python=False,
        iac=False,  # AZ40x findings name no secret: history keeps only findings with one
    )
    result = ScanResult(root=Path(top), config=cfg)
    specs = pathspecs(top, options.paths)
    if options.staged:
        args = ["diff", "--cached", *gitdiff.DIFF_OPTIONS, "--", *specs]
    else:
        if not gitdiff.git(top, "for-each-ref", "--count=1", "--format=%(refname)", check=False).strip() \
                and not gitdiff.git(top, "rev-parse", "--verify", "-q", "HEAD", check=False):
            result.notes.append(Note(".", "repository has no commits: no history to scan"))
            return result
        args = ["log", *revisions(top, options), "--date-order", "--root", "--diff-merges=first-parent",
                f"--format={gitdiff.LOG_FORMAT}", *gitdiff.DIFF_OPTIONS, "--", *specs]
        result.notes.extend(shallow_notes(top))
    collector, plain = Collector(), []

    def found(commit: Commit | None, finding: Finding) -> None:
        if commit is None:
            plain.append(finding)
        else:
            collector.add(commit, finding)

    jobs = options.jobs or usable_cpus()
    by_blob = os.environ.get("MI_MIGRATE_HISTORY", "blob").strip().lower() != "patch"
    if by_blob and not options.staged and not options.since and not options.rev_range:
        # the whole history: each distinct blob once, then the commits that added what was found
        from mi_migrate.scan.history import blobs as history_blobs

        blobs, at_head = history_blobs.run(top, ["--all"], specs, settings, cfg, jobs, collector.add)
        result.notes.extend(blobs.notes)
        result.files_scanned, result.bytes_scanned = blobs.files, blobs.bytes
        commits = int(gitdiff.git(top, "rev-list", "--count", "--all", "--", *specs, check=False).strip() or 0)
        return _finish(result, cfg, collector.findings(at_head, options.show_authors), commits, accept)
    streamed = StreamScan(settings, cfg, found, collector.renames.add, jobs=jobs)
    stream = gitdiff.GitStream(top, args)
    try:
        streamed.run(stream.lines())
    except BaseException:
        stream.kill()
        raise
    stream.close()
    result.notes.extend(streamed.notes.values())
    result.files_scanned, result.bytes_scanned, commits = streamed.files, streamed.bytes, streamed.commits
    if options.staged:
        findings = sorted(plain, key=lambda f: (f.path, f.span.line, f.span.column, f.rule_id))
    else:
        findings = collector.findings(head_hashes(top, collector, settings), options.show_authors)
    return _finish(result, cfg, findings, None if options.staged else commits, accept)


def _finish(result: ScanResult, cfg: config_mod.Config, findings: list[Finding], commits: int | None,
            accept: Accept | None) -> ScanResult:
    """The history note, then the baseline (`accept`)."""
    if commits is not None:
        result.notes.append(Note(".", f"history: {commits} commits scanned; {len(findings)} distinct secrets"))
    result.findings = accept(findings, cfg) if accept is not None else findings
    return result


def toplevel(path: Path, bare: bool = False) -> str:
    """The work tree root of the repository holding `path` (with `bare`, a bare or mirror clone's git directory
    will do); ValueError outside git."""
    start = path.absolute()
    directory = start if start.is_dir() else start.parent
    if not directory.is_dir():
        raise ValueError(f"{path}: no such directory")
    out = gitdiff.git(str(directory), "rev-parse", "--show-toplevel", check=False).strip()
    if not out and bare and gitdiff.git(str(directory), "rev-parse", "--is-bare-repository",
                                        check=False).strip() == b"true":
        out = gitdiff.git(str(directory), "rev-parse", "--absolute-git-dir", check=False).strip()
    if not out:
        raise ValueError(f"{path}: not inside a git work tree (--history and --staged need one)")
    return os.fsdecode(out)


def pathspecs(top: str, given: tuple[str, ...]) -> list[str]:
    """PATH arguments as literal pathspecs relative to the top; none when the whole repository is meant."""
    specs = []
    real_top = os.path.realpath(top)
    for raw in given:
        rel = os.path.relpath(os.path.realpath(os.path.abspath(raw)), real_top)
        if rel == os.curdir:
            return []
        if rel == os.pardir or rel.startswith(os.pardir + os.sep):
            raise ValueError(f"{raw}: outside the repository at {top}")
        specs.append(Path(rel).as_posix())
    return specs


def revisions(top: str, options: ScanOptions) -> list[str]:
    """`--all`, `--all ^SINCE` or the given A..B range, checked before git log runs."""
    if options.rev_range:
        if options.rev_range.startswith("-") or ".." not in options.rev_range:
            raise ValueError(f"--range {options.rev_range!r}: expected A..B")
        for end in options.rev_range.replace("...", "..").split(".."):
            _verify(top, end, "--range")
        return [options.rev_range]
    if options.since:
        _verify(top, options.since, "--since")
        return ["--all", f"^{options.since}"]
    return ["--all"]


def _verify(top: str, rev: str, flag: str) -> None:
    if rev and (rev.startswith("-") or not gitdiff.git(top, "rev-parse", "--verify", "-q", f"{rev}^{{commit}}",
                                                        check=False)):
        raise ValueError(f"{flag}: {rev!r} is not a commit in {top}")


def shallow_notes(top: str) -> list[Note]:
    """A shallow clone lacks the commits before its boundary: say so, with the boundary's date."""
    if gitdiff.git(top, "rev-parse", "--is-shallow-repository", check=False).strip() != b"true":
        return []
    shallow = gitdiff.git(top, "rev-parse", "--git-path", "shallow", check=False).strip()
    try:
        shas = Path(top, os.fsdecode(shallow)).read_text(encoding="ascii").split()
    except OSError:
        shas = []
    dates = gitdiff.git(top, "show", "-s", "--format=%cI", *shas, check=False).decode().split() if shas else []
    when = min(dates) if dates else "its oldest commit"
    return [Note(".", f"shallow clone: history before {when} not scanned")]


def head_hashes(top: str, collector: Collector, settings: ScanSettings) -> set[str]:
    """Secret hashes in HEAD's blobs at the paths history found secrets at (renames followed)."""
    wanted = {path for seen in collector.secrets.values() for path in seen.paths}
    if not wanted:
        return set()
    renamed: dict[str, set[str]] = {}
    for old, new in collector.renames:
        renamed.setdefault(old, set()).add(new)
    todo = list(wanted)
    while todo:
        for new in renamed.get(todo.pop(), ()):
            if new not in wanted:
                wanted.add(new)
                todo.append(new)
    listing = gitdiff.git(top, "ls-tree", "-r", "-z", "-l", "--full-tree", "HEAD", check=False)
    blobs: list[tuple[str, str]] = []
    for record in listing.split(b"\0"):
        meta, _, raw_path = record.partition(b"\t")
        fields = meta.split()
        path = os.fsdecode(raw_path)
        if len(fields) == 4 and fields[1] == b"blob" and path in wanted and fields[3].isdigit() \
                and int(fields[3]) <= settings.max_file_size:
            blobs.append((fields[2].decode(), path))
    if not blobs:
        return set()
    out = gitdiff.git(top, "cat-file", "--batch", stdin="".join(f"{sha}\n" for sha, _ in blobs).encode())
    hashes: set[str] = set()
    pos = 0
    for _, path in blobs:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        data = out[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
        found, _ = scan_bytes(path, data, settings)
        hashes.update(f.secret_hash for f in found if f.secret_hash)
    return hashes
