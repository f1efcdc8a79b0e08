"""`--format json` and `--format sarif` are written one finding at a time, with the text the whole document had."""

from __future__ import annotations

import json
import shutil
import tracemalloc
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from mi_migrate import api, cli
from mi_migrate import output as output_mod
from mi_migrate.cli import main
from mi_migrate.core.finding import Kind, Note, Severity, Span
from mi_migrate.core.rules import rule_by_id
from mi_migrate.output import RenderContext, sarif
from mi_migrate.output import json as json_out
from mi_migrate.output.streaming import Items, dump, materialize
from tests.test_output_formats import ODD_MESSAGE, ODD_PATH, make_finding, make_rule, result_of

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def whole(document: dict) -> str:
    """What the renderers wrote before streaming: the document built, then dumped in one piece."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def varied_result():
    origin = replace(make_finding(path="hist/ory.py", rule_id="AZ900", severity=Severity.WARNING),
                     origin={"commit": "0" * 40, "present_at_head": False, "nested": {"ü": [1, 2.5, None]}})
    bare = replace(make_finding(path="b.env", severity=Severity.NOTE, span=Span(2, 1, 4, 5), message=ODD_MESSAGE),
                   key_path=None, kind=Kind.KEY_BASED_CODE)
    return result_of(
        make_finding(path=ODD_PATH), origin, bare, make_finding(secret="another-fake-value-xyz"),
        notes=(Note("x.bin", "skipped: binary file"), Note("odd \"ü\"\t.dat", "skipped: cannot read")),
    )


@pytest.mark.parametrize("result", [varied_result(), result_of()], ids=["several", "empty"])
def test_streamed_text_is_the_whole_document_byte_for_byte(result) -> None:
    rules = {"AZ101": make_rule()}
    context = RenderContext(timestamp="2026-01-01T00:00:00")
    pieces: list[str] = []
    json_out.stream(result, rules, pieces.append)
    assert len(pieces) > 1 and "".join(pieces) == whole(json_out.document(result)) == json_out.render(result, rules)
    pieces = []
    sarif.stream(result, rules, pieces.append, context)
    assert "".join(pieces) == whole(sarif.document(result, rules, context))
    assert output_mod.render("sarif", result, rules, context=context) == "".join(pieces)


def test_dump_matches_json_dumps_on_nested_lazy_values() -> None:
    value = {"a": [], "b": Items(iter(())), "c": [{"d": Items([{"e": "ü\n"}, [], {}, 1.5])}, "f"], "g": {}}
    out: list[str] = []
    dump(value, out.append)
    assert "".join(out) == whole(materialize({**value, "b": Items(()),
                                              "c": [{"d": Items([{"e": "ü\n"}, [], {}, 1.5])}, "f"]}))
    out = []
    dump(Items(range(3)), out.append, indent=4)
    assert "".join(out) == json.dumps([0, 1, 2], indent=4) + "\n"


def test_sarif_too_large_writes_nothing() -> None:
    res = result_of(*[make_finding()] * (sarif.MAX_RESULTS + 1))
    pieces: list[str] = []
    with pytest.raises(ValueError, match="25,000"):
        sarif.stream(res, {}, pieces.append)
    assert pieces == []


class Sink:
    """Counts what is written and keeps nothing."""

    def __init__(self) -> None:
        self.chars = 0
        self.largest = 0

    def __call__(self, text: str) -> None:
        self.chars += len(text)
        self.largest = max(self.largest, len(text))


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_streaming_memory_stays_far_below_the_document(fmt: str) -> None:
    """3,000 distinct findings: building the document peaked at ~8x its text (json 15 MB, sarif 31 MB, measured
    with tracemalloc); streamed, the peak is what one finding needs plus sarif's per-fingerprint occurrence counter
    (json ~0.1 MB, sarif ~0.4 MB). Any renderer holding the text whole needs at least its length, so the bound,
    a quarter of the text, fails it by 4x at the very least."""
    count = 3000
    res = result_of(*[
        make_finding(path=f"src/pkg{i % 97}/mod{i}.py", span=Span(i + 1, 9, i + 1, 98), secret=f"fake-{i:08d}")
        for i in range(count)
    ])
    rules = {"AZ101": make_rule()}
    sink = Sink()
    tracemalloc.start()
    try:
        output_mod.stream(fmt, res, rules, sink, context=RenderContext())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sink.chars > 500 * count  # the whole document went through the sink...
    assert sink.largest < 8192  # ...in pieces of at most one finding
    assert peak < sink.chars / 4, f"peak {peak:,} bytes for {sink.chars:,} characters of output"


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_cli_streams_to_stdout_and_to_a_file(fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(EXAMPLES / "flask-app", tmp_path / "app")
    monkeypatch.chdir(tmp_path / "app")
    shutil.copy(EXAMPLES / "flask-app" / ".env", tmp_path / "app" / "odd ü #1.env")
    monkeypatch.setattr(cli, "STDOUT_BLOCK", 100)  # many blocks
    runner = CliRunner()
    shown = runner.invoke(main, ["scan", "--format", fmt, "--no-third-party"])
    assert shown.exit_code in (0, 1), shown.output
    written = runner.invoke(main, ["scan", "--format", fmt, "--no-third-party", "-o", "../out.json"])
    assert written.exit_code == shown.exit_code and written.stdout == ""
    text = Path("../out.json").read_bytes().decode("utf-8")
    assert shown.stdout_bytes.decode("utf-8") == text
    assert not Path("../out.json.tmp").exists()
    result = api.run_scan(api.ScanOptions(paths=(".",), third_party=False))
    assert result.findings, "the example app carries fake keys"
    context = output_mod.context_for(result.root) if fmt == "sarif" else None
    assert text == output_mod.render(fmt, result, rule_by_id(), context=context)
    json.loads(text)


def test_cli_failure_leaves_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.py").write_text("x = 1\n", encoding="utf-8")
    Path("out.sarif").write_text("previous\n", encoding="utf-8")

    def broken(result, rules, write, context=None):
        write("{\n")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sarif, "stream", broken)
    failed = CliRunner().invoke(main, ["scan", "--format", "sarif", "--no-third-party", "-o", "out.sarif", "a.py"])
    assert failed.exit_code == 2 and "No space left" in failed.output
    assert Path("out.sarif").read_text(encoding="utf-8") == "previous\n"
    assert not Path("out.sarif.tmp").exists()
    shown = CliRunner().invoke(main, ["scan", "--format", "sarif", "--no-third-party", "a.py"])
    assert shown.exit_code == 2 and shown.stdout == ""  # under one block: nothing of the document is printed


def test_laid_out_json_is_json_dumps_with_an_indent_byte_for_byte() -> None:
    """streaming.indented lays out containers itself and encodes scalars with the C encoder: the text is
    json.dumps(value, indent=...)'s, re-indented, for nested documents of every JSON type (non-ASCII, escapes,
    floats, empty containers); values json.dumps handles differently (tuples, non-string keys) go to it."""
    import json
    import random

    from mi_migrate.output.streaming import indented

    rng = random.Random(4)
    scalars = ["", "plain", "ünïcode ☃", 'quote " and \\ back', "tab\tnew\nline", "\u2028", 0, -7, 2**70, 0.1,
               1e-300, float("inf"), True, False, None]

    def value(depth: int) -> object:
        roll = rng.random()
        if depth > 4 or roll < 0.4:
            return rng.choice(scalars)
        if roll < 0.55:
            return (rng.choice(scalars), rng.choice(scalars)) if rng.random() < 0.1 else []
        if roll < 0.75:
            return [value(depth + 1) for _ in range(rng.randint(0, 4))]
        keys = [rng.choice(["a", "key_path", "ключ", "", "x\"y"]) for _ in range(rng.randint(0, 4))]
        if rng.random() < 0.05:
            keys.append(rng.choice([1, None, 2.5, True]))
        return {key: value(depth + 1) for key in keys}

    for _ in range(3000):
        document, indent, level = value(0), rng.choice([2, 4]), rng.randint(0, 3)
        expected = json.dumps(document, indent=indent, ensure_ascii=False)
        expected = expected.replace("\n", "\n" + " " * (indent * level)) if level else expected
        assert indented(document, indent, level) == expected, document
