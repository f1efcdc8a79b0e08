"""`fix --configs`: rewrite local.settings.json, .env files and appsettings*.json to identity-based settings.

A round-trip editor: each setting is replaced at its exact span (key through value), so formatting, comments, key
order, indentation and line endings stay; nothing is loaded and dumped. Names and values come from
  * the Python fix's changes (old_setting → setting): the code now reads the new name;
  * for Functions (local.settings.json Values) the identity-based connection forms of migration.md §7:
    `AzureWebJobsStorage__accountName`, `<Conn>__blobServiceUri`/`__queueServiceUri`/`__tableServiceUri`,
    `<Conn>__fullyQualifiedNamespace`, `<Conn>__accountEndpoint`.
Values are derived from the file's own old connection string (endpoints only, never the key). Emulator values stay,
and a setting some code still reads with a key (a manual step) is left alone. Rewriting twice changes nothing.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mi_migrate.finding import Note
from mi_migrate.fix import endpoints
from mi_migrate.fix.model import Change, FileFix

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
    from mi_migrate.iac.blocks import Blocks

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


def fix_config(path: Path, rel: str, changes: list[Change]) -> FileFix | None:
    """The rewrite of one settings file (None when it is not one); FileFix.error when it cannot be read."""
    kind = file_kind(path.name)
    if kind is None:
        return None
    try:
        data = path.read_bytes()
        text = data[3:].decode("utf-8") if data.startswith(b"\xef\xbb\xbf") else data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fix = FileFix(rel, "")
        fix.error = f"settings not rewritten: cannot read as UTF-8 ({exc.__class__.__name__})"
        return fix
    fix = FileFix(rel, text)
    items = dotenv_items(text) if kind == ".env" else json_items(text, kind)
    edits = plan(kind, items, changes)
    if not edits:
        return fix
    updated = text
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        if not edit.new:  # delete the whole line
            line_start = updated.rfind("\n", 0, edit.start) + 1
            line_end = updated.find("\n", edit.end)
            updated = updated[:line_start] + (updated[line_end + 1:] if line_end != -1 else "")
            continue
        updated = updated[:edit.start] + render(kind, text, edit) + updated[edit.end:]
    if kind != ".env":
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
    return fix


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def fix_configs(paths: Iterable[str], changes: list[Change], write: bool,
                root: Path | None = None) -> tuple[list[FileFix], list[Note]]:
    """Rewrite every settings file under `paths`; writes atomically (keeping BOM and mode) when `write`."""
    from mi_migrate.fix.runner import write_atomic

    fixes, notes = [], []
    for path, rel in config_files(paths, root):
        fix = fix_config(path, rel, changes)
        if fix is None:
            continue
        if fix.error:
            notes.append(Note(rel, fix.error))
            continue
        fixes.append(fix)
        if fix.changed and write:
            write_atomic(path, fix.updated or "", "utf-8", path.read_bytes().startswith(b"\xef\xbb\xbf"))
    return fixes, notes
