"""Text scanning: keyword prefilter over bytes, then rule regexes, then validators.

The prefilter is what makes the scan fast: most files contain none of the keywords, and the regexes of a rule
run only on files where one of its keywords occurs. Inside such a file a pattern with a `shape` or
`line_literals` option runs only on the spans that can hold a match (shape_lines, run_spans, literal_lines):
Python's `re` would otherwise try every position of a large file.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Protocol

from mi_migrate.core.finding import Finding, Kind, Severity, Span
from mi_migrate.core.redact import redact, secret_hash
from mi_migrate.core.rules import Pattern, Rule
from mi_migrate.scan import validators
from mi_migrate.scan.memory import Memory
from mi_migrate.scan.validators.keys import LOCK_FILE


class AnchorHits(Protocol):
    """A file's candidates (mi_migrate.scan.candidates.Hits), as far as the line scan asks them."""

    def matched(self, name: str) -> bool: ...


# A real file holds a handful of credentials; thousands of anchors for one pattern mean generated or adversarial
# content, where validating every one would cost seconds. Past this many, the rest of the file is not validated.
MAX_MATCHES_PER_PATTERN = 1000


class LineIndex:
    """Offset → (line, column) in O(log n); columns are 1-based characters. Made from a text, the line starts are
    found on first use: most files with a candidate have no finding, and never ask."""

    __slots__ = ("_starts", "_text")

    def __init__(self, starts: Sequence[int] | None = None, *, text: str = "") -> None:
        self._starts = tuple(starts) if starts is not None else None
        self._text = text

    @classmethod
    def of(cls, text: str) -> LineIndex:
        return cls(text=text)

    @property
    def starts(self) -> tuple[int, ...]:
        if self._starts is None:
            self._starts = (0, *(match.end() for match in _NEWLINE.finditer(self._text)))
            self._text = ""
        return self._starts

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def span(self, start: int, end: int) -> Span:
        line, column = self.position(start)
        end_line, end_column = self.position(max(start, end))
        return Span(line, column, end_line, end_column)


_NEWLINE = re.compile("\n")


def rules_for(data_lower: bytes, rules: Sequence[Rule]) -> list[Rule]:
    """The text rules whose keywords occur in the (lower-cased) file bytes, in their order. A tuple of rules (the
    active rules, the Azure rules a plugin line is checked against) is answered through its keyword index: one
    test per distinct keyword instead of one loop per rule, for every line a plugin reports on."""
    if isinstance(rules, tuple):
        always, by_keyword = _keyword_index(rules)
        picked = set(always)
        for keyword, indexes in by_keyword:
            if keyword in data_lower:
                picked.update(indexes)
        return [rules[index] for index in sorted(picked)]
    hits = []
    for rule in rules:
        if not rule.patterns:
            continue
        if not rule.keywords or any(keyword in data_lower for keyword in rule.keywords):
            hits.append(rule)
    return hits


_KeywordIndex = tuple[tuple[int, ...], tuple[tuple[bytes, tuple[int, ...]], ...]]
_KEYWORD_INDEXES: dict[int, tuple[tuple[Rule, ...], _KeywordIndex]] = {}


def _keyword_index(rules: tuple[Rule, ...]) -> _KeywordIndex:
    """(rules with patterns and no keyword, each distinct keyword with the rules with patterns holding it), as
    positions in `rules`; kept per tuple (holding the tuple keeps its id from being reused)."""
    kept = _KEYWORD_INDEXES.get(id(rules))
    if kept is not None and kept[0] is rules:
        return kept[1]
    by_keyword: dict[bytes, list[int]] = {}
    always = []
    for index, rule in enumerate(rules):
        if not rule.patterns:
            continue
        if not rule.keywords:
            always.append(index)
        for keyword in rule.keywords:
            by_keyword.setdefault(keyword, []).append(index)
    made = (tuple(always), tuple((keyword, tuple(indexes)) for keyword, indexes in by_keyword.items()))
    if len(_KEYWORD_INDEXES) > 64:
        _KEYWORD_INDEXES.clear()
    _KEYWORD_INDEXES[id(rules)] = (rules, made)
    return made


# shape → (base64 characters before the padding, the padding): every 64-byte key ends `==` after 86 characters,
# every 32-byte key `=` after 43
_SHAPES = {"b64_88": (86, "=="), "b64_44": (43, "=")}
_BASE64_RUNS = {width: re.compile(rf"[A-Za-z0-9+/]{{{width}}}") for width, _ in _SHAPES.values()}


def shape_lines(text: str, shape: str) -> list[tuple[int, int]]:
    """(start, end) of every line holding the shape: found by searching for the padding (fast) and checking the
    characters before it, instead of letting the regex engine try every position of the file."""
    width, padding = _SHAPES[shape]
    run = _BASE64_RUNS[width]
    find, rfind = text.find, text.rfind
    lines: list[tuple[int, int]] = []
    pos = find(padding)
    while pos != -1:
        if pos >= width and run.fullmatch(text, pos - width, pos):
            end = find("\n", pos)
            end = len(text) if end == -1 else end
            lines.append((rfind("\n", 0, pos) + 1, end))
            pos = end
        pos = find(padding, pos + len(padding))
    return lines


