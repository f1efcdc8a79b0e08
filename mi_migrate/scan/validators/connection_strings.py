"""Connection strings parsed as key=value sets in any order and case, not as one ordered regex.

A rule's regex only finds an anchor (`AccountKey=`, `SharedAccessKey =`, `Password=`); the validator then takes the
whole connection string around it — bounded by quotes, line ends and markup — parses it, decides which service it
belongs to and returns the secret's exact span plus what the report needs (account, endpoint, namespace, …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from mi_migrate.scan.validators.base import MatchContext, Verdict, register
from mi_migrate.scan.validators.keys import decodes_to, decodes_to_text, is_key_material, is_local_host
from mi_migrate.scan.validators.placeholders import is_placeholder

# Characters that end a connection string on either side: quotes, line breaks, markup, shell/JSON delimiters.
MAX_EXTENT = 1024  # longer than any real connection string; bounds the work per anchor
_INLINE_COMMENT = re.compile(r"\s+#")
_KEY_VALUE = re.compile(r"([A-Za-z][A-Za-z0-9 _.]{0,40}?)\s*=\s*(.*)", re.DOTALL)


@dataclass(frozen=True)
class Part:
    """One key=value segment with the absolute offsets of its value."""

    key: str  # lower-cased, inner spaces removed ("user id" → "userid")
    value: str
    start: int
    end: int


_TERMINATOR = re.compile(r"[\"'`\n\r<>\\{}\[\]|]")


def grow(text: str, start: int, end: int, terminator: re.Pattern[str], limit: int = MAX_EXTENT) -> tuple[int, int]:
    """Widen [start, end) up to the nearest terminator on each side (at most `limit` characters each way).

    The scanning happens in the regex engine, so a line holding thousands of anchors stays linear-ish.
    """
    window_start = max(0, start - limit)
    left = window_start
    for found in terminator.finditer(text, window_start, start):
        left = found.end()
    found_right = terminator.search(text, end, min(len(text), end + limit))
    right = found_right.start() if found_right else min(len(text), end + limit)
    return left, right


def extent(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow [start, end) to the whole connection string the anchor sits in. A value quoted right after the anchor
    (`Password="a;b"`, `pwd = \\"a;b\\"` in JSON source) runs to its closing quote: the quote opens the value, it
    does not end the string."""
    left, right = grow(text, start, end, _TERMINATOR)
    if right >= len(text) or text[end:right].strip() or not text[start:end].rstrip().endswith("="):
        return left, right
    quote = next((q for q in _QUOTES if text.startswith(q, right)), None)
    if quote is None:
        return left, right
    close = text.find(quote, right + len(quote), right + MAX_EXTENT)
    if close == -1 or "\n" in text[right:close]:
        return left, right
    after_close = text[close + len(quote):close + len(quote) + 8].lstrip(" \t")
    if after_close and after_close[0] not in ";\"'<\r\n\\&":  # a closing quote ends the value: `;` or the string
        return left, right
    _, after = grow(text, close + len(quote), close + len(quote), _TERMINATOR)
    return left, after


def parse(text: str, left: int, right: int, separator: str = ";") -> dict[str, Part]:
    """Split text[left:right] into key=value parts; the first one wins when a key repeats."""
    parts: dict[str, Part] = {}
    for seg_start, segment in _segments(text[left:right], separator, left):
        match = _KEY_VALUE.search(segment)
        if not match:
            continue
        key = "".join(match.group(1).split()).lower()
        raw = match.group(2)
        # `CONN=DefaultEndpointsProtocol=https`: the real key is the last identifier before the value.
        while key not in KNOWN_KEYS and "=" in raw:
            inner = _KEY_VALUE.search(raw)
            if not inner:
                break
            key = "".join(inner.group(1).split()).lower()
            raw = inner.group(2)
        value = raw.rstrip()
        comment = _INLINE_COMMENT.search(value)
        if comment:  # `.env` / YAML: `KEY=value  # note`
            value = value[: comment.start()]
        value_start = seg_start + len(segment) - len(raw)
        stripped = _unquoted(value.strip())
        offset = value.find(stripped) if stripped else 0
        parts.setdefault(key, Part(key, stripped, value_start + offset, value_start + offset + len(stripped)))
    return parts


# how a quoted value may be written: XML-escaped inside an attribute, escaped inside a JSON/Python string, plain
_QUOTES = ("&quot;", "&apos;", '\\"', "\\'", '"', "'")


