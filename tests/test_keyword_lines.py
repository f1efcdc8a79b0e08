"""mi_migrate.scan.keyword_lines gives detect-secrets' KeywordDetector results, in its order, trying its regexes
only where a DENYLIST word can start. Lines are generated from pieces here; no value is a real secret."""

from __future__ import annotations

import random
import re

import pytest

from mi_migrate.scan import keyword_lines
from mi_migrate.testing import fakes

keyword = pytest.importorskip("detect_secrets.plugins.keyword")

PIECES = ["password", "PassWord", "db_pass", "DATABASE_KEY", "api_key", "apikey", "secret", "SECRET_token",
          "contraseña", "pwd", "key_pass", "private_key", "client_key", "auth", "x", "abc123", "Zq9v7Lm2",
          " ", "  ", "\t", ":", ":=", "=", "==", "!=", "!==", "=>", "'", '"', "`", ";", ",", "[", "]", "(", ")",
          "[0]", "@", ".assign", "\u017fecret", "\u212aey", "\u0130", "db", "_", "-", "$", "{", "}", "\\"]
FILES = ["app.py", "values.yaml", "main.go", "lib.cpp", "Program.cs", "notes.txt", "settings.cfg", "Main.java"]


def test_the_results_are_the_plugins_in_its_order() -> None:
    plugin = keyword.KeywordDetector()
    rng = random.Random(11)
    found = 0
    for _ in range(6000):
        line = "".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 30)))
        filename = rng.choice(FILES)
        expected = [p.secret_value for p in plugin.analyze_line(filename=filename, line=line)]
        got = [p.secret_value for p in keyword_lines.analyze(plugin, filename, line)]
        assert got == expected, (filename, len(line))
        found += bool(expected)
    assert found > 300


def test_a_long_line_with_many_words_searches_from_the_first() -> None:
    plugin = keyword.KeywordDetector()
    value = fakes.expand("«password»")
    line = " ".join(f'"k{i}": "value{i}", "secret{i}" ' for i in range(200)) + f'password: "{value}"'
    starts = keyword_lines._starts(line, line.lower())
    assert starts is not None and len(starts) > keyword_lines.MAX_STARTS
    for filename in FILES:
        expected = [p.secret_value for p in plugin.analyze_line(filename=filename, line=line)]
        assert [p.secret_value for p in keyword_lines.analyze(plugin, filename, line)] == expected


def test_every_denylist_word_holds_a_core_near_its_start() -> None:
    for word in keyword.DENYLIST:
        for spelling in {word.replace("_?", "_"), word.replace("_?", "")}:
            assert re.fullmatch(word, spelling), spelling
            offsets = [spelling.find(core) for core in keyword_lines.CORES if core in spelling]
            assert offsets and min(offsets) <= keyword_lines.MAX_LEAD, spelling


def test_the_letters_the_lowered_line_cannot_show_are_known() -> None:
    """A character `(?i)` matches to a letter of a core while lower() does not make it that letter, or whose lower
    case is longer than one character (offsets would shift), sends the line down the plugin's own search."""
    letters = set("".join(keyword_lines.CORES))
    unfolded = set()
    for code in range(0x80, 0x110000):
        char = chr(code)
        if len(char.lower()) != 1 or any(
                re.fullmatch("(?i)" + letter, char) and char.lower() != letter for letter in letters):
            unfolded.add(char)
    assert unfolded == set(keyword_lines._UNFOLDED)
