"""The candidate engines (mi_migrate.scan.candidates): hyperscan and the pure-`re` fallback answer alike, and the
gates they feed keep every finding."""

from __future__ import annotations

import random

import pytest

from mi_migrate.scan import candidates
from mi_migrate.scan.files import scan_bytes
from mi_migrate.scan.model import ScanSettings
from mi_migrate.testing import fakes


def test_plugin_regexes_are_the_plugins_own() -> None:
    """The two plugins without literals are gated on their own regexes (ASCII classes): a detect-secrets upgrade
    that changes them must update their anchors (third_party.PREFILTERS)."""
    from detect_secrets.plugins.discord import DiscordBotTokenDetector
    from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector

    assert [r.pattern for r in DiscordBotTokenDetector().denylist] == [
        r"[MNO][a-zA-Z\d_-]{23,25}\.[a-zA-Z\d_-]{6}\.[a-zA-Z\d_-]{27}"]
    assert [r.pattern for r in TelegramBotTokenDetector().denylist] == [r"\d{8,10}:[0-9A-Za-z_-]{35}"]


def _samples() -> list[bytes]:
    rng = random.Random(12)
    literals, _ = candidates.universe()
    pieces = [*literals, b"AccountKey", b"IMPORT os", b"\\u0041", b"Kind: Secret", b"x" * 30, b"\n", b"  "]
    out = [b"", b"plain text without anything", fakes.expand("k=«b64:64»").encode()]
    for _ in range(200):
        out.append(b"".join(rng.choice(pieces).upper() if rng.random() < 0.3 else rng.choice(pieces)
                            for _ in range(rng.randrange(1, 12))))
    return out


@pytest.mark.skipif("hyperscan" not in candidates.available(), reason="hyperscan is not installed")
def test_engines_agree_on_every_literal() -> None:
    literals, names = candidates.universe()
    for data in _samples():
        fast, slow = candidates.find(data, "hyperscan"), candidates.find(data, "re")
        assert [lit for lit in literals if lit in fast] == [lit for lit in literals if lit in slow], data
        assert [n for n in names if fast.matched(n)] == [n for n in names if slow.matched(n)]


@pytest.mark.parametrize("engine", candidates.available())
def test_unknown_literals_fall_back_to_the_bytes(engine: str) -> None:
    hits = candidates.find(b"from Azure.Storage.Blob import X", engine)
    assert b"azure.storage" in hits and b"import" in hits and b"nope" not in hits


def test_choose_honours_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(candidates.ENV, "re")
    assert candidates.choose(1 << 30) == "re"
    monkeypatch.delenv(candidates.ENV)
    assert candidates.choose(10) == "re"  # a pre-commit-sized scan never pays for the compile
    if "hyperscan" in candidates.available():
        assert candidates.choose(1 << 30) == "hyperscan"


@pytest.mark.parametrize("engine", candidates.available())
def test_json_escapes_that_spell_a_keyword_are_still_parsed(engine: str) -> None:
    conn = fakes.expand("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=«b64:64»")
    hidden = conn.replace("AccountKey", "\\u0041ccount\\u004bey")
    found, _ = scan_bytes("settings.json", f'{{"Storage": "{hidden}"}}'.encode(), ScanSettings(engine=engine))
    assert [f.rule_id for f in found] == ["AZ101"]
    harmless = b'{"title": "caf\\u00e9", "n": 1}'
    assert scan_bytes("settings.json", harmless, ScanSettings(engine=engine)) == ([], [])


