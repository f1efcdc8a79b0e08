"""`fix --configs`: local.settings.json, .env and appsettings*.json rewritten in place to identity-based settings,
with exact output text, comments/CRLF/BOM kept, idempotence, and nothing touched without --configs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mi_migrate.fix.configs import fix_config, plan
from mi_migrate.fix.model import Change, FixOptions
from mi_migrate.fix.runner import fix_paths
from mi_migrate.testing import fakes

KEY = fakes.expand("«b64:64»")
SAS = fakes.expand("«b64:32»")
STORAGE = f"DefaultEndpointsProtocol=https;AccountName=stfnorders;AccountKey={KEY};EndpointSuffix=core.windows.net"
GOV = f"DefaultEndpointsProtocol=https;AccountName=stordersgov;AccountKey={KEY};EndpointSuffix=core.usgovcloudapi.net"
BUS = f"Endpoint=sb://sb-orders.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey={SAS}"
COSMOS = f"AccountEndpoint=https://cosmos-orders.documents.azure.com:443/;AccountKey={KEY};"

LOCAL_SETTINGS = f"""{{
  "IsEncrypted": false,
  "Values": {{
    "FUNCTIONS_WORKER_RUNTIME": "python",
    "AzureWebJobsStorage": "{STORAGE}",
    "OrdersStorage": "{GOV}",
    "ServiceBusConnection": "{BUS}",
    "CosmosConnection" : "{COSMOS}",
    "EmulatorStorage": "UseDevelopmentStorage=true"
  }},
  "ConnectionStrings": {{}}
}}
"""
LOCAL_SETTINGS_FIXED = """{
  "IsEncrypted": false,
  "Values": {
    "FUNCTIONS_WORKER_RUNTIME": "python",
    "AzureWebJobsStorage__accountName": "stfnorders",
    "OrdersStorage__blobServiceUri": "https://stordersgov.blob.core.usgovcloudapi.net",
    "OrdersStorage__queueServiceUri": "https://stordersgov.queue.core.usgovcloudapi.net",
    "OrdersStorage__tableServiceUri": "https://stordersgov.table.core.usgovcloudapi.net",
    "ServiceBusConnection__fullyQualifiedNamespace": "sb-orders.servicebus.windows.net",
    "CosmosConnection__accountEndpoint" : "https://cosmos-orders.documents.azure.com:443/",
    "EmulatorStorage": "UseDevelopmentStorage=true"
  },
  "ConnectionStrings": {}
}
"""
APP = """import os

from azure.servicebus import ServiceBusClient
from azure.storage.blob import BlobServiceClient


def blobs():
    return BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"])


def bus():
    return ServiceBusClient.from_connection_string(os.getenv("SERVICEBUS_CONNECTION"))
"""
DOTENV = (
    "# local development settings\r\n"
    f'export AZURE_STORAGE_CONNECTION_STRING="{STORAGE.replace("stfnorders", "stordersdev")}"\r\n'
    f"SERVICEBUS_CONNECTION={BUS.replace('listen', 'RootManageSharedAccessKey')}  # dev namespace\r\n"
    "\r\n"
    "LOG_LEVEL=debug\r\n"
)
DOTENV_FIXED = (
    "# local development settings\r\n"
    'export AZURE_STORAGE_ACCOUNT_URL="https://stordersdev.blob.core.windows.net"\r\n'
    "SERVICEBUS_FULLY_QUALIFIED_NAMESPACE=sb-orders.servicebus.windows.net  # dev namespace\r\n"
    "\r\n"
    "LOG_LEVEL=debug\r\n"
)
APPSETTINGS = f"""{{
    "Logging": {{ "LogLevel": {{ "Default": "Information" }} }},
    "ConnectionStrings": {{ "Bus": "{BUS}" }},
    "AZURE_STORAGE_CONNECTION_STRING": "{STORAGE.replace("stfnorders", "stordersprod")}",
    "Greeting": "hello"
}}
"""
APPSETTINGS_FIXED = f"""{{
    "Logging": {{ "LogLevel": {{ "Default": "Information" }} }},
    "ConnectionStrings": {{ "Bus": "{BUS}" }},
    "AZURE_STORAGE_ACCOUNT_URL": "https://stordersprod.blob.core.windows.net",
    "Greeting": "hello"
}}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    files: dict[str, str] = {"app.py": APP, ".env": DOTENV, "appsettings.json": APPSETTINGS,
                             "fn/host.json": '{"version": "2.0"}\n', "fn/local.settings.json": LOCAL_SETTINGS}
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(text.encode())
    return root


