"""Declare the packages rewritten code now imports (azure-identity, plus e.g. redis-entraid) where the project
declares its dependencies: a requirements file or pyproject.toml's [project] dependencies.

The edits are text edits (append a line, insert an array item) so the file keeps its comments, order and
formatting; a package already declared under any spelling (`Azure_Identity[x]>=1; python_version>"3"`) is left.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from mi_migrate.fix.model import Change, FileFix

IDENTITY = "azure-identity"
NOT_RUNTIME = re.compile(r"(?i)(dev|test|lint|doc|ci|type|build)")
NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalise(name: str) -> str:
    """PEP 503 name normalisation: `Azure_Identity` and `azure.identity` are `azure-identity`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def required_packages(changes: Iterable[Change]) -> list[str]:
    """azure-identity (when anything was rewritten) and each package a rewrite asked for, in first-seen order."""
    wanted: dict[str, str] = {}
    for change in changes:
        if change.status != "rewritten":
            continue
        wanted.setdefault(IDENTITY, IDENTITY)
        for package in change.extra.get("requires", ()):
            wanted.setdefault(normalise(package), package)
    return list(wanted.values())


def requirement_names(text: str) -> set[str]:
    """Normalised names a requirements file declares (options, comments, URLs without #egg= are ignored)."""
    names = set()
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        egg = re.search(r"#egg=([A-Za-z0-9._-]+)", line)
        match = NAME.match(line.split("@", 1)[0]) if not egg else None
        if egg or match:
            names.add(normalise((egg or match).group(1)))  # type: ignore[union-attr]
    return names


def newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def add_to_requirements(text: str, packages: list[str]) -> str:
    """Append the missing packages, one a line, in the file's line-ending style."""
    present = requirement_names(text)
    missing = [p for p in packages if normalise(p) not in present]
    if not missing:
        return text
    newline = newline_of(text)
    if text and not text.endswith(("\n", "\r")):
        text += newline
    return text + "".join(package + newline for package in missing)


def _project_section(text: str) -> tuple[int, int] | None:
    """Character span of the [project] table (header line excluded)."""
    header = re.search(r"(?m)^\[project\][ \t]*(?:#.*)?\r?$", text)
    if header is None:
        return None
    start = text.find("\n", header.end())
    start = len(text) if start < 0 else start + 1
    following = re.compile(r"(?m)^[ \t]*\[").search(text, start)
    return start, following.start() if following else len(text)


def _array_end(text: str, open_at: int) -> int | None:
    """Index of the `]` closing the array whose `[` is at open_at (strings and comments skipped)."""
    i, depth = open_at, 0
    while i < len(text):
        char = text[i]
        if char in "\"'":
            quote = text[i:i + 3] if text[i:i + 3] in ('"""', "'''") else char
            end = text.find(quote, i + len(quote))
            while quote == '"' and end > 0 and text[end - 1] == "\\":
                end = text.find(quote, end + 1)
            if end < 0:
                return None
            i = end + len(quote)
            continue
        if char == "#":
            newline = text.find("\n", i)
            i = len(text) if newline < 0 else newline
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def add_to_pyproject(text: str, packages: list[str]) -> str | None:
    """Insert the missing packages into [project] dependencies; None when the file declares none there."""
    span = _project_section(text)
    if span is None:
        return None
    start, stop = span
    section = text[start:stop]
    if re.search(r"(?m)^\s*dynamic\s*=\s*\[[^\]]*[\"']dependencies[\"']", section):
        return text  # dependencies come from elsewhere (often requirements.txt)
    newline = newline_of(text)
    key = re.search(r"(?m)^([ \t]*)dependencies[ \t]*=[ \t]*\[", section)
    if key is None:
        quoted = "".join(f'    "{p}",{newline}' for p in packages)
        body = section.rstrip("\r\n \t")
        insert_at = start + len(body)
        return text[:insert_at] + f"{newline}dependencies = [{newline}{quoted}]" + text[insert_at:]
    open_at = start + key.end() - 1
    close_at = _array_end(text, open_at)
    if close_at is None:
        return None
    inner = text[open_at + 1:close_at]
    present = {normalise(m.group(1)) for m in re.finditer(r"[\"']\s*([A-Za-z0-9][A-Za-z0-9._-]*)", inner)}
    missing = [p for p in packages if normalise(p) not in present]
    if not missing:
        return text
    quote = "'" if re.search(r"'\s*[A-Za-z0-9]", inner) and '"' not in inner else '"'
    items = [f"{quote}{p}{quote}" for p in missing]
    code = re.sub(r"#[^\n]*", "", inner)  # what decides the layout: items and commas, not comments
    if "\n" not in inner:  # one line: dependencies = ["a", "b"]
        stripped = inner.rstrip()
        if not stripped.strip():
            return text[:open_at + 1] + ", ".join(items) + text[close_at:]
        comma = "" if stripped.endswith(",") else ","
        return text[:open_at + 1] + stripped + comma + " " + ", ".join(items) + inner[len(stripped):] + text[close_at:]
    indents = re.findall(r"(?m)^([ \t]+)[\"']", inner)
    indent = indents[-1] if indents else "    "
    last_item = max(inner.rfind('"'), inner.rfind("'"))
    if last_item < 0:  # an empty multi-line array
        line_start = text.rfind("\n", 0, close_at) + 1
        added = "".join(f"{indent}{item},{newline}" for item in items)
        return text[:line_start] + added + text[line_start:]
    trailing_comma = code.rstrip().endswith(",")
    absolute_last = open_at + 1 + last_item
    line_end = text.find("\n", absolute_last)
    if line_end < 0 or line_end > close_at:  # `"b"]` closes on the item's line
        tail = "" if trailing_comma else ","
        added = "".join(f"{tail if i == 0 else ','}{newline}{indent}{item}" for i, item in enumerate(items))
        return text[:absolute_last + 1] + added + ("," if trailing_comma else "") + text[absolute_last + 1:]
    line_end += 1
    prefix = text[:line_end]
    if not trailing_comma:  # give the old last item its comma, after the closing quote, before any comment
        prefix = text[:absolute_last + 1] + "," + text[absolute_last + 1:line_end]
    added = "".join(f"{indent}{item}{',' if trailing_comma or i < len(items) - 1 else ''}{newline}"
                    for i, item in enumerate(items))
    return prefix + added + text[line_end:]


