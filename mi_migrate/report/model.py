"""The migration report as one JSON-ready dict (documented in docs/report.md, validated by report.schema.json):
built from scan findings and fix changes; the md and html templates render the same dict.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mi_migrate import __version__
from mi_migrate.core.finding import Finding, Kind
from mi_migrate.fix.model import Change
from mi_migrate.report import deploy, roles, snippets
from mi_migrate.report.apps import DEVELOPER, Apps, identity_plan, is_test_path
from mi_migrate.report.function_apps import NO_IDENTITY, connection_names, functions_section
from mi_migrate.report.functions import aks_section, keyvault_section, troubleshooting
from mi_migrate.report.redaction import Redactor
from mi_migrate.report.resources import (
    Grouper,
    Resource,
    ai_flavour,
    change_target,
    compute_grants,
    finding_target,
    is_secret,
    new_setting,
    real_target,
    resource_dict,
    rotation_entry,
    setting_name,
)
from mi_migrate.report.runbook import build_runbooks
from mi_migrate.report.settings_reads import RepoIndex, describe, read_steps
from mi_migrate.scan.engine import LineIndex
from mi_migrate.scan.structured.values import Value

if TYPE_CHECKING:
    from mi_migrate.fix.runner import FixResult
    from mi_migrate.scan.model import ScanResult

SEVERITY_ORDER = {"error": 0, "warning": 1, "note": 2}
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", re.M)


def _matches(finding: Finding, change: Change) -> bool:
    if finding.path != change.path:
        return False
    cell = change.extra.get("cell")
    if cell is not None and finding.fields.get("cell_line"):  # a notebook: both counted within the cell
        if str(cell) != finding.fields.get("cell"):
            return False
        first = int(finding.fields["cell_line"])
        last = first + finding.span.end_line - finding.span.line
        return change.line <= first <= change.end_line or first <= change.line <= last
    return change.line <= finding.span.line <= change.end_line or finding.span.line <= change.line <= \
        finding.span.end_line


class _NotebookLines:
    """File lines of notebook changes: `fix` counts a change's lines within its cell; the report, as the scan does,
    counts the notebook file's lines (each notebook read once, with its cells' character offsets)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.read: dict[str, tuple[LineIndex, dict[int, Value]] | None] = {}

    def place(self, entry: dict[str, Any], change: Change) -> None:
        """Give a change-only entry of a notebook its file lines, and its cell and cell line as fields."""
        from mi_migrate.scan.python.notebook_cells import cell_offset

        cell = change.extra.get("cell")
        read = self._read(change.path) if isinstance(cell, int) else None
        value = read[1].get(cell) if read is not None else None
        if read is None or value is None:
            return

        def file_line(cell_line: int) -> int:
            return read[0].position(value.file_offset(cell_offset(value.text, cell_line)))[0]

        entry["fields"] = {**(entry.get("fields") or {}), "cell": str(cell), "cell_line": str(change.line)}
        entry["line"], entry["end_line"] = file_line(change.line), file_line(change.end_line)

    def _read(self, path: str) -> tuple[LineIndex, dict[int, Value]] | None:
        if path not in self.read:
            from mi_migrate.scan.structured import notebooks
            from mi_migrate.scan.structured.values import ParseFailure

            try:
                text = (self.root / path).read_text(encoding="utf-8-sig")
                _, code = notebooks.extract(text)
            except (OSError, UnicodeDecodeError, ParseFailure, RecursionError):
                self.read[path] = None
            else:
                self.read[path] = (LineIndex.of(text), {int(value.fields["cell"]): value for value in code})
        return self.read[path]


def _hunks(diff: str) -> list[tuple[int, int, str]]:
    """(old start, old end, hunk text) for each hunk of a one-file unified diff."""
    starts = list(HUNK.finditer(diff))
    out = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(diff)
        first, count = int(match.group(1)), int(match.group(2) or 1)
        out.append((first, first + max(count, 1) - 1, diff[match.start():end]))
    return out


