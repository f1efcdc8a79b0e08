"""The migration report tells the truth on real repositories (issue 11, defects 1-6 and the per-app runbook):
one small fixture per defect seen on public sample repositories."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from mi_migrate.api import build_report
from mi_migrate.fix.model import FixOptions
from mi_migrate.report import render, schema


def _repo(root: Path, files: dict[str, str]) -> Path:
    from mi_migrate.testing import fakes

    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(fakes.expand(text), encoding="utf-8")
    return root


def _report(root: Path, **options) -> dict:
    import os

    here = os.getcwd()
    os.chdir(root)  # without a config file the scan root is the current directory
    try:
        data = build_report(FixOptions(paths=(".",), write=False, **options))
    finally:
        os.chdir(here)
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    return data


def _shell_blocks(md: str) -> str:
    return "\n".join(m.group(1) for m in re.finditer(r"```sh\n(.*?)```", md, re.S))


STORAGE = "DefaultEndpointsProtocol=https;AccountName={a};AccountKey=«b64:64»;EndpointSuffix=core.windows.net"

CHAT_APP = {
    "app/requirements.txt": "azure-storage-blob\nopenai\n",
    "app/main.py": (
        "import os\n"
        "from azure.storage.blob import BlobServiceClient\n"
        "from openai import AzureOpenAI\n"
        "from azure.ai.formrecognizer import DocumentAnalysisClient\n"
        "from azure.ai.textanalytics import TextAnalyticsClient\n"
        "from azure.core.credentials import AzureKeyCredential\n"
        "from azure.identity import DefaultAzureCredential, get_bearer_token_provider\n"
        "from azure.servicebus import ServiceBusClient\n\n"
        'svc = BlobServiceClient.from_connection_string(os.environ["BLOB_CONNECTION_STRING"])\n'
        'svc.get_container_client("c").upload_blob("b", b"x")\n'
        'provider = get_bearer_token_provider(DefaultAzureCredential(), "https://cognitiveservices.azure.com/.default")\n'
        'oai = AzureOpenAI(azure_endpoint="https://contoso-oai.openai.azure.com", '
        'api_key=os.getenv("AZURE_OPENAI_API_KEY"), azure_ad_token_provider=provider, api_version="2024-02-01")\n'
        'oai.chat.completions.create(model="m", messages=[])\n'
        'forms = DocumentAnalysisClient("YourFormsRecognizerEndpoint", '
        'AzureKeyCredential(os.environ["FORM_RECOGNIZER_KEY"]))\n'
        'lang = TextAnalyticsClient("https://contoso-lang.cognitiveservices.azure.com/", '
        'AzureKeyCredential(os.environ["LANGUAGE_KEY"]))\n'
        'sb = ServiceBusClient.from_connection_string(os.environ["SERVICEBUS_CONNECTION_STRING"])\n'
        'with sb.get_queue_sender("q") as sender:\n    sender.send_messages([])\n'
        'with sb.get_queue_receiver("q") as receiver:\n    receiver.receive_messages()\n'),
    # another module reads the connection string at import: KeyError at start-up once it is deleted
    "app/jobs/worker.py": "import os\nCONN = os.environ['BLOB_CONNECTION_STRING']\n",
    # a developer script still keyed on the Form Recognizer key
    "scripts/data_utils.py": ("import os\nfrom azure.identity import AzureCliCredential\n"
                              'key = os.environ.get("FORM_RECOGNIZER_KEY")\nurl = os.environ.get("FORM_URL")\n'
                              "if url and key:\n    print('ok')\n"),
    "scripts/upload.sh": 'az storage blob upload --connection-string "$SERVICEBUS_CONNECTION_STRING" -f x\n',
    # C# unit-test URLs and a mock: never resources, never settings
    "Tests/PowerSkillTests/WebApiSkillHelpersUnitTests.cs": (
        'var http = "http://www.myblob.com/c/b?sv=2019-02-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig=«b64:32»";\n'),
}


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = _repo(tmp_path_factory.mktemp("chat"), CHAT_APP)
    return _report(root)


def test_defect1_no_setting_deleted_while_a_read_remains(chat):
    deleted = {s["name"] for s in chat["settings"]["delete"]}
    still = {s["name"]: {r["path"] for r in s["reads"]} for s in chat["settings"]["still_read"]}
    assert "BLOB_CONNECTION_STRING" not in deleted and "app/jobs/worker.py" in still["BLOB_CONNECTION_STRING"]
    assert "FORM_RECOGNIZER_KEY" not in deleted and "scripts/data_utils.py" in still["FORM_RECOGNIZER_KEY"]
    assert "SERVICEBUS_CONNECTION_STRING" not in deleted
    assert "scripts/upload.sh" in still["SERVICEBUS_CONNECTION_STRING"]
    assert "LANGUAGE_KEY" in deleted  # nothing reads it any more
    # key and token side by side: the code already falls back to Entra ID once the key is unset
    (fallback,) = [s for s in chat["settings"]["delete"] if s["name"] == "AZURE_OPENAI_API_KEY"]
    assert fallback["reason"].startswith("unset it")
    md = render(chat, "md")
    assert "## Settings still read: change these reads first" in md and "`app/jobs/worker.py:2`" in md


def test_defect1_every_deleted_setting_is_read_nowhere(chat, tmp_path):
    for item in chat["settings"]["delete"]:
        assert not any(item["name"] == s["name"] for s in chat["settings"]["still_read"])
    for book in chat["runbooks"]:
        remove = next(s for s in book["steps"] if s["title"] == "Remove the key settings")
        text = "\n".join(remove["commands"])
        for item in chat["settings"]["still_read"]:
            assert item["name"] not in text


def test_defect3_placeholders_tests_and_foreign_hosts_make_no_resource(chat):
    ids = {r["id"] for r in chat["resources"]}
    names = {r["name"] for r in chat["resources"]}
    assert not any("yourformsrecognizer" in i or "www" == n for i in ids for n in names)
    assert not any("http" == s["name"] or s["name"].startswith(("http", "ftp")) for s in chat["settings"]["add"])
    # Document Intelligence, Language and OpenAI stay three accounts
    types = sorted((r["type"], r["name"]) for r in chat["resources"] if r["type"] in ("openai", "cognitive"))
    assert types == [("cognitive", "<documentintelligence-name>"), ("cognitive", "contoso-lang"),
                     ("openai", "<openai-name>")]


def test_defect4_least_privilege(chat):
    roles = {r["id"]: [g["role"] for g in r["grants"]] for r in chat["resources"]}
    openai = next(r for r in chat["resources"] if r["type"] == "openai")
    assert roles[openai["id"]] == ["Cognitive Services OpenAI User"]  # never Cognitive Services User
    (servicebus,) = [r for r in chat["resources"] if r["type"] == "servicebus"]
    assert roles[servicebus["id"]] == ["Azure Service Bus Data Sender", "Azure Service Bus Data Receiver"]


def test_defect6_runbook_in_order_with_rollback_and_valid_shell(chat, tmp_path):
    (book,) = [b for b in chat["runbooks"] if b["app"] == "app"]
    assert [s["title"] for s in book["steps"]] == [
        "Enable the identity", "Grant the roles", "Wait for the role assignments to propagate",
        "Deploy the rewritten code with its new settings", "Verify each resource with the identity's token",
        "Remove the key settings", "Disable local / shared-key authentication", "Rotate the leaked keys"]
    steps = {s["title"]: s for s in book["steps"]}
    assert steps["Enable the identity"]["rollback"] and steps["Grant the roles"]["rollback"]
    verify = "\n".join(steps["Verify each resource with the identity's token"]["commands"])
    assert "$IDENTITY_ENDPOINT?resource=https://servicebus.azure.net" in verify  # the app's own token
    assert "https://contoso-lang.cognitiveservices.azure.com/" in verify
    disable = "\n".join(steps["Disable local / shared-key authentication"]["commands"])
    assert "-n contoso-lang --query id -o tsv)\" --set properties.disableLocalAuth=true" in disable  # read nowhere
    # no key auth turned off while a key setting of the account is still read (worker.py, upload.sh)
    assert "--disable-local-auth true" not in disable and "not yet" in disable
    script = tmp_path / "runbook.sh"
    script.write_text(_shell_blocks(render(chat, "md")))
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0


def test_defect6_apps_are_deployable_units_and_developer_scripts_get_user_roles(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _repo(tmp_path, {
        "skills/host.json": '{"version": "2.0", "extensionBundle": {"id": "x", "version": "[4.*, 5.0.0)"}}',
        "skills/requirements.txt": "azure-functions\n",
        "skills/AnalyzeForm/function.json": '{"bindings": [{"type": "httpTrigger", "direction": "in", "name": "r"}]}',
        "skills/AnalyzeForm/__init__.py": (
            "import os\nfrom azure.storage.blob import BlobServiceClient\n"
            'c = BlobServiceClient.from_connection_string(os.environ["SKILL_STORAGE"])\n'
            'c.get_blob_client("a", "b").download_blob()\n'),
        "skills/notebooks/explore.ipynb": json.dumps({"cells": [{"cell_type": "code", "source": [
            "from azure.identity import AzureCliCredential\n", "from azure.storage.blob import BlobServiceClient\n",
            'svc = BlobServiceClient("https://contosodev.blob.core.windows.net", credential=AzureCliCredential())\n',
            'svc.get_container_client("c").list_blobs()\n']}], "metadata": {}, "nbformat": 4,
            "nbformat_minor": 5}),
        "scripts/seed.py": ("import os\nfrom azure.storage.blob import BlobServiceClient\n"
                            'svc = BlobServiceClient.from_connection_string(os.environ["SEED_STORAGE"])\n'
                            'svc.get_container_client("c").upload_blob("b", b"x")\n'),
        "skills/local.settings.json": json.dumps({"Values": {"SKILL_STORAGE": STORAGE.format(a="contososkill")}},
                                                 ensure_ascii=False),
    })
    data = _report(tmp_path)
    assert [a["path"] for a in data["identity"]["apps"]] == ["skills"]  # not AnalyzeForm, not notebooks, not '.'
    assert data["identity"]["apps"][0]["host"] == "functionapp"
    commands = "\n".join(data["identity"]["commands"])
    assert "AnalyzeForm" not in commands and "notebooks" not in commands
    # scripts/ outside any app run as a person: the roles go to the developer's user or group
    (dev,) = [b for b in data["runbooks"] if b["host"] == "developer"]
    grants = "\n".join(next(s for s in dev["steps"] if s["title"] == "Grant the roles")["commands"])
    assert '--assignee-object-id "$DEVELOPER_ID" --assignee-principal-type User' in grants
    assert "az ad signed-in-user show" in "\n".join(dev["steps"][0]["commands"])


def test_defect5_client_id_setting_means_user_assigned(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _repo(tmp_path, {
        "requirements.txt": "azure-storage-blob\n",
        "app.py": ("import os\nfrom azure.storage.blob import BlobServiceClient\n"
                   'svc = BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"])\n'
                   'svc.get_blob_client("c", "b").download_blob()\n'),
        "infra/main.bicep": ("resource app 'Microsoft.Web/sites@2022-03-01' = {\n  name: 'web'\n  properties: {\n"
                             "    siteConfig: { appSettings: [ { name: 'AZURE_CLIENT_ID', value: uami.properties"
                             ".clientId } ] }\n  }\n}\n"),
    })
    data = _report(tmp_path)
    identity = data["identity"]
    assert identity["type"] == "user-assigned"
    assert "AZURE_CLIENT_ID" in identity["reasons"][0] and "infra/main.bicep" in identity["reasons"][0]
    assert any(r.startswith("system-assigned:") for r in identity["reasons"])  # both kinds explained
    assert identity["client_id_setting"] == "AZURE_CLIENT_ID"
    custom = _report(tmp_path, client_id_env="APP_IDENTITY_CLIENT_ID")
    assert custom["identity"]["client_id_setting"] == "APP_IDENTITY_CLIENT_ID"
    assert "--client-id-env APP_IDENTITY_CLIENT_ID" in " ".join(custom["identity"]["reasons"])


def test_defect4_unrelated_apps_do_not_share_one_identity(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = {}
    for n in (1, 2, 3):
        files[f"sample{n}/requirements.txt"] = "azure-storage-blob\n"
        files[f"sample{n}/app.py"] = (
            "from azure.storage.blob import BlobServiceClient\n"
            f'svc = BlobServiceClient.from_connection_string("{STORAGE.format(a=f"contososample{n}")}")\n'
            'svc.get_blob_client("c", "b").download_blob()\n')
    _repo(tmp_path, files)
    data = _report(tmp_path)
    assert data["identity"]["type"] == "system-assigned"
    for book in data["runbooks"]:
        grants = "\n".join(next(s for s in book["steps"] if s["title"] == "Grant the roles")["commands"])
        others = [n for n in (1, 2, 3) if f"sample{n}" != book["app"]]
        assert all(f"contososample{n}" not in grants for n in others), book["app"]


FUNCTIONS = {
    "fn/host.json": '{"version": "2.0", "extensionBundle": {"id": "x", "version": "[2.*, 3.0.0)"}}',
    "fn/requirements.txt": "azure-functions\n",
    "fn/Ingest/function.json": json.dumps({"bindings": [
        {"type": "blobTrigger", "direction": "in", "name": "b", "path": "in/{name}"},
        {"type": "cosmosDB", "direction": "out", "name": "doc", "databaseName": "d", "collectionName": "c",
         "connectionStringSetting": "MyCosmosDBConnectionString"}]}),
    "fn/Ingest/__init__.py": "def main(b, doc):\n    pass\n",
    "fn/local.settings.json.sample": json.dumps({"Values": {
        "AzureWebJobsStorage": STORAGE.format(a="contosofn"),
        "MyCosmosDBConnectionString": "AccountEndpoint=https://contosocosmos.documents.azure.com:443/;"
                                      "AccountKey=«b64:64»;"}}, ensure_ascii=False, indent=1),
    "azuredeploy.json": json.dumps({
        "$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
        "resources": [{"type": "Microsoft.Web/sites", "kind": "functionapp,linux", "name": "fnapp",
                       "apiVersion": "2022-03-01", "properties": {"siteConfig": {"appSettings": [
                           {"name": "AzureWebJobsDashboard", "value": "[concat('DefaultEndpointsProtocol=https;"
                            "AccountName=', parameters('s'), ';AccountKey=', listKeys(variables('id'),"
                            "'2019-06-01').keys[0].value)]"},
                           {"name": "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "value": "[concat('DefaultEndpoints"
                            "Protocol=https;AccountName=', parameters('s'), ';AccountKey=', listKeys(variables("
                            "'id'),'2019-06-01').keys[0].value)]"}]}}}]}, indent=1),
}


@pytest.fixture(scope="module")
def functions(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = _repo(tmp_path_factory.mktemp("fn"), FUNCTIONS)
    return _report(root)


def test_defect2_host_storage_is_account_name_never_invented_settings(functions):
    text = json.dumps(functions)
    for invented in ("AzureWebJobsStorageAccountUrl", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING__",
                     "AzureWebJobsDashboard__"):
        assert invented not in text, invented
    (app,) = functions["functions"]
    connections = {c["name"]: c for c in app["connections"]}
    host = connections["AzureWebJobsStorage"]
    assert [s["name"] for s in host["settings"]] == ["AzureWebJobsStorage__accountName"]
    assert host["settings"][0]["value"] == "contosofn"
    # blob trigger: the host needs Queue Data Contributor and Storage Account Contributor besides Blob Data Owner
    assert {"Storage Blob Data Owner", "Storage Queue Data Contributor",
            "Storage Account Contributor"} <= set(host["roles"])
    assert not any(s["name"] == "AzureWebJobsStorage" for s in functions["settings"]["delete"])  # handled here


def test_defect2_cosmos_v3_binding_must_move_to_v4(functions):
    (app,) = functions["functions"]
    cosmos = next(c for c in app["connections"] if c["name"] == "MyCosmosDBConnectionString")
    assert cosmos["delete"] == []  # connectionStringSetting still reads it
    assert "4.x" in cosmos["notes"][0] or any("4.x" in n for n in cosmos["notes"])
    assert any("MyCosmosDBConnectionString__accountEndpoint" in n for n in cosmos["notes"])
    assert cosmos["extensions"][0]["bundle_ok"] is False


def test_defect2_content_share_keeps_shared_key_access(functions):
    notes = [f["message"] for f in functions["findings"] if f["fields"].get("setting") in (
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "AzureWebJobsDashboard")]
    assert notes and all("no identity-based form" in n for n in notes)
    storage_rotation = [r for r in functions["rotation"] if r["service"] == "storage"]
    assert storage_rotation and all(r["disable_key_auth"] is None for r in storage_rotation)
    assert any("content share" in n for r in storage_rotation for n in r["notes"])
    md = render(functions, "md")
    assert "allow-shared-key-access false" not in md


def test_html_renders_the_runbook(chat, functions):
    for data in (chat, functions):
        html = render(data, "html")
        assert '<section id="runbook">' in html


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
def test_functions_runbook_shell_parses(functions, tmp_path):
    script = tmp_path / "fn.sh"
    script.write_text(_shell_blocks(render(functions, "md")))
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
