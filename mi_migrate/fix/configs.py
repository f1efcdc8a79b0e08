"""`fix --configs`: rewrite local.settings.json, .env files, appsettings*.json and web.config / app.config to
identity-based settings.

A round-trip editor: each setting is replaced at its exact span (key through value), so formatting, comments, key
order, indentation and line endings stay; nothing is loaded and dumped. Names and values come from
  * the Python fix's changes (old_setting → setting): the code now reads the new name;
  * for Functions (local.settings.json Values) the identity-based connection forms of migration.md §7:
    `AzureWebJobsStorage__accountName`, `<Conn>__blobServiceUri`/`__queueServiceUri`/`__tableServiceUri`,
    `<Conn>__fullyQualifiedNamespace`, `<Conn>__accountEndpoint`.
Values are derived from the file's own old connection string (endpoints only, never the key). Emulator values stay,
and a setting some code still reads with a key (a manual step) is left alone. Rewriting twice changes nothing.
In the .NET files (appsettings*.json, web.config, app.config) Azure SQL connection strings with a password are
edited in place to Microsoft Entra sign-in (mi_migrate.fix.sql_settings); .env and local.settings.json values are
left to the code fix, since Python drivers take a token instead of an `Authentication=` keyword.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mi_migrate.core.finding import Note
from mi_migrate.fix import endpoints, sql_settings
from mi_migrate.fix.model import Change, FileFix, FixOptions

SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", "build", "dist", ".mypy_cache"}
FAMILY_KIND = {
    "azure-storage-blob": "blob", "azure-storage-queue": "queue", "azure-data-tables": "table",
    "azure-storage-file-share": "file", "azure-storage-file-datalake": "dfs", "azure-servicebus": "servicebus",
    "azure-eventhub": "eventhubs", "azure-cosmos": "cosmos",
}
SUFFIX_KIND = {"__blobServiceUri": "blob", "__queueServiceUri": "queue", "__tableServiceUri": "table",
               "__fullyQualifiedNamespace": "servicebus", "__accountEndpoint": "cosmos"}
JSON_MEMBER = re.compile(r'"((?:[^"\\\n]|\\.)*)"(\s*:\s*)"((?:[^"\\\n]|\\.)*)"')
DOTENV_LINE = re.compile(r"^([ \t]*(?:export[ \t]+)?)([A-Za-z_][A-Za-z0-9_.\-]*)([ \t]*=[ \t]*)(.*?)(\r?\n?)$")
XML_CONFIG = re.compile(r"(?:web|app)(?:\.[\w-]+)?\.config", re.IGNORECASE)  # Web.Release.config transforms too
SQL_KINDS = ("appsettings.json", "xml")
EMULATOR = re.compile(r"usedevelopmentstorage=true|devstoreaccount1|127\.0\.0\.1|localhost|usedevelopmentemulator",
                      re.IGNORECASE)


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    old: str  # the setting's name
    new: list[tuple[str, str]]  # (name, value) replacing it
    service: str
    resource: str | None
    reader: str  # who reads the new settings: the code's client class, or the Functions host / bindings


def file_kind(name: str) -> str | None:
    if name == "local.settings.json":
        return "local.settings.json"
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return ".env"
    if name.startswith("appsettings") and name.endswith(".json"):
        return "appsettings.json"
    if XML_CONFIG.fullmatch(name):
        return "xml"
    return None


def config_files(paths: Iterable[str], root: Path | None = None) -> list[tuple[Path, str]]:
    """(path, root-relative POSIX path) of the settings files under `paths`, gitignored ones included: local
    settings files are usually ignored by git, and they are exactly the ones to rewrite."""
    found: dict[Path, str] = {}
    base = (root or Path(".")).resolve()

    def display(path: Path) -> str:
        try:
            return path.resolve().relative_to(base).as_posix()
        except ValueError:
            return path.as_posix()

    for given in paths:
        start = Path(given)
        if start.is_file():
            if file_kind(start.name):
                found.setdefault(start.resolve(), display(start))
            continue
        for folder, dirs, files in os.walk(start):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for name in sorted(files):
                if file_kind(name):
                    path = Path(folder) / name
                    found.setdefault(path.resolve(), display(path))
    return sorted(((p, rel) for p, rel in found.items()), key=lambda item: item[1])


def is_emulator(value: str) -> bool:
    return bool(EMULATOR.search(value))


def derive_value(kind: str, value: str) -> str | None:
    """The endpoint a setting of `kind` gets from the old connection string; None when it names none."""
    if is_emulator(value) or "=" not in value:
        return None
    return endpoints.derive(kind, value).get("endpoint")


def functions_form(name: str, value: str, code_names: set[str]) -> tuple[list[tuple[str, str]], str, str | None]:
    """The identity-based Functions settings replacing connection `name` (migration.md §7), its service and
    resource; ([], ...) when the value is not a key-based connection string or is an emulator's."""
    if is_emulator(value) or "=" not in value:
        return [], "", None
    parts = endpoints.parts(value)
    if not ({"accountkey", "sharedaccesskey", "sharedaccesssignature"} & set(parts)):
        return [], "", None
    if "accountendpoint" in parts:
        endpoint = parts["accountendpoint"]
        return [(f"{name}__accountEndpoint", endpoint)], "cosmos", endpoints.derive("cosmos", value).get("resource")
    if parts.get("endpoint", "").lower().startswith("sb://"):
        host = endpoints.namespace_host(parts)
        service = "eventhubs" if "entitypath" in parts or "eventhub" in name.lower() else "servicebus"
        return ([(f"{name}__fullyQualifiedNamespace", host)] if host else []), service, (host or "").split(".")[0]
    if "accountname" in parts or any(f"{s}endpoint" in parts for s in ("blob", "queue", "table")):
        account = parts.get("accountname")
        default = (account and not any(k.endswith("endpoint") for k in parts)
                   and parts.get("endpointsuffix", "core.windows.net") == "core.windows.net"
                   and parts.get("defaultendpointsprotocol", "https").lower() == "https")
        uris = {f"{name}__blobServiceUri", f"{name}__queueServiceUri", f"{name}__tableServiceUri"}
        if name == "AzureWebJobsStorage" and default and not (code_names & uris):
            return [(f"{name}__accountName", account or "")], "storage", account
        out = []
        for service in ("blob", "queue", "table"):
            endpoint = endpoints.storage_endpoint(parts, service)
            if endpoint:
                out.append((f"{name}__{service}ServiceUri", endpoint))
        return out, "storage", account
    return [], "", None


