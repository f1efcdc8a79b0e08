"""Split a YAML file into pieces that parse on their own, so a scan parses only the pieces it can use.

A test recording (vcrpy, the Azure SDK's test proxy) is a top-level mapping whose `interactions:` sequence holds
hundreds of request/response items at column 0; a scan needs the few that hold a candidate, but walking the
parser's events costs Python work for every scalar in the file. Every line that starts at column 0 with content
starts a top-level key or, right under a `key:` line, an item of that key's sequence; each piece runs from one
such line to the next and is walked with its key path (`interactions[12]`) and file offsets.

A column-0 line can also be the continuation of a quoted scalar or a flow collection, which is not a boundary:
then the piece before it ends inside that scalar or collection and does not parse. So every piece is parsed
(libyaml's own loop, no Python object per event: ~10 ns a byte), and any failure leaves the file to the whole
walk, which reports errors as before. What else could read differently in pieces is not split: directives and
document markers, anchors and aliases, a top-level `kind:` (a Kubernetes Secret is composed), a byte-order mark,
content before the first key.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import yaml

_PathPart = tuple[object, str | int] | None


class Chunk(NamedTuple):
    """text[start:end]; `root`: for an item, its sequence's key path and its index (walk_events numbers it)."""

    start: int
    end: int
    root: tuple[_PathPart, int] | None = None


# a line starting with content at column 0: a top-level key or an item (or the continuation a parse rejects)
_BOUNDARY = re.compile(r"\n(?=[^ \t\r\n#])")
# what a piece could read differently from the whole: directives and document markers, anchors and aliases (a
# superset: where a token can start, `&` or `*`, a name and what libyaml lets follow one; it rejects any other
# token `&` or `*`, so that piece fails its parse instead, and `Food & Drink` or `&amp;` in a recorded body
# splits), a top-level `kind:`, line breaks other than \n and \r\n (NEL, LS, PS and a lone CR break lines for
# YAML, not for the split)
_UNSPLITTABLE = (rb"(?:^|[\s\[{,:])[&*][0-9A-Za-z_\-]+(?:[\s?:,\]}%@`]|$)|^(?:---|\.\.\.|%)"
                 rb"|^['\"]?kind['\"]?[ \t]*:|\r[^\n]|\xc2\x85|\xe2\x80[\xa8\xa9]")
# a key whose value is the block sequence on the next lines: its name is the key path of the items
_SEQUENCE_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_.\-]*):[ \t]*\r?\n")
_PREAMBLE = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\r?\n)*")


def split(text: str, validate: bool = True) -> list[Chunk] | None:
    """The file's pieces in order, covering every value; None when it cannot be split safely. Without `validate`,
    the caller parses each piece itself (a piece it walks is parsed by the walk) and gives up on any that does
    not parse (`parses`)."""
    if not yaml.__with_libyaml__ or text.startswith("\ufeff") or text.endswith("\r"):
        return None
    from mi_migrate.scan import candidates

    if candidates.native_search(_UNSPLITTABLE, text.encode("utf-8", "surrogatepass")) is not False:
        return None  # (without hyperscan, looking costs more than the split saves)
    starts = [found.end() for found in _BOUNDARY.finditer(text)]
    if text[:1] not in ("", " ", "\t", "\r", "\n", "#"):
        starts.insert(0, 0)
    if not starts or _PREAMBLE.match(text).end() != starts[0]:  # type: ignore[union-attr]
        return None  # indented content before the first key (or no key at all)
    starts.append(len(text))
    chunks: list[Chunk] = []
    i = 0
    while i < len(starts) - 1:
        if _is_item(text, starts[i]):
            return None  # an item with no key line above it: a sequence at the root
        j = i + 1
        while j < len(starts) - 1 and _is_item(text, starts[j]):
            j += 1
        key = _SEQUENCE_KEY.match(text, starts[i])
        if j > i + 1 and key is not None and key.end() == starts[i + 1]:
            path = (None, key.group(1))
            chunks.extend(Chunk(starts[k], starts[k + 1], (path, k - i - 1)) for k in range(i + 1, j))
        else:
            chunks.append(Chunk(starts[i], starts[j]))
        i = j
    if validate and not all(parses(text[chunk.start : chunk.end]) for chunk in chunks):
        return None
    return chunks


def _is_item(text: str, start: int) -> bool:
    return text.startswith(("- ", "-\n", "-\r", "-\t"), start)


def parses(piece: str) -> bool:
    from yaml import _yaml  # type: ignore[attr-defined]

    try:
        _yaml.CParser(piece).raw_parse()
    except (yaml.YAMLError, ValueError, RecursionError):
        return False
    return True
