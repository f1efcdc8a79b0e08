"""Value-shaped anchors (mi_migrate.scan.candidates.anchors): each is a necessary condition for its rule pattern or
detect-secrets plugin, so skipping a file or a pattern without its anchor never loses a finding. Every value is
generated here (mi_migrate.testing.fakes or random), never written out."""

from __future__ import annotations

import random
import re
import string

import pytest

from mi_migrate.core.rules import load_rules
from mi_migrate.scan import candidates, third_party
from mi_migrate.testing import fakes

RNG_SEED = 7


def _rule_texts() -> list[str]:
    """Every rule example, and pairs of them joined: the shapes each pattern is documented to match."""
    texts = [fakes.expand(ex.text) for rule in load_rules() for ex in rule.examples]
    rng = random.Random(RNG_SEED)
    texts += [rng.choice(texts) + rng.choice(("\n", " ", ";", "")) + rng.choice(texts) for _ in range(300)]
    return texts


def test_every_rule_anchor_holds_wherever_its_pattern_matches() -> None:
    checked = 0
    for rule in load_rules():
        for pattern in rule.patterns:
            if pattern.anchor is None:
                continue
            hits = [t for t in _rule_texts() if pattern.regex.search(t)]
            assert hits, f"{pattern.anchor_name}: no example exercises the pattern"
            for text in hits:
                assert pattern.anchor.search(text.encode("utf-8")), (pattern.anchor_name, f"{len(text)} characters")
                checked += 1
    assert checked > 100


def test_the_shapes_that_carry_the_speed_are_anchored() -> None:
    """The patterns whose keywords occur in nearly every file (`key`, `password`, `code=`) have anchors."""
    anchored = {p.anchor_name.split("#")[0] for rule in load_rules() for p in rule.patterns if p.anchor_name}
    assert {"AZ102", "AZ108", "AZ113", "AZ115", "AZ116", "AZ119", "AZ121", "AZ122", "AZ127", "AZ190"} <= anchored


def _values(rng: random.Random) -> list[str]:
    def run(chars: str, n: int) -> str:
        return "".join(rng.choice(chars) for _ in range(n))

    lower_digits = string.ascii_lowercase + string.digits
    return [
        run(string.ascii_letters + string.digits + "_-", 44),
        run("0123456789abcdef", 48), run("0123456789abcdef", 64), run(string.ascii_lowercase, 24),
        run(lower_digits, 64), run(lower_digits, 32) + "-us" + str(rng.randrange(1, 20)),
        "AKC" + run(string.ascii_letters + string.digits, 12), "AP" + rng.choice("0123456789ABCDEF") + run(
            string.ascii_letters, 10),
        rng.choice(("AC", "SK")) + run(lower_digits, 32),
        run(string.ascii_letters + string.digits + "+/", 32) + "==", run("0123456789abcdef", 20),
        run(string.digits, 9) + ":" + run(string.ascii_letters + string.digits + "_-", 35),
        "N" + run(string.ascii_letters, 23) + "." + run(string.ascii_letters, 6) + "." + run(string.ascii_letters, 27),
        run(string.ascii_letters + string.digits, 20) + "!x", fakes.expand("«aws_key_id»"),
        run(string.ascii_letters + string.digits + "/+", 40),
    ]


KEYS = ("password", "db_pass", "api_key", "secret", "IBM_CLOUD_IAM_API_KEY", "cloudant_password", "cl-key",
        "softlayer_api_key", "sl_token", "cloudant_api_key", "sl-api-pwd", "ibm_cos_secret_access_key", "aws_secret",
        "token", "auth", "name")
FORMS = ('{k} = "{v}"', "{k}: {v}", "{k}={v}", '{k} := "{v}"', '"{k}": "{v}",', "{k} {v}", "['{k}'] = '{v}'",
         'if ("{v}" == {k}) {{', "{k}.assign(\"{v}\")", 'x = "https://u:{v}@acct.cloudant.com"',
         "{k}(\"{v}\")", "$conf['{k}'] = \"{v}\";", "  - {k} => '{v}'", "{k} '{v}';")
