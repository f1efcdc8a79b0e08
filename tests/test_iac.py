"""Infrastructure as code (AZ401-AZ403): key wiring into app settings, app identities, control-plane roles on data
resources, in Terraform, Bicep and ARM, on realistic templates with exact lines; and the report's use of them."""

from __future__ import annotations

from pathlib import Path

from mi_migrate.report import deploy
from mi_migrate.scan.files import scan_bytes
from mi_migrate.scan.model import ScanSettings

TERRAFORM = """\
terraform {
  required_providers {
    azurerm = { source = "hashicorp/azurerm", version = "~> 3.100" }
  }
}

locals {
  sb_conn = azurerm_servicebus_namespace_authorization_rule.app.primary_connection_string
  tags    = { env = "dev" } # a comment with { braces
}

resource "azurerm_storage_account" "sa" {
  name                     = "stordersdev"
  account_replication_type = "LRS"
}

resource "azurerm_user_assigned_identity" "orders" {
  name = "id-orders"
}

resource "azurerm_linux_function_app" "fn" {
  name                       = "fn-orders"
  storage_account_name       = azurerm_storage_account.sa.name
  storage_account_access_key = azurerm_storage_account.sa.primary_access_key

  identity {
    type = "SystemAssigned"
  }

  app_settings = {
    "ServiceBusConnection" = local.sb_conn
    "CosmosConnection"     = azurerm_cosmosdb_account.db.primary_sql_connection_string
    "BlobConn"             = "DefaultEndpointsProtocol=https;AccountName=${azurerm_storage_account.sa.name};AccountKey=${azurerm_storage_account.sa.primary_access_key}"
    # "Old" = azurerm_storage_account.sa.secondary_access_key
  }
  site_config {}
}

resource "azurerm_linux_web_app" "api" {
  name = "api-orders"
  identity {
    type         = "SystemAssigned, UserAssigned"
    identity_ids = [
      azurerm_user_assigned_identity.orders.id,
    ]
  }
  connection_string {
    name  = "Events"
    type  = "Custom"
    value = azurerm_eventhub_namespace.eh.default_primary_connection_string
  }
  site_config {}
}

resource "azurerm_container_app" "worker" {
  name = "ca-worker"
  secret {
    name  = "storage-conn"
    value = azurerm_storage_account.sa.primary_connection_string
  }
  template {
    container {
      name = "worker"
      env {
        name        = "AZURE_STORAGE_CONNECTION_STRING"
        secret_name = "storage-conn"
      }
    }
  }
}

resource "azurerm_role_assignment" "fn_storage" {
  scope                = azurerm_storage_account.sa.id
  role_definition_name = "Owner"
  principal_id         = azurerm_linux_function_app.fn.identity[0].principal_id
}

resource "azurerm_role_assignment" "api_kv" {
  scope              = azurerm_key_vault.kv.id
  role_definition_id = "${data.azurerm_subscription.current.id}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3c48-4d05-aeea-3a1c1fd4c14b"
  principal_id       = azurerm_user_assigned_identity.orders.principal_id
}
"""  # noqa: E501  (real templates have long lines)

BICEP = """\
param location string = resourceGroup().location
@description('Storage account name')
param storageName string = 'stordersdev'

var storageConnection = 'DefaultEndpointsProtocol=https;AccountName=${storage.name};AccountKey=${storage.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'
var contributorRoleId = 'b24988ac-6180-42a0-ab88-20f7382dd24c'

resource storage 'Microsoft.Storage/storageAccounts@2023-01-01' = {
  name: storageName
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
}

resource uami 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-orders'
  location: location
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2023-04-15' existing = {
  name: 'cosmos-orders'
}

resource fn 'Microsoft.Web/sites@2023-01-01' = {
  name: 'fn-orders'
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${uami.id}': {}
    }
  }
  properties: {
    siteConfig: {
      appSettings: [
        {
          name: 'AzureWebJobsStorage'
          value: storageConnection
        }
        {
          name: 'CosmosConnection'
          value: cosmos.listConnectionStrings().connectionStrings[0].connectionString
        }
        { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
      ]
    }
  }
}

resource web 'Microsoft.Web/sites@2023-01-01' = {
  name: 'web-orders'
  location: location
  properties: {}
  resource settings 'config' = {
    name: 'appsettings'
    properties: {
      // KEY: listKeys(storage.id, '2023-01-01') is not used here
      STORAGE_KEY: listKeys(storage.id, '2023-01-01').keys[0].value
    }
  }
}

resource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, uami.id, contributorRoleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', contributorRoleId)
    principalId: uami.properties.principalId
    principalType: 'ServicePrincipal'
  }
}
"""  # noqa: E501

