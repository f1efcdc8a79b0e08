"""Third-party secrets via detect-secrets' plugins: mapping, filters, suppression, Azure overlap and speed.

Every key-shaped value is generated at run time (mi_migrate.testing.fakes, FAKE_KINDS for the third-party kinds).
"""

from __future__ import annotations

import math
import random
import re
import string
import time
from dataclasses import replace

import pytest

from mi_migrate.core.finding import Finding, Kind
from mi_migrate.core.rules import load_rules
from mi_migrate.scan import plugin_lines, third_party
from mi_migrate.scan.files import scan_bytes
from mi_migrate.scan.model import ScanSettings
from mi_migrate.testing import fakes

STORAGE_CONN = (
    "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=«b64:64»;EndpointSuffix=core.windows.net"
)


def run(text: str, filename: str = "app.py", **settings: object) -> tuple[list[Finding], str]:
    expanded = fakes.expand(text)
    findings, _ = scan_bytes(filename, expanded.encode("utf-8"), ScanSettings(**settings))
    return findings, expanded


def third(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.kind is Kind.THIRD_PARTY_SECRET]


@pytest.mark.parametrize(
    ("text", "filename", "rule_id", "plugin"),
    [
        ('key_id = "«aws_key_id»"', "app.py", "AZ301", "AWSKeyDetector"),
        ('aws_secret_access_key = "«aws_secret»"', "app.py", "AZ301", "AWSKeyDetector"),
        ('stripe.api_key = "«stripe»"', "billing.py", "AZ301", "StripeDetector"),
        ('restricted = "«stripe:rk»"', "billing.py", "AZ301", "StripeDetector"),
        ("TWILIO_KEY=«twilio»", ".env", "AZ301", "TwilioKeyDetector"),
        ("SENDGRID=«sendgrid»", ".env", "AZ301", "SendGridDetector"),
        ("slack: «slack_token»", "ci.yml", "AZ301", "SlackDetector"),
        ('GH = "«github_token»"', "release.py", "AZ301", "GitHubTokenDetector"),
        ("«pem_header:RSA»\n«b64:48»\n", "id_rsa", "AZ302", "PrivateKeyDetector"),
        ("«pem_header:OPENSSH»\n", "key.txt", "AZ302", "PrivateKeyDetector"),
        ('db_password = "«alnum:20»"', "settings.py", "AZ303", "KeywordDetector"),
        ("password: «alnum:20»", "config.yaml", "AZ303", "KeywordDetector"),
        ('url = "postgres://app:«alnum:16»@db:5432/x"', "db.py", "AZ303", "BasicAuthDetector"),
        ('AUTH_SEED = "«b64:32»"', "app.py", "AZ304", "Base64HighEntropyString"),
        ('signature_digest = "«hex:40»"', "app.py", "AZ304", "HexHighEntropyString"),
        ("auth_seed: «b64:32»", "config.yaml", "AZ304", "Base64HighEntropyString"),  # unquoted in config files
        ('token = "Bearer «jwt»"', "client.py", "AZ300", "JwtTokenDetector"),
        # the plugin's API URL form holds no `sl`: the prefilter's literals must still let it through
        ('endpoint = "https://api.softlayer.com/soap/v3/«hex:64»"', "app.py", "AZ301", "SoftlayerDetector"),
    ],
)
def test_each_mapped_detector_finds_its_secret(text: str, filename: str, rule_id: str, plugin: str) -> None:
    findings, expanded = run(text, filename)
    own = [f for f in third(findings) if f.rule_id == rule_id and f.fields["plugin"] == plugin]
    assert own, [(f.rule_id, f.fields) for f in findings]
    finding = own[0]
    assert finding.service == "other" and finding.kind is Kind.THIRD_PARTY_SECRET
    line = expanded.splitlines()[finding.span.line - 1]
    secret = line[finding.span.column - 1 : finding.span.end_column - 1]
    assert finding.secret_hash == third_party.secret_hash(secret)
    assert finding.evidence == third_party.redact(secret)
    assert secret not in finding.evidence or len(secret) < 16


def test_rule_mapping_covers_every_plugin_but_azure() -> None:
    rules = {r.id: r for r in load_rules()}
    names = {d.name for d in third_party._detectors()}
    assert "AzureStorageKeyDetector" not in names and "IPPublicDetector" not in names
    assert {"AWSKeyDetector", "PrivateKeyDetector", "KeywordDetector", "Base64HighEntropyString"} <= names
    for det in third_party._detectors():
        assert det.rule.priority == 100 and det.rule.kind is Kind.THIRD_PARTY_SECRET
        assert det.name in det.rule.plugins["detect_secrets"] or det.rule.plugins.get("fallback")
    assert rules["AZ302"].severity.label == "error" and rules["AZ304"].severity.label == "warning"


def test_rule_examples_with_third_party_enabled() -> None:
    """The shared harness scans with third_party=False; our rules' examples need the plugins on."""
    for rule in load_rules():
        if not rule.plugins:
            continue
        for example in rule.examples:
            findings, _ = run(example.text, example.filename)
            own = [f for f in findings if f.rule_id == rule.id]
            assert bool(own) == example.match, (rule.id, example.text)
            if example.match and example.fields:
                assert any(example.fields.items() <= f.fields.items() for f in own)


