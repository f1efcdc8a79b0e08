"""The migration report: content on the bundled examples, JSON Schema, CLI, identity/AKS/database sections."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from mi_migrate.api import build_report
from mi_migrate.cli import main
from mi_migrate.fix.model import FixOptions
from mi_migrate.report import render, schema

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def examples_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("report") / "examples"
    shutil.copytree(EXAMPLES, target)
    return target


@pytest.fixture(scope="module")
def report(examples_copy: Path) -> dict:
    return build_report(FixOptions(paths=(str(examples_copy),), write=False))


def validate(data: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)


def resource(report: dict, rid: str) -> dict:
    return next(r for r in report["resources"] if r["id"] == rid)


def test_json_report_validates_against_the_shipped_schema(report):
    validate(report)
    validate(json.loads(render(report, "json")))


def test_summary_counts_and_progress(report):
    summary = report["summary"]
    assert summary["findings"] == len(report["findings"])
    assert sum(summary["by_service"].values()) == summary["findings"]
    assert sum(summary["by_file"].values()) == summary["findings"]
    progress = summary["progress"]
    assert progress["call_sites"] == progress["rewritten"] + progress["manual"] + progress["not_covered"]
    assert progress["rewritten"] >= 1


def test_findings_carry_location_evidence_and_diff_or_step(report):
    for finding in report["findings"]:
        assert finding["path"] and finding["line"] >= 1
        if finding["kind"] == "secret":
            assert "…(" in finding["evidence"]
        if finding["status"] == "rewritten":
            assert finding["diff"] and finding["diff"].startswith("@@")
        if finding["status"] in ("manual", "not-covered"):
            assert finding["step"]
    blob = next(f for f in report["findings"] if f["fields"].get("client") == "BlobServiceClient")
    assert "+blob_service = BlobServiceClient(" in blob["diff"]


def test_least_privilege_roles_per_resource(report):
    flask_storage = resource(report, "storage-contosoflaskdemo")
    assert [g["role"] for g in flask_storage["grants"]] == ["Storage Blob Data Contributor"]  # uploads and downloads
    assert flask_storage["grants"][0]["guid"] == "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
    sender = resource(report, "servicebus-contoso-flask-demo")
    assert [g["role"] for g in sender["grants"]] == ["Azure Service Bus Data Sender"]
    receiver = resource(report, "servicebus-contoso-func-demo")  # service_bus_queue_trigger
    assert [g["role"] for g in receiver["grants"]] == ["Azure Service Bus Data Receiver"]
    cosmos = resource(report, "cosmos-contoso-func-demo")
    assert cosmos["grants"][0]["kind"] == "cosmos"
    assert "az cosmosdb sql role assignment create" in cosmos["az"][0]
    assert "00000000-0000-0000-0000-000000000002" in cosmos["az"][0]
    openai = next(r for r in report["resources"] if r["type"] == "openai")
    assert openai["grants"][0]["role"] == "Cognitive Services OpenAI User"
    sql = next(r for r in report["resources"] if r["type"] == "sql")
    assert "CREATE USER [<identity-name>] FROM EXTERNAL PROVIDER;" in sql["database"]["sql"]
    assert "db_datawriter" in sql["database"]["roles"]  # the example INSERTs


def test_commands_bicep_and_terraform(report):
    storage = resource(report, "storage-contosoflaskdemo")
    assert storage["az"] == [
        'az role assignment create --assignee-object-id "$PRINCIPAL_ID" --assignee-principal-type ServicePrincipal '
        '--role "Storage Blob Data Contributor" '
        '--scope "$(az storage account show -g "$RG" -n contosoflaskdemo --query id -o tsv)"'
    ]
    assert "Microsoft.Authorization/roleAssignments@2022-04-01" in storage["bicep"]
    assert "guid(storage_contosoflaskdemo.id, principalId, 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')" in storage["bicep"]
    assert 'resource "azurerm_role_assignment"' in storage["terraform"]
    assert 'data "azurerm_storage_account" "storage_contosoflaskdemo"' in storage["terraform"]
    assert "role_definition_name = \"Storage Blob Data Contributor\"" in storage["terraform"]


def test_apps_sharing_nothing_keep_their_own_system_assigned_identity(report):
    identity = report["identity"]  # flask-app and functions-app reach different accounts: no shared identity
    assert identity["type"] == "system-assigned"
    assert {a["path"] for a in identity["apps"]} == {"flask-app", "functions-app"}
    assert any("user-assigned:" in reason for reason in identity["reasons"])  # both kinds are explained
    commands = "\n".join(identity["commands"])
    assert "az webapp identity assign" in commands and "az functionapp identity assign" in commands
    assert not any(s["name"] == "AZURE_CLIENT_ID" for s in report["settings"]["add"])


def test_settings_derived_never_secret(report):
    added = {s["name"]: s for s in report["settings"]["add"]}
    assert added["AZURE_STORAGE_ACCOUNT_URL"]["value"] == "https://contosoflaskdemo.blob.core.windows.net"
    deleted = {s["name"] for s in report["settings"]["delete"]}
    assert "SERVICEBUS_CONNECTION_STRING" in deleted
    # flask-app/settings.py still reads it (a hard-coded fallback): not deleted before that read is gone
    still = {s["name"]: s for s in report["settings"]["still_read"]}
    assert "AZURE_STORAGE_CONNECTION_STRING" not in deleted
    assert "flask-app/settings.py" in {r["path"] for r in still["AZURE_STORAGE_CONNECTION_STRING"]["reads"]}


def test_functions_identity_based_connections(report):
    (app,) = report["functions"]
    connections = {c["name"]: c for c in app["connections"]}
    storage = {s["name"]: s["value"] for s in connections["AzureWebJobsStorage"]["settings"]}
    assert storage == {"AzureWebJobsStorage__accountName": "contosofuncdemo"}  # system-assigned: nothing else
    sb = {s["name"]: s["value"] for s in connections["ServiceBusConnection"]["settings"]}
    assert sb["ServiceBusConnection__fullyQualifiedNamespace"] == "contoso-func-demo.servicebus.windows.net"
    cosmos = {s["name"]: s["value"] for s in connections["CosmosDbConnection"]["settings"]}
    assert cosmos["CosmosDbConnection__accountEndpoint"] == "https://contoso-func-demo.documents.azure.com:443/"
    ext = connections["CosmosDbConnection"]["extensions"][0]
    assert (ext["min_extension"], ext["min_bundle"], ext["bundle_ok"]) == ("4.0.0", "4.0.2", True)
    assert "Storage Account Contributor" in connections["AzureWebJobsStorage"]["roles"]  # blob trigger on host storage


def test_rotation_and_disable_key_auth(report):
    commands = {c for r in report["rotation"] for c in r["commands"]}
    assert 'az storage account keys renew -g "$RG" -n contosoflaskdemo --key primary' in commands
    assert any(c.startswith("az servicebus namespace authorization-rule keys renew") and "RootManageSharedAccessKey"
               in c for c in commands)
    assert any(c.startswith("az cosmosdb keys regenerate") for c in commands)
    disable = {r["disable_key_auth"] for r in report["rotation"]}
    assert 'az storage account update -g "$RG" -n contosoflaskdemo --allow-shared-key-access false' in disable
    assert any(d and "--disable-local-auth true" in d for d in disable)
    assert "stays in git history" in render(report, "md")


def test_keyvault_and_troubleshooting(report):
    entry = report["keyvault"]["entries"][0]
    assert entry["reference"].startswith(f"{entry['setting']}=@Microsoft.KeyVault(SecretUri=https://")
    assert report["keyvault"]["guid"] == "4633458b-17de-408a-b874-0445c86b69e6"
    ids = {t["id"]: t for t in report["troubleshooting"]}
    assert {"propagation", "forbidden"} <= set(ids)
    assert ("client-id" in ids) == (report["identity"]["type"] == "user-assigned")
    assert "ten" in ids["propagation"]["detail"]
    assert all(t["applies_to"] for t in ids.values())


def test_markdown_and_html_render(report):
    md = render(report, "md")
    assert "## Resources" in md and "Storage Blob Data Contributor" in md
    html = render(report, "html")
    assert "<script" not in html and "<link" not in html and "@media print" in html
    assert html.count('class="bar"') == len(report["summary"]["by_service"])


def test_html_is_autoescaped(report):
    tampered = json.loads(json.dumps(report))
    tampered["findings"][0]["message"] = "<img src=x onerror=alert(1)>"
    html = render(tampered, "html")
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_cli_report_formats(examples_copy, tmp_path):
    runner = CliRunner()
    for fmt in ("md", "html", "json"):
        out = tmp_path / f"r.{fmt}"
        result = runner.invoke(main, ["report", str(examples_copy), "--output", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000
    validate(json.loads((tmp_path / "r.json").read_text(encoding="utf-8")))
    result = runner.invoke(main, ["report", str(examples_copy), "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["mode"] == "dry-run"
    bad = runner.invoke(main, ["report", str(examples_copy), "--output", str(tmp_path / "r.txt")])
    assert bad.exit_code == 2 and "format" in bad.output


def test_fix_report_after_a_real_fix(tmp_path):
    target = tmp_path / "examples"
    shutil.copytree(EXAMPLES, target)
    out = tmp_path / "after.json"
    result = CliRunner().invoke(main, ["fix", str(target), "--report", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    validate(data)
    assert data["mode"] == "fixed"
    rewritten = [f for f in data["findings"] if f["status"] == "rewritten"]
    assert rewritten and all(f["diff"] for f in rewritten)
    assert "BlobServiceClient(" in (target / "flask-app" / "app.py").read_text(encoding="utf-8")


def _repo(root: Path, files: dict[str, str]) -> Path:
    from mi_migrate.testing import fakes

    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(fakes.expand(text), encoding="utf-8")
    return root


def test_single_app_gets_system_assigned_and_reader(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the fix reads settings files under the config root (cwd without a config)
    _repo(tmp_path, {
        "requirements.txt": "azure-storage-blob\n",
        "app.py": "import os\nfrom azure.storage.blob import BlobServiceClient\n\n"
                  'svc = BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"])\n'
                  'print(svc.get_blob_client("c", "b").download_blob().readall())\n',
        ".env": "AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=readonlyacct;"
                "AccountKey=«b64:64»;EndpointSuffix=core.windows.net\n",
    })
    data = build_report(FixOptions(paths=(".",), write=False))
    validate(data)
    assert data["identity"]["type"] == "system-assigned", data["identity"]
    assert data["identity"]["commands"][-1].startswith("PRINCIPAL_ID=$(az webapp identity assign")
    storage = resource(data, "storage-readonlyacct")
    assert [g["role"] for g in storage["grants"]] == ["Storage Blob Data Reader"]


def test_aks_manifests_mean_workload_identity(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _repo(tmp_path, {
        "svc/requirements.txt": "azure-servicebus\n",
        "svc/worker.py": "import os\nfrom azure.servicebus import ServiceBusClient\n\n"
                         'client = ServiceBusClient.from_connection_string(os.environ["SB_CONN"])\n'
                         'with client.get_queue_receiver("jobs") as receiver:\n'
                         "    for message in receiver.receive_messages():\n"
                         "        receiver.complete_message(message)\n",
        "svc/.env": "SB_CONN=Endpoint=sb://aksns.servicebus.windows.net/;SharedAccessKeyName=listen;"
                    "SharedAccessKey=«b64:32»\n",
        "deploy/worker.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\n  namespace: jobs\n"
                              "spec:\n  template:\n    spec:\n      serviceAccountName: worker-sa\n",
    })
    data = build_report(FixOptions(paths=(".",), write=False))
    validate(data)
    assert data["identity"]["type"] == "user-assigned"
    assert any("Kubernetes" in reason for reason in data["identity"]["reasons"])
    aks = data["aks"]
    assert "azure.workload.identity/client-id" in aks["service_account_yaml"]
    assert 'azure.workload.identity/use: "true"' in aks["pod_template_patch"]
    assert any("az identity federated-credential create" in c and "system:serviceaccount:jobs:worker-sa" in c
               for c in aks["commands"])
    ns = resource(data, "servicebus-aksns")
    assert [g["role"] for g in ns["grants"]] == ["Azure Service Bus Data Receiver"]
    assert "AKS workload identity" in render(data, "md")
