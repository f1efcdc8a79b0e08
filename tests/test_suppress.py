"""Inline suppressions: noqa in Python, `mi-migrate: ignore` in any comment syntax, detect-secrets pragmas."""

from __future__ import annotations

import pytest

from mi_migrate.core.finding import Finding, Kind, Severity, Span
from mi_migrate.core.rules import rule_by_id
from mi_migrate.scan.engine import LineIndex
from mi_migrate.scan.suppress import apply_inline, comment_start

SECRET_LINE = 'CONN = "AccountKey=SECRET"'


def finding(line: int, rule_id: str = "AZ101", path: str = "app.py", end_line: int | None = None,
            end_column: int = 20) -> Finding:
    return Finding(rule_id=rule_id, rule_name="storage-connection-string", path=path,
                   span=Span(line, 9, end_line or line, end_column), severity=Severity.ERROR,
                   kind=Kind.SECRET,
                   service="storage", message="m", secret_hash="0" * 64)


def kept(text: str, path: str = "app.py", line: int = 1, rule_id: str = "AZ101",
         end_line: int | None = None, end_column: int = 20) -> bool:
    found = [finding(line, rule_id, path, end_line, end_column)]
    return apply_inline(found, text, LineIndex.of(text)) == found


@pytest.mark.parametrize(("comment", "rule_id", "suppressed"), [
    ("# noqa", "AZ101", True),
    ("#noqa", "AZ101", True),
    ("# NOQA", "AZ101", True),
    ("# noqa: AZ101", "AZ101", True),
    ("# noqa:AZ101,AZ205", "AZ205", True),
    ("# noqa: E501 AZ101", "AZ101", True),
    ("# noqa: AZ1", "AZ105", True),  # a prefix
    ("# noqa: AZ2", "AZ101", False),
    ("# noqa: AZ1011", "AZ101", False),
    ("# noqa: E501", "AZ101", False),
    ("# noqa:", "AZ101", False),  # no valid code: a typo must not hide a secret
    ("# noqa: az101", "AZ101", False),  # codes are uppercase (ruff's grammar)
    ("# type: ignore  # noqa: AZ101", "AZ101", True),
    ("# noqanope", "AZ101", False),
])
def test_noqa_in_python(comment: str, rule_id: str, suppressed: bool) -> None:
    assert kept(f"{SECRET_LINE}  {comment}\n", rule_id=rule_id) is not suppressed


def test_noqa_inside_a_string_does_not_count() -> None:
    assert kept('CONN = "AccountKey=SECRET # noqa"\n')
    assert kept("CONN = 'a#b' + \"AccountKey=SECRET # noqa\"\n")
    assert not kept('CONN = "AccountKey=SECRET" "# x"  # noqa\n')
    assert not kept("CONN = '''it''s'''  # noqa\n")


def test_noqa_is_python_only() -> None:
    assert kept("STORAGE=AccountKey=SECRET  # noqa\n", path="app.env")
    assert not kept("STORAGE=AccountKey=SECRET  # noqa\n", path="tool.pyw")


def test_noqa_on_the_first_or_last_line_of_a_multiline_finding() -> None:
    text = 'CONN = """\nAccountKey=\nSECRET"""  {}\nx = 1\n'
    assert not kept(text.format("# noqa: AZ101"), line=1, end_line=3, end_column=7)
    assert kept(text.format("# noqa: AZ2"), line=1, end_line=3, end_column=7)
    assert kept(text.format("'# noqa'"), line=1, end_line=3, end_column=7)
    assert kept('CONN = """  # noqa\nAccountKey=\nSECRET"""\n', line=1, end_line=3, end_column=7)
    assert not kept('CONN = (  # noqa: AZ101\n"""AccountKey=\nSECRET""")\n', line=1, end_line=3, end_column=7)
    assert kept('CONN = """\nAccountKey=  # noqa\nSECRET"""\n', line=1, end_line=3, end_column=7)


def test_noqa_on_a_line_that_starts_inside_a_multiline_string() -> None:
    assert not kept('CONN = """\nAccountKey=SECRET"""  # noqa\n', line=2, end_column=18)
    assert kept('CONN = """\nAccountKey=SECRET # noqa"""\n', line=2, end_column=18)


