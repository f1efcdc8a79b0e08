"""Deployable apps and who runs each file: an app is a unit that is deployed and gets an identity (a Functions
app with `host.json`, a folder with a `Dockerfile`, a `pyproject.toml` / `setup.py` / `requirements.txt` root),
not every `function.json` folder, not a `notebooks/` folder. Notebooks and scripts that sign in with the developer's
credential (AzureCliCredential, AzureDeveloperCliCredential, ...) run as a person: their roles go to the
developer's user or group. Test files and fixtures reach no resource.

The identity choice reads what the repository says: a client-id setting already in use (AZURE_CLIENT_ID or the
`--client-id-env` name), user-assigned identities in the infrastructure code, apps sharing resources, scale sets,
Kubernetes workload identity; otherwise each app keeps its own system-assigned identity (least privilege: no app
holds another app's roles).
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

from mi_migrate.report import deploy

DEVELOPER = "(developer)"
DEV_CREDENTIALS = ("AzureCliCredential", "AzureDeveloperCliCredential", "AzurePowerShellCredential",
                   "InteractiveBrowserCredential", "DeviceCodeCredential", "VisualStudioCodeCredential")
DEV_CREDENTIAL = re.compile(r"\b(" + "|".join(DEV_CREDENTIALS) + r")\b")
APP_MARKERS = ("Dockerfile", "pyproject.toml", "setup.py", "requirements.txt")
TEST_PARTS = {"tests", "test", "__tests__", "__mocks__", "testdata", "test_data", "fixtures", "spec", "specs"}
TEST_FILE = re.compile(r"(?i)(^test_.*\.py$|_tests?\.py$|tests?\.cs$|\.(test|spec)\.[jt]sx?$|_test\.go$|"
                       r"^conftest\.py$)")
SCRIPT_PARTS = {"scripts", "script", "tools", "notebooks", "notebook", "samples-dev", "dev"}


CI_PARTS = {".github", ".azure-pipelines", ".gitlab", ".circleci", ".devcontainer"}
DOC_SUFFIXES = (".md", ".markdown", ".rst", ".txt", ".adoc", ".html")


def is_doc_or_ci(rel: str) -> bool:
    """Documentation and CI definitions: their secrets are rotated, but they are no app's code or settings."""
    parts = PurePosixPath(rel).parts
    return rel.lower().endswith(DOC_SUFFIXES) or any(p.lower() in CI_PARTS for p in parts[:-1]) or (
        len(parts) > 0 and parts[-1].lower() in ("azure-pipelines.yml", ".gitlab-ci.yml"))


def is_test_path(rel: str) -> bool:
    parts = PurePosixPath(rel).parts
    return any(p.lower() in TEST_PARTS or p.lower().endswith(("tests", "test")) for p in parts[:-1]) or bool(
        TEST_FILE.search(parts[-1] if parts else ""))


class Apps:
    """Maps repository files to the app that runs them (or DEVELOPER, or None for tests)."""

    def __init__(self, root: Path, text_of: Any = None) -> None:
        self.root = root
        self.text_of = text_of
        self._cache: dict[str, str | None] = {}

    def _has(self, folder: PurePosixPath, marker: str) -> bool:
        return (self.root / folder / marker).is_file()

    def deployable(self, rel: str) -> str | None:
        """The nearest deployable folder holding `rel`: a host.json ancestor wins over nearer project files."""
        parents = list(PurePosixPath(rel).parents)
        for folder in parents:
            if self._has(folder, "host.json"):
                return "." if str(folder) in ("", ".") else str(folder)
        for folder in parents:
            if folder.name.lower() in ("notebooks", "notebook"):
                continue
            if any(self._has(folder, marker) for marker in APP_MARKERS):
                return "." if str(folder) in ("", ".") else str(folder)
        return None

    def of(self, rel: str) -> str | None:
        if rel not in self._cache:
            self._cache[rel] = self._of(rel)
        return self._cache[rel]

    def _of(self, rel: str) -> str | None:
        if is_test_path(rel) or is_doc_or_ci(rel):
            return None
        path = PurePosixPath(rel)
        if rel.endswith(".ipynb") or any(p.lower() in ("notebooks", "notebook") for p in path.parts[:-1]):
            return DEVELOPER
        if rel.endswith((".py", ".pyw", ".sh", ".ps1")) and self.text_of is not None:
            if DEV_CREDENTIAL.search(self.text_of(rel) or ""):
                return DEVELOPER
        app = self.deployable(rel)
        if (app is None or app == ".") and any(p.lower() in SCRIPT_PARTS for p in path.parts[:-1]):
            return DEVELOPER  # scripts/, tools/ outside any deployable unit run from a developer's machine
        if app is None:
            if rel.endswith((".tf", ".bicep", ".json", ".yaml", ".yml")):
                return None  # infrastructure outside any app folder: the apps it declares are not code folders
            return "."  # no marker anywhere: the repository root is the app
        if any(p.lower() in ("scripts", "script", "tools") for p in path.relative_to(app).parts[:-1]
               if app != ".") and rel.endswith((".py", ".sh", ".ps1")):
            return DEVELOPER
        return app

    def host(self, app: str) -> str:
        if app == DEVELOPER:
            return "developer"
        return deploy.host_kind(self.root, app)


