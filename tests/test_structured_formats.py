"""Structured scanning: each format's findings carry the exact key path and file line/column.

Fixtures are generated here with fake keys (mi_migrate.testing.fakes); positions are computed from the fixture text, so
a test states where the key is written, not a number copied from a run.
"""

from __future__ import annotations

import json

import pytest
import yaml

from mi_migrate.scan.files import scan_bytes
from mi_migrate.scan.model import ScanSettings
from mi_migrate.testing import fakes

KEY = fakes.expand("«b64:64»", seed=7)
CONN = f"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={KEY};EndpointSuffix=core.windows.net"


# AZ102 ignores a bare key within 200 characters of a connection string (that one is AZ101's), so fixtures
# with both keep realistic settings in between.
PADDING = "".join(f'  "Feature{i}": "enabled-for-region-{i}",\n' for i in range(6))


def scan(filename: str, text: str):
    return scan_bytes(filename, text.encode("utf-8"), ScanSettings(third_party=False))


def position(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based (line, column) of the nth occurrence of needle in text."""
    offset = -1
    for _ in range(nth + 1):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def only(findings, key_path: str):
    hits = [f for f in findings if f.key_path == key_path]
    assert len(hits) == 1, [(f.rule_id, f.key_path, f.span) for f in findings]
    return hits[0]


def assert_at(finding, text: str, needle: str, nth: int = 0) -> None:
    assert (finding.span.line, finding.span.column) == position(text, needle, nth)


def test_local_settings_json() -> None:
    text = json.dumps(
        {"IsEncrypted": False, "Values": {"FUNCTIONS_WORKER_RUNTIME": "python", "AzureWebJobsStorage": CONN}},
        indent=2,
    )
    findings, notes = scan("local.settings.json", text)
    assert not notes
    finding = only(findings, "Values.AzureWebJobsStorage")
    assert finding.rule_id == "AZ101"
    assert_at(finding, text, KEY)


def test_appsettings_json_with_comments_and_nested_arrays() -> None:
    text = (
        "{\n  // connection strings for the app\n  \"ConnectionStrings\": {\n"
        f'    "Blob": "{CONN}"\n  }},\n{PADDING}'
        f'  "Accounts": [{{"Name": "a"}}, {{"AccountKey": "{KEY}"}}]\n}}\n'
    )
    findings, _ = scan("appsettings.Development.json", text)
    assert_at(only(findings, "ConnectionStrings.Blob"), text, KEY)
    assert_at(only(findings, "Accounts[1].AccountKey"), text, KEY, 1)


def test_arm_template_app_settings() -> None:
    template = {
        "resources": [
            {"type": "Microsoft.Storage/storageAccounts", "name": "acme"},
            {
                "type": "Microsoft.Web/sites",
                "properties": {"siteConfig": {"appSettings": [{"name": "AzureWebJobsStorage", "value": CONN}]}},
            },
        ]
    }
    text = json.dumps(template, indent=2)
    findings, _ = scan("azuredeploy.json", text)
    assert_at(only(findings, "resources[1].properties.siteConfig.appSettings[0].value"), text, KEY)


def test_dotenv_variants() -> None:
    text = f'# storage\nexport AZURE_STORAGE_KEY="{KEY}"\nAZURE_STORAGE_CONNECTION_STRING={CONN}  # prod\n'
    findings, _ = scan(".env.production", text)
    assert_at(only(findings, "AZURE_STORAGE_KEY"), text, KEY)
    assert_at(only(findings, "AZURE_STORAGE_CONNECTION_STRING"), text, KEY, 1)


def test_web_config_connection_strings_and_app_settings() -> None:
    text = (
        '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <connectionStrings>\n'
        f'    <add name="Storage" connectionString="{CONN.replace(";", "&#59;", 1)}" />\n'
        "  </connectionStrings>\n  <appSettings>\n"
        + "".join(f'    <add key="Feature{i}" value="enabled-for-region-{i}" />\n' for i in range(6))
        + f'    <add key="StorageAccountKey" value="{KEY}" />\n  </appSettings>\n</configuration>\n'
    )
    findings, notes = scan("web.config", text)
    assert not notes
    assert_at(only(findings, "connectionStrings/add[@name='Storage']"), text, KEY)
    assert_at(only(findings, "appSettings/add[@key='StorageAccountKey']"), text, KEY, 1)


def test_kubernetes_deployment_env_value() -> None:
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: web\n          image: web:1\n          env:\n"
        "            - name: A\n              value: one\n            - name: B\n              value: two\n"
        f'            - name: AZURE_STORAGE_CONNECTION_STRING\n              value: "{CONN}"\n'
    )
    findings, _ = scan("k8s/deployment.yaml", text)
    assert_at(only(findings, "spec.template.spec.containers[0].env[2].value"), text, KEY)


def test_helm_values_github_actions_and_compose() -> None:
    helm = f"storage:\n  enabled: true\n  connectionString: {CONN}\n"
    findings, _ = scan("charts/web/values.yaml", helm)
    assert_at(only(findings, "storage.connectionString"), helm, KEY)
    workflow = (
        "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    env:\n"
        f"      AZURE_STORAGE_KEY: {KEY}\n    steps:\n      - run: echo\n"
    )
    findings, _ = scan(".github/workflows/deploy.yml", workflow)
    assert_at(only(findings, "jobs.deploy.env.AZURE_STORAGE_KEY"), workflow, KEY)
    compose = f"services:\n  api:\n    environment:\n      - AZURE_STORAGE_CONNECTION_STRING={CONN}\n"
    findings, _ = scan("docker-compose.yml", compose)
    assert_at(only(findings, "services.api.environment[0]"), compose, KEY)


def test_terraform_app_settings_and_tfvars() -> None:
    text = (
        'resource "azurerm_linux_function_app" "app" {\n  name = "fn"\n  identity {\n'
        '    type = "SystemAssigned"\n  }\n  app_settings = {\n'
        f'    "AzureWebJobsStorage" = "{CONN}"\n  }}\n}}\n'
    )
    findings, notes = scan("infra/main.tf", text)
    assert not notes
    assert_at(only(findings, "resource.azurerm_linux_function_app.app.app_settings.AzureWebJobsStorage"), text, KEY)
    tfvars = f'location = "westeurope"\nstorage_account_key = "{KEY}"\n'
    findings, _ = scan("prod.tfvars", tfvars)
    assert_at(only(findings, "storage_account_key"), tfvars, KEY)


def test_terraform_heredoc() -> None:
    text = f'locals {{\n  settings = <<EOT\n[storage]\nconnection = {CONN}\nEOT\n}}\n'
    findings, _ = scan("locals.tf", text)
    assert_at(only(findings, "locals.settings"), text, KEY)


def test_bicep_param_and_app_settings() -> None:
    text = (
        f"param storageKey string = '{KEY}'\n"
        "resource site 'Microsoft.Web/sites@2022-03-01' = {\n  name: 'web'\n  properties: {\n"
        "    siteConfig: {\n      appSettings: [\n        {\n          name: 'FIRST'\n          value: 'x'\n"
        "        }\n        {\n          name: 'AzureWebJobsStorage'\n"
        f"          value: '{CONN}'\n        }}\n      ]\n    }}\n  }}\n}}\n"
    )
    findings, notes = scan("main.bicep", text)
    assert not notes
    assert_at(only(findings, "param.storageKey"), text, KEY)
    assert_at(only(findings, "resource.site.properties.siteConfig.appSettings[1].value"), text, KEY, 1)


def test_dockerfile_env_and_arg() -> None:
    text = f'FROM python:3.12\nENV APP_ENV=prod \\\n    AZURE_STORAGE_KEY={KEY}\nARG CONN="{CONN}"\n'
    findings, _ = scan("Dockerfile", text)
    assert_at(only(findings, "ENV.AZURE_STORAGE_KEY"), text, KEY)
    assert_at(only(findings, "ARG.CONN"), text, KEY, 1)


@pytest.mark.parametrize(
    ("filename", "text", "key_path"),
    [
        ("setup.cfg", f"[metadata]\nname = x\n\n[storage]\nconnection_string = {CONN}\n", "storage.connection_string"),
        ("app.ini", f"[azure]\nstorage_key: {KEY}\n", "azure.storage_key"),
        ("settings.toml", f'title = "x"\n\n[storage]\nkey = "{KEY}"\n', "storage.key"),
        ("app.properties", f"# props\nazure.storage.connection={CONN}\n", "azure.storage.connection"),
    ],
)
def test_ini_like(filename: str, text: str, key_path: str) -> None:
    findings, notes = scan(filename, text)
    assert not notes
    assert_at(only(findings, key_path), text, KEY)


def test_one_finding_per_secret_and_it_carries_the_key_path() -> None:
    text = json.dumps({"Values": {"AzureWebJobsStorage": CONN}}, indent=2)
    findings, _ = scan("local.settings.json", text)
    assert len(findings) == 1
    assert findings[0].key_path == "Values.AzureWebJobsStorage"
    assert findings[0].to_dict()["key_path"] == "Values.AzureWebJobsStorage"


@pytest.mark.parametrize("escaped", [True, False])
def test_json_values_near_are_the_parse_values_a_scan_uses(escaped: bool) -> None:
    """json_settings.values_near (json.loads' structure zipped with the leaves' positions) must give exactly the
    values of the full parse that are escaped or hold an offset, with the same key paths and offset maps."""
    from mi_migrate.scan.structured import json_settings

    doc = {
        "Values": {"AzureWebJobsStorage": CONN, "odd key.with dots": "plain", "n": 3, "flag": True, "none": None},
        "resources": [{"name": "a\"quoted\"", "props": ["x", 1.5e3, {"deep": "tab\there \u00e9 \u2603"}]}],
        "esc\u00e9ped k\"ey": {"v": "C:\\keys\\x", "w": "-1"},
    }
    compact = json.dumps(doc, separators=(",", ":"))
    for text in (json.dumps(doc, indent=2), json.dumps(doc, ensure_ascii=False), compact):
        full = json_settings.extract(text)
        offsets = sorted({v.start for v in full[::2]} | {0, len(text) - 1})
        near = json_settings.values_near(text, offsets, escaped)
        assert near is not None
        wanted = [v for v in full
                  if (escaped and v.offsets is not None) or any(v.start <= o < v.end for o in offsets)]
        shape = [(v.key_path, v.text, v.start, v.end, v.offsets) for v in wanted]
        assert sorted(shape) == sorted((v.key_path, v.text, v.start, v.end, v.offsets) for v in near)
        assert any(v.offsets is not None for v in near) or not escaped
        assert len(near) < len(full)  # the point: values nobody reads are not built


@pytest.mark.parametrize("text", [
    '{"a": "x", "a": "y"}',  # duplicate key: json.loads keeps one pair, the leaves count two
    '// comment\n{"a": "x"}',
    '{"a": "x",}',
    '\ufeff{"a": "x"}',
    '{"a": "tab\tinside"}',
])
def test_json_values_near_leaves_other_documents_to_the_full_parse(text: str) -> None:
    from mi_migrate.scan.structured import json_settings

    assert json_settings.values_near(text, [7]) is None


def test_decode_text_reads_escapes_exactly_as_decode_escapes() -> None:
    """The window test (json_settings.escaped_value_windows) decodes with decode_text; the scan with
    decode_escapes. Any difference would let the test skip a value the scan would find a key in."""
    import random

    from mi_migrate.scan.structured.json_settings import JSON_ESCAPES
    from mi_migrate.scan.structured.values import decode_escapes, decode_text

    pieces = ["\\u", "\\x", "\\U", "\\", "d8", "D8", "dc", "00", "41", "ff", "0", "n", "t", '"', "/", "a", "\u00e9",
              '\\"', "\\\\", "\\uD83D\\uDE00", "\\uDBFF\\uFFFF", "\\ud800", "\\u00", "Z"]
    rng = random.Random(12)
    for _ in range(20_000):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12)))
        assert decode_text(raw, JSON_ESCAPES) == decode_escapes(raw, 0, JSON_ESCAPES)[0], raw



def test_escaped_value_windows_find_every_string_with_an_escape() -> None:
    """The windows hop from string to string with one regex and stop only at strings holding an escape. The
    oracle walks the parsed document: every string value or key whose JSON text holds a backslash, in document
    order, each decoded exactly as json.loads decodes it."""
    import json
    import random

    from mi_migrate.scan.structured import json_settings

    pieces = ["plain", "tab\\t", "quote\\\"d", "back\\\\slash", "\\u00e9t\\u00e9", "{not an object}", "[1, 2]",
              "a: b, c", "\\/path", "x" * 40, "key\\u003d", "\\\\"]
    rng = random.Random(3)

    def value(depth: int) -> object:
        roll = rng.random()
        if depth > 3 or roll < 0.4:
            return "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 4)))
        if roll < 0.5:
            return rng.choice([1, 2.5, True, None])
        if roll < 0.75:
            return [value(depth + 1) for _ in range(rng.randrange(0, 4))]
        return {"".join(rng.choice(pieces) for _ in range(rng.randrange(1, 3))): value(depth + 1)
                for _ in range(rng.randrange(0, 4))}

    def strings(node: object) -> list[str]:
        if isinstance(node, str):
            return [node]
        if isinstance(node, list):
            return [s for item in node for s in strings(item)]
        if isinstance(node, dict):
            return [s for key, item in node.items() for s in (key, *strings(item))]
        return []

    checked = 0
    for _ in range(300):
        doc = value(0)
        ascii_only = rng.random() < 0.5
        text = json.dumps(doc, indent=rng.choice([None, 2]), ensure_ascii=ascii_only)
        expected = [s for s in strings(json.loads(text)) if len(s) >= json_settings.MIN_VALUE
                    and "\\" in json.dumps(s, ensure_ascii=ascii_only)]
        windows = json_settings.escaped_value_windows(text)
        assert windows is not None
        decoded = [window[min(start, json_settings.CONTEXT):].split("\n")[0] for start, window in windows]
        assert decoded == expected, text
        checked += len(expected)
    assert checked > 100
    assert json_settings.escaped_value_windows('{"a": "b" // no\n}') is None  # not strict JSON


YAML_SCALARS = [
    "plain: abcdefgh ijklmnop\n",
    "single: 'it''s a long value with ''quotes'' inside'\n",
    "folded: 'first line of a long value   \n    continues here\n\n    after a blank line'\n",
    'double: "tab\\there \\"quoted\\" \\u00e9 \\x41 and a continuation \\\n      goes on"\n',
    'crlf: "line one of the value\r\n  line two of the value"\r\n',
    "block: |\n  first line of the block\n  second line of the block\n",
    "folded_block: >\n  first line folded\n  into the second\n",
    "body: '{\"documents\": [{\"id\": \"0\", \"text\": \"a long recorded body with many words\n"
    "      | and | pipes\"}]}'\n",
]


@pytest.mark.parametrize("source", YAML_SCALARS)
def test_yaml_alignment_maps_each_decoded_character_to_its_source(source: str) -> None:
    """align() walks runs of verbatim text at once; every decoded character must still land on the raw character
    that produced it: itself, a line break folded into a space, an escape's backslash or a doubled quote."""
    import yaml

    from mi_migrate.scan.structured import yaml_files

    node = yaml.compose(source, Loader=yaml_files.Loader).value[0][1]
    start, end = node.start_mark.index, node.end_mark.index
    offsets = yaml_files.align(source[start:end], start, node.value, node.style or "")
    assert offsets is not None and len(offsets) == len(node.value)
    assert list(offsets) == sorted(set(offsets))  # strictly increasing
    for char, offset in zip(node.value, offsets, strict=True):
        raw = source[offset]
        assert raw == char or raw in "\\'" or (char in " \n" and raw in "\r\n"), (char, raw, offset)


def test_offset_runs_answer_as_the_list_of_offsets_would() -> None:
    """align() keeps offsets as runs; indexing (also from the end), iteration and length must give what the
    plain list of per-character offsets gave, for runs that touch, jump and hold one character."""
    import random

    from mi_migrate.scan.structured.values import OffsetRuns

    rng = random.Random(11)
    for _ in range(50):
        runs, plain, offset = OffsetRuns(), [], rng.randrange(100)
        for _ in range(rng.randrange(1, 12)):
            offset += rng.choice((0, 0, 1, 2, 7))  # 0: the next run continues the last one
            count = rng.choice((0, 1, 1, 3, 40))
            runs.add(offset, count)
            plain.extend(range(offset, offset + count))
            offset += count
        assert len(runs) == len(plain) and list(runs) == plain
        again = OffsetRuns()
        for item in plain:
            again.add(item)
        assert again == runs  # one offset at a time makes the same runs
        assert [runs[i] for i in range(-len(plain), len(plain))] == plain + plain
        with pytest.raises(IndexError):
            runs[len(plain)]
        for _ in range(20):  # pieces(begin, end): the runs of a slice, in order
            begin = rng.randrange(len(plain) + 1)
            end = rng.randrange(begin, len(plain) + 1)
            assert [o + k for o, n in runs.pieces(begin, end) for k in range(n)] == plain[begin:end]


def test_a_wrapped_value_maps_its_kept_characters_as_before() -> None:
    """yaml_files._without_spaces gives the offsets the per-character list gave, for range, run and list
    offsets, whatever whitespace (Unicode's too) the value holds."""
    import random

    from mi_migrate.scan.structured import yaml_files
    from mi_migrate.scan.structured.values import OffsetRuns

    rng = random.Random(13)
    for _ in range(400):
        value = "".join(rng.choice(["a", "B", "9", "+", " ", "\n", "\t", "\u00a0", "\u2028", "\x1c", "xy"])
                        for _ in range(rng.randrange(0, 30)))
        runs, offset = OffsetRuns(), rng.randrange(50)
        while len(runs) < len(value):
            count = min(rng.choice((1, 2, 5)), len(value) - len(runs))
            runs.add(offset, count)
            offset += count + rng.choice((0, 1, 3))
        for offsets in (runs, list(runs), range(offset, offset + len(value))):
            kept = [i for i, char in enumerate(value) if not char.isspace()]
            assert list(yaml_files._without_spaces(value, offsets)) == [offsets[i] for i in kept], repr(value)
            assert "".join(value.split()) == "".join(value[i] for i in kept)


@pytest.mark.parametrize(
    ("source", "quote", "markers", "end"),
    [
        ("abc' tail", "'", "$", 3),
        ("a\\'b' tail", "'", "$", 4),  # an escaped quote does not close
        ("${concat('x', 'y')}' tail", "'", "$", 19),  # quotes inside an interpolation belong to it
        ("cost $5 ' tail", "'", "$", 8),  # a marker without `{` is a character
        ('%{ if a == "x" }y%{ endif }" tail', '"', "$%", 27),  # Terraform directives hold strings too
        ("abc\nd'", "'", "$", -1),  # a string does not cross a line
        ("${f(\n'a')}' tail", "'", "$", 10),  # inside an interpolation a line break is a character
        ("${'a\nb'}' tail", "'", "$", -1),  # but not inside a string there
        ("no end", "'", "$", -1),
    ],
)
def test_brace_string_end(source: str, quote: str, markers: str, end: int) -> None:
    """brace_lang.string_end jumps between the characters that matter outside interpolations; these are the
    cases where one of them must stop it (or must not)."""
    from mi_migrate.scan.structured import brace_lang

    assert brace_lang.string_end(source, 0, quote, markers) == end


BICEP_SAMPLE = """// a comment with a 'quote' and a \\ backslash
param location string = resourceGroup().location
/* block: 'not a string' { */
var conn = 'DefaultEndpointsProtocol=https;AccountName=${name};EndpointSuffix=core.windows.net'
var escaped = 'it\\'s a long value with a \\$ sign and a tab\\t here'
var multi = '''
raw 'text' with \\n kept
'''
resource site 'Microsoft.Web/sites@2022-03-01' = {
  name: 'site-${uniqueString(resourceGroup().id, 'x\\'y')}'
  properties: {
    siteConfig: {
      appSettings: [
        { name: 'A', value: 'first\\nsecond line of the value' } # trailing comment 'q'
        { name: 'B', value: concat('a\\'b', 'plain value here') }
      ]
    }
  }
}
"""


def test_bicep_escaped_windows_are_those_the_parse_scans() -> None:
    """bicep.escaped_windows lexes only comments, strings and brackets; on the sample and on a thousand cut-up
    copies of it, it must give every window scan_value reads for the escaped values extract() returns (string
    labels and keys come along, which only makes the caller parse more often), and None exactly where extract()
    fails."""
    import random

    from mi_migrate.scan.structured import bicep
    from mi_migrate.scan.structured.scanner import CONTEXT, MIN_VALUE
    from mi_migrate.scan.structured.values import ParseFailure

    rng = random.Random(9)
    texts = [BICEP_SAMPLE]
    for _ in range(1000):
        i = rng.randrange(len(BICEP_SAMPLE))
        texts.append(BICEP_SAMPLE[:i] + BICEP_SAMPLE[i + rng.randrange(1, 30):])
    outcomes = set()
    for text in texts:
        try:
            expected = [text[max(0, v.start - CONTEXT) : v.start] + v.text + "\n" + text[v.end : v.end + CONTEXT]
                        for v in bicep.extract(text) if v.offsets is not None and len(v.text) >= MIN_VALUE]
        except ParseFailure:
            expected = None
        windows = bicep.escaped_windows(text)
        assert (windows is None) == (expected is None), text
        assert expected is None or set(expected) <= set(windows), text  # labels and keys come along too
        outcomes.add("fails" if expected is None else len(expected))
    assert "fails" in outcomes and 3 in outcomes  # both sides were exercised: failures and escaped values


def test_yaml_values_passed_over_change_no_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    """The YAML walk builds only the values a scan or a key-path tag can use (scanner.ValueGate): findings, key
    paths and positions are those of building every value, for plain, quoted, commented, folded and escaped
    values around keys, SAS tokens and connection strings."""
    from mi_migrate.scan.structured import scanner

    sas = "sv=2022-11-02&ss=b&srt=sco&sp=rl&se=2030-01-01T00:00:00Z&sig=" + fakes.expand("«b64:43»", seed=9) + "%3D"
    text = (
        "interactions:\n- request:\n    body: null\n    headers:\n      User-Agent: [azsdk-python/12.0]\n"
        f"    uri: https://acme.blob.core.windows.net/c?{sas}\n"
        f"  response:\n    body: {{string: '{{\"connection\": \"{CONN}\"}}'}}\n"
        f"    plain: {CONN}\n"
        f"    commented: {KEY} # rotate me\n"
        f'    escaped: "AccountKey=\\x{ord(KEY[0]):02x}{KEY[1:]}"\n'
        f"    folded: >-\n      DefaultEndpointsProtocol=https;AccountName=acme;\n      AccountKey={KEY};\n"
        + "".join(f"    filler{i}: value-number-{i}-of-many\n" for i in range(40))
    )
    selective = scan("recording.yaml", text)
    import mi_migrate.scan.structured as structured

    class Everything(scanner.ValueGate):
        def raw(self, start: int, end: int) -> bool:
            return True

        def holds_known(self, start: int, end: int) -> bool:
            return True

    monkeypatch.setattr(structured, "ValueGate", Everything)
    everything = scan("recording.yaml", text)
    assert selective == everything
    assert {f.key_path for f in selective[0]} >= {"interactions[0].request.uri", "interactions[0].response.plain",
                                                  "interactions[0].response.folded"}


def test_decoded_yaml_values_no_rule_can_read_are_not_aligned(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a file parsed to name its findings, an escaped body whose windows hold no rule's keyword and anchor is
    not aligned character by character (only its first character is, to find its window); one that holds a
    connection string is, and its key is found."""
    from mi_migrate.scan.structured import yaml_files

    body = '"{\\"value\\": [' + ", ".join(f'{{\\"id\\": \\"item-{i}\\"}}' for i in range(50)) + ']}"'
    hidden = '"{\\"conn\\": \\"' + CONN.replace("=", "\\u003d") + '\\"}"'
    filler = "".join(f"    header{i}: value-{i}-of-the-response\n" for i in range(12))  # windows reach 200 chars
    text = (f"interactions:\n- response:\n    plain: {CONN}\n{filler}    body:\n      string: {body}\n{filler}"
            f"    other:\n      string: {hidden}\n")
    aligned: list[str] = []
    real = yaml_files.align
    monkeypatch.setattr(yaml_files, "align", lambda raw, base, value, style: aligned.append(value) or real(
        raw, base, value, style))
    findings = scan("recording.yaml", text)[0]
    assert "interactions[0].response.other.string" in {f.key_path for f in findings}
    assert [value for value in aligned if len(value) > 1 and "item-7" in value] == []
    assert any("AccountKey=" in value for value in aligned)


def _escape_every_eighth(value: str) -> str:
    return "".join(f"\\x{ord(c):02x}" if i % 8 == 7 else c for i, c in enumerate(value))


SIG = fakes.expand("«b64:43»", seed=9)
# No rule has its keyword and anchor in the raw text of these (the line scan finds nothing, and neither would a
# check of the raw bytes); every one holds a key once decoded.
YAML_HIDDEN_ONLY_IN_DECODING = {
    "sas-with-escaped-separators": 'url: "https://acme.blob.core.windows.net/c?sv\\u003d2022-11-02\\u0026sp\\u003dr'
    + "\\u0026sig\\u003d" + _escape_every_eighth(SIG) + '%3D"\n',
    "key-escaped-every-eighth-character": f'storage_account_key: "{_escape_every_eighth(KEY)}"\n',
    "key-across-a-line-continuation": f'storage_account_key: "{KEY[:40]}\\\n    {KEY[40:]}"\n',
    "key-wrapped-in-a-block": f"storage_account_key: |\n  {KEY[:40]}\n  {KEY[40:]}\n",
}


@pytest.mark.parametrize("name", sorted(YAML_HIDDEN_ONLY_IN_DECODING))
def test_yaml_parsed_when_only_a_decoding_holds_the_key(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A YAML file whose raw text gives no rule its keyword and anchor is parsed only when a decoding does
    (candidates.yaml_decoding_reveals: escapes decoded, breaks folded or removed); these keys are found as if
    every such file were parsed."""
    from mi_migrate.scan import candidates

    text = YAML_HIDDEN_ONLY_IN_DECODING[name]
    gated = scan("app.yaml", text)
    monkeypatch.setattr(candidates, "yaml_decoding_reveals", lambda *args, **kwargs: True)
    assert gated == scan("app.yaml", text)
    assert any(f.key_path in ("url", "storage_account_key") and f.kind.value == "secret" for f in gated[0]), gated


def test_yaml_recording_whose_decoding_holds_no_rule_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test recording: JSON bodies in escaped double-quoted strings, no key. Parsing it (for the escapes) can
    find nothing, and the decoding check says so without composing it."""
    import yaml

    body = '"{\\"value\\": [{\\"id\\": \\"/subscriptions/00000000/resourceGroups/rg\\", \\"name\\": \\"x\\"}]}"'
    text = ("interactions:\n- request:\n    headers:\n      Accept: [application/json]\n"
            "      Authorization: [Sanitized]\n      Ocp-Apim-Subscription-Key: [REDACTED]\n    method: GET\n"
            "    uri: https://management.azure.com/x?api-version=2021-04-01\n"
            f"  response:\n    body:\n      string: {body}\n    status: {{code: 200, message: OK}}\n")
    composed: list[str] = []  # parsed by either reader: the events (yaml_files.walk_events) or compose
    for name in ("compose_all", "parse"):
        real = getattr(yaml, name)
        monkeypatch.setattr(yaml, name, lambda source, real=real, **kw: composed.append(source) or real(source, **kw))
    assert scan("tests/recordings/test_x.yaml", text) == ([], [])
    assert composed == []
    from mi_migrate.scan import candidates

    monkeypatch.setattr(candidates, "yaml_decoding_reveals", lambda *args, **kwargs: True)
    assert scan("tests/recordings/test_x.yaml", text) == ([], [])
    assert composed == [text]  # without the check it is parsed (the escapes and a keyword rule call for it)


class _SomeValues:
    """A gate turning values down by position (stable across readers), so both branches of each test run."""

    context = 200

    def __init__(self, salt: int) -> None:
        self.salt = salt

    def raw(self, start: int, end: int) -> bool:
        return (start * 7 + end + self.salt) % 3 == 0

    def holds_known(self, start: int, end: int) -> bool:
        return (start + self.salt) % 4 == 0

    def windows_reveal(self, windows) -> bool:
        return sum(map(len, windows)) % 2 == self.salt % 2


def _random_yaml_documents() -> list[str]:
    import random

    rng = random.Random(20261206)
    pieces = ["plain", "with space", "it's", 'say "hi"', "back\\slash", "tab\there", "naïve ünïcode", "12345678",
              "2001-12-14", "true", "~", "0x1F2E3D4C", "1.5e+10", KEY, CONN, "line one\nline two", "a: b", "- x",
              "#hash", "  lead", "trail  ", "{brace}", "[list]", "&amp", "*star", "!bang", "%pct", "@at", "`tick`"]

    def value(depth: int) -> object:
        roll = rng.random()
        if depth > 3 or roll < 0.5:
            text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
            return rng.choice([text, text * rng.randint(1, 4), rng.randint(0, 10**9), None, True, 1.25])
        if roll < 0.75:
            return [value(depth + 1) for _ in range(rng.randint(0, 4))]
        return {rng.choice(pieces + [str(i) for i in range(5)]): value(depth + 1) for _ in range(rng.randint(0, 5))}

    documents = []
    for n in range(120):
        data = {f"k{i}": value(0) for i in range(rng.randint(1, 5))}
        documents.append(yaml.safe_dump(data, default_flow_style=rng.choice([False, None, True]),
                                        width=rng.choice([20, 40, 80, 1000]), allow_unicode=bool(n % 2),
                                        default_style=rng.choice([None, None, "'", '"', "|", ">"])))
    return documents


HANDWRITTEN_YAML = [
    "a: 1\nb: 'hello world x'\nc: |\n  block text here\n  more\nd: [x, \"yy yy yy yy\"]\n"
    "? [k, l]\n: value-of-complex\n",
    "e: !!binary aGVsbG8gd29ybGQ=\nf: ! 12345678\ng: ! '12345678'\nh: !!str 12345678\n"
    "i: 2001-12-14t21:59:43.10-05:00\n",
    "---\nfirst: document-one-value\n---\n- second document item\n- {inner: flow mapping value}\n...\n",
    "plain: folded\n  over two lines of text\nquoted: \"escaped \\x41 and \\\n  continued line\"\nsq: 'it''s quoted'\n",
    "top:\n  ? complex\n    key spanning\n  : the value after it\n  nested: {a: [b, {c: deep flow value}]}\n",
    "scalar document that is long enough\n",
    "",
]


@pytest.mark.parametrize("salt", [0, 1, 2, 3])
def test_yaml_event_walk_gives_the_composed_walk(salt: int) -> None:
    """yaml_files.walk_events (the parser's events) gives the values, key paths, offsets and order of walk()
    over composed nodes, whatever the gate keeps, on hand-written and generated documents in every style; texts
    it hands to compose (anchors, aliases, a Secret, deep nesting, errors) are named, and compose reads them."""
    from mi_migrate.scan.structured import yaml_files

    gate = _SomeValues(salt)
    compared = 0
    for text in HANDWRITTEN_YAML + _random_yaml_documents():
        expected = [v for document in yaml.compose_all(text, Loader=yaml_files.Loader) if document is not None
                    for v in yaml_files.walk(text, document, gate)]
        walked = yaml_files.walk_events(text, gate)
        assert walked == expected, text
        compared += len(expected)
    assert compared > 200
    for handed in ("a: &x anchored-value\nb: *x\n", "? {a: &y 1}\n: value-long-enough\n",
                   "kind: Secret\ndata:\n  k: aGVsbG8gd29ybGQ=\n",
                   "[" * 80 + "]" * 80, "a: [unclosed\n", "a: 'x'\n  b: c\n"):
        assert yaml_files.walk_events(handed, gate) is None, handed