@pytest.mark.parametrize(("path", "line"), [
    ("settings.py", "CONN = 'AccountKey=SECRET'  # mi-migrate: ignore[AZ101]"),
    ("app.js", "const conn = 'AccountKey=SECRET'; // mi-migrate: ignore[AZ101]"),
    ("App.cs", "var conn = \"AccountKey=SECRET\"; /* mi-migrate: ignore[AZ101] */"),
    ("web.config", "<add value=\"AccountKey=SECRET\" /> <!-- mi-migrate: ignore[AZ101] -->"),
    ("app.ini", "conn = AccountKey=SECRET ; mi-migrate: ignore[AZ101]"),
    ("q.sql", "SELECT 'AccountKey=SECRET' -- mi-migrate: ignore[AZ101]"),
    ("run.bat", "set C=AccountKey=SECRET & REM mi-migrate: ignore[AZ101]"),
    ("mod.vb", "Dim c = \"AccountKey=SECRET\" ' mi-migrate: ignore[AZ101]"),
    ("values.yaml", "conn: AccountKey=SECRET  # mi-migrate: ignore"),
    (".env", "CONN=AccountKey=SECRET # mi-migrate: ignore[AZ1, AZ2]"),
    (".env", "CONN=AccountKey=SECRET # mi-migrate: ignore[storage-connection-string]"),
])
def test_ignore_directive_on_the_same_line(path: str, line: str) -> None:
    assert not kept(line + "\n", path=path)


@pytest.mark.parametrize("above", [
    "# mi-migrate: ignore[AZ101]",
    "    // mi-migrate: ignore",
    "<!-- mi-migrate: ignore[AZ101] -->",
    "/* mi-migrate: ignore[AZ101] */",
    "; mi-migrate: ignore[AZ101] rotated in 2024, fixture only",
    "REM mi-migrate: ignore",
    ":: mi-migrate: ignore",
    "-- mi-migrate: ignore[AZ1]",
])
def test_ignore_directive_alone_on_the_line_above(above: str) -> None:
    assert not kept(f"first = 1\n{above}\nCONN=AccountKey=SECRET\n", path="x.cfg", line=3)


@pytest.mark.parametrize(("text", "line"), [
    ("# mi-migrate: ignore[AZ2]\nCONN=AccountKey=SECRET\n", 2),  # another rule
    ("x = 1  # mi-migrate: ignore\nCONN=AccountKey=SECRET\n", 2),  # not alone on the line above
    ("# mi-migrate: ignore\n\nCONN=AccountKey=SECRET\n", 3),  # two lines above
    ("CONN=AccountKey=SECRET\n# mi-migrate: ignore\n", 1),  # below
    ("CONN=AccountKey=SECRET mi-migrate: ignore\n", 1),  # not in a comment
    ("CONN=AccountKey=SECRET # mi-migrate: ignored-by-someone\n", 1),
])
def test_ignore_directive_that_does_not_apply(text: str, line: int) -> None:
    assert kept(text, path="x.env", line=line)


def test_detect_secrets_pragmas() -> None:
    assert not kept("CONN=AccountKey=SECRET  # pragma: allowlist secret\n", path="x.env")
    assert not kept("key: 'AccountKey=SECRET' // pragma: allowlist-secret\n", path="x.ts")
    assert not kept("# pragma: allowlist nextline secret\nCONN=AccountKey=SECRET\n", path="x.env", line=2)
    assert kept("CONN=AccountKey=SECRET  # pragma: allowlist nextline secret\n", path="x.env")
    assert kept("# pragma: allowlist secret\nCONN=AccountKey=SECRET\n", path="x.env", line=2)


def test_only_the_suppressed_findings_are_dropped() -> None:
    text = "A=AccountKey=SECRET # mi-migrate: ignore[AZ101]\nB=AccountKey=OTHER\n"
    findings = [finding(1), finding(1, "AZ103"), finding(2)]
    assert apply_inline(findings, text, LineIndex.of(text)) == findings[1:]
    assert apply_inline([], text, LineIndex.of(text)) == []


