"""The linear junction finder (mi_migrate.scan.structured.junctions) gives the answers of the regex it replaces,
python_strings._CANDIDATE, quote by quote, for `str` and `bytes` alike, without its quadratic time on long lines."""

from __future__ import annotations

import random
import re
import time

import pytest

from mi_migrate.scan import candidates
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


def _random_texts(seed: int, count: int, ascii_only: bool) -> list[str]:
    rng = random.Random(seed)
    pieces = [p for p in PIECES if p.isascii()] if ascii_only else PIECES
    return ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 24))) for _ in range(count)]


def test_any_superset_of_the_match_ends_gives_the_same_quotes() -> None:
    """quote_offsets(text, ends) tries only the lines a match ending at one of `ends` can start on: given every
    offset as an end, it must find what the scan of the whole text finds."""
    for text in _random_texts(8, 3000, ascii_only=False):
        for data in (text, text.encode("utf-8")):
            assert junctions.quote_offsets(data, range(len(data) + 1)) == junctions.quote_offsets(data), repr(data)


def test_no_ends_no_quotes() -> None:
    text = "x = ('a' 'b')\n"
    assert junctions.quote_offsets(text) and junctions.quote_offsets(text, []) == []


@pytest.mark.skipif("hyperscan" not in candidates.available(), reason="hyperscan is not installed")
def test_the_native_match_ends_give_the_same_quotes() -> None:
    """The ends python_strings.extract passes: where the native engine finds CANDIDATE_NATIVE matches end."""
    texts = _random_texts(9, 4000, ascii_only=True)
    texts += ["\n".join(texts[i:i + 40]) for i in range(0, 400, 40)]  # long ones: many lines, few junctions
    matched = 0
    for text in texts:
        data = text.encode("ascii")
        hits = candidates.find(data, "hyperscan")
        ends = [end for _, end in hits.positions((python_strings.CANDIDATE_NATIVE,), data) or []]
        expected = junctions.quote_offsets(text)
        assert junctions.quote_offsets(text, ends) == expected, repr(text)
        matched += bool(expected)
    assert matched > 300


@pytest.mark.skipif("hyperscan" not in candidates.available(), reason="hyperscan is not installed")
def test_a_large_module_with_one_junction() -> None:
    """A generated module: thousands of quoted strings, one pair of touching literals, found through its end."""
    body = "".join(f"    '{name}{i}': {{'key': '{name}{i}', 'type': 'str'}},\n"
                   for i in range(3000) for name in ("a", "b"))
    text = "M = {\n" + body + "}\nCONN = ('Endpoint=x;'\n        'SharedAccessKey=y')\n"
    data = text.encode("ascii")
    ends = [end for _, end in candidates.find(data, "hyperscan").positions(
        (python_strings.CANDIDATE_NATIVE,), data) or []]
    assert len(ends) == 1
    assert junctions.quote_offsets(text, ends) == junctions.quote_offsets(text) == [text.index("x;'") + 2]


@pytest.mark.skipif("hyperscan" not in candidates.available(), reason="hyperscan is not installed")
def test_non_ascii_text_through_the_native_engine() -> None:
    """python_strings.extract hands the native engine one byte per character ("?" for non-ASCII): the ends it
    gets back are character offsets and give the quotes of the whole-text scan, Unicode spaces included."""
    rng = random.Random(10)
    pieces = [*PIECES, "\u2019", "\u00e9t\u00e9", "\u3000", "\u2028"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 24)))
        data = text.encode("ascii", "replace")
        ends = [end for _, end in candidates.find(data, "hyperscan").positions(
            (python_strings.CANDIDATE_NATIVE,), data) or []]
        assert junctions.quote_offsets(text, ends) == junctions.quote_offsets(text), repr(text)
