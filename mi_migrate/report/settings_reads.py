"""Where the repository still reads (or sets) an app setting, after the fix: a setting is listed for deletion only
when nothing reads it any more.

Reads are looked for in the text the fix leaves behind (its new text for the files it changes, the file on disk
for the others), in every language the repository holds:

* Python and notebook code cells: the setting's name as a string literal (`os.environ["X"]`, `os.getenv("X")`,
  `settings.get("X")`, a Functions decorator's `connection="X"`: all of them read it, at import or later);
* Functions `function.json` bindings (`connection`, `connectionStringSetting`);
* shell and PowerShell scripts (`$X`, `${X}`, `$env:X`, `%X%`), JavaScript/TypeScript (`process.env.X`), C#/Java/Go
  environment and configuration reads.

Places that *set* it (`.env`, `local.settings.json`, `appsettings*.json`, IaC app settings, Compose/Kubernetes
environments) are definitions: they are deleted together with the setting, or the next deployment sets it again.
Only names are read and reported, never values.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", "build", "dist", ".mypy_cache",
             ".pytest_cache", ".ruff_cache", "site-packages"}
DOCS = (".md", ".markdown", ".rst", ".txt", ".html", ".htm", ".csv", ".jsonl", ".svg", ".lock", ".log")
MAX_BYTES = 512_000
MAX_FILES = 20_000
PY = (".py", ".pyw")
SHELL = (".sh", ".bash", ".zsh", ".ps1", ".psm1", ".cmd", ".bat")
OTHER_CODE = (".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".cs", ".java", ".go", ".kt", ".rb", ".php")
IAC = (".bicep", ".bicepparam", ".tf", ".tfvars")
CONFIG_NAMES = ("local.settings.json", "local.settings.json.sample", "local.settings.sample.json")


@dataclass(frozen=True)
class Ref:
    """One place naming a setting: `read` (code that needs it) or `definition` (config/IaC that sets it)."""

    path: str
    line: int
    kind: str  # python | notebook | binding | shell | code | config | iac
    role: str  # read | definition
    detail: str = ""

    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "kind": self.kind, "role": self.role, "detail": self.detail}


def _token(name: str) -> re.Pattern[str]:
    return re.compile(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])")


class RepoIndex:
    """The repository's text as the fix leaves it; `refs(name)` lists where a setting is read or set."""

    def __init__(self, root: Path, fix: Any = None) -> None:
        self.root = root
        self.updated: dict[str, str] = {}
        for file_fix in getattr(fix, "changed_files", None) or []:
            if file_fix.updated is not None:
                self.updated[file_fix.path] = file_fix.updated
        self._files: list[str] | None = None
        self._texts: dict[str, str] = {}
        self._cache: dict[str, list[Ref]] = {}

    # -- files ---------------------------------------------------------------------------------------------
    def files(self) -> list[str]:
        if self._files is None:
            found: list[str] = []
            stack = [self.root]
            while stack and len(found) < MAX_FILES:
                folder = stack.pop()
                try:
                    entries = sorted(folder.iterdir())
                except OSError:
                    continue
                for entry in entries:
                    try:
                        if entry.is_symlink():
                            continue
                        if entry.is_dir():
                            if entry.name not in SKIP_DIRS:
                                stack.append(entry)
                        elif not entry.name.lower().endswith(DOCS) and entry.stat().st_size <= MAX_BYTES:
                            found.append(entry.relative_to(self.root).as_posix())
                    except OSError:
                        continue
            self._files = sorted(found)
        return self._files

    def text(self, rel: str) -> str:
        if rel in self.updated:
            return self.updated[rel]
        if rel not in self._texts:
            try:
                raw = (self.root / rel).read_bytes()
            except OSError:
                raw = b""
            self._texts[rel] = "" if b"\0" in raw[:4096] else raw.decode("utf-8", errors="replace")
        return self._texts[rel]

    def grep(self, pattern: re.Pattern[str]) -> list[str]:
        """Files whose text (after the fix) matches `pattern`."""
        return [rel for rel in self.files() if pattern.search(self.text(rel))]

    # -- references ----------------------------------------------------------------------------------------
    def refs(self, name: str) -> list[Ref]:
        if name not in self._cache:
            token = _token(name)
            out: list[Ref] = []
            for rel in self.files():
                text = self.text(rel)
                if name not in text or not token.search(text):
                    continue
                out += _classify(rel, text, name, token)
            self._cache[name] = out
        return self._cache[name]

    def reads(self, name: str) -> list[Ref]:
        return [r for r in self.refs(name) if r.role == "read"]

    def definitions(self, name: str) -> list[Ref]:
        return [r for r in self.refs(name) if r.role == "definition"]


def _lines(text: str, token: re.Pattern[str]) -> list[tuple[int, str]]:
    return [(n, line) for n, line in enumerate(text.splitlines(), 1) if token.search(line)]