def test_crlf_and_last_line_without_newline() -> None:
    assert not kept("x = 1\r\n# mi-migrate: ignore\r\nCONN=AccountKey=SECRET", path="a.env", line=3)
    assert not kept("CONN = 'x'  # noqa\r\n")


def test_noqa_when_the_file_does_not_tokenize() -> None:
    assert not kept('CONN = "AccountKey=SECRET"  # noqa\nbroken = """\n')
    assert kept('CONN = "AccountKey=SECRET # noqa"\nbroken = """\n')


def test_comment_start_skips_strings() -> None:
    assert comment_start("a = 1  # c") == 7
    assert comment_start("a = '#' # c") == 8
    assert comment_start('a = "\\"#" # c') == 10
    assert comment_start("a = '''#''' # c") == 12
    assert comment_start("a = 'no comment'") is None


def _has_az101() -> bool:
    try:
        return "AZ101" in rule_by_id()
    except ValueError:
        return False


CONNECTION = (
    "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=«b64:64»;EndpointSuffix=core.windows.net"
)


@pytest.mark.skipif(not _has_az101(), reason="rule AZ101 has not landed yet")
@pytest.mark.parametrize(("filename", "template", "reported"), [
    ("settings.py", 'CONN = "{c}"\n', True),
    ("settings.py", 'CONN = "{c}"  # noqa: AZ101\n', False),
    ("settings.py", 'CONN = "{c}"  # noqa: AZ2\n', True),
    ("app.env", "STORAGE={c}  # noqa\n", True),
    ("app.env", "# mi-migrate: ignore[AZ101]\nSTORAGE={c}\n", False),
    ("appsettings.xml", '<add key="s" value="{c}" /> <!-- mi-migrate: ignore -->\n', False),
    ("app.env", "STORAGE={c}  # pragma: allowlist secret\n", False),
])
def test_suppression_end_to_end(scan, filename: str, template: str, reported: bool) -> None:
    findings, _text = scan(template.format(c=CONNECTION), filename=filename, third_party=False)
    assert any(f.rule_id == "AZ101" for f in findings) is reported


def test_same_line_directives_are_what_the_comment_then_directive_regex_finds() -> None:
    """suppress.parse finds a directive, then a comment token before it; the single regex it replaces (comment,
    lazy run, directive) must give the same codes and pragmas on lines mixing every comment token, directives
    with and without codes, and text between them."""
    import random
    import re

    from mi_migrate.scan import suppress

    old_same = re.compile(suppress.COMMENT + r".*?" + suppress.DIRECTIVE)
    old_pragma = re.compile(suppress.COMMENT + r".*?pragma:\s*allowlist[ -]secret", re.I)
    pieces = ["#", "//", "/*", "<!--", ";", "--", "'", "::", "REM ", "rem", "REMx", "-", ":", "/", "<!", " ", "x",
              "key=v", "mi-migrate: ignore", "mi-migrate:ignore[AZ101]", "mi-migrate: ignore[AZ1;x]",
              "mi-migrate: ignored", "PRAGMA: allowlist secret", "pragma:allowlist-secret", "pragma: no cover"]
    rng = random.Random(21)
    compared = 0
    for _ in range(3000):
        line = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 9)))
        expected = [suppress._refs(m.group("codes")) for m in old_same.finditer(line)]
        if old_pragma.search(line):
            expected.append(None)
        if "mi-migrate" not in line and "pragma" not in line.lower():
            expected = []
        assert suppress.parse("same", line) == expected, line
        compared += bool(expected)
    assert compared > 300


def test_a_directive_on_a_long_one_line_file_costs_one_pass() -> None:
    """A notebook or minified file on one line, full of quotes, with a finding on it: the same-line check must
    not scan to the line's end from every quote (it took half a second on a 130 KB notebook)."""
    import time

    from mi_migrate.scan import suppress

    line = ("'a'; " * 40_000) + "pragma: no cover mi-migrate ignore"
    started = time.perf_counter()
    assert suppress.parse("same", line) == []
    assert time.perf_counter() - started < 0.1
