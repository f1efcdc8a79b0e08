"""What every renderer shares: the render context (repository root, HEAD, time), rule documentation links and
the counts and message text all formats agree on."""

from __future__ import annotations

import os
import posixpath
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mi_migrate.core.finding import Finding, Severity
from mi_migrate.core.rules import Rule

CI_FORMATS = ("sarif", "github", "azure", "gitlab")  # consumers that resolve paths against the repository root
# Where each rule's documentation lives: docs/rules.md, one heading per rule (anchors from mi_migrate.core.ruledocs).
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
    from mi_migrate.core.config import git_toplevel
    from mi_migrate.scan.history import gitdiff

    root = scan_root.absolute()
    top = git_toplevel(root) if root.is_dir() else None
    commit = None
    if top is not None:
        commit = gitdiff.git(str(top), "rev-parse", "--verify", "-q", "HEAD", check=False).decode().strip() or None
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return RenderContext(scan_root=root, repo_root=top, commit=commit, timestamp=stamp)


def help_uri(rule: Rule | None) -> str:
    """The rule's section of docs/rules.md; the catalogue page for findings without a catalogue rule."""
    if rule is None:
        return RULES_DOC_URL
    from mi_migrate.core.ruledocs import _anchor

    return f"{RULES_DOC_URL}#{_anchor(rule)}"


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Counts keyed error, warning, note: every key always present so consumers need no defaults."""
    counts = Counter(f.severity for f in findings)
    return {s.label: counts.get(s, 0) for s in sorted(Severity, reverse=True)}


def message_with_evidence(finding: Finding) -> str:
    """The message plus the redacted evidence, the one text every CI format shows."""
    return f"{finding.message} [{finding.evidence}]" if finding.evidence else finding.message
