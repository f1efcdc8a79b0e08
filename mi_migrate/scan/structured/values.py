"""What every format parser hands to the scanner: string values with their key path and exact file offsets.

A parser decodes each string the way the application will see it (JSON escapes, YAML folding, XML entities,
base64 Secret data) and keeps, for every decoded character, the file offset it came from. The scanner can then
run the ordinary text rules on the decoded value and still report the exact file line and column.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*")


class ParseFailure(Exception):
    """The file is not valid in its format; the caller keeps the plain text scan and records a note."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line

    def note_text(self, what: str) -> str:
        where = f" at line {self.line}" if self.line else ""
        return f"scanned as text: invalid {what}{where} ({self})"


class OffsetRuns(Sequence[int]):
    """File offsets of a decoded value's characters kept as runs (each character of a run one offset past the
    last): a recorded response body of 100 KB is a few runs, not a list of 100,000 integers. Built by add()."""

    __slots__ = ("_firsts", "_length", "_starts")

    def __init__(self) -> None:
        self._starts: list[int] = []  # the index in the value where each run begins
        self._firsts: list[int] = []  # the file offset of that character
        self._length = 0

    def add(self, offset: int, count: int = 1) -> None:
        """Append `count` characters at file offsets offset, offset + 1, …"""
        if count <= 0:
            return
        firsts = self._firsts
        if not firsts or firsts[-1] + (self._length - self._starts[-1]) != offset:
            self._starts.append(self._length)
            firsts.append(offset)
        self._length += count

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int) -> int:  # type: ignore[override]
        if not isinstance(index, int):
            raise TypeError("OffsetRuns takes integer indexes")
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        run = bisect_right(self._starts, index) - 1
        return self._firsts[run] + index - self._starts[run]

    def pieces(self, begin: int, end: int) -> Iterator[tuple[int, int]]:
        """(file offset, count) of the runs of characters begin … end - 1: one per run they cross."""
        run = bisect_right(self._starts, begin) - 1
        while begin < end:
            run_end = self._starts[run + 1] if run + 1 < len(self._starts) else self._length
            stop = min(end, run_end)
            yield self._firsts[run] + begin - self._starts[run], stop - begin
            begin, run = stop, run + 1

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OffsetRuns):
            return NotImplemented
        return (self._length, self._starts, self._firsts) == (other._length, other._starts, other._firsts)

    def __iter__(self) -> Iterator[int]:
        ends = [*self._starts[1:], self._length] if self._starts else []
        for start, first, end in zip(self._starts, self._firsts, ends, strict=True):
            yield from range(first, first + end - start)


@dataclass(frozen=True)
class Value:
    """One decoded string value of a structured file.

    `offsets[i]` is the file offset of decoded character i; None means the value is the raw text at `start`
    unchanged. `encoding` ("base64") means the value was decoded as a whole: findings get the span of the raw
    value because no character maps back.
    """

    key_path: str
    text: str
    start: int
    end: int
    offsets: Sequence[int] | None = None
    encoding: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    line_field: str = ""  # when set (e.g. "cell_line"), findings also get their line within the value
    context: str = ""  # stands for the raw text before the value when the key is written apart from it
    within: Value | None = None  # the value whose lines `line_field` counts (a notebook cell), else this one

    def file_offset(self, index: int) -> int:
        """File offset of decoded character `index` (clamped into the value)."""
        if self.encoding:
            return self.start
        if index >= len(self.text):
            return self.end if self.offsets is None or not self.offsets else self.offsets[-1] + 1
        if self.offsets is None:
            return self.start + index
        return self.offsets[max(0, index)]


def contiguous(key_path: str, text: str, start: int, **extra: object) -> Value:
    """A value that is the file text itself (no escapes)."""
    return Value(key_path, text, start, start + len(text), None, **extra)  # type: ignore[arg-type]


def join_key(parent: str, key: str) -> str:
    """`parent.key`, or `parent["odd key"]` when the key is not identifier-like (dots, spaces)."""
    if _IDENTIFIER.fullmatch(key):
        return f"{parent}.{key}" if parent else key
    quoted = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'{parent}["{quoted}"]'


