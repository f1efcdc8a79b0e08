"""values.decode_text's fast path (escapes of one character after the backslash) reads a text as its regex does."""

from __future__ import annotations

import random

from mi_migrate.scan.structured import values

PIECES = ["\\", "\\\\", '\\"', "\\n", "\\/", "\\t", "\\ ", "\\\n", "\\N", "\\_", "\\0", "\\e", "a", "xyz", '"', "/",
          "n", "u", "x", "U", " ", "\n", "\r\n", "\u00e9", "\\\u00e9"]


def test_the_fast_path_reads_as_the_regex_does() -> None:
    rng = random.Random(12)
    tried = 0
    for escapes in (values.YAML_ESCAPES, values.JSON_ESCAPES):
        for _ in range(6000):
            raw = "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 20)))
            if "\\u" in raw or "\\x" in raw or "\\U" in raw:
                continue  # not this path's texts
            tried += 1
            # the prefix sends the text down the regex path; it decodes to "A\n" and ends before `raw` starts
            through_regex = values.decode_text("\\u0041\n" + raw, escapes)
            assert through_regex == "A\n" + values.decode_text(raw, escapes), repr(raw)
    assert tried > 4000


def test_texts_with_hex_escapes_still_decode() -> None:
    assert values.decode_text('say \\"hi\\" \\u00e9\\x41', values.YAML_ESCAPES) == 'say "hi" \u00e9A'
    assert values.decode_text("ends with \\", values.JSON_ESCAPES) == "ends with \\"
    assert values.decode_text("\\\\\\n", values.JSON_ESCAPES) == "\\\n"