def identity_plan(root: Path, apps: Apps, app_resources: dict[str, set[str]], hints: dict[str, list[str]],
                  declared: list[dict[str, str]], client_id_setting: str | None,
                  client_id_refs: list[str]) -> dict[str, Any]:
    """The identity section: per app system- or user-assigned, why, and the commands.

    `app_resources`: app → resource ids it reaches (DEVELOPER excluded). `client_id_refs`: where the repository
    already names a client-id setting. Apps sharing a resource share one user-assigned identity; the others keep
    their own system-assigned identity, so no identity holds roles its app does not need."""
    deployed = {a: r for a, r in app_resources.items() if a != DEVELOPER}
    declared = [d for d in declared if d.get("identity_type", "none").lower() != "none"]
    reuse = sorted({u.strip() for d in declared for u in d.get("user_assigned", "").split(",") if u.strip()})
    setting = client_id_setting or "AZURE_CLIENT_ID"
    reasons: list[str] = []
    forced = False
    if client_id_refs:
        reasons.append(f"the repository already sets `{setting}` ({', '.join(client_id_refs[:4])}): a user-assigned "
                       "identity is in use; keep it and point the rewritten code at it with that setting "
                       f"(`mi-migrate fix --client-id-env {setting}`)")
        forced = True
    elif client_id_setting:
        reasons.append(f"`--client-id-env {client_id_setting}`: the rewritten code reads the client id from it")
        forced = True
    if reuse:
        reasons.append(f"the infrastructure code already gives apps user-assigned identities ({', '.join(reuse)}): "
                       "reuse them instead of creating another")
        forced = True
    if hints.get("vmss"):
        reasons.append(f"scale sets ({', '.join(hints['vmss'])}): every instance must present the same identity")
        forced = True
    if hints.get("aks"):
        reasons.append(f"Kubernetes manifests ({', '.join(hints['aks'])}): AKS workload identity federates a "
                       "user-assigned identity")
        forced = True
    # apps sharing a resource form one group (one user-assigned identity); the rest stand alone
    groups: list[set[str]] = []
    for app in sorted(deployed):
        joined = [g for g in groups if any(deployed[app] & deployed[other] for other in g)]
        merged = {app}.union(*joined) if joined else {app}
        groups = [g for g in groups if g not in joined] + [merged]
    shared = [sorted(g) for g in groups if len(g) > 1]
    for group in shared:
        common = sorted(set.intersection(*(deployed[a] for a in group)) or set().union(*(deployed[a] for a in group)))
        reasons.append(f"apps {', '.join(group)} reach the same resources ({', '.join(common[:6])}): one user-assigned "
                       "identity for them is granted once and outlives any one app")
    per_app: dict[str, dict[str, str]] = {}
    for index, group in enumerate(sorted(groups, key=lambda g: sorted(g)), 1):
        user = forced or len(group) > 1
        name = deploy.IDENTITY if len(groups) == 1 or forced else f"<identity-{index}-name>"
        for app in group:
            per_app[app] = {"kind": "user-assigned" if user else "system-assigned",
                            "identity": name if user else f"system-assigned identity of {deploy.app_name(app)}"}
    user_any = any(v["kind"] == "user-assigned" for v in per_app.values())
    if not user_any:
        reasons.append("each app reaches its own resources: its system-assigned identity lives and dies with it and "
                       "holds only that app's roles" if deployed else
                       "no deployed app found: only developer credentials need roles")
    reasons += [
        "system-assigned: created with the app, deleted with it, one per app; no client id to configure; roles can "
        "only be granted after the app exists",
        f"user-assigned: a standalone resource several apps (or several identities on one app) can share; create and "
        f"grant it before deploying; the code must name it: set `{setting}` to its client id "
        f"(`mi-migrate fix --client-id-env {setting}`; Functions connections take `<Connection>__clientId`)",
    ]
    hosts = [{"path": a, "host": apps.host(a), "name": deploy.app_name(a)} for a in sorted(deployed)]
    commands = ['RG="<resource-group>"']
    names = sorted({v["identity"] for v in per_app.values() if v["kind"] == "user-assigned"})
    for name in names:
        if reuse and name == deploy.IDENTITY:
            commands.append(f"# reuse {reuse[0]} (declared in the infrastructure code): {name} is its name")
        else:
            commands.append(f'az identity create -g "$RG" -n "{name}"')
    for host in hosts:
        commands += enable_commands(host["host"], host["name"], per_app[host["path"]], setting)
    if not hosts and hints.get("vmss"):
        commands.append('az vmss identity assign -g "$RG" -n "<vmss-name>" --identities "$IDENTITY_ID"')
    return {"type": "user-assigned" if user_any else "system-assigned", "reasons": reasons, "apps": hosts,
            "client_id_setting": setting if user_any else None, "commands": commands,
            "code": (f'DefaultAzureCredential(managed_identity_client_id=os.environ["{setting}"])  '
                     "# or ManagedIdentityCredential(client_id=...)") if user_any else "DefaultAzureCredential()",
            "per_app": per_app}


