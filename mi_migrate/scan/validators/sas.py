"""Shared access signatures, parsed as parameter sets: storage SAS (account / service / user delegation) and the
Service Bus / Event Hubs / IoT Hub `SharedAccessSignature sr=…&sig=…&se=…` tokens.

The type matters for the migration: account and service SAS are signed with the account key (a key is in use);
a user-delegation SAS is already the Entra ID pattern, still a bearer secret while it is valid.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote, urlsplit

from mi_migrate.scan.validators.base import MatchContext, Verdict, register
from mi_migrate.scan.validators.connection_strings import grow
from mi_migrate.scan.validators.keys import decodes_to_text, is_local_host
from mi_migrate.scan.validators.placeholders import is_placeholder

SAS_END = re.compile(r"[\"'`\n\r\t <>\\;,)\]}|]")
_PARAM = re.compile(r"([A-Za-z]{2,8})=([^&#]*)")
PERMISSIONS = {
    "r": "read", "a": "add", "c": "create", "w": "write", "d": "delete", "x": "delete-version",
    "y": "permanent-delete", "l": "list", "t": "tags", "f": "filter", "m": "move", "e": "execute",
    "o": "ownership", "p": "permissions", "i": "set-immutability", "u": "update", "s": "set",
}
SERVICES = {"b": "blob", "q": "queue", "t": "table", "f": "file"}
RESOURCE_TYPES = {"s": "service", "c": "container", "o": "object"}
USER_DELEGATION = ("skoid", "sktid", "skt", "ske", "sks", "skv")
SERVICE_HOST = re.compile(r"^(?P<account>[a-z0-9]{3,24})\.(?P<service>blob|queue|table|file|dfs)\.", re.I)


# `spr=https,http` holds a comma (the one SAS value that may): it does not end the token there.
_SPR_BEFORE = re.compile(r"(?i)(?:^|[?&;])spr=https?$")
_SPR_AFTER = re.compile(r"(?i)https?(?:$|[&#\"'`\s<>\\;,)\]}|])")


def _grow(text: str, start: int, end: int) -> tuple[int, int]:
    left, right = grow(text, start, end, SAS_END, limit=2048)
    for _ in range(4):  # a comma inside `spr=https,http`, on either side of the anchor: grow past it
        if left > 0 and text[left - 1] == "," and _SPR_AFTER.match(text, left):
            before = grow(text, left - 1, left - 1, SAS_END, limit=2048)[0]
            if _SPR_BEFORE.search(text[before : left - 1]):
                left = before
                continue
        if right < len(text) and text[right] == "," and _SPR_BEFORE.search(text[left:right]) and (
            _SPR_AFTER.match(text, right + 1)
        ):
            right = grow(text, right + 1, right + 1, SAS_END, limit=2048)[1]
            continue
        break
    return left, right


def _parse_time(value: str) -> dt.datetime | None:
    value = unquote(value).strip()
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%MZ", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S.%fZ"):
        try:
            return dt.datetime.strptime(value, fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    return None


def _expiry_fields(expiry: dt.datetime | None, raw: str) -> dict[str, str]:
    if expiry is None:
        return {"expiry": unquote(raw)} if raw else {}
    now = dt.datetime.now(dt.UTC)
    return {"expiry": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"), "expired": "true" if expiry < now else "false"}


EXPIRY_SOURCES = {"se": "signed expiry", "ske": "delegation key"}


def _effective_expiry(params: dict[str, str]) -> tuple[dt.datetime | None, str]:
    """When the token stops working: `se`, or for a user-delegation SAS the earlier of `se` and the delegation
    key's expiry `ske` (a token outlives its signing key on paper only). Returns (expiry, "se" | "ske")."""
    candidates = [(when, name) for name in ("se", "ske") if (when := _parse_time(params.get(name, ""))) is not None]
    if not candidates:
        return None, ""
    return min(candidates, key=lambda pair: pair[0])


def classify(params: dict[str, str]) -> str:
    if any(p in params for p in USER_DELEGATION):
        return "user-delegation"
    if "ss" in params and "srt" in params:
        return "account"
    return "service"


