"""YAML: Kubernetes manifests (Secret `data` decoded from base64), Helm values, CI pipelines, docker-compose.

PyYAML's composer gives every scalar's decoded value and its start/end in the file; an aligner maps each decoded
character back to the raw text (quotes, escapes, block indentation and line folding skipped). Two false-negative
classes live here: a key wrapped over several lines of a block or folded scalar (scanned again with the line
breaks removed, as a base64 or connection-string consumer would read it), and base64 Secret data.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

import yaml

from mi_migrate.scan.structured.values import YAML_ESCAPES, OffsetRuns, ParseFailure, Value, join_index, join_key

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_HEX_WIDTH = {"x": 2, "u": 4, "U": 8}


class Gate(Protocol):
    """Which values a scan can use (mi_migrate.scan.structured.scanner.ValueGate); `context`: the characters of
    raw text a scan reads on each side of a value."""

    context: int

    def raw(self, start: int, end: int) -> bool: ...

    def holds_known(self, start: int, end: int) -> bool: ...

    def windows_reveal(self, windows: Iterable[str]) -> bool: ...

    def decodings_reveal(self, start: int, end: int) -> bool: ...


def extract(text: str, keep: Gate | None = None) -> list[Value]:
    """Every string value (Secret data decoded). `keep`: which values a scan can use; the others are not built
    (key path, character offsets), which is most of the work on a large recording."""
    if keep is not None:
        walked = walk_chunks(text, keep) if len(text) >= CHUNKED_MIN else None
        if walked is None:
            walked = walk_events(text, keep)
        if walked is not None:
            return walked
    try:
        documents = list(yaml.compose_all(text, Loader=Loader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        raise ParseFailure(str(problem), mark.line + 1 if mark is not None else None) from None
    except (RecursionError, ValueError) as exc:  # deep nesting; NUL in the stream
        raise ParseFailure(str(exc) or "nesting too deep") from None
    values: list[Value] = []
    for document in documents:
        if document is None:
            continue
        values.extend(walk(text, document, keep))
        if _is_secret(document):
            values.extend(secret_data(text, document))
    return values


# A key path while walking: (parent, key or index), joined into text only for a value that is kept.
_Path = tuple["_Path", "str | int"] | None


def _joined(path: _Path) -> str:
    parts: list[str | int] = []
    while path is not None:
        path, part = path
        parts.append(part)
    joined = ""
    for part in reversed(parts):
        joined = join_index(joined, part) if isinstance(part, int) else join_key(joined, part)
    return joined


def walk(text: str, root: yaml.Node, keep: Gate | None = None) -> Iterator[Value]:
    """Every string scalar with its key path (those `keep` turns down excepted); an aliased node once."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, _Path]] = [(root, None)]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if isinstance(node.value, str) and len(node.value) >= 8 and node.tag.endswith(":str"):
                yield from scalar_values(text, node, path, keep)
        elif isinstance(node, yaml.MappingNode):
            for key, child in reversed(node.value):
                name = key.value if isinstance(key, yaml.ScalarNode) else "?"
                stack.append((child, (path, str(name))))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, (path, i)) for i, child in reversed(list(enumerate(node.value))))


# Deeper than this, compose decides (its recursion may fail where the event parser does not).
MAX_EVENT_DEPTH = 64


@functools.cache
def _resolver() -> yaml.BaseResolver:
    return Loader("")  # type: ignore[no-any-return]


# Below this many characters a file is walked whole: splitting it would save little.
CHUNKED_MIN = 8192


def walk_chunks(text: str, keep: Gate) -> list[Value] | None:
    """walk_events() over only the pieces of the file (yaml_chunks.split) a scan can use: those holding a finding
    of the line scan, or around which some rule has its keyword and anchor in the text or a decoding of it (no
    value elsewhere can give a finding). A large recording mostly has neither. None when the file does not split,
    a piece does not parse on its own (a walked one in its walk, the others here) or a piece needs compose."""
    from mi_migrate.scan.structured import yaml_chunks

    chunks = yaml_chunks.split(text, validate=False)
    if chunks is None:
        return None
    values: list[Value] = []
    for chunk in chunks:
        if keep.holds_known(chunk.start, chunk.end) or keep.decodings_reveal(chunk.start, chunk.end):
            walked = walk_events(text, keep, chunk.start, chunk.end, chunk.root)  # None when it does not parse
            if walked is None:
                return None
            values.extend(walked)
        elif not yaml_chunks.parses(text[chunk.start : chunk.end]):
            return None  # a boundary inside a scalar or a collection: the file is walked whole
    return values


