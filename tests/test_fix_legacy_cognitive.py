"""Legacy msrest Cognitive Services SDKs (azure-cognitiveservices-*): `CognitiveServicesCredentials(key)` becomes
`EntraTokenCredentials(credential)` (a helper inserted once per module) for services that take Entra tokens on the
custom-subdomain endpoint; regional endpoints and retired services (Bing Search, LUIS, QnA Maker) stay manual.

The runtime test executes the rewritten module against the real legacy SDKs (msrest over `requests`), with the
local managed-identity endpoint, and records what reaches a local HTTP server: the bearer token and its audience,
no key header, and a token asked of the credential for every request (so a renewed token is sent once it expires).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.identity_support import CapturedRequest, identity_endpoint, unsigned_jwt, use_identity_endpoint
from tests.rewrite_support import rewrite, run_module, write_settings

COGNITIVE = "https://cognitiveservices.azure.com"
SCOPE = COGNITIVE + "/.default"
IMPORTS = '''from azure.cognitiveservices.vision.face import FaceClient
from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from azure.cognitiveservices.search.websearch import WebSearchClient
from azure.cognitiveservices.search.websearch import WebSearchAPI
from azure.cognitiveservices.language.spellcheck import SpellCheckClient
from azure.cognitiveservices.language.luis.authoring import LUISAuthoringClient
from azure.cognitiveservices.knowledge.qnamaker import QnAMakerClient
from msrest.authentication import CognitiveServicesCredentials
'''


def test_rewrites_to_a_per_request_entra_token(tmp_path: Path) -> None:
    source = '''import os
from azure.cognitiveservices.vision.face import FaceClient
from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials

face = FaceClient(os.environ["FACE_ENDPOINT"], CognitiveServicesCredentials(os.environ["FACE_KEY"]))
key = os.environ["VISION_KEY"]
credentials = CognitiveServicesCredentials(key)
vision = ComputerVisionClient(endpoint="https://acme.cognitiveservices.azure.com", credentials=credentials)
'''
    code, changes = rewrite(source, tmp_path)
    assert code == '''import os
from azure.cognitiveservices.vision.face import FaceClient
from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import BasicTokenAuthentication
from azure.core.credentials import TokenCredential
from azure.identity import DefaultAzureCredential
from requests import Session

credential = DefaultAzureCredential()


class EntraTokenCredentials(BasicTokenAuthentication):
    """msrest credentials sending a Microsoft Entra token, fetched per request (azure-identity caches it)."""

    scope = "https://cognitiveservices.azure.com/.default"

    def __init__(self, credential: TokenCredential) -> None:
        super().__init__({"access_token": ""})
        self.credential = credential

    def signed_session(self, session: "Session | None" = None) -> "Session":
        self.token = {"access_token": self.credential.get_token(self.scope).token}
        return super().signed_session(session)

face = FaceClient(os.environ["FACE_ENDPOINT"], EntraTokenCredentials(credential))
credentials = EntraTokenCredentials(credential)
vision = ComputerVisionClient(endpoint="https://acme.cognitiveservices.azure.com", credentials=credentials)
'''
    assert [(c.client, c.family, c.status) for c in changes] == [
        ("FaceClient", "azure-cognitiveservices-vision-face", "rewritten"),
        ("ComputerVisionClient", "azure-cognitiveservices-vision-computervision", "rewritten")]
    face, vision = changes
    assert face.old_setting == "FACE_KEY" and vision.old_setting == "VISION_KEY"
    assert face.extra["endpoint_setting"] == "FACE_ENDPOINT" and face.extra["scope"] == SCOPE
    assert any("FACE_ENDPOINT must be the resource's custom subdomain endpoint" in n and "Cognitive Services User" in n
               for n in face.notes)
    assert vision.endpoint == "https://acme.cognitiveservices.azure.com" and vision.resource == "acme"
    assert face.extra["credential"] == "CognitiveServicesCredentials"


def test_regional_endpoints_stay_manual(tmp_path: Path) -> None:
    source = IMPORTS + '''
a = FaceClient("https://westus.api.cognitive.microsoft.com", CognitiveServicesCredentials(KEY))
b = ComputerVisionClient(endpoint="https://" + LOCATION + ".api.cognitive.microsoft.com/",
                         credentials=CognitiveServicesCredentials(KEY))


def build(location, key):
    face_base_url = "https://{}.api.cognitive.microsoft.com".format(location)
    return FaceClient(face_base_url, CognitiveServicesCredentials(key))


c = FaceClient("http://acme.cognitiveservices.azure.com", CognitiveServicesCredentials(KEY))
'''
    code, changes = rewrite(source, tmp_path)
    assert code == source
    assert [c.status for c in changes] == ["manual"] * 4
    assert "https://westus.api.cognitive.microsoft.com is a regional endpoint, which takes keys only" in (
        changes[0].reason or "")
    assert all("built from a regional endpoint" in (c.reason or "") for c in changes[1:3])
    assert "plain http://" in (changes[3].reason or "")
    assert not any(c.extra.get("retired") for c in changes)


def test_retired_services_are_marked(tmp_path: Path) -> None:
    source = IMPORTS + '''
bing = WebSearchClient(endpoint=ENDPOINT, credentials=CognitiveServicesCredentials(KEY))
old_bing = WebSearchAPI(CognitiveServicesCredentials(KEY))
spell = SpellCheckClient(ENDPOINT, CognitiveServicesCredentials(KEY))
luis = LUISAuthoringClient(ENDPOINT, CognitiveServicesCredentials(KEY))
runtime_credentials = CognitiveServicesCredentials(KEY)
qna = QnAMakerClient(endpoint=ENDPOINT, credentials=runtime_credentials)
'''
    code, changes = rewrite(source, tmp_path)
    assert code == source
    assert [(c.client, c.status, c.extra.get("retired")) for c in changes] == [
        ("WebSearchClient", "manual", True), ("WebSearchAPI", "manual", True), ("SpellCheckClient", "manual", True),
        ("LUISAuthoringClient", "manual", True), ("QnAMakerClient", "manual", True)]
    reasons = [c.reason or "" for c in changes]
    assert reasons[0].startswith("retired service (2025-08-11): no managed identity migration; move to Grounding "
                                 "with Bing Search")
    assert reasons[3].startswith("retired service (2025-10-01): no managed identity migration; move to "
                                 "conversational language understanding (azure-ai-language-conversations)")
    assert reasons[4].startswith("retired service (2025-03-31): no managed identity migration; move to custom "
                                 "question answering (azure-ai-language-questionanswering)")


def test_unknown_destinations_and_other_headers(tmp_path: Path) -> None:
    source = '''import os
from msrest.authentication import ApiKeyCredentials, CognitiveServicesCredentials
from azure.cognitiveservices.vision.customvision.training import CustomVisionTrainingClient
from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from azure.cognitiveservices.language.translatortext import TranslatorTextClient


def make(key):
    return CognitiveServicesCredentials(key)


training = CustomVisionTrainingClient(ENDPOINT, ApiKeyCredentials(in_headers={"Training-key": KEY}))
vision = ComputerVisionClient(os.environ["VISION_ENDPOINT"],
                              ApiKeyCredentials(in_headers={"Ocp-Apim-Subscription-Key": os.environ["VISION_KEY"]}))
translator = TranslatorTextClient(ENDPOINT, CognitiveServicesCredentials(KEY))
'''
    code, changes = rewrite(source, tmp_path)
    assert [(c.client, c.status) for c in changes] == [
        ("CognitiveServicesCredentials", "manual"), ("ComputerVisionClient", "rewritten"),
        ("TranslatorTextClient", "manual")]
    assert "returned, stored or passed to another function" in (changes[0].reason or "")
    assert "legacy msrest SDK azure-cognitiveservices-language-translatortext" in (changes[2].reason or "")
    assert 'ApiKeyCredentials(in_headers={"Training-key": KEY})' in code  # not a Cognitive Services key header
    assert 'ComputerVisionClient(os.environ["VISION_ENDPOINT"],\n                              ' \
           "EntraTokenCredentials(credential))" in code
    assert changes[1].extra["credential"] == "ApiKeyCredentials" and changes[1].old_setting == "VISION_KEY"


def test_setting_with_a_regional_value_in_the_repository(tmp_path: Path) -> None:
    write_settings(tmp_path, ".env", "FACE_ENDPOINT=https://westeurope.api.cognitive.microsoft.com/\n")
    source = '''import os
from azure.cognitiveservices.vision.face import FaceClient
from msrest.authentication import CognitiveServicesCredentials
face = FaceClient(os.environ["FACE_ENDPOINT"], CognitiveServicesCredentials(os.environ["FACE_KEY"]))
'''
    code, changes = rewrite(source, tmp_path)
    assert "EntraTokenCredentials(credential)" in code
    assert any("holds a regional endpoint in this repository" in n for n in changes[0].notes)


# -- runtime: the rewritten code against the real legacy SDKs -----------------------------------------------------
@contextlib.contextmanager
def service(body: bytes) -> Iterator[tuple[str, list[CapturedRequest]]]:
    """A local HTTP server standing in for the Cognitive Services endpoint: records each request's headers."""
    seen: list[CapturedRequest] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(CapturedRequest("GET", self.path, dict(self.headers)))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


