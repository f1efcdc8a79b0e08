"""Secrets by position (AZ123): a literal where an Azure API takes its secret is an error whatever its format, and
it is redacted in every output: scan, `fix --diff` (also from diff hunks alone) and the report's diffs."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mi_migrate.cli import main
from mi_migrate.scan.files import scan_bytes
from mi_migrate.scan.model import ScanSettings
from mi_migrate.scan.redact_text import redact_secrets
from mi_migrate.testing import fakes

# 34 random-looking characters with no Q~ and no key shape: no text rule can recognise it.
SECRET = fakes.fake_alnum(34, random.Random(2024))
OTHER = fakes.fake_alnum(40, random.Random(2025))
PASSWORD = fakes.fake_password(random.Random(2026))


def findings(text: str, filename: str = "app.py", third_party: bool = True) -> list:
    found, _ = scan_bytes(filename, text.encode(), ScanSettings(third_party=third_party))
    return found


def az123(text: str) -> list:
    return [f for f in findings(text) if f.rule_id == "AZ123"]


def literal_at(text: str, finding) -> str:
    line = text.splitlines()[finding.span.line - 1]
    return line[finding.span.column - 1 : finding.span.end_column - 1]


def test_the_secret_has_no_pattern_of_its_own() -> None:
    assert "Q~" not in SECRET and len(SECRET) == 34
    assert not [f for f in findings(f'value = "{SECRET}"\n', third_party=False) if f.secret_hash]


def test_client_secret_literal_is_an_error_pointing_at_the_literal() -> None:
    text = (
        "from azure.identity import ClientSecretCredential\n"
        f'cred = ClientSecretCredential("tenant-id", "client-id", "{SECRET}")\n'
    )
    hits = az123(text)
    assert len(hits) == 1
    hit = hits[0]
    assert hit.severity.label == "error" and hit.kind.value == "secret"
    assert literal_at(text, hit) == SECRET
    assert SECRET not in hit.evidence and SECRET not in hit.message
    assert hit.fields["argument"] == "client_secret"


CASES = [
    ("from azure.identity import ClientSecretCredential\n"
     'c = ClientSecretCredential(tenant_id="t", client_id="c", client_secret="{s}")\n', "client_secret"),
    ("from azure.identity.aio import ClientSecretCredential\nc = ClientSecretCredential(t, c, '{s}')\n",
     "client_secret"),
    ("from azure.identity import UsernamePasswordCredential\nc = UsernamePasswordCredential(cid, 'u', '{s}')\n",
     "password"),
    ("from azure.core.credentials import AzureKeyCredential\nc = AzureKeyCredential('{s}')\n", "key"),
    ("from azure.core.credentials import AzureNamedKeyCredential\nc = AzureNamedKeyCredential('acct', '{s}')\n",
     "key"),
    ("import azure.core.credentials as cc\nc = cc.AzureSasCredential(signature='{s}')\n", "signature"),
    ("from openai import AzureOpenAI\nc = AzureOpenAI(azure_endpoint=e, api_key='{s}', api_version=v)\n",
     "api_key"),
    ("from openai import AsyncAzureOpenAI as A\nc = A(api_key='{s}')\n", "api_key"),
    ("import openai\nopenai.api_key = '{s}'\n", "openai.api_key"),
    ("from azure.storage.blob import BlobServiceClient\nc = BlobServiceClient(url, credential='{s}')\n",
     "credential"),
    ("from azure.storage.blob import BlobServiceClient\nc = BlobServiceClient(url, '{s}')\n", "credential"),
    ("from azure.data.tables import TableServiceClient\nc = TableServiceClient(endpoint=u, credential='{s}')\n",
     "credential"),
    ("from azure.cosmos import CosmosClient\nc = CosmosClient(url, credential='{s}')\n", "credential"),
    ("from azure.cosmos import CosmosClient\nc = CosmosClient(url, {{'masterKey': '{s}'}})\n",
     "credential['masterKey']"),
    ("from azure.storage.blob import generate_blob_sas\nt = generate_blob_sas('a', 'c', 'b', account_key='{s}')\n",
     "account_key"),
    ("import redis\nr = redis.Redis(host='acme.redis.cache.windows.net', port=6380, password='{s}', ssl=True)\n",
     "password"),
    ("import psycopg2\nc = psycopg2.connect(host='acme.postgres.database.azure.com', user='u', password='{s}')\n",
     "password"),
    ("import pyodbc\nc = pyodbc.connect(driver=d, server='tcp:acme.database.windows.net', uid='u', pwd='{s}')\n",
     "pwd"),
    ("import pymssql\nc = pymssql.connect('acme.database.windows.net', 'u', '{s}', 'db')\n", "password"),
    ("import mysql.connector\nc = mysql.connector.connect(host='acme.mysql.database.azure.com', password='{s}')\n",
     "password"),
]


@pytest.mark.parametrize(("template", "argument"), CASES, ids=[c[1] + str(i) for i, c in enumerate(CASES)])
def test_every_secret_position(template: str, argument: str) -> None:
    text = template.format(s=SECRET)
    hits = az123(text)
    assert len(hits) == 1, [f.rule_id for f in findings(text)]
    assert hits[0].fields["argument"] == argument
    assert literal_at(text, hits[0]) == SECRET


def test_a_variable_assigned_once_is_followed_to_its_literal() -> None:
    text = (
        "from azure.identity import ClientSecretCredential\n"
        f'CLIENT_SECRET = "{SECRET}"\n'
        "def make():\n"
        f'    key = "{OTHER}"\n'
        "    a = ClientSecretCredential(t, c, CLIENT_SECRET)\n"
        "    b = ClientSecretCredential(t, c, client_secret=key)\n"
        "    return a, b\n"
    )
    hits = az123(text)
    assert sorted(literal_at(text, h) for h in hits) == sorted([SECRET, OTHER])
    assert {h.span.line for h in hits} == {2, 4}  # the findings sit on the literals


@pytest.mark.parametrize(
    "text",
    [
        # assigned twice: which value reaches the call is unknown
        "from azure.identity import ClientSecretCredential\nS = '{s}'\nS = load()\n"
        "c = ClientSecretCredential(t, i, S)\n",
        # placeholders and labels
        "from azure.identity import ClientSecretCredential\nc = ClientSecretCredential(t, i, '<client-secret>')\n",
        "from azure.identity import ClientSecretCredential\nc = ClientSecretCredential(t, i, 'YOUR_CLIENT_SECRET')\n",
        "from azure.core.credentials import AzureKeyCredential\nc = AzureKeyCredential('test-key')\n",
        "from azure.core.credentials import AzureKeyCredential\nc = AzureKeyCredential('${{API_KEY}}')\n",
        # read at run time
        "import os\nfrom openai import AzureOpenAI\nc = AzureOpenAI(api_key=os.environ['AZURE_OPENAI_API_KEY'])\n",
        # not an Azure host
        "import psycopg2\nc = psycopg2.connect(host='localhost', password='{s}')\n",
        # a shadowing parameter: not azure.identity
        "from azure.identity import ClientSecretCredential\ndef f(ClientSecretCredential):\n"
        "    return ClientSecretCredential(t, i, '{s}')\n",
        # non-Azure class with the same name
        "from mylib import ClientSecretCredential\nc = ClientSecretCredential(t, i, '{s}')\n",
    ],
)
def test_not_reported(text: str) -> None:
    assert not az123(text.format(s=SECRET))


def test_the_gate_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "app.py").write_text(
        f"from azure.identity import ClientSecretCredential\nc = ClientSecretCredential(t, i, '{SECRET}')\n"
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["scan", "--select", "AZ1", "."])
    assert result.exit_code == 1, result.output
    assert "AZ123" in result.output and SECRET not in result.output


# -- redaction in diffs ----------------------------------------------------------------------------------------

APP = f'''import os

from azure.identity import ClientSecretCredential
from azure.storage.blob import BlobServiceClient

TENANT = "tenant-id"
CLIENT_SECRET = "{SECRET}"


def service():
    credential = ClientSecretCredential(TENANT, "client-id", CLIENT_SECRET)
    return BlobServiceClient("https://acct.blob.core.windows.net", credential=credential)


def other():
    return ClientSecretCredential(TENANT, "client-id", "{OTHER}")
'''


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "app.py").write_text(APP)
    (root / "requirements.txt").write_text("azure-identity\nazure-storage-blob\n")
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    monkeypatch.chdir(root)
    return root


def _raw_diff() -> str:
    from mi_migrate.fix.model import FixOptions
    from mi_migrate.fix.runner import fix_paths

    return fix_paths(FixOptions(paths=(".",), write=False)).diff()


def test_fix_diff_redacts_secrets_found_by_position(repo: Path) -> None:
    raw = _raw_diff()
    assert SECRET in raw and OTHER in raw  # the diff quotes them: without redaction they would be printed
    result = CliRunner().invoke(main, ["fix", "--diff", "."])
    assert result.exit_code == 1, result.output
    assert "--- a/app.py" in result.stdout
    assert SECRET not in result.output and OTHER not in result.output
    assert SECRET[4:20] not in result.output and OTHER[4:20] not in result.output
    assert "FAKE…(34 chars" in result.stdout and "FAKE…(40 chars" in result.stdout


def test_diff_hunks_alone_are_enough(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _raw_diff()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the file the diff was made from cannot be read: only the hunks are seen
    shown = redact_secrets(raw)
    assert SECRET not in shown and OTHER not in shown


def test_hunk_without_its_import_line() -> None:
    diff = (
        "--- a/pkg/creds.py\n+++ b/pkg/creds.py\n@@ -40,4 +40,4 @@ def build():\n"
        "     tenant = settings.tenant\n"
        f'-    cred = ClientSecretCredential(tenant, "client-id", "{SECRET}")\n'
        "+    cred = DefaultAzureCredential()\n"
        "     return cred\n"
        "     # end\n"
    )
    shown = redact_secrets(diff)
    assert SECRET not in shown and "FAKE…(34 chars" in shown


def test_a_stale_file_on_disk_is_not_trusted(repo: Path) -> None:
    diff = (
        "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n"
        "-this line is not in app.py\n+x = 1\n"
        f' y = "{PASSWORD}"\n'
    )
    assert redact_secrets(diff) == diff  # nothing known about y: the on-disk app.py does not match the hunk


def test_report_diffs_redact_secrets_found_by_position(repo: Path) -> None:
    from mi_migrate.api import build_report
    from mi_migrate.fix.model import FixOptions
    from mi_migrate.report import render

    report = build_report(FixOptions(paths=(".",), write=False))
    assert report["diffs"], "the dry-run fix should produce a diff"
    for fmt in ("md", "html", "json"):
        text = render(report, fmt)
        for secret in (SECRET, OTHER):
            assert secret not in text and secret[4:20] not in text, fmt
        assert "FAKE…(34 chars" in text


# -- passwords next to Azure database hosts (AZ126) ---------------------------------------------------------------

DB_CASES = [
    (".env", "PGHOST=acme.postgres.database.azure.com\nPGUSER=app\nPGPASSWORD={p}\n"),
    ("settings.py", 'POSTGRES_HOST = "acme.postgres.database.azure.com"\nPOSTGRES_PW="{p}"\n'),
    ("settings.py", 'SERVER = "acme.database.windows.net"\nSQL_PASSWORD = "{p}"\n'),
    ("config.yaml", "db:\n  host: acme.mysql.database.azure.com\n  DB_PASSWORD: {p}\n"),
    ("appsettings.json", '{{"Server": "acme.database.windows.net", "DbPassword": "{p}"}}\n'),
    ("deploy.sh", "export PGHOST=acme.postgres.database.azure.com\nexport PGPASSWORD='{p}'\n"),
    ("settings.py", 'SERVER = "acme.database.windows.net"\nSQL_PASSWORD = "MySecret-{p}"\n'),
    (".env", "PGHOST=acme.postgres.database.azure.com\nPG_PW={p}\n"),
]


@pytest.mark.parametrize(("name", "template"), DB_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(DB_CASES)])
def test_password_next_to_an_azure_database_host(name: str, template: str) -> None:
    text = template.format(p=PASSWORD)
    hits = [f for f in findings(text, name) if f.secret_hash and f.span.line == text.count("\n")]
    # one error on the password: AZ126, or AZ303 where detect-secrets' keyword detector already reports it
    assert len(hits) == 1 and hits[0].severity.label == "error", [f.rule_id for f in findings(text, name)]
    assert hits[0].rule_id in ("AZ126", "AZ303")
    assert PASSWORD in literal_at(text, hits[0])


@pytest.mark.parametrize("template", [t for _, t in DB_CASES[-2:]])
def test_what_the_keyword_detector_misses_is_az126(template: str) -> None:
    name = ".env" if template.startswith("PGHOST") else "settings.py"
    text = template.format(p=PASSWORD)
    assert [f.rule_id for f in findings(text, name) if f.secret_hash] == ["AZ126"]
    assert [f.rule_id for f in findings(text, name, third_party=False) if f.secret_hash] == ["AZ126"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (".env", "PGHOST=localhost\nPGPASSWORD={p}\n"),  # no Azure host in the file
        (".env", "PGHOST=acme.postgres.database.azure.com\nPGPASSWORD=${{PGPASSWORD}}\n"),
        (".env", "PGHOST=acme.postgres.database.azure.com\nPGPASSWORD=<password>\n"),
        ("settings.py", 'HOST = "acme.database.windows.net"\nSQL_PASSWORD = os.environ["SQL_PASSWORD"]\n'),
        ("settings.py", 'HOST = "acme.database.windows.net"\nSQL_PASSWORD = settings.database.password\n'),
        ("settings.py", 'HOST = "acme.database.windows.net"\nDB_PASSWORD = "changeme"\n'),
        ("settings.py", 'HOST = "acme.database.windows.net"\npassword_hash = "{p}"\n'),
    ],
)
def test_not_a_database_password(name: str, text: str) -> None:
    assert not [f for f in findings(text.format(p=PASSWORD), name) if f.rule_id == "AZ126"]


# -- bare 64-byte keys under a key name (AZ127) -------------------------------------------------------------------

KEY64 = fakes.fake_base64_key(64, random.Random(64))


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("app.py", 'key = "{k}"'),
        ("app.py", 'PRIMARY_KEY = "{k}"'),
        ("config.yaml", "sharedKey: {k}"),
        ("app.js", 'const masterSecretKey = "{k}";'),
    ],
)
def test_named_64_byte_key_is_an_account_key(name: str, line: str) -> None:
    text = line.format(k=KEY64) + "\n"
    hits = [f for f in findings(text, name) if f.secret_hash and f.severity.label == "error"]
    assert hits and hits[0].rule_id in ("AZ102", "AZ108", "AZ127"), [f.rule_id for f in findings(text, name)]
    assert hits[0].service in ("storage", "cosmos")


@pytest.mark.parametrize(
    "line",
    ['public_key = "{k}"', 'key_hash = "{k}"', 'integrity_key = "sha512-{k}"', 'key = "{short}"'],
)
def test_not_an_account_key(line: str) -> None:
    text = line.format(k=KEY64, short=fakes.fake_base64_key(48, random.Random(48))) + "\n"
    assert not [f for f in findings(text, "app.py") if f.rule_id in ("AZ102", "AZ108", "AZ127")]