def walk_events(text: str, keep: Gate, start: int = 0, end: int | None = None,
                root: tuple[_Path, int] | None = None) -> list[Value] | None:
    """walk() over the parser's events instead of composed nodes: the same values in the same order, without
    building a node for every scalar or resolving the tag of every short one. None (compose then decides, and
    reports any error exactly as before) when the text does not parse, or holds an anchor, an alias, deep
    nesting or a Kubernetes Secret: those are composed. `start`/`end`: walk only that piece of the text (a
    yaml_chunks.Chunk), whose root sequence, when `root` is given, is that path with its items numbered from
    that index."""
    piece = text if start == 0 and end is None else text[start:end]
    try:
        events = list(yaml.parse(piece, Loader=Loader))
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
    resolve = _resolver().resolve
    values: list[Value] = []
    # per open collection: [its path, a mapping?, the current key (mapping) or next index (sequence), expecting a
    # key?]; a complex key (a mapping or sequence) is named "?" and its events skipped, as walk() never enters it
    frames: list[list] = []
    skip = 0
    for event in events:
        kind = event.__class__
        node = kind is yaml.ScalarEvent or kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent
        if kind is yaml.AliasEvent or (node and event.anchor is not None):
            return None
        if skip:
            if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                skip += 1
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                skip -= 1
            continue
        if node:
            path: _Path = None
            if frames:
                top = frames[-1]
                if top[1]:
                    if top[3]:  # this node is a key
                        top[3] = False
                        if kind is yaml.ScalarEvent:
                            top[2] = event.value
                        else:
                            top[2], skip = "?", 1
                        continue
                    top[3] = True
                    path = (top[0], str(top[2]))
                else:
                    path = (top[0], top[2])
                    top[2] += 1
            if kind is not yaml.ScalarEvent:
                if root is not None and not frames and kind is yaml.SequenceStartEvent:
                    frames.append([root[0], False, root[1], True])
                    continue
                frames.append([path, kind is yaml.MappingStartEvent, 0, True])
                if len(frames) > MAX_EVENT_DEPTH:
                    return None
                continue
            value = event.value
            if len(frames) == 1 and value == "Secret" and frames[0][1] and frames[0][2] == "kind":
                return None  # a Kubernetes Secret (_is_secret): its data is decoded from the composed document
            if len(value) < 8:
                continue
            tag = event.tag
            if tag is None or tag == "!":
                tag = resolve(yaml.ScalarNode, value, event.implicit)
            if not tag.endswith(":str"):
                continue
            first, last, style = event.start_mark.index + start, event.end_mark.index + start, event.style
            p = 1 if style in ("'", '"') else 0
            if (event.start_mark.line == event.end_mark.line and style in ("", "'", '"')
                    and _verbatim(text, first + p, last, value, style)
                    and not keep.raw(first + p, first + p + len(value))):
                continue  # scalar_values' first test, without its slices: the raw text itself, not wanted
            values.extend(_scalar_values(text, first, last, value, style or "", path, keep))
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            frames.pop()
        elif kind is yaml.DocumentStartEvent:
            frames = []
    return values


def scalar_values(text: str, node: yaml.ScalarNode, path: _Path, keep: Gate | None = None) -> Iterator[Value]:
    # (walk passes on strings shorter than 8 characters: no credential is)
    return _scalar_values(text, node.start_mark.index, node.end_mark.index, node.value, node.style or "", path, keep)