def _finding_entry(fid: str, finding: Finding | None, change: Change | None) -> dict[str, Any]:
    if finding is not None:
        entry = finding.to_dict()
        entry.pop("secret_hash", None)
        entry.pop("origin", None)
    else:
        assert change is not None
        entry = {"rule_id": None, "rule_name": None, "path": change.path, "line": change.line, "column": 1,
                 "end_line": change.end_line, "end_column": 1, "severity": "warning",
                 "kind": Kind.KEY_BASED_CODE.value, "service": change.service,
                 "message": f"{change.client} authenticated with a key ({change.family})", "evidence": "",
                 "fingerprint": None, "fields": {"client": change.client, "family": change.family}}
    entry["id"] = fid
    entry["resource"] = None
    entry["status"] = change.status if change else ("not-covered" if entry["kind"] == "key-based-code" else None)
    entry["change"] = None
    entry["diff"] = None
    entry["step"] = None
    if change is not None:
        data = change.to_dict()
        data.pop("extra", None)
        entry["change"] = {k: data.get(k) for k in ("family", "client", "status", "old_setting", "setting",
                                                    "setting_value", "endpoint", "resource", "operations",
                                                    "reason", "notes")}
        entry["change"]["operations"] = list(change.operations)
        entry["change"]["notes"] = list(change.notes)
        if change.status == "manual":
            entry["step"] = change.reason or "rewrite by hand"
    elif entry["kind"] == "key-based-code":
        entry["step"] = ("no automatic rewrite for this call yet: construct the client with its endpoint and "
                         "credential=DefaultAzureCredential() (see the resource's settings below)")
    return entry