FILES = ("app.py", "config.yaml", "main.go", "App.java", "settings.ini", ".env", "README.md", "x.cs")


def _plugin_lines() -> list[tuple[str, str]]:
    rng = random.Random(RNG_SEED)
    lines = []
    for _ in range(2500):
        form, key, value = rng.choice(FORMS), rng.choice(KEYS), rng.choice(_values(rng))
        lines.append((form.format(k=key, v=value), rng.choice(FILES)))
    return lines


def test_every_plugin_anchor_holds_wherever_the_plugin_reports() -> None:
    """Through mi-migrate's own plugin pass with no file gate (`present=None`): whatever it reports, the
    reporting plugin's anchor occurs in the line."""
    detectors = {det.name: det for det in third_party._detectors()}
    reported: dict[str, int] = {}
    for line, filename in _plugin_lines():
        data = line.encode("utf-8")
        for finding in third_party.scan(filename, line, data.lower()):
            det = detectors[finding.fields["plugin"]]
            if det.pre.anchor is None or (det.pre.anchor_skips_config and third_party.is_config_file(filename)):
                continue
            reported[det.name] = reported.get(det.name, 0) + 1
            assert candidates.re.compile(det.pre.anchor).search(data), (det.name, filename, f"{len(line)} chars")
    # the check above is only as good as the lines that make plugins report
    assert {"KeywordDetector", "IbmCloudIamDetector", "Base64HighEntropyString", "HexHighEntropyString",
            "CloudantDetector", "SoftlayerDetector", "BasicAuthDetector", "TwilioKeyDetector",
            "ArtifactoryDetector", "MailchimpDetector", "IbmCosHmacDetector"} <= set(reported), reported


def _long_value_lines(count: int) -> list[str]:
    """The plugin forms with values of 1 to 90 characters, some after a run of words: hyperscan (5.4.12, and the
    wheels back to 0.7.30) misses `pass(?:=|.*['"].*['"];)` on `db_pass '<24 or more characters>';` when it is
    compiled alone, and whether the candidate database misses such a line depends on what else it holds."""
    rng = random.Random(RNG_SEED + 1)
    alnum = string.ascii_letters + string.digits
    lines = []
    for _ in range(count):
        charset = rng.choice([alnum, "0123456789abcdef", alnum + "+/="])
        value = "".join(rng.choice(charset) for _ in range(rng.randint(1, 90)))
        line = rng.choice(FORMS).format(k=rng.choice(KEYS), v=value)
        lines.append("".join(rng.choices(alnum + " ", k=rng.randint(0, 40))) + " " + line if rng.random() < 0.3
                     else line)
    return lines


@pytest.mark.skipif("hyperscan" not in candidates.available(), reason="hyperscan is not installed")
def test_engines_agree_on_every_anchor() -> None:
    _, names = candidates.universe()
    texts = _rule_texts() + [line for line, _ in _plugin_lines()[:500]] + _long_value_lines(4000)
    for text in texts:
        data = text.encode("utf-8")
        fast, slow = candidates.find(data, "hyperscan"), candidates.find(data, "re")
        assert [n for n in names if fast.matched(n)] == [n for n in names if slow.matched(n)], f"{len(text)} characters"


