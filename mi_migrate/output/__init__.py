"""Pure renderers: (ScanResult, rules) → str. One module per format; none reads files or config.

JSON and SARIF also stream (`stream`): the envelope, then one finding at a time, so a large result is never held
as one document; `render` is the same text joined. Every format is documented in docs/output-formats.md; change
that page when a shape changes.
"""

from __future__ import annotations

import io
import json as _json  # not `json`: importing the submodule output.json rebinds that name here
import os
import posixpath
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mi_migrate.finding import Finding, Severity
from mi_migrate.rules import Rule
from mi_migrate.scan import ScanResult

FORMATS = ("text", "json", "sarif", "github", "azure", "gitlab")
STREAMED = ("json", "sarif")  # formats `stream` writes piece by piece
CI_FORMATS = ("sarif", "github", "azure", "gitlab")  # consumers that resolve paths against the repository root
# Where each rule's documentation lives: docs/rules.md, one heading per rule (anchors from mi_migrate.ruledocs).
DOCS_BASE_URL = "https://github.com/mi-migrate/mi-migrate/blob/main/docs/"
RULES_DOC_URL = DOCS_BASE_URL + "rules.md"


@dataclass(frozen=True)
class RenderContext:
    """What CI formats need beyond the findings, gathered once by the caller so renderers stay pure.

    `scan_root` is what finding paths are relative to (the config root); `repo_root` the git work tree holding it,
    whose root GitHub, Azure DevOps and GitLab resolve paths against; `commit` is HEAD (GitLab wants one).
    """

    scan_root: Path | None = None
    repo_root: Path | None = None
    commit: str | None = None
    timestamp: str = ""  # UTC yyyy-mm-ddThh:mm:ss

    def repo_path(self, path: str) -> str | None:
        """`path` relative to the repository root, POSIX; None when it lies outside the repository."""
        path = path.replace("\\", "/")
        if self.repo_root is None or self.scan_root is None:
            return None if posixpath.isabs(path) or path.startswith("../") else path.removeprefix("./")
        top = os.path.realpath(self.repo_root)
        if posixpath.isabs(path):
            rel = os.path.relpath(path, top)
        else:
            prefix = os.path.relpath(os.path.realpath(self.scan_root), top)
            rel = os.path.normpath(os.path.join(prefix, path))
        rel = rel.replace(os.sep, "/")
        return None if rel == ".." or rel.startswith("../") or posixpath.isabs(rel) else rel

    def absolute(self, path: str) -> Path:
        base = self.scan_root if self.scan_root is not None else Path(".")
        return Path(os.path.normpath(os.path.join(os.path.abspath(base), path)))

    def display_path(self, path: str) -> str:
        """The repository-relative path when there is one, else the path as the scan reported it."""
        return self.repo_path(path) or path

    def time(self) -> str:
        return self.timestamp or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def context_for(scan_root: Path) -> RenderContext:
    """Ask git (hardened, read-only) for the work tree root and HEAD of the scanned directory."""
    from mi_migrate import gitdiff
    from mi_migrate.config import git_toplevel

    root = scan_root.absolute()
    top = git_toplevel(root) if root.is_dir() else None
    commit = None
    if top is not None:
        commit = gitdiff.git(str(top), "rev-parse", "--verify", "-q", "HEAD", check=False).decode().strip() or None
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return RenderContext(scan_root=root, repo_root=top, commit=commit, timestamp=stamp)


def render(fmt: str, result: ScanResult, rules: dict[str, Rule], *, color: bool = False,
           context: RenderContext | None = None) -> str:
    """Render `result` in `fmt`; `color` only affects text (the caller decides whether stdout is a TTY).

    CI formats rebase paths onto `context.repo_root` (pass `context_for(result.root)`); without a context they
    use the paths as the scan reported them."""
    ctx = context if context is not None else RenderContext(scan_root=result.root)
    if fmt == "text":
        from mi_migrate.output.text import render as text_render

        return text_render(result, rules, color=color)
    if fmt in STREAMED:
        out = io.StringIO()
        stream(fmt, result, rules, out.write, context=ctx)
        return out.getvalue()
    if fmt == "github":
        from mi_migrate.output.github import render as github_render

        return github_render(result, rules, ctx)
    if fmt == "azure":
        from mi_migrate.output.azure import render as azure_render

        return azure_render(result, rules, ctx)
    if fmt == "gitlab":
        from mi_migrate.output.gitlab import render as gitlab_render

        return gitlab_render(result, rules, ctx)
    raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")


