"""Candidates: one pass over a file's bytes says which anchors occur in it, and so which analyses can find anything.

Every analysis has a necessary condition written as literals: a text rule's `keywords`, a detect-secrets plugin's
prefilter literals (mi_migrate.scan.third_party.PREFILTERS), the structured formats' triggers (`kind: secret`, `\\u`,
a backslash, the joined-literal anchors), `import` for the Python analysis, and the resource types the IaC checks
need. All of them (lower-case; matched without regard to ASCII case, exactly as `literal in data.lower()`) go into
one multi-pattern database, with the value-shaped anchors described below. A file is scanned once; a file with
no candidate costs that scan and nothing else; the regexes, validators, parsers and plugins run only on files
with a candidate for them.

Two engines give the same answers:

- `hyperscan` (Vectorscan/Hyperscan bindings, ~1.5 GB/s here): caseless literals with HS_FLAG_SINGLEMATCH, so the
  scan reports which patterns occur, each once. Compiling takes ~40 ms, so small scans (pre-commit) use `re`.
- `re`: the pure-Python fallback for platforms without the wheel: `literal in data.lower()` per literal, and
  the anchors with `re` when a gate asks. Chosen when `import hyperscan` fails or MI_MIGRATE_ENGINE=re; CI
  runs the scanning tests under both (tests/conftest.py).

Value-shaped anchors (candidates.anchors()) go into the same database as regexes: a rule pattern's `anchor`
and a plugin's (mi_migrate.scan.third_party.Prefilter.anchor). The native engine reports which occur; the `re` engine
answers each with `re.search` the first time a gate asks, so a file no literal selected never pays for them.

A literal not in the database (a rule loaded from elsewhere, a Python import root) is still answered, from a
lower-cased copy made on first use.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mi_migrate.scan.memory import Memory
from mi_migrate.scan.plugin_prefilters import FOLDS_TO_ASCII


@functools.cache
def _native() -> Any:
    """The hyperscan module, imported on first use (60 ms: a pre-commit run never pays it); None without it."""
    try:
        import hyperscan
    except ImportError:  # pragma: no cover - depends on the platform
        return None
    return hyperscan

ENV = "MI_MIGRATE_ENGINE"  # "re" forces the fallback, "hyperscan" the native engine (when installed)
ENGINES = ("hyperscan", "re")

# Structured formats (mi_migrate.scan.structured.wants): YAML Secret data, JSON escapes, any backslash.
STRUCTURED_TRIGGERS = (b"kind: secret", b"\\u", b"\\")
# The Python analysis needs an import (python_analysis.wanted_rules).
PYTHON_TRIGGERS = (b"import",)
# The IaC checks report only on app resources (they take settings and carry an identity) and role assignments
# (mi_migrate.scan.iac.model.TF_APP / AZ_APP / AZ_APP_SETTINGS, the readers' role-assignment types): a template
# without one of these type names has nothing to report.
IAC_TRIGGERS = (
    b"azurerm_", b"microsoft.web/sites", b"microsoft.app/containerapps", b"microsoft.app/jobs",
    b"microsoft.containerservice/managedclusters", b"microsoft.compute/virtualmachine",
    b"microsoft.containerinstance/containergroups", b"roleassignments",
)
# Below this many bytes in a scan, compiling the database costs more than the scan (pre-commit on a few files).
NATIVE_MIN_BYTES = 1 << 20


def available() -> tuple[str, ...]:
    return ENGINES if _installed() else ("re",)


@functools.cache
def _installed() -> bool:
    return importlib.util.find_spec("hyperscan") is not None


def choose(total_bytes: int | None = None) -> str:
    """The engine for a scan: MI_MIGRATE_ENGINE when set, else hyperscan when installed and the scan is big."""
    wanted = os.environ.get(ENV, "").strip().lower()
    if wanted == "re" or not _installed():
        return "re"
    if wanted == "hyperscan":
        return "hyperscan"
    if total_bytes is not None and total_bytes < NATIVE_MIN_BYTES:
        return "re"
    return "hyperscan"


@functools.cache
def universe() -> tuple[tuple[bytes, ...], tuple[str, ...]]:
    """(literals, regex names): every anchor any analysis keys on, from the shipped rules and plugins."""
    from mi_migrate.core.rules import load_rules
    from mi_migrate.scan.structured import python_strings

    literals: set[bytes] = set(STRUCTURED_TRIGGERS) | set(PYTHON_TRIGGERS) | set(IAC_TRIGGERS)
    literals.update(python_strings.ANCHORS)
    for rule in load_rules():
        literals.update(rule.keywords)
    literals.update(_plugin_literals())
    return tuple(sorted(lit for lit in literals if lit)), tuple(anchors())


@functools.cache
def anchors() -> dict[str, bytes]:
    """Value-shaped anchors by name: a rule pattern's `anchor` (named `AZ102#0`) and a detect-secrets plugin's
    (named after the plugin). Each is a necessary condition for its pattern or plugin to report anything, written
    in the regex syntax hyperscan and `re` share; tests/test_engine_anchors.py holds them to that."""
    from mi_migrate.core.rules import load_rules
    from mi_migrate.scan import third_party

    named: dict[str, bytes] = {}
    for name, pre in third_party.PREFILTERS.items():  # the static table: building it imports no detect-secrets
        if pre.anchor is not None and name not in third_party.EXCLUDED_PLUGINS:
            named[name] = pre.anchor
    for rule in load_rules():
        for pattern in rule.patterns:
            if pattern.anchor_source is not None:
                named[pattern.anchor_name] = pattern.anchor_source
    return named


def _plugin_literals() -> set[bytes]:
    from mi_migrate.scan import third_party

    return {lit for name, pre in third_party.PREFILTERS.items()
            if name not in third_party.EXCLUDED_PLUGINS and not third_party.anchor_decides(pre)
            for lit in third_party.file_literals(pre)}


class Hits:
    """Which anchors occur in one file. `lit in hits` answers for any lower-case literal; `matched(name)` for the
    plugin regexes."""

    __slots__ = ("_data", "_found", "_known", "_lazy", "_lower", "_names", "_regexes")

    def __init__(self, data: bytes, found: frozenset[bytes], known: frozenset[bytes],
                 regexes: frozenset[str] | dict[str, bool], lazy: _ReFinder | None = None,
                 names: frozenset[str] = frozenset()):
        self._data = data
        self._names = names  # the anchors the native scan looked for: any other one is assumed present
        self._found = found
        self._known = known
        self._regexes = regexes
        self._lazy = lazy  # the `re` engine answers regex anchors on first question, not for every file
        self._lower: bytes | None = None

    def __contains__(self, literal: bytes) -> bool:
        if literal in self._known:
            return literal in self._found
        return literal in self.lower()

    def any(self, literals: Iterable[bytes]) -> bool:
        if isinstance(literals, tuple):  # the rules' and plugins' keyword tuples: one set operation
            in_database, others = _split(literals, self._known)
            return not self._found.isdisjoint(in_database) or any(lit in self.lower() for lit in others)
        return any(lit in self for lit in literals)

    def keyed(self, rules: Sequence[Any]) -> list[Any]:
        """The rules with patterns whose keywords occur here, or that have none (in `rules`' order): the rules
        found by the file's literals through an index, instead of asking about each rule's keywords in turn."""
        always, by_literal, unknown = _keyword_index(rules, self._known)
        picked = set(always)
        for literal in self._found:
            picked.update(by_literal.get(literal, ()))
        picked.update(i for i in unknown if self.any(rules[i].keywords))
        return [rules[i] for i in sorted(picked)]

    def matched(self, name: str) -> bool:
        if self._lazy is None:
            return name in self._regexes or name not in self._names
        regexes = self._regexes
        assert isinstance(regexes, dict)
        if name not in regexes:
            regexes[name] = self._lazy.search(name, self._data)
        return regexes[name]

    def positions(self, expressions: tuple[bytes, ...], data: bytes) -> list[tuple[int, int]] | None:
        """(expression index, end offset) of every match of `expressions` (case-sensitive regexes) in `data`
        (this file's text in some form), in offset order, when the native engine scanned this file; None
        otherwise (the caller then searches itself)."""
        if self._lazy is not None:
            return None
        found: list[tuple[int, int]] = []
        if data:
            # with a line break after the data (HS_END_OF_DATA), ends clipped to it: every caller maps an end to
            # its line, and a match that took the added break ends on the data's last line
            _positions_database(expressions).scan(data + HS_END_OF_DATA, match_event_handler=_note_position,
                                                  context=found)
            size = len(data)
            found = [(index, min(end, size)) for index, end in found]
        found.sort(key=_end_offset)
        return found

    def search(self, expression: bytes, data: bytes) -> bool | None:
        """Whether `expression` (a case-sensitive, multi-line regex) matches anywhere in `data` (this file's text in
        some form), when the native engine scanned this file; None otherwise (the caller then searches itself)."""
        if self._lazy is not None:
            return None
        return native_search(expression, data)

    def signature(self, literals: Iterable[bytes]) -> tuple[frozenset[bytes], frozenset[str]] | None:
        """What every answer about `literals` and the anchors depends on, when the native engine scanned this file
        and its database holds them all (then two files with one signature get the same answers); else None."""
        if self._lazy is not None or not isinstance(self._regexes, frozenset) or not _holds_all(
                self._known, frozenset(literals)):
            return None
        return self._found, self._regexes

    @property
    def exact_anchors(self) -> bool:
        """The anchors were answered by the scan itself (native engine), not by a regex when asked."""
        return self._lazy is None

    def isascii(self) -> bool:
        return self._data.isascii()

    def raw(self) -> bytes:
        """The bytes scanned, as read: what a search whose expression does not depend on case runs on."""
        return self._data

    def lower(self) -> bytes:
        """The lower-cased bytes, made on first use (only files with a candidate need them)."""
        if self._lower is None:
            self._lower = self._data.lower()
        return self._lower

    @property
    def empty(self) -> bool:
        """No literal occurs (regex anchors only ever narrow what a literal allowed)."""
        return not self._found


@functools.lru_cache(maxsize=64)
def _holds_all(known: frozenset[bytes], literals: frozenset[bytes]) -> bool:
    """known ⊇ literals, kept per pair: every file asks it of the same one or two literal sets."""
    return known.issuperset(literals)


_KEYWORD_INDEXES: dict[tuple[int, ...], tuple[tuple[Any, ...], frozenset[bytes], tuple[Any, ...]]] = {}


def _keyword_index(rules: Sequence[Any], known: frozenset[bytes]) -> tuple[
        tuple[int, ...], dict[bytes, tuple[int, ...]], tuple[int, ...]]:
    """For Hits.keyed: (rules with patterns and no keyword, keyword → rules with patterns holding it, rules with a
    keyword the database does not hold), as positions in `rules`; kept per list of rules and database (holding
    the rules keeps their ids from being reused)."""
    key = (id(known), *map(id, rules))
    kept = _KEYWORD_INDEXES.get(key)
    if kept is not None:
        return kept[2]  # type: ignore[no-any-return]
    always: list[int] = []
    by_literal: dict[bytes, list[int]] = {}
    unknown: list[int] = []
    for i, rule in enumerate(rules):
        if not rule.patterns:
            continue
        if not rule.keywords:
            always.append(i)
        elif not isinstance(rule.keywords, tuple) or not known.issuperset(rule.keywords):
            unknown.append(i)
        else:
            for keyword in rule.keywords:
                by_literal.setdefault(keyword, []).append(i)
    index = (tuple(always), {k: tuple(v) for k, v in by_literal.items()}, tuple(unknown))
    if len(_KEYWORD_INDEXES) > 64:
        _KEYWORD_INDEXES.clear()
    _KEYWORD_INDEXES[key] = (tuple(rules), known, index)
    return index


@functools.lru_cache(maxsize=4096)
def _split(literals: tuple[bytes, ...], known: frozenset[bytes]) -> tuple[frozenset[bytes], tuple[bytes, ...]]:
    """A literal tuple as (those the database looks for, the others)."""
    return frozenset(lit for lit in literals if lit in known), tuple(lit for lit in literals if lit not in known)


class _ReFinder:
    def __init__(self, literals: tuple[bytes, ...], regexes: tuple[str, ...]) -> None:
        self.literals = literals
        self.known = frozenset(literals)
        self.sources = {name: anchors()[name] for name in regexes}
        self.regexes: dict[str, re.Pattern[bytes]] = {}  # compiled when first asked (a pre-commit run asks few)

    def search(self, name: str, data: bytes) -> bool:
        regex = self.regexes.get(name)
        if regex is None:
            source = self.sources.get(name)
            if source is None:
                return True
            regex = self.regexes[name] = re.compile(source)
        return regex.search(data) is not None

    def find(self, data: bytes) -> Hits:
        lower = data.lower()
        found = frozenset(lit for lit in self.literals if lit in lower)
        hits = Hits(data, found, self.known, {}, lazy=self)
        hits._lower = lower
        return hits


class _HyperscanFinder:
    def __init__(self, literals: tuple[bytes, ...], regexes: tuple[str, ...]) -> None:
        hyperscan = _native()
        self.literals = literals
        self.known = frozenset(literals)
        self.names = regexes
        self.name_set = frozenset(regexes)
        expressions = [b"".join(b"\\x%02x" % byte for byte in lit) for lit in literals]
        # anchors with one expression (three rules use the 88-character key shape) are compiled as one pattern,
        # reported under each of their names
        sharing: dict[bytes, list[str]] = {}
        for name in regexes:
            sharing.setdefault(anchors()[name], []).append(name)
        self.anchor_names = tuple(tuple(names) for names in sharing.values())
        expressions += list(sharing)
        flags = [hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH] * len(literals)
        flags += [hyperscan.HS_FLAG_SINGLEMATCH] * len(sharing)
        self.db = _compiled(hyperscan, expressions, flags)

    def find(self, data: bytes) -> Hits:
        ids: list[int] = []
        if data:
            self.db.scan(data, match_event_handler=_collect, context=ids)
        count = len(self.literals)
        found = frozenset(self.literals[i] for i in ids if i < count)
        matched = frozenset(name for i in ids if i >= count for name in self.anchor_names[i - count])
        return Hits(data, found, self.known, matched, names=self.name_set)


# What the per-file position scans (Hits.positions) put after the data. Hyperscan (5.4.12, and the wheels back to
# 0.7.30) can miss a match that ends at the very last byte: KeywordDetector's line shape, compiled alone, misses
# `db_pass '<24 or more characters>';` as a file's last line without a line break, and finds it with one after
# (tests/test_engine_anchors.py). The candidate database itself agrees with `re` there (the same tests).
HS_END_OF_DATA = b"\n"


def _compiled(hyperscan: Any, expressions: list[bytes], flags: list[int]) -> Any:
    """The block-mode database of `expressions`, from the cache when these exact expressions were compiled before
    (compiling takes ~0.2 s, and every worker of a scan would pay it); a damaged cache file is compiled afresh."""
    from mi_migrate.core.rules import cache_dir, write_cache_file

    digest = hashlib.sha256(f"{getattr(hyperscan, '__version__', '')}\0{sys.version}\0".encode())
    for expression, flag in zip(expressions, flags, strict=True):
        digest.update(b"%d\0%s\0" % (flag, expression))
    base = cache_dir()
    cache = base / f"candidates-{digest.hexdigest()[:24]}.hsdb" if base is not None else None
    if cache is not None:
        try:
            db = hyperscan.loadb(cache.read_bytes(), mode=hyperscan.HS_MODE_BLOCK)
            db.scratch = hyperscan.Scratch(db)
            return db
        except (OSError, ValueError, TypeError, hyperscan.error):  # damaged or from another build
            pass
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=expressions, ids=list(range(len(expressions))), elements=len(expressions), flags=flags)
    if cache is not None:
        write_cache_file(cache, hyperscan.dumpb(db))
    return db


def _collect(pattern_id: int, start: int, end: int, flags: int, ids: list[int]) -> None:
    ids.append(pattern_id)


@functools.cache
def _positions_database(expressions: tuple[bytes, ...]) -> Any:
    hyperscan = _native()
    return _compiled(hyperscan, list(expressions), [0] * len(expressions))


@functools.cache
def _search_database(expression: bytes) -> Any:
    hyperscan = _native()
    return _compiled(hyperscan, [expression], [hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_MULTILINE])


def native_search(expression: bytes, data: bytes) -> bool | None:
    """Whether `expression` (a case-sensitive, multi-line regex) matches anywhere in `data`, with hyperscan; None
    without it."""
    if _native() is None:
        return None
    found: list[tuple[int, int]] = []
    if data:
        _search_database(expression).scan(data, match_event_handler=_note_position, context=found)
    return bool(found)


def _note_position(pattern_id: int, start: int, end: int, flags: int, found: list[tuple[int, int]]) -> None:
    found.append((pattern_id, end))


def _end_offset(item: tuple[int, int]) -> int:
    return item[1]


@functools.cache
def finder(engine: str = "") -> _ReFinder | _HyperscanFinder:
    """The candidate finder for `engine` ("" = choose()), built once per process."""
    engine = engine or choose()
    literals, regexes = universe()
    if engine == "hyperscan" and _native() is not None:
        # the Python analysis' gate literals too: with them in the database its test is set lookups, where
        # `re` would pay a scan per literal for every file (there they are looked up in Python files only)
        from mi_migrate.core.rules import load_rules
        from mi_migrate.scan.python.analysis import gate_literals

        extra = gate_literals(load_rules()).difference(literals)
        return _HyperscanFinder(literals + tuple(sorted(extra)), regexes)
    return _ReFinder(literals, regexes)


def find(data: bytes, engine: str = "") -> Hits:
    return finder(engine or choose()).find(data)


@functools.cache
def rule_finder(engine: str = "") -> _ReFinder | _HyperscanFinder:
    """A finder of the shipped text rules' keywords and pattern anchors only: what a rule needs to match, asked of
    decoded text and of the windows around values (reveals, scanner.scan_value). Without the detect-secrets
    plugins' anchors (keyword-then-quoted-run expressions) its database scans ~3x faster."""
    from mi_migrate.core.rules import load_rules

    engine = engine or choose()
    rules = load_rules()
    # the line literals too: then reveals() reads every answer from the scan (Hits.signature)
    literals = tuple(sorted(lit for lit in _text_literals(rules) if lit and lit == lit.lower()))
    names = tuple(pattern.anchor_name for rule in rules for pattern in rule.patterns
                  if pattern.anchor_source is not None)
    if engine == "hyperscan" and _native() is not None:
        return _HyperscanFinder(literals, names)
    return _ReFinder(literals, names)


def find_for_rules(data: bytes, engine: str = "") -> Hits:
    """find() for questions about the text rules alone (rule_finder)."""
    return rule_finder(engine or choose()).find(data)


@dataclass(frozen=True)
class Plan:
    """What can find anything in one file, decided from its candidates."""

    text_rules: tuple  # mi_migrate.core.rules.Rule, the text rules whose keywords occur
    python: bool = False
    iac: bool = False
    plugins: frozenset[str] = frozenset()  # detect-secrets plugins whose prefilter the file passes
    structured: bool = False  # a structured parse may add findings even with no text rule (see filetypes)
    # the text rules whose keywords occur, anchors aside: decoding a value (escapes, folded or joined strings)
    # can reveal a key whose shape the raw bytes do not show, so the structured parse decides on these
    keyword_rules: tuple = ()

    @property
    def nothing(self) -> bool:
        return not (self.text_rules or self.python or self.iac or self.plugins or self.structured)


def json_decoding_reveals(text: str, rules: Iterable, engine: str = "") -> bool:
    """Whether some text rule has its keyword and a pattern's anchor in the JSON file with every escape decoded.

    When the raw bytes give no text rule and the line scan found nothing, only escaped strings can give a finding
    (a string without escapes is the raw text, which the line scan read), and a finding there needs its rule's
    keyword and anchor in the decoded text: neither holds a backslash, so a match reaching from raw text into a
    decoded value is in this decoding too. Not lower-cased: some anchors are case-sensitive."""
    from mi_migrate.scan.structured.values import JSON_ESCAPES, decode_text

    return reveals(decode_text(text, JSON_ESCAPES), rules, engine)


def yaml_decoding_reveals(text: str, rules: Iterable, engine: str = "") -> bool:
    """json_decoding_reveals for a YAML file: a value that is not its raw text (escapes, a line continuation,
    folded or block lines, a wrapped value with its breaks removed) can only give a finding where some rule has
    its keyword and anchor in the file with every escape decoded, and with every line break folded to a space
    or removed. The raw text is tried with them (a keyword in an escaped context the window keeps raw)."""
    from mi_migrate.scan.structured.values import YAML_ESCAPES, decode_text

    decoded = decode_text(text, YAML_ESCAPES)  # the text itself when it holds no backslash: not tried twice
    lines = [line.strip(" \t\r") for line in decoded.split("\n")]  # folding drops the spaces around a break
    tried = (text, " ".join(lines), "".join(lines)) if decoded is text else (text, decoded, " ".join(lines),
                                                                             "".join(lines))
    return reveals("\n".join(tried), rules, engine)


# Adjacent strings of a JSON array (`"line 1\n", "line 2"`): a notebook joins them into one value.
_ARRAY_JOINT = re.compile(r'"\s*,\s*"')


def notebook_decoding_reveals(text: str, joined: str, rules: Iterable, engine: str = "") -> bool:
    """json_decoding_reveals for a notebook, whose sources and outputs are arrays of strings joined into one
    value: the decoding is also tried with every array's strings run together (`joined`, from notebook_decoded),
    so a match across two pieces is seen as well."""
    return json_decoding_reveals(text, rules, engine) or reveals(joined, rules, engine)


def notebook_decoded(text: str) -> str:
    """A notebook's text with every array's strings run together and every escape decoded: each cell source as
    the Python analysis and the joined-literal check read it, in one string."""
    from mi_migrate.scan.structured.values import JSON_ESCAPES, decode_text

    return decode_text(_ARRAY_JOINT.sub("", text), JSON_ESCAPES)


def reveals(decoded_text: str, rules: Iterable, engine: str = "") -> bool:
    """Whether some text rule has its keyword, and a pattern its anchor and one of its line literals, in the text:
    what any finding needs."""
    hits = find_for_rules(decoded_text.encode("utf-8", "surrogatepass"), engine)
    # a `line_literals` pattern runs only on lines holding one (engine.literal_lines), in any case `(?i)` allows:
    # the byte test below sees every such spelling unless one of the four letters `re` folds to ASCII occurs
    literals_decide = not any(char in decoded_text for char in FOLDS_TO_ASCII)
    listed = rules if isinstance(rules, (list, tuple)) else list(rules)
    # the answer depends on the text only through which keywords, line literals and anchors it holds: a YAML
    # recording asks it of thousands of pieces with the same few, and the answer is read back
    signature = hits.signature(_asked_of_text(listed))
    key = (signature, literals_decide, id(listed)) if signature is not None else None
    kept = _REVEALED.recall(key, listed) if key is not None else None
    if kept is not None:
        return kept  # type: ignore[no-any-return]
    answer = any(any((not p.anchor_name or hits.matched(p.anchor_name))
                     and (not literals_decide or _line_literal_occurs(p, hits)) for p in rule.patterns)
                 for rule in hits.keyed(listed))
    if key is not None:
        _REVEALED.keep_for(key, listed, answer)
    return answer


_REVEALED = Memory(4096)  # (candidate signature, folds decide, id(rules)) → reveals()' answer
_ASKED_OF_TEXT = Memory(64)  # id(rules) → the literals reveals() asks about


def _asked_of_text(rules: Sequence[Any]) -> frozenset[bytes]:
    """The keywords and line literals reveals() asks of a text for `rules`."""
    return _ASKED_OF_TEXT.per_owner(rules, _text_literals)  # type: ignore[no-any-return]


def _text_literals(rules: Iterable[Any]) -> frozenset[bytes]:
    """The rules' keywords (lower-case) and their patterns' line literals."""
    return frozenset({keyword for rule in rules for keyword in rule.keywords}
                     | {literal for rule in rules for p in rule.patterns for literal in _line_literals(p)})


def _line_literal_occurs(pattern: Any, hits: Hits) -> bool:
    literals = _line_literals(pattern)
    return not literals or hits.any(literals)


def _line_literals(pattern: Any) -> tuple[bytes, ...]:
    """A pattern's `line_literals` option, encoded (engine.literal_lines runs it only on lines holding one)."""
    return _encoded(tuple(pattern.options.get("line_literals") or ()))


@functools.lru_cache(maxsize=256)
def _encoded(literals: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(literal.encode() for literal in literals)
