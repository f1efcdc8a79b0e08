"""Snippets the report asks a person to paste, and the last pass over the report dict.

* `az_commands`, `bicep`, `terraform`: one resource's grants. The Bicep and Terraform blocks declare no
  parameters/variables: `iac_files` puts one parameter set at the top of a single file holding every block, so
  blocks can be pasted together (a `param principalId` per block does not compile twice in one file). Every
  symbol carries the resource type, so a storage account and a namespace both called `contoso` do not clash.
  Terraform uses `role_definition_name`: the provider stores a `role_definition_id` as the subscription-scoped id,
  so a `/providers/Microsoft.Authorization/...` id is seen as a change and the assignment replaced on every plan.
* `shell_safe`: `<name>` placeholders quoted where the shell would read `<` and `>` as redirections.
* `finish`: the pass `model.build` runs last (placeholders in every command quoted, one file of Bicep and one of
  Terraform, service aliases merged, resources of no known type dropped, notes deduplicated, paths made relative
  to the scanned directory, minimum package versions, the custom-subdomain requirement of AI services).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mi_migrate.report import roles

PRINCIPAL = "$PRINCIPAL_ID"
COSMOS_ASSIGNMENT = "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15"
REDIS_ASSIGNMENT = "Microsoft.Cache/redis/accessPolicyAssignments@2024-03-01"
ROLE_ASSIGNMENT = "Microsoft.Authorization/roleAssignments@2022-04-01"
BICEP_PARAMS = {
    "principalId": "param principalId string  // the managed identity's principal (object) id",
    "identityName": "param identityName string  // the managed identity's name (Redis access-policy alias)",
}
TERRAFORM_VARIABLES = {
    "resource_group_name": 'variable "resource_group_name" {\n  type        = string\n'
                           '  description = "Resource group of the resources below"\n}',
    "principal_id": 'variable "principal_id" {\n  type        = string\n'
                    '  description = "The managed identity\'s principal (object) id"\n}',
    "identity_name": 'variable "identity_name" {\n  type        = string\n'
                     '  description = "The managed identity\'s name (Redis access-policy alias)"\n}',
}
# one spelling per service in the summary and the findings (the rules use both)
SERVICE_ALIASES = {"cognitive": "cognitiveservices", "appconfiguration": "appconfig"}
SQL_LINE = re.compile(r"(?i)^\s*(alter|create|grant|select|drop|--)\b")
PLACEHOLDER = re.compile(r"<[A-Za-z][A-Za-z0-9 _.:/,+-]*>")
SHELL_KEYS = {"commands", "az", "grant", "scope_command", "disable_key_auth", "verify", "rollback"}
# a line of one of those lists that is a command (runbook rollbacks and a few rotations are prose)
SHELL_LINE = re.compile(r"\s*(#|[A-Za-z_][A-Za-z0-9_]*=|(az|kubectl|curl|sleep|export|echo|python3?|func|git)\s)")
REGIONAL_AI = re.compile(r"(?i)^(?:https?://)?([a-z0-9-]+)\.api\.cognitive\.microsoft\.com\b")


# -- shell ---------------------------------------------------------------------------------------------------

def q(value: str) -> str:
    """`value` as one shell word: as it is when plain (contoso-prod), else double-quoted."""
    if re.fullmatch(r"[A-Za-z0-9_.,:/=+-]+", value):
        return value
    return '"' + re.sub(r'(["\\$`])', r"\\\1", value) + '"'


def shell_safe(line: str) -> str:
    """Quote `<placeholder>`s the shell would parse as redirections (outside quotes, also inside `$( )`);
    placeholders already inside quotes and SQL lines are left as they are."""
    if SQL_LINE.match(line):
        return line
    out: list[str] = []
    stack = ["top"]  # top (unquoted, also inside $( )), dq, sq
    i = 0
    while i < len(line):
        c, state = line[i], stack[-1]
        if state == "sq":
            out.append(c)
            if c == "'":
                stack.pop()
            i += 1
            continue
        if c == "\\" and i + 1 < len(line):
            out.append(line[i:i + 2])
            i += 2
            continue
        if line.startswith("$(", i):
            stack.append("sub")
            out.append("$(")
            i += 2
            continue
        if state == "dq":
            if c == '"':
                stack.pop()
            out.append(c)
            i += 1
            continue
        # unquoted: top level or inside $( )
        if c == "#" and (i == 0 or line[i - 1] in " \t"):
            out.append(line[i:])
            break
        if c == ")" and state == "sub":
            stack.pop()
        elif c == '"':
            stack.append("dq")
        elif c == "'":
            stack.append("sq")
        elif c == "<":
            match = PLACEHOLDER.match(line, i)
            if match:
                out.append('"' + match.group(0) + '"')
                i = match.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)


def az_commands(kind: str, name: str, grants: list[Any]) -> list[str]:
    """`az` lines granting `grants` to $PRINCIPAL_ID on the resource (set $RG and $PRINCIPAL_ID first)."""
    lines: list[str] = []
    show = roles.scope_command(kind, q(name))
    for grant in grants:
        role, grant_kind = _grant(grant)
        if grant_kind == "rbac" and show:
            lines.append(f'az role assignment create --assignee-object-id "{PRINCIPAL}" '
                         f'--assignee-principal-type ServicePrincipal --role {q(role)} --scope "$({show})"')
        elif grant_kind == "cosmos":
            lines.append(f'az cosmosdb sql role assignment create -g "$RG" --account-name {q(name)} '
                         f'--role-definition-id {roles.guid(role)} --principal-id "{PRINCIPAL}" '
                         f'--scope "$({show})"')
        elif grant_kind == "redis":
            lines.append(f'az redis access-policy-assignment create -g "$RG" -n {q(name)} '
                         f'--policy-assignment-name {roles.slug(role).replace("_", "-")}-app '
                         f'--access-policy-name {q(role)} --object-id "{PRINCIPAL}" '
                         f'--object-id-alias "<identity-name>"')
    if kind == "search" and grants:
        enable = roles.resource_info(kind).get("enable")
        if enable:
            lines.insert(0, enable.format(name=q(name)) + "   # accept Entra tokens (keys keep working)")
    return [shell_safe(line) for line in lines]


# -- Bicep and Terraform -------------------------------------------------------------------------------------

def _grant(grant: Any) -> tuple[str, str]:
    if isinstance(grant, dict):
        return grant["role"], grant.get("kind", "rbac")
    return grant.role, grant.kind


def symbol(kind: str, name: str) -> str:
    """An identifier unique per (type, name), valid in Bicep and Terraform (starts with a letter)."""
    return roles.slug(f"{kind} {name}")


def bicep_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("${", "\\${") + "'"


def hcl_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("${", "$${").replace("%{", "%%{") + '"'


def bicep(kind: str, name: str, grants: list[Any]) -> str:
    """Bicep for one resource's grants; its parameters (principalId, identityName) are declared once per file
    by `iac_files`."""
    info = roles.resource_info(kind)
    rbac = [_grant(g) for g in grants if _grant(g)[1] in ("rbac", "cosmos", "redis")]
    if not rbac or not info.get("bicep"):
        return ""
    sym = symbol(kind, name)
    out = [f"resource {sym} '{info['bicep']}' existing = {{", f"  name: {bicep_string(name)}", "}", ""]
    for role, grant_kind in rbac:
        role_sym = f"{sym}_{roles.slug(role)}"
        guid = roles.guid(role)
        if grant_kind == "cosmos":
            out += [f"resource {role_sym} '{COSMOS_ASSIGNMENT}' = {{", f"  parent: {sym}",
                    f"  name: guid({sym}.id, principalId, '{guid}')", "  properties: {  // " + role,
                    f"    roleDefinitionId: '${{{sym}.id}}/sqlRoleDefinitions/{guid}'",
                    "    principalId: principalId", f"    scope: {sym}.id", "  }", "}", ""]
        elif grant_kind == "redis":
            out += [f"resource {role_sym} '{REDIS_ASSIGNMENT}' = {{", f"  parent: {sym}",
                    f"  name: '{roles.slug(role).replace('_', '-')}-app'", "  properties: {",
                    f"    accessPolicyName: {bicep_string(role)}", "    objectId: principalId",
                    "    objectIdAlias: identityName", "  }", "}", ""]
        else:
            out += [f"resource {role_sym} '{ROLE_ASSIGNMENT}' = {{",
                    f"  name: guid({sym}.id, principalId, '{guid}')", f"  scope: {sym}",
                    "  properties: {  // " + role,
                    "    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', "
                    f"'{guid}')",
                    "    principalId: principalId", "    principalType: 'ServicePrincipal'", "  }", "}", ""]
    return "\n".join(out).rstrip() + "\n"


def terraform(kind: str, name: str, grants: list[Any]) -> str:
    """Terraform (azurerm) for one resource's grants; its variables are declared once per file by `iac_files`."""
    info = roles.resource_info(kind)
    rbac = [_grant(g) for g in grants if _grant(g)[1] in ("rbac", "cosmos", "redis")]
    if not rbac or not info.get("terraform"):
        return ""
    sym = symbol(kind, name)
    source = info["terraform"]
    ref = f"data.{source}.{sym}"
    out = [f'data "{source}" "{sym}" {{', f"  name                = {hcl_string(name)}",
           "  resource_group_name = var.resource_group_name", "}", ""]
    for role, grant_kind in rbac:
        label = f"{sym}_{roles.slug(role)}"
        if grant_kind == "cosmos":  # Cosmos DB data-plane roles are account-scoped ids, not Azure RBAC
            out += [f'resource "azurerm_cosmosdb_sql_role_assignment" "{label}" {{  # {role}',
                    "  resource_group_name = var.resource_group_name",
                    f"  account_name        = {ref}.name",
                    f'  role_definition_id  = "${{{ref}.id}}/sqlRoleDefinitions/{roles.guid(role)}"',
                    "  principal_id        = var.principal_id", f"  scope               = {ref}.id", "}", ""]
        elif grant_kind == "redis":
            out += [f'resource "azurerm_redis_cache_access_policy_assignment" "{label}" {{',
                    f'  name               = "{roles.slug(role).replace("_", "-")}-app"',
                    f"  redis_cache_id     = {ref}.id",
                    f"  access_policy_name = {hcl_string(role)}", "  object_id          = var.principal_id",
                    "  object_id_alias    = var.identity_name", "}", ""]
        else:
            out += [f'resource "azurerm_role_assignment" "{label}" {{', f"  scope                = {ref}.id",
                    f"  role_definition_name = {hcl_string(role)}  # {roles.guid(role)}",
                    "  principal_id         = var.principal_id", '  principal_type       = "ServicePrincipal"',
                    "}", ""]
    return "\n".join(out).rstrip() + "\n"


