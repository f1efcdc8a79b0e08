"""Streaming parser for `git log -p` / `git diff -p` output: one FileDiff per changed file, never the whole log.

Why a hand parser: the history scan reads tens of megabytes of patches from one git process and must hold only
the file being parsed. Hunk line counts from the `@@` header decide where a hunk ends, so an added line that
happens to read `+++ x` or `diff --git` is content, not a header. Paths come from the `+++ b/…` line (git's C
quoting undone, bytes decoded with surrogateescape so non-UTF-8 names survive); gitlinks (submodules, mode
160000) and binary files have no text hunks to scan and are skipped.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mi_migrate.core import gitsafe

MARKER = b"\x01mi-migrate-commit\x00"
# commit, author date (strict ISO), author email; the message is never printed, so its encoding cannot matter
LOG_FORMAT = "%x01mi-migrate-commit%x00%H%x00%aI%x00%ae"
HUNK = re.compile(rb"^@@+ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
C_ESCAPES = {ord("a"): 7, ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("v"): 11, ord("f"): 12, ord("r"): 13,
             ord('"'): 34, ord("\\"): 92}
GITLINK_HEADERS = (b"index ", b"new file mode ", b"deleted file mode ", b"new mode ", b"old mode ")
# Options that make `git log`/`git diff` print what this parser expects whatever the user's git config says.
DIFF_OPTIONS = (
    "-p", "--no-color", "--no-ext-diff", "--no-textconv", "--unified=1", "-M", "--no-relative",
    "--src-prefix=a/", "--dst-prefix=b/", "--submodule=short",
)
GIT_CONFIG = ("--literal-pathspecs", "-c", "core.quotepath=off", "-c", "diff.suppressBlankEmpty=false",
              "-c", "log.showSignature=false")


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    date: str
    author: str


@dataclass(slots=True)
class FileDiff:
    """The new-side lines of one file's hunks in one commit: (line number, content, added?) in order.

    Context lines (one each side, from --unified=1) are kept so that a suppression comment on the unchanged
    line above an added secret still applies; only findings on added lines are reported.
    """

    commit: Commit | None
    path: str
    lines: list[tuple[int, bytes, bool]] = field(default_factory=list)
    size: int = 0
    too_big: bool = False


def unquote(raw: bytes) -> bytes:
    """Undo git's C-style quoting of a path ("a\\tb", octal bytes); unquoted names pass through."""
    if not (raw.startswith(b'"') and raw.endswith(b'"') and len(raw) >= 2):
        return raw
    body, out, i = raw[1:-1], bytearray(), 0
    while i < len(body):
        char = body[i]
        if char != 92 or i + 1 >= len(body):
            out.append(char)
            i += 1
            continue
        nxt = body[i + 1]
        digits = body[i + 1 : i + 4]
        if len(digits) == 3 and all(48 <= c <= 55 for c in digits):
            out.append(int(digits, 8) & 0xFF)
            i += 4
        else:
            out.append(C_ESCAPES.get(nxt, nxt))
            i += 2
    return bytes(out)


def new_path(rest: bytes) -> str | None:
    """The path of a `+++ ` line (without the prefix); None for /dev/null (a deleted file)."""
    rest = rest.rstrip(b"\r")
    if rest.endswith(b"\t"):  # git adds a tab after names containing spaces, for GNU patch
        rest = rest[:-1]
    name = unquote(rest)
    if name == b"/dev/null":
        return None
    if name.startswith(b"b/"):
        name = name[2:]
    return os.fsdecode(name)