@pytest.mark.parametrize(
    ("text", "filename"),
    [
        ('stripe_key = "«stripe»"  # pragma: allowlist secret', "billing.py"),
        ('# pragma: allowlist nextline secret\nstripe_key = "«stripe»"', "billing.py"),
        ("auth_seed: «b64:32»  # pragma: allowlist secret", "config.yaml"),
        ('AUTH_SEED = "«b64:32»"  // pragma: allowlist secret', "app.js"),
    ],
)
def test_pragma_allowlist_lines_are_not_reported(text: str, filename: str) -> None:
    findings, _ = run(text, filename)
    assert not third(findings)


def test_detect_secrets_allowlist_applies_in_our_path_too() -> None:
    """Even without suppress.py (e.g. a caller of third_party.scan), the pragma is honoured."""
    text = fakes.expand('stripe_key = "«stripe»"  # pragma: allowlist secret\nother = "«stripe»"')
    found = third_party.scan("billing.py", text, text.lower().encode())
    assert [f.span.line for f in found] == [2]


@pytest.mark.parametrize("name", ["package-lock.json", "yarn.lock", "poetry.lock", "Cargo.lock"])
def test_lock_files_produce_nothing(name: str) -> None:
    findings, _ = run('"integrity": "«b64:64»", "k": "«aws_key_id»", "s": "«stripe»"', name)
    assert not third(findings)


def test_minified_lines_keep_only_precise_detectors() -> None:
    filler = ";".join(f'var a{i}="{fakes.fake_alnum(30, random.Random(i))}"' for i in range(400))
    findings, _ = run(filler + ';var k="«aws_key_id»";var s="«b64:32»";', "bundle.min.js")
    plugins = {f.fields["plugin"] for f in third(findings)}
    assert plugins == {"AWSKeyDetector"}


@pytest.mark.parametrize(
    "text",
    [
        'api_key = "123e4567-e89b-12d3-a456-426614174000"',
        'api_key = "{api_key}"',
        'password = "<your-password>"',
        'password = "${DB_PASSWORD}"',
        "password = $DB_PASSWORD",
        'password = get_password("db")',
        'SEQ = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"',
        'user_id = "«b64:32»"',
        'password = "********"',
    ],
)
def test_uuids_templates_and_heuristics_are_not_reported(text: str) -> None:
    findings, _ = run(text, "app.py")
    assert not third(findings), [(f.rule_id, f.fields) for f in findings]


def test_swagger_files_are_skipped() -> None:
    findings, _ = run('{"api_key": "«alnum:24»", "k": "«stripe»"}', "docs/swagger.json")
    assert not third(findings)


@pytest.mark.parametrize(
    ("text", "filename"),
    [
        (f'CONN = "{STORAGE_CONN}"', "app.py"),
        (f"STORAGE={STORAGE_CONN}", ".env"),
        ('{"AccountName": "acme", "AccountKey": "«b64:64»"}', "appsettings.json"),
        (
            'SB = "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=app;SharedAccessKey=«b64:32»"',
            "a.py",
        ),
        ("AZURE_STORAGE_KEY=«b64:64»", ".env"),
    ],
)
def test_no_double_report_on_azure_lines(text: str, filename: str) -> None:
    findings, _ = run(text, filename)
    assert findings, "the Azure rule should report this line"
    assert not third(findings), [(f.rule_id, f.fields) for f in findings]


def test_third_party_findings_never_overlap_azure_findings() -> None:
    text = 'client_secret = "«entra»"\napi_key = "«alnum:32»"'
    findings, _ = run(text, "auth.py")
    azure = [f for f in findings if f.kind is not Kind.THIRD_PARTY_SECRET]
    for finding in third(findings):
        for other in azure:
            same_line = other.span.line == finding.span.line
            overlap = (
                finding.span.column < other.span.end_column and other.span.column < finding.span.end_column
            )
            assert not (same_line and overlap)
    assert any(f.span.line == 2 for f in third(findings))


def test_azure_slot_is_left_alone_even_when_azure_rules_are_ignored() -> None:
    text = 'CONN = "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=«b64:64»"'
    findings, _ = run(text, "app.py", ignore=("AZ1",))
    assert not third(findings)


def test_selection_limits_third_party_rules() -> None:
    text = 'stripe.api_key = "«stripe»"\nAUTH_SEED = "«b64:32»"'
    findings, _ = run(text, "app.py", ignore=("AZ304",))
    assert {f.rule_id for f in third(findings)} == {"AZ301"}
    findings, _ = run(text, "app.py", third_party=False)
    assert not third(findings)


def _corpus(size: int) -> list[tuple[str, str]]:
    """Ordinary code: functions, dicts, imports, comments, a few quoted ids; no secrets."""
    rng = random.Random(7)
    words = ["user", "order", "cache", "client", "config", "value", "item", "result", "index", "token_count"]
    files, total, n = [], 0, 0
    while total < size:
        lines = ["import os", "from typing import Any", ""]
        for i in range(300):
            a, b = rng.choice(words), rng.choice(words)
            lines += [
                f"def get_{a}_{i}({b}: Any, key: str = 'default') -> dict[str, Any]:",
                f'    """Return the {a} for {b}; see https://example.org/{a}/{b}."""',
                f"    data = {{'{a}': {b}, 'key': key, 'id': {rng.randrange(10**6)}}}",
                f"    return data if os.environ.get('{a.upper()}_MODE') else {{}}  # {b} fallback",
            ]
        text = "\n".join(lines) + "\n"
        files.append((f"pkg/module_{n}.py", text))
        total += len(text)
        n += 1
    return files