def stream(fmt: str, result: ScanResult, rules: dict[str, Rule], write: Callable[[str], object], *,
           context: RenderContext | None = None) -> None:
    """Write `fmt` (one of STREAMED) through `write`, one finding at a time; the text equals `render`'s."""
    ctx = context if context is not None else RenderContext(scan_root=result.root)
    if fmt == "json":
        from mi_migrate.output.json import stream as json_stream

        json_stream(result, rules, write)
    elif fmt == "sarif":
        from mi_migrate.output.sarif import stream as sarif_stream

        sarif_stream(result, rules, write, ctx)
    else:
        raise ValueError(f"format {fmt!r} is not streamed (streamed: {', '.join(STREAMED)})")


class Items:
    """A JSON array whose items are produced one at a time (an iterable of JSON values), for `dump`."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def materialize(value: Any) -> Any:
    """`value` with every Items made a list: the document `dump` writes, as one object."""
    if isinstance(value, Items):
        return [materialize(item) for item in value.items]
    if isinstance(value, dict):
        return {key: materialize(item) for key, item in value.items()}
    if isinstance(value, list):
        return [materialize(item) for item in value]
    return value


def _lazy(value: Any) -> bool:
    if isinstance(value, Items):
        return True
    if isinstance(value, dict):
        return any(_lazy(item) for item in value.values())
    if isinstance(value, list):
        return any(_lazy(item) for item in value)
    return False


def dump(value: Any, write: Callable[[str], object], indent: int = 2) -> None:
    """Write `value` as `json.dumps(materialize(value), indent=indent, ensure_ascii=False) + "\n"`, byte for byte,
    without building it: containers on the way to an Items are opened by hand, each item is one json.dumps."""
    _dump(value, write, indent, 0)
    write("\n")


def _dump(value: Any, write: Callable[[str], object], indent: int, level: int) -> None:
    if not _lazy(value):
        text = _json.dumps(value, indent=indent, ensure_ascii=False)
        write(text.replace("\n", "\n" + " " * (indent * level)) if level else text)  # JSON strings hold no raw \n
        return
    inner = "\n" + " " * (indent * (level + 1))
    if isinstance(value, dict):
        opening, closing = "{", "}"
        pairs: Iterable[tuple[str | None, Any]] = value.items()
    else:
        opening, closing = "[", "]"
        pairs = ((None, item) for item in (value.items if isinstance(value, Items) else value))
    empty = True
    for key, item in pairs:
        write((opening if empty else ",") + inner)
        if key is not None:
            write(_json.dumps(key, ensure_ascii=False) + ": ")
        _dump(item, write, indent, level + 1)
        empty = False
    write(opening + closing if empty else "\n" + " " * (indent * level) + closing)


def help_uri(rule: Rule | None) -> str:
    """The rule's section of docs/rules.md; the catalogue page for findings without a catalogue rule."""
    if rule is None:
        return RULES_DOC_URL
    from mi_migrate.ruledocs import _anchor

    return f"{RULES_DOC_URL}#{_anchor(rule)}"


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Counts keyed error, warning, note: every key always present so consumers need no defaults."""
    counts = Counter(f.severity for f in findings)
    return {s.label: counts.get(s, 0) for s in sorted(Severity, reverse=True)}


def message_with_evidence(finding: Finding) -> str:
    """The message plus the redacted evidence, the one text every CI format shows."""
    return f"{finding.message} [{finding.evidence}]" if finding.evidence else finding.message
