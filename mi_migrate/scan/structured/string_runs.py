"""Whether a module can hold a joined string on given lines, read without parsing it.

python_strings.extract parses a module when some line has a junction (a closing quote, then an opening one), and
then looks only at the literal and `+` chains spanning such a line. In generated SDK models the only junction is
often inside a docstring (`'0','1''N-1'`), and the parse of a megabyte of source costs a tenth of a second to find
nothing. Reading the module's strings and comments as the tokenizer does, up to the last junction line, tells
whether any run of two or more string literals joined by nothing but spaces, line breaks, comments, `+` and
parentheses spans one of those lines. Every value extract() returns comes from such a run (its pieces are string
tokens of one expression, and an expression spanning a junction line has all its lines in the run's bounds), so
when none does, extract() would return nothing. The bounds are widened to the code characters around a run, since
a node may start at a parenthesis before its first string or end at one after its last.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left
from collections.abc import Sequence

from mi_migrate.scan.python.syntax import has_lone_cr

# what may stand between two pieces of one joined value (spaces, breaks, continuations, `+`, parentheses)
_GAP_CHARS = " \t\f\r\n()+\\"
_NEXT = re.compile(r"""[#'"]""")
_NEWLINE = re.compile("\n")
_COMMENT_END = re.compile(r"[\r\n]|\Z")
_TRAILING_WORD = re.compile(r"\w*\Z")
_PREFIXES = frozenset({"r", "u", "b", "f", "br", "rb", "fr", "rf"})
# a one-line string's body and closing quote: a backslash takes any one character (a line break too); a bare
# line break or carriage return ends no string, and the reader gives up
_SHORT_BODY = {q: re.compile(rf"(?:[^{q}\\\r\n]|\\.)*{q}", re.S) for q in ("'", '"')}
# f-strings nest quotes of their own kind from Python 3.12 on: then they are not read here
_NESTED_FSTRINGS = sys.version_info >= (3, 12)


def runs_reach(text: str, lines: Sequence[int]) -> bool | None:
    """Whether a run of two or more string literals (joined as above) spans one of `lines` (1-based, ascending,
    not empty); None when the module cannot be read this way for sure (an unterminated string, an f-string that
    may nest quotes, a lone carriage return), and then the caller parses it."""
    if has_lone_cr(text):
        return None
    newlines = [match.start() for match in _NEWLINE.finditer(text)]
    size = len(text)
    last_line_end = newlines[lines[-1] - 1] if lines[-1] <= len(newlines) else size

    def spans(first: int, last: int) -> bool:
        index = bisect_left(lines, bisect_left(newlines, first) + 1)
        return index < len(lines) and lines[index] <= bisect_left(newlines, last) + 1

    pos = 0  # where reading goes on: after the last string or comment
    anchor = 0  # the last code character (no gap character) before the current run
    pieces = 0  # string literals in the current run
    while True:
        match = _NEXT.search(text, pos)
        start = match.start() if match is not None else size
        prefix = ""
        if match is not None and match.group() != "#":
            word = _TRAILING_WORD.search(text, max(pos, start - 3), start).group()  # type: ignore[union-attr]
            prefix = word if word.lower() in _PREFIXES else ""
            if "f" in prefix.lower() and _NESTED_FSTRINGS:
                return None
        between = text[pos : start - len(prefix)]
        code = between.strip(_GAP_CHARS)
        if code:  # something other than a gap: the current run ends before it
            if pieces >= 2 and spans(anchor, pos + len(between) - len(between.lstrip(_GAP_CHARS))):
                return True
            pieces = 0
            anchor = pos + len(between.rstrip(_GAP_CHARS)) - 1
        if match is None:
            return pieces >= 2 and spans(anchor, size)
        if pieces == 0 and anchor > last_line_end:
            return False  # no run open, and any later one starts past the last line asked about
        if match.group() == "#":
            pos = _COMMENT_END.search(text, start).start()  # type: ignore[union-attr]
            continue
        end = _string_end(text, start)
        if end is None:
            return None
        pieces += 1
        pos = end



def _string_end(text: str, start: int) -> int | None:
    """The offset just past the string literal whose opening quote is at `start`; None if it has no end."""
    quote = text[start]
    if text.startswith(quote * 3, start):
        closing = quote * 3
        search = start + 3
        while True:
            found = text.find(closing, search)
            if found < 0:
                return None
            backslashes = 0
            while text[found - 1 - backslashes] == "\\":
                backslashes += 1
            if backslashes % 2 == 0:
                return found + 3
            search = found + 1
    match = _SHORT_BODY[quote].match(text, start + 1)
    return match.end() if match is not None else None