def build(scan: ScanResult, fix: FixResult | None, paths: tuple[str, ...], mode: str,
          client_id_env: str | None = None) -> dict[str, Any]:
    root: Path = Path(scan.root)
    findings: list[Finding] = sorted(scan.findings, key=lambda f: (f.path, f.span.line, f.span.column, f.rule_id))
    # a call site fix lists only because no rewrite family knows its client is the report's "not covered"
    changes: list[Change] = [c for c in fix.changes if not c.extra.get("no_rewrite")] if fix is not None else []
    redactor = Redactor(root)
    grouper = Grouper(root)
    index = RepoIndex(root, fix)
    apps = Apps(root, index.text)

    used: set[int] = set()
    entries: list[dict[str, Any]] = []
    pairs: list[tuple[dict[str, Any], Finding | None, Change | None]] = []
    for finding in findings:
        change = next((c for i, c in enumerate(changes) if i not in used and _matches(finding, c)), None)
        if change is not None:
            used.add(changes.index(change))
        pairs.append((_finding_entry("", finding, change), finding, change))
    cells = _NotebookLines(root)
    for i, change in enumerate(changes):
        if i not in used:
            entry = _finding_entry("", None, change)
            cells.place(entry, change)
            pairs.append((entry, None, change))
    pairs.sort(key=lambda p: (p[0]["path"], p[0]["line"]))
    for n, (entry, finding, _) in enumerate(pairs, 1):
        entry["id"] = f"F{n}"
        _correct_functions_advice(entry, finding)
        entries.append(entry)

    # code diffs: per file in full, and per finding the hunks touching its lines
    diffs: list[dict[str, str]] = []
    file_hunks: dict[str, list[tuple[int, int, str]]] = {}
    if fix is not None:
        from mi_migrate.fix.files import unified_diff

        for file_fix in fix.changed_files:
            text = redactor.diff(file_fix, unified_diff(file_fix))
            diffs.append({"path": file_fix.path, "diff": text})
            file_hunks[file_fix.path] = _hunks(text)
    for entry, finding, change in pairs:
        if change is not None and change.status == "rewritten":
            first, last = change.line, change.end_line
            if change.extra.get("cell") is not None:  # lines within a notebook cell: the diff counts the file's
                first, last = (finding.span.line, finding.span.end_line) if finding is not None else (
                    entry["line"], entry["end_line"])
            hunks = [h for lo, hi, h in file_hunks.get(change.path, []) if lo <= last and hi >= first]
            entry["diff"] = "".join(hunks) or None

    # resources: only from real endpoints and account names, never from tests, fixtures or emulator keys
    from mi_migrate.fix import endpoints
    from mi_migrate.fix.settings import RepoSettings, settings_root

    repo_settings = getattr(fix, "settings", None) or RepoSettings(settings_root(paths))
    by_entry: dict[str, Resource] = {}
    for entry, finding, change in pairs:
        app = apps.of(entry["path"])
        if is_test_path(entry["path"]) or (finding is not None and finding.kind == Kind.INFORMATIONAL):
            continue  # a test file or fixture, an emulator key: no Azure resource
        resource = None
        if change is not None:
            kind, name, endpoint, api = change_target(change)
            if kind and kind in roles.table()["resources"]:
                resource = grouper.get(kind, name, endpoint, ai_flavour(change.family, change.service))
                grouper.add_usage(resource, api, change.operations, change.client, change.path, app)
        elif finding is not None and finding.kind == Kind.KEY_BASED_CODE:
            api = roles.api_for_family(finding.fields.get("family", ""), finding.service)
            target = finding_target(finding)
            if target is not None and api is not None:
                kind, name, endpoint = target
                setting = finding.fields.get("setting")
                value = repo_settings.get(setting) if setting else None
                kind = roles.api_info(api)["resource"]
                if value and name is None:
                    name, endpoint = real_target(kind, *_derive(endpoints, value, kind))
                resource = grouper.get(kind, name, endpoint,
                                       ai_flavour(finding.fields.get("family", ""), finding.service))
                grouper.add_usage(resource, api, (), finding.fields.get("client", ""), finding.path, app)
        elif finding is not None and finding.kind != Kind.INFRASTRUCTURE:  # IaC findings are not app usage
            target = finding_target(finding)
            if target is not None and (target[1] is not None or finding.kind == Kind.SECRET):
                hint = setting_name(grouper, finding, settings_only=True) or ""
                resource = grouper.get(*target, ai_flavour(f"{finding.fields.get('family', '')} {hint}",
                                                           finding.service))
                for key in ("database", "user", "policy"):
                    if finding.fields.get(key):
                        resource.fields.setdefault(key, finding.fields[key])
        if resource is not None:
            resource.finding_ids.append(entry["id"])
            resource.files.add(entry["path"])
            if app is not None:  # a key in documentation or CI is rotated, but no app uses it
                resource.apps.add(app)
            by_entry[entry["id"]] = resource
    grouper.merge_unnamed()
    alive = {id(r) for r in grouper.resources.values()}
    for fid, resource in list(by_entry.items()):
        if id(resource) not in alive:  # merged into the named resource of its kind
            by_entry[fid] = next(r for r in grouper.resources.values() if fid in r.finding_ids)

    app_resources: dict[str, set[str]] = {}
    for resource in grouper.resources.values():
        for app in resource.apps:
            # an unnamed resource (<storage-name>) is not known to be shared: it does not tie apps together
            app_resources.setdefault(app, set()).update({resource.id} if resource.name else set())
    for entry, finding, _ in pairs:  # an app with findings is an app even when no resource could be named
        app = apps.of(entry["path"])
        if app not in (None, DEVELOPER) and (finding is None or finding.kind in (
                Kind.SECRET, Kind.KEY_BASED_CODE, Kind.THIRD_PARTY_SECRET, Kind.INFRASTRUCTURE)):
            app_resources.setdefault(app, set())
    hints = deploy.platform(root, paths)
    declared = [f.fields for f in findings if f.kind == Kind.INFRASTRUCTURE and "identity_type" in f.fields]
    client_refs = [r.where() for r in index.refs(client_id_env or "AZURE_CLIENT_ID")  # not CI's own sign-in
                   if apps.of(r.path) not in (None, DEVELOPER) and not r.path.endswith(".ipynb")]
    identity = identity_plan(root, apps, app_resources, hints, declared, client_id_env, client_refs)

    functions = functions_section(root, pairs, by_entry, grouper, identity, apps, index)
    for resource in grouper.resources.values():
        compute_grants(resource, grouper)
    resources = sorted(grouper.resources.values(), key=lambda r: (r.type, r.display_name))
    for entry in entries:
        if entry["id"] in by_entry:
            entry["resource"] = by_entry[entry["id"]].id

    settings = _settings(pairs, by_entry, grouper, identity, functions, apps, index)
    content_share = _content_share_accounts(pairs, by_entry, index)
    rotation = [rotation_entry(f, e["id"], by_entry.get(e["id"]), by_entry.get(e["id"]) is not None and
                               by_entry[e["id"]].id in content_share)
                for e, f, _ in pairs if f is not None and f.kind == Kind.SECRET]
    keyvault = keyvault_section(pairs, grouper, identity)
    resource_dicts = [resource_dict(r, grouper) for r in resources]
    app_grants: dict[str, dict[str, Any]] = {}
    for resource in resources:
        for app in resource.apps:
            own = resource.app_grants.get(app)
            if own is None:
                own = resource.grants if len(resource.apps) == 1 else []
            app_grants.setdefault(app, {})[resource.id] = own
    runbooks = build_runbooks(identity, resource_dicts, app_grants, settings, functions, rotation,
                              DEVELOPER in app_resources, content_share)
    report = {
        "version": 1,
        "tool": {"name": "mi-migrate", "version": __version__},
        "mode": mode,
        "paths": list(paths),
        "summary": _summary(entries, resources, rotation),
        "identity": identity,
        "runbooks": runbooks,
        "resources": resource_dicts,
        "findings": entries,
        "diffs": diffs,
        "settings": settings,
        "functions": functions,
        "aks": aks_section(root, hints, identity),
        "rotation": rotation,
        "keyvault": keyvault,
        "troubleshooting": [],
        "notes": [{"path": n.path, "message": n.message} for n in list(scan.notes) + list(getattr(fix, "notes", []))],
    }
    report["troubleshooting"] = troubleshooting(report)
    return redactor.scrub(snippets.finish(report, root))