def _segments(body: str, separator: str, offset: int) -> list[tuple[int, str]]:
    """`body` split at `separator`, except inside a quoted value, which may hold the separator."""
    if not any(q in body for q in ("&quot;", "&apos;", '"', "'")):
        out, pos = [], offset
        for segment in body.split(separator):
            out.append((pos, segment))
            pos += len(segment) + 1
        return out
    out, start, i = [], 0, 0
    while i < len(body):
        quote = next((q for q in _QUOTES if body.startswith(q, i)), None)
        if quote and body[start:i].rstrip().endswith("="):
            close = body.find(quote, i + len(quote))
            if close != -1:
                i = close + len(quote)
                continue
        if body[i] == separator:
            out.append((offset + start, body[start:i]))
            start = i + 1
        i += 1
    out.append((offset + start, body[start:]))
    return out


def _unquoted(value: str) -> str:
    """A value without the quotes around it (`"x"`, `'x'`, `&quot;x&quot;`)."""
    for quote in _QUOTES[:4]:
        if len(value) >= 2 * len(quote) and value.startswith(quote) and value.endswith(quote):
            return value[len(quote):-len(quote)]
    return value.strip("'\"")


KNOWN_KEYS = frozenset(
    """defaultendpointsprotocol accountname accountkey endpointsuffix blobendpoint queueendpoint tableendpoint
    fileendpoint sharedaccesssignature usedevelopmentstorage developmentstorageproxyuri accountendpoint endpoint
    sharedaccesskeyname sharedaccesskey entitypath hostname deviceid moduleid id secret accesskey version
    server datasource addr address networkaddress initialcatalog database userid uid user username password pwd
    authentication encrypt trustservercertificate connectiontimeout port usedevelopmentemulator
    instrumentationkey ingestionendpoint liveendpoint applicationid gatewayhostname""".split()
)


def _host(url: str) -> str:
    value = url.strip()
    if "://" not in value:
        value = "https://" + value
    try:
        return (urlsplit(value).hostname or "").lower()
    except ValueError:
        return ""


def _key_ok(value: str, n_bytes: tuple[int, ...]) -> bool:
    """Random key material of one of the sizes: no placeholder, typed sequence, base64 of text or emulator key."""
    return is_key_material(value, n_bytes)


def _verdict(part: Part, fields: dict[str, str]) -> Verdict:
    return Verdict(part.value, part.start, part.end, {k: v for k, v in fields.items() if v})


def _parts_around(ctx: MatchContext, separator: str = ";") -> dict[str, Part]:
    left, right = extent(ctx.text, ctx.match.start(), ctx.match.end())
    return parse(ctx.text, left, right, separator)


@register("storage_connection_string")
def storage_connection_string(ctx: MatchContext) -> Verdict | None:
    parts = _parts_around(ctx)
    key = parts.get("accountkey")
    if key is None or "accountendpoint" in parts or not _key_ok(key.value, (64,)):
        return None
    account = parts["accountname"].value if "accountname" in parts else ""
    endpoint = parts["blobendpoint"].value if "blobendpoint" in parts else ""
    if account == "devstoreaccount1" or (endpoint and is_local_host(_host(endpoint))):
        return None
    if not account and not endpoint:
        return None
    protocol = parts["defaultendpointsprotocol"].value.lower() if "defaultendpointsprotocol" in parts else "https"
    suffix = parts["endpointsuffix"].value if "endpointsuffix" in parts else "core.windows.net"
    if not endpoint and account:
        endpoint = f"{protocol}://{account}.blob.{suffix}"
    return _verdict(key, {"account": account or _host(endpoint).split(".")[0], "endpoint": endpoint,
                          "endpoint_suffix": suffix, "credential": "account-key"})


@register("cosmos_connection_string")
def cosmos_connection_string(ctx: MatchContext) -> Verdict | None:
    parts = _parts_around(ctx)
    key, endpoint = parts.get("accountkey"), parts.get("accountendpoint")
    if key is None or endpoint is None or not _key_ok(key.value, (64,)):
        return None
    host = _host(endpoint.value)
    if is_local_host(host):
        return None
    return _verdict(key, {"account": host.split(".")[0], "endpoint": endpoint.value, "credential": "account-key"})


SB_HOSTS = {".servicebus.windows.net": "servicebus", ".servicebus.chinacloudapi.cn": "servicebus",
            ".servicebus.usgovcloudapi.net": "servicebus"}


def _messaging_service(ctx: MatchContext, parts: dict[str, Part]) -> str:
    """Service Bus, Event Hubs and Relay share a host suffix; the entity path and nearby words tell them apart."""
    window = ctx.window(200, 40).lower()
    if "eventhub" in window or "event_hub" in window or "event-hub" in window:
        return "eventhubs"
    if "relay" in window or "hybridconnection" in window:
        return "relay"
    return "servicebus"