def run(root: Path, configs: bool = True, write: bool = True):
    return fix_paths(FixOptions(paths=(str(root),), configs=configs, write=write))


def test_rewrites_every_settings_file_in_place(repo: Path) -> None:
    result = run(repo)
    assert (repo / "fn" / "local.settings.json").read_text() == LOCAL_SETTINGS_FIXED
    assert (repo / ".env").read_bytes().decode() == DOTENV_FIXED  # CRLF, comments and blank lines kept
    assert (repo / "appsettings.json").read_text() == APPSETTINGS_FIXED  # ConnectionStrings:Bus is not read
    config = [c for c in result.changes if c.family == "configuration"]
    assert [(Path(c.path).name, c.line, c.old_setting, c.setting) for c in config] == [
        (".env", 2, "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT_URL"),
        (".env", 3, "SERVICEBUS_CONNECTION", "SERVICEBUS_FULLY_QUALIFIED_NAMESPACE"),
        ("appsettings.json", 4, "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT_URL"),
        ("local.settings.json", 5, "AzureWebJobsStorage", "AzureWebJobsStorage__accountName"),
        ("local.settings.json", 6, "OrdersStorage", "OrdersStorage__blobServiceUri"),
        ("local.settings.json", 7, "ServiceBusConnection", "ServiceBusConnection__fullyQualifiedNamespace"),
        ("local.settings.json", 8, "CosmosConnection", "CosmosConnection__accountEndpoint"),
    ]
    assert all(c.status == "rewritten" for c in config)
    host = config[3]
    assert host.extra == {"file_kind": "local.settings.json", "delete_settings": ["AzureWebJobsStorage"],
                          "settings": {"AzureWebJobsStorage__accountName": "stfnorders"}}
    assert host.client == "Functions host" and host.resource == "stfnorders" and host.service == "storage"
    assert host.path == "fn/local.settings.json"  # repository-relative, like every other change
    assert config[4].notes == ("also set OrdersStorage__queueServiceUri=https://stordersgov.queue.core.usgovcloudapi.net",
                               "also set OrdersStorage__tableServiceUri=https://stordersgov.table.core.usgovcloudapi.net")
    assert config[2].resource == "stordersprod"  # from this file's own connection string
    assert config[0].client == "BlobServiceClient"
    assert all(KEY not in repr(c.to_dict()) and SAS not in repr(c.to_dict()) for c in config)


def test_idempotent(repo: Path) -> None:
    run(repo)
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    again = run(repo)
    assert not again.changed_files
    assert {p: p.read_bytes() for p in before} == before


def test_plain_fix_leaves_settings_files_alone(repo: Path) -> None:
    result = run(repo, configs=False)
    assert (repo / "app.py").read_text() != APP  # the code was fixed
    assert (repo / ".env").read_bytes() == DOTENV.encode()
    assert (repo / "appsettings.json").read_text() == APPSETTINGS
    assert (repo / "fn" / "local.settings.json").read_text() == LOCAL_SETTINGS
    assert not [c for c in result.changes if c.family == "configuration"]


def test_dry_run_writes_nothing_and_diffs_the_settings(repo: Path) -> None:
    result = run(repo, write=False)
    assert (repo / ".env").read_bytes() == DOTENV.encode()
    diff = result.diff()
    assert '+    "AzureWebJobsStorage__accountName": "stfnorders",\n' in diff
    assert "+SERVICEBUS_FULLY_QUALIFIED_NAMESPACE=sb-orders.servicebus.windows.net  # dev namespace\r\n" in diff


