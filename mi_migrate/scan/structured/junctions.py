"""Where one string literal's closing quote meets another's opening quote (python_strings._CANDIDATE), in linear time.

As one regex, `quote, spaces and +, a comment, line breaks and comment lines, an opening quote` scans to the end of
the line from every quote it tries: a crafted 24 KB line of `x' #' ` took 3.5 s, and the time grows with the
square of the line. What follows a comment or a line's end is the same for every quote on that line, so it is
worked out once per line here: the last place on each line where an opening quote could start, and whether the
lines after a line's end lead to one. Each quote is then answered in constant time, with the regex's answer
(tests/test_python_strings_junctions.py holds the two to each other).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
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
        encode = (lambda text: text.encode()) if kind is bytes else (lambda text: text)
        self.hash = encode("#")
        self.break_ends = tuple(encode(end) for end in _BREAK_ENDS)


_PATTERNS = {str: _Patterns(str), bytes: _Patterns(bytes)}


def quote_offsets(text: AnyStr) -> list[int]:
    """Offsets of every closing quote from which python_strings._CANDIDATE matches (each quote tried on its own,
    not only where a previous match ended: a superset of the regex's finditer starts, the same any-match answer)."""
    return _scan(text, first_only=False)


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
        lead = patterns.lead.match(text, quote + 1).end()  # type: ignore[union-attr]
        if patterns.opening.match(text, lead):
            ok = True
        elif text[lead:lead + 1] == patterns.hash:  # a comment: an opening inside its text, or the lines after
            ok = last_opening[line] > lead or leads_on[line]
        else:
            ok = line_end - lead <= 2 and text[lead:line_end] in patterns.break_ends and leads_on[line]
        if ok:
            found.append(quote)
            if first_only:
                break
    return found


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