def test_no_rule_anchor_or_keyword_reaches_over_a_backslash() -> None:
    """candidates.json_decoding_reveals relies on it: a match reaching from raw JSON text into a decoded value
    holds no backslash, so it is in the fully decoded file too."""
    rng = random.Random(RNG_SEED)
    texts = []
    for text in _rule_texts()[:400]:
        chars = list(text)
        for _ in range(3):
            chars.insert(rng.randrange(len(chars) + 1), "\\")
        texts.append("".join(chars).encode("utf-8"))
    for rule in load_rules():
        assert all(b"\\" not in keyword for keyword in rule.keywords), rule.id
        for pattern in rule.patterns:
            if pattern.anchor is None:
                continue
            for data in texts:
                for match in pattern.anchor.finditer(data):
                    assert b"\\" not in match.group(0), pattern.anchor_name


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the structured parse is asked for, in order."""
    from mi_migrate.scan import structured

    calls: list[str] = []
    real = structured.scan_structured_file

    def spy(rel_path: str, *args: object, **kwargs: object) -> object:
        calls.append(rel_path)
        return real(rel_path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(structured, "scan_structured_file", spy)
    return calls


@pytest.mark.parametrize("engine", candidates.available())
def test_json_with_escapes_that_reveal_nothing_is_not_parsed(engine: str, parsed: list[str]) -> None:
    from mi_migrate.scan.files import scan_bytes
    from mi_migrate.scan.model import ScanSettings

    harmless = b'{"api_key_name": "ab\\"c", "path": "C:\\\\keys\\\\x", "secret": "see \\u00e9"}'
    assert scan_bytes("settings.json", harmless, ScanSettings(engine=engine)) == ([], [])
    assert parsed == []
    key = fakes.expand("«b64:64»")
    hidden = f'{{"storage_key": "{key[:40]}\\/{key[41:]}"}}'  # an escaped slash inside the key
    found, _ = scan_bytes("settings.json", hidden.encode(), ScanSettings(engine=engine))
    assert parsed == ["settings.json"]
    assert [(f.rule_id, f.key_path) for f in found] == [("AZ102", "storage_key")]


@pytest.mark.parametrize("engine", candidates.available())
def test_json_with_a_text_rule_is_parsed_only_when_an_escaped_value_could_hold_a_match(
    engine: str, parsed: list[str]
) -> None:
    """A text rule in the raw bytes (a key-shaped value that fails validation) no longer sends the file to the
    parse by itself: only the windows of its escaped values count, as scanner.scan_value would read them."""
    from mi_migrate.scan.files import scan_bytes
    from mi_migrate.scan.model import ScanSettings

    not_a_key = "A" * 86 + "=="  # the shape, but no 64 random bytes: the line scan rejects it
    padding = ", ".join(f'"setting{i}": "value {i}"' for i in range(20))  # the scanner reads 200 characters around
    harmless = f'{{"path": "C:\\\\keys\\\\x", "q": "say \\"hi\\"", {padding}, "sample": "storage_key = {not_a_key}"}}'
    assert scan_bytes("settings.json", harmless.encode(), ScanSettings(engine=engine)) == ([], [])
    assert parsed == []
    key = fakes.expand("«b64:64»")
    hidden = harmless[:-1] + f', "storage_key": "{key[:40]}\\/{key[41:]}"}}'
    found, _ = scan_bytes("settings.json", hidden.encode(), ScanSettings(engine=engine))
    assert parsed == ["settings.json"]
    assert [(f.rule_id, f.key_path) for f in found] == [("AZ102", "storage_key")]
    commented = "// not strict JSON: only the parse knows where its strings are\n" + harmless
    scan_bytes("settings.jsonc", commented.encode(), ScanSettings(engine=engine))
    assert parsed == ["settings.json", "settings.jsonc"]


@pytest.mark.parametrize("engine", candidates.available())
def test_notebooks_are_parsed_only_when_decoding_can_reveal_something(engine: str, parsed: list[str]) -> None:
    import json

    from mi_migrate.scan.files import scan_bytes
    from mi_migrate.scan.model import ScanSettings


    def notebook(*lines: str) -> bytes:
        cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": list(lines)}
        return json.dumps({"cells": [cell], "nbformat": 4, "nbformat_minor": 5}, indent=1).encode()

    plain = notebook('import os\n', 'api_key_name = "OPENAI_KEY"\n', 'print(os.environ[api_key_name])')
    assert scan_bytes("nb.ipynb", plain, ScanSettings(engine=engine)) == ([], [])
    assert parsed == []
    key = fakes.expand("«b64:64»")
    while "/" not in key:
        key = fakes.expand("«b64:64»", seed=len(key) + key.count("+") + 1)
    # JSON may escape a slash: the raw file never shows the key whole, the decoded cell does
    escaped = notebook("import os\n", f'storage_key = "{key}"\n').replace(b"/", b"\\/")
    found, _ = scan_bytes("nb.ipynb", escaped, ScanSettings(engine=engine))
    assert parsed == ["nb.ipynb"]
    assert [(f.rule_id, f.key_path) for f in found] == [("AZ102", "cells[0].source")]


def test_shape_patterns_stay_on_one_line() -> None:
    """engine.scan_text runs a `shape` pattern only on the lines holding the shape: its regex must not cross a
    line break or depend on the end of the text."""
    import re

    from mi_migrate.scan import engine

    shaped = [p for rule in load_rules() for p in rule.patterns
              if p.options.get("shape") in engine._SHAPES or p.options.get("shape") in engine._RUNS]
    assert len(shaped) >= 8
    for pattern in shaped:
        source = pattern.regex.pattern
        assert not pattern.regex.flags & (re.DOTALL | re.MULTILINE), source
        for construct in ("\\s", "\\S", "[^", "$", "\\Z", "\\n", "\\W", "\\D"):
            assert construct not in source, (construct, source)
        outside_classes = re.sub(r"\[(?:\\.|[^\]\\])*\]", "", source)
        assert re.search(r"(?<!\\)\.", outside_classes) is None, source  # `.` (any character) outside a class


def test_shape_lines_give_the_same_matches_as_the_whole_text() -> None:
    from mi_migrate.scan import engine

    rng = random.Random(RNG_SEED)
    shaped = [p for rule in load_rules() for p in rule.patterns
              if p.options.get("shape") in engine._SHAPES or p.options.get("shape") in engine._RUNS]
    assert {p.options["shape"] for p in shaped} == {*engine._SHAPES, *engine._RUNS}
    texts = _rule_texts()
    hexes = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    alnum = "".join(rng.choice("0123456789abcdefXYZ") for _ in range(52))
    pieces = [*texts[:60], "\n", "==", "=", " ", "key = ", "'", hexes, alnum, "-", hexes[:7], alnum[:9],
              "\u00e9", "\ud800", "\U0001f600"]  # non-ASCII: byte and character offsets differ
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 8))) for _ in range(600)]
    texts += [f"\u00e9\n{hexes}", f"\u00e9\u00e9\nkey = {alnum}\n",
              f"\U0001f600 \n{hexes} \u00e9 {hexes}\n\ud800\n{alnum}"]
    compared = 0
    for text in texts:
        for pattern in shaped:
            whole = [m.span() for m in pattern.regex.finditer(text)]
            shape = pattern.options["shape"]
            lines = engine.shape_lines(text, shape) if shape in engine._SHAPES else engine.run_spans(text, shape)
            assert [m.span() for m in engine._matches(pattern, text, lines)] == whole
            if shape in engine._RUNS:  # a run pattern's match is a whole run of exactly the width: run_spans
                members = {chr(i) for i in range(256) if engine._RUNS[shape][0][i] == ord("h")}
                width = engine._RUNS[shape][1]
                for a, b in whole:
                    assert set(text[a:b]) <= members and b - a == width, pattern.regex.pattern
                    assert text[a - 1 : a] not in members and text[b : b + 1] not in members, text[a - 1 : b + 1]
            compared += bool(whole)
    assert compared > 50


def test_json_parse_is_skipped_only_when_no_finding_could_get_a_key_path() -> None:
    """filetypes._taggable: a finding without a key path inside a JSON string might be named by the parse; one on
    a key's quote, after a line comment, or already named is not; a block comment anywhere keeps the parse."""
    from mi_migrate.core.finding import Finding, Kind, Severity, Span
    from mi_migrate.scan import filetypes
    from mi_migrate.scan.engine import LineIndex

    text = '{\n  "type": "Microsoft.Web/sites", // "x"\n  "n": "a\\\\"b"\n}\n'
    starts = LineIndex.of(text).starts

    def at(line: int, column: int, key_path: str | None = None) -> Finding:
        return Finding(rule_id="AZ402", rule_name="x", path="t.json", span=Span(line, column, line, column + 1),
                       severity=Severity.NOTE, kind=Kind.INFRASTRUCTURE, service="other", message="m",
                       key_path=key_path)

    assert not filetypes._taggable(text, at(2, 3), starts)  # the opening quote of a key
    assert filetypes._taggable(text, at(2, 4), starts)  # inside "type"
    assert filetypes._taggable(text, at(2, 14), starts)  # inside the value
    assert not filetypes._taggable(text, at(2, 37), starts)  # inside the line comment
    assert not filetypes._taggable(text, at(2, 14, key_path="resources[0].type"), starts)
    assert filetypes._taggable(text, at(3, 12), starts)  # after an escaped quote, still inside the string
    assert filetypes._taggable("/* c */" + text, at(2, 37), starts)