def test_prefiltered_scan_is_much_faster_than_every_plugin_on_every_line() -> None:
    """CPU time of this process, so other test workers on the machine do not decide the ratio."""
    files = _corpus(1_000_000)
    dets = third_party._detectors()

    def naive() -> int:
        found = 0
        for name, text in files:
            for number, line in enumerate(text.splitlines(), 1):
                for det in dets:
                    found += len(det.plugin.analyze_line(filename=name, line=line, line_number=number))
        return found

    def smart() -> int:
        return sum(len(third_party.scan(name, text, text.lower().encode())) for name, text in files)

    smart()  # warm caches (imports, compiled regexes)
    third_party._HITS_MEMO.clear()  # but the prefilter is measured, not the memory of lines seen before
    start = time.process_time()
    smart_found = smart()
    smart_time = time.process_time() - start
    start = time.process_time()
    naive()
    naive_time = time.process_time() - start
    assert smart_found == 0
    assert naive_time / smart_time >= 10, (naive_time, smart_time)


def test_detect_secrets_loads_without_requests_and_verification_still_reaches_it() -> None:
    """detect-secrets imports `requests` only to verify secrets; mi-migrate's import defers it (~100 ms of a
    pre-commit run). A fresh interpreter shows both halves: not loaded by the scan, loaded once a plugin asks."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from mi_migrate.scan import third_party\n"
        "third_party._detectors(); third_party._skip_file('a.py')\n"
        "print('urllib3' in sys.modules)\n"
        "from detect_secrets.plugins import slack\n"
        "print(callable(slack.requests.post), 'urllib3' in sys.modules)\n"
        "import requests\n"
        "print(type(requests).__name__, requests.Session.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:3] == ["False", "True True", "module Session"]


def _entropy_lines(seed: int) -> list[str]:
    """Quoted values across the distinct-character bound: short words, numbers, GUIDs, uniform hex at exactly
    the hex limit (8 distinct digits: entropy 3.0, not over it), values of all-distinct characters one short of
    and at the shortest length that can pass (22 and 23 for base64, 8 and 9 for hex), random base64 of every
    length up to 60."""
    rng = random.Random(seed)
    alphabets = [string.hexdigits[:16], string.digits, string.ascii_letters + string.digits + "+/=_-",
                 "abcdef0123", "AB"]
    values = ["01234567", "0123456789abcdef", "76543210" * 3, "eastus", "20201030", "true",
              "3f2504e0-4f89-11d3-9a0c-0305e82c3301"]
    for length, alphabet in ((22, alphabets[2]), (23, alphabets[2]), (8, "abcdef012345"), (9, "abcdef012345")):
        values += ["".join(rng.sample(alphabet, length)) for _ in range(3)]
    for _ in range(300):
        alphabet = rng.choice(alphabets)
        values.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))))
    lines = []
    for start in range(0, len(values), 3):
        chunk = values[start : start + 3]
        lines.append("secret: " + ", ".join(f'"{v}"' for v in chunk) + f", '{chunk[0]}'")
    return lines


@pytest.mark.parametrize("plugin_name", sorted(third_party.ENTROPY_PLUGINS))
def test_entropy_shortcut_reports_what_the_plugin_reports(plugin_name: str) -> None:
    """_high_entropy skips values with fewer distinct characters than 2**limit (their entropy cannot exceed
    it): the values it reports are exactly the plugin's own, on lines built around that bound."""
    plugin = next(det.plugin for det in third_party._detectors() if det.name == plugin_name)
    reported = 0
    for line in _entropy_lines(seed=len(plugin_name)):
        ours = [candidate.secret_value for candidate in third_party._high_entropy(plugin, line)]
        theirs = {potential.secret_value for potential in plugin.analyze_line(filename="x.yaml", line=line)}
        assert len(ours) == len(set(ours)) and set(ours) == theirs, line
        reported += len(ours)
    assert reported > 10  # the lines do hold high-entropy values


@pytest.mark.parametrize("plugin_name", sorted(third_party.ENTROPY_PLUGINS))
def test_entropy_values_of_the_shortest_passing_length_reach_the_plugin(plugin_name: str) -> None:
    """The entropy-only shortcut (_entropy_could_report) lets through a line whose one candidate has just enough
    distinct characters to pass (23 for base64, 9 for hex); the plugin then reports it."""
    alphabet = string.ascii_letters + string.digits if plugin_name.startswith("Base64") else "abcdef012345"
    limit = third_party.ENTROPY_LIMITS[plugin_name]
    length = next(n for n in range(1, 64) if math.log2(n) > limit)  # all distinct: entropy log2(n)
    rng = random.Random(length)
    value = "".join(rng.sample(alphabet, length))
    text = f'api_token = "{value}"\n'
    found = third_party.scan("settings.py", text, b"", present=frozenset({plugin_name}))
    assert [f.fields["plugin"] for f in found] == [plugin_name], value