def test_a_setting_still_read_with_a_key_stays(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(f"STORAGE_CONN={STORAGE}\n")
    manual = Change(path="app.py", line=3, end_line=3, family="azure-storage-blob", client="BlobClient",
                    service="storage", status="manual", old_setting="STORAGE_CONN", reason="SAS needed")
    done = Change(path="app.py", line=9, end_line=9, family="azure-storage-blob", client="BlobServiceClient",
                  service="storage", status="rewritten", old_setting="STORAGE_CONN", setting="STORAGE_ACCOUNT_URL")
    fix = fix_config(path, ".env", [manual, done])
    assert fix is not None and not fix.changed
    fix = fix_config(path, ".env", [done])
    assert fix is not None and fix.updated == "STORAGE_ACCOUNT_URL=https://stfnorders.blob.core.windows.net\n"


def test_emulators_and_placeholders_stay() -> None:
    items = [(0, 1, "AzureWebJobsStorage", "UseDevelopmentStorage=true"),
             (2, 3, "Azurite", f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={KEY};"
                               "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1"),
             (4, 5, "Bus", "Endpoint=sb://localhost;SharedAccessKeyName=x;SharedAccessKey=y;UseDevelopmentEmulator=true"),
             (6, 7, "Cosmos", "AccountEndpoint=https://localhost:8081/;AccountKey=abc"),
             (8, 9, "Placeholder", "<your connection string>"),
             (10, 11, "Already", "https://stfnorders.blob.core.windows.net")]
    assert plan("local.settings.json", items, []) == []


def test_single_line_json_bom_and_explicit_endpoints(tmp_path: Path) -> None:
    path = tmp_path / "local.settings.json"
    value = f"BlobEndpoint=https://files.contoso.com/;QueueEndpoint=https://queues.contoso.com/;AccountKey={KEY}"
    path.write_bytes(b"\xef\xbb\xbf" + ('{"Values": {"AzureWebJobsStorage": "' + value + '", "A": "b"}}').encode())
    fix = fix_config(path, "local.settings.json", [])
    assert fix is not None
    assert fix.updated == ('{"Values": {"AzureWebJobsStorage__blobServiceUri": "https://files.contoso.com", '
                           '"AzureWebJobsStorage__queueServiceUri": "https://queues.contoso.com", "A": "b"}}')


def test_unreadable_or_broken_files_do_not_crash(tmp_path: Path) -> None:
    broken = tmp_path / "local.settings.json"
    broken.write_text('{"Values": {"AzureWebJobsStorage": "' + STORAGE + '",\n')  # unterminated
    fix = fix_config(broken, "local.settings.json", [])
    assert fix is not None and fix.error is None
    latin = tmp_path / "appsettings.json"
    latin.write_bytes(b'{"A": "\xff"}')
    fix = fix_config(latin, "appsettings.json", [])
    assert fix is not None and fix.error and "cannot read" in fix.error


def test_report_lists_the_settings_to_delete(repo: Path) -> None:
    from mi_migrate.api import build_report

    report = build_report(FixOptions(paths=(str(repo),), configs=True, write=False))
    deleted = {(s["app"], s["name"]) for s in report["settings"]["delete"]}
    assert {("fn", "AzureWebJobsStorage"), ("fn", "ServiceBusConnection"), ("fn", "CosmosConnection"),
            (".", "AZURE_STORAGE_CONNECTION_STRING")} <= deleted
    added = {(s["app"], s["name"]): s["value"] for s in report["settings"]["add"]}
    assert added[("fn", "AzureWebJobsStorage__accountName")] == "stfnorders"
    assert any(d["path"] == "fn/local.settings.json" for d in report["diffs"])


def test_dotenv_empty_quoted_and_unterminated_values(tmp_path: Path) -> None:
    """Empty values (`AZ_SUBSCRIPTION_ID=`) are in every .env template; they once crashed the parser."""
    from mi_migrate.fix.configs import dotenv_items

    text = 'AZ_SUBSCRIPTION_ID=\nEMPTY_QUOTED=""\nOPEN="abc\nAZURE_STORAGE_CONNECTION_STRING=' + STORAGE + "\n"
    values = {name: value for _, _, name, value in dotenv_items(text)}
    assert values["AZ_SUBSCRIPTION_ID"] == "" and values["EMPTY_QUOTED"] == "" and values["OPEN"] == "abc"
    root = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "app.py").write_text(APP)
    (root / ".env").write_text(text.replace("AZURE_STORAGE_CONNECTION_STRING=", "AZURE_STORAGE_CONNECTION_STRING= "))
    result = run(root)
    assert (root / ".env").read_text().startswith("AZ_SUBSCRIPTION_ID=\nEMPTY_QUOTED=\"\"\n")
    assert "AZURE_STORAGE_ACCOUNT_URL=" in (root / ".env").read_text()
    assert not [n for n in result.notes if "Error" in n.message]
