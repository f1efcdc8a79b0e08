"""The lines of a module that can hold something the Python rules look at, found in the text before the walk.

Every call the analysis examines names, within its statement, one of the rules' callables (`BlobServiceClient`,
`from_connection_string`), an `azure.*Client`, an import alias of one of those, or a keyword the secret checks
read anywhere (`account_key=`); every attribute assignment they examine names its attribute (`api_key`). Names
resolve through bindings, and bindings come from statements. So the name pass (names.collect) walks the
expressions of only the statements spanning such a line and elsewhere only binds what statements bind. In
generated SDK modules that is a few dozen of tens of thousands of lines; a module with no such line is not parsed.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable
from typing import TYPE_CHECKING

from mi_migrate.scan.python.syntax import has_lone_cr, line_numbers
from mi_migrate.scan.python.targets import Matchers

# Statements that bind a name from inside an expression or for another scope (walrus, `global`): their lines are
# watched too, so the walk enters them and every function holding one. A `global` statement starts a line or
# follows `;` or a compound statement's colon, and its first name is followed by a comma, the statement's end, a
# comment or a continuation ("the global pool" or "global state of the cluster" in a docstring is no statement).
# The match ends one character past the name (the terminator may be the line break): its hit is counted one back.
_BINDERS = (rb":=", rb"(?:^|[\n;:])[ \t]*global[ \t]+[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*[ \t]*(?:[,;#\\\r\n]|$)")
_GLOBAL_STATEMENT = re.compile(_BINDERS[1])


if TYPE_CHECKING:
    from mi_migrate.scan.candidate_types import Candidates


class _Name:
    """One watched name: where it counts, and which module roots the file must mention for it to count (a name
    resolves to a rule's qualified name only through an import of its root; none listed: always)."""

    __slots__ = ("called", "keyword", "literal", "roots", "suffix")

    def __init__(self, literal: bytes, suffix: bool, called: bool, roots: frozenset[bytes],
                 keyword: bool = False) -> None:
        self.literal = literal
        self.suffix = suffix  # the end of any identifier (`Client`: every azure.*Client), else a whole identifier
        self.called = called  # only called or aliased (`BlobServiceClient(`, `BlobServiceClient as B`)
        self.keyword = keyword  # only as a keyword argument's name (`account_key=`, not `self.account_key =`)
        self.roots = roots

    @property
    def expression(self) -> bytes:
        if self.keyword:  # not after a dot; then `=` and no second `=` (hyperscan has no lookaround)
            return rb"[^.A-Za-z0-9_]" + self.literal + rb"[\s\\]*=[^=]"
        left = b"" if self.suffix else rb"\b"
        right = rb"(?:[\s\\]*\(|[\s\\]+as\b)" if self.called else rb"\b"
        return left + self.literal + right


class Watch:
    """The names the rules of one Matchers examine, as one set of patterns."""

    def __init__(self, matchers: Matchers):
        called: dict[str, set[bytes]] = {}
        for qualified in (*matchers.by_name, *matchers.credential_classes):
            root, tail = qualified.split(".", 1)[0], qualified.rsplit(".", 1)[-1]
            called.setdefault(tail, set()).add(root.lower().encode())
        anywhere: dict[str, set[bytes]] = {}
        keywords_only: dict[str, set[bytes]] = {}
        for rule in matchers.literal_rules:
            spec = rule.python
            keywords = spec.get("keyword_anywhere", {})
            for keyword in keywords.get("keywords", ()):
                keywords_only.setdefault(keyword, set()).add(keywords["prefix"].split(".", 1)[0].lower().encode())
            for attribute in spec.get("attributes", {}):
                root, tail = attribute.split(".", 1)[0], attribute.rsplit(".", 1)[-1]
                anywhere.setdefault(tail, set()).add(root.lower().encode())
        suffixes: dict[str, set[bytes]] = {}
        for rule in matchers.fallback:
            root = rule.python["fallback_prefix"].split(".", 1)[0].lower().encode()
            for suffix in rule.python.get("fallback_suffixes", ()):
                suffixes.setdefault(suffix, set()).add(root)
        self.names = (
            *(_Name(w.encode(), False, True, frozenset(r)) for w, r in sorted(called.items())),
            *(_Name(w.encode(), False, False, frozenset(r)) for w, r in sorted(anywhere.items())),
            *(_Name(w.encode(), False, False, frozenset(r), keyword=True) for w, r in sorted(keywords_only.items())),
            *(_Name(w.encode(), True, True, frozenset(r)) for w, r in sorted(suffixes.items())),
        )
        self.words = frozenset((*called, *anywhere, *keywords_only))
        self.suffixes = tuple(suffixes)
        self.expressions = (*(name.expression for name in self.names), *_BINDERS)
        # the fallback's names (any azure.*Client): a hit there counts only where fallback_may_report() says so
        self.fallback_indices = frozenset(index for index, name in enumerate(self.names) if name.suffix)

    def watched(self, name: str) -> bool:
        return name in self.words or (bool(self.suffixes) and name.endswith(self.suffixes))

    def lines(self, text: str, native: Candidates | None = None,
              mentioned: Callable[[bytes], bool] = lambda root: True) -> InterestingLines | None:
        """The watched lines of `text`, counting a name only when `mentioned(root)` holds for one of its roots;
        None when the module must be walked whole (a lone CR ends a line for the parser, not for the count)."""
        if has_lone_cr(text):
            return None
        # the parser NFKC-folds identifiers (a fullwidth C is a C); most non-ASCII modules are folded already,
        # which is_normalized answers ~5x faster than normalize would
        if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
            text = nfkc(text)
        data = text.encode("utf-8", "surrogatepass")
        live = [not name.roots or any(map(mentioned, name.roots)) for name in self.names]
        live += [True] * len(_BINDERS)
        found = native.positions(self.expressions, data) if native is not None else None
        if found is None:
            found = _search(data, [(index, name) for index, name in enumerate(self.names) if live[index]],
                            len(self.names))
        fallback = self.fallback_indices
        global_index = len(self.names) + 1
        ends = sorted(end - (index == global_index) for index, end in found
                      if live[index] and (index not in fallback or fallback_may_report(data, end)))
        return InterestingLines(data, line_numbers(data, ends), frozenset(), self)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), applied to the lines holding non-ASCII only. A line break is a stable
    code point (nothing decomposes into one or composes across one), so normalizing line by line gives the same
    text; a 2 MB generated module with a few typographic quotes in its docstrings pays for those lines only."""
    pieces: list[str] = []
    done = 0
    found = _NON_ASCII.search(text)
    while found is not None:
        start = text.rfind("\n", 0, found.start()) + 1
        end = text.find("\n", found.start())
        end = len(text) if end < 0 else end
        pieces += (text[done:start], unicodedata.normalize("NFKC", text[start:end]))
        done = end
        found = _NON_ASCII.search(text, end)
    pieces.append(text[done:])
    return "".join(pieces)


def fallback_may_report(data: bytes, end: int) -> bool:
    """Whether the `…Client(` that ends at `end` can be a call the fallback reports (analysis.fallback: a
    `credential=` keyword or a positional argument that is no `*starred`). Not when it opens a class statement's
    bases, nor when the call has no argument or starts with a keyword argument or `**` (Python allows no
    positional argument after those) and nothing after it can be a `credential=` keyword. An import alias
    (`…Client as`), or any text this cannot read for sure (a comment, a non-ASCII name), counts."""
    if data[end - 1] != 0x28:  # `(`: else `as`
        return True
    start = end - 1
    while start and data[start - 1] in _SPACE:
        start -= 1
    while start and data[start - 1] in _WORD:
        start -= 1
    before = start
    while before and data[before - 1] in b" \t":
        before -= 1
    if before < start and before >= 5 and data[before - 5:before] == b"class" \
            and (before == 5 or data[before - 6] not in _WORD):
        return False  # `class NameClient(`: bases, no call
    after = end
    while after < len(data) and data[after] in _SPACE:
        after += 1
    first = data[after:after + 2]
    if first[:1] != b")" and first != b"**":
        word = after
        while word < len(data) and data[word] in _WORD:
            word += 1
        while word < len(data) and data[word] in _SPACE:
            word += 1
        if data[word:word + 1] != b"=" or data[word + 1:word + 2] == b"=":
            return True
    return _CREDENTIAL_KEYWORD.search(data, after) is not None


def _search(data: bytes, names: list[tuple[int, _Name]], binder: int) -> list[tuple[int, int]]:
    """Hits.positions' (expression index, end offset) pairs without the native engine: a find per name (one `re`
    alternation of them all is seconds on a 2 MB module), ASCII word boundaries as the native engine has them;
    binding statements are given index `binder` (`:=`) and `binder + 1` (`global`)."""
    found: list[tuple[int, int]] = []
    for index, name in names:
        start = data.find(name.literal)
        while start >= 0:
            end = _name_end(data, start, name)
            if end is not None:
                found.append((index, end))
            start = data.find(name.literal, start + 1)
    start = data.find(b":=")
    while start >= 0:
        found.append((binder, start + 2))
        start = data.find(b":=", start + 2)
    if b"global" in data:
        found += [(binder + 1, match.end()) for match in _GLOBAL_STATEMENT.finditer(data)]
    return found


def _name_end(data: bytes, start: int, name: _Name) -> int | None:
    """Where `name`'s expression, tried at `start`, ends; None when it does not match there."""
    if name.keyword:
        if not start or data[start - 1] in _WORD or data[start - 1] == 0x2E:  # `.`
            return None
        after = start + len(name.literal)
        while after < len(data) and data[after] in _SPACE:
            after += 1
        return after + 2 if data[after:after + 1] == b"=" and data[after + 1:after + 2] not in (b"=", b"") else None
    if not name.suffix and start and data[start - 1] in _WORD:
        return None
    end = start + len(name.literal)
    if not name.called:
        return end if end == len(data) or data[end] not in _WORD else None
    after = end
    while after < len(data) and data[after] in _SPACE:
        after += 1
    if data[after:after + 1] == b"(":
        return after + 1
    if after > end and data[after:after + 2] == b"as" and (after + 2 == len(data) or data[after + 2] not in _WORD):
        return after + 2
    return None