def _scalar_values(text: str, start: int, end: int, value: str, style: str, path: _Path,
                   keep: Gate | None) -> Iterator[Value]:
    raw = text[start:end]
    p = _body_start(raw, style)
    if keep is not None:
        if _verbatim(text, start + p, end, value, style) and "\n" not in raw.rstrip("\n"):
            if not keep.raw(start + p, start + p + len(value)):
                return  # the raw text itself, not wanted: no offsets, no key path
        elif not keep.holds_known(start, end) and not keep.windows_reveal(
                _windows(text, raw, start, end, value, style, keep.context)):
            return  # decoded, but no finding to name in it and no rule could match in what a scan would read
    offsets = align(raw, start, value, style)
    key_path = _joined(path)
    if offsets is None:  # not aligned: report the whole scalar rather than a wrong column
        yield Value(key_path, value, start, end, None, encoding="yaml")
        return
    first = offsets[0] if offsets else start
    last = offsets[-1] + 1 if offsets else end
    exact = bool(offsets) and offsets[-1] - offsets[0] == len(value) - 1  # the raw text itself: no map needed
    yield Value(key_path, value, first, last, None if exact else offsets)
    if "\n" in raw.rstrip("\n") and _wrapped(raw, style):
        yield Value(key_path, "".join(value.split()), first, last, _without_spaces(value, offsets),
                    fields={"folding": "line breaks removed"})


_NON_SPACE = re.compile(r"\S+")  # \s is str.isspace() for str patterns, as str.split() splits on it


def _without_spaces(value: str, offsets: Sequence[int]) -> OffsetRuns:
    """The offsets of the value's characters that are not whitespace, as runs (a wrapped key or certificate of
    many kilobytes is a run per line, not a list of an int per character)."""
    kept = OffsetRuns()
    for piece in _NON_SPACE.finditer(value):
        begin, end = piece.span()
        if isinstance(offsets, OffsetRuns):
            for offset, count in offsets.pieces(begin, end):
                kept.add(offset, count)
        elif isinstance(offsets, range) and offsets.step == 1:
            kept.add(offsets[begin], end - begin)
        else:
            for index in range(begin, end):
                kept.add(offsets[index])
    return kept


def _windows(text: str, raw: str, start: int, end: int, value: str, style: str, context: int) -> list[str]:
    """Texts holding every window scanner.scan_value could read for this scalar, whatever align() makes of it:
    raw text before the first decoded character (found by aligning that character alone) then the value; the raw
    text before the scalar then the value (align fails: the whole scalar is the span); the raw text after any end
    it could have; the wrapped value (breaks removed) after either start."""
    before_scalar = text[max(0, start - context) : start]
    first = align(raw, start, value[:1], style)
    before_first = text[max(0, first[0] - context) : first[0]] if first else before_scalar
    joined = "".join(value.split())
    return [before_first + value, before_scalar + value, text[start : end + context], before_first + joined,
            before_scalar + joined]


def _wrapped(raw: str, style: str) -> bool:
    """A value wrapped over lines: one token per line, so whitespace only where the lines break."""
    lines = raw.split("\n")[1:] if style in ("|", ">") else raw.strip("'\"").split("\n")
    content = [line.strip() for line in lines if line.strip()]
    return len(content) > 1 and all(" " not in line and "\t" not in line for line in content)


def _verbatim(text: str, begin: int, end: int, value: str, style: str) -> bool:
    """Whether the scalar's characters (from `begin`, within `end`) are its value as written: no escape, no
    doubled quote."""
    return (text.startswith(value, begin, end) and (style != '"' or "\\" not in value)
            and (style != "'" or "'" not in value))


def _body_start(raw: str, style: str) -> int:
    """Where a scalar's characters start in its raw text: after the quote, or the header line of a block."""
    return raw.index("\n") + 1 if style in ("|", ">") and "\n" in raw else 1 if style in ("'", '"') else 0