def test_entropy_plugins_get_only_lines_with_their_run_and_a_secret_word() -> None:
    """candidate_starts intersects the run lines with the literal lines (what _scan_line would test next);
    when lower-casing changes the text's length the intersection is not trusted and every run line is kept."""
    pre = third_party.PREFILTERS["Base64HighEntropyString"]
    run = fakes.fake_alnum(40, random.Random(8))
    lines = [f'value = "{run}"\n', "token = 'short'\n", f'api_token = "{run}"\n']
    text = "".join(lines)
    starts = plugin_lines.candidate_starts(text, text.lower(), text.encode("ascii", "replace"), pre, True)
    assert starts == {len(lines[0]) + len(lines[1])}
    odd = "\u0130 " + text  # İ lower-cases to two characters
    lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in odd)
    starts = plugin_lines.candidate_starts(odd, lowered, odd.encode("ascii", "replace"), pre, False)
    assert starts == {0, 2 + len(lines[0]) + len(lines[1])}


def test_entropy_is_the_plugins_own_to_the_last_bit() -> None:
    """_shannon_entropy sums the plugin's terms in the plugin's order: equal as floats (not approximately) to
    calculate_shannon_entropy, for values of every length and mix, the hex plugin's all-digit rule included."""
    rng = random.Random(5)
    compared = 0
    for det in third_party._detectors():
        if det.name not in third_party.ENTROPY_PLUGINS:
            continue
        charset = det.plugin.charset
        for _ in range(3000):
            alphabet = rng.sample(charset, rng.randint(1, len(charset)))
            value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 120)))
            if rng.random() < 0.1:
                value = "".join(rng.choice(string.digits) for _ in range(rng.randint(1, 60)))
            assert third_party._shannon_entropy(det.plugin, value) == det.plugin.calculate_shannon_entropy(value)
            compared += 1
    assert compared == 6000


def test_native_candidate_lines_are_the_lines_str_find_gives() -> None:
    """With the native engine, every plugin's candidate lines (literals, runs, both) come from expressions ending
    at each line's end: the same lines as str.find over the lower-cased text and a translated run search, on
    lines mixing secret words in any case, runs of each class, non-ASCII text and CRLF endings."""
    from mi_migrate.scan import candidates

    if "hyperscan" not in candidates.available():
        pytest.skip("the native engine is not installed")
    rng = random.Random(12)
    pieces = ["KEY", "token", "Pass", "://", "eyJ", "AKIA", "sk_live_", "xoxb-", "-----BEGIN", "ghp_", "é", "ключ",
              " ", "\r\n", "\n", "'", '"', "=", fakes.fake_alnum(30, rng), "0123456789abcdef" * 2, "+/=_-" * 5]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 40))) for _ in range(300)]
    compared = 0
    for text in texts:
        lowered, ascii_text = text.lower(), text.encode("ascii", "replace")
        assert len(lowered) == len(text) and "\u212a" not in text
        hits = candidates.find(text.encode(), "hyperscan")
        memo: plugin_lines.LineMemo = {}
        for name, pre in sorted(third_party.PREFILTERS.items()):
            if not (pre.literals or pre.run):
                continue
            pre = replace(pre, line_shape=None)  # shapes narrow further (tested below)
            expected = plugin_lines.candidate_starts(text, lowered, ascii_text, pre, True)
            native = plugin_lines.candidate_starts(text, lowered, ascii_text, pre, True, memo, hits.positions, True)
            assert native == expected, (name, text)
            compared += len(expected)
    assert compared > 300


def test_quoted_entropy_lines_lose_no_finding_outside_config_files() -> None:
    """Outside config files the entropy plugins' candidate lines (native engine) are only those where a quote
    starts a run of their charset long enough to pass (backslashes count: the base64 plugin's charset holds one):
    the lines with a secret word and a run that also hold such a quoted run; and a scan reports the same findings
    from them as from every line with a word and a run (the `re` engine's lines)."""
    from mi_migrate.scan import candidates
    from mi_migrate.scan.plugin_prefilters import ENTROPY_CHARSETS

    if "hyperscan" not in candidates.available():
        pytest.skip("the native engine is not installed")
    rng = random.Random(17)
    b64 = string.ascii_letters + string.digits + "+/="

    def run(length: int, charset: str) -> str:
        return "".join(rng.choice(charset) for _ in range(length))

    pieces = ["token = ", "api_key: ", "auth", "x = ", "'", '"', "\\", "\\n", " ", "# ", "signature=", "value",
              "ключ", "é"]
    lines = []
    for _ in range(1500):
        parts = [rng.choice(pieces) for _ in range(rng.randint(0, 3))]
        quote = rng.choice(["'", '"', ""])
        body = run(rng.randint(5, 40), rng.choice([b64, b64 + "\\", string.hexdigits]))
        if rng.random() < 0.3:
            cut = rng.randint(0, len(body))
            body = body[:cut] + "\\" + body[cut:]
        parts.insert(rng.randint(0, len(parts)), quote + body + quote)
        lines.append("".join(parts))
    text = "\n".join(lines) + "\n"
    lowered, ascii_text = text.lower(), text.encode("ascii", "replace")
    native = candidates.find(text.encode(), "hyperscan")
    checked = 0
    for name, charset in ENTROPY_CHARSETS.items():
        pre = third_party.PREFILTERS[name]
        broad = plugin_lines.candidate_starts(text, lowered, ascii_text, pre, True)
        narrow = plugin_lines.candidate_starts(text, lowered, ascii_text, pre, True, {}, native.positions, True,
                                               quoted=charset)
        quoted = re.compile(f"['\"][{re.escape(charset)}]{{{pre.run[1]}}}")
        assert narrow == {start for start in broad if quoted.search(text, start, text.find("\n", start))}
        assert 0 < len(narrow) < len(broad)
        checked += len(narrow)
    everywhere = third_party.scan("app.py", text, b"", None, present=third_party.ENTROPY_PLUGINS)
    assert third_party.scan("app.py", text, b"", None, present=third_party.ENTROPY_PLUGINS,
                            positions=native.positions) == everywhere
    assert len(everywhere) > 20 and checked > 50