def _class_table(members: bytes) -> bytes:
    return bytes(0x68 if byte in members else 0x2E for byte in range(256))  # member → "h", else "."


_DIGITS, _LOWER, _UPPER = b"0123456789", b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# shape → (translation marking the run's character class, run length): a match needs that many in a row
_RUNS = {
    "hex_32": (_class_table(_DIGITS + b"abcdef"), 32),
    "alnum_52": (_class_table(_DIGITS + _LOWER + _UPPER), 52),
    "b32_52": (_class_table(_LOWER + b"234567"), 52),
}


def run_spans(text: str, shape: str) -> list[tuple[int, int]]:
    """(start, end) around every maximal run of exactly the shape's width of its character class, plus the
    character after it (a run pattern's lookahead reads it; its lookbehind reads before `start` anyway). A run
    pattern matches nothing but such a run (its lookarounds refuse a neighbour of the class:
    tests/test_engine_anchors.py), so these spans hold all its matches however long the line, and the longer runs
    of lock-file hashes and minified code are passed over. The bytes are mapped to "member or not" in one C-level
    pass and the runs found by one substring search, fenced by non-members; UTF-8 bytes outside ASCII are never
    members, so only the offsets before a run need mapping back to characters."""
    table, width = _RUNS[shape]
    data = text.encode("utf-8", "surrogatepass")
    marks = b"." + data.translate(table) + b"."  # fenced: a run at either end of the text is still found
    needle = b"." + b"h" * width + b"."
    same = len(data) == len(text)  # ASCII: byte offsets are character offsets
    spans: list[tuple[int, int]] = []
    chars = consumed = 0  # for non-ASCII text: characters in data[:consumed]
    pos = marks.find(needle)
    while pos != -1:
        start, end = pos, pos + width  # in data: marks[pos] is the fence before the run
        span_start, span_end = start, end
        if not same:  # the run is ASCII: only its start needs counting in characters
            chars += len(data[consumed:start].decode("utf-8", "surrogatepass"))
            span_start, span_end = chars, chars + width
            chars, consumed = span_end, end
        spans.append((span_start, span_end + 1))
        pos = marks.find(needle, end + 1)  # the fence after this run may open the next
    return spans


def literal_lines(text: str, lowered: str, literals: Sequence[str]) -> list[tuple[int, int]] | None:
    """(start, end) of every line holding one of the lower-case literals, in order; None when lower-casing
    changed the text's length (offsets would not line up: the caller runs on the whole text). A pattern with
    `line_literals` matches within one line and only where one of them occurs (`(?i)`: any case), so running it
    on these lines alone finds the same matches (tests/test_engine_anchors.py)."""
    if len(lowered) != len(text):
        return None
    if not lowered.isascii():  # the two letters (?i) matches to ASCII ones that lower() leaves alone
        lowered = lowered.replace("\u0131", "i").replace("\u017f", "s")
    starts: set[int] = set()
    for literal in literals:
        pos = lowered.find(literal)
        while pos != -1:
            start = lowered.rfind("\n", 0, pos) + 1
            starts.add(start)
            end = lowered.find("\n", pos)
            if end == -1:
                break
            pos = lowered.find(literal, end)
    lines = []
    for start in sorted(starts):
        end = text.find("\n", start)
        lines.append((start, len(text) if end == -1 else end))
    return lines


# (regex, the character before a span, the span's text) where the regex found nothing: the versions of a file
# in history, and the recordings of a test suite, share most of their candidate lines
_NO_MATCH = Memory(16 << 20)


def _matches(pattern: Pattern, text: str, lines: list[tuple[int, int]] | None) -> Iterator[re.Match[str]]:
    """The pattern's matches in order; with `lines`, only within those lines. A shape pattern never crosses a
    line and uses no `$` (tests/test_engine_anchors.py checks), so these are exactly the matches of the file.

    Within a span a match depends on the span's text and, through a lookbehind, on what precedes it; every
    rule's lookbehind reads one character (tests/test_engine_anchors.py), so a span seen before with the same
    character before it is known to hold no match."""
    regex = pattern.regex
    if lines is None:
        yield from regex.finditer(text)
        return
    for start, end in lines:
        key = (regex, text[start - 1 : start], text[start:end])  # start 0: "" (a `^` matches there only)
        if key in _NO_MATCH:
            continue
        found = False
        for match in regex.finditer(text, start, end):
            found = True
            yield match
        if not found:
            _NO_MATCH.keep(key, True, end - start)


def _file_gates(pattern: Pattern) -> list[re.Pattern[str]]:
    """Paths where the pattern is not run: where its validator rejects every match (validators.FILE_GATES), and
    lock files for a bare digest shape (`lock_files = false`: there such a run is a package hash)."""
    gates = [LOCK_FILE] if pattern.options.get("lock_files") is False else []
    gate = validators.file_gate(pattern.validator) if pattern.validator else None
    if gate is not None:
        gates.append(gate)
    return gates


