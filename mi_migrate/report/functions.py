"""Report sections about where the code runs and what goes wrong: Azure Functions identity-based connections,
AKS workload identity, third-party secrets to Key Vault, and troubleshooting tied to findings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mi_migrate.finding import Kind
from mi_migrate.report import deploy, roles
from mi_migrate.report.resources import Grouper, Resource, setting_name

CLIENT_ID_VALUE = "<client-id of the user-assigned identity>"


def _connection_settings(name: str, resource: Resource | None, uses: set[tuple[str, str]],
                         user_assigned: bool) -> tuple[list[dict[str, str]], list[str]]:
    exts = {ext for ext, _ in uses}
    endpoint = resource.endpoint if resource else None
    kind = resource.type if resource else next(iter(sorted(exts)), "storage")
    out: list[dict[str, str]] = []
    notes: list[str] = []
    if kind == "storage" or exts & {"blob", "queue", "table"}:
        account = resource.display_name if resource else "<account>"
        base = endpoint or f"https://{account}.blob.core.windows.net"
        if name == "AzureWebJobsStorage" and not exts:
            out.append({"name": f"{name}__accountName", "value": account})
        else:
            if "blob" in exts:
                out.append({"name": f"{name}__blobServiceUri", "value": deploy.storage_uri(base, "blob")})
            if "queue" in exts or ("blob", "trigger") in uses:
                out.append({"name": f"{name}__queueServiceUri", "value": deploy.storage_uri(base, "queue")})
            if "table" in exts:
                out.append({"name": f"{name}__tableServiceUri", "value": deploy.storage_uri(base, "table")})
            if name == "AzureWebJobsStorage":
                notes.append(f"For the host alone, `AzureWebJobsStorage__accountName={account}` is enough (public "
                             "cloud, default DNS); the bindings on this connection need the service URIs above.")
    elif kind in ("servicebus", "eventhubs"):
        host = urlsplit(endpoint if endpoint and "://" in endpoint else f"sb://{endpoint or ''}").hostname
        out.append({"name": f"{name}__fullyQualifiedNamespace",
                    "value": host or f"{resource.display_name if resource else '<namespace>'}.servicebus.windows.net"})
    elif kind == "cosmos":
        out.append({"name": f"{name}__accountEndpoint", "value": endpoint or "https://<account>.documents.azure.com:443/"})
    elif kind == "eventgrid":
        out.append({"name": f"{name}__topicEndpointUri", "value": endpoint or "<topic endpoint>"})
    else:
        out.append({"name": f"{name}__serviceUri", "value": endpoint or "<endpoint>"})
    out.append({"name": f"{name}__credential", "value": "managedidentity"})
    if user_assigned:
        out.append({"name": f"{name}__clientId", "value": CLIENT_ID_VALUE})
    return out, notes


def functions_section(root: Path, pairs: list[Any], by_entry: dict[str, Resource], grouper: Grouper,
                      identity: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per Functions app (a folder with host.json): its connections and their identity-based form."""
    apps = sorted({deploy.app_dir(root, e["path"]) for e, _, _ in pairs
                   if deploy.host_kind(root, deploy.app_dir(root, e["path"])) == "functionapp"})
    user_assigned = identity["type"] == "user-assigned"
    sections = []
    for app in apps:
        folder = root / app
        bindings = deploy.function_bindings(folder)
        secrets: dict[str, Resource | None] = {}
        for entry, finding, _ in pairs:
            if finding is None or finding.kind != Kind.SECRET or deploy.app_dir(root, entry["path"]) != app:
                continue
            if not entry["path"].endswith("local.settings.json"):
                continue
            name = setting_name(grouper, finding)
            if name:
                secrets[name] = by_entry.get(entry["id"])
        connections = []
        for name in sorted(set(bindings) | set(secrets)):
            uses = {(ext, direction) for ext, direction, _ in bindings.get(name, [])}
            resource = secrets.get(name)
            settings, notes = _connection_settings(name, resource, uses, user_assigned)
            grant_roles: list[str] = []
            for use in sorted(uses):
                grant_roles += deploy.FUNCTION_ROLES.get(use, [])
            if name == "AzureWebJobsStorage":
                grant_roles.append("Storage Blob Data Owner")
                if ("blob", "trigger") in uses:
                    grant_roles += ["Storage Account Contributor", "Storage Queue Data Contributor"]
            grants = roles.reduce([roles.Grant(r, "cosmos" if r.startswith("Cosmos") else "rbac",
                                               f"Functions bindings on {name}: "
                                               + ", ".join(sorted({b for _, _, b in bindings.get(name, [])}) or
                                                           ["host storage"]))
                                   for r in grant_roles])
            if resource is not None:
                resource.grants.extend(grants)
            extensions = []
            for ext in sorted({ext for ext, _ in uses}):
                package, min_ext, min_bundle = deploy.MIN_VERSIONS[ext]
                check = deploy.bundle_check(folder, min_bundle)
                extensions.append({"binding": ext, "package": package, "min_extension": min_ext,
                                   "min_bundle": min_bundle, "bundle": check["declared"], "bundle_ok": check["ok"]})
            connections.append({
                "name": name, "resource": resource.id if resource else None,
                "bindings": sorted({b for _, _, b in bindings.get(name, [])}), "settings": settings,
                "delete": [name], "roles": [g.role for g in grants], "extensions": extensions, "notes": notes})
        sections.append({"app": app, "host_json": (folder / "host.json").exists(),
                         "local_settings": (folder / "local.settings.json").exists(), "connections": connections,
                         "notes": ["Identity-based connections need Functions runtime 4.x.",
                                   "Do not set `__credential` in local.settings.json: locally the connection uses "
                                   "your developer sign-in (az login), which needs the same roles."]})
    return sections


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
