"""Writing a JSON document piece by piece: the findings array is produced one item at a time, so a scan with
many findings never holds its rendered document in memory (output/json.py and output/sarif.py use it)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any


class Items:
    """A JSON array whose items are produced one at a time (an iterable of JSON values), for `dump`."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def materialize(value: Any) -> Any:
    """`value` with every Items made a list: the document `dump` writes, as one object."""
    if isinstance(value, Items):
        return [materialize(item) for item in value.items]
    if isinstance(value, dict):
        return {key: materialize(item) for key, item in value.items()}
    if isinstance(value, list):
        return [materialize(item) for item in value]
    return value


def _lazy(value: Any) -> bool:
    if isinstance(value, Items):
        return True
    if isinstance(value, dict):
        return any(_lazy(item) for item in value.values())
    if isinstance(value, list):
        return any(_lazy(item) for item in value)
    return False


def dump(value: Any, write: Callable[[str], object], indent: int = 2) -> None:
    """Write `value` as `json.dumps(materialize(value), indent=indent, ensure_ascii=False) + "\n"`, byte for byte,
    without building it: containers on the way to an Items are opened by hand, each item is one json.dumps."""
    _dump(value, write, indent, 0)
    write("\n")


def _dump(value: Any, write: Callable[[str], object], indent: int, level: int) -> None:
    if not _lazy(value):
        write(indented(value, indent, level))
        return
    inner = "\n" + " " * (indent * (level + 1))
    if isinstance(value, dict):
        opening, closing = "{", "}"
        pairs: Iterable[tuple[str | None, Any]] = value.items()
    else:
        opening, closing = "[", "]"
        pairs = ((None, item) for item in (value.items if isinstance(value, Items) else value))
    empty = True
    for key, item in pairs:
        write((opening if empty else ",") + inner)
        if key is not None:
            write(json.dumps(key, ensure_ascii=False) + ": ")
        _dump(item, write, indent, level + 1)
        empty = False
    write(opening + closing if empty else "\n" + " " * (indent * level) + closing)



# With an indent, json.dumps encodes in Python, value by value (~0.1 ms a finding); without one, in C. Containers
# are laid out here and their scalars encoded without an indent: the same text.
_ENCODER = json.JSONEncoder(ensure_ascii=False)
_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})


def indented(value: Any, indent: int, level: int = 0) -> str:
    """json.dumps(value, indent=indent, ensure_ascii=False), every line after the first indented `level` steps
    further; anything but dicts with string keys, lists and plain scalars goes to json.dumps itself."""
    out: list[str] = []
    if not _lay_out(value, indent, level, out):
        text = json.dumps(value, indent=indent, ensure_ascii=False)
        return text.replace("\n", "\n" + " " * (indent * level)) if level else text  # JSON strings hold no raw \n
    return "".join(out)


def _lay_out(value: Any, indent: int, level: int, out: list[str]) -> bool:
    kind = type(value)
    if kind in _SCALAR_TYPES:
        out.append(_ENCODER.encode(value))
        return True
    if kind is not dict and kind is not list:
        return False
    if not value:
        out.append("{}" if kind is dict else "[]")
        return True
    inner = "\n" + " " * (indent * (level + 1))
    out.append("{" if kind is dict else "[")
    pairs = value.items() if kind is dict else ((None, item) for item in value)
    separator = inner
    for key, item in pairs:
        if kind is dict:
            if type(key) is not str:
                return False
            out.append(separator + _ENCODER.encode(key) + ": ")
        else:
            out.append(separator)
        if not _lay_out(item, indent, level + 1, out):
            return False
        separator = "," + inner
    out.append("\n" + " " * (indent * level) + ("}" if kind is dict else "]"))
    return True