def plan(kind: str, items: list[tuple[int, int, str, str]], changes: list[Change]) -> list[Edit]:
    """Edits for a file's (start, end, name, value) settings: code renames first, then Functions forms."""
    rewritten: dict[str, list[Change]] = {}
    still_read = {c.old_setting for c in changes if c.status != "rewritten" and c.old_setting}
    # a key the rewritten code no longer reads at all (an API key replaced by a token): its .env line goes
    dropped = {c.old_setting for c in changes if c.status == "rewritten" and c.old_setting and not c.setting}
    for change in changes:
        if change.status == "rewritten" and change.old_setting and change.setting:
            rewritten.setdefault(change.old_setting, []).append(change)
    edits = []
    for start, end, name, value in items:
        short = name.split(":")[-1]
        if name in still_read or short in still_read:
            continue
        new: list[tuple[str, str]] = []
        service, resource, reader = "", None, ""
        for change in rewritten.get(name, rewritten.get(short, [])):
            target = (change.setting or "").split(":")[-1]  # a member key is local to its JSON object
            suffix = next((s for s in SUFFIX_KIND if target.endswith(s)), None)
            derive_kind = SUFFIX_KIND.get(suffix or "") or FAMILY_KIND.get(change.family, change.service)
            derived = derive_value(derive_kind, value)
            if derived and target not in dict(new):
                new.append((target, derived))
                service, reader = change.service, change.client
                resource = endpoints.derive(derive_kind, value).get("resource") or change.resource
        if kind == "local.settings.json":
            extra, fn_service, fn_resource = functions_form(name, value, {n for n, _ in new})
            for item in extra:
                if item[0] not in dict(new):
                    new.append(item)
            service, resource = service or fn_service, resource or fn_resource
            reader = reader or ("Functions host" if name == "AzureWebJobsStorage" else "Functions bindings")
        if new:
            edits.append(Edit(start, end, name, new, service or "other", resource, reader))
        elif kind == ".env" and name in dropped and name not in rewritten:
            reader = next((c.client for c in changes if c.old_setting == name), "")
            service = next((c.service for c in changes if c.old_setting == name), "other")
            edits.append(Edit(start, end, name, [], service, None, reader))
    return edits