def align(raw: str, base: int, value: str, style: str) -> Sequence[int] | None:
    """File offset of each decoded character, skipping what YAML removes (quotes, indentation, escapes, line
    folding). None when the decoded value does not line up with the raw text."""
    p = _body_start(raw, style)
    if _verbatim(raw, p, len(raw), value, style):
        return range(base + p, base + p + len(value))  # the raw text itself (most scalars): no walk
    offsets = OffsetRuns()
    i = 0
    n = len(raw)
    special = _SPECIAL[style if style in _SPECIAL else ""]
    while i < len(value):
        if p >= n:
            return None
        r = raw[p]
        if r == value[i] and r not in "\\'\r\n":  # a run up to the next escape, quote or line break
            found = special.search(raw, p)
            q = found.start() if found else n
            run = _common_run(raw, p, q, value, i)
            if run:
                offsets.add(base + p, run)
                p += run
                i += run
                continue
        char = value[i]
        if style == '"' and r == "\\":
            nxt = raw[p + 1 : p + 2]
            if nxt in ("\n", "\r"):  # line continuation: no character, no folding
                p += 2
                while p < n and raw[p] in " \t\r\n":
                    p += 1
                continue
            decoded, width = _escape(raw, p)
            if decoded != char:
                return None
            offsets.add(base + p)
            p += width
            i += 1
            continue
        if style == "'" and r == "'" and raw[p + 1 : p + 2] == "'":
            if char != "'":
                return None
            offsets.add(base + p)
            p += 2
            i += 1
            continue
        if r == char or (char in " \n" and r in "\r\n"):
            offsets.add(base + p)
            p += 1
            i += 1
        elif r in " \t\r\n":
            p += 1
        else:
            return None
    return offsets


# Where the one-character steps of align() must take over: escapes, quote pairs, line breaks (folding).
_SPECIAL = {'"': re.compile(r"[\\\r\n]"), "'": re.compile(r"['\r\n]"), "": re.compile(r"[\r\n]")}


def _common_run(raw: str, p: int, q: int, value: str, i: int) -> int:
    """Length of the longest common prefix of raw[p:q] and value[i:] (whole-run test first, then halving)."""
    if value.startswith(raw[p:q], i):
        return q - p
    low, high = 0, min(q - p, len(value) - i)  # a common prefix of length `low` is known; `high` is an upper bound
    while low < high:
        mid = (low + high + 1) // 2
        if value.startswith(raw[p:p + mid], i):
            low = mid
        else:
            high = mid - 1
    return low


def _escape(raw: str, p: int) -> tuple[str, int]:
    letter = raw[p + 1 : p + 2]
    width = _HEX_WIDTH.get(letter)
    if width:
        digits = raw[p + 2 : p + 2 + width]
        try:
            return chr(int(digits, 16)), 2 + width
        except (ValueError, OverflowError):
            return "", 2
    return YAML_ESCAPES.get(letter, ""), 2


def _is_secret(document: yaml.Node) -> bool:
    if not isinstance(document, yaml.MappingNode):
        return False
    return any(
        isinstance(k, yaml.ScalarNode) and k.value == "kind" and isinstance(v, yaml.ScalarNode) and v.value == "Secret"
        for k, v in document.value
    )


def secret_data(text: str, document: yaml.MappingNode) -> Iterator[Value]:
    """Kubernetes Secret `data`: each value base64-decoded; spans cover the encoded value."""
    for key, child in document.value:
        if not (isinstance(key, yaml.ScalarNode) and key.value == "data" and isinstance(child, yaml.MappingNode)):
            continue
        for name, item in child.value:
            if not isinstance(item, yaml.ScalarNode) or not isinstance(name, yaml.ScalarNode):
                continue
            decoded = decode_base64(item.value)
            if decoded is None:
                continue
            start, end = item.start_mark.index, item.end_mark.index
            if item.style in ("'", '"'):
                start, end = start + 1, end - 1
            yield Value(join_key("data", str(name.value)), decoded, start, end, None, encoding="base64")


def decode_base64(encoded: str) -> str | None:
    """Text of a base64 value, or None when it is not base64 of UTF-8 text."""
    compact = "".join(encoded.split())
    if len(compact) < 8:
        return None
    try:
        decoded = base64.b64decode(compact, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return decoded if "\0" not in decoded else None
