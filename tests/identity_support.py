"""Real parts for testing rewritten code: a local managed-identity token endpoint (App Service protocol) and a
capturing HTTP transport for azure-core, so the real SDKs build real requests and nothing leaves the machine.

- `identity_endpoint()` starts an HTTP server speaking the App Service / Functions identity protocol
  (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`, `GET ?resource=…&api-version=2019-08-01`) and issues unsigned JWTs
  whose audience is the requested resource and whose issuer Azurite accepts. It records every token request,
  so a test can assert the scope the SDK asked for and the user-assigned client id it presented.
- `capture_requests()` replaces the send method of azure-core's requests and aiohttp transports for the duration
  of a test: each request is recorded (method, URL, headers) and answered with a canned response.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TENANT = "72f988bf-0000-0000-0000-000000000000"
IDENTITY_HEADER = "test-identity-header"


def unsigned_jwt(audience: str, lifetime: int = 3600, **claims: Any) -> str:
    """A JWT with `alg: none`: Azurite (`--oauth basic`) checks issuer, audience and times, not the signature."""
    now = int(time.time())
    header = {"typ": "JWT", "alg": "none"}
    body = {"aud": audience, "iss": f"https://sts.windows.net/{TENANT}/", "iat": now - 60, "nbf": now - 60,
            "exp": now + lifetime, "oid": "00000000-0000-0000-0000-0000000000a1", "tid": TENANT, **claims}

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part(header)}.{part(body)}."


@dataclass
class TokenRequest:
    resource: str
    client_id: str | None
    headers: dict[str, str]


@dataclass
class IdentityEndpoint:
    url: str
    requests: list[TokenRequest] = field(default_factory=list)

    @property
    def resources(self) -> list[str]:
        return [r.resource for r in self.requests]

    def env(self) -> dict[str, str]:
        return {"IDENTITY_ENDPOINT": self.url, "IDENTITY_HEADER": IDENTITY_HEADER}


@contextlib.contextmanager
def identity_endpoint() -> Iterator[IdentityEndpoint]:
    """Serve the App Service managed-identity protocol on 127.0.0.1 for the duration of the block."""
    endpoint = IdentityEndpoint(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            if self.headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
                self.send_response(401)
                self.end_headers()
                return
            resource = query.get("resource", [""])[0]
            client_id = query.get("client_id", [None])[0]
            endpoint.requests.append(TokenRequest(resource, client_id, dict(self.headers)))
            expires_on = int(time.time()) + 3600
            body = json.dumps({
                "access_token": unsigned_jwt(resource), "expires_on": str(expires_on), "expires_in": "3600",
                "resource": resource, "token_type": "Bearer", "client_id": client_id or "system-assigned",
            }).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/msi/token"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()


def use_identity_endpoint(monkeypatch: Any, endpoint: IdentityEndpoint) -> None:
    """Point azure-identity at the local endpoint and clear anything that would pick another credential."""
    for name in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE",
                 "AZURE_USERNAME", "AZURE_PASSWORD", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT",
                 "IDENTITY_SERVER_THUMBPRINT", "AZURE_TOKEN_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in endpoint.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "ManagedIdentityCredential")


@dataclass
class CapturedRequest:
    method: str
    url: str
    headers: dict[str, str]

    @property
    def authorization(self) -> str:
        return next((v for k, v in self.headers.items() if k.lower() == "authorization"), "")

    @property
    def bearer_audience(self) -> str | None:
        """The `aud` claim of the bearer token this request carried."""
        value = self.authorization
        if not value.startswith("Bearer "):
            return None
        payload = value.split(" ", 1)[1].split(".")[1]
        payload += "=" * (-len(payload) % 4)
        return json.loads(base64.urlsafe_b64decode(payload))["aud"]


@contextlib.contextmanager
def capture_requests(
    status: int = 200, body: bytes = b"{}", headers: dict[str, str] | None = None
) -> Iterator[list[CapturedRequest]]:
    """Answer every HTTP request the `requests` library would send (azure-core's default sync transport) with a
    canned response and record it. Token requests to the local identity endpoint still go through, so the
    credential really fetches its token. Async clients (aiohttp) are not intercepted."""
    import requests

    captured: list[CapturedRequest] = []
    reply_headers = {"Content-Type": "application/json", **(headers or {})}
    original = requests.Session.request

    def request(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if url.startswith("http://127.0.0.1") and "/msi/token" in url:
            return original(self, method, url, *args, **kwargs)
        sent = dict(kwargs.get("headers") or {})
        captured.append(CapturedRequest(method, url, {str(k): str(v) for k, v in sent.items()}))
        import io

        from urllib3.response import HTTPResponse

        response = requests.Response()
        response.status_code = status
        response.raw = HTTPResponse(body=io.BytesIO(body), headers=reply_headers, status=status,
                                    preload_content=False)
        response.headers.update(reply_headers)
        response.url = url
        response.request = requests.Request(method, url).prepare()
        return response

    requests.Session.request = request  # type: ignore[method-assign]
    try:
        yield captured
    finally:
        requests.Session.request = original  # type: ignore[method-assign]