def test_ibm_iam_shape_lines_hold_every_line_the_plugin_reports() -> None:
    """IbmCloudIamDetector's candidate lines (native engine) are those its assignment shape matches, of the lines
    with a word and a run: every line its own analyze_line reports is among them, and fewer lines than before."""
    from mi_migrate.scan import candidates

    if "hyperscan" not in candidates.available():
        pytest.skip("the native engine is not installed")
    detector = next(det for det in third_party._detectors() if det.name == "IbmCloudIamDetector")
    rng = random.Random(23)
    word = string.ascii_letters + string.digits + "_-"
    lines = []
    for _ in range(3000):
        secret = "".join(rng.choice(word) for _ in range(rng.choice([30, 44, 44, 50])))
        keyword = rng.choice(["ibm_cloud_iam_api_key", "api-key", "KEY", "pwd", "pw", "password", "token", "name"])
        assign = rng.choice(["=", ":", ":=", "=>", " ", "::", " = ", "(", "=="])
        quote = rng.choice(["", "'", '"'])
        filler = "".join(rng.choice(word + " .") for _ in range(rng.randint(0, 50)))
        lines.append(rng.choice([f"{keyword}{quote}{assign}{quote}{secret}", f"{filler} {secret} {keyword}",
                                 f"[{quote}{keyword}{quote}] {assign} {quote}{secret}{quote}  # {filler}"]))
    text = "\n".join(lines) + "\n"
    lowered, ascii_text = text.lower(), text.encode("ascii", "replace")
    native = candidates.find(text.encode(), "hyperscan")
    shaped = plugin_lines.candidate_starts(text, lowered, ascii_text, detector.pre, True, {}, native.positions, True)
    broad = plugin_lines.candidate_starts(text, lowered, ascii_text, detector.pre, True)
    starts = [sum(len(line) + 1 for line in lines[:i]) for i in range(len(lines))]
    reported = {start for start, line in zip(starts, lines, strict=True)
                if start in broad and detector.plugin.analyze_line(filename="x.py", line=line)}
    assert len(reported) > 100
    assert reported <= shaped < broad


def test_remembered_lines_keep_the_file_type_and_the_line_number() -> None:
    """_line_hits keeps each line's plugin results for lines seen again; the keyword plugin reads the file type
    from the extension, so `:=` counts in Go and not in Python, and `=>` the other way round, whichever file
    came first; a remembered line still reports its own line number."""
    value = "hunter2" + "".join(random.Random(7).choices(string.ascii_letters, k=12))  # fake, generated
    walrus = f'my_password := "{value}"'
    arrow = f'password => "{value}"'
    for order in (("a.py", "a.go"), ("a.go", "a.py")):
        third_party._HITS_MEMO.clear()
        seen = {name: [(f.span.line, f.rule_id) for f in third(run(f"{walrus}\n\n{arrow}\n{walrus}\n", name)[0])]
                for name in order}
        assert seen == {"a.go": [(1, "AZ303"), (4, "AZ303")], "a.py": [(3, "AZ303")]}
    assert third_party._HITS_MEMO  # the lines were remembered: the second file of each order read them back


def test_native_copies_of_detect_secrets_facts_match_the_installed_plugins() -> None:
    """plugin_prefilters keeps the entropy plugins' quoted-value regexes and limits, and the lock-file names,
    so that a file without a reportable value never imports detect-secrets: they must be detect-secrets' own."""
    from detect_secrets.filters.heuristic import is_lock_file, is_swagger_file

    from mi_migrate.scan import plugin_prefilters

    detectors = {det.name: det for det in third_party._detectors()}
    for name in third_party.PREFILTERS:  # planning maps plugins to rules without building the detectors
        assert third_party.rule_id_of(name) == (detectors[name].rule.id if name in detectors else None), name
    entropy = {det.name: det.plugin for det in third_party._detectors() if det.name in third_party.ENTROPY_PLUGINS}
    assert set(entropy) == set(plugin_prefilters.ENTROPY_QUOTED) == set(plugin_prefilters.ENTROPY_LIMITS)
    for name, plugin in entropy.items():
        assert plugin.regex.pattern == plugin_prefilters.ENTROPY_QUOTED[name].pattern
        assert plugin.entropy_limit == plugin_prefilters.ENTROPY_LIMITS[name]
        run_class = plugin_prefilters.PREFILTERS[name].run[0]  # a run of the value's own alphabet, all of it
        assert set(plugin.charset) <= set(plugin_prefilters.RUN_CLASSES[run_class]), name
    names = [*plugin_prefilters.LOCK_FILE_NAMES, "a/b/yarn.lock", "Yarn.lock", "swagger-ui.html", "api/swagger/x.py",
             "docs/Swagger.md", "lock.json", "package.json", "x/poetry.lock.bak", "swaggerish", "app.py"]
    for name in names:
        assert third_party._skip_file(name) == (is_lock_file(name) or is_swagger_file(name)), name