_SPACE = frozenset(b" \t\n\r\f\v\\")
_WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
# what could be a `credential=` keyword argument: not an attribute, not `==`; a comment may stand before the `=`
_CREDENTIAL_KEYWORD = re.compile(rb"(?<![A-Za-z0-9_.])credential[\s\\]*(?:=(?!=)|#)")


class InterestingLines:
    """Line numbers (1-based, sorted) where a watched name or a known alias of one occurs."""

    __slots__ = ("aliases", "data", "lines", "watch")

    def __init__(self, data: bytes, lines: list[int], aliases: frozenset[str], watch: Watch):
        self.data = data  # the module's text as UTF-8, NFKC-folded when not ASCII
        self.lines = lines
        self.aliases = aliases
        self.watch = watch

    def spans(self, first: int, last: int) -> bool:
        """Does a watched line fall in first..last?"""
        index = bisect_left(self.lines, first)
        return index < len(self.lines) and self.lines[index] <= last

    def alias_known(self, origin: str, alias: str) -> bool:
        """False for an import alias of a watched name whose own lines are not yet watched."""
        return alias in self.aliases or not self.watch.watched(origin.rsplit(".", 1)[-1])

    def with_aliases(self, aliases: set[str]) -> InterestingLines:
        """These lines and those naming `aliases` (`from azure.storage.blob import BlobServiceClient as B`)."""
        known = self.aliases | aliases
        pattern = re.compile(rb"\b(?:" + b"|".join(re.escape(a.encode()) for a in sorted(known)) + rb")\b")
        extra = line_numbers(self.data, [match.end() for match in pattern.finditer(self.data)])
        return InterestingLines(self.data, sorted({*self.lines, *extra}), known, self.watch)
