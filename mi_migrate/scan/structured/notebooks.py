"""Jupyter notebooks: each cell's source and text outputs as one decoded value, reported by cell and line.

A cell's source is a JSON list of lines with escaped quotes and newlines, so a key the user sees on one cell
line is written differently in the file. Joining and decoding the lines, with offsets kept, finds it and
reports `cells[3].source`, the line within the cell, and the file line and column.
"""

from __future__ import annotations

from collections.abc import Iterator

from mi_migrate.scan.structured import json_settings
from mi_migrate.scan.structured.json_settings import JStr
from mi_migrate.scan.structured.values import ParseFailure, Value

TEXT_OUTPUTS = ("text/plain", "text/html", "application/json", "text/markdown")


def joined(parts: object, key_path: str, cell: int) -> Value | None:
    """A cell field (a string or a list of strings) as one value with a per-character offset map."""
    pieces = [parts] if isinstance(parts, JStr) else parts if isinstance(parts, list) else []
    pieces = [p for p in pieces if isinstance(p, JStr)]
    if not pieces:
        return None
    offsets: list[int] = []
    for piece in pieces:
        offsets.extend(piece.offsets if piece.offsets is not None else range(piece.start, piece.end))
    text = "".join(p.text for p in pieces)
    return Value(
        key_path, text, pieces[0].start, pieces[-1].end, offsets, fields={"cell": str(cell)}, line_field="cell_line"
    )


def cells(tree: object) -> Iterator[tuple[int, dict[str, object]]]:
    if not isinstance(tree, dict) or not isinstance(tree.get("cells"), list):
        raise ParseFailure("not a notebook: no cells list", 1)
    for number, cell in enumerate(tree["cells"]):
        if isinstance(cell, dict):
            yield number, cell


def extract(text: str) -> tuple[list[Value], list[Value]]:
    """Sources, stream outputs and text data outputs of every cell; and the code cells' sources (for the Python
    adjacent-literal check). Read once per file: the client-code analysis and the value scan both ask."""
    from mi_migrate.scan.python import syntax

    made = syntax.kept("notebook", text)
    if made is None:
        made = _extract(text)
        syntax.keep("notebook", text, made)
    values, code = made  # type: ignore[misc]
    return list(values), list(code)


def _extract(text: str) -> tuple[list[Value], list[Value]]:
    values: list[Value] = []
    code: list[Value] = []
    for number, cell in cells(json_settings.parse(text)):
        source = joined(cell.get("source"), f"cells[{number}].source", number)
        if source is not None:
            values.append(source)
            cell_type = cell.get("cell_type")
            if isinstance(cell_type, JStr) and cell_type.text == "code":
                code.append(source)
        outputs = cell.get("outputs")
        for out_index, output in enumerate(outputs if isinstance(outputs, list) else []):
            if not isinstance(output, dict):
                continue
            base = f"cells[{number}].outputs[{out_index}]"
            found = joined(output.get("text"), f"{base}.text", number)
            if found is not None:
                values.append(found)
            data = output.get("data")
            for mime in TEXT_OUTPUTS if isinstance(data, dict) else ():
                found = joined(data.get(mime), f'{base}.data["{mime}"]', number)
                if found is not None:
                    values.append(found)
    return values, code
