"""Key-based client code in Jupyter notebooks: the code cells read as the one module they run as.

A notebook's cells share one namespace (a client built in cell 5 from a key read in cell 2), so the code cells
are joined in order, as `fix` joins them (mi_migrate.fix.notebooks), and the Python analysis runs on that
module. IPython line magics and shell escapes (`%pip`, `!ls`, `x = !cmd`) become comments of their own line, a
cell starting with a cell magic (`%%bash`) is left out, and so is a cell that does not parse (f-strings nesting
their own quotes, Python 3.12's, are blanked first, as for a module). Each finding is
then placed at the file line and column its characters have inside the notebook's JSON, with the cell index,
the line within the cell and the cell's key path, the way the structured scan places a key found in a cell.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from mi_migrate.core.finding import Finding, Span
from mi_migrate.core.rules import Rule

if TYPE_CHECKING:
    from mi_migrate.scan.candidate_types import Candidates

MAGIC = re.compile(r"^([ \t]*)(?:[%!?]|\w+[ \t]*=[ \t]*[%!])")


def magic_line(line: str) -> re.Match[str] | None:
    """An IPython line magic or shell escape (`%pip`, `!ls`, `x = !cmd`, not `!=`); group 1 is its indentation.
    fix.notebooks masks the same lines."""
    match = MAGIC.match(line)
    return match if match and not line.lstrip().startswith("!=") else None


@dataclass(frozen=True)
class _Cell:
    index: int  # in the notebook's cells list (0-based, as `cells[3].source` names it)
    text: str  # the source as written (magic lines included)
    first_line: int  # its first line in the joined module (1-based)


def analyze(rel_path: str, text: str, candidates: Candidates | bytes, rules: Sequence[Rule]) -> list[Finding]:
    """The Python analysis' findings in the notebook `text`, placed in the file. `candidates`: the file's candidate
    hits or lower-cased bytes, which gate the work as for a module (a notebook importing no SDK is not read)."""
    from mi_migrate.scan.python import analysis

    matchers = analysis.matchers_for(rules)
    if not analysis.wanted_rules(candidates, matchers):
        return []
    cells = _code_cells(text)
    if not cells:
        return []
    module, cells = _module(cells)
    if module is None:
        return []
    found, _ = analysis.analyze(rel_path, module, module.lower().encode("utf-8", "surrogatepass"), tuple(rules))
    if not found:
        return []
    return _placed(text, found, cells)


def _code_cells(text: str) -> list[tuple[int, str]]:
    """(index, source) of every code cell; none when the text is not a notebook (the structured scan says why)."""
    try:
        notebook = json.loads(text)
    except (ValueError, RecursionError):
        return []
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    out = []
    for index, cell in enumerate(cells if isinstance(cells, list) else ()):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(piece for piece in source if isinstance(piece, str))
        if isinstance(source, str) and source.strip():
            out.append((index, source))
    return out


def _masked(source: str) -> str | None:
    """The cell with each magic line a comment (the line count kept); None for a cell-magic cell."""
    lines = source.split("\n")
    if lines[0].lstrip().startswith("%%"):
        return None
    return "\n".join(match.group(1) + "# magic" if (match := magic_line(line)) else line for line in lines)


def _module(cells: list[tuple[int, str]]) -> tuple[str | None, list[_Cell]]:
    """The code cells joined into one module, and where each starts; cells that do not parse alone are left out
    when the whole does not parse. None when nothing parses."""
    from mi_migrate.scan.python.analysis import without_fstrings
    from mi_migrate.scan.python.syntax import parse_module

    masked = [(index, source, code) for index, source in cells if (code := _masked(source)) is not None]
    for attempt in range(2):
        placed: list[_Cell] = []
        pieces: list[str] = []
        line = 1
        for index, source, code in masked:
            body = code if code.endswith("\n") else code + "\n"
            placed.append(_Cell(index, source, line))
            pieces.append(body)
            line += body.count("\n")
        module = "".join(pieces)
        if not module:
            return None, []
        try:
            parse_module(module)  # kept: the analysis reads this tree
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            blanked = without_fstrings(module, exc)  # Python 3.12 f-strings, as for a .py module
            if blanked is not None:
                return blanked, placed
            if attempt:
                return None, []
            masked = [cell for cell in masked if _parses(cell[2])]
            continue
        return module, placed
    return None, []  # pragma: no cover - the loop returns


def _parses(code: str) -> bool:
    from mi_migrate.scan.python.syntax import parse_module

    try:
        parse_module(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _placed(text: str, found: list[Finding], cells: list[_Cell]) -> list[Finding]:
    """Each finding at its file position (through the decoded cell's character offsets), with the cell's key path,
    index and line; at the cell's first character when the JSON cannot be read with offsets."""
    from mi_migrate.scan.engine import LineIndex
    from mi_migrate.scan.structured import notebooks
    from mi_migrate.scan.structured.values import ParseFailure, Value

    try:
        _, code = notebooks.extract(text)
    except (ParseFailure, RecursionError):
        code = []
    values: dict[int, Value] = {int(value.fields["cell"]): value for value in code}
    index = LineIndex.of(text)
    starts = [cell.first_line for cell in cells]
    placed = []
    for finding in found:
        span = finding.span
        cell = cells[max(0, bisect_right(starts, span.line) - 1)]
        line_in_cell = span.line - cell.first_line + 1
        value = values.get(cell.index)
        if value is None or value.text != cell.text:
            where = Span(1, 1, 1, 1)
        else:
            first = cell_offset(cell.text, line_in_cell, span.column)
            last = cell_offset(cell.text, span.end_line - cell.first_line + 1, span.end_column)
            where = index.span(value.file_offset(first), value.file_offset(max(first, last - 1)) + 1)
        placed.append(replace(finding, span=where, key_path=f"cells[{cell.index}].source",
                              fields={**finding.fields, "cell": str(cell.index), "cell_line": str(line_in_cell)}))
    return placed


def cell_offset(source: str, line: int, column: int = 1) -> int:
    """The character offset in a cell's source of a 1-based (line, column), clamped into the source."""
    starts = [0, *(i + 1 for i, char in enumerate(source) if char == "\n")]
    return min(starts[min(max(line, 1), len(starts)) - 1] + column - 1, max(len(source) - 1, 0))