def test_files_only_the_entropy_plugins_could_read_are_skipped_only_when_they_report_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """scan() passes over a file only the entropy plugins could read, without building the detectors, when no
    candidate line holds a value they could report; wherever it does, the plugins themselves find nothing:
    random lines of quoted values, secret words and noise, in code and config files."""
    real_detectors = third_party._detectors

    class Built(Exception):
        pass

    def skipped(name: str, text: str) -> bool:
        def refuse() -> tuple[third_party.Detector, ...]:
            raise Built
        monkeypatch.setattr(third_party, "_detectors", refuse)
        try:
            assert third_party.scan(name, text, b"", None, present=present) == []
            return True
        except Built:
            return False
        finally:
            monkeypatch.setattr(third_party, "_detectors", real_detectors)

    rng = random.Random(11)
    pieces = ['"', "'", "key", "token", "secret", " = ", ": ", "integrity", "sha512-", "0123456789abcdef",
              "".join(rng.choices(string.ascii_letters + string.digits, k=30)), "deadbeefcafe", "-", "_", "x" * 25,
              "".join(rng.choices(string.hexdigits, k=40)), "Ab1+/=", " ", "\t", "é"]
    present = frozenset(third_party.ENTROPY_PLUGINS)
    said_no = reported = 0
    for _ in range(3000):
        lines = ["".join(rng.choice(pieces) for _ in range(rng.randrange(2, 12))) for _ in range(rng.randrange(1, 4))]
        if rng.random() < 0.4:  # a quoted random value beside a secret word: what the plugins do report
            quote = rng.choice("\"'")
            value = "".join(rng.choices(rng.choice([string.ascii_letters + string.digits + "+/", string.hexdigits]),
                                        k=rng.randrange(8, 40)))
            lines.append(f"{rng.choice(['api_key', 'token', 'name', 'sha512-'])} = {quote}{value}{quote}")
        text = "\n".join(lines) + "\n"
        name = rng.choice(["app.py", "settings.yaml", "config.ini", "main.go"])
        findings = third_party.scan(name, text, text.lower().encode(), None, present=None)
        found = [f for f in findings if f.fields.get("plugin") in present or "Entropy" in f.message]
        if skipped(name, text):
            said_no += 1
            assert found == [], text
        reported += bool(found)
    assert said_no > 500 and reported > 100


def test_keyword_candidate_lines_are_the_lines_its_denylist_gate_passes() -> None:
    """KeywordDetector's candidate lines come from its DENYLIST words (the line test _compute_hits applies):
    found by the native engine on the text with non-ASCII characters as "?" (contraseña's ñ included), or by a
    search of the literal lines; either way exactly the lines where the gate passes on the lower-cased line."""
    from mi_migrate.scan import candidates

    detector = next(det for det in third_party._detectors() if det.name == "KeywordDetector")
    assert detector.line_gate is not None
    words = ["API_KEY", "db_pass", "Contraseña", "CONTRASEÑA", "contrasena", "key", "monkey", "passage", "Secret",
             "pwd", "private-key", "privkey", "hunter", "ключ", "clé"]
    rng = random.Random(11)
    lines = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 3))) + " = 'v'" for _ in range(300)]
    text = "\n".join(lines) + "\n"
    expected = {sum(len(line) + 1 for line in lines[:i]) for i, line in enumerate(lines)
                if detector.line_gate.search(line.lower())}
    assert 0 < len(expected) < len(lines)
    ascii_text = text.encode("ascii", "replace")
    found = plugin_lines.gated_starts(text, text.lower(), ascii_text, detector.pre, detector.line_gate, None)
    assert found == expected
    if "hyperscan" in candidates.available():
        native = candidates.find(text.encode(), "hyperscan")
        assert plugin_lines.gated_starts(text, text.lower(), ascii_text, replace(detector.pre, line_shape=None),
                                         detector.line_gate, native.positions) == expected


