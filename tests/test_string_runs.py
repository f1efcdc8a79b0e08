"""The reading that spares python_strings.extract its parse (mi_migrate.scan.structured.string_runs): when it says
no run of literals spans a junction line, the parse would have found nothing to join either."""

from __future__ import annotations

import ast
import random
import warnings

import pytest

from mi_migrate.scan.python import syntax
from mi_migrate.scan.python.syntax import line_numbers
from mi_migrate.scan.structured import junctions, python_strings, string_runs

# string tokens of every form (with quotes, escapes, `#` and fake junctions inside) and what may join them
STRINGS = [
    '"a"', "'b'", '"x\'y"', "'q\"r'", "'0,1''N'", '"""doc \'a\'\'b\' end"""', "'''x \"p\"\"q\" '''",
    'r"\\d+"', "u'c'", 'b"by"', 'f"{v}"', 'rb"z"', 'R"A"', '"e\\"s"', "'e\\'s'", '"\\\\"', '"h#t"',
    '"""a""b"""', "'''\n'x''y'\n'''", '"k=\'v\'\'w\'"',
]
GAPS = [" ", "", " + ", "+", "\n    ", "  # c 'q''r'\n    ", "\n    # \"a\" \"b\"\n    ", " \\\n    ", "\n    + "]
COMMENTS = ["# 'p''q'", '# "a" "b"', "# it's 'x'", "#"]


def _expression(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if roll < 0.35 or depth > 2:
        return rng.choice(STRINGS)
    if roll < 0.7:  # literals joined; inside parentheses a gap may break lines
        parts = [rng.choice(STRINGS) for _ in range(rng.randrange(2, 4))]
        out = parts[0] if rng.random() < 0.8 else f"(  # 'p''q'\n    {parts[0]})"
        for part in parts[1:]:
            out += rng.choice(GAPS) + (f"({part})" if rng.random() < 0.1 else part)
        return f"({out})"
    if roll < 0.8:
        return f"f({_expression(rng, depth + 1)}, {_expression(rng, depth + 1)})"
    if roll < 0.9:
        return f"{_expression(rng, depth + 1)} if{_expression(rng, depth + 1)} else {_expression(rng, depth + 1)}"
    return f"[{_expression(rng, depth + 1)}, v]"


def _module(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randrange(1, 6)):
        roll = rng.random()
        if roll < 0.5:
            lines.append(f"x = {_expression(rng)}  {rng.choice(COMMENTS) if rng.random() < 0.3 else ''}")
        elif roll < 0.7:
            lines.append(rng.choice(STRINGS[5:7] + STRINGS[17:19]))
        elif roll < 0.85:
            lines.append(rng.choice(COMMENTS))
        else:
            lines.append(f"def g():\n    return {_expression(rng)}")
    return "\n".join(lines) + "\n"


def _extract_parsing(source: str) -> list:
    """extract() as it was: parsing whenever some line has a junction."""
    saved = string_runs.runs_reach
    string_runs.runs_reach = lambda text, lines: None  # type: ignore[assignment]
    try:
        return python_strings.extract(source)
    finally:
        string_runs.runs_reach = saved
        syntax.forget()


def _junction_lines(source: str) -> list[int]:
    return line_numbers(source, [quote + 1 for quote in junctions.quote_offsets(source)])


def _parses(source: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True


def test_a_module_it_rules_out_has_nothing_to_join() -> None:
    rng = random.Random(12)
    ruled_out = kept = 0
    for _ in range(6000):
        source = _module(rng)
        if not _parses(source):
            continue
        lines = _junction_lines(source)
        if not lines:
            continue
        answer = string_runs.runs_reach(source, lines)
        if answer is False:
            ruled_out += 1
            assert _extract_parsing(source) == [], repr(source)
        else:
            kept += 1
    assert ruled_out > 500 and kept > 500  # both answers are exercised


def test_a_junction_inside_a_docstring_is_no_run() -> None:
    source = 'class Model:\n    """Partition names are in the format \'0\',\'1\'\'N-1\'."""\n\n    x = 1\n' * 3
    assert string_runs.runs_reach(source, _junction_lines(source)) is False
    assert python_strings.extract(source) == []


@pytest.mark.parametrize("source", [
    'conn = ("AccountName=a;"\n        "AccountKey=b")\n',
    'conn = "AccountName=a;" r"AccountKey=b"\n',
    'conn = ("AccountName=a;"  # the name\n        # and the key\n        "AccountKey=b")\n',
    'conn = "AccountName=a;" + \\\n    "AccountKey=b"\n',
])
def test_joined_literals_are_a_run(source: str) -> None:
    lines = _junction_lines(source)
    assert lines and string_runs.runs_reach(source, lines) is True
    assert [value.text for value in python_strings.extract(source)] == ["AccountName=a;AccountKey=b"]


def test_a_keyword_before_a_string_is_no_prefix() -> None:
    source = 'x = "a" if"b" else "c" "d"\ny = "e\'\'f"\n'
    assert string_runs.runs_reach(source, [1]) is True  # "c" "d"
    assert string_runs.runs_reach('x = "a" if"b" else 1\ny = 2 # \'p\'\'q\'\n', [2]) is False


@pytest.mark.parametrize("source", ['x = "unterminated\ny = 1\n', 'x = """never closed\n', "a = 'x'\rb = 'y' 'z'\n"])
def test_what_it_cannot_read_is_left_to_the_parse(source: str) -> None:
    assert string_runs.runs_reach(source, [1]) is None
