"""`fix --configs` for .NET settings: Azure SQL connection strings in appsettings*.json, web.config and app.config
moved off passwords to Microsoft Entra sign-in by the app's identity.

An ADO.NET (Microsoft.Data.SqlClient) connection string to an Azure SQL host (`*.database.windows.net` and the
sovereign clouds) that holds a password loses `User ID` / `Password` / `Authentication` (any alias, any case) and
gets, where the first of them stood,
  * `Authentication=Active Directory Default` (`--credential default`; with `--client-id X` also `User Id=X`,
    which SqlClient hands to DefaultAzureCredential as the managed identity's client id);
  * `Authentication=Active Directory Managed Identity` (`--credential managed-identity`; user-assigned:
    `User Id=<client id>`);
  * with `--client-id-env NAME` the client id is only known at run time: `Active Directory Default`, whose
    DefaultAzureCredential reads AZURE_CLIENT_ID (ManagedIdentityCredential does not), and a note to set it.
ODBC strings (`Driver={ODBC Driver 18 for SQL Server};…;UID=…;PWD=…`) get `Authentication=ActiveDirectoryMsi`
(+ `UID=<client id>`): the ODBC driver rejects `ActiveDirectoryDefault` (migration.md §8.1), and it cannot read a
client id from a setting, so `--client-id-env` leaves them as a manual step.

Every other key stays byte for byte (order, spacing, quoting, the file's own escaping: each decoded character maps
back to its raw text). Local, on-premises, `Integrated Security` / `Trusted_Connection` and already
passwordless strings are left alone, so a second run changes nothing. The contained database user for the
identity is a manual step (T-SQL in the notes). No password ever reaches a Change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mi_migrate.fix.model import FixOptions

AZURE_SQL_SUFFIXES = (".database.windows.net", ".database.usgovcloudapi.net", ".database.chinacloudapi.cn")
USER_KEYS = frozenset({"userid", "uid", "user", "username"})
PASSWORD_KEYS = frozenset({"password", "pwd"})
DROP_KEYS = USER_KEYS | PASSWORD_KEYS | {"authentication"}
SERVER_KEYS = ("server", "datasource", "address", "addr", "networkaddress")
DATABASE_KEYS = ("initialcatalog", "database")
INTEGRATED_KEYS = frozenset({"integratedsecurity", "trustedconnection"})
TRUE_WORDS = frozenset({"true", "yes", "sspi"})
ODBC_HINT = re.compile(r"(?i)(?:^|;)\s*(?:driver|dsn)\s*=")
ADO_DEFAULT = "Active Directory Default"
ADO_MANAGED = "Active Directory Managed Identity"
ODBC_MSI = "ActiveDirectoryMsi"


@dataclass(frozen=True)
class Segment:
    """One `key=value` of a connection string: decoded offsets [start, end) without the `;` separators."""

    key: str  # normalised: lower case, no spaces or underscores ("User ID" → "userid")
    value: str  # unquoted
    start: int
    end: int


@dataclass(frozen=True)
class Plan:
    """What happens to one connection string (decoded text)."""

    segments: tuple[Segment, ...]
    drop: frozenset[int]  # indexes of segments to remove
    new: tuple[tuple[str, str], ...]  # (key, value) inserted where the first dropped segment stood
    host: str
    database: str
    odbc: bool
    authentication: str  # the Authentication value written
    status: str = "rewritten"  # or "manual" (nothing is edited)
    reason: str | None = None

    @property
    def passwords(self) -> list[str]:
        """The removed password values (only to check that nothing prints them; never stored in a Change)."""
        return [seg.value for i, seg in enumerate(self.segments) if i in self.drop and seg.key in PASSWORD_KEYS]


def norm_key(raw: str) -> str:
    return re.sub(r"[\s_]+", "", raw).lower()


def segments(text: str, odbc: bool | None = None) -> list[Segment]:
    """Split a connection string on `;` outside quoted (`"…"`, `'…'`, ADO.NET; doubled to escape) or, for ODBC,
    braced (`{…}`, `}}` escapes) values; `==` in a key is a literal `=`."""
    odbc = bool(ODBC_HINT.search(text)) if odbc is None else odbc
    out: list[Segment] = []
    i, n = 0, len(text)
    while i <= n:
        start = i
        while i < n and text[i] != ";":
            if text[i] == "=" and text[i + 1:i + 2] == "=":
                i += 2
                continue
            if text[i] == "=":
                break
            i += 1
        key = text[start:i]
        value = ""
        if i < n and text[i] == "=":
            i += 1
            while i < n and text[i] in " \t":
                i += 1
            value_start = i
            opener = text[i] if i < n else ""
            closer = "}" if opener == "{" and odbc else opener if opener in ("'", '"') else ""
            if closer:
                i += 1
                while i < n:
                    if text[i] == closer:
                        if text[i + 1:i + 2] == closer:
                            i += 2
                            continue
                        i += 1
                        break
                    i += 1
            while i < n and text[i] != ";":
                i += 1
            value = text[value_start:i].strip()
            if closer and len(value) >= 2 and value[0] == opener and value[-1] == closer:
                value = value[1:-1].replace(closer * 2, closer)
        out.append(Segment(norm_key(key.replace("==", "=")), value, start, i))
        i += 1
    return out


def host_of(server: str) -> str:
    """`tcp:acme.database.windows.net,1433` → `acme.database.windows.net` (also drops `\\instance`)."""
    host = re.sub(r"(?i)^\s*(?:tcp|np|lpc|admin):", "", server.strip().strip("{}"))
    return re.split(r"[,\\:]", host, maxsplit=1)[0].strip().rstrip(".").lower()


def is_azure_sql(host: str) -> bool:
    return host.endswith(AZURE_SQL_SUFFIXES)


def plan(text: str, options: FixOptions) -> Plan | None:
    """The rewrite of connection string `text` (decoded); None when it is not an Azure SQL one with a password."""
    if "=" not in text or len(text) > 4096:
        return None
    odbc = bool(ODBC_HINT.search(text))
    parts = segments(text, odbc)
    first = {}
    for seg in parts:
        first.setdefault(seg.key, seg)
    server = next((first[k] for k in SERVER_KEYS if k in first), None)
    password = next((first[k] for k in PASSWORD_KEYS if k in first and first[k].value.strip()), None)
    if server is None or password is None:
        return None
    if any(k in first and first[k].value.strip().lower() in TRUE_WORDS for k in INTEGRATED_KEYS):
        return None  # Windows sign-in: the password is ignored, and not ours to change
    host = host_of(server.value)
    if not is_azure_sql(host):
        return None
    database = next((first[k].value for k in DATABASE_KEYS if k in first), "")
    drop = frozenset(i for i, seg in enumerate(parts) if seg.key in DROP_KEYS)
    managed = options.credential == "managed-identity"
    if odbc:
        if options.client_id_env and not options.client_id:
            return Plan(tuple(parts), frozenset(), (), host, database, True, "", "manual",
                        f"the ODBC driver cannot read the identity's client id from {options.client_id_env}: "
                        "rerun with --client-id <id> (it becomes UID=<id>, Authentication=ActiveDirectoryMsi), "
                        "then remove PWD")
        new = [("Authentication", ODBC_MSI)] + ([("UID", options.client_id)] if options.client_id else [])
        return Plan(tuple(parts), drop, tuple(new), host, database, True, ODBC_MSI)
    auth = ADO_MANAGED if managed and not options.client_id_env else ADO_DEFAULT
    new = [("Authentication", auth)] + ([("User Id", options.client_id)] if options.client_id else [])
    return Plan(tuple(parts), drop, tuple(new), host, database, False, auth)


def splice(plan: Plan, raw: str, offsets: Sequence[int], encode: Callable[[str], str]) -> str:
    """The new raw text: kept segments copied from `raw` (offsets[i] = raw index of decoded character i, plus one
    entry for the end), the new keys encoded with `encode` in the style of the first dropped segment."""
    pieces: list[str] = []
    inserted = False
    for i, seg in enumerate(plan.segments):
        original = raw[offsets[seg.start]:offsets[seg.end]]
        if i not in plan.drop:
            pieces.append(original)
            continue
        if inserted:
            continue
        inserted = True
        lead = original[:len(original) - len(original.lstrip())]
        trail = original[len(original.rstrip()):]
        equals = re.search(r"\s*=\s*", original)
        sep = equals.group(0) if equals else "="
        pieces.extend(lead + encode(f"{key}{sep}{value}") + trail for key, value in plan.new)
    return ";".join(pieces)


def rewritten_text(plan: Plan, text: str) -> str:
    """The new connection string, decoded (what the app will read)."""
    return splice(plan, text, range(len(text) + 1), lambda s: s)


def notes(plan: Plan, options: FixOptions, provider: str | None = None) -> tuple[str, ...]:
    """What the report tells the user to do next (never a secret)."""
    server = plan.host.split(".")[0]
    where = f"database {plan.database} on server {server}" if plan.database else f"the database on server {server}"
    out = [
        f"Create a contained database user for the app's identity in {where} (connected as the server's Microsoft "
        "Entra admin): CREATE USER [<identity-name>] FROM EXTERNAL PROVIDER; ALTER ROLE db_datareader ADD MEMBER "
        "[<identity-name>]; ALTER ROLE db_datawriter ADD MEMBER [<identity-name>]; (<identity-name>: the app's "
        "name for a system-assigned identity, else the user-assigned identity's name).",
    ]
    if plan.odbc:
        out.append("The ODBC driver signs in with the managed identity only (it has no ActiveDirectoryDefault): "
                   "for local development use Authentication=ActiveDirectoryInteractive or "
                   "ActiveDirectoryIntegrated instead.")
    else:
        out.append(f"Authentication={plan.authentication} needs Microsoft.Data.SqlClient "
                   f"{'3.0' if plan.authentication == ADO_DEFAULT else '2.1'} or later; System.Data.SqlClient "
                   "does not support it.")
        if provider and provider.strip().lower() == "system.data.sqlclient":
            out.append("providerName is System.Data.SqlClient: switch the app (and providerName) to "
                       "Microsoft.Data.SqlClient (EF6: Microsoft.EntityFramework.SqlServer).")
    if options.client_id_env and not options.client_id and not plan.odbc:
        out.append(f"Set AZURE_CLIENT_ID to the user-assigned identity's client id (the value of "
                   f"{options.client_id_env}): Active Directory Default reads it; Active Directory Managed Identity "
                   "would need it in User Id at fix time.")
    elif options.client_id:
        out.append(f"User Id / UID is the client id of the user-assigned identity ({options.client_id}).")
    if plan.authentication == ADO_DEFAULT:
        out.append("Locally, Active Directory Default signs in with your Visual Studio / Azure CLI account: give it "
                   "a database user too (CREATE USER [<you@your-tenant>] FROM EXTERNAL PROVIDER).")
    out.append(f"Once no client uses a password, enable Microsoft Entra-only authentication on server {server}.")
    return tuple(out)


# -- raw text of the two file formats ------------------------------------------------------------------------------
_JSON_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def json_decode(raw: str) -> tuple[str, list[int]]:
    """A JSON string body (between the quotes) decoded, with the raw index of each character (+ the end)."""
    chars: list[str] = []
    offsets: list[int] = []
    i = 0
    while i < len(raw):
        offsets.append(i)
        if raw[i] == "\\" and i + 1 < len(raw):
            if raw[i + 1] == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", raw[i + 2:i + 6]):
                chars.append(chr(int(raw[i + 2:i + 6], 16)))
                i += 6
                continue
            chars.append(_JSON_ESCAPES.get(raw[i + 1], raw[i + 1]))
            i += 2
            continue
        chars.append(raw[i])
        i += 1
    offsets.append(len(raw))
    return "".join(chars), offsets


def json_encode(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)[1:-1]


def xml_encode(quote: str) -> Callable[[str], str]:
    """Escape for an attribute quoted with `quote` (or a text node when quote is empty)."""

    def encode(text: str) -> str:
        out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if quote == '"':
            out = out.replace('"', "&quot;")
        elif quote == "'":
            out = out.replace("'", "&apos;")
        return out

    return encode


__all__ = ["Plan", "json_decode", "json_encode", "notes", "plan", "rewritten_text", "segments", "splice",
           "xml_encode"]
