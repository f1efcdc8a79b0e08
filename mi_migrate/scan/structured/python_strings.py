"""Python strings built from pieces: adjacent literals (`"Default…" "AccountKey=…"`, also across lines inside
parentheses) and `+` chains of literals. A line scanner sees only fragments; the joined value is what the program
uses, so it is scanned whole, each character mapped back to the piece it came from.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from bisect import bisect_left
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mi_migrate.scan.python.syntax import first_line, line_numbers, parse_module, parsed
from mi_migrate.scan.structured import junctions, string_runs
from mi_migrate.scan.structured.values import Value

if TYPE_CHECKING:
    from mi_migrate.scan.candidate_types import Candidates, Positions

# a literal's closing quote, then (across line breaks, comments and `+`) another literal's opening quote
_CANDIDATE = (  # starts at the quote (a two-character class the regex engine can skip to), then checks behind it
    r"""["'](?<=[^"'\s\\]["'])[ \t]*(?:\+[ \t]*)?(?:\#[^\n]*)?(?:\\?\r?\n[ \t]*(?:\#[^\n]*)?)*(?:\+[ \t]*)?"""
    r"""[rRuU]?["'][^"'\s]"""
)
# A secret split over literals is only found if the joined text has an anchor a rule keys on.
ANCHORS = (b"accountkey", b"sharedaccess", b"accesskey", b"sig=", b"password", b"pwd", b"secret", b"q~")
# Asked through junctions.py (linear time: as a regex search this is quadratic on a long line of quotes and `#`)
CANDIDATE = re.compile(_CANDIDATE.encode())
CANDIDATE_TEXT = re.compile(_CANDIDATE)
# The same test for the native engine, which has no lookbehind: the character before the quote is matched instead
CANDIDATE_NATIVE = _CANDIDATE.replace("""["'](?<=[^"'\\s\\\\]["'])""", """[^"'\\s\\\\]["']""").encode()


def might_have(lower: bytes | Candidates) -> bool:
    """Cheap test on the file's lower-cased bytes or its candidates: an anchor some rule needs, and two string
    literals that touch or are joined by `+`."""
    if isinstance(lower, bytes):
        return any(anchor in lower for anchor in ANCHORS) and junctions.any_junction(lower)
    if not lower.any(ANCHORS):
        return False
    found = lower.search(CANDIDATE_NATIVE, lower.raw())  # its letters come in both cases: case changes nothing
    return found if found is not None else junctions.any_junction(lower.lower())


def extract(source: str, offsets: Sequence[int] | None = None, base_path: str = "",
            positions: Positions | None = None) -> list[Value]:
    """Joined values of multi-piece string expressions; `offsets` maps source characters to file offsets
    (a notebook cell), None when the source is the file itself. `positions`: the native engine's matcher for the
    file (candidates.Hits.positions), which finds the few junction lines of a large module at once."""
    # where a literal's closing quote meets another's opening quote
    ends = None
    if positions is not None:
        # one byte per character ("?" for each non-ASCII one, which the pattern's classes take as they take any
        # non-space character: a superset of the regex's matches), so the ends are character offsets
        found = positions((CANDIDATE_NATIVE,), source.encode("ascii", "replace"))
        ends = None if found is None else [end for _, end in found]
    lines = line_numbers(source, [quote + 1 for quote in junctions.quote_offsets(source, ends)])
    if not lines:
        return []
    if not parsed(source) and string_runs.runs_reach(source, lines) is False:
        return []  # no run of literals spans a junction line (a junction inside a docstring): nothing to join
    try:
        tree = parse_module(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []  # python_analysis reports unparsable files; the line scan stands
    starts = _line_starts(source)
    values: list[Value] = []
    names: dict[int, str] = {}  # the assigned name of a value (`CONN = "…" "…"` → CONN, `conn_str=` → conn_str)
    queue = deque([tree])
    while queue:  # breadth first: a chain is met before its pieces, which it then owns
        node = queue.popleft()
        if hasattr(node, "lineno"):  # only nodes on a line where literals touch can hold a joined value
            index = bisect_left(lines, first_line(node))
            if index == len(lines) or lines[index] > (node.end_lineno or node.lineno):
                continue
        if isinstance(node, ast.JoinedStr):
            continue
        _name_value(node, names)
        leaves = _leaves(node) if isinstance(node, (ast.Constant, ast.BinOp)) else None
        if leaves is None:
            queue.extend(ast.iter_child_nodes(node))
            continue
        pieces = [piece for leaf in leaves for piece in _pieces(source, starts, leaf)]
        if len(pieces) < 2:
            continue
        text = "".join(p[0] for p in pieces)
        mapped: list[int] = []
        for piece_text, piece_offsets in pieces:
            exact = len(piece_offsets) == len(piece_text)
            mapped.extend(piece_offsets if exact else [piece_offsets[0]] * len(piece_text))
        if offsets is not None:
            mapped = [offsets[i] for i in mapped]
        if not mapped:
            continue
        key = base_path or names.get(id(node), "")
        values.append(Value(key, text, mapped[0], mapped[-1] + 1, mapped))
    return values


def _leaves(node: ast.AST) -> list[ast.Constant] | None:
    """The str constants of a literal or a `+` chain of literals; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _leaves(node.left), _leaves(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _pieces(source: str, starts: list[int], node: ast.Constant) -> list[tuple[str, list[int]]]:
    """(decoded text, source offsets) of each literal token of a constant; escapes map to their backslash."""
    if node.end_lineno is None or node.end_col_offset is None:
        return []
    begin = _offset(source, starts, node.lineno, node.col_offset)
    end = _offset(source, starts, node.end_lineno, node.end_col_offset)
    segment = source[begin:end]
    if segment.count("'") + segment.count('"') < 2:
        return []
    pieces: list[tuple[str, list[int]]] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(segment).readline))
    except (tokenize.TokenError, SyntaxError):
        return []
    seg_starts = _line_starts(segment)
    for token in tokens:
        if token.type != tokenize.STRING:
            continue
        token_start = begin + seg_starts[token.start[0] - 1] + token.start[1]
        try:
            value = ast.literal_eval(token.string)
        except (ValueError, SyntaxError):
            return []
        if not isinstance(value, str):
            return []
        prefix = len(token.string) - len(token.string.lstrip("rRuUbBfF"))
        quote = 3 if token.string[prefix : prefix + 3] in ('"""', "'''") else 1
        body = token.string[prefix + quote : len(token.string) - quote]
        body_start = token_start + prefix + quote
        if body == value:
            pieces.append((value, list(range(body_start, body_start + len(body)))))
        else:
            pieces.append((value, [body_start]))
    return pieces


def _name_value(node: ast.AST, names: dict[int, str]) -> None:
    """Note the name `node` assigns its value to, if any (met before the value: the walk is breadth first)."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target, value = node.targets[0], node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        target, value = node.target, node.value
    elif isinstance(node, ast.keyword) and node.arg:
        names[id(node.value)] = node.arg
        return
    else:
        return
    try:
        names[id(value)] = ast.unparse(target)
    except (ValueError, AttributeError):
        pass


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for match in re.finditer("\n", text):
        starts.append(match.end())
    return starts


def _offset(source: str, starts: list[int], lineno: int, col_utf8: int) -> int:
    """Character offset of an ast (line, UTF-8 byte column) position."""
    line_start = starts[lineno - 1]
    line = source[line_start : line_start + col_utf8 + 1]
    if line.isascii():
        return line_start + col_utf8
    return line_start + len(line.encode("utf-8")[:col_utf8].decode("utf-8", "ignore"))
