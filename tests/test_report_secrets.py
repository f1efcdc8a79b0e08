"""No secret value in any report format: plant fake keys, render md/html/json, look for them."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from mi_migrate.api import build_report
from mi_migrate.fix.model import FixOptions
from mi_migrate.report import render
from mi_migrate.testing import fakes

KEYS = {
    "storage": fakes.expand("«b64:64»", seed=101),
    "servicebus": fakes.expand("«b64:32»", seed=102),
    "cosmos": fakes.expand("«b64:64»", seed=103),
    "functions": fakes.expand("«b64:64»", seed=104),
    "sas": fakes.expand("«b64:32»", seed=105),
    "sql": fakes.expand("«password»", seed=106),
    "github": "ghp_" + fakes.expand("«alnum:36»", seed=107),
}


def plant(root: Path) -> None:
    app = root / "web"
    app.mkdir()
    (app / "requirements.txt").write_text("azure-storage-blob\n", encoding="utf-8")
    (app / "main.py").write_text(
        "import os\n\nfrom azure.storage.blob import BlobServiceClient\n\n"
        f'CONN = "DefaultEndpointsProtocol=https;AccountName=plantedacct;AccountKey={KEYS["storage"]};'
        'EndpointSuffix=core.windows.net"\n'
        "svc = BlobServiceClient.from_connection_string(CONN)\n"
        'data = svc.get_container_client("c").download_blob("b").readall()\n',
        encoding="utf-8",
    )
    (app / ".env").write_text(
        "SERVICEBUS_CONNECTION_STRING=Endpoint=sb://plantedns.servicebus.windows.net/;"
        f"SharedAccessKeyName=send;SharedAccessKey={KEYS['servicebus']}\n"
        f"COSMOS_CONNECTION=AccountEndpoint=https://plantedcosmos.documents.azure.com:443/;AccountKey={KEYS['cosmos']};\n"
        "EXPORT_URL=https://plantedacct.blob.core.windows.net/exports?sv=2022-11-02&ss=b&srt=co&sp=rl"
        f"&se=2030-01-01T00:00:00Z&sig={quote(KEYS['sas'], safe='')}\n"
        "SQL_CONNECTION_STRING=Server=tcp:plantedsql.database.windows.net,1433;Database=db;Uid=app;"
        f"Pwd={KEYS['sql']};Encrypt=yes\n"
        f"GITHUB_TOKEN={KEYS['github']}\n",
        encoding="utf-8",
    )
    func = root / "func"
    func.mkdir()
    (func / "host.json").write_text('{"version": "2.0"}\n', encoding="utf-8")
    (func / "local.settings.json").write_text(json.dumps({"IsEncrypted": False, "Values": {
        "AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountName=plantedfunc;"
                               f"AccountKey={KEYS['functions']};EndpointSuffix=core.windows.net"}}, indent=2),
        encoding="utf-8")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict[str, str]]:
    root = tmp_path_factory.mktemp("planted")
    plant(root)
    report = build_report(FixOptions(paths=(str(root),), write=False))
    return report, {fmt: render(report, fmt) for fmt in ("md", "html", "json")}


def test_the_planted_keys_are_found(planted):
    report, _ = planted
    rules = {f["rule_id"] for f in report["findings"]}
    assert {"AZ101", "AZ104", "AZ107", "AZ113"} <= rules
    assert len(report["rotation"]) >= 5
    assert report["diffs"], "the dry-run fix should produce a diff whose context quotes the key"


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_no_secret_in_any_format(planted, fmt):
    _, outputs = planted
    text = outputs[fmt]
    for name, key in KEYS.items():
        for needle in {key, quote(key, safe=""), key[4:24]}:
            assert needle not in text, f"{name} key leaked into the {fmt} report"
    assert "FAKE…(" in text  # only the redaction prefix, length and hash


def test_diff_context_is_redacted(planted):
    report, _ = planted
    diff = next(d["diff"] for d in report["diffs"] if d["path"].endswith("main.py"))
    assert "AccountKey=FAKE…(" in diff
    assert KEYS["storage"] not in diff
