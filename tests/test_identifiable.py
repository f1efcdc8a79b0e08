"""Identifiable keys: published vectors, generator/validator round trips, checksum failures, scan behaviour.

Published vectors are hand-made test keys from microsoft/security-utilities (repeated characters), assembled
from pieces here so that no key-shaped literal sits in this file.
"""

from __future__ import annotations

import base64
import random
import re
import time

import pytest

from mi_migrate.scan.validators import MatchContext, identifiable
from mi_migrate.scan.validators.identifiable import (
    CASK_PROVIDERS,
    COGNITIVE_SERVICES,
    FORMATS,
    compute_checksum,
    fake_key,
    generate,
    generate_cask,
    identify,
    is_valid,
    to_base62,
)
from mi_migrate.testing import fakes
from tests.conftest import scan_snippet

# (random part, signature, checksum tail, service, key kind) from security-utilities'
# identifiable_scans.rs `his_v1_scan_bytes` and SecretMaskerTests.cs (SEC101/158, SEC101/176).
PUBLISHED = [
    ("a" * 33, "+ARm", "D7h+qo=", "relay", "send"),
    ("a" * 33, "+AEh", "G2s/8w=", "eventhubs", "send"),
    ("a" * 33, "+ASb", "HpHeAI=", "servicebus", "send"),
    ("a" * 33, "AIoT", "Oumzco=", "iothub", "hub"),
    ("b" * 33, "AZEG", "LiQbng=", "eventgrid", "default"),
    ("a" * 42, "AzSe", "CjhzCu", "search", "query"),
    ("d" * 42, "+ACR", "CUDxQE", "acr", "password"),
    ("e" * 42, "+ACR", "CTB7t/", "acr", "password"),
    ("d" * 44, "AzFu", "182vhA==", "functions", "system"),
    ("a" * 76, "+ASt", "5mnCaw==", "storage", "account"),
    ("a" * 76, "ACDb", "OpqrYA==", "cosmos", "data-encryption"),
    ("a" * 76, "+ABa", "13FZVQ==", "batch", "account"),
    ("a" * 76, "+AMC", "FNqWyA==", "machinelearning", "classic-web-service"),
    ("a" * 76, "APIM", "HbKhsQ==", "apim", "direct-management"),
]


@pytest.mark.parametrize(("head", "signature", "tail", "service", "kind"), PUBLISHED)
def test_published_vectors_verify(head: str, signature: str, tail: str, service: str, kind: str) -> None:
    key = head + signature + tail
    found = identify(key)
    assert found is not None and (found.service, found.signature, found.kind) == (service, signature, kind)
    assert is_valid(key) == (service, signature)
    broken = key[:5] + ("b" if key[5] != "b" else "c") + key[6:]
    assert identify(broken) is None


def test_published_entra_vector() -> None:
    # SEC101_156 GenerateTruePositiveExamples: a valid 8Q~ secret; the 34-z form from the Rust tests is not
    assert identifiable.entra_checksum_valid("zzz8Q~" + "z" * 31 + "blP")
    assert not identifiable.entra_checksum_valid("zzz8Q~" + "z" * 34)


def test_unpadded_keys_verify() -> None:
    assert is_valid("d" * 44 + "AzFu" + "182vhA") == ("functions", "AzFu")
    assert is_valid("a" * 33 + "+ARm" + "D7h+qo") == ("relay", "+ARm")


HIS_NAMES = [f"{name}/{kind}" for name, fmt in FORMATS.items() for kind, _tag in fmt.seeds]
CASK_NAMES = [f"cask_{short}" for short, _service in CASK_PROVIDERS.values()] + [
    f"cask_{service}" for service in COGNITIVE_SERVICES
]


