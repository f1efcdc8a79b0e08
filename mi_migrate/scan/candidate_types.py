"""What the analyses below the candidate engine may ask of a file's candidates (mi_migrate.scan.candidates.Hits),
as protocols: those analyses sit below the engine, which imports them. Imported for type checking only (creating
a Protocol class costs a pre-commit run its time)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol


class Candidates(Protocol):
    """One file's candidates: literal questions answered from the one scan, native searches over its text."""

    def __contains__(self, literal: bytes) -> bool: ...

    def any(self, literals: tuple[bytes, ...]) -> bool: ...

    def lower(self) -> bytes: ...

    def raw(self) -> bytes: ...

    def isascii(self) -> bool: ...

    def signature(self, literals: Iterable[bytes]) -> tuple[frozenset[bytes], frozenset[str]] | None: ...

    def positions(self, expressions: tuple[bytes, ...], data: bytes) -> list[tuple[int, int]] | None: ...

    def search(self, expression: bytes, data: bytes) -> bool | None: ...

    def keyed(self, rules: Sequence[Any]) -> list[Any]: ...


class Positions(Protocol):
    """Candidates.positions as a callable: (expression index, end offset) of each match, None without the
    native engine."""

    def __call__(self, expressions: tuple[bytes, ...], data: bytes) -> list[tuple[int, int]] | None: ...


class RuleKeywords(Protocol):
    """candidates.find_for_rules with the native engine: the text rules' keywords and anchors in `data`."""

    def __call__(self, data: bytes) -> Candidates: ...