def scan_text(
    path: str, text: str, rules: Iterable[Rule], index: LineIndex | None = None, base_offset: int = 0,
    hits: AnchorHits | None = None,
) -> list[Finding]:
    """Run the given rules' patterns over `text`; `index`/`base_offset` map offsets when text is a slice.
    `hits` (the file's candidates) skips the patterns whose value-shaped anchor does not occur."""
    index = index or LineIndex.of(text)
    findings: list[Finding] = []
    shapes: dict[str, list[tuple[int, int]]] = {}
    lowered: str | None = None
    for rule in rules:
        for pattern in rule.patterns:
            if hits is not None and pattern.anchor_name and not hits.matched(pattern.anchor_name):
                continue
            if any(gate.search(path) for gate in _file_gates(pattern)):
                continue
            shape = pattern.options.get("shape")
            lines = None
            literals = pattern.options.get("line_literals")
            if literals:  # the pattern matches within one line that holds one of these (lower-case) literals
                key = "literals:" + "\0".join(literals)
                if key not in shapes:
                    if lowered is None:
                        lowered = text.lower()
                    found = literal_lines(text, lowered, literals)
                    shapes[key] = found if found is not None else [(0, len(text))]
                lines = shapes[key]
                if not lines:
                    continue
            elif shape in _SHAPES or shape in _RUNS:
                if shape not in shapes:
                    shapes[shape] = shape_lines(text, shape) if shape in _SHAPES else run_spans(text, shape)
                lines = shapes[shape]
                if not lines:
                    continue
            validator = validators.get(pattern.validator) if pattern.validator else None
            for seen, match in enumerate(_matches(pattern, text, lines)):
                if seen >= MAX_MATCHES_PER_PATTERN:
                    break
                if validator is None:
                    group = "secret" if "secret" in pattern.regex.groupindex else 0
                    if match.group(group) is None:
                        continue
                    verdict = validators.Verdict(match.group(group), match.start(group), match.end(group))
                else:
                    verdict = validator(validators.MatchContext(text, match, pattern.options, path))
                    if verdict is None:
                        continue
                findings.append(
                    Finding(
                        rule_id=rule.id,
                        rule_name=rule.name,
                        path=path,
                        span=index.span(base_offset + verdict.start, base_offset + verdict.end),
                        severity=Severity.parse(verdict.severity) if verdict.severity else rule.severity,
                        kind=rule.kind,
                        service=verdict.fields.get("service", rule.service),
                        message=verdict.message or rule.title,
                        evidence=redact(verdict.secret) if verdict.secret else "",
                        secret_hash=secret_hash(verdict.secret) if verdict.secret else None,
                        fields={k: v for k, v in verdict.fields.items() if k != "service"},
                    )
                )
    return deduplicate(findings, {rule.id: rule.priority for rule in rules})


def deduplicate(findings: list[Finding], priority: dict[str, int]) -> list[Finding]:
    """One finding per secret occurrence: when rules overlap on the same value, the most specific one wins."""
    best: dict[tuple[object, ...], Finding] = {}
    for finding in findings:
        key: tuple[object, ...]
        if finding.secret_hash:
            key = (finding.secret_hash, finding.span.line)
        else:
            key = (finding.rule_id, finding.span)
        current = best.get(key)
        if current is None:
            best[key] = finding
            continue
        rank, current_rank = priority.get(finding.rule_id, 50), priority.get(current.rule_id, 50)
        # on a tie the structured finding (it names the setting) wins; the loser's key path is kept either way
        winner, loser = (
            (finding, current)
            if rank < current_rank or (rank == current_rank and finding.key_path and not current.key_path)
            else (current, finding)
        )
        if loser.key_path and not winner.key_path:
            winner = replace(winner, key_path=loser.key_path, fields={**loser.fields, **winner.fields})
        best[key] = winner
    kept = sorted(best.values(), key=lambda f: (f.span.line, f.span.column, f.rule_id))
    return _yield_to_azure(kept)


def _yield_to_azure(findings: list[Finding]) -> list[Finding]:
    """Without the third-party findings that overlap an Azure secret finding: the same occurrence, seen raw by a
    plugin and decoded by the structured scan (`"…\\/…"` in JSON; the two secrets differ by the escape). The
    line scan keeps plugins off Azure findings' columns itself (third_party._azure_spans)."""
    owned = [(f.span.line, f.span.column, f.span.end_line, f.span.end_column) for f in findings
             if f.secret_hash and f.kind is not Kind.THIRD_PARTY_SECRET]
    if not owned or all(f.kind is not Kind.THIRD_PARTY_SECRET for f in findings):
        return findings
    return [f for f in findings if f.kind is not Kind.THIRD_PARTY_SECRET or not any(
        (f.span.line, f.span.column) < (end_line, end_column) and (line, column) < (f.span.end_line, f.span.end_column)
        for line, column, end_line, end_column in owned)]
