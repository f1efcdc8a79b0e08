"""Where one string literal's closing quote meets another's opening quote (python_strings._CANDIDATE), in linear time.

As one regex, `quote, spaces and +, a comment, line breaks and comment lines, an opening quote` scans to the end of
the line from every quote it tries: a crafted 24 KB line of `x' #' ` took 3.5 s, and the time grows with the
square of the line. What follows a comment or a line's end is the same for every quote on that line, so it is
worked out once per line here: the last place on each line where an opening quote could start, and whether the
lines after a line's end lead to one. Each quote is then answered in constant time, with the regex's answer
(tests/test_python_strings_junctions.py holds the two to each other).
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from typing import AnyStr

# the pieces of python_strings._CANDIDATE, in its order
_CLOSING = r"""(?<=[^"'\s\\])["']"""  # a quote after a character that is no quote, space or backslash
_LEAD = r"[ \t]*(?:\+[ \t]*)?"  # spaces and a `+` after it
_OPENING = r"""(?:\+[ \t]*)?[rRuU]?["'][^"'\s]"""  # another literal's opening quote and first character
_BREAK_ENDS = ("", "\\", "\r", "\\\r")  # what may stand between the lead and a line break


class _Patterns:
    def __init__(self, kind: type) -> None:
        def compiled(source: str) -> re.Pattern:  # type: ignore[type-arg]
            return re.compile(source.encode() if kind is bytes else source)

        self.closing = compiled(_CLOSING)
        self.lead = compiled(_LEAD)
        self.opening = compiled(_OPENING)
        self.opening_starts = compiled(f"(?={_OPENING})")
        self.newline = compiled("\n")
        self.spaces = compiled("[ \t]*")
        # a line the regex can pass through between a closing and an opening quote: blank, or a comment
        self.passable = compiled(r"[ \t]*+(?:#[^\n]*+|\\?\r?)")
        encode = (lambda text: text.encode()) if kind is bytes else (lambda text: text)
        self.hash = encode("#")
        self.line_break = encode("\n")
        self.break_ends = tuple(encode(end) for end in _BREAK_ENDS)


_PATTERNS = {str: _Patterns(str), bytes: _Patterns(bytes)}


def quote_offsets(text: AnyStr, ends: Iterable[int] | None = None) -> list[int]:
    """Offsets of every closing quote from which python_strings._CANDIDATE matches (each quote tried on its own,
    not only where a previous match ended: a superset of the regex's finditer starts, the same any-match answer).
    `ends`: where the native engine found python_strings.CANDIDATE_NATIVE matches end in this text, as character
    offsets (or any superset of them); then only the lines such a match can start on are tried."""
    if ends is None:
        return _scan(text, first_only=False)
    return _scan_near(text, ends)


def any_junction(text: AnyStr) -> bool:
    """Whether python_strings._CANDIDATE matches anywhere in `text`."""
    return bool(_scan(text, first_only=True))


def _scan(text: AnyStr, first_only: bool) -> list[int]:
    patterns = _PATTERNS[type(text)]
    closings = [match.start() for match in patterns.closing.finditer(text)]
    if not closings:
        return []
    newlines = [match.start() for match in patterns.newline.finditer(text)]
    last_opening = [-1] * (len(newlines) + 1)  # per line: the last offset where an opening could start
    for match in patterns.opening_starts.finditer(text):
        last_opening[bisect_left(newlines, match.start())] = match.start()
    leads_on = _continuations(text, newlines, last_opening, patterns)
    found: list[int] = []
    for quote in closings:
        line = bisect_left(newlines, quote)
        line_end = newlines[line] if line < len(newlines) else len(text)
        if _joins(text, quote, line_end, patterns, last_opening[line], leads_on[line]):
            found.append(quote)
            if first_only:
                break
    return found


def _joins(text: AnyStr, quote: int, line_end: int, patterns: _Patterns, last_opening: int | Callable[[], int],
           leads_on: bool | Callable[[], bool]) -> bool:
    """Whether the regex matches from the closing quote at `quote`, on a line ending at `line_end`, given the last
    place on the line an opening quote could start and whether the lines after its break lead to one (values,
    or functions that work them out when asked)."""
    lead = patterns.lead.match(text, quote + 1).end()  # type: ignore[union-attr]
    if patterns.opening.match(text, lead):
        return True
    if text[lead:lead + 1] == patterns.hash:  # a comment: an opening inside its text, or the lines after
        if (last_opening() if callable(last_opening) else last_opening) > lead:
            return True
    elif not (line_end - lead <= 2 and text[lead:line_end] in patterns.break_ends):
        return False
    return leads_on() if callable(leads_on) else leads_on


def _continuations(text: AnyStr, newlines: Sequence[int], last_opening: list[int], patterns: _Patterns) -> list[bool]:
    """Per line: whether the regex, at this line's break, gets through line breaks, blank and comment lines to an
    opening quote (False for the last line, which has no break)."""
    leads_on = [False] * (len(newlines) + 1)
    for line in range(len(newlines) - 1, -1, -1):  # line `line` ends at newlines[line]; the next starts after it
        start = newlines[line] + 1
        nxt_end = newlines[line + 1] if line + 1 < len(newlines) else len(text)
        indent = patterns.spaces.match(text, start).end()  # type: ignore[union-attr]
        if patterns.opening.match(text, indent):
            leads_on[line] = True
        elif text[indent:indent + 1] == patterns.hash:
            leads_on[line] = last_opening[line + 1] > indent or leads_on[line + 1]
        else:
            leads_on[line] = (nxt_end - indent <= 2 and text[indent:nxt_end] in patterns.break_ends
                              and leads_on[line + 1])
    return leads_on


def _scan_near(text: AnyStr, ends: Iterable[int]) -> list[int]:
    """_scan's answer from the lines a match ending at one of `ends` can start on: the line of its end, and the
    lines above it up to the first the regex cannot pass through (blank and comment lines; a superset: the native
    pattern's `\\s` is narrower than `re`'s, so it matches at least where the regex does). A large generated module
    has tens of thousands of quotes and a handful of junctions."""
    patterns = _PATTERNS[type(text)]
    line_break = patterns.line_break
    lines: set[int] = set()  # start offsets of the lines to try
    walked: set[int] = set()  # lines whose upward walk is done
    for end in ends:
        start = text.rfind(line_break, 0, max(end - 1, 0)) + 1  # the match's last character is no line break
        while start not in walked:
            walked.add(start)
            lines.add(start)
            if start == 0:
                break
            above = text.rfind(line_break, 0, start - 1) + 1
            lines.add(above)
            if patterns.passable.fullmatch(text, above, start - 1) is None:
                break
            start = above
    leads: dict[int, bool] = {}
    found: list[int] = []
    for start in sorted(lines):
        line_end = text.find(line_break, start)
        line_end = len(text) if line_end == -1 else line_end
        last_opening = functools.partial(_last_opening, text, start, line_end, patterns)
        leads_on = functools.partial(_leads_on, text, line_end, leads, patterns)
        found.extend(closing.start() for closing in patterns.closing.finditer(text, start, line_end)
                     if _joins(text, closing.start(), line_end, patterns, last_opening, leads_on))
    return found


def _last_opening(text: AnyStr, start: int, end: int, patterns: _Patterns) -> int:
    """The last offset of text[start:end] (one line) where an opening quote could start; -1 for none."""
    last = -1
    for match in patterns.opening_starts.finditer(text, start, end):
        last = match.start()
    return last


def _leads_on(text: AnyStr, line_end: int, leads: dict[int, bool], patterns: _Patterns) -> bool:
    """_continuations' answer for the line ending at `line_end` (its break; len(text) for the last line), worked
    out forward as far as needed and kept in `leads` (keyed by line end)."""
    pending: list[int] = []
    answer = False
    while True:
        if line_end in leads:
            answer = leads[line_end]
            break
        if line_end >= len(text):
            answer = False
            break
        start = line_end + 1
        nxt_end = text.find(patterns.line_break, start)
        nxt_end = len(text) if nxt_end == -1 else nxt_end
        indent = patterns.spaces.match(text, start).end()  # type: ignore[union-attr]
        if patterns.opening.match(text, indent):
            answer = True
            break
        if text[indent:indent + 1] == patterns.hash:
            if _last_opening(text, start, nxt_end, patterns) > indent:
                answer = True
                break
        elif not (nxt_end - indent <= 2 and text[indent:nxt_end] in patterns.break_ends):
            answer = False
            break
        pending.append(line_end)  # decided by the next line's answer
        line_end = nxt_end
    leads[line_end] = answer
    for end in pending:
        leads[end] = answer
    return answer