def _correct_functions_advice(entry: dict[str, Any], finding: Finding | None) -> None:
    """IaC findings on settings that have no identity-based form get the right advice, never an invented setting."""
    if finding is None or finding.kind != Kind.INFRASTRUCTURE:
        return
    setting = finding.fields.get("setting", "")
    if setting in NO_IDENTITY:
        entry["message"] = f"{finding.fields.get('app', 'the app')}: {setting} holds the storage key. " \
            + NO_IDENTITY[setting]
        entry["fields"] = {**entry["fields"], "alternative": NO_IDENTITY[setting]}
    elif setting == "AzureWebJobsStorage":
        advice = ("set AzureWebJobsStorage__accountName = <account> (+ AzureWebJobsStorage__credential = "
                  "managedidentity and __clientId for a user-assigned identity) with Storage Blob Data Owner for the "
                  "app's identity (more roles by trigger kind: see the Functions section)")
        entry["fields"] = {**entry["fields"], "alternative": advice}


def _content_share_accounts(pairs: list[Any], by_entry: dict[str, Resource], index: RepoIndex) -> set[str]:
    """Storage resources holding a Functions content share (mounted with the key): never disable shared keys there.
    When the account cannot be told, every storage account of a repository that sets the content share."""
    if not index.definitions("WEBSITE_CONTENTAZUREFILECONNECTIONSTRING") and not any(
            f is not None and f.fields.get("setting") == "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING"
            for _, f, _ in pairs):
        return set()
    return {r.id for r in by_entry.values() if r.type == "storage"}


def _derive(endpoints: Any, value: str, kind: str) -> tuple[str | None, str | None]:
    """Resource name and endpoint from a connection string's non-secret parts (AccountName, Endpoint, ...)."""
    from mi_migrate.report.resources import host_name

    try:
        values = endpoints.parts(value)
    except Exception:  # not a connection string
        return None, None
    if kind == "storage":
        return values.get("accountname"), endpoints.storage_endpoint(values, "blob")
    if kind in ("servicebus", "eventhubs"):
        host = endpoints.namespace_host(values)
        return host_name(host), host
    if kind == "cosmos":
        endpoint = endpoints.https_endpoint(values, "accountendpoint")
        return host_name(endpoint), endpoint
    endpoint = endpoints.https_endpoint(values)
    return host_name(endpoint), endpoint