def _line_literal_patterns() -> list:
    return [p for rule in load_rules() for p in rule.patterns if p.options.get("line_literals")]


def test_line_literal_patterns_stay_on_one_line() -> None:
    """engine.literal_lines runs these patterns on single lines: nothing in them may match a line break."""
    import re

    patterns = _line_literal_patterns()
    assert len(patterns) >= 8
    for pattern in patterns:
        source, flags = pattern.regex.pattern, pattern.regex.flags
        assert not flags & re.DOTALL, source
        assert all(lit == lit.lower() for lit in pattern.options["line_literals"]), source
        negated = re.findall(r"\[\^(?:\\.|[^\]\\])*\]", source)
        for cls in negated:
            assert re.fullmatch(cls, "\n") is None, (cls, source)  # every negated class excludes the line break
        rest = re.sub(r"\[(?:\\.|[^\]\\])*\]", "", source)
        for construct in ("\\s", "\\S", "\\n", "\\W", "\\D", "\\Z"):
            assert construct not in rest, (construct, source)
        assert "$" not in rest or flags & re.MULTILINE, source  # `$` only as the end of a line


def test_literal_lines_give_the_same_matches_as_the_whole_text() -> None:
    from mi_migrate.scan import engine

    rng = random.Random(RNG_SEED)
    texts = _rule_texts()
    pieces = [*texts[:80], "\n", "\r\n", " ", "PASSWORD=", "pw: 'x1!yz2'", "-p ", "\u017f", "\u0131", "\u0130",
              "pa\u017f\u017fword = 'Sx9!aa1'", "\u00e9", "mssql://u:p@x.database.windows.net"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 9))) for _ in range(800)]
    compared = 0
    for text in texts:
        lowered = text.lower()
        for pattern in _line_literal_patterns():
            whole = [m.span() for m in pattern.regex.finditer(text)]
            lines = engine.literal_lines(text, lowered, pattern.options["line_literals"])
            found = whole if lines is None else [m.span() for m in engine._matches(pattern, text, lines)]
            assert found == whole, (pattern.regex.pattern, text)
            compared += bool(whole)
    assert compared > 100