def _classify(rel: str, text: str, name: str, token: re.Pattern[str]) -> list[Ref]:
    base = PurePosixPath(rel).name.lower()
    lower = rel.lower()
    quoted = re.compile(r"""["']""" + re.escape(name) + r"""["']""")
    out: list[Ref] = []
    if lower.endswith(PY):
        for n, line in _lines(text, token):
            stripped = line.lstrip()
            if stripped.startswith("#") or not quoted.search(line):
                continue
            kind = "binding" if re.search(r"\b(connection|connection_string_setting)\s*=", line) else "python"
            out.append(Ref(rel, n, kind, "read"))
        return out
    if lower.endswith(".ipynb"):
        return _notebook(rel, text, name, quoted)
    if base == "function.json":
        for n, line in _lines(text, token):
            match = re.search(r'"(connection|connectionStringSetting|leaseConnection\w*)"\s*:\s*"' + re.escape(name)
                              + '"', line, re.I)
            if match:
                out.append(Ref(rel, n, "binding", "read", match.group(1)))
        return out
    if base in CONFIG_NAMES or base.startswith(".env") or base.endswith(".env") or re.match(
            r"appsettings(\.[\w-]+)?\.json$", base):
        return [Ref(rel, n, "config", "definition") for n, line in _lines(text, token)
                if not line.lstrip().startswith("#")]
    if lower.endswith(SHELL):
        pattern = re.compile(r"\$\{?" + re.escape(name) + r"\b|\$env:" + re.escape(name) + r"\b|%" + re.escape(name)
                             + "%", re.I)
        for n, line in _lines(text, token):
            if line.lstrip().startswith(("#", "REM ", "rem ", "::")):
                continue
            if pattern.search(line):
                out.append(Ref(rel, n, "shell", "read"))
            elif re.search(r"(?:^|\s)(?:export\s+|set\s+)?" + re.escape(name) + r"=", line):
                out.append(Ref(rel, n, "shell", "definition"))
        return out
    if lower.endswith(OTHER_CODE):
        pattern = re.compile(r"(?:process\.env(?:\.|\[\s*['\"])|GetEnvironmentVariable\(\s*\"|Getenv\(\s*\"|"
                             r"getenv\(\s*\"|\[\s*[\"'])" + re.escape(name) + r"\b")
        for n, line in _lines(text, token):
            if pattern.search(line) or quoted.search(line):  # a literal of the name is how code reads it
                out.append(Ref(rel, n, "code", "read"))
        return out
    if lower.endswith(IAC) or (lower.endswith(".json") and '"$schema"' in text and "deploymentTemplate" in text):
        for n, line in _lines(text, token):
            if quoted.search(line) or re.search(r"^\s*" + re.escape(name) + r"\s*[=:]", line):
                out.append(Ref(rel, n, "iac", "definition"))
        return out
    if lower.endswith((".yaml", ".yml")):
        for n, line in _lines(text, token):
            if re.search(r"(?:name:\s*|^\s*-?\s*)[\"']?" + re.escape(name) + r"[\"']?\s*(?:[:=]|$)", line):
                out.append(Ref(rel, n, "config", "definition"))
            elif re.search(r"\$\{?" + re.escape(name) + r"\b", line):
                out.append(Ref(rel, n, "shell", "read"))
        return out
    return out


def _notebook(rel: str, text: str, name: str, quoted: re.Pattern[str]) -> list[Ref]:
    try:
        cells = json.loads(text).get("cells", [])
    except (ValueError, AttributeError):
        return [Ref(rel, n, "notebook", "read") for n, line in enumerate(text.splitlines(), 1) if quoted.search(line)]
    out: list[Ref] = []
    for index, cell in enumerate(cells if isinstance(cells, list) else [], 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        lines = source if isinstance(source, list) else str(source).splitlines()
        for n, line in enumerate(lines, 1):
            if quoted.search(str(line)) and not str(line).lstrip().startswith("#"):
                out.append(Ref(rel, n, "notebook", "read", f"cell {index}"))
    return out


def describe(refs: list[Ref], limit: int = 8) -> str:
    """`a.py:3, b.sh:9 (+2 more)`: the places, never their text."""
    places = [f"{r.path}:{r.line}" + (f" ({r.detail})" if r.detail else "") for r in refs]
    more = f" (+{len(places) - limit} more)" if len(places) > limit else ""
    return ", ".join(places[:limit]) + more


STEP = {
    "python": "rewrite this read to the identity (or delete it): it would get nothing once the setting is gone",
    "notebook": "rewrite this notebook read to the identity",
    "binding": "this Functions binding reads it: switch the binding to the identity-based connection first",
    "shell": "this script reads it: switch it to `az login` / `--auth-mode login` first",
    "code": "this code reads it: move it to a token credential first",
}


def read_steps(refs: list[Ref]) -> list[dict[str, Any]]:
    return [{**r.to_dict(), "step": STEP.get(r.kind, "remove this read first")} for r in refs]
