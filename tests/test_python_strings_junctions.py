"""The linear junction finder (mi_migrate.scan.structured.junctions) gives the answers of the regex it replaces,
python_strings._CANDIDATE, quote by quote, for `str` and `bytes` alike, without its quadratic time on long lines."""

from __future__ import annotations

import random
import re
import time

import pytest

from mi_migrate.scan.structured import junctions, python_strings

PIECES = ["'", '"', "x", "ab", " ", "\t", "+", "#", "\n", "\r\n", "\r", "\\", "r", "U", "b", "'''", '"x"', "'y'",
          "# c\n", "\u00a0", "\\\n", "=", "(", ")"]


@pytest.mark.parametrize("kind", [str, bytes])
def test_each_quote_gets_the_regex_answer(kind: type) -> None:
    regex = re.compile(python_strings._CANDIDATE.encode() if kind is bytes else python_strings._CANDIDATE)
    rng = random.Random(4 if kind is str else 5)
    matched = 0
    for _ in range(4000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 16)))
        data = text.encode("utf-8") if kind is bytes else text
        expected = [i for i in range(len(data)) if regex.match(data, i) and data[i:i + 1] in ("'", '"', b"'", b'"')]
        assert junctions.quote_offsets(data) == expected, repr(data)
        assert junctions.any_junction(data) == (regex.search(data) is not None), repr(data)
        matched += bool(expected)
    assert matched > 300


def test_the_regex_line_starts_are_among_them() -> None:
    """extract() keeps the lines of the quotes found: every line the regex's own scan starts a match on is kept."""
    rng = random.Random(6)
    for _ in range(2000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 20)))
        regex_starts = {m.start() for m in python_strings.CANDIDATE_TEXT.finditer(text)}
        assert regex_starts <= set(junctions.quote_offsets(text)), repr(text)


def test_a_crafted_line_costs_linear_time() -> None:
    """`x' #' ` repeated: every quote is followed by a comment and no opening quote; the regex scanned to the line's
    end from each (3.5 s for 24 KB, growing with the square)."""
    line = "x' #' " * 40_000 + "\n"
    started = time.perf_counter()
    assert junctions.quote_offsets(line) == [] and not junctions.any_junction(line.encode())
    assert time.perf_counter() - started < 1.0