@pytest.mark.parametrize("engine", candidates.available())
def test_bicep_without_escapes_or_findings_is_not_parsed(engine: str, parsed: list[str]) -> None:
    """Without a backslash every Bicep string value is its raw text (a `'''` string is verbatim), which the line
    scan read; with no finding to name by key path the parse has nothing to add. With escapes it is needed only
    where a decoded value's window holds some rule's keyword and anchor, or to say why the file does not parse."""
    from mi_migrate.scan.files import scan_bytes
    from mi_migrate.scan.model import ScanSettings

    plain = "@secure()\nparam storageKey string\nvar conn = 'AccountKey=${storageKey}'\n"
    assert scan_bytes("main.bicep", plain.encode(), ScanSettings(engine=engine, iac=False)) == ([], [])
    assert parsed == []
    escaped = "param folder string = 'C:\\keys and more'\n"  # no rule's keyword and anchor near a decoded value
    assert scan_bytes("main.bicep", escaped.encode(), ScanSettings(engine=engine, iac=False)) == ([], [])
    assert parsed == []
    revealing = escaped + "var conn2 = 'AccountKey=\\u0041bcdefghijkl'\n"  # a decoded value a rule could read
    scan_bytes("main.bicep", revealing.encode(), ScanSettings(engine=engine, iac=False))
    assert parsed == ["main.bicep"]
    broken = escaped + "var open = {\n"  # no windows when the parse would fail: it runs, and says why
    assert scan_bytes("main.bicep", broken.encode(), ScanSettings(engine=engine, iac=False))[1]