def json_items(text: str, kind: str) -> list[tuple[int, int, str, str]]:
    """(start, end, key path, value) of string members: local.settings.json `Values`, any appsettings member."""
    from mi_migrate.scan.iac.blocks import Blocks

    blocks = Blocks(text, "json")
    tops = [b for b in blocks.top() if b.char == "{"]
    if not tops:
        return []
    out: list[tuple[int, int, str, str]] = []

    def walk(block: object, path: str) -> None:
        direct = blocks.direct(block)  # type: ignore[arg-type]
        for match in JSON_MEMBER.finditer(direct):
            try:
                key, value = json.loads(f'"{match.group(1)}"'), json.loads(f'"{match.group(3)}"')
            except ValueError:
                continue
            out.append((match.start(), match.end(), f"{path}:{key}" if path else key, value))
        for kid in blocks.children(block):  # type: ignore[arg-type]
            header = re.search(r'"((?:[^"\\]|\\.)*)"\s*:$', blocks.header(kid))
            if kid.char == "{" and header:
                walk(kid, f"{path}:{header.group(1)}" if path else header.group(1))

    if kind == "local.settings.json":
        values = blocks.child(tops[0], re.compile(r'(?:^|[{,\s])"Values"\s*:$'))
        if values is not None:
            walk(values, "")
    else:
        walk(tops[0], "")
    return out


def _unquote(raw: str) -> str:
    """A quoted .env value up to its closing quote (an unterminated quote runs to the end of the line)."""
    end = raw.find(raw[0], 1)
    return raw[1:end] if end != -1 else raw[1:].rstrip("\r\n")


def dotenv_items(text: str) -> list[tuple[int, int, str, str]]:
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        match = DOTENV_LINE.match(line)
        if match and not line.lstrip().startswith("#"):
            raw = match.group(4)
            quoted = raw[:1] in ("'", '"')
            value = _unquote(raw) if quoted else re.sub(r"[ \t]+#.*$", "", raw).strip()
            out.append((pos + match.start(2), pos + match.end(4), match.group(2), value))
        pos += len(line)
    return out


def render(kind: str, text: str, edit: Edit) -> str:
    """The replacement for one setting's span, in the file's own style."""
    original = text[edit.start:edit.end]
    line_start = text.rfind("\n", 0, edit.start) + 1
    indent = text[line_start:edit.start]
    newline = "\r\n" if text[edit.end:].startswith("\r\n") or "\r\n" in text[:edit.start] else "\n"
    if kind == ".env":
        raw = text[edit.start:edit.end].split("=", 1)[1].lstrip()
        quote = raw[0] if raw[:1] in ("'", '"') else ""
        sep = re.search(r"[ \t]*=[ \t]*", original).group(0)  # type: ignore[union-attr]
        comment = re.search(r"[ \t]+#.*$", raw)
        trailer = raw[raw.find(quote, 1) + 1:] if quote else (raw[comment.start():] if comment else "")
        pieces = [f"{name}{sep}{quote}{value}{quote}" for name, value in edit.new]
        return (newline + indent).join([*pieces[:-1], pieces[-1] + trailer]) if pieces else original
    member = JSON_MEMBER.match(original)
    sep = member.group(2) if member else ": "
    pieces = [f"{json.dumps(name, ensure_ascii=False)}{sep}{json.dumps(value, ensure_ascii=False)}"
              for name, value in edit.new]
    joiner = ("," + newline + indent) if indent.strip() == "" else ", "
    return joiner.join(pieces)