ARM = """\
{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "appName": { "type": "string", "defaultValue": "fn-orders" }
  },
  "variables": {
    "storageName": "[concat('st', uniqueString(resourceGroup().id))]",
    "storageId": "[resourceId('Microsoft.Storage/storageAccounts', variables('storageName'))]",
    "sbConnection": "[listKeys(resourceId('Microsoft.ServiceBus/namespaces/authorizationRules', 'sb-orders', 'RootManageSharedAccessKey'), '2022-10-01-preview').primaryConnectionString]",
    "readerRole": "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7-3c48-4d05-aeea-3a1c1fd4c14b')]"
  },
  "resources": [
    {
      "type": "Microsoft.Web/sites",
      "apiVersion": "2022-03-01",
      "name": "[parameters('appName')]",
      "location": "[resourceGroup().location]",
      "kind": "functionapp",
      "identity": {
        "type": "SystemAssigned"
      },
      "properties": {
        "siteConfig": {
          "appSettings": [
            {
              "name": "AzureWebJobsStorage",
              "value": "[concat('DefaultEndpointsProtocol=https;AccountName=', variables('storageName'), ';AccountKey=', listKeys(variables('storageId'), '2022-09-01').keys[0].value)]"
            },
            {
              "name": "ServiceBusConnection",
              "value": "[variables('sbConnection')]"
            }
          ]
        }
      }
    },
    {
      "type": "Microsoft.Compute/virtualMachines",
      "apiVersion": "2023-03-01",
      "name": "vm-orders",
      "properties": {}
    },
    {
      "type": "Microsoft.Authorization/roleAssignments",
      "apiVersion": "2022-04-01",
      "scope": "[concat('Microsoft.Storage/storageAccounts/', variables('storageName'))]",
      "name": "[guid(variables('storageId'), parameters('appName'), 'reader')]",
      "properties": {
        "roleDefinitionId": "[variables('readerRole')]",
        "principalId": "[reference(resourceId('Microsoft.Web/sites', parameters('appName')), '2022-03-01', 'Full').identity.principalId]"
      }
    }
  ]
}
"""  # noqa: E501


def iac(filename: str, text: str) -> list[tuple[str, int, int, str, str]]:
    """(rule, line, column, service, setting / identity type / role) of the AZ4xx findings."""
    findings, _ = scan_bytes(filename, text.encode("utf-8"), ScanSettings(third_party=False))
    return [(f.rule_id, f.span.line, f.span.column, f.service,
             f.fields.get("setting") or f.fields.get("identity_type") or f.fields.get("role", ""))
            for f in findings if f.rule_id.startswith("AZ4")]


def findings_of(filename: str, text: str, rule: str) -> list:
    findings, _ = scan_bytes(filename, text.encode("utf-8"), ScanSettings())
    return [f for f in findings if f.rule_id == rule]


def test_terraform_findings_with_exact_lines() -> None:
    assert iac("infra/main.tf", TERRAFORM) == [
        ("AZ401", 24, 32, "storage", "AzureWebJobsStorage"),  # storage_account_access_key
        ("AZ402", 26, 3, "other", "SystemAssigned"),
        ("AZ401", 31, 30, "servicebus", "ServiceBusConnection"),  # through local.sb_conn
        ("AZ401", 32, 30, "cosmos", "CosmosConnection"),
        ("AZ401", 33, 122, "storage", "BlobConn"),  # interpolated into a connection string
        ("AZ402", 41, 3, "other", "SystemAssigned, UserAssigned"),
        ("AZ401", 50, 13, "eventhubs", "Events"),  # connection_string { name = "Events" value = ... }
        ("AZ402", 55, 1, "other", "none"),
        ("AZ401", 59, 13, "storage", "storage-conn"),  # container app secret
        ("AZ403", 74, 26, "storage", "Owner"),
        ("AZ403", 80, 24, "keyvault", "Reader"),  # by role-definition GUID
    ]