@pytest.mark.parametrize("filename", ["x.py", "x.yaml", "x.go", "x.cpp", "x.cs", "x.txt"])
def test_keyword_shape_lines_hold_every_line_the_plugin_reports(filename: str) -> None:
    """With the native engine, KeywordDetector's candidate lines are those its shape (an assignment, comparison,
    call or `;`-terminated quote after a DENYLIST word; plugin_prefilters.line_shape) matches: every line where
    the plugin's own analyze_line reports something for the file type is among them, and none without a word."""
    from mi_migrate.scan import candidates

    if "hyperscan" not in candidates.available():
        pytest.skip("the native engine is not installed")
    detector = next(det for det in third_party._detectors() if det.name == "KeywordDetector")
    assert detector.line_gate is not None and detector.pre.line_shape is not None
    pieces = ["API_KEY", "db_pass", "Contraseña", "password", "Secret", "pwd", "private_key", "hunter", "clé",
              " ", "\t", "\u00a0", "\u2003", "=", "==", "!=", "===", ":=", "=>", ":", "(", ".assign(", "[2]", "@",
              "'", '"', "`", ";", ",", "]", "s3cr3t-Value", "ключ", "x"]
    rng = random.Random(21)

    spaces, operators = [" ", "\t", "\u00a0", "\u2003", ""], ["=", "==", "!=", "===", ":=", "=>", ":", "(", ".assign(",
                                                                 "[2] =", "@="]
    values = ["s3cr3t-Value", "ключ", "x", "a b", "hunter2"]

    def shaped_line() -> str:  # a keyword, maybe a closing quote or bracket, an operator, a quoted value
        quote = rng.choice(["'", '"', "`", ""])
        keyword = rng.choice(pieces[:9])
        if rng.random() < 0.2:  # a quoted value compared with a keyword
            return "".join([quote or '"', rng.choice(values), quote or '"', rng.choice(spaces),
                            rng.choice(["==", "!=", "==="]), rng.choice(spaces), rng.choice(["my_", ""]), keyword])
        return "".join([keyword, rng.choice(["", "]", "'", '"', "_x"]), rng.choice(spaces), rng.choice(operators),
                        rng.choice(spaces), quote, rng.choice(values), quote, rng.choice(["", ";", ")"])])

    lines = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 4))) + shaped_line() * rng.randint(0, 1)
             + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4))) for _ in range(4000)]
    text = "\n".join(lines) + "\n"
    assert not any(char in text for char in ("\u017f", "\u0131", "\u212a"))
    lowered, ascii_text = text.lower(), text.encode("ascii", "replace")
    native = candidates.find(text.encode(), "hyperscan")
    shaped = plugin_lines.gated_starts(text, lowered, ascii_text, detector.pre, detector.line_gate,
                                       native.positions)
    words = plugin_lines.gated_starts(text, lowered, ascii_text, detector.pre, detector.line_gate, None)
    starts = [sum(len(line) + 1 for line in lines[:i]) for i in range(len(lines))]
    reported = {start for start, line in zip(starts, lines, strict=True)
                if detector.line_gate.search(line.lower())
                and detector.plugin.analyze_line(filename=filename, line=line)}
    assert len(reported) > 30
    assert reported <= shaped < words  # every reported line kept; fewer lines than the words alone give



def test_base64_values_split_by_backslashes_are_found_as_the_plugin_finds_them(candidate_engine: str) -> None:
    """The base64 plugin's charset holds a backslash, so `"<8-18 chars>\\<8-18 chars>..."` is one value to it:
    the run prefilter and the file anchor count backslashes too, or no 23-character run is seen and every such
    line is skipped (they were, before)."""
    rng = random.Random(23)
    alphabet = string.ascii_letters + string.digits + "+/"

    def split_value() -> str:
        return "\\".join("".join(rng.choice(alphabet) for _ in range(rng.randint(8, 18))) for _ in range(4))

    lines = [f'token = "{split_value()}"' for _ in range(12)] + ["x = 1"]
    plugin = next(det.plugin for det in third_party._detectors() if det.name == "Base64HighEntropyString")
    theirs = {number for number, line in enumerate(lines, 1) if plugin.analyze_line(filename="app.py", line=line)}
    findings, _ = scan_bytes("app.py", ("\n".join(lines) + "\n").encode(), ScanSettings(engine=candidate_engine))
    ours = {f.span.line for f in findings if f.rule_id == third_party.rule_id_of("Base64HighEntropyString")}
    assert len(theirs) == 12 and ours == theirs


def test_a_plugin_finding_on_an_azure_secret_decoded_elsewhere_is_dropped(candidate_engine: str) -> None:
    """A recorded body holds `\\"primaryKey\\":\\"<key>\\"`: the structured scan decodes the escapes and reports
    the account key (AZ127); the base64 plugin reads the raw text, trailing backslash included, so its secret
    differs and de-duplication by secret kept both (one such pair in the SDK fork). One finding per occurrence:
    the plugin's goes, an entropy finding elsewhere in the file stays."""
    key = fakes.expand("«b64:64»")
    token = fakes.fake_alnum(40, random.Random(4))
    body = '{\\"value\\":[{\\"keyName\\":\\"key1\\",\\"primaryKey\\":\\"' + key + '\\"}]}'
    text = (f'interactions:\n- response:\n    body:\n      string: "{body}"\n'
            f'    headers:\n      x-auth-token: ["{token}"]\n')
    found, _ = scan_bytes("recordings/test.yaml", text.encode(), ScanSettings(engine=candidate_engine))
    assert [(f.rule_id, f.span.line) for f in found] == [("AZ127", 4), (third_party.rule_id_of(
        "Base64HighEntropyString"), 6)]
    from mi_migrate.scan import engine

    plugin = replace(found[1], span=found[0].span, secret_hash="other")  # a plugin finding on the key's span
    assert engine.deduplicate([found[0], plugin, found[1]], {}) == [found[0], found[1]]
    code = replace(found[0], secret_hash="")  # code findings own no secret: a plugin finding there stays
    assert engine.deduplicate([code, plugin], {}) == [code, plugin]