def _lookbehind_widths(parsed: object) -> list[tuple[int, int]]:
    """(min, max) width of every lookbehind in a parsed regex, nested ones included."""
    from re import _constants as constants  # type: ignore[attr-defined]

    widths = []
    for op, arg in parsed:  # type: ignore[attr-defined]
        if op in (constants.ASSERT, constants.ASSERT_NOT):
            direction, sub = arg
            if direction < 0:
                widths.append(sub.getwidth())
            widths += _lookbehind_widths(sub)
        elif op in (constants.SUBPATTERN,):
            widths += _lookbehind_widths(arg[-1])
        elif op in (constants.BRANCH,):
            for branch in arg[1]:
                widths += _lookbehind_widths(branch)
        elif op in (constants.MAX_REPEAT, constants.MIN_REPEAT, constants.POSSESSIVE_REPEAT):
            widths += _lookbehind_widths(arg[2])
        elif op in (constants.ATOMIC_GROUP,):
            widths += _lookbehind_widths(arg)
    return widths


def test_every_lookbehind_reads_one_character() -> None:
    """engine._matches remembers spans without a match by their text and the one character before them; a
    lookbehind reading further back than that would make the memory wrong."""
    from re import _parser as parser  # type: ignore[attr-defined]

    seen = 0
    for rule in load_rules():
        for pattern in rule.patterns:
            for width in _lookbehind_widths(parser.parse(pattern.source, pattern.flags)):
                assert width == (1, 1), (pattern.anchor_name or rule.id, width)
                seen += 1
    assert seen > 20
    assert _lookbehind_widths(parser.parse(r"x(?:(?<!ab)y|z)")) == [(2, 2)]  # nested ones are found


def test_remembered_spans_give_the_same_matches() -> None:
    """A span's text seen again after a different character (a run after a letter, then after a space) or at
    the very start of the text must not reuse the earlier answer."""
    from mi_migrate.scan import engine

    [pattern] = [p for rule in load_rules() if rule.id == "AZ115" for p in rule.patterns]
    value = "0123456789abcdef" * 2
    engine._NO_MATCH.clear()
    text = f"x{value} {value}\n{value}"
    spans = [(1, 33), (34, 66), (67, 99)]
    assert [m.start() for m in engine._matches(pattern, text, spans[:1])] == []  # after a letter: no match
    assert [m.start() for m in engine._matches(pattern, text, spans[1:])] == [34, 67]
    assert [m.start() for m in engine._matches(pattern, text, spans[:1])] == []  # remembered, still none
    assert engine._NO_MATCH


def test_file_gates_only_skip_what_the_validator_rejects() -> None:
    """validators.FILE_GATES lets the engine skip a validator's patterns in some files: there the validator must
    turn away every match (checked on each rule example the pattern matches, moved into such a file), and the
    skip must be what the scan does (a lock file holding an example yields nothing from those rules)."""
    from mi_migrate.scan import validators
    from mi_migrate.scan.files import scan_bytes
    from mi_migrate.scan.model import ScanSettings

    checked = 0
    for rule in load_rules():
        for pattern in rule.patterns:
            if not pattern.validator:
                continue
            validator = validators.get(pattern.validator)
            gate = validators.file_gate(pattern.validator)
            if gate is None:
                continue
            assert not gate.search("src/app.py")
            for example in rule.examples:
                text = fakes.expand(example.text)
                for match in pattern.regex.finditer(text):
                    for path in ("web/package-lock.json", "poetry.lock", "static/app.min.js"):
                        assert gate.search(path)
                        assert validator(validators.MatchContext(text, match, pattern.options, path)) is None
                        checked += 1
                    if example.match and validator(validators.MatchContext(text, match, pattern.options,
                                                                           example.filename or "app.py")):
                        found, _ = scan_bytes("poetry.lock", text.encode(), ScanSettings(select=(rule.id,)))
                        assert found == [], rule.id
    assert checked > 30


