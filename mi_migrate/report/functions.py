"""Report sections about where the code runs and what goes wrong (Azure Functions apps: function_apps.py):
AKS workload identity, third-party secrets to Key Vault, and troubleshooting tied to findings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mi_migrate.core.finding import Kind
from mi_migrate.report import deploy, roles
from mi_migrate.report.resources import Grouper, setting_name

CLIENT_ID_VALUE = "<client-id of the user-assigned identity>"


def aks_section(root: Path, hints: dict[str, list[str]], identity: dict[str, Any]) -> dict[str, Any] | None:
    if not hints["aks"]:
        return None
    workloads = []
    for rel in hints["aks"]:
        path = root / rel if (root / rel).exists() else Path(rel)
        text = path.read_text(encoding="utf-8", errors="replace")
        for doc in re.split(r"(?m)^---\s*$", text):
            kind = re.search(r"(?m)^kind:\s*(\w+)", doc)
            if not kind or kind.group(1) not in deploy.WORKLOAD_KINDS:
                continue
            name = re.search(r"(?m)^metadata:\s*\n(?:\s+.*\n)*?\s+name:\s*['\"]?([\w.-]+)", doc)
            namespace = re.search(r"(?m)^\s+namespace:\s*['\"]?([\w.-]+)", doc)
            account = re.search(r"(?m)^\s+serviceAccountName:\s*['\"]?([\w.-]+)", doc)
            workloads.append({"manifest": rel, "kind": kind.group(1), "name": name.group(1) if name else "<name>",
                              "namespace": namespace.group(1) if namespace else "default",
                              "service_account": account.group(1) if account else None})
    commands = ['az aks update -g "$RG" -n <cluster> --enable-oidc-issuer --enable-workload-identity',
                'AKS_OIDC_ISSUER=$(az aks show -g "$RG" -n <cluster> --query oidcIssuerProfile.issuerUrl -o tsv)']
    accounts = []
    for w in workloads:
        sa = w["service_account"] or f"{w['name']}-sa"
        if (w["namespace"], sa) in accounts:
            continue
        accounts.append((w["namespace"], sa))
        commands.append(f"az identity federated-credential create --name {sa}-federated -g \"$RG\" "
                        f"--identity-name {deploy.IDENTITY} --issuer \"$AKS_OIDC_ISSUER\" "
                        f"--subject system:serviceaccount:{w['namespace']}:{sa} --audience api://AzureADTokenExchange")
    yaml = []
    for namespace, sa in accounts:
        yaml += ["apiVersion: v1", "kind: ServiceAccount", "metadata:", f"  name: {sa}", f"  namespace: {namespace}",
                 "  annotations:", f'    azure.workload.identity/client-id: "{CLIENT_ID_VALUE}"', "---"]
    pod = ["spec:", "  template:", "    metadata:", "      labels:", '        azure.workload.identity/use: "true"',
           "    spec:", f"      serviceAccountName: {accounts[0][1] if accounts else '<service-account>'}"]
    return {"manifests": hints["aks"], "workloads": workloads, "commands": commands,
            "service_account_yaml": "\n".join(yaml[:-1]) + "\n" if yaml else "",
            "pod_template_patch": "\n".join(pod) + "\n",
            "notes": ["The webhook injects AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE and "
                      "AZURE_AUTHORITY_HOST; DefaultAzureCredential picks them up (WorkloadIdentityCredential).",
                      f"Grant the roles below to the user-assigned identity ({identity['type']} recommended)."]}


def keyvault_section(pairs: list[Any], grouper: Grouper, identity: dict[str, Any]) -> dict[str, Any]:
    entries = []
    for entry, finding, _ in pairs:
        if finding is None or finding.kind != Kind.THIRD_PARTY_SECRET:
            continue
        setting = setting_name(grouper, finding) or "<setting>"
        secret = re.sub(r"[^A-Za-z0-9-]+", "-", setting).strip("-").lower() or "secret"
        entries.append({
            "finding": entry["id"], "path": finding.path, "line": finding.span.line, "detector":
                finding.fields.get("detector") or finding.rule_name, "setting": setting, "secret_name": secret,
            "commands": [f'az keyvault secret set --vault-name <vault> -n {secret} --value "<new value>"   '
                         "# rotate at the issuer first"],
            "reference": f"{setting}=@Microsoft.KeyVault(SecretUri=https://<vault>.vault.azure.net/secrets/{secret}/)",
            "code": f'SecretClient(vault_url=os.environ["KEY_VAULT_URL"], credential=credential)'
                    f'.get_secret("{secret}").value'})
    grant = []
    if entries:
        show = roles.scope_command("keyvault", "<vault>")
        grant = [f'az role assignment create --assignee-object-id "{roles.PRINCIPAL}" --assignee-principal-type '
                 f'ServicePrincipal --role "Key Vault Secrets User" --scope "$({show})"']
    return {"role": "Key Vault Secrets User", "guid": roles.guid("Key Vault Secrets User"), "grant": grant,
            "entries": entries}


def troubleshooting(report: dict[str, Any]) -> list[dict[str, Any]]:
    findings = report["findings"]
    linked = [f["id"] for f in findings if f["resource"]]
    items = []

    def add(key: str, title: str, detail: str, applies: list[str]) -> None:
        if applies:
            items.append({"id": key, "title": title, "detail": detail, "applies_to": applies})

    add("propagation", "Role assignments take minutes to propagate",
        "A new role assignment can take a few minutes, up to about ten, before tokens carry it. A 403 right after "
        "granting usually goes away by itself: wait, then retry or restart the app (SDK clients and the token cache "
        "keep the failure for a while).", linked)
    add("forbidden", "403 AuthorizationPermissionMismatch: control-plane role or wrong scope",
        "Reader, Contributor and Owner are control-plane roles and do not grant data access; grant the data-plane "
        "role listed for the resource. Also check the scope: the role must sit on this account/namespace (or a "
        "parent). List with `az role assignment list --assignee \"$PRINCIPAL_ID\" --all -o table`; Cosmos DB "
        "assignments only show in `az cosmosdb sql role assignment list`.", linked)
    several = [f["id"] for f in findings if f["resource"]] if report["identity"]["type"] == "user-assigned" else []
    add("client-id", "Several identities: tell the SDK which one",
        "With a user-assigned identity (or several on one app) set AZURE_CLIENT_ID, or pass "
        "`DefaultAzureCredential(managed_identity_client_id=...)` / `ManagedIdentityCredential(client_id=...)`; "
        "Functions connections take `<Connection>__clientId`. Otherwise the token may come from another identity "
        "that has no role.", several)
    by = {k: [f["id"] for f in findings if f["service"] == k] for k in ("openai", "sql", "search", "cosmos")}
    add("openai-api-key", "openai: remove api_key when passing azure_ad_token_provider",
        "openai 1.x prefers the token but still reads AZURE_OPENAI_API_KEY; recent versions raise "
        "MutuallyExclusiveAuthError when both are given. Delete the api_key argument and the setting.", by["openai"])
    add("sql-connection-string", "Azure SQL: no UID/PWD/Authentication in the connection string",
        "With an access token (attrs_before={1256: token}) the ODBC connection string must not contain UID, PWD, "
        "Authentication or Trusted_Connection. The database user for the identity must exist (see the SQL).",
        by["sql"])
    add("search-rbac", "AI Search: enable role-based access on the service",
        "Until `--auth-options aadOrApiKey` (or `--disable-local-auth`) is set the service rejects Entra tokens.",
        by["search"])
    add("cosmos-control-plane", "Cosmos DB: creating databases or containers needs control plane",
        "Data-plane roles cover items and queries; create_database_if_not_exists / create_container_if_not_exists "
        "fail under them. Create them in Bicep/Terraform.", by["cosmos"])
    functions_ids = [f["id"] for f in findings if any(f["path"].startswith(s["app"].rstrip("/") + "/")
                                                      or s["app"] == "." for s in report["functions"])]
    add("functions-local", "Functions locally: no __credential, sign in with az login",
        "Keep `__credential=managedidentity` for Azure only; locally the identity-based connection uses your "
        "developer credential, which needs the same data roles.", functions_ids)
    return items