def iac_files(resources: list[dict[str, Any]]) -> dict[str, str]:
    """One Bicep file and one Terraform file: the parameters once, then every resource's block."""
    blocks = [r["bicep"] for r in resources if r.get("bicep")]
    bicep_text = ""
    if blocks:
        body = "\n".join(blocks)
        params = [line for name, line in BICEP_PARAMS.items() if re.search(rf"\b{name}\b", body)]
        bicep_text = "\n".join(params) + "\n\n" + body
    blocks = [r["terraform"] for r in resources if r.get("terraform")]
    terraform_text = ""
    if blocks:
        body = "\n".join(blocks)
        variables = [text for name, text in TERRAFORM_VARIABLES.items() if f"var.{name}" in body]
        terraform_text = "\n\n".join(variables) + "\n\n" + body
    return {"bicep": bicep_text, "terraform": terraform_text}


# -- the last pass ---------------------------------------------------------------------------------------------

def _quote_commands(node: Any, key: str = "") -> Any:
    if isinstance(node, dict):
        return {k: _quote_commands(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_quote_commands(v, key) for v in node]
    if isinstance(node, str) and key in SHELL_KEYS and SHELL_LINE.match(node):
        return shell_safe(node)
    return node


def report_root(paths: list[str], root: Path) -> Path:
    """The directory finding paths should be relative to: the git work tree or config directory holding the
    scanned directory, else that directory itself (never the current directory)."""
    from mi_migrate.core import config as config_mod

    if len(paths) != 1 or not Path(paths[0]).is_dir():
        return root
    scanned = Path(paths[0]).resolve()
    found = config_mod.find_config(scanned)
    if found is not None:
        return found[0].resolve().parent
    return config_mod.git_toplevel(scanned) or scanned


def _rebase(node: Any, prefix: str, key: str = "") -> Any:
    """Every path under `prefix/` written without it (keys too); `prefix` itself becomes '.'."""
    pattern = re.compile(r"(?:(?<=^--- a/)|(?<=^\+\+\+ b/)|(?<![\w./-]))" + re.escape(prefix)
                         + r"(?:/|(?![\w./-]))", re.M)

    def fix(text: str) -> str:
        if text == prefix:
            return "."
        return pattern.sub(lambda m: "" if m.group(0).endswith("/") else ".", text)

    if isinstance(node, dict):
        return {(fix(k) if isinstance(k, str) else k): (v if k == "paths" else _rebase(v, prefix, k))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_rebase(v, prefix, key) for v in node]
    if isinstance(node, str):
        return fix(node)
    return node


AI_TYPES = ("cognitive", "openai")


def custom_subdomain_notes(resource: dict[str, Any], findings: list[dict[str, Any]]) -> list[str]:
    """AI services accept Entra tokens only on the custom-subdomain endpoint (<name>.cognitiveservices.azure.com
    or <name>.openai.azure.com), never on a regional one (<region>.api.cognitive.microsoft.com)."""
    if resource["type"] not in AI_TYPES:
        return []
    endpoints = [resource.get("endpoint") or ""] + [
        str(f.get("fields", {}).get("endpoint") or "") for f in findings if f["id"] in resource["findings"]]
    regional = sorted({m.group(0) for e in endpoints for m in [REGIONAL_AI.match(e)] if m})
    if regional:  # the host names a region, not the account
        command = shell_safe('az cognitiveservices account update -g "$RG" -n <account-name> '
                             '--custom-domain <unique-subdomain>')
        return [f"Regional endpoint {', '.join(regional)}: Microsoft Entra tokens are accepted only on a custom "
                "subdomain endpoint (https://<subdomain>.cognitiveservices.azure.com), never on a regional one. "
                f"Give the account a custom subdomain first: `{command}` (it cannot be undone), then point the "
                "endpoint setting at https://<unique-subdomain>.cognitiveservices.azure.com."]
    name = resource["name"]
    command = shell_safe(f'az cognitiveservices account update -g "$RG" -n {q(name)} --custom-domain {q(name)}')
    return ["Microsoft Entra tokens are accepted only on the account's custom subdomain endpoint "
            "(https://<name>.cognitiveservices.azure.com or https://<name>.openai.azure.com), not on a regional "
            "endpoint (https://<region>.api.cognitive.microsoft.com). An account without one gets it with "
            f"`{command}` (it cannot be undone)."]


def requirements(report: dict[str, Any]) -> list[dict[str, str]]:
    """Minimum package and extension versions the rewritten code and the identity-based connections need."""
    added = "\n".join(line for d in report["diffs"] for line in d["diff"].splitlines() if line.startswith("+"))
    out: list[dict[str, str]] = []
    if added or report["summary"]["progress"]["rewritten"]:
        if "get_bearer_token_provider" in added:
            out.append({"package": "azure-identity", "minimum": "1.15.0",
                        "why": "get_bearer_token_provider (the OpenAI token provider) first shipped in 1.15.0"})
        else:
            out.append({"package": "azure-identity", "minimum": "1.5.0",
                        "why": "DefaultAzureCredential(managed_identity_client_id=...) first shipped in 1.5.0"})
        if "azure.identity.aio" in added:
            out.append({"package": "aiohttp", "minimum": "any",
                        "why": "azure.identity.aio credentials need an async transport"})
        if "azure_ad_token_provider" in added:
            out.append({"package": "openai", "minimum": "1.0.0",
                        "why": "AzureOpenAI(azure_ad_token_provider=...) is the 1.x client"})
        if "azure_ad_token_provider" in added and re.search(r"\b(AzureChatOpenAI|AzureOpenAIEmbeddings)\(", added):
            out.append({"package": "langchain-openai", "minimum": "1.7",
                        "why": "1.7 stops sending AZURE_OPENAI_API_KEY once a token provider is passed"})
    seen: set[tuple[str, str]] = set()
    for app in report["functions"]:
        for connection in app["connections"]:
            for ext in connection.get("extensions", []):
                key = (app["app"], ext["package"])
                if key in seen:
                    continue
                seen.add(key)
                state = ("" if not ext.get("bundle") else
                         f"; host.json declares {ext['bundle']}" + ("" if ext.get("bundle_ok") else ": raise it"))
                out.append({"package": f"{ext['package']} ({app['app']})", "minimum": ext["min_extension"],
                            "why": f"identity-based {ext['binding']} connections; or extension bundle "
                                   f"{ext['min_bundle']} or later{state}"})
    return out


def finish(report: dict[str, Any], root: Path | str) -> dict[str, Any]:
    """The last pass over a built report (see the module docstring); returns the same dict, changed."""
    # services: one spelling each
    for finding in report["findings"]:
        finding["service"] = SERVICE_ALIASES.get(finding["service"], finding["service"])
    for entry in report["rotation"]:
        entry["service"] = SERVICE_ALIASES.get(entry["service"], entry["service"])
    counts: dict[str, int] = {}
    for finding in report["findings"]:
        counts[finding["service"]] = counts.get(finding["service"], 0) + 1
    report["summary"]["by_service"] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    # resources of a type the report knows nothing about ("other") are not resources
    known = [r for r in report["resources"] if r["type"] in roles.table()["resources"]]
    dropped = {r["id"] for r in report["resources"]} - {r["id"] for r in known}
    if dropped:
        report["resources"] = known
        report["summary"]["resources"] = len(known)
        for item in report["findings"] + report["rotation"]:
            if item.get("resource") in dropped:
                item["resource"] = None

    for resource in report["resources"]:
        for note in custom_subdomain_notes(resource, report["findings"]):
            if note not in resource["notes"]:
                resource["notes"].append(note)

    report["notes"] = [dict(t) for t in dict.fromkeys(tuple(n.items()) for n in report["notes"])]
    report["iac"] = iac_files(report["resources"])
    report["requirements"] = requirements(report)

    base = report_root(report["paths"], Path(root))
    try:
        prefix = base.relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        prefix = "."
    if prefix not in (".", ""):
        report.update(_rebase(report, prefix))
    report.update(_quote_commands(report))
    return report
