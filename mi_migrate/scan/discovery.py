"""Which files to scan: what git would commit, minus the configured excludes, plus every file named.

Inside a work tree git is the authority (`ls-files --cached --others --exclude-standard`: tracked files and
untracked files that are not ignored), queried once per repository root. Outside git the walk applies
.gitignore files itself, nested ones included, as git would: with the Rust `ignore` crate (ripgrep's walker,
package `ignore-python`) when it is installed, else with os.scandir and pathspec (MI_MIGRATE_WALKER=python forces
that one; both find the same files). Hidden files are scanned; .git, .hg and .svn never are. A file named on the
command line is always scanned, because pre-commit passes exactly the files it wants checked. Problems (symlink
loops, unreadable directories, broken links) become notes; discovery never raises for the state of the file
system.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mi_migrate.core import gitsafe
from mi_migrate.core.config import Config, Excludes, gitignore_spec
from mi_migrate.core.finding import Note

if TYPE_CHECKING:
    import pathspec

try:
    import ignore as native
    from ignore.overrides import OverrideBuilder
except ImportError:  # no wheel for this platform: the pathspec walk does the same job, slower
    native = None

VCS_DIRS = frozenset({".git", ".hg", ".svn"})
# An `exclude` entry naming a directory at any depth (`node_modules/`): the native walker prunes it itself.
_BASENAME_DIR = re.compile(r"[A-Za-z0-9._*?@+~-]+/")
# ignore::Error for a directory it cannot read: "<path>: IO error for operation on <path>: <reason> (os error N)"
_IO_ERROR = re.compile(r"(?P<path>.+?): IO error for operation on .+?: (?P<reason>.+?)(?: \(os error \d+\))?", re.S)


@dataclass
class _Walk:
    """State shared by one collect() call: results, notes and what has been visited."""

    cfg: Config
    root: str
    exclude: Excludes
    # (absolute, display path, explicit, real path when already known: a regular file git listed, whether the
    # walk already kept it out of `exclude`)
    files: list[tuple[str, str, bool, str | None, bool]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    repos_done: set[str] = field(default_factory=set)
    dirs_done: set[tuple[int, int]] = field(default_factory=set)
    links: list[tuple[str, list[tuple[str, pathspec.GitIgnoreSpec]]]] = field(default_factory=list)
    arg: tuple[str, str] = ("", "")  # the command-line argument being collected: (absolute, as given)
    # collect()'s `early`: where the files git lists go as soon as they are known, EARLY_BATCH at a time
    early: Callable[[list[tuple[str, str]]], None] | None = None
    early_batch: list[tuple[str, str]] = field(default_factory=list)
    early_reals: set[str] = field(default_factory=set)

    def send_early(self) -> None:
        if self.early is not None and self.early_batch:
            self.early(self.early_batch)
            self.early_batch = []

    def rel(self, path: str) -> str:
        """Path relative to the project root, POSIX; outside the root, the path as the user spelt it."""
        inside = _inside(path, self.root)
        if inside is not None:
            return inside
        inside = _inside(os.path.realpath(path), os.path.realpath(self.root))  # realpath only when needed
        if inside is not None:
            return inside
        arg_abs, arg_given = self.arg
        inside = _inside(path, arg_abs) if arg_abs else None
        if inside is not None:
            return Path(arg_given).as_posix() if inside == "." else f"{Path(arg_given).as_posix()}/{inside}"
        return Path(path).as_posix()

    def add(self, path: str, explicit: bool = False, real: str | None = None) -> None:
        self.files.append((path, self.rel(path), explicit, real, False))

    def add_below(self, path: str, directory: str, shown: str, real: str, kept: bool) -> None:
        """`add` for a regular file reached from `directory` (shown as `shown`, its `rel`) through no link;
        `kept`: the walk applied every `exclude` pattern already."""
        tail = path[len(directory) + 1 :].replace(os.sep, "/")
        self.files.append((path, tail if shown == "." else f"{shown}/{tail}", False, real, kept))

    def excluded(self, path: str, is_dir: bool = False) -> bool:
        rel = self.rel(path)
        return self.exclude.match_file(rel + "/" if is_dir else rel)

    def note(self, path: str, message: str) -> None:
        self.notes.append(Note(self.rel(path), message))


def _inside(path: str, base: str) -> str | None:
    """`path` relative to `base` as POSIX, or None when it lies outside."""
    try:
        rel = os.path.relpath(path, base)
    except ValueError:  # another drive on Windows
        return None
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return None
    return rel if os.sep == "/" else rel.replace(os.sep, "/")  # relpath is normalised already


# Files git lists are handed to collect()'s `early` in batches of this many (a worker's chunk).
EARLY_BATCH = 256


def collect(paths: list[Path], cfg: Config, early: Callable[[list[tuple[str, str]]], None] | None = None,
            ) -> tuple[list[tuple[str, str]], list[Note]]:
    """(absolute path, root-relative POSIX path) for each file to scan, sorted, and notes on skipped ones. The
    paths are strings: a Path per file cost a tenth of a second on a 25k-file tree before any scanning starts.

    `early`, given one directory: the regular files git lists there are passed to it in batches as they are
    known (the scan starts on them while the rest is listed) and left out of the list returned. Each is final:
    git lists a file once, by its real path, and only a file named on the command line would outrank it."""
    walk = _Walk(cfg=cfg, root=os.path.abspath(cfg.root), exclude=cfg.exclude_spec())
    if early is not None and len(paths or [Path(".")]) == 1:
        walk.early = early
    for given in paths or [Path(".")]:
        path = os.path.abspath(given)
        walk.arg = (path, os.fspath(given))
        if os.path.isdir(path):
            _collect_dir(walk, path)
            while walk.links:  # directory symlinks last, so real paths win when both lead to the same files
                link, specs = walk.links.pop(0)
                _walk_plain(walk, link, specs)
        elif os.path.isfile(path):
            walk.add(path, explicit=True)
        elif os.path.islink(path):
            walk.note(path, "skipped: broken symbolic link")
        elif os.path.lexists(path):
            walk.note(path, "skipped: not a regular file")
        else:
            walk.note(path, "skipped: no such file or directory")
    walk.send_early()
    return _finish(walk), walk.notes


def _finish(walk: _Walk) -> list[tuple[str, str]]:
    """Drop excluded discovered files; scan each real file once, by its explicit, else its non-link, path."""
    best: dict[str, tuple[tuple[bool, bool], str, str]] = {}
    for path, display, explicit, known, kept in walk.files:
        if not (explicit or kept) and walk.exclude.match_file(display):
            continue
        real = known or os.path.realpath(path)  # realpath costs a syscall per path component
        if real in walk.early_reals:
            continue  # sent early as the file git lists, which a link to it never outranks
        rank = (explicit, known is not None or not os.path.islink(path))
        current = best.get(real)
        if current is None or rank > current[0]:
            best[real] = (rank, path, display)
    return sorted(((path, display) for _, path, display in best.values()), key=lambda item: item[1])


def _collect_dir(walk: _Walk, directory: str) -> None:
    top = _git_toplevel(directory)
    if top is None:
        _walk_dir(walk, directory)
    else:
        _collect_git(walk, top, directory)


def native_walker() -> bool:
    """Whether directories outside git are walked by the `ignore` crate (installed, not MI_MIGRATE_WALKER=python)."""
    return native is not None and os.environ.get("MI_MIGRATE_WALKER", "").strip().lower() != "python"


def _walk_dir(walk: _Walk, directory: str) -> None:
    if native_walker():
        _walk_native(walk, directory)
    else:
        _walk_plain(walk, directory, [])


def _git_toplevel(directory: str) -> str | None:
    out = _git(directory, "rev-parse", "--show-toplevel")
    if out is None or not out.strip():
        return None
    return os.fsdecode(out.strip())


def _git(cwd: str, *args: str) -> bytes | None:
    """Run git; None when git is missing or fails (then discovery falls back to its own walk)."""
    try:
        proc = subprocess.run(
            gitsafe.command("--literal-pathspecs", "-c", "core.quotepath=off", *args, cwd=cwd),
            cwd=cwd, capture_output=True, check=False, timeout=300, env=gitsafe.environment(),
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def _collect_git(walk: _Walk, top: str, directory: str) -> None:
    """Files git would commit under `directory`, via one `ls-files` per repository root."""
    key = f"{top}\0{directory}"
    if key in walk.repos_done:
        return
    walk.repos_done.add(key)
    spec = os.path.relpath(os.path.realpath(directory), os.path.realpath(top))
    args = ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    if spec != os.curdir:
        args += ["--", spec]
    out = _git(top, *args)
    if out is None:
        walk.note(directory, "git ls-files failed; walking the directory and applying .gitignore instead")
        _walk_dir(walk, directory)
        return
    seen: set[str] = set()
    real_top = os.path.realpath(top)  # git lists no path through a symbolic link: real = real top + name
    shown = walk.rel(top)  # and a listed file's display path is the top's + `/name` (one relpath per repository)
    for raw in out.split(b"\0"):
        if not raw:
            continue
        name = os.fsdecode(raw).rstrip("/")
        if name in seen:  # unmerged entries appear once per stage
            continue
        seen.add(name)
        path = os.path.join(top, name)
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            continue  # deleted but still tracked: nothing to scan
        except OSError as exc:
            walk.note(path, f"skipped: cannot stat ({exc.strerror})")
            continue
        if stat.S_ISDIR(mode):
            if os.path.lexists(os.path.join(path, ".git")):  # submodule or nested repository: its own root
                _collect_git(walk, path, path)
            continue
        if stat.S_ISLNK(mode):
            _add_link(walk, path)
        elif stat.S_ISREG(mode):
            display = name if shown == "." else f"{shown}/{name}"
            if walk.early is None:
                walk.files.append((path, display, False, os.path.join(real_top, name), False))
            elif not walk.exclude.match_file(display):  # what _finish would keep
                walk.early_reals.add(os.path.join(real_top, name))
                walk.early_batch.append((path, display))
                if len(walk.early_batch) >= EARLY_BATCH:
                    walk.send_early()


def _add_link(walk: _Walk, path: str) -> None:
    """A symlink found by discovery: scan the file it points to (directory links are walked elsewhere)."""
    try:
        target = os.stat(path)
    except OSError as exc:
        loop = exc.errno == errno.ELOOP
        walk.note(path, "skipped: symbolic link loop" if loop else "skipped: broken symbolic link")
        return
    if stat.S_ISREG(target.st_mode):
        walk.add(path)


def _gitignore(directory: str) -> pathspec.GitIgnoreSpec | None:
    path = os.path.join(directory, ".gitignore")
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    try:
        return gitignore_spec(lines)
    except Exception:  # a malformed pattern must not stop the scan
        return None


def _ignored(path: str, is_dir: bool, specs: list[tuple[str, pathspec.GitIgnoreSpec]]) -> bool:
    """git semantics: the deepest .gitignore with a matching pattern decides (`!pattern` re-includes)."""
    for base, spec in reversed(specs):
        rel = Path(os.path.relpath(path, base)).as_posix() + ("/" if is_dir else "")
        verdict = spec.check_file(rel).include
        if verdict is not None:
            return verdict
    return False


def _entries(walk: _Walk, directory: str) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        walk.note(directory, f"skipped directory: cannot read ({exc.strerror or exc.__class__.__name__})")
        return
    yield from entries


def _enter(walk: _Walk, directory: str) -> bool:
    """Mark `directory` walked; False when it was already (a link back into the tree) or cannot be read."""
    try:
        info = os.stat(directory)
    except OSError as exc:
        walk.note(directory, f"skipped directory: {exc.strerror}")
        return False
    ident = (info.st_dev, info.st_ino)
    if ident in walk.dirs_done:
        return False
    walk.dirs_done.add(ident)
    return True


def _walk_plain(walk: _Walk, directory: str, specs: list[tuple[str, pathspec.GitIgnoreSpec]]) -> None:
    """Walk outside git, applying .gitignore files; a nested repository is handed to git."""
    if not _enter(walk, directory):
        return
    own = _gitignore(directory)
    if own is not None:
        specs = [*specs, (directory, own)]
    for entry in _entries(walk, directory):
        path = os.path.join(directory, entry.name)
        if entry.name in VCS_DIRS:
            continue
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir()  # follows links
            is_file = entry.is_file()
        except OSError:
            is_link, is_dir, is_file = True, False, False
        if is_dir:
            if _ignored(path, True, specs) or walk.excluded(path, is_dir=True):
                continue
            if is_link:
                if not _is_loop(walk, path):
                    walk.links.append((path, specs))
            elif os.path.lexists(os.path.join(path, ".git")):
                _collect_git(walk, path, path)
            else:
                _walk_plain(walk, path, specs)
        elif is_file:
            if not _ignored(path, False, specs):
                walk.add(path)
        elif is_link:
            if not _ignored(path, False, specs):
                _add_link(walk, path)


def _is_loop(walk: _Walk, path: str) -> bool:
    """A directory symlink back to one of its own ancestors is a loop: noted, never followed."""
    real = os.path.realpath(path)
    parent = os.path.realpath(os.path.dirname(path))
    if parent == real or parent.startswith(real.rstrip(os.sep) + os.sep):
        walk.note(path, "skipped: symbolic link loop (points to an ancestor directory)")
        return True
    return False


def _walk_native(walk: _Walk, directory: str) -> None:
    """`_walk_plain` with the `ignore` crate: same files, notes and order, without a pattern match per entry.

    The crate applies the .gitignore files (nested ones, `!` re-includes, ignored directories pruned) and prunes
    VCS directories and `exclude` entries naming a directory anywhere; Python looks at what it yields: one lstat
    per entry, nested repositories handed to git, symbolic links as `_walk_plain` treats them."""
    if not _enter(walk, directory):
        return
    overrides = OverrideBuilder(directory)
    for name in sorted(VCS_DIRS):
        overrides.add(f"!{name}")
    patterns = walk.cfg.exclude
    pruned = 0
    if not any(p.startswith("!") for p in patterns):  # a negation could re-include inside: leave those to Python
        for pattern in patterns:
            if _BASENAME_DIR.fullmatch(pattern):
                overrides.add(f"!{pattern}")
                pruned += 1
    builder = native.WalkBuilder(directory)
    builder.hidden(False)  # dotfiles are scanned, as by `_walk_plain` and git
    builder.parents(False)  # only .gitignore files at or below the walked directory, as `_walk_plain`
    builder.ignore(False)  # no ripgrep .ignore files
    builder.git_global(False)
    builder.git_exclude(False)
    builder.require_git(False)  # .gitignore applies outside a repository too
    builder.follow_links(False)  # links are resolved below, like `_walk_plain`
    builder.overrides(overrides.build())
    entries: list[tuple[list[str], str, str | None]] = []  # (sort key, path, reason it could not be read)
    walker = iter(builder.build())
    while True:
        try:
            entry = next(walker)
        except StopIteration:
            break
        except native.IOError as exc:  # ENOENT: removed while walking
            entries.append(((exc.filename or directory).split(os.sep), exc.filename or directory, "vanished"))
            continue
        except native.Error as exc:
            found = _IO_ERROR.fullmatch(str(exc))
            if found is not None:
                entries.append((found["path"].split(os.sep), found["path"], found["reason"]))
            continue  # anything else is a bad .gitignore line, which the crate skips as git does
        if entry.depth():
            path = os.fspath(entry.path())
            entries.append((path.split(os.sep), path, None))
    entries.sort(key=lambda item: item[0])  # `_walk_plain`'s order: depth first, names sorted (stable for errors)
    real_top, shown = os.path.realpath(directory), walk.rel(directory)
    # every exclude pattern is pruned by the crate below `directory`, and none matches on the way down to it: the
    # files it yields need no second match (the saving is one pathspec match per file)
    parts = [] if shown == "." else shown.split("/")
    kept = pruned == len(patterns) and not any(
        walk.exclude.match_file("/".join(parts[: i + 1]) + "/") for i in range(len(parts)))
    specs: dict[str, list[tuple[str, pathspec.GitIgnoreSpec]]] = {}
    skip = "\0"  # entries under this prefix belong to a pruned directory or a nested repository
    for _key, path, reason in entries:
        if (path + os.sep).startswith(skip):  # the directory's own read error included
            continue
        if reason is not None:
            if reason != "vanished":
                walk.note(path, f"skipped directory: cannot read ({reason})")
            continue
        try:
            mode = os.lstat(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            walk.note(path, f"skipped: cannot stat ({exc.strerror})")
            continue
        if stat.S_ISDIR(mode.st_mode):
            ident = (mode.st_dev, mode.st_ino)
            if ident in walk.dirs_done or walk.excluded(path, is_dir=True):
                skip = path + os.sep
            elif os.path.lexists(os.path.join(path, ".git")):  # nested repository: its own git lists it
                skip = path + os.sep
                _collect_git(walk, path, path)
            else:
                walk.dirs_done.add(ident)
        elif stat.S_ISREG(mode.st_mode):
            walk.add_below(path, directory, shown, real_top + path[len(directory):], kept)  # no link below it
        elif stat.S_ISLNK(mode.st_mode):
            parent = os.path.dirname(path)
            if parent not in specs:
                specs[parent] = _specs_down_to(directory, parent)
            _link_entry(walk, path, specs[parent])


def _specs_down_to(top: str, directory: str) -> list[tuple[str, pathspec.GitIgnoreSpec]]:
    """The .gitignore files `_walk_plain` would hold on reaching `directory` from `top`."""
    chain: list[tuple[str, pathspec.GitIgnoreSpec]] = []
    current = top
    rel = os.path.relpath(directory, top)
    for part in [] if rel == os.curdir else rel.split(os.sep):
        own = _gitignore(current)
        if own is not None:
            chain.append((current, own))
        current = os.path.join(current, part)
    own = _gitignore(current)
    if own is not None:
        chain.append((current, own))
    return chain


def _link_entry(walk: _Walk, path: str, specs: list[tuple[str, pathspec.GitIgnoreSpec]]) -> None:
    """A symbolic link met by a walk, treated as `_walk_plain` treats one (its target decides)."""
    if os.path.isdir(path):  # follows the link; False when broken or a loop
        if _ignored(path, True, specs) or walk.excluded(path, is_dir=True):
            return
        if not _is_loop(walk, path):
            walk.links.append((path, specs))
    elif not _ignored(path, False, specs):
        _add_link(walk, path)
