"""`mi-migrate fix` through the CLI in a throwaway git repository: --diff, --check, writing, idempotence, manual
steps and the dependency file."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mi_migrate.cli import main
from mi_migrate.testing import fakes

CS = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=«b64:64»;EndpointSuffix=core.windows.net"
APP = f'''"""Uploads things."""
import os

from azure.storage.blob import BlobServiceClient

CONN = "{CS}"


def upload(data):
    # one client per call
    client = BlobServiceClient.from_connection_string(CONN)
    client.get_container_client("c").upload_blob("x", data)


def emulator():
    return BlobServiceClient.from_connection_string("UseDevelopmentStorage=true")
'''


def make_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(fakes.expand(content).encode())
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    return root


def tree_hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


def fix(*args: str) -> Result:
    return CliRunner().invoke(main, ["fix", *args])


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo(tmp_path / "repo", {"app.py": APP, "requirements.txt": "azure-storage-blob>=12\n",
                                         "notes.md": "nothing to see\n"})
    monkeypatch.chdir(root)
    return root


def test_diff_prints_a_diff_writes_nothing_and_exits_1(repo: Path) -> None:
    before = tree_hashes(repo)
    result = fix("--diff", ".")
    assert result.exit_code == 1, result.output
    assert "--- a/app.py\n+++ b/app.py\n" in result.stdout
    new_line = '+    client = BlobServiceClient("https://acct.blob.core.windows.net", credential=credential)'
    assert new_line in result.stdout
    assert "--- a/requirements.txt" in result.stdout and "+azure-identity" in result.stdout
    assert tree_hashes(repo) == before


def test_check_then_fix_then_check(repo: Path) -> None:
    before = tree_hashes(repo)
    assert fix("--check", ".").exit_code == 1
    assert tree_hashes(repo) == before
    result = fix(".")
    assert result.exit_code == 0, result.output
    assert "Rewrote 1 call site in 2 files; 1 left as manual steps." in result.stderr
    assert fix("--check", ".").exit_code == 0
    assert (repo / "requirements.txt").read_text() == "azure-storage-blob>=12\nazure-identity\n"


def test_fix_twice_is_idempotent(repo: Path) -> None:
    assert fix(".").exit_code == 0
    once = tree_hashes(repo)
    second = fix(".")
    assert second.exit_code == 0
    assert "Rewrote 0 call sites in 0 files" in second.stderr
    assert tree_hashes(repo) == once


def test_manual_step_is_printed_with_its_reason(repo: Path) -> None:
    result = fix(".")
    assert "app.py:16: manual: BlobServiceClient: the emulator connection string (UseDevelopmentStorage=true)" in (
        result.stderr)
    assert 'from_connection_string("UseDevelopmentStorage=true")' in (repo / "app.py").read_text()


def test_rewritten_file_compiles_and_reads_as_expected(repo: Path) -> None:
    fix(".")
    text = (repo / "app.py").read_text()
    compile(text, "app.py", "exec")
    assert text.startswith('"""Uploads things."""\nimport os\n\nfrom azure.storage.blob import BlobServiceClient\n'
                           "from azure.identity import DefaultAzureCredential\n\n"
                           "credential = DefaultAzureCredential()\n")
    assert "    # one client per call\n" in text
    assert "CONN" not in text


def test_credential_options_reach_the_file(repo: Path) -> None:
    assert fix("--credential", "managed-identity", "--client-id-env", "APP_IDENTITY", ".").exit_code == 0
    assert 'credential = ManagedIdentityCredential(client_id=os.environ["APP_IDENTITY"])' in (
        repo / "app.py").read_text()


def test_client_id_and_client_id_env_are_exclusive(repo: Path) -> None:
    result = fix("--client-id", "x", "--client-id-env", "Y", ".")
    assert result.exit_code == 2


def test_pyproject_dependencies_extended(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pyproject = '[project]\nname = "svc"\ndependencies = [\n  "azure-storage-blob",  # storage\n]\n'
    root = make_repo(tmp_path / "r", {"src/svc/app.py": APP, "pyproject.toml": pyproject})
    monkeypatch.chdir(root)
    assert fix(".").exit_code == 0
    assert (root / "pyproject.toml").read_text() == (
        '[project]\nname = "svc"\ndependencies = [\n  "azure-storage-blob",  # storage\n  "azure-identity",\n]\n')


def test_a_key_passed_by_position_is_rewritten_where_nothing_says_credential(tmp_path: Path) -> None:
    """`CosmosClient(url, key)`: no `credential` anywhere in the file (the Azure SDK's own samples), yet the scan
    reports it and fix rewrites it, as it does the keyword form."""
    app = tmp_path / "app.py"
    app.write_text('import os\nfrom azure.cosmos import CosmosClient\n\n'
                   'client = CosmosClient(os.environ["COSMOS_ENDPOINT"], os.environ["COSMOS_KEY"])\n')
    result = CliRunner().invoke(main, ["fix", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = app.read_text()
    assert 'CosmosClient(os.environ["COSMOS_ENDPOINT"], credential)' in text and "COSMOS_KEY" not in text, text
    assert "credential = DefaultAzureCredential()" in text


def test_every_call_site_the_scan_reports_is_rewritten_or_listed(tmp_path: Path) -> None:
    """Clients the scan reports but no rewrite family knows (Speech, Communication Identity, App Configuration
    with a key) are listed as manual steps with the reason, never dropped; the file is left as it was."""
    app = tmp_path / "app.py"
    source = ('import os\nimport azure.cognitiveservices.speech as speechsdk\n'
              'from azure.communication.identity import CommunicationIdentityClient\n'
              'from azure.appconfiguration import AzureAppConfigurationClient\n'
              'sc = speechsdk.SpeechConfig(subscription=os.environ["SPEECH_KEY"], region="westus")\n'
              'ci = CommunicationIdentityClient.from_connection_string(os.environ["ACS_CONNECTION_STRING"])\n'
              'ac = AzureAppConfigurationClient(os.environ["APPCONFIG_ENDPOINT"], os.environ["APPCONFIG_KEY"])\n')
    app.write_text(source)
    result = CliRunner().invoke(main, ["fix", str(tmp_path)])
    assert "3 left as manual steps" in result.output, result.output
    for line, client in ((5, "SpeechConfig with an account-key credential"), (6, "CommunicationIdentityClient"),
                         (7, "AzureAppConfigurationClient with an account-key credential")):
        name = client.split()[0]
        assert f"app.py:{line}: manual: {name}: mi-migrate has no rewrite for {client} (AZ20" in result.output
    assert app.read_text() == source
    report = tmp_path.parent / "report.md"  # the report keeps them apart from the manual steps of known clients
    result = CliRunner().invoke(main, ["report", str(tmp_path), "-o", str(report)])
    assert result.exit_code == 0, result.output
    assert "0 of 3 key-based call sites rewritten (0%), 0 manual, 3 without an automatic rewrite" in report.read_text()