def _requirement_files(directory: Path) -> list[Path]:
    """The runtime requirements files in a directory: requirements.in (pip-tools source) over .txt."""
    if (directory / "requirements.in").is_file():
        return [directory / "requirements.in"]
    if (directory / "requirements.txt").is_file():
        return [directory / "requirements.txt"]
    return sorted(p for p in directory.glob("requirements*.txt") if p.is_file() and not NOT_RUNTIME.search(p.stem))


def _declares_project(path: Path) -> bool:
    try:
        return "[project]" in path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return False


def manifests(root: Path, rewritten: Iterable[str]) -> list[Path]:
    """For each rewritten file, the dependency files of the nearest directory (up to root) that has any."""
    root = root.resolve()
    found: dict[Path, None] = {}
    for rel in rewritten:
        directory = (root / rel).resolve().parent
        while True:
            here = _requirement_files(directory)
            pyproject = directory / "pyproject.toml"
            if pyproject.is_file() and _declares_project(pyproject):
                here.append(pyproject)
            if here:
                found.update(dict.fromkeys(here))
                break
            if directory == root or root not in directory.parents:
                break
            directory = directory.parent
    return list(found)


def ensure(root: Path, changes: list[Change], write: bool) -> list[FileFix]:
    """Add the packages rewritten code needs to the project's dependency files; FileFix per file looked at."""
    from mi_migrate.fix.files import read_source, write_atomic

    packages = required_packages(changes)
    if not packages:
        return []
    rewritten = sorted({c.path for c in changes if c.status == "rewritten"})
    files = manifests(root, rewritten)
    if not files:
        return [FileFix(".", "", error=f"no requirements file or pyproject.toml [project] found: add "
                                          f"{', '.join(packages)} to the project's dependencies")]
    fixes = []
    for path in files:
        rel = path.relative_to(root.resolve()).as_posix() if root.resolve() in path.parents else str(path)
        try:
            text, encoding, bom = read_source(path)
        except (OSError, UnicodeDecodeError, LookupError) as exc:
            fixes.append(FileFix(rel, "", error=f"not updated: cannot read ({exc.__class__.__name__})"))
            continue
        updated = add_to_pyproject(text, packages) if path.name == "pyproject.toml" else add_to_requirements(
            text, packages)
        fix = FileFix(rel, text, updated=updated)
        if updated is None:
            fix.error = f"no [project] dependencies array to extend: add {', '.join(packages)} by hand"
        elif fix.changed and write:
            write_atomic(path, updated, encoding, bom)
        fixes.append(fix)
    return fixes