def fix_config(path: Path, rel: str, changes: list[Change], options: FixOptions | None = None) -> FileFix | None:
    """The rewrite of one settings file (None when it is not one); FileFix.error when it cannot be read."""
    kind = file_kind(path.name)
    if kind is None:
        return None
    try:
        data = path.read_bytes()
        text = data[3:].decode("utf-8") if data.startswith(b"\xef\xbb\xbf") else data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fix = FileFix(rel, "")
        if kind == "xml" and isinstance(exc, UnicodeDecodeError) and not any(
                suffix.encode() in data for suffix in sql_settings.AZURE_SQL_SUFFIXES):
            return fix  # a web.config in another encoding with no Azure SQL host: nothing to say
        fix.error = f"settings not rewritten: cannot read as UTF-8 ({exc.__class__.__name__})"
        return fix
    fix = FileFix(rel, text)
    items = dotenv_items(text) if kind == ".env" else [] if kind == "xml" else json_items(text, kind)
    edits = plan(kind, items, changes)
    sql_edits = [_unless_visible(text, *found) for found in sql_plan(kind, text, items, edits, rel, options)]
    fix.changes.extend(change for _, _, _, change in sql_edits if change.status != "rewritten")
    sql_edits = [edit for edit in sql_edits if edit[3].status == "rewritten"]
    if not edits and not sql_edits:
        return fix
    replacements = [(e.start, e.end, render(kind, text, e) if e.new else None) for e in edits]
    replacements += [(start, end, raw) for start, end, raw, _ in sql_edits]
    updated = text
    for start, end, new in sorted(replacements, key=lambda r: r[0], reverse=True):
        if new is None:  # delete the whole line
            line_start = updated.rfind("\n", 0, start) + 1
            line_end = updated.find("\n", end)
            updated = updated[:line_start] + (updated[line_end + 1:] if line_end != -1 else "")
            continue
        updated = updated[:start] + new + updated[end:]
    if kind == "xml":
        from mi_migrate.scan.structured.values import ParseFailure
        from mi_migrate.scan.structured.xml_config import check

        try:
            check(updated)
        except ParseFailure:  # the original parsed (sql_plan read it): never break it
            fix.error = "settings not rewritten: the edit would not parse as XML"
            return fix
    elif kind != ".env":
        try:
            json.loads(updated)
        except ValueError:
            if _parses(text):  # never turn valid JSON invalid
                fix.error = "settings not rewritten: the edit would not parse as JSON"
                return fix
    fix.updated = updated
    for edit in edits:
        line = text.count("\n", 0, edit.start) + 1
        fix.changes.append(Change(
            path=rel, line=line, end_line=text.count("\n", 0, edit.end) + 1, family="configuration", client=edit.reader,
            service=edit.service, status="rewritten", old_setting=edit.old,
            setting=edit.new[0][0] if edit.new else None, setting_value=edit.new[0][1] if edit.new else None,
            resource=edit.resource,
            notes=tuple(f"also set {name}={value}" for name, value in edit.new[1:]),
            extra={"file_kind": kind, "delete_settings": [edit.old], "settings": dict(edit.new)},
        ))
    fix.changes.extend(change for _, _, _, change in sql_edits)
    fix.changes.sort(key=lambda c: c.line)
    return fix


def sql_plan(kind: str, text: str, items: list[tuple[int, int, str, str]], edits: list[Edit], rel: str,
             options: FixOptions | None = None) -> list[tuple[int, int, str, Change, list[str]]]:
    """(start, end, new raw text, Change, removed passwords) for each Azure SQL connection string with a password
    in a .NET settings file: the value's raw span only, so the rest of the member/attribute and the file's escaping
    stay. The passwords are only for _unless_visible; they never go into the Change."""
    if kind not in SQL_KINDS:
        return []
    options = options or FixOptions()
    out: list[tuple[int, int, str, Change, list[str]]] = []
    if kind == "xml":
        from mi_migrate.scan.structured.values import ParseFailure
        from mi_migrate.scan.structured.xml_config import extract

        try:
            values = extract(text)
        except (ParseFailure, RecursionError):
            return []
        for value in values:
            if value.encoding or "=" not in value.text:
                continue
            found = sql_settings.plan(value.text, options)
            if found is None:
                continue
            raw = text[value.start:value.end]
            offsets = [value.file_offset(i) - value.start for i in range(len(value.text))] + [len(raw)]
            before = text[value.start - 1:value.start]
            if text[max(0, value.start - 9):value.start] == "<![CDATA[":
                encode = str
            else:
                quote = before if before in ("'", '"') and text[value.end:value.end + 1] == before else ""
                encode = sql_settings.xml_encode(quote)
            tag = text[text.rfind("<", 0, value.start):text.find(">", value.end) + 1]
            provider = re.search(r"""\sproviderName\s*=\s*["']([^"']*)""", tag)
            named = re.search(r"\[@(?:name|key)='([^']*)'\](?:/value)?$", value.key_path)
            name = named.group(1) if named else value.key_path
            new_raw = sql_settings.splice(found, raw, offsets, encode)
            if encode is str and "]]>" in new_raw:
                continue
            out.append((value.start, value.end, new_raw, _sql_change(
                found, text, value.start, value.end, rel, kind, name, value.text, options,
                provider.group(1) if provider else None), found.passwords))
        return out
    taken = [(e.start, e.end) for e in edits]
    for start, end, name, value in items:
        if "=" not in value or any(s < end and start < e for s, e in taken):
            continue
        found = sql_settings.plan(value, options)
        member = JSON_MEMBER.match(text, start) if found is not None else None
        if found is None or member is None:
            continue
        raw = member.group(3)
        decoded, offsets = sql_settings.json_decode(raw)
        if decoded != value:
            continue
        new_raw = sql_settings.splice(found, raw, offsets, sql_settings.json_encode)
        out.append((member.start(3), member.end(3), new_raw, _sql_change(
            found, text, member.start(3), member.end(3), rel, kind, name, value, options), found.passwords))
    return out