def parse(stream: Iterable[bytes], max_bytes: int) -> Iterator[FileDiff | Commit | tuple[str, str]]:
    """FileDiffs in stream order, each Commit as it starts, and (from, to) for every rename seen; `stream`
    yields lines without their newline (GitStream.lines).

    A file whose added and context text exceeds `max_bytes` is yielded empty with too_big set (the caller notes
    it), so a single huge blob cannot make memory grow.
    """
    commit: Commit | None = None
    current: FileDiff | None = None
    skip = False
    old_left = new_left = 0
    number = 0
    rename_from: str | None = None
    for line in stream:
        if old_left > 0 or new_left > 0:
            head = line[:1]
            if head == b"+" or head == b" " or not line or line == b"\r":
                added = head == b"+"
                if current is not None and not skip and not current.too_big:
                    body = line[1:] if head == b"+" or head == b" " else b""
                    current.size += len(body) + 1
                    if current.size > max_bytes:
                        current.too_big, current.lines = True, []
                    else:
                        current.lines.append((number, body, added))
                number += 1
                new_left -= 1
                if not added:
                    old_left -= 1
                continue
            if head == b"-":
                old_left -= 1
                continue
            if head == b"\\":
                continue
            old_left = new_left = 0  # malformed: treat as a header line
        if line.startswith(b"@@"):
            match = HUNK.match(line)
            if match:
                old_left = int(match.group(1) or b"1")
                number, new_left = int(match.group(2)), int(match.group(3) or b"1")
            continue
        if line.startswith(MARKER):
            if current is not None and not skip:
                yield current
            current, skip = None, False
            parts = line[len(MARKER) :].split(b"\0")
            parts += [b""] * (3 - len(parts))
            commit = Commit(parts[0].decode("ascii", "replace"), parts[1].decode("ascii", "replace"),
                            parts[2].decode("utf-8", "replace"))
            yield commit
            continue
        if line.startswith(b"diff --git ") or line.startswith(b"diff --cc ") or line.startswith(b"diff --combined "):
            if current is not None and not skip:
                yield current
            current, skip, rename_from = None, line.startswith(b"diff --c"), None
            continue
        if line.startswith(b"+++ "):
            path = new_path(line[4:])
            if path is None:
                skip = True
            elif current is None:
                current = FileDiff(commit, path)
            continue
        if line.startswith(GITLINK_HEADERS) and b"160000" in line:
            skip = True
        elif line.startswith(b"rename from "):
            rename_from = os.fsdecode(unquote(line[12:]))
        elif line.startswith(b"rename to ") and rename_from is not None:
            yield (rename_from, os.fsdecode(unquote(line[10:])))
    if current is not None and not skip:
        yield current


def split_lines(handle: io.BufferedIOBase | Any) -> Iterator[bytes]:
    """Lines of a binary stream without their newline (a final line without one is kept)."""
    rest = b""
    while True:
        chunk = handle.read(1 << 20)
        if not chunk:
            break
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        yield from lines
    if rest:
        yield rest