# name → (package module, client class, call on `client`, canned body, path the request must go to)
RUNTIME = {
    "face": ("azure.cognitiveservices.vision.face", "FaceClient", lambda c: c.person_group.list(), b"[]",
             "/face/v1.0/persongroups"),
    "computervision": ("azure.cognitiveservices.vision.computervision", "ComputerVisionClient",
                       lambda c: c.list_models(), json.dumps({"models": []}).encode(), "/vision/v3.2/models"),
    "contentmoderator": ("azure.cognitiveservices.vision.contentmoderator", "ContentModeratorClient",
                         lambda c: c.list_management_term_lists.get_all_term_lists(), b"[]",
                         "/contentmoderator/lists/v1.0/termlists"),
}


@pytest.mark.parametrize("name", list(RUNTIME))
def test_rewritten_legacy_client_sends_a_fresh_bearer_token(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, cls, call, body, path = RUNTIME[name]
    source = f'''import os
from {module} import {cls}
from msrest.authentication import CognitiveServicesCredentials

subscription_key = os.environ["COGNITIVE_KEY"]
client = {cls}(os.environ["COGNITIVE_ENDPOINT"], CognitiveServicesCredentials(subscription_key))
'''
    code, changes = rewrite(source, tmp_path)
    assert "CognitiveServicesCredentials" not in code and "COGNITIVE_KEY" not in code, code
    assert [c.status for c in changes] == ["rewritten"]
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    monkeypatch.delenv("COGNITIVE_KEY", raising=False)  # the key setting is gone
    with identity_endpoint() as ep, service(body) as (url, seen):
        use_identity_endpoint(monkeypatch, ep)
        # plain http:// only for this local capture: msrest sends the header whatever the scheme
        monkeypatch.setenv("COGNITIVE_ENDPOINT", url)
        namespace = run_module(code)
        credential = namespace["credential"]
        asked: list[tuple[str, ...]] = []
        real_get_token = credential.get_token

        def get_token(*scopes: str, **kwargs: Any) -> Any:
            asked.append(scopes)
            token = real_get_token(*scopes, **kwargs)
            if len(asked) == 2:  # stand-in for a renewed token after expiry: the new one must be sent
                return type(token)(unsigned_jwt(COGNITIVE, nonce="renewed"), token.expires_on)
            return token

        monkeypatch.setattr(credential, "get_token", get_token)
        call(namespace["client"])
        call(namespace["client"])
    assert [r.url.split("?")[0] for r in seen] == [path, path]
    for request in seen:
        assert request.authorization.startswith("Bearer ")
        assert request.bearer_audience == COGNITIVE
        assert not any(k.lower() == "ocp-apim-subscription-key" for k in request.headers)
    assert seen[0].authorization != seen[1].authorization  # the second request carries the renewed token
    assert asked == [(SCOPE,), (SCOPE,)]  # a token asked of the credential per request
    assert ep.resources == [COGNITIVE]  # azure-identity cached the first one: one managed-identity round trip


def test_unused_credential_and_undefined_client(tmp_path: Path) -> None:
    source = '''from msrest.authentication import CognitiveServicesCredentials
credentials = CognitiveServicesCredentials(KEY)
client = VideoSearchAPI(CognitiveServicesCredentials(KEY))
'''
    code, changes = rewrite(source, tmp_path)
    assert code == source
    assert [c.status for c in changes] == ["manual", "manual"]
    assert "assigned but never read" in (changes[0].reason or "")
    assert "passed to `VideoSearchAPI(...)`, a name this module does not import" in (changes[1].reason or "")