@register("servicebus_connection_string")
def servicebus_connection_string(ctx: MatchContext) -> Verdict | None:
    parts = _parts_around(ctx)
    key, endpoint = parts.get("sharedaccesskey"), parts.get("endpoint")
    if key is None or endpoint is None or "usedevelopmentemulator" in parts:
        return None
    host = _host(endpoint.value)
    if is_local_host(host) or "azure-devices" in host or not _key_ok(key.value, (32,)):
        return None
    service = _messaging_service(ctx, parts)
    fields = {
        "service": service,
        "namespace": host.split(".")[0],
        "endpoint": host,
        "policy": parts["sharedaccesskeyname"].value if "sharedaccesskeyname" in parts else "",
        "entity": parts["entitypath"].value if "entitypath" in parts else "",
        "credential": "shared-access-key",
    }
    return _verdict(key, fields)


@register("iothub_connection_string")
def iothub_connection_string(ctx: MatchContext) -> Verdict | None:
    parts = _parts_around(ctx)
    key, host_part = parts.get("sharedaccesskey"), parts.get("hostname")
    if key is None or host_part is None or not _key_ok(key.value, (32,)):
        return None
    host = _host(host_part.value)
    if is_local_host(host):
        return None
    fields = {
        "hub": host.split(".")[0],
        "endpoint": host,
        "policy": parts["sharedaccesskeyname"].value if "sharedaccesskeyname" in parts else "",
        "device": parts["deviceid"].value if "deviceid" in parts else "",
        "credential": "shared-access-key",
    }
    return _verdict(key, fields)


def _endpoint_with_key(ctx: MatchContext, key_names: tuple[str, ...], suffixes: tuple[str, ...]) -> Verdict | None:
    parts = _parts_around(ctx)
    endpoint = parts.get("endpoint")
    key = next((parts[name] for name in key_names if name in parts), None)
    if endpoint is None or key is None or is_placeholder(key.value) or len(key.value) < 20:
        return None
    host = _host(endpoint.value)
    if is_local_host(host) or not host.endswith(suffixes):
        return None
    if not re.fullmatch(r"[A-Za-z0-9+/=_\-]{20,}", key.value):
        return None
    return _verdict(key, {"resource": host.split(".")[0], "endpoint": endpoint.value.rstrip("/"),
                          "credential": "access-key"})


@register("appconfig_connection_string")
def appconfig_connection_string(ctx: MatchContext) -> Verdict | None:
    verdict = _endpoint_with_key(ctx, ("secret",), (".azconfig.io", ".appconfig.azure.com"))
    if verdict is None:
        return None
    parts = _parts_around(ctx)
    if "id" not in parts:
        return None
    return Verdict(verdict.secret, verdict.start, verdict.end, {**verdict.fields, "credential_id": parts["id"].value})


@register("signalr_connection_string")
def signalr_connection_string(ctx: MatchContext) -> Verdict | None:
    return _endpoint_with_key(ctx, ("accesskey",), (".service.signalr.net", ".signalr.azure.cn"))


@register("webpubsub_connection_string")
def webpubsub_connection_string(ctx: MatchContext) -> Verdict | None:
    return _endpoint_with_key(ctx, ("accesskey",), (".webpubsub.azure.com", ".webpubsub.azure.cn"))


@register("communication_connection_string")
def communication_connection_string(ctx: MatchContext) -> Verdict | None:
    return _endpoint_with_key(ctx, ("accesskey",), (".communication.azure.com", ".communication.azure.us"))


SQL_SERVER_KEYS = ("server", "datasource", "addr", "address", "networkaddress")
WEAK_PASSWORD_WORDS = frozenset({"password", "pass", "pwd", "secret", "changeme", "null", "none", "true", "false"})


@register("sql_connection_string")
def sql_connection_string(ctx: MatchContext) -> Verdict | None:
    parts = _parts_around(ctx)
    password = parts.get("password") or parts.get("pwd")
    server = next((parts[name] for name in SQL_SERVER_KEYS if name in parts), None)
    if password is None or server is None:
        return None
    value = password.value
    if not value or is_placeholder(value) or value.lower() in WEAK_PASSWORD_WORDS or value.startswith(("$", "%")):
        return None
    if "{" in value and "}" not in value:  # "{pwd" cut by our terminators: an ODBC braced value we can't see
        return None
    host = server.value.removeprefix("tcp:").split(",")[0].split(":")[0].strip()
    if is_local_host(host.lower()) or host in (".", "(local)") or host.lower().startswith("(localdb)"):
        return None
    fields = {
        "server": host,
        "database": next((parts[k].value for k in ("initialcatalog", "database") if k in parts), ""),
        "user": next((parts[k].value for k in ("userid", "uid", "user", "username") if k in parts), ""),
        "azure_sql": "true" if ".database.windows.net" in host.lower() else "false",
        "credential": "password",
    }
    return _verdict(password, fields)


