"""Run the Azure text rules on decoded values and map every span back to the exact file position.

Each value is scanned inside a window: the raw file text before it (the key name and the lines around give the
rules their context, as in the line scan), the decoded value, and the raw text after it. Only findings that start
inside the value are kept; the rest belong to the line scan or to another value.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import replace

from mi_migrate.core.finding import Finding, Span
from mi_migrate.core.rules import Rule
from mi_migrate.scan import engine
from mi_migrate.scan.engine import LineIndex
from mi_migrate.scan.memory import Memory
from mi_migrate.scan.structured.values import Value

CONTEXT = 200  # characters of raw file text on each side of a value (the rules look at most this far)
MIN_VALUE = 8  # no Azure credential is shorter


class WindowIndex(LineIndex):
    """A LineIndex for a synthetic window: maps window offsets to file offsets before computing positions."""

    __slots__ = ("prefix_len", "prefix_start", "value")

    def __init__(self, starts: Sequence[int], value: Value, prefix_start: int = 0, prefix_len: int = 0) -> None:
        super().__init__(starts)
        self.value = value
        self.prefix_start = prefix_start  # file offset of window[0]
        self.prefix_len = prefix_len

    def to_file(self, offset: int) -> int:
        assert self.value is not None
        if offset < self.prefix_len:
            return self.prefix_start + offset
        inner = offset - self.prefix_len
        if inner < len(self.value.text):
            return self.value.file_offset(inner)
        return self.value.end + max(0, inner - len(self.value.text) - 1)  # past the inserted line break

    def in_value(self, offset: int) -> bool:
        assert self.value is not None
        return self.prefix_len <= offset < self.prefix_len + len(self.value.text)

    def span(self, start: int, end: int) -> Span:
        assert self.value is not None
        if self.value.encoding and self.in_value(start):
            return super().span(self.value.start, self.value.end)
        first = self.to_file(start)
        last = self.to_file(end - 1) + 1 if end > start else first
        return super().span(first, max(first, last))


_VALUE_ENDS = ("", "\n", "\r", '"', "'", "<", "`")  # after a value, nothing the line scan would read as more of it


def needs_scan(text: str, value: Value) -> bool:
    """Whether the rules must see the decoded value: it differs from the raw text (escapes, folding, base64,
    joined pieces), or raw text the line scan would read as part of it follows on the same line (`# comment`).
    Otherwise the line scan has already seen exactly this text, and its findings only need the key path."""
    if value.offsets is not None or value.encoding or value.context:
        return True
    return text[value.end : value.end + 1] not in _VALUE_ENDS


class ValueGate:
    """For a parser that can pass over values: which of them scan_values or tag() could use. A value that is its
    raw text is used when text the line scan reads as more of it follows (needs_scan) or a finding of the line
    scan starts inside it; a decoded one when such a finding starts inside it, or when its windows hold some
    rule's keyword and anchor (the rules' necessary condition, tested in one candidate scan)."""

    def __init__(self, text: str, known: Iterable[Finding], index: LineIndex, rules: Sequence[Rule],
                 candidate_engine: str = "") -> None:
        self.text = text
        self.context = CONTEXT
        self.rules = _with_patterns(rules)
        self.engine = candidate_engine
        self.offsets = sorted(index.starts[f.span.line - 1] + f.span.column - 1 for f in known
                              if not f.key_path and f.span.line <= len(index.starts))

    def holds_known(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.offsets, start)
        return i < len(self.offsets) and self.offsets[i] < end

    def raw(self, start: int, end: int) -> bool:
        return self.text[end : end + 1] not in _VALUE_ENDS or self.holds_known(start, end)

    def windows_reveal(self, windows: Iterable[str]) -> bool:
        """`windows`: texts holding every window scan_value could read for the value (before, decoded text,
        after); neither a keyword nor an anchor reaches across a line break, so they are tried together."""
        from mi_migrate.scan import candidates

        return candidates.reveals("\n".join(windows), self.rules, self.engine)

    def decodings_reveal(self, start: int, end: int) -> bool:
        """Whether any value inside text[start:end] of a YAML file could give a finding: the windows of its values
        lie within `context` of the piece, so some rule needs its keyword and anchor there, in the raw text or a
        decoding of it (candidates.yaml_decoding_reveals)."""
        from mi_migrate.scan import candidates

        region = self.text[max(0, start - self.context) : end + self.context]
        return candidates.yaml_decoding_reveals(region, self.rules, self.engine)


_WITH_PATTERNS = Memory(64)  # id(rules) → the rules with patterns: one tuple per rule list, so answers about it
# are kept across files (candidates.reveals)


def _with_patterns(rules: Sequence[Rule]) -> tuple[Rule, ...]:
    return _WITH_PATTERNS.per_owner(  # type: ignore[no-any-return]
        rules, lambda rules: tuple(rule for rule in rules if rule.patterns))


def scan_values(
    rel_path: str, text: str, values: Iterable[Value], rules: Sequence[Rule], index: LineIndex,
    candidate_engine: str = "",
) -> list[Finding]:
    """Findings of the Azure text rules inside the values that need it, with their key paths."""
    findings: list[Finding] = []
    for value in values:
        if len(value.text) >= MIN_VALUE and needs_scan(text, value):
            findings.extend(scan_value(rel_path, text, value, rules, index, candidate_engine))
    return findings


def tag(known: Iterable[Finding], values: Sequence[Value], index: LineIndex) -> list[Finding]:
    """Copies of the line scan's findings that start inside a value, with its key path (de-duplication keeps
    one finding per secret and prefers the copy)."""
    plain = sorted((v for v in values if not v.encoding), key=lambda v: v.start)
    starts = [v.start for v in plain]
    tagged: list[Finding] = []
    for finding in known:
        if finding.key_path or finding.span.line > len(index.starts):
            continue
        offset = index.starts[finding.span.line - 1] + finding.span.column - 1
        i = bisect.bisect_right(starts, offset) - 1
        while i >= 0 and plain[i].start <= offset:
            if offset < plain[i].end:
                value = plain[i]
                tagged.append(replace(finding, key_path=value.key_path, fields={**finding.fields, **value.fields}))
                break
            i -= 1
            if i >= 0 and offset - plain[i].start > 1_000_000:
                break
    return tagged


def scan_value(rel_path: str, text: str, value: Value, rules: Sequence[Rule], index: LineIndex,
               candidate_engine: str = "") -> list[Finding]:
    before_start = max(0, value.start - CONTEXT)
    before = text[before_start : value.start]
    if value.context:  # `<add key="StorageAccountKey" value="…">`: the rules read `StorageAccountKey: …`
        before, before_start = value.context, max(0, value.start - len(value.context))
    after = text[value.end : value.end + CONTEXT]
    window = before + value.text + "\n" + after  # the value ends here, whatever the raw text goes on with
    hits = None
    if candidate_engine == "hyperscan":  # one database scan instead of a loop over every rule's keywords
        from mi_migrate.scan import candidates

        # the window as written (anchors can be case-sensitive; the keyword literals are caseless): a pattern
        # whose anchor is not in it is not run
        hits = candidates.find_for_rules(window.encode("utf-8", "surrogatepass"), candidate_engine)
        active = hits.keyed(rules)
    else:
        active = engine.rules_for(window.lower().encode("utf-8", "replace"), rules)
    if not active:
        return []
    mapped = WindowIndex(index.starts, value=value, prefix_start=before_start, prefix_len=len(before))
    first = index.position(value.start)
    last = index.position(value.end)
    kept: list[Finding] = []
    for finding in engine.scan_text(rel_path, window, active, mapped, hits=hits):
        position = (finding.span.line, finding.span.column)
        if not first <= position < last and not (value.encoding and position == first):
            continue  # starts outside the value: the line scan (or another value) owns it
        fields = {**finding.fields, **value.fields}
        if value.encoding:
            fields["encoding"] = f"{value.encoding}-decoded"
        if value.line_field:
            fields[value.line_field] = str(line_in_value(value.within or value, index, finding.span))
        kept.append(replace(finding, key_path=value.key_path, fields=fields))
    return kept


def line_in_value(value: Value, index: LineIndex, span: Span) -> int:
    """1-based line of a finding inside the decoded value (a notebook cell), from its file position."""
    target = (span.line, span.column)
    line = 1
    for i, char in enumerate(value.text):
        if char == "\n" and i + 1 < len(value.text):
            if index.position(value.file_offset(i + 1)) > target:
                break
            line += 1
    return line
