"""Where the code runs: deployable apps in the repository, the identity to give them, Azure Functions
identity-based connections and AKS workload identity. Only file names and structure are read, never values.
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

IDENTITY = "<identity-name>"
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", "build", "dist"}
APP_MARKERS = ("host.json", "Dockerfile", "requirements.txt", "pyproject.toml", "setup.py", "function.json")
ASSIGN = {
    "webapp": "az webapp identity assign -g \"$RG\" -n {app}",
    "functionapp": "az functionapp identity assign -g \"$RG\" -n {app}",
    "containerapp": "az containerapp identity assign -g \"$RG\" -n {app}",
    "vm": "az vm identity assign -g \"$RG\" -n {app}",
    "vmss": "az vmss identity assign -g \"$RG\" -n {app}",
}
CLIENT_ID_SETTING = {
    "webapp": "az webapp config appsettings set -g \"$RG\" -n {app} --settings AZURE_CLIENT_ID=\"$CLIENT_ID\"",
    "functionapp": "az functionapp config appsettings set -g \"$RG\" -n {app} "
                   "--settings AZURE_CLIENT_ID=\"$CLIENT_ID\"",
    "containerapp": "az containerapp update -g \"$RG\" -n {app} --set-env-vars AZURE_CLIENT_ID=\"$CLIENT_ID\"",
}
# Functions binding → (extension, direction); decorator names (Python v2 model) and function.json types
BINDINGS = {
    "blob_trigger": ("blob", "trigger"), "blob_input": ("blob", "input"), "blob_output": ("blob", "output"),
    "queue_trigger": ("queue", "trigger"), "queue_output": ("queue", "output"),
    "table_input": ("table", "input"), "table_output": ("table", "output"),
    "service_bus_queue_trigger": ("servicebus", "trigger"), "service_bus_topic_trigger": ("servicebus", "trigger"),
    "service_bus_queue_output": ("servicebus", "output"), "service_bus_topic_output": ("servicebus", "output"),
    "event_hub_message_trigger": ("eventhubs", "trigger"), "event_hub_output": ("eventhubs", "output"),
    "cosmos_db_trigger": ("cosmos", "trigger"), "cosmos_db_input": ("cosmos", "input"),
    "cosmos_db_output": ("cosmos", "output"), "event_grid_output": ("eventgrid", "output"),
    "blobtrigger": ("blob", "trigger"), "blob": ("blob", "io"), "queuetrigger": ("queue", "trigger"),
    "queue": ("queue", "output"), "table": ("table", "io"), "servicebustrigger": ("servicebus", "trigger"),
    "servicebus": ("servicebus", "output"), "eventhubtrigger": ("eventhubs", "trigger"),
    "eventhub": ("eventhubs", "output"), "cosmosdbtrigger": ("cosmos", "trigger"), "cosmosdb": ("cosmos", "io"),
    "eventgrid": ("eventgrid", "output"),
}
FUNCTION_ROLES = {  # migration.md §7
    ("blob", "trigger"): ["Storage Blob Data Owner", "Storage Queue Data Contributor"],
    ("blob", "input"): ["Storage Blob Data Reader"], ("blob", "output"): ["Storage Blob Data Owner"],
    ("blob", "io"): ["Storage Blob Data Owner"],
    ("queue", "trigger"): ["Storage Queue Data Reader", "Storage Queue Data Message Processor"],
    ("queue", "output"): ["Storage Queue Data Message Sender"],
    ("table", "input"): ["Storage Table Data Reader"], ("table", "output"): ["Storage Table Data Contributor"],
    ("table", "io"): ["Storage Table Data Contributor"],
    ("servicebus", "trigger"): ["Azure Service Bus Data Receiver"],
    ("servicebus", "output"): ["Azure Service Bus Data Sender"],
    ("eventhubs", "trigger"): ["Azure Event Hubs Data Receiver"],
    ("eventhubs", "output"): ["Azure Event Hubs Data Sender"],
    ("cosmos", "trigger"): ["Cosmos DB Built-in Data Contributor"],
    ("cosmos", "input"): ["Cosmos DB Built-in Data Reader"],
    ("cosmos", "output"): ["Cosmos DB Built-in Data Contributor"],
    ("cosmos", "io"): ["Cosmos DB Built-in Data Contributor"],
    ("eventgrid", "output"): ["EventGrid Data Sender"],
}
MIN_VERSIONS = {  # extension, bundle (migration.md §7, [FUNC-REF])
    "blob": ("Microsoft.Azure.WebJobs.Extensions.Storage.Blobs", "5.0.0", "3.3.0"),
    "queue": ("Microsoft.Azure.WebJobs.Extensions.Storage.Queues", "5.0.0", "3.3.0"),
    "table": ("Microsoft.Azure.WebJobs.Extensions.Tables", "1.0.0", "3.3.0"),
    "servicebus": ("Microsoft.Azure.WebJobs.Extensions.ServiceBus", "5.0.0", "3.3.0"),
    "eventhubs": ("Microsoft.Azure.WebJobs.Extensions.EventHubs", "5.0.0", "3.3.0"),
    "cosmos": ("Microsoft.Azure.WebJobs.Extensions.CosmosDB", "4.0.0", "4.0.2"),
    "eventgrid": ("Microsoft.Azure.WebJobs.Extensions.EventGrid", "3.3.0", "3.3.0"),
}
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod")


def repo_files(root: Path, suffixes: tuple[str, ...], limit: int = 400) -> list[Path]:
    found: list[Path] = []
    stack = [root]
    while stack and len(found) < limit:
        folder = stack.pop()
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir():
                if entry.name not in SKIP_DIRS:
                    stack.append(entry)
            elif entry.name.endswith(suffixes) and entry.stat().st_size < 256_000:
                found.append(entry)
    return found


def app_dir(root: Path, rel: str) -> str:
    """The nearest ancestor of a file holding an app marker (host.json, requirements.txt, ...); else '.'."""
    parent = PurePosixPath(rel).parent
    while True:
        folder = root / parent
        if any((folder / marker).exists() for marker in APP_MARKERS):
            return str(parent)
        if str(parent) in (".", "") or parent == parent.parent:
            return "."
        parent = parent.parent


def host_kind(root: Path, app: str) -> str:
    folder = root / app
    if (folder / "host.json").exists():
        return "functionapp"
    if (folder / "Dockerfile").exists():
        return "containerapp"
    return "webapp"


def app_name(app: str) -> str:
    return "<" + (PurePosixPath(app).name if app not in (".", "") else "app") + ">"


def platform(root: Path, paths: tuple[str, ...] = (".",)) -> dict[str, list[str]]:
    """Infrastructure hints under the scanned paths: AKS manifests, scale sets, VMs."""
    hints: dict[str, list[str]] = {"aks": [], "vmss": [], "vm": []}
    files: list[Path] = []
    for given in paths:
        start = Path(given)
        if start.is_dir():
            files += repo_files(start, (".yaml", ".yml", ".bicep", ".tf", ".json"))
    for path in dict.fromkeys(files):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        try:
            rel = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            rel = path.as_posix()
        if path.suffix in (".yaml", ".yml") and re.search(r"(?m)^apiVersion:", text) and re.search(
                r"(?m)^kind:\s*(" + "|".join(WORKLOAD_KINDS) + r")\b", text):
            hints["aks"].append(rel)
        if re.search(r"virtualMachineScaleSets|_virtual_machine_scale_set\"", text):
            hints["vmss"].append(rel)
        elif re.search(r"Microsoft\.Compute/virtualMachines'|azurerm_(linux|windows)_virtual_machine\"", text):
            hints["vm"].append(rel)
    return hints


def recommend(root: Path, apps: dict[str, set[str]], hints: dict[str, list[str]],
              declared: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """System- or user-assigned identity, why, and the commands. `apps` maps app dir → resource ids it reaches;
    `declared` are the identities infrastructure code gives app resources (AZ402 fields): reuse what exists."""
    reasons: list[str] = []
    declared = [d for d in declared or [] if d.get("identity_type", "none").lower() != "none"]
    reuse = sorted({u.strip() for d in declared for u in d.get("user_assigned", "").split(",") if u.strip()})
    if reuse:
        reasons.append(f"the infrastructure code already gives apps user-assigned identities ({', '.join(reuse)}): "
                       "reuse them instead of creating another")
    shared = sorted({r for a in apps for r in apps[a] if sum(r in apps[b] for b in apps) > 1})
    if len(apps) > 1:
        reasons.append(f"{len(apps)} deployable apps in the repository ({', '.join(sorted(apps))}): one "
                       "user-assigned identity is created once, granted once, and outlives any one app")
    if shared:
        reasons.append(f"the same resource is reached from several apps ({', '.join(shared)})")
    if hints["vmss"]:
        reasons.append(f"scale sets ({', '.join(hints['vmss'])}): every instance must present the same identity")
    if hints["aks"]:
        reasons.append(f"Kubernetes manifests ({', '.join(hints['aks'])}): AKS workload identity federates a "
                       "user-assigned identity")
    user = bool(reasons)
    if not user:
        reasons.append("one app reaching its own resources: the system-assigned identity lives and dies with it")
        if declared:
            names = ", ".join(sorted({d.get("resource", "?") for d in declared}))
            reasons.append(f"the infrastructure code already gives {names} a system-assigned identity")
    hosts = [{"path": a, "host": host_kind(root, a), "name": app_name(a)} for a in sorted(apps)]
    commands = ['RG="<resource-group>"']
    if user:
        commands += [f"# reuse {reuse[0]} (declared in the infrastructure code): {IDENTITY} is its name" if reuse
                     else f'az identity create -g "$RG" -n {IDENTITY}',
                     f'PRINCIPAL_ID=$(az identity show -g "$RG" -n {IDENTITY} --query principalId -o tsv)',
                     f'CLIENT_ID=$(az identity show -g "$RG" -n {IDENTITY} --query clientId -o tsv)',
                     f'IDENTITY_ID=$(az identity show -g "$RG" -n {IDENTITY} --query id -o tsv)']
        for app in hosts:
            line = ASSIGN.get(app["host"], ASSIGN["webapp"]).format(app=app["name"])
            flag = "--user-assigned" if app["host"] == "containerapp" else "--identities"
            commands.append(f'{line} {flag} "$IDENTITY_ID"')
            if app["host"] in CLIENT_ID_SETTING:
                commands.append(CLIENT_ID_SETTING[app["host"]].format(app=app["name"]))
        for kind in ("vmss", "vm"):
            if hints[kind]:
                commands.append(ASSIGN[kind].format(app=f"<{kind}-name>") + ' --identities "$IDENTITY_ID"')
    else:
        for app in hosts:
            line = ASSIGN.get(app["host"], ASSIGN["webapp"]).format(app=app["name"])
            if app["host"] == "containerapp":
                line += " --system-assigned"
            commands.append(f"PRINCIPAL_ID=$({line} --query principalId -o tsv)")
    return {"type": "user-assigned" if user else "system-assigned", "reasons": reasons, "apps": hosts,
            "client_id_setting": "AZURE_CLIENT_ID" if user else None, "commands": commands,
            "code": ('DefaultAzureCredential(managed_identity_client_id=os.environ["AZURE_CLIENT_ID"])  '
                     '# or ManagedIdentityCredential(client_id=...)') if user else "DefaultAzureCredential()"}


# -- Azure Functions -----------------------------------------------------------------------------------------

def bundle_check(folder: Path, needed: str) -> dict[str, Any]:
    """Does host.json's extension bundle range start at or above `needed`?"""
    try:
        data = json.loads((folder / "host.json").read_text(encoding="utf-8-sig"))
        declared = str(data.get("extensionBundle", {}).get("version", ""))
    except (OSError, ValueError, AttributeError):
        declared = ""
    low = declared.strip("[( ").split(",")[0].replace("*", "999").strip()  # 4.* resolves to the newest 4.x

    def parts(v: str) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", v)[:3]) or (0,)

    ok = bool(low) and parts(low) >= parts(needed)
    return {"declared": declared or None, "needed": needed, "ok": ok}


def storage_uri(endpoint: str, service: str) -> str:
    return re.sub(r"\.(blob|queue|table|file|dfs)\.", f".{service}.", endpoint.rstrip("/"))