@register("storage_sas")
def storage_sas(ctx: MatchContext) -> Verdict | None:
    """A storage SAS in a URL, a bare query string or a `SharedAccessSignature=` connection-string part."""
    left, right = _grow(ctx.text, ctx.match.start(), ctx.match.end())
    candidate = ctx.text[left:right]
    query_at = candidate.find("?")
    url = candidate[:query_at] if query_at != -1 else ""
    query_offset = left + (query_at + 1 if query_at != -1 else 0)
    query = ctx.text[query_offset:right]
    if query.lower().startswith("sharedaccesssignature="):
        query_offset += len("sharedaccesssignature=")
        query = query[len("sharedaccesssignature=") :]
    params: dict[str, str] = {}
    for match in _PARAM.finditer(query):
        params.setdefault(match.group(1).lower(), match.group(2))
    sig = unquote(params.get("sig", ""))
    if "sv" not in params or len(sig) < 20 or is_placeholder(sig) or not re.fullmatch(r"[A-Za-z0-9+/=]+", sig):
        return None
    if decodes_to_text(sig):  # an HMAC is random bytes; `sig=` of base64 text was typed by a person
        return None
    host = (urlsplit(url).hostname or "") if "://" in url else ""
    if host and is_local_host(host):
        return None
    sas_type = classify(params)
    fields = {
        "sas_type": sas_type,
        "version": params.get("sv", ""),
        "permissions": ",".join(PERMISSIONS.get(ch, ch) for ch in unquote(params.get("sp", ""))),
        "start": unquote(params.get("st", "")),
        "protocol": unquote(params.get("spr", "")),
        "stored_policy": params.get("si", ""),
    }
    expiry, source = _effective_expiry(params)
    fields.update(_expiry_fields(expiry, params.get("se", "")))
    if "ske" in params:
        fields["key_expiry"] = unquote(params["ske"])
    if expiry is not None:
        fields["expiry_source"] = source
    if sas_type == "account":
        fields["services"] = ",".join(SERVICES.get(ch, ch) for ch in params.get("ss", ""))
        fields["resource_types"] = ",".join(RESOURCE_TYPES.get(ch, ch) for ch in params.get("srt", ""))
    else:
        fields["resource"] = params.get("sr", "")
    if host:
        fields["endpoint"] = f"{urlsplit(url).scheme}://{host}"
        found = SERVICE_HOST.match(host)
        if found:
            fields["account"] = found.group("account").lower()
            fields["services"] = fields.get("services") or found.group("service").lower()
    fields = {k: v for k, v in fields.items() if v}
    what = {"account": "Account SAS", "service": "Service SAS", "user-delegation": "User-delegation SAS"}[sas_type]
    expired = fields.get("expired") == "true"
    message = f"Storage {what} token"
    if expired and expiry is not None:
        why = "no longer grants access" + ("" if sas_type == "user-delegation" else ", but an account key signed it")
        message += f" (expired {expiry:%Y-%m-%d} ({EXPIRY_SOURCES[source]}): {why})"
    # The whole query string is the credential: hash and redact all of it, from its first parameter.
    secret = query.rstrip("&")
    return Verdict(secret, query_offset, query_offset + len(secret), fields, message=message,
                   severity="warning" if expired else None)


@register("shared_access_signature_token")
def shared_access_signature_token(ctx: MatchContext) -> Verdict | None:
    """`SharedAccessSignature sr=<uri>&sig=<sig>&se=<epoch>[&skn=<policy>]` (Service Bus, Event Hubs, IoT Hub)."""
    start = ctx.match.end()
    _, end = grow(ctx.text, start, start, SAS_END, limit=2048)
    token = ctx.text[start:end]
    params = {m.group(1).lower(): m.group(2) for m in _PARAM.finditer(token)}
    sig = unquote(params.get("sig", ""))
    if "sr" not in params or len(sig) < 20 or is_placeholder(sig) or is_placeholder(params["sr"]):
        return None
    if decodes_to_text(sig):
        return None
    resource = unquote(params["sr"])
    host = urlsplit(resource if "://" in resource else "https://" + resource).hostname or ""
    if is_local_host(host):
        return None
    service = "iothub" if "azure-devices" in host else "eventhubs" if "eventhub" in ctx.window(200).lower() else (
        "servicebus")
    fields = {"service": service, "resource": resource, "endpoint": host, "policy": params.get("skn", "")}
    expiry = params.get("se", "")
    if expiry.isdigit():
        when = dt.datetime.fromtimestamp(int(expiry), dt.UTC)
        fields.update(_expiry_fields(when, expiry))
    fields = {k: v for k, v in fields.items() if v}
    message = None
    if fields.get("expired") == "true":
        label = {"iothub": "IoT Hub", "eventhubs": "Event Hubs"}.get(service, "Service Bus")
        message = f"{label} SharedAccessSignature token (expired {fields['expiry'][:10]} (se): no longer grants access)"
    return Verdict(token, start, end, fields, message=message,
                   severity="warning" if fields.get("expired") == "true" else None)
