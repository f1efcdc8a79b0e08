"""Load the declarative rules in `rules/*.toml` into frozen dataclasses.

Rules are data so a security reviewer can read them without reading the engine; the examples each file carries
become tests (tests/test_rule_examples.py), so no rule ships untested.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mi_migrate.core.finding import Kind, Severity

RULE_ID = re.compile(r"^[A-Z]+[0-9]+$")
RULE_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REQUIRED_KEYS = ("id", "name", "title", "description", "severity", "kind", "service", "remediation")
FLAG_LETTERS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


class RuleError(ValueError):
    """A rule file is malformed; the message names the file."""


@dataclass(frozen=True)
class Pattern:
    """One regex of a rule. Compiled on first use: a pre-commit run on a few files needs few of them, and the
    rule files were checked when they were first loaded (see load_rules_from)."""

    source: str
    validator: str | None  # name in mi_migrate.scan.validators.REGISTRY
    options: dict[str, Any] = field(default_factory=dict)  # passed to the validator
    flags: int = 0
    # A value-shaped necessary condition for `regex` (bytes; the syntax hyperscan and `re` share): the candidate
    # pass looks for it in every file, and the regex runs only where it occurs. Named `<rule id>#<index>`.
    anchor_source: bytes | None = None
    anchor_name: str = ""

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.source, self.flags)

    @functools.cached_property
    def anchor(self) -> re.Pattern[bytes] | None:
        return None if self.anchor_source is None else re.compile(self.anchor_source)


@dataclass(frozen=True)
class Example:
    text: str
    match: bool
    filename: str = "example.txt"
    fields: dict[str, str] = field(default_factory=dict)
    severity: str | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    title: str
    description: str
    severity: Severity
    kind: Kind
    service: str
    remediation: str
    keywords: tuple[bytes, ...]  # lower-case; the rule runs on a file only if one occurs
    patterns: tuple[Pattern, ...]
    examples: tuple[Example, ...]
    security_severity: float = 5.0
    precision: str = "high"
    priority: int = 50  # when two rules claim the same secret, the lower priority wins
    tags: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    python: dict[str, Any] = field(default_factory=dict)  # qualified-name matchers for Python-aware rules
    plugins: dict[str, Any] = field(default_factory=dict)  # detect-secrets plugins: mi_migrate.scan.third_party
    iac: dict[str, Any] = field(default_factory=dict)  # infrastructure-as-code checks: mi_migrate.scan.iac
    source: str = ""  # rule file name

    @property
    def is_python_rule(self) -> bool:
        return bool(self.python)


def rules_dir() -> Path:
    """rules/ ships inside the wheel as mi_migrate/rules; in a source checkout it sits beside the package."""
    packaged = Path(__file__).parent.parent / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "rules"


def _compile(spec: dict[str, Any], source: str, name: str = "", check: bool = True) -> Pattern:
    flags = 0
    for letter in spec.get("flags", ""):
        if letter not in FLAG_LETTERS:
            raise RuleError(f"{source}: unknown regex flag {letter!r}")
        flags |= FLAG_LETTERS[letter]
    if "regex" not in spec:
        raise RuleError(f"{source}: bad pattern: no regex")
    anchor = spec["anchor"].encode() if "anchor" in spec else None
    if check:
        try:
            re.compile(spec["regex"], flags)
        except re.error as exc:
            raise RuleError(f"{source}: bad pattern: {exc}") from None
        try:
            if anchor is not None:
                re.compile(anchor)
        except re.error as exc:
            raise RuleError(f"{source}: bad anchor: {exc}") from None
    options = {k: v for k, v in spec.items() if k not in ("regex", "flags", "validator", "anchor")}
    return Pattern(source=spec["regex"], validator=spec.get("validator"), options=options, flags=flags,
                   anchor_source=anchor, anchor_name=name if anchor is not None else "")


def parse_rule(data: dict[str, Any], source: str, check: bool = True) -> Rule:
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise RuleError(f"{source}: missing {', '.join(missing)}")
    if not RULE_ID.match(data["id"]):
        raise RuleError(f"{source}: rule id {data['id']!r} must be uppercase letters followed by digits")
    if not RULE_NAME.match(data["name"]):
        raise RuleError(f"{source}: rule name {data['name']!r} must be kebab-case")
    try:
        severity = Severity.parse(data["severity"])
        kind = Kind(data["kind"])
    except ValueError as exc:
        raise RuleError(f"{source}: {exc}") from None
    patterns = tuple(
        _compile(spec, source, f"{data['id']}#{i}", check) for i, spec in enumerate(data.get("patterns", [])))
    python = data.get("python", {})
    plugins = data.get("plugins", {})
    iac = data.get("iac", {})
    if not patterns and not python and not plugins and not iac:
        raise RuleError(f"{source}: a rule needs [[patterns]], a [python], a [plugins] or an [iac] table")
    examples = tuple(
        Example(
            text=ex["text"],
            match=bool(ex["match"]),
            filename=ex.get("filename", "example.txt"),
            fields=dict(ex.get("fields", {})),
            severity=ex.get("severity"),
        )
        for ex in data.get("examples", [])
    )
    if not any(ex.match for ex in examples) or not any(not ex.match for ex in examples):
        raise RuleError(f"{source}: a rule needs examples that match and examples that must not")
    return Rule(
        id=data["id"],
        name=data["name"],
        title=data["title"],
        description=data["description"].strip(),
        severity=severity,
        kind=kind,
        service=data["service"],
        remediation=data["remediation"].strip(),
        keywords=tuple(k.lower().encode() for k in data.get("keywords", [])),
        patterns=patterns,
        examples=examples,
        security_severity=float(data.get("security_severity", 5.0)),
        precision=data.get("precision", "high"),
        priority=int(data.get("priority", 50)),
        tags=tuple(data.get("tags", ())),
        references=tuple(data.get("references", ())),
        python=python,
        plugins=plugins,
        iac=iac,
        source=source,
    )


def cache_dir() -> Path | None:
    """Where mi-migrate keeps what it can rebuild (parsed rules, the compiled candidate database):
    MI_MIGRATE_CACHE_DIR, else $XDG_CACHE_HOME/mi-migrate or ~/.cache/mi-migrate; None when set to "off"."""
    base = os.environ.get("MI_MIGRATE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "mi-migrate")
    return None if base in ("0", "off") else Path(base)


def _cache_file(texts: dict[str, str]) -> Path | None:
    """Where the parsed rule files are kept between runs, named by a hash of their contents: tomllib is pure
    Python and parsing 40-odd rule files costs a pre-commit run ~75 ms; the JSON copy reads in a few ms."""
    base = cache_dir()
    if base is None:
        return None
    digest = hashlib.sha256(sys.version.encode())
    try:  # the checks a cache hit skips are this module's: another version of it parses afresh
        stat = os.stat(__file__)
        digest.update(f"{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    except OSError:
        return None
    for name, text in texts.items():
        digest.update(f"{name}\0{text}\0".encode("utf-8", "surrogatepass"))
    return base / f"rules-{digest.hexdigest()[:24]}.json"


def _parsed(paths: list[Path]) -> tuple[dict[str, dict[str, Any]], Path | None, bool]:
    """Each rule file's TOML data by file name; the cache file; whether the data came from it (then these exact
    contents were parsed and checked before)."""
    texts = {path.name: path.read_text(encoding="utf-8") for path in paths}
    cache = _cache_file(texts)
    if cache is not None:
        try:
            return json.loads(cache.read_text(encoding="utf-8")), cache, True
        except (OSError, ValueError):
            pass
    parsed: dict[str, dict[str, Any]] = {}
    for name, text in texts.items():
        try:
            parsed[name] = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RuleError(f"{name}: {exc}") from None
    return parsed, cache, False


def write_cache_file(path: Path, data: bytes) -> None:
    """Write a cache file whole or not at all (concurrent workers, an interrupted run); a read-only home means
    no cache, never an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        pass