@register("redis_connection_string")
def redis_connection_string(ctx: MatchContext) -> Verdict | None:
    """StackExchange.Redis style: `host:6380,password=…,ssl=True,abortConnect=False` (comma separated)."""
    parts = _parts_around(ctx, ",")
    password = parts.get("password")
    if password is None:
        return None
    left, _ = extent(ctx.text, ctx.match.start(), ctx.match.end())
    first = ctx.text[left : ctx.match.start()].split(",")[0].strip()
    words = first.split("=")[-1].split()
    first = words[-1] if words else first
    host = first.split(":")[0].lower()
    if is_local_host(host) or is_placeholder(password.value) or decodes_to_text(password.value):
        return None
    azure_host = host.endswith((".redis.cache.windows.net", ".redis.azure.net", ".redisenterprise.cache.azure.net"))
    if not azure_host and not decodes_to(password.value, 32):
        return None
    return _verdict(password, {"cache": host.split(".")[0], "endpoint": first, "credential": "access-key"})


# What people write where a URL's password goes when they mean "fill this in": `user:password@`, `:pass@`,
# `%s`, `%(pw)s`, `***`, `{pw}`, `{quote_plus(pw)}`, `$PW`.
_URL_PASSWORD_SLOT = re.compile(
    r"(?i)(?:my|your|the|db|user|admin|sql|pg|mysql|redis|access)?[_\-]?(?:password|passwd|pass|pwd|secret|key)"
    r"[_\-]?\d{0,3}|%\(?\w*\)?s|\*+|\.{3}|…|x+|\?+"
)


def is_url_password_placeholder(value: str) -> bool:
    """A URL's password slot holding a name, a format slot, an expression or a variable, not a password."""
    value = unquote(value)
    return (
        not value
        or is_placeholder(value)
        or _URL_PASSWORD_SLOT.fullmatch(value) is not None
        or value.lower() in WEAK_PASSWORD_WORDS
        or ("{" in value and "}" in value)  # f-string / format slot: {password}, {quote_plus(pw)}
        or value.startswith(("$", "%"))  # $PW, ${PW}, %PW%
    )


@register("redis_url")
def redis_url(ctx: MatchContext) -> Verdict | None:
    """`rediss://:<key>@<cache>.redis.cache.windows.net:6380` — the password sits in the URL."""
    secret = ctx.match.group("secret")
    host = ctx.match.group("host").lower()
    if is_url_password_placeholder(secret) or decodes_to_text(secret) or is_local_host(host):
        return None
    return Verdict(secret, ctx.match.start("secret"), ctx.match.end("secret"),
                   {"cache": host.split(".")[0], "endpoint": host, "credential": "access-key"})


# Azure database hosts whose URL's user-info password is a database password (or, for Cosmos DB's MongoDB API, the
# account key): suffix → service.
AZURE_DB_HOSTS = {
    ".database.windows.net": "sql",
    ".database.chinacloudapi.cn": "sql",
    ".database.usgovcloudapi.net": "sql",
    ".postgres.database.azure.com": "postgres",
    ".postgres.cosmos.azure.com": "postgres",
    ".mysql.database.azure.com": "mysql",
    ".mariadb.database.azure.com": "mysql",
    ".mongo.cosmos.azure.com": "cosmos",
    ".mongocluster.cosmos.azure.com": "cosmos",
    ".documents.azure.com": "cosmos",
}


@register("url_credential")
def url_credential(ctx: MatchContext) -> Verdict | None:
    """`scheme://user:<password>@<server>.<azure database host>/…` (SQLAlchemy, psycopg, Django, Prisma, JDBC-less
    Node/Go/Java URLs, MongoDB): the password in the URL's user-info."""
    secret = ctx.match.group("secret")
    host = ctx.match.group("host").lower()
    if is_url_password_placeholder(secret) or decodes_to_text(secret):
        return None
    service = next((name for suffix, name in AZURE_DB_HOSTS.items() if host.endswith(suffix)), "")
    if not service:
        return None
    scheme = ctx.match.group("scheme").lower()
    fields = {
        "service": service,
        "server": host,
        "user": unquote(ctx.match.group("user") or ""),
        "scheme": scheme,
        "credential": "account-key" if scheme.startswith("mongodb") and service == "cosmos" else "password",
    }
    return _verdict(Part("password", secret, ctx.match.start("secret"), ctx.match.end("secret")), fields)