class GitStream:
    """One git subprocess whose stdout is read line by line; stderr goes to a temporary file (no deadlock)."""

    def __init__(self, cwd: str, args: list[str]) -> None:
        self.args = args
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(gitsafe.command(*GIT_CONFIG, *args, cwd=cwd), cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=self._stderr, stdin=subprocess.DEVNULL, env=gitsafe.environment(),
                                     bufsize=1 << 20)

    def lines(self) -> Iterator[bytes]:
        """stdout split on newlines, read a megabyte at a time: far cheaper than readline per line."""
        return split_lines(self.proc.stdout)  # type: ignore[arg-type]

    def close(self) -> None:
        """Wait for git; a failure becomes a ValueError with git's first error line (the CLI's exit 2)."""
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        code = self.proc.wait()
        self._stderr.seek(0)
        err = self._stderr.read().decode("utf-8", "replace").strip()
        self._stderr.close()
        if code not in (0, -13):  # -13: SIGPIPE after we stopped reading early
            first = err.splitlines()[0] if err else f"exit code {code}"
            raise ValueError(f"git {self.args[0]} failed: {first}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._stderr.close()


def git(cwd: str, *args: str, check: bool = True, stdin: bytes | None = None) -> bytes:
    """Run a short git command; with `check`, a failure is a ValueError carrying git's message."""
    try:
        proc = subprocess.run(gitsafe.command(*GIT_CONFIG, *args, cwd=cwd), cwd=cwd, capture_output=True,
                              input=stdin, check=False, timeout=600, env=gitsafe.environment())
    except (OSError, subprocess.SubprocessError) as exc:
        raise ValueError(f"cannot run git: {exc}") from None
    if check and proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise ValueError(f"git {args[0]} failed: {err.splitlines()[0] if err else proc.returncode}")
    return proc.stdout if proc.returncode == 0 else b""


# -- pull-request mode: which lines a branch added or changed since it left its base --------------------------


@dataclass(frozen=True)
class ChangedLines:
    """New-side line numbers per repository-relative path; a path mapped to None is new as a whole (untracked)."""

    top: str
    lines: dict[str, set[int] | None]
    compared_with: str  # the commit the working tree was compared with
    merge_base: bool  # False when no merge base was found (shallow clone) and REV itself was used

    def touches(self, path: str, first: int, last: int) -> bool:
        if path not in self.lines:
            return False
        changed = self.lines[path]
        return changed is None or any(n in changed for n in range(first, max(first, last) + 1))


def changed_lines(top: str, rev: str) -> ChangedLines:
    """Lines added or changed in the working tree since the merge base of `rev` and HEAD.

    Why a fallback: a shallow CI clone (depth 1 plus the fetched base) has no common ancestor; GitHub checks out
    the pull request's merge commit, whose diff against the base tip is exactly the pull request, so REV itself is
    used and the caller says so. Untracked files that are not ignored count as added in full.
    """
    if not rev or rev.startswith("-"):
        raise ValueError(f"--diff-base {rev!r}: expected a branch, tag or commit")
    base = git(top, "rev-parse", "--verify", "-q", "--end-of-options", f"{rev}^{{commit}}", check=False).strip()
    if not base:
        raise ValueError(f"--diff-base {rev}: no such commit in this clone (in a shallow CI clone fetch the base "
                         f"first, e.g. git fetch --depth=1 origin <branch>)")
    merge_base = b""
    if git(top, "rev-parse", "--verify", "-q", "HEAD", check=False).strip():
        merge_base = git(top, "merge-base", base.decode(), "HEAD", check=False).strip()
    against = (merge_base or base).decode("ascii")
    stream = GitStream(top, ["diff", "--no-color", "--no-ext-diff", "--no-textconv", "--unified=0", "-M",
                             "--no-relative", "--src-prefix=a/", "--dst-prefix=b/", "--submodule=short",
                             "--ignore-submodules=all", against, "--"])
    try:
        lines: dict[str, set[int] | None] = dict(added_lines(stream.lines()))
    except BaseException:
        stream.kill()
        raise
    stream.close()
    untracked = git(top, "ls-files", "-z", "--others", "--exclude-standard", "--full-name", check=False)
    for raw in untracked.split(b"\0"):
        if raw:
            lines[os.fsdecode(raw)] = None
    return ChangedLines(top, lines, against, bool(merge_base))


def added_lines(stream: Iterable[bytes]) -> Iterator[tuple[str, set[int]]]:
    """(path, new-side line numbers) from `git diff --unified=0` output; hunk counts skip bodies, so a body line
    reading `+++ x` or `@@` is content, not a header."""
    path: str | None = None
    numbers: set[int] = set()
    left = 0
    for line in stream:
        if left > 0:
            if line[:1] in (b"+", b"-", b" "):
                left -= 1
                continue
            if line[:1] == b"\\":
                continue
            left = 0
        if line.startswith(b"diff --git "):
            if path is not None and numbers:
                yield path, numbers
            path, numbers = None, set()
        elif line.startswith(b"+++ "):
            path = new_path(line[4:])
        elif line.startswith(b"@@"):
            match = HUNK.match(line)
            if not match:
                continue
            old_count = int(match.group(1) or b"1")
            start, count = int(match.group(2)), int(match.group(3) or b"1")
            numbers.update(range(start, start + count))
            left = old_count + count
    if path is not None and numbers:
        yield path, numbers


def keep_changed(findings: list[Any], root: str, rev: str) -> tuple[list[Any], str]:
    """The findings (paths relative to `root`) on lines changed since `rev`, and a one-line note saying what was
    compared. Findings outside the repository are dropped: no diff can have touched them."""
    top = git(root, "rev-parse", "--show-toplevel", check=False).strip()
    if not top:
        raise ValueError(f"--diff-base needs a git work tree; {root} is not inside one")
    changes = changed_lines(os.fsdecode(top), rev)
    real_top, real_root = os.path.realpath(changes.top), os.path.realpath(root)
    kept = []
    for finding in findings:
        absolute = os.path.normpath(os.path.join(real_root, finding.path))
        rel = os.path.relpath(absolute, real_top).replace(os.sep, "/")
        if not rel.startswith("../") and changes.touches(rel, finding.span.line, finding.span.end_line):
            kept.append(finding)
    how = "its merge base" if changes.merge_base else "it directly (no merge base in this clone)"
    note = (f"--diff-base {rev}: {len(kept)} of {len(findings)} findings on lines changed since "
            f"{how}, {changes.compared_with[:12]}")
    return kept, note
