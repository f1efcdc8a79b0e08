"""values.decode_text (the text cut at its backslashes) reads a text as the regex it replaced does."""

from __future__ import annotations

import random
import re

from mi_migrate.scan.structured import values

# the reading decode_text replaced: decode_escapes' one regex, a high surrogate taking the `\\uXXXX` after it
_ESCAPE = re.compile(
    r"\\(?:u(?P<hi>[dD][89abAB][0-9a-fA-F]{2})\\u(?P<lo>[0-9a-fA-F]{4})|u(?P<u>[0-9a-fA-F]{4})"
    r"|x(?P<x>[0-9a-fA-F]{2})|U(?P<U>[0-9a-fA-F]{8})|(?P<char>.))",
    re.S,
)


def _by_regex(raw: str, escapes: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        hi, code = match.group("hi"), match.group("u") or match.group("x") or match.group("U")
        if hi is not None:
            value = 0x10000 + ((int(hi, 16) - 0xD800) << 10) + (int(match.group("lo"), 16) - 0xDC00)
        elif code is not None:
            value = int(code, 16)
        else:
            char = match.group("char")
            return escapes.get(char, char)
        return chr(value) if value < 0x110000 else "\ufffd"

    return _ESCAPE.sub(one, raw)


PIECES = ["\\", "\\\\", '\\"', "\\n", "\\/", "\\t", "\\ ", "\\\n", "\\N", "\\_", "\\0", "\\e", "a", "xyz", '"',
          "/", "n", "u", "x", "U", " ", "\n", "\r\n", "\u00e9", "\\\u00e9", "\\u", "\\x", "\\U", "\\u00e9", "\\u0026",
          "\\ud83d", "\\ude00", "\\uDBFF", "\\uD800", "\\x41", "\\x4", "\\U0001F600", "\\UFFFFFFFF", "\\u12", "0",
          "41", "d83d", "ffff", "g", "_1", " 1", "+1", "\\u+123", "\\u 123", "\\u1_23"]


def test_it_reads_as_the_regex_does() -> None:
    rng = random.Random(12)
    hex_escapes = 0
    for escapes in (values.YAML_ESCAPES, values.JSON_ESCAPES):
        for _ in range(12000):
            raw = "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 20)))
            assert values.decode_text(raw, escapes) == _by_regex(raw, escapes), repr(raw)
            hex_escapes += _by_regex(raw, escapes) != _by_regex(raw.replace("\\u", "\\q"), escapes)
    assert hex_escapes > 3000


def test_texts_with_hex_escapes_still_decode() -> None:
    assert values.decode_text('say \\"hi\\" \\u00e9\\x41', values.YAML_ESCAPES) == 'say "hi" \u00e9A'
    assert values.decode_text("ends with \\", values.JSON_ESCAPES) == "ends with \\"
    assert values.decode_text("\\\\\\n", values.JSON_ESCAPES) == "\\\n"
    assert values.decode_text("\\ud83d\\ude00!", values.JSON_ESCAPES) == "\U0001f600!"
