"""detect-secrets' KeywordDetector on one line, with its own regexes tried only where a match can start.

Its regexes begin with a DENYLIST word (`(api_?key|…|secret|…)`) under IGNORECASE, which `re` cannot search
for quickly: on a 2 KB recorded line each search costs ~0.1 ms, position by position, and a line is searched
by four of them. Every DENYLIST word holds one of a few short words (CORES) at most MAX_LEAD characters from its
start, so a match can only start that close before one of them: `match` at those offsets, in order, finds the
match `search` would (its leftmost one). The two regexes that do not start with a word need a literal that
the line may lack (a quote before `;`, a comparison sign). The plugin still builds its results, so they come out
as they do from its analyze_line (tests/test_keyword_lines.py compares the two).
"""

from __future__ import annotations

import functools
import re
from typing import Any

# every DENYLIST word holds one of these (lower-cased) within MAX_LEAD characters of its start
CORES = ("key", "pass", "pwd", "secret", "contrase")
MAX_LEAD = 9  # `database_key`, `database_pass`
# the letter `(?i)` matches to an ASCII letter of CORES that lower() leaves as it is (the long s), and the one whose
# lower case is two characters long (offsets in the lowered line would shift)
_UNFOLDED = ("\u017f", "\u0130")
MAX_STARTS = 64  # more candidate offsets than this: one search from the first is cheaper


class _From:
    """A regex whose `search` tries only the given offsets (the plugin calls `search(line)` on its keys)."""

    __slots__ = ("offsets", "regex")

    def __init__(self, regex: re.Pattern[str], offsets: list[int]) -> None:
        self.regex = regex
        self.offsets = offsets

    def search(self, string: str) -> re.Match[str] | None:
        if len(self.offsets) > MAX_STARTS:
            return self.regex.search(string, self.offsets[0])
        match = self.regex.match
        for offset in self.offsets:
            found = match(string, offset)
            if found is not None:
                return found
        return None


def analyze(plugin: Any, filename: str, line: str) -> list[Any]:
    """KeywordDetector.analyze_line(filename=filename, line=line) as a list."""
    from detect_secrets.plugins.base import BasePlugin

    if plugin.keyword_exclude is not None:  # configured exclusions: the plugin's own path
        return list(plugin.analyze_line(filename=filename, line=line))
    starts = _starts(line, line.lower())
    searches: dict[Any, int] = {}
    for regex, group in _table(filename).items():
        if not _may_match(regex, line):
            continue
        if starts is not None and _starts_with_word(regex):
            if not starts:
                continue
            regex = _From(regex, starts)  # type: ignore[assignment]
        searches[regex] = group
    return list(BasePlugin.analyze_line(plugin, filename=filename, line=line, denylist_regex_to_group=searches))


def _starts(line: str, lowered: str) -> list[int] | None:
    """Offsets where a DENYLIST word can start, ascending; None when the lowered line cannot tell (see _UNFOLDED)."""
    if len(lowered) != len(line) or any(char in line for char in _UNFOLDED):
        return None
    offsets: set[int] = set()
    for core in CORES:
        found = lowered.find(core)
        while found != -1:
            offsets.update(range(max(0, found - MAX_LEAD), found + 1))
            found = lowered.find(core, found + 1)
    return sorted(offsets)


@functools.lru_cache(maxsize=64)
def _table(filename: str) -> dict[re.Pattern[str], int]:
    """The plugin's regexes (and result groups) for a file of this name, in its order."""
    from detect_secrets.plugins import keyword
    from detect_secrets.util.filetype import determine_file_type

    return keyword.REGEX_BY_FILETYPE.get(  # type: ignore[no-any-return]
        determine_file_type(filename), keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP)


@functools.lru_cache(maxsize=64)
def _starts_with_word(regex: re.Pattern[str]) -> bool:
    from detect_secrets.plugins import keyword

    return regex.pattern.startswith(keyword.DENYLIST_REGEX)


def _may_match(regex: re.Pattern[str], line: str) -> bool:
    """A literal the regex needs: a quote then `;` (FOLLOWED_BY_QUOTES_AND_SEMICOLON), two of `!` and `=`
    (PRECEDED_BY_EQUAL_COMPARISON_SIGNS); any other regex is tried."""
    from detect_secrets.plugins import keyword

    if regex is keyword.FOLLOWED_BY_QUOTES_AND_SEMICOLON_REGEX:
        return "';" in line or '";' in line or "`;" in line
    if regex is keyword.PRECEDED_BY_EQUAL_COMPARISON_SIGNS_QUOTES_REQUIRED_REGEX:
        return "==" in line or "!=" in line or "=!" in line or "!!" in line
    return True