def test_terraform_messages_name_the_alternative() -> None:
    wiring = findings_of("main.tf", TERRAFORM, "AZ401")
    host = wiring[0]
    assert host.message.startswith("azurerm_linux_function_app.fn is wired with the storage key "
                                   "(azurerm_storage_account.sa.primary_access_key) in AzureWebJobsStorage: ")
    assert "AzureWebJobsStorage__accountName = <account>" in host.message
    assert "storage_uses_managed_identity = true" in host.message
    assert host.fields["app"] == "azurerm_linux_function_app.fn"
    assert host.key_path == "azurerm_linux_function_app.fn.AzureWebJobsStorage"
    assert "ServiceBusConnection__fullyQualifiedNamespace" in wiring[1].message
    assert wiring[1].fields["reference"].startswith("local.sb_conn = azurerm_servicebus_namespace_authorization_rule")
    assert "CosmosConnection__accountEndpoint" in wiring[2].message
    assert all(f.severity.label == "warning" and f.kind.value == "infrastructure" and not f.secret_hash
               for f in wiring)
    identity = findings_of("main.tf", TERRAFORM, "AZ402")[1]
    assert identity.severity.label == "note"
    assert identity.fields == {"resource": "azurerm_linux_web_app.api", "resource_type": "azurerm_linux_web_app",
                               "identity_type": "SystemAssigned, UserAssigned",
                               "user_assigned": "azurerm_user_assigned_identity.orders"}
    owner = findings_of("main.tf", TERRAFORM, "AZ403")[0]
    assert owner.fields["data_role"] == "Storage Blob Data Contributor"
    assert "assign Storage Blob Data Contributor instead" in owner.message


def test_bicep_findings_with_exact_lines() -> None:
    assert iac("infra/main.bicep", BICEP) == [
        ("AZ402", 28, 3, "other", "UserAssigned"),
        ("AZ401", 39, 18, "storage", "AzureWebJobsStorage"),  # var storageConnection = '...${storage.listKeys()...'
        ("AZ401", 43, 18, "cosmos", "CosmosConnection"),  # cosmos.listConnectionStrings() on an existing resource
        ("AZ402", 51, 1, "other", "none"),
        ("AZ401", 59, 20, "storage", "STORAGE_KEY"),  # nested 'config' resource; the comment above is ignored
        ("AZ403", 68, 23, "storage", "Contributor"),  # the GUID comes from a var
    ]
    identity = findings_of("main.bicep", BICEP, "AZ402")[0]
    assert identity.fields["user_assigned"] == "uami"


def test_arm_findings_with_exact_lines() -> None:
    assert iac("azuredeploy.json", ARM) == [
        ("AZ402", 20, 7, "other", "SystemAssigned"),
        ("AZ401", 28, 122, "storage", "AzureWebJobsStorage"),
        ("AZ401", 32, 26, "servicebus", "ServiceBusConnection"),  # through variables('sbConnection')
        ("AZ402", 39, 7, "other", "none"),  # a VM without identity
        ("AZ403", 50, 30, "storage", "Reader"),
    ]
    reader = findings_of("azuredeploy.json", ARM, "AZ403")[0]
    assert reader.fields["data_role"] == "Storage Blob Data Reader"