@pytest.mark.skipif("hyperscan" not in candidates.available(), reason="hyperscan not installed")
def test_joined_literal_test_is_the_same_without_lookbehind() -> None:
    """python_strings.might_have asks the native engine with CANDIDATE_NATIVE (the character before the quote
    matched, not looked behind at): on random fragments of quotes, spaces, `+`, comments, breaks and
    backslashes it says yes exactly where CANDIDATE finds a match."""
    from mi_migrate.scan.structured import python_strings

    rng = random.Random(21)
    pieces = ['"', "'", " ", "\t", "+", "#c", "\n", "\\\n", "\\", "a", "x=", "r", "u", "(", "password"]
    agree = {True: 0, False: 0}
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))).encode()
        hits = candidates.find(text + b" password", "hyperscan")
        native = hits.search(python_strings.CANDIDATE_NATIVE, text)
        expected = python_strings.CANDIDATE.search(text) is not None
        assert native is expected, text
        agree[expected] += 1
    assert min(agree.values()) > 100  # both answers were exercised


@pytest.mark.skipif("hyperscan" not in candidates.available(), reason="hyperscan not installed")
def test_hidden_yaml_test_is_the_same_on_the_native_engine() -> None:
    """structured.wants asks the native engine whether a YAML file may hide a key from the line scan (a block
    scalar header, an escape, a comment glued to a long value) with HIDDEN_YAML_NATIVE: on random fragments it
    answers as the `re` pattern does, block headers at the end of the text and before CRLF included."""
    from mi_migrate.scan import structured

    rng = random.Random(22)
    pieces = [":", "-", " ", "\t", "|", ">", "+", "2", "#c", "\n", "\r\n", "\\", "=", "a" * 9, "'", "x"]
    agree = {True: 0, False: 0}
    for _ in range(4000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 10))).encode()
        hits = candidates.find(text + b" key", "hyperscan")
        expected = structured._HIDDEN_YAML.search(text) is not None
        assert hits.search(structured.HIDDEN_YAML_NATIVE, text) is expected, text
        agree[expected] += 1
    assert min(agree.values()) > 100


@pytest.mark.parametrize("engine", candidates.available())
def test_a_decoding_reveals_a_finding_only_with_a_line_literal_of_its_pattern(engine: str) -> None:
    """candidates.reveals (the gate before a decoded value is scanned) asks a `line_literals` pattern for one of
    its literals as well: a recording that names an Azure database host, with no URL scheme, reveals nothing."""
    from mi_migrate.scan import engine as text_engine

    az124 = [rule for rule in load_rules() if rule.id == "AZ124"]
    assert az124[0].patterns[0].options["line_literals"]  # what this test is about
    password = fakes.expand("«password»")
    host_only = f'"server": "sqlsrv1.database.windows.net", "login": "admin", "password": "{password}"'
    assert not candidates.reveals(host_only, az124, engine)
    for scheme in ("mssql", "MsSql+pyodbc", "m\u017fsql"):  # a long s: `(?i)` reads it as an s
        url = f"{scheme}://admin:{password}@sqlsrv1.database.windows.net/db"
        found = text_engine.scan_text("x.yaml", url, az124)
        assert [f.rule_id for f in found] == ["AZ124"], scheme
        assert candidates.reveals(url, az124, engine), scheme


def test_the_letters_that_case_fold_to_ascii_are_the_four_reveals_knows() -> None:
    """plugin_prefilters.FOLDS_TO_ASCII: every character `(?i)` matches to an ASCII letter, and every one whose
    lower case holds one."""
    import re

    from mi_migrate.scan.plugin_prefilters import FOLDS_TO_ASCII

    folding = {chr(code) for code in range(0x80, 0x110000)
               if any(re.fullmatch("(?i)" + letter, chr(code)) for letter in string.ascii_lowercase)}
    lowering = {chr(code) for code in range(0x80, 0x110000) if any(c.isascii() for c in chr(code).lower())}
    assert folding == set(FOLDS_TO_ASCII) and lowering <= folding