def join_index(parent: str, index: int) -> str:
    return f"{parent}[{index}]"


def line_of(text: str, offset: int) -> int:
    """1-based line number of an offset (for parse-failure notes)."""
    return text.count("\n", 0, max(0, offset)) + 1


def decode_escapes(
    raw: str, start: int, escapes: dict[str, str], unicode: bool = True
) -> tuple[str, list[int] | None]:
    """Decode backslash escapes in `raw` (which begins at file offset `start`) → (text, offsets).

    Handles the single-letter escapes in `escapes` plus \\uXXXX (with surrogate pairs) and \\xHH. Offsets is None
    when there was nothing to decode. An unknown escape keeps its character, as JSON parsers with leniency do.
    """
    if "\\" not in raw:
        return raw, None
    out: list[str] = []
    offsets: list[int] = []
    i = 0
    n = len(raw)
    find = raw.find
    while i < n:
        j = find("\\", i)
        if j == -1 or j + 1 >= n:  # the rest is literal (a trailing lone backslash stays a character)
            out.append(raw[i:])
            offsets.extend(range(start + i, start + n))
            break
        if j > i:  # the literal run before the escape, in one piece
            out.append(raw[i:j])
            offsets.extend(range(start + i, start + j))
        i = j
        nxt = raw[i + 1]
        if unicode and nxt in "uxU":
            width = {"u": 4, "x": 2, "U": 8}[nxt]
            digits = raw[i + 2 : i + 2 + width]
            if len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
                code = int(digits, 16)
                consumed = 2 + width
                if 0xD800 <= code < 0xDC00 and raw[i + consumed : i + consumed + 2] == "\\u":
                    low = raw[i + consumed + 2 : i + consumed + 6]
                    if len(low) == 4 and all(c in "0123456789abcdefABCDEF" for c in low):
                        code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)
                        consumed += 6
                out.append(chr(code) if code < 0x110000 else "\ufffd")
                offsets.append(start + i)
                i += consumed
                continue
        out.append(escapes.get(nxt, nxt))
        offsets.append(start + i)
        i += 2
    return "".join(out), offsets


# YAML double-quoted escapes (\x, \u and \U take hex digits)
YAML_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
    "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029",
}
JSON_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "\\": "\\", "/": "/"}
_HEX = "0123456789abcdefABCDEF"
_HEX_WIDTH = {"u": 4, "x": 2, "U": 8}


def decode_text(raw: str, escapes: dict[str, str]) -> str:
    """decode_escapes(raw, …)[0] with `unicode=True`, without the offset map: for the gates that only ask what a
    decoded text holds (candidates.json_decoding_reveals, json_settings.escaped_value_windows). The text is cut
    at its backslashes and each piece after one starts with its escape, instead of a regex callback per escape
    (a recorded JSON body holds hundreds of thousands of `\\"` and `\\u0026`)."""
    if "\\" not in raw:
        return raw
    pieces = raw.split("\\")
    out = [pieces[0]]
    i, last = 1, len(pieces) - 1
    while i <= last:
        piece = pieces[i]
        i += 1
        if not piece:
            if i > last:  # a backslash at the very end escapes nothing and stays
                out.append("\\")
            else:  # two backslashes: an escaped backslash, then the next piece as it is
                out.append(escapes.get("\\", "\\"))
                out.append(pieces[i])
                i += 1
            continue
        char = piece[0]
        width = _HEX_WIDTH.get(char)
        digits = piece[1 : 1 + width] if width else ""
        if not width or len(digits) != width or digits.strip(_HEX):
            out.append(escapes.get(char, char))
            out.append(piece[1:])
            continue
        code = int(digits, 16)
        rest = piece[1 + width :]
        if char == "u" and not rest and 0xD800 <= code < 0xDC00 and i <= last:  # a high surrogate: `\\uXXXX`
            low = pieces[i][1:5]  # right after it is its low half, whatever its value
            if pieces[i][:1] == "u" and len(low) == 4 and not low.strip(_HEX):
                code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)
                rest = pieces[i][5:]
                i += 1
        out.append(chr(code) if code < 0x110000 else "\ufffd")
        out.append(rest)
    return "".join(out)
