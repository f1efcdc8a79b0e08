"""Candidate lines for the detect-secrets plugins: the lines where a plugin's prefilter (PREFILTERS) holds, so its
own analyze_line runs there and nowhere else.

The lines holding a prefilter's literals come from the native engine (Candidates.positions) by an expression
that ends at the end of a line, so each such line is reported once however many literals it holds; otherwise
from str.find over the lower-cased text. Runs of the secret's alphabet are found with bytes.translate over an
ASCII copy: on the literal lines when there are literals (runs are common: ids, hashes, recorded bodies)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from mi_migrate.scan.plugin_prefilters import FOLDS_TO_ASCII, RUN_CLASSES, Prefilter, byte_class

if TYPE_CHECKING:
    from mi_migrate.scan.candidate_types import Positions

# Lines found so far in one file's text, by (literals, case-sensitive) or by native expression: plugins with the
# same literals (the entropy plugins' secret words) share them.
LineMemo = dict[object, dict[int, int]]


@functools.cache
def run_table(cls: str) -> bytes:
    """bytes.translate table: the class's characters become 1, everything else 0."""
    return bytes(1 if chr(i) in RUN_CLASSES[cls] else 0 for i in range(256))


def _hex(text: str) -> bytes:
    return b"".join(b"\\x%02x" % ord(char) for char in text)


@functools.cache
def literal_expression(literals: tuple[str, ...], case_sensitive: bool) -> bytes | None:
    """An expression ending at the end of each line that holds one of `literals`, on the text with every
    non-ASCII character as "?" (where `literal in line.lower()` and a caseless match agree when lower-casing
    keeps the text's length and no KELVIN SIGN is in it); None for literals that are not plain ASCII."""
    if not literals or not all(lit.isascii() and "?" not in lit for lit in literals):
        return None
    body = b"|".join(_hex(lit) for lit in literals)
    return b"(?m)" + (b"(?:" if case_sensitive else b"(?i:") + body + rb")[^\n]*$"


@functools.cache
def quoted_run_expression(charset: str, n: int) -> bytes:
    """An expression ending at the end of each line where a quote is followed by n characters of `charset`."""
    return b"(?m)['\"]" + byte_class(charset) + b"{%d}[^\\n]*$" % n


def _native_lines(positions: Positions, ascii_text: bytes, expressions: tuple[bytes, ...],
                  memo: LineMemo) -> list[dict[int, int]] | None:
    """Start → end of the lines each expression reports, from one native scan for those not in `memo`."""
    missing = tuple(expression for expression in expressions if expression not in memo)
    if missing:
        found = positions(missing, ascii_text)
        if found is None:
            return None
        lines: list[dict[int, int]] = [{} for _ in missing]
        for index, end in found:
            lines[index][ascii_text.rfind(b"\n", 0, end) + 1] = end
        memo.update(zip(missing, lines, strict=True))
    return [memo[expression] for expression in expressions]


