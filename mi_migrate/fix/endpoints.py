"""Endpoints derived from connection strings, the way the SDKs' own parsers derive them (migration.md §3).

Only names and hosts come out of here; the key in the string is never returned.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from mi_migrate.scan.validators.connection_strings import parse

STORAGE_SERVICES = ("blob", "queue", "table", "file", "dfs")


def parts(connection_string: str) -> dict[str, str]:
    """key → value, keys lower-cased with spaces removed (any order, any case)."""
    return {k: p.value for k, p in parse(connection_string, 0, len(connection_string)).items()}


def storage_endpoint(values: dict[str, str], service: str) -> str | None:
    """`https://<account>.<service>.<suffix>`; an explicit BlobEndpoint/QueueEndpoint/... wins; dfs from blob."""
    explicit_key = {"dfs": "blobendpoint"}.get(service, f"{service}endpoint")
    explicit = values.get(explicit_key)
    if explicit:
        explicit = strip_query(explicit).rstrip("/")
        return explicit.replace(".blob.", ".dfs.") if service == "dfs" else explicit
    account = values.get("accountname")
    if not account:
        return None
    protocol = values.get("defaultendpointsprotocol", "https").lower()
    suffix = values.get("endpointsuffix", "core.windows.net")
    return f"{'https' if protocol not in ('http', 'https') else protocol}://{account}.{service}.{suffix}"


def namespace_host(values: dict[str, str]) -> str | None:
    """Service Bus / Event Hubs: the bare host of `Endpoint=sb://<ns>.servicebus.windows.net/`."""
    endpoint = values.get("endpoint") or values.get("hostname")
    if not endpoint:
        return None
    host = urlsplit(endpoint if "://" in endpoint else "sb://" + endpoint).hostname
    return host or None


def https_endpoint(values: dict[str, str], key: str = "endpoint") -> str | None:
    endpoint = values.get(key)
    if not endpoint:
        return None
    if "://" not in endpoint:
        endpoint = "https://" + endpoint
    return endpoint.rstrip("/") if key != "accountendpoint" else endpoint


def strip_query(url: str) -> str:
    """A URL without its query string (a SAS must not be sent alongside a token credential)."""
    if "?" not in url:
        return url
    split = urlsplit(url)
    return urlunsplit((split.scheme, split.netloc, split.path, "", ""))


LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "host.docker.internal", "azurite"})
ENDPOINT_KEYS = ("blobendpoint", "queueendpoint", "tableendpoint", "fileendpoint", "endpoint", "accountendpoint",
                 "hostname")


def local_reason(value: str) -> str | None:
    """Why a connection string or URL must keep its key: emulators (Azurite, the Service Bus / Event Hubs and
    Cosmos DB emulators) take only their well-known key, and Azure SDKs refuse to send a bearer token over plain
    HTTP. None for an endpoint a token credential can reach."""
    compact = value.lower().replace(" ", "")
    if "usedevelopmentstorage=true" in compact:
        return "the emulator connection string (UseDevelopmentStorage=true) has no managed identity"
    if "usedevelopmentemulator=true" in compact:
        return "the emulator connection string (UseDevelopmentEmulator=true) has no managed identity"
    if "devstoreaccount1" in compact:
        return "Azurite's account (devstoreaccount1) takes only its well-known key"
    values = parts(value) if "=" in value and ";" in value else {}
    urls = [values[k] for k in ENDPOINT_KEYS if values.get(k)] or ([value] if "://" in value else [])
    for url in urls:
        host = (urlsplit(url if "://" in url else "sb://" + url).hostname or "").lower()
        if host in LOOPBACK or host.endswith(".localhost"):
            return f"{host} is a local emulator, which takes only its key"
        if url.lower().startswith("http://"):
            return "a token credential needs HTTPS, and the endpoint is http://"
    if values.get("defaultendpointsprotocol", "").lower() == "http":
        return "a token credential needs HTTPS, and the connection string says DefaultEndpointsProtocol=http"
    return None


def derive(kind: str, connection_string: str) -> dict[str, str]:
    """What a family needs from a connection string: endpoint (always), and entity/resource names."""
    values = parts(connection_string)
    result: dict[str, str] = {}
    if kind in STORAGE_SERVICES:
        endpoint = storage_endpoint(values, kind)
        if endpoint:
            result["endpoint"] = endpoint
            result["resource"] = values.get("accountname", urlsplit(endpoint).hostname or "").split(".")[0]
    elif kind in ("servicebus", "eventhubs"):
        host = namespace_host(values)
        if host:
            result["endpoint"] = host
            result["resource"] = host.split(".")[0]
        if values.get("entitypath"):
            result["entity"] = values["entitypath"]
    elif kind == "cosmos":
        endpoint = values.get("accountendpoint")
        if endpoint:
            result["endpoint"] = endpoint
            result["resource"] = (urlsplit(endpoint).hostname or "").split(".")[0]
    elif kind == "iothub":
        host = values.get("hostname")
        if host:
            result["endpoint"] = host
            result["resource"] = host.split(".")[0]
    else:  # appconfig, webpubsub, communication, signalr: Endpoint=https://...
        endpoint = https_endpoint(values)
        if endpoint:
            result["endpoint"] = endpoint
            result["resource"] = (urlsplit(endpoint).hostname or "").split(".")[0]
    return result
