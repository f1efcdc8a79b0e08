"""A runbook per app, in the only order that keeps it running: enable the identity → grant its roles → wait for
propagation → deploy the rewritten code (and its new settings) → verify each resource with the identity's token →
remove the key settings nothing reads any more → disable local / shared-key auth → rotate the leaked keys. Every
step carries its rollback. Developer scripts and notebooks get the same steps for the developer's user or group.
"""

from __future__ import annotations

from typing import Any

from mi_migrate.report import roles, snippets
from mi_migrate.report.apps import DEVELOPER, disable_commands, enable_commands

# token audience and a read-only request that succeeds only with a working token and role ({name}: resource name)
PROBES: dict[str, tuple[str, str]] = {
    "storage": ("https://storage.azure.com/", 'curl -s -o /dev/null -w "%{{http_code}}\\n" -H "Authorization: Bearer '
                '$TOKEN" -H "x-ms-version: 2021-08-06" "https://{name}.blob.core.windows.net/?comp=list&maxresults=1"'),
    "servicebus": ("https://servicebus.azure.net", 'curl -s -o /dev/null -w "%{{http_code}}\\n" -X POST -H '
                   '"Authorization: Bearer $TOKEN" "https://{name}.servicebus.windows.net/<queue-or-topic>/messages'
                   '/head?timeout=5"   # receiver: 201/204 (a peek-lock that expires); sender: POST .../messages'),
    "eventhubs": ("https://eventhubs.azure.net", 'curl -s -o /dev/null -w "%{{http_code}}\\n" -X POST -H '
                  '"Authorization: Bearer $TOKEN" -H "Content-Type: application/atom+xml;type=entry;charset=utf-8" '
                  '-d "probe" "https://{name}.servicebus.windows.net/<event-hub>/messages"   # sender: 201'),
    "cosmos": ("https://{name}.documents.azure.com", 'curl -s -o /dev/null -w "%{{http_code}}\\n" -H '
               '"Authorization: type%3Daad%26ver%3D1.0%26sig%3D$TOKEN" -H "x-ms-version: 2018-12-31" -H '
               '"x-ms-date: $(date -u "+%a, %d %b %Y %H:%M:%S GMT")" "https://{name}.documents.azure.com/dbs"'),
    "openai": ("https://cognitiveservices.azure.com", 'curl -s -o /dev/null -w "%{{http_code}}\\n" -H '
               '"Authorization: Bearer $TOKEN" "https://{name}.openai.azure.com/openai/models?api-version=2024-10-21"'),
    "cognitive": ("https://cognitiveservices.azure.com", 'curl -s -o /dev/null -w "%{{http_code}}\\n" -H '
                  '"Authorization: Bearer $TOKEN" "https://{name}.cognitiveservices.azure.com/{probe}"   # the custom '
                  "subdomain: regional endpoints reject Entra tokens"),
    "search": ("https://search.azure.com", 'curl -s -o /dev/null -w "%{{http_code}}\\n" -H "Authorization: Bearer '
               "$TOKEN\" 'https://{name}.search.windows.net/indexes/<index>/docs/$count?api-version=2023-11-01'"),
    "keyvault": ("https://vault.azure.net", 'curl -s -o /dev/null -w "%{{http_code}}\\n" -H "Authorization: Bearer '
                 '$TOKEN" "https://{name}.vault.azure.net/secrets/<secret-name>?api-version=7.4"'),
    "appconfig": ("https://azconfig.io", 'curl -s -o /dev/null -w "%{{http_code}}\\n" -H "Authorization: Bearer '
                  '$TOKEN" "https://{name}.azconfig.io/kv?api-version=1.0"'),
    "sql": ("https://database.windows.net/", 'sqlcmd -S "{name}.database.windows.net" -d "<database>" '
            '--authentication-method ActiveDirectoryManagedIdentity -Q "SELECT 1"'),
    "postgres": ("https://ossrdbms-aad.database.windows.net", 'PGPASSWORD="$TOKEN" psql "host={name}.postgres.'
                 'database.azure.com dbname=<database> user=<identity-name> sslmode=require" -c "select 1"'),
    "redis": ("https://redis.azure.com", 'redis-cli -h "{name}.redis.cache.windows.net" -p 6380 --tls --user '
              '"<principal-object-id>" --pass "$TOKEN" PING'),
}
AI_PROBE = {"documentintelligence": "formrecognizer/info?api-version=2023-07-31",
            "language": "language/analyze-text/jobs?api-version=2023-04-01"}