def candidate_starts(text: str, lowered: str, ascii_text: bytes, pre: Prefilter, exact_lower: bool,
                     memo: LineMemo | None = None, positions: Positions | None = None,
                     caseless_ascii: bool = False, quoted: str = "") -> set[int]:
    """Offsets of the starts of lines where the prefilter's run or literals occur; with both (the entropy
    plugins), lines holding the run and one of the literals, when `lowered` is exactly text.lower() (then a line
    has a literal here iff _scan_line's own test finds it). `memo`: the lines found so far in this text.
    `positions`: the native engine's matcher, used for the literal lines when `caseless_ascii` (lower-casing keeps
    the length and no KELVIN SIGN is in the text: a caseless ASCII match is then a match in the lower-cased text).
    `quoted`: a charset (the entropy plugins' outside config files, where they read only quoted values): a line
    counts only if a quote is followed by n characters of it too, as any value they could report is; the native
    engine then starts from those lines, fewer than the lines with a run or a secret word."""
    memo = {} if memo is None else memo
    words = literal_expression(pre.literals, pre.case_sensitive) if pre.literals else None
    native = positions if positions is not None and caseless_ascii and words is not None else None
    if native is not None and pre.line_shape and exact_lower and not any(char in text for char in FOLDS_TO_ASCII):
        found = native((pre.line_shape,), ascii_text)
        if found is not None:  # the lines the plugin's own regex can match on, of those with a word and a run
            return _holding(text, lowered, ascii_text, pre, _match_lines(text, found))
    if native is not None and quoted and pre.run and exact_lower:
        found_lines = _native_lines(native, ascii_text, (quoted_run_expression(quoted, pre.run[1]),), memo)
        if found_lines is not None:
            return _holding(text, lowered, ascii_text, pre, found_lines[0])
    haystack = text if pre.case_sensitive else lowered

    def lines() -> dict[int, int]:
        if native is not None:
            found = _native_lines(native, ascii_text, (words,), memo)  # type: ignore[arg-type]
            if found is not None:
                return found[0]
        key = (pre.literals, pre.case_sensitive)
        if key not in memo:
            memo[key] = literal_lines(haystack, pre.literals)
        return memo[key]

    if not pre.run:
        return set(lines())
    cls, n = pre.run
    mapped, needle = ascii_text.translate(run_table(cls)), b"\1" * n
    pos = mapped.find(needle)
    if pos == -1:
        return set()
    if pre.literals and exact_lower:  # runs are common (ids, hashes), secret words rarer: words first
        return {start for start, end in lines().items() if mapped.find(needle, start, end) != -1}
    starts: set[int] = set()
    while pos != -1:  # a run never crosses a line break (no class holds one)
        starts.add(text.rfind("\n", 0, pos) + 1)
        end = text.find("\n", pos)
        pos = -1 if end == -1 else mapped.find(needle, end + 1)
    return starts


def _match_lines(text: str, found: Iterable[tuple[int, int]]) -> set[int]:
    """Starts of the lines holding the last character of each match (index, end offset)."""
    return {text.rfind("\n", 0, end - 1) + 1 for _, end in found}


def _holding(text: str, lowered: str, ascii_text: bytes, pre: Prefilter, starts: Iterable[int]) -> set[int]:
    """Of the lines starting at `starts`, those holding one of the prefilter's literals (with any) and its run
    (with one)."""
    haystack = text if pre.case_sensitive else lowered
    mapped, needle = (ascii_text.translate(run_table(pre.run[0])), b"\1" * pre.run[1]) if pre.run else (b"", b"")
    kept = set()
    for start in starts:
        end = text.find("\n", start)
        end = len(text) if end == -1 else end
        if (not pre.run or mapped.find(needle, start, end) != -1) and (not pre.literals or any(
                haystack.find(literal, start, end) != -1 for literal in pre.literals)):
            kept.add(start)
    return kept


def literal_lines(haystack: str, literals: Iterable[str]) -> dict[int, int]:
    """Start → end (the line break's offset, or the text's end) of every line holding one of `literals`."""
    found: dict[int, int] = {}
    for literal in literals:
        pos = haystack.find(literal)
        while pos != -1:
            start = haystack.rfind("\n", 0, pos) + 1
            end = haystack.find("\n", pos)
            end = len(haystack) if end == -1 else end
            found[start] = end
            pos = haystack.find(literal, end + 1)
    return found


def gated_starts(text: str, lowered: str, ascii_text: bytes, pre: Prefilter, gate: re.Pattern[str],
                 positions: Positions | None) -> set[int]:
    """Starts of the lines of `text` where `gate` (a detector's line test on the lower-cased line) matches: by
    the native engine with the prefilter's `line_words` (the same words, every non-ASCII character a "?"), else
    a search of the lines holding one of its literals. `lowered` is exactly text.lower(). With a `line_shape`,
    the native engine gives only the lines it matches: a subset where the plugin's regexes can match at all."""
    if positions and pre.line_shape and not any(char in text for char in FOLDS_TO_ASCII):
        found = positions((pre.line_shape,), ascii_text)
        if found is not None:
            return _match_lines(text, found)
    found = positions((pre.line_words,), ascii_text) if positions and pre.line_words else None
    if found is not None:
        return _match_lines(text, found)
    return {start for start, end in literal_lines(lowered, pre.literals).items() if gate.search(lowered, start, end)}