def _unless_visible(text: str, start: int, end: int, new_raw: str, change: Change,
                    passwords: list[str]) -> tuple[int, int, str, Change]:
    """A rewrite whose removed lines `fix --diff` could not show redacted (a password quoted as `&quot;…;&quot;`
    or `\\"…;\\"` that the text scan does not recognise) becomes a manual step: the diff must never quote one."""
    from dataclasses import replace

    from mi_migrate.scan.redact_text import redact_secrets

    if change.status != "rewritten":
        return start, end, new_raw, change
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    lines = text[line_start:line_end if line_end != -1 else len(text)]
    shown = redact_secrets("".join(f"-{line}\n" for line in lines.splitlines()))
    if not any(password in shown for password in passwords):
        return start, end, new_raw, change
    keys = "/".join(change.extra.get("removed_keys", []))
    step = (f"{change.setting}: remove {keys} and add Authentication={change.extra.get('authentication')} by hand: "
            "the password is quoted in a way the redaction of `fix --diff` cannot hide, so it is not rewritten "
            "automatically")
    return start, end, new_raw, replace(change, status="manual", reason=step, setting=None, setting_value=None,
                                        extra={"file_kind": change.extra.get("file_kind"),
                                               "setting_name": change.setting})


def _sql_change(found: sql_settings.Plan, text: str, start: int, end: int, rel: str, kind: str, name: str,
                value: str, options: FixOptions, provider: str | None = None) -> Change:
    """The Change for one Azure SQL connection string: names, host and the new (passwordless) value only."""
    line, end_line = text.count("\n", 0, start) + 1, text.count("\n", 0, end) + 1
    client = "ODBC driver" if found.odbc else "Microsoft.Data.SqlClient"
    common = {"path": rel, "line": line, "end_line": end_line, "family": "configuration", "client": client,
              "service": "sql", "endpoint": found.host, "resource": found.host.split(".")[0]}
    if found.status != "rewritten":
        return Change(**common, status="manual", reason=f"{name}: {found.reason}",  # type: ignore[arg-type]
                      extra={"file_kind": kind, "setting_name": name})
    new_value = sql_settings.rewritten_text(found, value)
    removed = [value[seg.start:seg.end].split("=", 1)[0].strip() for i, seg in enumerate(found.segments)
               if i in found.drop]
    return Change(**common, status="rewritten", setting=name, setting_value=new_value,  # type: ignore[arg-type]
                  notes=sql_settings.notes(found, options, provider),
                  extra={"file_kind": kind, "delete_settings": [], "settings": {name: new_value},
                         "authentication": found.authentication, "database": found.database,
                         "removed_keys": removed})


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def fix_configs(paths: Iterable[str], changes: list[Change], write: bool, root: Path | None = None,
                options: FixOptions | None = None) -> tuple[list[FileFix], list[Note]]:
    """Rewrite every settings file under `paths`; writes atomically (keeping BOM and mode) when `write`.
    `options` chooses the identity Azure SQL connection strings sign in with (default: DefaultAzureCredential)."""
    from mi_migrate.fix.files import write_atomic

    fixes, notes = [], []
    for path, rel in config_files(paths, root):
        fix = fix_config(path, rel, changes, options)
        if fix is None:
            continue
        if fix.error:
            notes.append(Note(rel, fix.error))
            continue
        fixes.append(fix)
        if fix.changed and write:
            write_atomic(path, fix.updated or "", "utf-8", path.read_bytes().startswith(b"\xef\xbb\xbf"))
    return fixes, notes