@pytest.mark.parametrize("engine", candidates.available())
def test_file_without_candidates_is_not_decoded(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from mi_migrate.scan import files as scan

    def fail(data: bytes) -> str:
        raise AssertionError("decoded")

    monkeypatch.setattr(scan, "decode", fail)
    assert scan_bytes("notes.md", b"nothing to see here\n" * 1000, ScanSettings(engine=engine)) == ([], [])


@pytest.mark.skipif("hyperscan" not in candidates.available(), reason="no hyperscan wheel on this platform")
def test_compiled_database_is_cached_and_a_damaged_copy_is_rebuilt(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every worker of a scan builds the finder; the compiled database comes from the cache after the first."""
    import hyperscan

    monkeypatch.setenv("MI_MIGRATE_CACHE_DIR", str(tmp_path))
    literals, names = candidates.universe()
    sample = b"import os\nAZURE_STORAGE_ACCOUNT_KEY = " + fakes.expand("«b64:64»").encode()
    expected = candidates._HyperscanFinder(literals, names).find(sample)
    (cached,) = tmp_path.glob("candidates-*.hsdb")
    compiles: list[int] = []
    real = hyperscan.Database

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        compiles.append(1)  # a new database is made only to compile it
        return real(*args, **kwargs)

    monkeypatch.setattr(hyperscan, "Database", counting)
    again = candidates._HyperscanFinder(literals, names).find(sample)
    assert compiles == [] and again._found == expected._found and again._regexes == expected._regexes
    assert expected.any((b"key",)) and expected.matched("AZ102#0")
    cached.write_bytes(cached.read_bytes()[:1000])  # truncated: rebuilt, not an error
    rebuilt = candidates._HyperscanFinder(literals, names).find(sample)
    assert compiles == [1] and rebuilt._found == expected._found


@pytest.mark.skipif("hyperscan" not in candidates.available(), reason="hyperscan not installed")
def test_plan_read_back_for_a_shared_signature_is_the_plan_made_afresh() -> None:
    """plan() keeps its rule and plugin selection per candidate signature: files with the same words and anchors
    (in code and in config files, which the plugins read differently) get what a fresh plan gives them, and a rule
    keyword the database does not hold leaves the file without a signature (its answer reads the bytes)."""
    from dataclasses import replace

    from mi_migrate.core.rules import load_rules
    from mi_migrate.scan import filetypes

    rules = load_rules()
    key = fakes.expand("«b64:64»", seed=4)
    texts = [f'storage_key = "{key}"\n', f"password: {fakes.fake_alnum(20, random.Random(2))}\n", "token = 'x'\n",
             f"conn = 'AccountName=a;AccountKey={key}'\n"]
    settings = ScanSettings()
    filetypes._SELECTIONS.clear()
    for text in texts * 2:  # the second round reads every selection back
        for name in ("app.py", "settings.yaml", "other.py", "deploy.yml"):
            hits = candidates.find(text.encode(), "hyperscan")
            kept = filetypes.plan(name, hits, rules, settings)
            keyed = filetypes.keyword_rules(hits, rules)
            assert (kept.keyword_rules, kept.text_rules) == (keyed, filetypes.text_rules(hits, keyed))
            assert kept.plugins == filetypes.plugins(name, hits, rules)
    assert len(filetypes._SELECTIONS) < len(texts) * 4
    hits = candidates.find(texts[0].encode(), "hyperscan")
    assert hits.signature(filetypes._literals_asked(rules)) is not None
    odd = [replace(rules[0], keywords=(b"no-such-literal-in-the-database",)), *rules[1:]]
    assert hits.signature(filetypes._literals_asked(odd)) is None


@pytest.mark.skipif("hyperscan" not in candidates.available(), reason="hyperscan not installed")
def test_python_rules_read_back_for_a_shared_signature_are_those_of_the_bytes() -> None:
    """analysis.wanted_rules keeps its answer per candidate signature (and ASCII-ness, which decides whether a
    module root alone may gate): read back or not, it is the answer the lower-cased bytes give."""
    from mi_migrate.core.rules import load_rules
    from mi_migrate.scan.python import analysis

    matchers = analysis.matchers_for(load_rules())
    texts = ["import os\nfrom azure.storage.blob import BlobServiceClient\n",
             "import pyodbc\nconn = pyodbc.connect(dsn)\n", "import azure\n\uff22lobServiceClient = 1\n",
             "from azure.identity import ClientSecretCredential\n", "import openai\nopenai.api_key = k\n", "x = 1\n",
             "import azure\nname = 'e'\n", "import azure\nname = '\u00e9'\n"]  # one signature, not one answer
    analysis._WANTED.clear()
    for text in texts * 2:
        data = text.encode()
        assert analysis.wanted_rules(candidates.find(data, "hyperscan"), matchers) == \
            analysis.wanted_rules(data.lower(), matchers), text
    assert analysis._WANTED


@pytest.mark.parametrize("engine", candidates.available())
def test_keyed_rules_are_those_whose_keywords_occur(engine: str) -> None:
    """Hits.keyed finds the rules through an index of their keywords: the same rules, in the same order, as
    asking each rule (patterns, and no keyword or one that occurs), also for keywords the database does not hold
    and keyword lists, for the shipped rules, a shuffled subset, and rules without patterns."""
    from dataclasses import replace

    from mi_migrate.core.rules import load_rules

    rng = random.Random(19)
    shipped = list(load_rules())
    with_pattern = next(rule for rule in shipped if rule.patterns and rule.keywords)
    extra = [replace(with_pattern, keywords=(b"zq-not-in-the-database",)),
             replace(with_pattern, keywords=[b"accountkey", b"zq-other"]), replace(with_pattern, keywords=())]
    rule_lists = [shipped, shipped + extra, rng.sample(shipped, len(shipped) // 2) + extra[::-1]]
    samples = [*_samples(), b"ZQ-NOT-IN-THE-DATABASE and more", b"zq-other"]
    compared = 0
    for data in samples:
        hits = candidates.find(data, engine)
        for rules in rule_lists:
            expected = [rule for rule in rules if rule.patterns and (not rule.keywords or hits.any(rule.keywords))]
            assert hits.keyed(rules) == expected, data
            compared += len(expected)
    assert compared > 1000


@pytest.mark.parametrize("expression", ["HIDDEN_YAML_NATIVE", "CANDIDATE_NATIVE"])
def test_the_searches_run_on_the_raw_bytes_do_not_depend_on_case(expression: str) -> None:
    """structured.wants asks these of a file's bytes as read, not lower-cased (4,351 + 1,244 files of the SDK
    fork were lower-cased for them alone): a letter in them comes in both cases, or not at all."""
    import re

    from mi_migrate.scan import structured
    from mi_migrate.scan.structured import python_strings

    source = getattr(structured, expression, None) or getattr(python_strings, expression)
    regex = re.compile(source, re.M)
    pieces = [b"key: |", b"- >", b"x: >-", b" ", b"\t", b"\n", b"\r\n", b"#", b"\\", b"=", b"ABCDEFGHIJKLMNOPQ",
              b"abcdefghijklmnopq", b"'", b'"', b"+", b"R'", b'U"', b"r'", b"u\"", b"x", b"Q", b"0", b"|", b">"]
    rng = random.Random(21)
    differ = 0
    for _ in range(20_000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12)))
        found = regex.search(data) is not None
        assert found == (regex.search(data.lower()) is not None), data
        native = candidates.native_search(source, data)
        assert native is None or native == found, data
        differ += found != (regex.search(data.upper()) is not None)
    assert differ == 0