APP_TOKEN = ('TOKEN=$(curl -s "$IDENTITY_ENDPOINT?resource={aud}&api-version=2019-08-01{client}" -H '
             '"X-IDENTITY-HEADER: $IDENTITY_HEADER" | python3 -c "import json,sys; '
             'print(json.load(sys.stdin)[\'access_token\'])")')
DEV_TOKEN = 'TOKEN=$(az account get-access-token --resource "{aud}" --query accessToken -o tsv)'
CONSOLE = {"functionapp": 'az webapp ssh -g "$RG" -n "{app}"',
           "webapp": 'az webapp ssh -g "$RG" -n "{app}"',
           "containerapp": 'az containerapp exec -g "$RG" -n "{app}" --command sh'}
SETTINGS_SET = {"functionapp": 'az functionapp config appsettings set -g "$RG" -n "{app}" --settings {pairs}',
                "webapp": 'az webapp config appsettings set -g "$RG" -n "{app}" --settings {pairs}',
                "containerapp": 'az containerapp update -g "$RG" -n "{app}" --set-env-vars {pairs}'}
SETTINGS_DELETE = {"functionapp": 'az functionapp config appsettings delete -g "$RG" -n "{app}" '
                                   "--setting-names {names}",
                   "webapp": 'az webapp config appsettings delete -g "$RG" -n "{app}" --setting-names {names}',
                   "containerapp": 'az containerapp update -g "$RG" -n "{app}" --remove-env-vars {names}'}
DEPLOY = {"functionapp": 'func azure functionapp publish "{app}"   # or your pipeline / azd deploy',
          "webapp": 'az webapp deploy -g "$RG" -n "{app}" --src-path "<package.zip>"   # or your pipeline / azd deploy',
          "containerapp": 'az containerapp update -g "$RG" -n "{app}" --image "<registry>/<image>:<new-tag>"'}


def _enable_rollback(command: str) -> str:
    for old, new in (("--allow-shared-key-access false", "--allow-shared-key-access true"),
                     ("--disable-local-auth true", "--disable-local-auth false"),
                     ("disableLocalAuth=true", "disableLocalAuth=false")):
        if old in command:
            return command.replace(old, new).split("   #")[0]
    if command.rstrip().endswith("--disable-local-auth"):
        return command.replace("--disable-local-auth", "--auth-options aadOrApiKey")
    return "turn key authentication back on for the resource"