def _flip(key: str, index: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return key[:index] + alphabet[(alphabet.index(key[index]) + 1) % len(alphabet)] + key[index + 1 :]


@pytest.mark.parametrize("name", HIS_NAMES)
def test_generated_his_keys_round_trip(name: str) -> None:
    base, _, kind = name.partition("/")
    fmt = FORMATS[base]
    key = fake_key(name, random.Random(7))
    assert key.startswith("FAKE") and len(key) == fmt.encoded_length
    found = identify(key)
    assert found is not None and (found.signature, found.service, found.kind) == (
        fmt.signature,
        fmt.service,
        kind,
    )
    assert key[fmt.signature_offset : fmt.signature_offset + 4] == fmt.signature
    assert identify(_flip(key, 10)) is None  # one changed random char breaks the checksum
    assert identify(fake_key(name, random.Random(7), valid=False)) is None


@pytest.mark.parametrize("name", CASK_NAMES)
def test_generated_cask_keys_round_trip(name: str) -> None:
    key = fake_key(name, random.Random(11))
    assert key.startswith("FAKE") and len(key) == 84 and key[52:58] == "JQQJ99" and key.isalnum()
    found = identify(key)
    assert found is not None and found.family == "cask"
    assert identify(_flip(key, 20)) is None
    assert identify(fake_key(name, random.Random(11), valid=False)) is None


def test_cask_variants() -> None:
    rng = random.Random(5)
    long_key = generate_cask("AZMP", long_form=True, rng=rng)
    assert len(long_key) == 88 and is_valid(long_key) == ("maps", "AZMP")
    assert identify(generate_cask("ACOG", "B", long_form=True, rng=rng)) is None  # ACOG keys are 84 chars
    openai = generate_cask("ACOG", "B", rng=rng)
    assert is_valid(openai) == ("openai", "ACOG")
    assert identify(openai[:57] + "H" + openai[58:]) is None  # hashed data, not a key (and checksum breaks)
    assert identify(generate_cask("ZZZZ", rng=rng)) is None  # unknown provider
    # older keys wrote the first 3 checksum bytes in base64 rather than base62
    body = base64.b64decode(openai[:80])
    older = openai[:80] + base64.b64encode(compute_checksum(body, "Default0")[:3]).decode()
    assert is_valid(older) == ("openai", "ACOG")


def test_derived_cask_key() -> None:
    key = generate_cask("AZCS", rng=random.Random(2))
    derived_text = key[:57] + "D" + key[58:80]
    body = base64.b64decode(derived_text)
    derived = derived_text + identifiable.cask_checksum_text(body)[:4]
    found = identify(derived)
    assert found is not None and found.kind == "derived" and found.service == "communication"


def test_generate_api_matches_checksum() -> None:
    key = generate("+ASt", "Default0", 64, rng=random.Random(1))
    raw = base64.b64decode(key)
    assert raw[-4:] == compute_checksum(raw[:-4], "Default0") and is_valid(key) == ("storage", "+ASt")
    url_key = generate("AzFu", "Master00", 40, url_safe=True, rng=random.Random(1))
    assert "+" not in url_key and "/" not in url_key and is_valid(url_key) == ("functions", "AzFu")


def test_base62_matches_base62_net() -> None:
    assert to_base62(b"\x00\x00\x01") == "001"
    assert to_base62(b"\x00") == "0"
    assert to_base62((61).to_bytes(1, "big")) == "z"
    assert to_base62((62 * 62).to_bytes(2, "big")) == "100"


def _key_with(name: str, chars: str) -> str:
    for seed in range(100):
        key = fake_key(name, random.Random(seed))
        if any(ch in key[:40] for ch in chars):
            return key
    raise AssertionError("no key with those characters")


def test_wrong_alphabet_rejected() -> None:
    standard = _key_with("storage", "+/")
    assert identify(standard[:40].replace("+", "-").replace("/", "_") + standard[40:]) is None
    url_safe = _key_with("function", "-_")
    assert identify(url_safe.replace("-", "+").replace("_", "/")) is None
    assert all(fake_key("search", random.Random(seed)).isalnum() for seed in range(20))


@pytest.mark.parametrize(
    "name",
    [
        "storage",
        "servicebus/manage",
        "iothub/dps",
        "acr",
        "search",
        "function",
        "redis",
        "eventgrid",
        "cask_openai",
        "cask_sql",
        "cask_eventgrid",
    ],
)
def test_scan_finds_key_in_a_sentence(name: str) -> None:
    findings, text = scan_snippet(f"We found «ident:{name}» in an old commit.")
    mine = [f for f in findings if f.rule_id == "AZ122"]
    assert len(mine) == 1, findings
    key = is_valid(re.search(r"found (\S+) in", text).group(1))
    assert key is not None and mine[0].service == key[0] and mine[0].fields["signature"] == key[1]
    assert mine[0].fields["key_format"] == "identifiable"
    assert mine[0].fields["key_family"] == ("cask" if name.startswith("cask_") else "his")
    assert mine[0].fields["checksum"] == "verified"
    findings, _ = scan_snippet(f"We found «ident_badsum:{name}» in an old commit.")
    bad = [f for f in findings if f.rule_id == "AZ122"]
    if name.startswith("cask_"):  # structure is enough for CASK; the unconfirmed checksum only annotates it
        assert [f.fields["checksum"] for f in bad] == ["unverified"]
    else:
        assert not bad


def test_scan_function_key_in_url_with_encoded_padding() -> None:
    findings, text = scan_snippet("GET https://example.org/api/run?code=«ident:function»&x=1")
    key = re.search(r"code=([^&]+)&", text).group(1)
    encoded, _ = scan_snippet(f"GET https://example.org/api/run?code={key[:-2]}%3D%3D&x=1")
    plain = [f for f in findings if f.rule_id == "AZ122"]
    assert len(plain) == 1 and [f.secret_hash for f in encoded if f.rule_id == "AZ122"] == [
        plain[0].secret_hash
    ]


def test_test_vectors_are_not_reported_by_scan() -> None:
    text = "key: " + "a" * 76 + "+ASt" + "5mnCaw=="
    findings, _ = scan_snippet(text)
    assert not [f for f in findings if f.rule_id == "AZ122"]


def _context(text: str, pattern: str, **options: object) -> MatchContext:
    match = re.search(pattern, text)
    assert match is not None
    return MatchContext(text, match, dict(options), "x.txt")


def test_signatures_option_restricts() -> None:
    key = fake_key("cosmos", random.Random(9))
    pattern = r"(?P<secret>\S{88})"
    assert identifiable.identifiable(_context(key, pattern)) is not None
    assert identifiable.identifiable(_context(key, pattern, signatures=["+ASt"])) is None
    verdict = identifiable.identifiable(_context(key, pattern, signatures=["ACDb"]))
    assert verdict is not None and verdict.secret == key and verdict.fields["service"] == "cosmos"


def test_entra_validator() -> None:
    secret = fake_key("entra", random.Random(4))
    bad = fake_key("entra", random.Random(4), valid=False)
    assert secret.startswith("FAK8Q~FAKE") and len(secret) == 40 and secret != bad
    verdict = identifiable.entra_secret_checksum(_context(f"s={secret}", r"(?P<secret>\S{40})$"))
    assert verdict is not None and verdict.fields["checksum"] == "verified"
    assert identifiable.entra_secret_checksum(_context(f"s={bad}", r"(?P<secret>\S{40})$")) is None
    legacy = "abc7Q~" + "xYz" * 10 + "q"
    assert identifiable.entra_secret_checksum(_context(legacy, r"(?P<secret>.+)")) is not None
    assert identifiable.entra_secret_checksum(_context(legacy, r"(?P<secret>.+)", allow_legacy=False)) is None


def test_fakes_tokens_expand() -> None:
    text = fakes.expand("«ident:storage» «ident_badsum:storage» «ident:cask_openai»")
    good, bad, cask = text.split()
    assert is_valid(good) == ("storage", "+ASt") and is_valid(bad) is None
    assert is_valid(cask) == ("openai", "ACOG")
    with pytest.raises(ValueError):
        fakes.expand("«ident:nosuchservice»")


def test_validating_ten_thousand_candidates_is_fast() -> None:
    rng = random.Random(99)
    names = ["storage", "cosmos", "servicebus", "iothub", "acr", "search", "function", "cask_openai", "apim"]
    pool = []
    for i in range(400):
        name = names[i % len(names)]
        pool.append(fake_key(name, rng, valid=i % 2 == 0))
    candidates = [pool[i % len(pool)] for i in range(10_000)]
    start = time.perf_counter()
    valid = sum(1 for key in candidates if identify(key) is not None)
    elapsed = time.perf_counter() - start
    assert valid == 5_000
    assert elapsed < 2.5, f"{elapsed:.2f}s"  # about 0.3 s on a quiet 2-core machine


def test_rule_regexes_do_not_backtrack_on_long_runs() -> None:
    from mi_migrate.core.rules import rule_by_id

    rule = rule_by_id()["AZ122"]
    blobs = ["A" * 200_000, ("Ab9+/" * 40_000) + "+ASt", "JQQJ99" * 30_000, "a-b_" * 50_000 + "AzFu"]
    start = time.perf_counter()
    for blob in blobs:
        for pattern in rule.patterns:
            assert not list(pattern.regex.finditer(blob))
    assert time.perf_counter() - start < 1.0