def test_not_iac_and_broken_templates_do_not_crash() -> None:
    settings = '{\n  "ConnectionStrings": {\n    "Db": "[listKeys(x)]"\n  }\n}\n'
    assert iac("appsettings.json", settings) == []  # not an ARM template
    for cut in (len(TERRAFORM) // 3, len(TERRAFORM) // 2):
        iac("main.tf", TERRAFORM[:cut])  # unterminated blocks: whatever is found, never an exception
    iac("main.bicep", "resource x 'Microsoft.Web/sites@2023-01-01' = {\n  name: 'x\n  identity: {")
    iac("azuredeploy.json", '{"resources": [{"type": "Microsoft.Web/sites", "apiVersion": "1", "name": "a\\"')


def test_commented_out_and_human_principals_are_not_reported() -> None:
    text = ('resource "azurerm_linux_web_app" "api" {\n'
            '  identity {\n    type = "SystemAssigned"\n  }\n'
            '  # app_settings = { "K" = azurerm_storage_account.sa.primary_access_key }\n'
            '  /* "K2" = azurerm_storage_account.sa.primary_access_key */\n}\n'
            'resource "azurerm_role_assignment" "dev" {\n'
            '  scope                = azurerm_storage_account.sa.id\n'
            '  role_definition_name = "Contributor"\n'
            '  principal_id         = var.developer_object_id\n}\n')
    assert iac("main.tf", text) == [("AZ402", 2, 3, "other", "SystemAssigned")]


def test_crlf_templates_keep_their_lines() -> None:
    text = TERRAFORM.replace("\n", "\r\n")
    assert [row[:2] for row in iac("main.tf", text)] == [row[:2] for row in iac("main.tf", TERRAFORM)]


def test_ignoring_the_rules_turns_the_analysis_off() -> None:
    findings, _ = scan_bytes("main.tf", TERRAFORM.encode(), ScanSettings(ignore=("AZ4",)))
    assert not [f for f in findings if f.rule_id.startswith("AZ4")]


def test_report_reuses_declared_user_assigned_identities(tmp_path: Path) -> None:
    declared = [{"resource": "fn", "identity_type": "UserAssigned", "user_assigned": "uami"},
                {"resource": "web", "identity_type": "none"}]
    identity = deploy.recommend(tmp_path, {".": set()}, {"aks": [], "vmss": [], "vm": []}, declared)
    assert identity["type"] == "user-assigned"
    assert any("reuse them" in r and "uami" in r for r in identity["reasons"])
    assert identity["commands"][1] == "# reuse uami (declared in the infrastructure code): <identity-name> is its name"


def test_report_keeps_system_assigned_for_one_app(tmp_path: Path) -> None:
    declared = [{"resource": "azurerm_linux_web_app.api", "identity_type": "SystemAssigned"}]
    identity = deploy.recommend(tmp_path, {".": set()}, {"aks": [], "vmss": [], "vm": []}, declared)
    assert identity["type"] == "system-assigned"
    assert identity["reasons"][-1] == ("the infrastructure code already gives azurerm_linux_web_app.api a "
                                       "system-assigned identity")


def test_report_build_feeds_iac_identities(tmp_path: Path) -> None:
    from mi_migrate.api import build_report
    from mi_migrate.fix.model import FixOptions

    (tmp_path / "requirements.txt").write_text("azure-storage-blob\n")
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.bicep").write_text(BICEP)
    report = build_report(FixOptions(paths=(str(tmp_path),), write=False))
    assert report["identity"]["type"] == "user-assigned"
    # infrastructure findings do not make the infra folder an app (the requirements.txt root is the one app)
    apps = report["identity"]["apps"]
    assert [Path(a["path"]).name for a in apps] == [tmp_path.name]
    kinds = {f["rule_id"]: f["kind"] for f in report["findings"]}
    assert kinds["AZ401"] == kinds["AZ403"] == "infrastructure"


def test_runs_without_text_rule_keywords_or_third_party() -> None:
    text = 'resource "azurerm_linux_web_app" "a" {\n  identity {\n    type = "SystemAssigned"\n  }\n}\n'
    findings, _ = scan_bytes("x.tf", text.encode(), ScanSettings(third_party=False, python=False))
    assert [(f.rule_id, f.span.line) for f in findings] == [("AZ402", 2)]