def _write_cache(cache: Path, parsed: dict[str, dict[str, Any]]) -> None:
    try:
        data = json.dumps(parsed).encode("utf-8")
    except (TypeError, ValueError):  # a TOML date JSON cannot hold: no cache
        return
    write_cache_file(cache, data)


def load_rules_from(directory: Path) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    paths = sorted(directory.glob("*.toml"))
    parsed, cache, cached = _parsed(paths)
    for path in paths:
        data = parsed[path.name]
        rule = parse_rule(data, path.name, check=not cached)  # cached: these contents passed the checks before
        if rule.id in seen:
            raise RuleError(f"{path.name}: rule id {rule.id} already used by {seen[rule.id]}")
        seen[rule.id] = path.name
        rules.append(rule)
    if cache is not None and not cached:  # written only once every file passed
        _write_cache(cache, parsed)
    return tuple(sorted(rules, key=lambda r: r.id))


@functools.cache
def load_rules() -> tuple[Rule, ...]:
    """All shipped rules, sorted by id (cached per process)."""
    return load_rules_from(rules_dir())


def rule_by_id() -> dict[str, Rule]:
    return {rule.id: rule for rule in load_rules()}


def select_rules(rules: tuple[Rule, ...], select: list[str], ignore: list[str]) -> tuple[Rule, ...]:
    """ruff-style selection by id prefix: `select` narrows (empty = all), `ignore` removes."""

    def hit(rule: Rule, prefixes: list[str]) -> bool:
        return any(rule.id.startswith(p) or rule.name == p for p in prefixes)

    chosen = [r for r in rules if not select or hit(r, select)]
    return tuple(r for r in chosen if not hit(r, ignore))
