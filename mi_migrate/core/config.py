"""`[tool.mi-migrate]` in pyproject.toml, or top-level keys in `.mi-migrate.toml`.

ruff's model: the nearest configuration file walking up from the first path argument wins, with no merging,
and `--config FILE` overrides the search. Paths inside the file (globs, `baseline`) are relative to the
directory that holds it, which is also the project root that finding paths are relative to. Every mistake is
a ValueError with one line naming the file and the key, which the CLI turns into exit code 2.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mi_migrate.core import gitsafe
from mi_migrate.core.finding import Finding, Severity

if TYPE_CHECKING:
    import pathspec

CONFIG_NAMES = (".mi-migrate.toml", "pyproject.toml")  # in one directory, the dedicated file wins
FAIL_ON = ("error", "warning", "note", "never")
# Directories nobody wants scanned; `exclude` replaces this list, `extend-exclude` adds to it.
DEFAULT_EXCLUDE = (
    ".git/", ".hg/", ".svn/", ".venv/", "venv/", "node_modules/", "__pycache__/",
    ".tox/", ".nox/", ".mypy_cache/", ".ruff_cache/", ".pytest_cache/",
)
RULE_REF = re.compile(r"^(?:[A-Z]+[0-9]*|[a-z0-9]+(?:-[a-z0-9]+)*)$")  # an id, an id prefix, or a rule name


@dataclass(frozen=True)
class Config:
    root: Path = Path(".")
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE  # effective list: exclude (or the defaults) + extend-exclude
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    max_file_size: int | None = None
    baseline: Path | None = None
    third_party: bool = True
    source: Path | None = None
    fail_on: str | None = None

    def exclude_spec(self) -> Excludes:
        """gitignore-style matcher for `exclude`, against paths relative to `root`."""
        return Excludes(self.exclude)


class Excludes:
    """The `exclude` patterns as a gitignore-style matcher, built on first use: most runs have none, and
    importing pathspec is a tenth of a pre-commit run. When every pattern names a directory (`node_modules/`,
    the defaults) a path matches when one of its directories has such a name: a set lookup per directory
    instead of pathspec's regex per pattern (a quarter second on a 25,000-file repository)."""

    __slots__ = ("_spec", "directory_names", "patterns")

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._spec: pathspec.GitIgnoreSpec | None = None
        names = {pattern[:-1] for pattern in self.patterns if _DIRECTORY_NAME.fullmatch(pattern)}
        self.directory_names = frozenset(names) if len(names) == len(set(self.patterns)) else None

    def match_file(self, path: str) -> bool:
        if not self.patterns:
            return False
        if self.directory_names is not None:
            names = self.directory_names
            return any(part in names for part in path.split("/")[:-1])
        if self._spec is None:
            self._spec = gitignore_spec(self.patterns)
        return bool(self._spec.match_file(path))


# A gitignore pattern that matches every directory of one name, anywhere, and all below it: a name of its own
# (no slash, no wildcard, class, escape, negation or comment; not "." or "..", which git never lists) and a `/`
_DIRECTORY_NAME = re.compile(r"(?!\.{1,2}/)[^/*?\[\]\\!#\s][^/*?\[\]\\\s]*/")


