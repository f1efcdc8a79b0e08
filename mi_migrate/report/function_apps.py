"""Azure Functions apps (a folder with `host.json`): each connection their bindings and host use, and its
identity-based form (migration.md §7, [FUNC-REF]).

* Host storage `AzureWebJobsStorage` → `AzureWebJobsStorage__accountName` (+ `__credential` / `__clientId` for a
  user-assigned identity); roles by what the app runs: the host alone needs Storage Blob Data Owner; a blob trigger
  adds Storage Queue Data Contributor and Storage Account Contributor; Durable Functions need Blob, Queue and Table
  Data Contributor.
* `AzureWebJobsDashboard` and `WEBSITE_CONTENTAZUREFILECONNECTIONSTRING` have no identity form: no setting is
  invented for them. The first is unused by Functions 4.x (Application Insights replaces it); the second mounts the
  content share with the account key on Consumption and Elastic Premium plans, so `allowSharedKeyAccess: false`
  on that account stops the app.
* Cosmos DB bindings that name `connectionStringSetting` are extension 3.x, which has no identity mode: the
  extension moves to 4.x first (`connection` = `<Name>__accountEndpoint`).
* A connection setting is deleted only when nothing else in the repository reads it.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from mi_migrate.core.finding import Kind
from mi_migrate.report import deploy, roles
from mi_migrate.report.apps import Apps, is_test_path
from mi_migrate.report.resources import Grouper, Resource, setting_name
from mi_migrate.report.settings_reads import RepoIndex, describe, read_steps

CLIENT_ID_VALUE = "<client-id of the user-assigned identity>"
HOST = "AzureWebJobsStorage"
NO_IDENTITY = {
    "AzureWebJobsDashboard": "Functions 4.x does not use AzureWebJobsDashboard (Application Insights replaces it): "
                             "delete it; it has no identity-based form.",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING": (
        "The content share (Azure Files) of a Consumption or Elastic Premium plan is mounted with this key: it has no "
        "identity-based form. Keep it, and do not set `allowSharedKeyAccess: false` on that storage account (the app "
        "stops starting); to remove the key, move the app to a Dedicated or Flex Consumption plan, or keep the "
        "content share on a separate account that keeps shared-key access."),
}
# function.json types and Python v2 decorators beyond deploy.BINDINGS: Durable, timers, Cosmos v3
EXTRA = {"orchestrationtrigger": ("durable", "trigger"), "activitytrigger": ("durable", "trigger"),
         "entitytrigger": ("durable", "trigger"), "durableclient": ("durable", "input"),
         "orchestrationclient": ("durable", "input"), "orchestration_trigger": ("durable", "trigger"),
         "activity_trigger": ("durable", "trigger"), "entity_trigger": ("durable", "trigger"),
         "durable_client_input": ("durable", "input"), "timertrigger": ("timer", "trigger"),
         "timer_trigger": ("timer", "trigger"),
         "cosmos_db_trigger_v3": ("cosmos", "trigger"), "cosmos_db_input_v3": ("cosmos", "input"),
         "cosmos_db_output_v3": ("cosmos", "output")}
STORAGE_EXTS = ("blob", "queue", "table")
GENERIC = {"blob", "queue", "table", "eventgrid", "cosmosdb", "servicebus", "eventhub", "timertrigger"}


def _kind(name: str) -> tuple[str, str] | None:
    key = name.lower() if name.lower() in deploy.BINDINGS or name.lower() in EXTRA else name
    return deploy.BINDINGS.get(key) or EXTRA.get(key)


def bindings(folder: Path) -> list[dict[str, Any]]:
    """[{connection, ext, direction, binding, v3}] from function.json files and Python v2 decorators."""
    found: list[dict[str, Any]] = []
    for path in deploy.repo_files(folder, (".py", "function.json"), limit=400):
        rel = path.relative_to(folder).as_posix()
        if is_test_path(rel):
            continue
        try:
            text = path.read_text(encoding="utf-8-sig", errors="replace")
        except OSError:
            continue
        if path.name == "function.json":
            try:
                items = json.loads(text).get("bindings", [])
            except (ValueError, AttributeError):
                continue
            for b in items if isinstance(items, list) else []:
                if not isinstance(b, dict):
                    continue
                kind = _kind(str(b.get("type", "")))
                if kind is None:
                    continue
                ext, direction = kind
                if direction == "io":
                    direction = "input" if b.get("direction") == "in" else "output"
                v3 = "connectionStringSetting" in b
                conn = b.get("connection") or b.get("connectionStringSetting") or (
                    HOST if ext in STORAGE_EXTS else None)
                found.append({"connection": str(conn) if conn else None, "ext": ext, "direction": direction,
                              "binding": str(b.get("type")), "v3": v3, "path": rel})
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError):
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            kind = _kind(node.func.attr)
            if kind is None or node.func.attr in GENERIC:  # x.blob(...) in Python is not a binding
                continue
            ext, direction = kind
            words = {k.arg: k.value for k in node.keywords if k.arg}
            v3 = "connection_string_setting" in words or node.func.attr.endswith("_v3")
            value = words.get("connection") or words.get("connection_string_setting")
            conn = value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None
            if conn is None and ext in STORAGE_EXTS:
                conn = HOST
            found.append({"connection": conn, "ext": ext, "direction": direction, "binding": node.func.attr,
                          "v3": v3, "path": rel})
    return found


def host_roles(uses: list[dict[str, Any]]) -> list[str]:
    """The roles host storage needs for what the app runs (migration.md §7)."""
    exts = {(u["ext"], u["direction"]) for u in uses}
    out = ["Storage Blob Data Owner"]
    if ("blob", "trigger") in exts:
        out += ["Storage Queue Data Contributor", "Storage Account Contributor"]
    if any(ext == "durable" for ext, _ in exts):
        out += ["Storage Blob Data Contributor", "Storage Queue Data Contributor", "Storage Table Data Contributor"]
    return out


def _settings(name: str, resource: Resource | None, uses: list[dict[str, Any]], user_assigned: bool,
              ) -> tuple[list[dict[str, str]], list[str]]:
    exts = {u["ext"] for u in uses if u["connection"] == name}
    endpoint = resource.endpoint if resource else None
    kind = resource.type if resource else next(iter(sorted(exts)), "storage")
    out: list[dict[str, str]] = []
    notes: list[str] = []
    account = resource.display_name if resource and resource.name else "<storage-account-name>"
    if name == HOST:
        out.append({"name": f"{name}__accountName", "value": account})
        notes.append("`AzureWebJobsStorage__accountName` serves the host and the Storage bindings on this connection "
                     "(public cloud, default DNS); with a custom domain or a sovereign cloud set "
                     "`AzureWebJobsStorage__blobServiceUri`, `__queueServiceUri` and `__tableServiceUri` instead.")
        if user_assigned:
            out += [{"name": f"{name}__credential", "value": "managedidentity"},
                    {"name": f"{name}__clientId", "value": CLIENT_ID_VALUE}]
        return out, notes
    if kind == "storage" or exts & set(STORAGE_EXTS):
        base = endpoint or f"https://{account}.blob.core.windows.net"
        if "blob" in exts:
            out.append({"name": f"{name}__blobServiceUri", "value": deploy.storage_uri(base, "blob")})
        if "queue" in exts or any(u["ext"] == "blob" and u["direction"] == "trigger" and u["connection"] == name
                                  for u in uses):
            out.append({"name": f"{name}__queueServiceUri", "value": deploy.storage_uri(base, "queue")})
        if "table" in exts:
            out.append({"name": f"{name}__tableServiceUri", "value": deploy.storage_uri(base, "table")})
        if not out:
            out.append({"name": f"{name}__blobServiceUri", "value": deploy.storage_uri(base, "blob")})
    elif kind in ("servicebus", "eventhubs"):
        host = None
        if endpoint:
            from urllib.parse import urlsplit

            host = urlsplit(endpoint if "://" in endpoint else f"sb://{endpoint}").hostname
        out.append({"name": f"{name}__fullyQualifiedNamespace",
                    "value": host or f"{resource.display_name if resource else '<namespace>'}.servicebus.windows.net"})
    elif kind == "cosmos":
        out.append({"name": f"{name}__accountEndpoint",
                    "value": endpoint or "https://<account>.documents.azure.com:443/"})
    elif kind == "eventgrid":
        out.append({"name": f"{name}__topicEndpointUri", "value": endpoint or "<topic endpoint>"})
    else:
        out.append({"name": f"{name}__serviceUri", "value": endpoint or "<endpoint>"})
    out.append({"name": f"{name}__credential", "value": "managedidentity"})
    if user_assigned:
        out.append({"name": f"{name}__clientId", "value": CLIENT_ID_VALUE})
    return out, notes


def connection_names(sections: list[dict[str, Any]]) -> set[str]:
    return {c["name"] for s in sections for c in s["connections"]} | set(NO_IDENTITY) | {HOST}


def functions_section(root: Path, pairs: list[Any], by_entry: dict[str, Resource], grouper: Grouper,
                      identity: dict[str, Any], apps: Apps, index: RepoIndex) -> list[dict[str, Any]]:
    """One entry per Functions app with a connection to migrate: its connections and their identity-based form."""
    folders = sorted({apps.deployable(rel) or "." for rel in index.files()
                      if rel.endswith("host.json") and not is_test_path(rel)})
    folders = [f for f in folders if (root / f / "host.json").is_file()]
    per_app = identity.get("per_app", {})
    sections = []
    for app in folders:
        folder = root / app
        uses = bindings(folder)
        secrets: dict[str, Resource | None] = {}
        for entry, finding, _ in pairs:
            if finding is None or apps.deployable(entry["path"]) != app:
                continue
            if finding.kind == Kind.SECRET and "local.settings" in entry["path"]:
                name = setting_name(grouper, finding)
            elif finding.kind == Kind.INFRASTRUCTURE and finding.fields.get("setting"):
                name = finding.fields["setting"]
            else:
                continue
            if name:
                secrets[name] = secrets.get(name) or by_entry.get(entry["id"])
        bound = {u["connection"] for u in uses if u["connection"]}
        # only connections the host or a binding reads; other settings (read by code) are plain app settings
        names = bound | {n for n in secrets if n in bound or n == HOST or n in NO_IDENTITY}
        if not names:
            continue
        user_assigned = per_app.get(app, {}).get("kind") == "user-assigned" or identity["type"] == "user-assigned"
        connections = [_connection(name, app, folder, uses, secrets.get(name), user_assigned, index)
                       for name in sorted(names)]
        connections = [c for c in connections if c is not None]
        if not connections:
            continue
        for c, name in ((c, c["name"]) for c in connections):
            resource = secrets.get(name)
            if resource is not None and c["_grants"]:
                resource.grants.extend(c["_grants"])
                resource.apps.add(app)
                resource.app_grants.setdefault(app, []).extend(c["_grants"])
            del c["_grants"]
        sections.append({"app": app, "host_json": True, "local_settings": (folder / "local.settings.json").exists(),
                         "connections": connections,
                         "notes": ["Identity-based connections need Functions runtime 4.x "
                                   "(FUNCTIONS_EXTENSION_VERSION=~4).",
                                   "Do not set `__credential` in local.settings.json: locally the connection uses "
                                   "your developer sign-in (az login), which needs the same roles."]})
    return sections


def _connection(name: str, app: str, folder: Path, uses: list[dict[str, Any]], resource: Resource | None,
                user_assigned: bool, index: RepoIndex) -> dict[str, Any] | None:
    mine = [u for u in uses if u["connection"] == name]
    v3 = any(u["v3"] for u in mine)
    notes: list[str] = []
    if name in NO_IDENTITY:
        settings: list[dict[str, str]] = []
        notes.append(NO_IDENTITY[name])
        grant_roles: list[str] = []
    else:
        settings, notes = _settings(name, resource, uses, user_assigned)
        grant_roles = host_roles(uses) if name == HOST else []
        for u in mine:
            grant_roles += deploy.FUNCTION_ROLES.get((u["ext"], u["direction"]), [])
    if v3:
        notes.insert(0, f"`{name}` is read by Cosmos DB bindings through `connectionStringSetting` (extension 3.x), "
                        "which has no identity-based connection: move to Microsoft.Azure.WebJobs.Extensions.CosmosDB "
                        "4.x (extension bundle [4.*, 5.0.0)), rename `connectionStringSetting` to `connection` "
                        "(`connection_string_setting` to `connection` in Python decorators; `collectionName` becomes "
                        f"`containerName`), then set `{name}__accountEndpoint`.")
    # a read that is not an identity-capable binding keeps the setting alive
    blockers = [r for r in index.reads(name)
                if not (r.kind == "binding" and r.detail.lower() != "connectionstringsetting"
                        and "connection_string_setting" not in index.text(r.path).splitlines()[r.line - 1])]
    if name == "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING":
        delete: list[str] = []
    elif blockers:
        delete = []
        notes.insert(0, f"Keep `{name}` until these reads are gone: {describe(blockers)}.")
    else:
        delete = [name]
    grants = roles.reduce([roles.Grant(r, "cosmos" if r.startswith("Cosmos") else "rbac",
                                       f"Functions bindings on {name}: "
                                       + ", ".join(sorted({u['binding'] for u in mine}) or ["host storage"]))
                           for r in grant_roles])
    extensions = []
    for ext in sorted({u["ext"] for u in mine if u["ext"] in deploy.MIN_VERSIONS}):
        package, min_ext, min_bundle = deploy.MIN_VERSIONS[ext]
        check = deploy.bundle_check(folder, min_bundle)
        extensions.append({"binding": ext, "package": package, "min_extension": min_ext, "min_bundle": min_bundle,
                           "bundle": check["declared"], "bundle_ok": check["ok"] and not (ext == "cosmos" and v3)})
    return {"name": name, "resource": resource.id if resource else None,
            "bindings": sorted({u["binding"] for u in mine}), "settings": settings, "delete": delete,
            "reads": read_steps(blockers), "roles": [g.role for g in grants], "extensions": extensions,
            "notes": notes, "_grants": grants}
