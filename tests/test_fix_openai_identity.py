"""openai and identity families: api_key → Entra token provider, ClientSecretCredential → managed identity; exact
text, and the rewritten code run against openai (canned httpx2 transport) and azure-search (capturing transport)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import httpx2
import pytest

from mi_migrate.fix.codemod import transform
from mi_migrate.fix.families import identity, openai
from mi_migrate.fix.model import Change, FixOptions
from mi_migrate.fix.settings import RepoSettings
from mi_migrate.testing import fakes
from tests.identity_support import CapturedRequest, capture_requests, identity_endpoint, use_identity_endpoint

SCOPE = '"https://cognitiveservices.azure.com/.default"'


def rewrite(source: str, family: ModuleType, tmp_path: Path, **options: object) -> tuple[str, list[Change]]:
    fix_options = FixOptions(**options)  # type: ignore[arg-type]
    code, changes = transform(source, family.targets(), fix_options, RepoSettings(tmp_path))
    again, _ = transform(code, family.targets(), fix_options, RepoSettings(tmp_path))
    assert again == code, "a second run must change nothing"
    return code, changes


def test_openai_key_alias_attribute_async_and_implicit(tmp_path: Path) -> None:
    source = '''import os
import openai as oai
from openai import AzureOpenAI as AOAI

client = AOAI(api_key=os.environ["AZURE_OPENAI_KEY"], azure_endpoint=endpoint, api_version="2024-06-01")
implicit = AOAI(azure_endpoint=endpoint, api_version="2024-06-01")
key = os.getenv("OPENAI_KEY")
aclient = oai.AsyncAzureOpenAI(
    api_key=key,
    azure_endpoint=endpoint,
    api_version="2024-06-01",
)
'''
    code, changes = rewrite(source, openai, tmp_path)
    assert code == f'''import os
import openai as oai
from openai import AzureOpenAI as AOAI
from azure.identity.aio import DefaultAzureCredential as AsyncDefaultAzureCredential, \\
    get_bearer_token_provider as get_async_bearer_token_provider
from azure.identity import DefaultAzureCredential, get_bearer_token_provider

credential = DefaultAzureCredential()
async_credential = AsyncDefaultAzureCredential()
token_provider = get_bearer_token_provider(credential, {SCOPE})
async_token_provider = get_async_bearer_token_provider(async_credential, {SCOPE})

client = AOAI(azure_endpoint=endpoint, api_version="2024-06-01", azure_ad_token_provider=token_provider)
implicit = AOAI(azure_endpoint=endpoint, api_version="2024-06-01", azure_ad_token_provider=token_provider)
aclient = oai.AsyncAzureOpenAI(
    azure_endpoint=endpoint,
    api_version="2024-06-01",
    azure_ad_token_provider=async_token_provider,
)
'''.replace(" \\\n    ", " ")
    assert [(c.client, c.is_async, c.old_setting) for c in changes] == [
        ("AzureOpenAI", False, "AZURE_OPENAI_KEY"), ("AzureOpenAI", False, "AZURE_OPENAI_API_KEY"),
        ("AsyncAzureOpenAI", True, "OPENAI_KEY")]


def test_openai_async_only_uses_the_aio_provider(tmp_path: Path) -> None:
    source = '''from openai import AsyncAzureOpenAI

client = AsyncAzureOpenAI(api_key=KEY, azure_endpoint="https://acme.openai.azure.com", api_version="2024-06-01")
'''
    code, _ = rewrite(source, openai, tmp_path)
    assert code == f'''from openai import AsyncAzureOpenAI
from azure.identity.aio import DefaultAzureCredential, get_bearer_token_provider

credential = DefaultAzureCredential()
token_provider = get_bearer_token_provider(credential, {SCOPE})

client = AsyncAzureOpenAI(azure_endpoint="https://acme.openai.azure.com", api_version="2024-06-01", \\
azure_ad_token_provider=token_provider)
'''.replace("\\\n", "")


def test_openai_already_migrated_or_kwargs(tmp_path: Path) -> None:
    source = '''from openai import AzureOpenAI

a = AzureOpenAI(azure_endpoint=e, api_version="2024-06-01", azure_ad_token_provider=provider)
b = AzureOpenAI(**settings)
'''
    code, changes = rewrite(source, openai, tmp_path)
    assert code == source
    assert [c.status for c in changes] == ["manual"]


def test_openai_runtime_sends_bearer_not_api_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = '''import os
from openai import AzureOpenAI
client = AzureOpenAI(api_key=os.environ["AZURE_OPENAI_KEY"], azure_endpoint="https://acme.openai.azure.com",
                     api_version="2024-06-01")
'''
    code, _ = rewrite(source, openai, tmp_path)
    sent: list[httpx2.Request] = []

    def handle(self: httpx2.HTTPTransport, request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(200, json={"object": "list", "data": []}, request=request)

    monkeypatch.setattr(httpx2.HTTPTransport, "handle_request", handle)  # openai's own sync transport
    with identity_endpoint() as ep:
        use_identity_endpoint(monkeypatch, ep)
        monkeypatch.delenv("AZURE_OPENAI_KEY", raising=False)
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", fakes.expand("«hex:32»"))  # must not be picked up either
        namespace: dict[str, object] = {}
        exec(compile(code, "app.py", "exec"), namespace)
        namespace["client"].models.list()  # type: ignore[attr-defined]
    request = CapturedRequest(sent[0].method, str(sent[0].url), dict(sent[0].headers))
    assert request.url.startswith("https://acme.openai.azure.com/openai/models")
    assert request.authorization.startswith("Bearer ")
    assert request.bearer_audience == "https://cognitiveservices.azure.com"
    assert not any(k.lower() == "api-key" for k in request.headers)
    assert ep.resources == ["https://cognitiveservices.azure.com"]


def test_client_secret_credential_assigned_and_inline(tmp_path: Path) -> None:
    secret = fakes.expand("«entra»")
    source = f'''import os
from azure.identity import ClientSecretCredential
from azure.keyvault.secrets import SecretClient

tenant = os.environ["AZURE_TENANT_ID"]
cred = ClientSecretCredential(tenant, os.environ["AZURE_CLIENT_ID"], os.environ["AZURE_CLIENT_SECRET"])
kv = SecretClient(URL, ClientSecretCredential(tenant_id=tenant, client_id="c", client_secret="{secret}"))
'''
    code, changes = rewrite(source, identity, tmp_path)
    assert code == '''import os
from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient

credential = DefaultAzureCredential()
cred = DefaultAzureCredential()
kv = SecretClient(URL, credential)
'''
    assert changes[0].old_setting == "AZURE_CLIENT_SECRET"
    assert changes[0].extra["delete_settings"] == ["AZURE_CLIENT_SECRET", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"]
    assert any("AZURE_CLIENT_ID" in n and "managed identity's client id" in n for n in changes[0].notes)
    assert any("written in the code" in n for n in changes[1].notes)
    assert secret not in code


def test_client_secret_credential_aio_to_managed_identity(tmp_path: Path) -> None:
    source = '''import azure.identity.aio as identity

async def main():
    async with identity.ClientSecretCredential(tenant_id=t, client_id=c, client_secret=settings.SECRET) as cred:
        ...
'''
    code, changes = rewrite(source, identity, tmp_path, credential="managed-identity", client_id_env="APP_MI_ID")
    assert code == '''import azure.identity.aio as identity
import os
from azure.identity.aio import ManagedIdentityCredential

async def main():
    async with ManagedIdentityCredential(client_id=os.environ["APP_MI_ID"]) as cred:
        ...
'''
    assert changes[0].is_async and changes[0].status == "rewritten"


def test_other_secret_credentials_are_manual(tmp_path: Path) -> None:
    source = '''from azure.common.credentials import ServicePrincipalCredentials
from azure.identity import UsernamePasswordCredential

a = ServicePrincipalCredentials(client_id=app_id, secret=app_secret, tenant=tenant)
b = UsernamePasswordCredential(client_id, username, password)
'''
    code, changes = rewrite(source, identity, tmp_path)
    assert code == source and [c.status for c in changes] == ["manual", "manual"]


def test_identity_runtime_uses_managed_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = '''import os
from azure.identity import ClientSecretCredential
from azure.search.documents import SearchClient
cred = ClientSecretCredential(os.environ["AZURE_TENANT_ID"], os.environ["AZURE_CLIENT_ID"], os.environ["SP_SECRET"])
client = SearchClient("https://acme.search.windows.net", "hotels", cred)
'''
    code, _ = rewrite(source, identity, tmp_path)
    with identity_endpoint() as ep:
        use_identity_endpoint(monkeypatch, ep)  # no AZURE_CLIENT_* / secret in the environment any more
        namespace: dict[str, object] = {}
        exec(compile(code, "app.py", "exec"), namespace)
        with capture_requests(body=b"5") as reqs:
            namespace["client"].get_document_count()  # type: ignore[attr-defined]
    assert reqs[0].url.startswith("https://acme.search.windows.net/")
    assert reqs[0].authorization.startswith("Bearer ")
    assert reqs[0].bearer_audience == "https://search.azure.com"
    assert ep.resources == ["https://search.azure.com"]