def gitignore_spec(lines: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """pathspec's pure-Python backend: its hyperscan backend (picked when hyperscan is installed, as it is for
    mi_migrate.scan.candidates) cannot match non-UTF-8 file names and compiles slower than a small spec matches."""
    import pathspec

    try:
        return pathspec.GitIgnoreSpec.from_lines(lines, backend="simple")
    except TypeError:  # pathspec < 1.0 has only the pure-Python matcher
        return pathspec.GitIgnoreSpec.from_lines(lines)


def find_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest config at or above `start` (a directory, or a file's parent), with its settings table."""
    start = start.absolute()
    directory = start if start.is_dir() else start.parent
    for folder in (directory, *directory.parents):
        for name in CONFIG_NAMES:
            candidate = folder / name
            if not candidate.is_file():
                continue
            table = read_table(candidate)
            if table is not None:
                return candidate, table
    return None


def read_table(path: Path) -> dict[str, Any] | None:
    """The settings in `path`; None for a pyproject.toml without `[tool.mi-migrate]` (the search goes on)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read config ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: invalid TOML: {str(exc).splitlines()[0]}") from None
    if path.name != "pyproject.toml":
        return data
    table = data.get("tool", {}).get("mi-migrate")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ValueError(f"{path}: [tool.mi-migrate] must be a table")
    return table


def git_toplevel(directory: Path) -> Path | None:
    """The work tree root containing `directory`, or None outside git (or without git installed)."""
    try:
        out = subprocess.run(
            gitsafe.command("rev-parse", "--show-toplevel"), cwd=directory,
            capture_output=True, check=False, timeout=30, env=gitsafe.environment(),
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0 or not out.stdout.strip():
        return None
    return Path(out.stdout.decode(errors="surrogateescape").strip())


# -- value checkers: each returns the converted value or raises ValueError with the reason --


def _str_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return tuple(value)


def _rule_refs(value: Any) -> tuple[str, ...]:
    refs = _str_list(value)
    bad = [r for r in refs if not RULE_REF.match(r)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a rule id, id prefix or rule name")
    return refs


def _globs(value: Any) -> tuple[str, ...]:
    globs = _str_list(value)
    try:
        gitignore_spec(globs)
    except Exception as exc:  # pathspec raises assorted errors for malformed patterns
        raise ValueError(f"bad glob: {exc}") from None
    return globs


def _per_file_ignores(value: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ValueError("expected a table of glob = [rule ids]")
    result = {}
    for glob, refs in value.items():
        _globs([glob])
        result[glob] = _rule_refs(refs)
    return result


def _severity(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError('expected a table of rule id = "error" | "warning" | "note"')
    for ref, level in value.items():
        _rule_refs([ref])
        if not isinstance(level, str):
            raise ValueError(f"{ref}: expected a string")
        Severity.parse(level)
    return {ref: level.strip().lower() for ref, level in value.items()}


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError("expected a positive integer (bytes)")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("expected a non-empty string")
    return value


def _fail_on(value: Any) -> str:
    if value not in FAIL_ON:
        raise ValueError(f"expected one of {', '.join(FAIL_ON)}")
    return str(value)


CHECKERS: dict[str, Callable[[Any], Any]] = {
    "exclude": _globs,
    "extend-exclude": _globs,
    "per-file-ignores": _per_file_ignores,
    "select": _rule_refs,
    "ignore": _rule_refs,
    "severity": _severity,
    "max-file-size": _positive_int,
    "baseline": _text,
    "third-party": _bool,
    "fail-on": _fail_on,
}


def parse(table: dict[str, Any], source: Path) -> Config:
    """Validate a settings table read from `source` and build the Config rooted at its directory."""
    where = "[tool.mi-migrate]" if source.name == "pyproject.toml" else source.name
    values: dict[str, Any] = {}
    for key, raw in table.items():
        checker = CHECKERS.get(key)
        if checker is None:
            raise ValueError(f"{source}: unknown key {key!r} in {where} (known: {', '.join(CHECKERS)})")
        try:
            values[key] = checker(raw)
        except ValueError as exc:
            raise ValueError(f"{source}: bad value for {key!r}: {exc}") from None
    root = source.absolute().parent
    exclude = values.get("exclude", DEFAULT_EXCLUDE) + values.get("extend-exclude", ())
    baseline = values.get("baseline")
    return Config(
        root=root,
        exclude=exclude,
        per_file_ignores=values.get("per-file-ignores", {}),
        select=values.get("select", ()),
        ignore=values.get("ignore", ()),
        severity=values.get("severity", {}),
        max_file_size=values.get("max-file-size"),
        baseline=(root / baseline) if baseline else None,
        third_party=values.get("third-party", True),
        source=source.absolute(),
        fail_on=values.get("fail-on"),
    )


def load(explicit: Path | None, paths: list[Path]) -> Config:
    """`--config FILE`, else the nearest config above the first path, else defaults rooted at git or cwd."""
    if explicit is not None:
        if not explicit.is_file():
            raise ValueError(f"{explicit}: config file not found")
        table = read_table(explicit)
        return parse(table or {}, explicit)
    first = paths[0] if paths else Path(".")
    found = find_config(first)
    if found is not None:
        return parse(found[1], found[0])
    start = first.absolute()
    start_dir = start if start.is_dir() else start.parent
    root = git_toplevel(start_dir) if start_dir.is_dir() else None
    return Config(root=root or Path.cwd())


def _matches(rule_id: str, rule_name: str, refs: tuple[str, ...]) -> bool:
    return any(rule_id.startswith(ref) or ref == rule_name for ref in refs)


def severity_for(cfg: Config, finding: Finding) -> Severity | None:
    """The configured severity: an exact id or name beats the longest matching prefix."""
    best: tuple[int, str] | None = None
    for ref, level in cfg.severity.items():
        if ref in (finding.rule_id, finding.rule_name):
            return Severity.parse(level)
        if finding.rule_id.startswith(ref) and (best is None or len(ref) > best[0]):
            best = (len(ref), level)
    return Severity.parse(best[1]) if best else None


def apply(cfg: Config, findings: list[Finding]) -> list[Finding]:
    """Drop findings silenced by per-file-ignores and apply severity overrides."""
    specs = [(gitignore_spec((glob,)), refs) for glob, refs in cfg.per_file_ignores.items()]
    kept: list[Finding] = []
    for finding in findings:
        if any(_matches(finding.rule_id, finding.rule_name, refs) and spec.match_file(finding.path)
               for spec, refs in specs):
            continue
        level = severity_for(cfg, finding) if cfg.severity else None
        changed = level is not None and level != finding.severity
        kept.append(finding.with_severity(level) if changed else finding)
    return kept