def _q(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`") + '"'


def verify_commands(resource: dict[str, Any], host: str, user_assigned: bool, client_setting: str) -> list[str]:
    kind, name = resource["type"], resource["name"]
    aud, probe = PROBES.get(kind, ("", ""))
    if not aud:
        return [f"# {resource['label']} {name}: call it once from the app and check its logs for 401/403"]
    aud = aud.format(name=name)
    if host == "developer":
        token = DEV_TOKEN.format(aud=aud)
    else:
        client = f"&client_id=${client_setting}" if user_assigned else ""
        token = APP_TOKEN.format(aud=aud, client=client)
    flavour = resource.get("flavour") or ""
    check = probe.format(name=name, probe=AI_PROBE.get(flavour, "<a read operation of the service>"))
    return [f"# {resource['label']} {name}: expect 2xx; 401 = wrong audience or endpoint, 403 = role missing or "
            "not propagated yet", token if kind not in ("sql",) else "# sqlcmd gets the token itself", check]


def _stepper(steps: list[dict[str, Any]]) -> Any:
    def step(title: str, commands: list[str], rollback: list[str], notes: list[str] | None = None) -> None:
        steps.append({"n": len(steps) + 1, "title": title, "commands": commands, "rollback": rollback,
                      "notes": notes or []})
    return step


def build_runbooks(identity: dict[str, Any], resources: list[dict[str, Any]], app_grants: dict[str, dict[str, Any]],
                   settings: dict[str, Any], functions: list[dict[str, Any]], rotation: list[dict[str, Any]],
                   developer: bool, content_share: set[str]) -> list[dict[str, Any]]:
    """`app_grants`: app → resource id → [Grant] that app's identity needs."""
    by_id = {r["id"]: r for r in resources}
    hosts = [(a["path"], a["host"], a["name"]) for a in identity["apps"]]
    if developer:
        hosts.append((DEVELOPER, "developer", "<developer>"))
    setting_name = identity.get("client_id_setting") or "AZURE_CLIENT_ID"
    books = []
    for app, host, name in hosts:
        ident = identity.get("per_app", {}).get(app, {"kind": "developer" if host == "developer" else
                                                      identity["type"], "identity": "<identity-name>"})
        user = ident["kind"] == "user-assigned"
        grants = app_grants.get(app, {})
        mine = [by_id[rid] for rid in sorted(grants) if rid in by_id]
        steps: list[dict[str, Any]] = []
        step = _stepper(steps)

        if host == "developer":
            step("Identify the developer principal (scripts and notebooks run as a person, not as an app)",
                 ["az login", "DEVELOPER_ID=$(az ad signed-in-user show --query id -o tsv)   "
                  '# or a group: az ad group show -g "<developer-group>" --query id -o tsv'], [],
                 ["Grant the roles to a developer group rather than to each person; never to an app's identity."])
            principal, ptype = "$DEVELOPER_ID", "User"
        else:
            step("Enable the identity", enable_commands(host, name, ident, setting_name),
                 disable_commands(host, name, ident),
                 [f"{ident['kind']}: {ident['identity']}"])
            principal, ptype = roles.PRINCIPAL, "ServicePrincipal"
        grant_lines: list[str] = []
        revoke: list[str] = []
        for res in mine:
            items = grants[res["id"]]
            lines = snippets.az_commands(res["type"], res["name"], items)
            if principal != roles.PRINCIPAL:
                lines = [x.replace(f'"{roles.PRINCIPAL}"', f'"{principal}"').replace(
                    "--assignee-principal-type ServicePrincipal", f"--assignee-principal-type {ptype}") for x in lines]
            grant_lines += lines
            for g in items:
                show = roles.scope_command(res["type"], res["name"])
                if g.kind == "rbac" and show:
                    revoke.append(f'az role assignment delete --assignee "{principal}" --role "{g.role}" '
                                  f'--scope "$({show})"')
                elif g.kind == "cosmos":
                    revoke.append(f'az cosmosdb sql role assignment list -g "$RG" --account-name "{res["name"]}" '
                                  '-o table   # then: az cosmosdb sql role assignment delete -g "$RG" --account-name '
                                  f'"{res["name"]}" --role-assignment-id "<id>"')
            if res.get("database"):
                grant_lines.append(f"# {res['label']} {res['name']}: run the SQL of its resource section")
        connection_roles = [(fa, c) for fa in functions if fa["app"] == app for c in fa["connections"]
                            if c["roles"] and not c["resource"]]
        for _, c in connection_roles:
            grant_lines.append(f"# {c['name']} (Functions connection, account not found in the repository): grant "
                               f"{', '.join(c['roles'])} on it")
        step("Grant the roles", grant_lines or ["# no role found for this app"], revoke,
             ["Least privilege: only what this app's calls need on the resources it reaches."])
        step("Wait for the role assignments to propagate",
             [f'az role assignment list --assignee "{principal}" --all -o table', "sleep 600   # usually minutes; "
              "up to about ten"], [], ["Tokens issued before the assignment do not carry it: restart the app after."])
        adds = [s for s in settings["add"] if s["app"] == app and s["value"] and s["name"] != setting_name]
        adds += [x for fa in functions if fa["app"] == app for c in fa["connections"] for x in c["settings"]]
        if host == "developer":
            deploy_lines = ["git pull   # the rewritten scripts and notebooks; they sign in with az login"]
            deploy_back = ["git revert <the migration commit>"]
        else:
            pairs = " ".join(f"{s['name']}={_q(s['value'])}" for s in adds)
            deploy_lines = ([SETTINGS_SET.get(host, SETTINGS_SET["webapp"]).format(app=name, pairs=pairs)]
                            if pairs else []) + [DEPLOY.get(host, DEPLOY["webapp"]).format(app=name)]
            deploy_back = ["redeploy the previous build: the key settings are still in place, so the old code works"]
            if adds:
                deploy_back.append(SETTINGS_DELETE.get(host, SETTINGS_DELETE["webapp"]).format(
                    app=name, names=" ".join(s["name"] for s in adds)))
        step("Deploy the rewritten code with its new settings", deploy_lines, deploy_back)
        verify: list[str] = []
        if host != "developer" and mine:
            verify.append(CONSOLE.get(host, CONSOLE["webapp"]).format(app=name) +
                          "   # or the Kudu console: run the lines below inside the app")
        for res in mine:
            verify += verify_commands(res, host, user, setting_name)
        step("Verify each resource with the identity's token", verify or ["# no resource to verify"],
             ["nothing to undo: read-only checks; on 403 wait and retry before anything else"])
        deletes = [s for s in settings["delete"] if s["app"] == app]
        deletes += [{"name": n, "app": app} for fa in functions if fa["app"] == app for c in fa["connections"]
                    for n in c["delete"]]
        kept = [s for s in settings.get("still_read", []) if s["app"] == app]
        notes = [f"Not yet `{s['name']}`: still read at "
                 + ", ".join(f"{r['path']}:{r['line']}" for r in s["reads"][:5]) for s in kept]
        names = sorted({s["name"] for s in deletes})
        if host == "developer":
            delete_lines = [f"unset {n}   # and delete it from your .env / shell profile" for n in names]
        else:
            delete_lines = [SETTINGS_DELETE.get(host, SETTINGS_DELETE["webapp"]).format(
                app=name, names=" ".join(names))] if names else []
        step("Remove the key settings", delete_lines or ["# nothing to remove yet"],
             ["set them again (keep the old values in Key Vault until the migration is done; the keys stay valid "
              "until the rotation step)"] if names else [], notes)
        disable = []
        enable = []
        waiting = {s["resource"] for s in settings.get("still_read", []) if s.get("resource")}
        for res in mine:
            disable_tpl = roles.resource_info(res["type"]).get("disable")
            command = disable_tpl.format(name=res["name"]) if disable_tpl else None
            if not command:
                continue
            if res["id"] in waiting:
                disable.append(f"# {res['name']}: not yet: a key setting for it is still read (see Remove the key "
                               "settings); disabling keys now breaks that reader")
                continue
            if res["id"] in content_share:
                disable.append(f"# {res['name']}: keep shared-key access: a Functions content share "
                               "(WEBSITE_CONTENTAZUREFILECONNECTIONSTRING) is mounted with its key")
                continue
            others = [a for a in res["apps"] if a != app]
            disable.append(command + (f"   # only after {', '.join(others)} also reached this step" if others else ""))
            enable.append(_enable_rollback(command))
        step("Disable local / shared-key authentication", disable or ["# nothing to disable"], enable)
        rotate = [c for r in rotation if r["resource"] in grants for c in r["commands"]]
        step("Rotate the leaked keys",
             list(dict.fromkeys(rotate)) or ["# no leaked key found for this app's resources"],
             ["none: a rotated key cannot come back, which is why rotation comes last"] if rotate else [])
        books.append({"app": app, "host": host, "name": name, "identity": ident,
                      "resources": [r["id"] for r in mine], "steps": steps})
    return books
