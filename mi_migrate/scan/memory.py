"""Per-process memories of results that depend only on one line or value (plugin results per line, spans where
a pattern found nothing, context windows): the versions of a file in history and the recordings of one test suite
repeat most of their candidate lines, and these answer them again without work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Memory(dict[Any, Any]):
    """A dict emptied whenever the text held in its keys reaches `budget` characters (memory stays bounded
    however long the lines)."""

    def __init__(self, budget: int) -> None:
        super().__init__()
        self.budget = budget
        self.held = 0

    def keep(self, key: Any, value: Any, chars: int) -> None:
        if self.held >= self.budget:
            self.clear()
            self.held = 0
        self[key] = value
        self.held += chars

    def recall(self, key: Any, owner: object) -> Any:
        """What keep_for kept under `key` for `owner`, else None. A key that holds an object's id (rules,
        matchers) is only trusted for that very object: ids are reused once an object is gone."""
        kept = self.get(key)
        return kept[1] if kept is not None and kept[0] is owner else None

    def keep_for(self, key: Any, owner: object, value: Any, chars: int = 1) -> None:
        self.keep(key, (owner, value), chars)

    def per_owner(self, owner: Any, make: Callable[[Any], Any]) -> Any:
        """make(owner), made once per owner object (a rule list a scan asks about for every file)."""
        kept = self.recall(id(owner), owner)
        if kept is None:
            kept = make(owner)
            self.keep_for(id(owner), owner, kept)
        return kept
