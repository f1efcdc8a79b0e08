"""Issue 11, defect 7: every az / Bicep / Terraform snippet in the reports works as pasted.

Checks: every shell command of the reports (identity, grants, rotation, runbooks, AKS, Key Vault) passes
`bash -n` and has no `<placeholder>` the shell would read as a redirection; the Bicep blocks, assembled into one
file under one parameter set, parse with two grammars (pycep-parser's Lark grammar and tree-sitter-bicep) and
declare every symbol once, every referenced symbol being declared; the Terraform blocks, assembled the same way,
parse with python-hcl2, declare each variable / data source / resource once, reference only declared ones, and
name roles by `role_definition_name` (a `/providers/...` role id is replaced on every plan).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mi_migrate.api import build_report
from mi_migrate.fix.model import FixOptions
from mi_migrate.report import render
from mi_migrate.report.snippets import SHELL_KEYS, SHELL_LINE, bicep, shell_safe, terraform
from mi_migrate.testing import fakes

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MAIN = '''import os

from azure.ai.textanalytics import TextAnalyticsClient
from azure.core.credentials import AzureKeyCredential
from azure.cosmos import CosmosClient
from azure.search.documents import SearchClient
from azure.servicebus import ServiceBusClient
from azure.storage.blob import BlobServiceClient

blob = BlobServiceClient.from_connection_string(os.environ["STORAGE_CONNECTION_STRING"])
blob.get_container_client("in").upload_blob("a", b"x")
bus = ServiceBusClient.from_connection_string(os.environ["SERVICEBUS_CONNECTION_STRING"])
with bus.get_queue_sender("q") as sender:
    sender.send_messages([])
cosmos = CosmosClient.from_connection_string(os.environ["COSMOS_CONNECTION_STRING"])
search = SearchClient(os.environ["SEARCH_ENDPOINT"], "idx", AzureKeyCredential(os.environ["SEARCH_KEY"]))
language = TextAnalyticsClient("https://westeurope.api.cognitive.microsoft.com/",
                               AzureKeyCredential(os.environ["LANGUAGE_KEY"]))
'''
ENV = ("STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey=«b64:64»;"
       "EndpointSuffix=core.windows.net\n"
       "SERVICEBUS_CONNECTION_STRING=Endpoint=sb://contoso.servicebus.windows.net/;"
       "SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=«b64:32»\n"
       "COSMOS_CONNECTION_STRING=AccountEndpoint=https://contoso.documents.azure.com:443/;AccountKey=«b64:64»;\n"
       "SEARCH_ENDPOINT=https://contoso.search.windows.net\n")


def make_repo(root: Path) -> Path:
    """Storage account, Service Bus namespace and Cosmos DB account all called `contoso` (one file of Bicep
    must still compile), a search service without a name (`<search-name>`), a regional AI endpoint."""
    app = root / "app"
    app.mkdir(parents=True)
    (app / "main.py").write_text(MAIN, encoding="utf-8")
    (app / "requirements.txt").write_text("azure-storage-blob\nyarl==1.17.1", encoding="utf-8")
    (app / ".env").write_text(fakes.expand(ENV), encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    base = tmp_path_factory.mktemp("snippets")
    examples = base / "examples"
    shutil.copytree(EXAMPLES, examples)
    repo = make_repo(base / "repo")
    return [build_report(FixOptions(paths=(str(p),), write=False)) for p in (examples, repo)]


def shell_lines(node, key: str = "") -> list[str]:
    if isinstance(node, dict):
        return [line for k, v in node.items() for line in shell_lines(v, k)]
    if isinstance(node, list):
        return [line for v in node for line in shell_lines(v, key)]
    if isinstance(node, str) and key in SHELL_KEYS and SHELL_LINE.match(node):
        return [node]
    return []


SQL = re.compile(r"(?i)^\s*(alter|create|grant|select|drop|--)\b")


def test_every_shell_command_passes_bash_n(reports, tmp_path):
    lines = [line for report in reports for line in shell_lines(report) if not SQL.match(line)]
    assert len(lines) > 20
    for n, line in enumerate(lines):
        script = tmp_path / f"cmd{n}.sh"
        script.write_text(line + "\n", encoding="utf-8")
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, f"{line}\n{result.stderr}"
        assert shell_safe(line) == line, f"unquoted placeholder in: {line}"  # quote-aware, $( ) included


def test_identity_commands_quote_placeholders(reports):
    commands = "\n".join(reports[0]["identity"]["commands"])
    assert '-n "<flask-app>"' in commands or '-n "<app>"' in commands or '"<identity-name>"' in commands
    assert not re.search(r"-n <", commands)


@pytest.mark.parametrize("line, expected", [
    ('az webapp identity assign -g "$RG" -n <my-app>', 'az webapp identity assign -g "$RG" -n "<my-app>"'),
    ('X=$(az identity show -n <identity-name> --query id -o tsv)',
     'X=$(az identity show -n "<identity-name>" --query id -o tsv)'),
    ('az role assignment create --scope "$(az storage account show -n <storage-name> --query id -o tsv)"',
     'az role assignment create --scope "$(az storage account show -n "<storage-name>" --query id -o tsv)"'),
    ('az x --assignee "<principal-or-upn>" --password \'<new>\'',
     'az x --assignee "<principal-or-upn>" --password \'<new>\''),
    ('az keyvault secret set --vault-name <vault> -n s --value "<new value>"   # then <this>',
     'az keyvault secret set --vault-name "<vault>" -n s --value "<new value>"   # then <this>'),
    ("ALTER LOGIN [<user>] WITH PASSWORD = '<new strong password>';",
     "ALTER LOGIN [<user>] WITH PASSWORD = '<new strong password>';"),
])
def test_shell_safe(line, expected):
    assert shell_safe(line) == expected
    assert shell_safe(expected) == expected


# -- Bicep --------------------------------------------------------------------------------------------------

BICEP_BUILTINS = {"guid", "subscriptionResourceId", "resourceGroup", "subscription", "resourceId", "concat"}


def bicep_symbols(text: str) -> tuple[list[str], set[str]]:
    """(declared symbols in order, referenced identifiers) from the tree-sitter-bicep parse tree."""
    import tree_sitter
    import tree_sitter_bicep

    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bicep.language()))
    tree = parser.parse(text.encode())
    assert not tree.root_node.has_error, f"tree-sitter-bicep: syntax error in\n{text}"
    declared: list[str] = []
    used: set[str] = set()

    def walk(node, parent=None, index=0):
        if node.type in ("parameter_declaration", "resource_declaration", "variable_declaration",
                         "output_declaration", "module_declaration"):
            declared.append(node.named_children[0].text.decode())
        elif node.type == "identifier":
            name = node.text.decode()
            is_key = parent is not None and parent.type == "object_property" and index == 0
            is_decl = parent is not None and parent.type.endswith("_declaration") and index == 0
            is_func = parent is not None and parent.type == "call_expression" and index == 0
            if not (is_key or is_decl or is_func):
                used.add(name)
            if is_func:
                assert name in BICEP_BUILTINS, f"unknown function {name}"
        for i, child in enumerate(node.named_children):
            walk(child, node, i)

    walk(tree.root_node)
    return declared, used


def check_bicep(text: str) -> None:
    from pycep import BicepParser

    BicepParser().parse(text=text)  # raises on a syntax error (Lark grammar of pycep-parser)
    declared, used = bicep_symbols(text)
    duplicates = sorted({d for d in declared if declared.count(d) > 1})
    assert not duplicates, f"declared twice: {duplicates}"
    assert used <= set(declared), f"used but not declared: {sorted(used - set(declared))}"


def test_bicep_blocks_assembled_into_one_file_parse(reports):
    for report in reports:
        blocks = [r["bicep"] for r in report["resources"] if r["bicep"]]
        assert len(blocks) >= 2  # two blocks in one file: the case that did not compile
        assert not any("param " in b for b in blocks)  # parameters are declared once, by the file
        header = report["iac"]["bicep"].split("\n\n", 1)[0]
        assert header.count("param principalId string") == 1
        check_bicep(header + "\n\n" + "\n".join(blocks))
        check_bicep(report["iac"]["bicep"])


def test_same_name_different_types_do_not_clash(reports):
    repo = reports[1]
    names = {(r["type"], r["name"]) for r in repo["resources"]}
    assert {("storage", "contoso"), ("servicebus", "contoso"), ("cosmos", "contoso")} <= names
    assert "resource storage_contoso " in repo["iac"]["bicep"]
    assert "resource servicebus_contoso " in repo["iac"]["bicep"]
    assert 'data "azurerm_cosmosdb_account" "cosmos_contoso"' in repo["iac"]["terraform"]


def test_redis_and_quotes_in_names_still_parse():
    from mi_migrate.report.roles import Grant

    grants = [Grant(role="Data Owner", kind="redis", reason="reads and writes")]
    blocks = [bicep("redis", "cache-1", grants), bicep("storage", "it's", [{"role": "Storage Blob Data Reader",
                                                                              "kind": "rbac"}])]
    from mi_migrate.report.snippets import iac_files

    files = iac_files([{"bicep": b, "terraform": ""} for b in blocks])
    assert "param identityName string" in files["bicep"]
    check_bicep(files["bicep"])
    tf = iac_files([{"bicep": "", "terraform": terraform("redis", "cache-1", grants)},
                    {"bicep": "", "terraform": terraform("storage", 'a"${b}', [{"role": "Storage Blob Data Reader",
                                                                                  "kind": "rbac"}])}])
    check_terraform(tf["terraform"])


# -- Terraform ------------------------------------------------------------------------------------------------

def check_terraform(text: str) -> None:
    import hcl2

    data = hcl2.loads(text)  # raises on a syntax error
    def label(text: str) -> str:  # python-hcl2 8 keeps the quotes of block labels
        return text.strip('"')

    variables = [label(name) for block in data.get("variable", []) for name in block]
    assert len(variables) == len(set(variables)), f"variables declared twice: {variables}"
    sources = [(label(kind), label(name)) for block in data.get("data", []) for kind, named in block.items()
               for name in named]
    resources = [(label(kind), label(name)) for block in data.get("resource", []) for kind, named in block.items()
                 for name in named]
    assert len(sources) == len(set(sources)) and len(resources) == len(set(resources))
    for var in set(re.findall(r"\bvar\.(\w+)", text)):
        assert var in variables, f"var.{var} is not declared"
    for kind, name in set(re.findall(r"\bdata\.(\w+)\.(\w+)", text)):
        assert (kind, name) in sources, f"data.{kind}.{name} is not declared"
    for block in data.get("resource", []):
        assignments = block.get("azurerm_role_assignment") or block.get('"azurerm_role_assignment"') or {}
        for body in assignments.values():
            assert "role_definition_name" in body, "azurerm_role_assignment without role_definition_name"
            assert "/providers/Microsoft.Authorization" not in str(body.get("role_definition_id", "")), \
                "a /providers/... role_definition_id is replaced on every plan"


def test_terraform_blocks_assembled_into_one_file_parse(reports):
    for report in reports:
        blocks = [r["terraform"] for r in report["resources"] if r["terraform"]]
        assert len(blocks) >= 2
        assert not any("variable " in b for b in blocks)
        assert "/providers/Microsoft.Authorization/roleDefinitions" not in "".join(blocks)
        text = report["iac"]["terraform"]
        check_terraform(text)
        assert text.count('variable "principal_id"') == 1


def test_markdown_and_html_show_the_one_file(reports, tmp_path):
    markdown = render(reports[1], "md")
    assert "## Infrastructure as code" in markdown and markdown.count("param principalId string") == 1
    html = render(reports[1], "html")
    assert '<section id="iac">' in html and html.count("param principalId string") == 1


# -- minimum versions and AI endpoints --------------------------------------------------------------------------

def test_requirements_and_custom_subdomain(reports):
    flask = reports[0]
    identity = next(x for x in flask["requirements"] if x["package"] == "azure-identity")
    assert identity["minimum"] == "1.15.0"  # the OpenAI rewrite uses get_bearer_token_provider
    assert any(x["package"].startswith("Microsoft.Azure.WebJobs.Extensions") for x in flask["requirements"])
    repo = reports[1]
    ai = next(r for r in repo["resources"] if r["type"] == "cognitive")
    note = next(n for n in ai["notes"] if "custom subdomain" in n)
    assert "westeurope.api.cognitive.microsoft.com" in note and "--custom-domain" in note
    openai = next(r for r in flask["resources"] if r["type"] == "openai")
    assert any("custom subdomain" in n for n in openai["notes"])
    assert "## Minimum versions" in render(flask, "md")