@pytest.mark.parametrize("engine", candidates.available())
def test_every_rule_example_that_matches_is_revealed(engine: str) -> None:
    """What reveals() turns down can hold no finding: each documented match passes it, for its own rule."""
    checked = 0
    for rule in load_rules():
        if not rule.patterns:
            continue
        for example in rule.examples:
            if example.match:
                text = fakes.expand(example.text)
                assert candidates.reveals(text, [rule], engine), (rule.id, f"{len(text)} characters")
                checked += 1
    assert checked > 50


@pytest.mark.parametrize("engine", candidates.available())
def test_remembered_reveals_answers_equal_fresh_ones(engine: str) -> None:
    """reveals() keeps its answer per candidate signature (the keywords, line literals and anchors a text holds):
    texts cut from the rules' examples, their keywords and line literals, and the letters `(?i)` folds, asked in
    one order with the memory and each alone without it, must get the same answers."""
    rules = tuple(rule for rule in load_rules() if rule.patterns)
    pieces = [" ", "\n", "=", ";", "\u212a", "\u017f"]
    for rule in rules:
        pieces += [keyword.decode() for keyword in rule.keywords]
        pieces += [literal for p in rule.patterns for literal in p.options.get("line_literals") or ()]
        examples = [fakes.expand(example.text) for example in rule.examples if example.match][:2]
        pieces += examples
        for literal in {literal for p in rule.patterns for literal in p.options.get("line_literals") or ()}:
            # the example without its line literal: its answer then hangs on whether `(?i)` folds decide
            pieces += [re.sub(re.escape(literal), "", text, flags=re.I) for text in examples]
    rng = random.Random(RNG_SEED + 7)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))) for _ in range(1500)]
    texts += [piece + fold for piece in pieces for fold in ("", "\u212a", "\u017f")]  # one signature, folds apart
    candidates._REVEALED.clear()
    remembered = [candidates.reveals(text, rules, engine) for text in texts]
    fresh = []
    for text in texts:
        candidates._REVEALED.clear()
        fresh.append(candidates.reveals(text, rules, engine))
    assert remembered == fresh
    assert 100 < sum(fresh) < len(fresh) - 100  # both answers are exercised


@pytest.mark.skipif("hyperscan" not in candidates.available(), reason="hyperscan is not installed")
def test_a_last_line_without_a_line_break_gets_the_same_findings() -> None:
    """Hyperscan can miss a match that ends at the last byte of what it scans: KeywordDetector's line shape missed
    `db_pass '<24 or more characters>';` as a file's last line with no line break after it, and the native scan
    reported AZ304 (or nothing) where `re` reports AZ303. Position scans now run with a line break after the data."""
    from mi_migrate.scan.files import scan_bytes
    from mi_migrate.scan.model import ScanSettings

    rng = random.Random(RNG_SEED + 2)
    alnum = string.ascii_letters + string.digits
    reported = 0
    for _ in range(120):
        value = "".join(rng.choices(alnum, k=rng.randint(8, 60)))
        key = rng.choice(["db_pass", "password", "secret", "api_key", "my_pwd"])
        line = rng.choice([f"{key} '{value}';", f'{key} "{value}";', f"x = {key}('{value}');"])
        for name in ("app.py", "app.js", "conf.yaml"):
            data = ("import os\n" + line).encode()  # no line break at the end
            native = [(f.rule_id, f.span.column) for f in scan_bytes(name, data, ScanSettings(engine="hyperscan"))[0]]
            regex = [(f.rule_id, f.span.column) for f in scan_bytes(name, data, ScanSettings(engine="re"))[0]]
            assert native == regex, (name, len(value))
            reported += any(rule == "AZ303" for rule, _ in regex)
    assert reported > 150
    shape = third_party.PREFILTERS["KeywordDetector"].line_shape
    data = b"db_pass '" + b"a" * 40 + b"';"
    assert shape is not None and candidates.find(data, "hyperscan").positions((shape,), data) == [(0, len(data))]