def enable_commands(host: str, app_name: str, identity: dict[str, str], setting: str) -> list[str]:
    """Give the app its identity and leave its principal id in $PRINCIPAL_ID (and the client id in $CLIENT_ID)."""
    assign = deploy.ASSIGN.get(host, deploy.ASSIGN["webapp"]).format(app=f'"{app_name}"')
    if identity["kind"] == "user-assigned":
        name = identity["identity"]
        flag = "--user-assigned" if host == "containerapp" else "--identities"
        lines = [f'IDENTITY_ID=$(az identity show -g "$RG" -n "{name}" --query id -o tsv)',
                 f'PRINCIPAL_ID=$(az identity show -g "$RG" -n "{name}" --query principalId -o tsv)',
                 f'CLIENT_ID=$(az identity show -g "$RG" -n "{name}" --query clientId -o tsv)',
                 f'{assign} {flag} "$IDENTITY_ID"']
        if host in deploy.CLIENT_ID_SETTING:
            lines.append(deploy.CLIENT_ID_SETTING[host].format(app=f'"{app_name}"').replace(
                "AZURE_CLIENT_ID=", f"{setting}="))
        return lines
    extra = " --system-assigned" if host == "containerapp" else ""
    return [f"PRINCIPAL_ID=$({assign}{extra} --query principalId -o tsv)"]


def disable_commands(host: str, app_name: str, identity: dict[str, str]) -> list[str]:
    """Rollback of enable_commands."""
    verb = {"functionapp": "functionapp", "containerapp": "containerapp"}.get(host, "webapp")
    if identity["kind"] == "user-assigned":
        flag = "--user-assigned" if host == "containerapp" else "--identities"
        return [f'az {verb} identity remove -g "$RG" -n "{app_name}" {flag} "$IDENTITY_ID"']
    flag = " --system-assigned" if host == "containerapp" else ""
    return [f'az {verb} identity remove -g "$RG" -n "{app_name}"{flag}']