def _summary(entries: list[dict[str, Any]], resources: list[Resource], rotation: list[Any]) -> dict[str, Any]:
    severity = Counter(e["severity"] for e in entries)
    by_service = Counter(e["service"] for e in entries)
    by_file = Counter(e["path"] for e in entries)
    by_kind = Counter(e["kind"] for e in entries)
    code = [e for e in entries if e["kind"] == "key-based-code"]
    rewritten = sum(1 for e in code if e["status"] == "rewritten")
    manual = sum(1 for e in code if e["status"] == "manual")
    not_covered = len(code) - rewritten - manual
    return {
        "findings": len(entries),
        "by_severity": {k: severity.get(k, 0) for k in SEVERITY_ORDER},
        "by_kind": dict(sorted(by_kind.items())),
        "by_service": dict(sorted(by_service.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_file": dict(sorted(by_file.items())),
        "progress": {"call_sites": len(code), "rewritten": rewritten, "manual": manual, "not_covered": not_covered,
                     "percent": round(100 * rewritten / len(code)) if code else 100},
        "resources": len(resources),
        "secrets_to_rotate": len(rotation),
    }


def _settings(pairs: list[Any], by_entry: dict[str, Resource], grouper: Grouper, identity: dict[str, Any],
              functions: list[dict[str, Any]], apps: Apps, index: RepoIndex) -> dict[str, list[dict[str, Any]]]:
    """Settings to add, to delete (nothing reads them any more) and still read (their reads are steps first)."""
    add: dict[tuple[str, str], dict[str, Any]] = {}
    candidates: dict[tuple[str, str], dict[str, Any]] = {}
    fallback: dict[str, set[str]] = {}  # setting → files whose remaining read is the Entra fallback itself
    functions_names = connection_names(functions)
    for entry, finding, change in pairs:
        app = apps.of(entry["path"])
        if app is None:
            continue  # tests and fixtures hold no app setting
        if change is not None and change.setting and change.status == "rewritten":
            add[(app, change.setting)] = {"app": app, "name": change.setting, "value": change.setting_value,
                                          "reason": f"read by {change.client} in {change.path}:{change.line}",
                                          "replaces": change.old_setting}
        if change is not None and change.old_setting:
            old = change.old_setting
            where = f"{change.path}:{change.line}"
            if change.extra.get("entra_fallback"):
                fallback.setdefault(old, set()).add(change.path)
                reason = f"unset it: {change.client} at {where} already falls back to Entra ID when it is unset"
            elif change.extra.get("retired"):
                reason = f"the retired service's code at {where} reads it: delete that code, then the setting"
            elif change.status == "rewritten":
                reason = f"no longer read by {change.client} at {where}"
            else:
                reason = f"{change.client} at {where} still needs it: {change.reason or 'rewrite it by hand'}"
            target = by_entry.get(entry["id"])
            candidates.setdefault((app, old), {"app": app, "name": old, "reason": reason,
                                               "resource": target.id if target else None})
        if finding is not None and finding.kind == Kind.INFRASTRUCTURE and finding.fields.get("setting"):
            name = finding.fields["setting"]
            if name not in functions_names:
                why = f"the infrastructure wires a key into it ({finding.path})"
                candidates.setdefault((app, name), {"app": app, "name": name, "resource": None, "reason": why})
            continue
        if finding is None or finding.kind != Kind.SECRET:
            continue
        name = setting_name(grouper, finding, settings_only=True)
        if not name or name in functions_names:
            continue
        resource = by_entry.get(entry["id"])
        candidates.setdefault((app, name), {"app": app, "name": name,
                                            "reason": f"holds a secret ({finding.rule_name}, {finding.path})",
                                            "resource": resource.id if resource else None})
        if resource is not None and resource.name and not any(
                k[0] == app and v["replaces"] == name for k, v in add.items()):
            derived = new_setting(resource.type, name, {**finding.fields, "endpoint": finding.fields.get(
                "endpoint") or resource.endpoint or ""})
            if derived and (app, derived[0]) not in add:
                add[(app, derived[0])] = {"app": app, "name": derived[0], "value": derived[1],
                                          "reason": f"endpoint of {resource.display_name}", "replaces": name}
    delete: list[dict[str, Any]] = []
    still: list[dict[str, Any]] = []
    for (_, name), item in sorted(candidates.items()):
        reads = [r for r in index.reads(name) if r.path not in fallback.get(name, set())]
        if reads:
            still.append({**item, "reason": f"{item['reason']}; still read at {describe(reads)}: change those reads "
                                            "first", "reads": read_steps(reads)})
            continue
        definitions = [d for d in index.definitions(name)]
        also = (f"; also remove it from {describe(definitions)} (or the next deployment sets it again)"
                if definitions else "")
        delete.append({"app": item["app"], "name": name, "reason": item["reason"] + also})
    per_app = identity.get("per_app", {})
    setting = identity.get("client_id_setting") or "AZURE_CLIENT_ID"
    for app in identity["apps"]:
        if per_app.get(app["path"], {}).get("kind") == "user-assigned":
            add[(app["path"], setting)] = {
                "app": app["path"], "name": setting, "value": "<client-id of the user-assigned identity>",
                "reason": "the user-assigned identity's client id: "
                          "DefaultAzureCredential(managed_identity_client_id=...) reads it", "replaces": None}
    return {"add": sorted(add.values(), key=lambda s: (s["app"], s["name"])), "delete": delete, "still_read": still}


__all__ = ["build", "is_secret"]