def test_rules_for_a_tuple_through_its_keyword_index_is_the_loop_over_rules() -> None:
    """engine.rules_for answers a tuple of rules through a keyword index (one test per distinct keyword): it must
    pick what the loop over each rule's keywords picks (a list takes the loop), in the same order, on every rule
    example line and on lines mixing keywords at random, for the Azure rules a plugin line is checked against
    and for all the rules."""
    from mi_migrate.scan import engine

    for rules in (third_party._azure_rules(), tuple(load_rules())):
        keywords = sorted({keyword.decode() for rule in rules for keyword in rule.keywords})
        lines = [fakes.expand(example.text) for rule in load_rules() for example in rule.examples]
        rng = random.Random(3)
        lines += [" x ".join(rng.sample(keywords, rng.randrange(0, 4))).upper() for _ in range(200)]
        picked_any = 0
        for line in lines:
            lower = line.lower().encode("utf-8", "replace")
            expected = engine.rules_for(lower, list(rules))
            assert engine.rules_for(lower, rules) == expected, line[:40]
            picked_any += bool(expected)
        assert picked_any > 100


def test_ibm_iam_shape_wants_exactly_44_characters() -> None:
    """The plugin's secret is 44 characters of its class with none after them: a longer run is no candidate
    line; one at the very end of the text (no line break after it) is."""
    from mi_migrate.scan import candidates

    if "hyperscan" not in candidates.available():
        pytest.skip("the native engine is not installed")
    detector = next(det for det in third_party._detectors() if det.name == "IbmCloudIamDetector")
    rng = random.Random(29)
    word = string.ascii_letters + string.digits + "_-"

    def run(n: int) -> str:
        return "".join(rng.choice(word) for _ in range(n))

    for text, expected in ((f'api_key = "{run(50)}"\n', False), (f'api_key = "{run(44)}"\n', True),
                           (f"api_key: {run(44)}", True), (f"api_key: {run(45)}", False)):
        native = candidates.find(text.encode(), "hyperscan")
        starts = plugin_lines.candidate_starts(text, text.lower(), text.encode("ascii", "replace"), detector.pre,
                                               True, {}, native.positions, True)
        assert bool(starts) is expected, text[:12]
        assert bool(detector.plugin.analyze_line(filename="x.py", line=text.rstrip("\n"))) is expected


def test_artifactory_token_lines_hold_every_line_the_plugin_reports() -> None:
    """ArtifactoryDetector reports a whole token (after a space, `=`, `:`, a quote or the line's start; before a
    space, a quote or its end; `\\d` any Unicode digit): its file anchor holds on every line it reports on, and so
    do its candidate lines (native engine); a token inside a longer run is no candidate line."""
    from mi_migrate.scan import candidates

    detector = next(det for det in third_party._detectors() if det.name == "ArtifactoryDetector")
    rng = random.Random(31)
    alnum = string.ascii_letters + string.digits
    before = [" ", "=", ":", '"', "'", "\t", "\u00a0", "\u2003", "x", "+", "/", "\x1c"]
    after = [" ", '"', "'", "", "x", "\u00a0", "\r", ".", "/", "\x1f"]
    lines = []
    for _ in range(3000):
        body = "".join(rng.choices(alnum, k=rng.randint(6, 14)))
        token = rng.choice(["AKC", "AP" + rng.choice("0123456789ABCDEFG\u0663")]) + body
        lines.append(rng.choice(["", "key"]) + rng.choice(before) + token + rng.choice(after) + rng.choice(["", "#"]))
    text = "\n".join(lines) + rng.choice(["", "\n"])
    starts = [sum(len(line) + 1 for line in lines[:i]) for i in range(len(lines))]
    reported = {start for start, line in zip(starts, lines, strict=True)
                if detector.plugin.analyze_line(filename="x.py", line=line.rstrip())}
    assert 300 < len(reported) < len(lines) - 300
    anchor = candidates.re.compile(detector.pre.anchor)
    assert all(anchor.search(line.encode()) for start, line in zip(starts, lines, strict=True) if start in reported)
    if "hyperscan" in candidates.available():
        native = candidates.find(text.encode(), "hyperscan")
        shaped = plugin_lines.candidate_starts(text, text.lower(), text.encode("ascii", "replace"), detector.pre,
                                               True, {}, native.positions, True)
        assert reported <= shaped and len(shaped) < len(lines) - 300


def test_azure_spans_through_the_native_engine_are_the_lowered_lines() -> None:
    """_azure_spans finds the Azure rules a plugin line could belong to in one native pass when the file was
    scanned natively: the same spans as the keyword tests on the lowered line, for lines with every rule keyword
    in any case and with the characters whose lower case is ASCII."""
    from mi_migrate.scan import candidates

    if "hyperscan" not in candidates.available():
        pytest.skip("the native engine is not installed")
    keywords = sorted({k.decode() for rule in third_party._azure_rules() for k in rule.keywords})
    rng = random.Random(37)
    pieces = [*keywords, "AccountKey=", "=", " ", '"', "\u212aey", "AP\u0130", fakes.expand("«b64:64»"),
              "https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=", "x", ";"]
    def native(data: bytes) -> candidates.Hits:
        return candidates.find_for_rules(data, "hyperscan")

    key = fakes.expand("«b64:64»")
    kelvin = [f'my_account\u212aey = "{key}"', f"account\u212aey: {key}"]  # `key` only once lower-cased
    for i in range(1500):
        line = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        line = kelvin[i] if i < len(kelvin) else "".join(c.upper() if rng.random() < 0.3 else c for c in line)
        text = f"a\n{line}\nb\n"
        start = 2
        assert third_party._azure_spans("x.py", text, start, line, line.lower(), native) == \
            third_party._azure_spans("x.py", text, start, line, line.lower()), line[:20]
