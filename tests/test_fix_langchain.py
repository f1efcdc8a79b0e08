"""LangChain: langchain-openai's Azure classes move from `api_key=`/`openai_api_key=` (or the implicit
AZURE_OPENAI_API_KEY) to `azure_ad_token_provider=`, langchain-community's AzureSearch from a key to
`azure_credential=`; code that already falls back to Entra ID is left alone with an "unset the key" step. The
rewritten code is run against the installed packages: openai through a capturing httpx2 client, the search store
through azure-core's capturing transport."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest

from mi_migrate.testing import fakes
from tests.identity_support import CapturedRequest, capture_requests, identity_endpoint, use_identity_endpoint
from tests.rewrite_support import rewrite

SCOPE = '"https://cognitiveservices.azure.com/.default"'
COGNITIVE = "https://cognitiveservices.azure.com"
CHAT = {"id": "1", "object": "chat.completion", "created": 0, "model": "gpt-4o", "choices": [
    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
EMBEDDINGS = {"object": "list", "model": "e", "data": [{"object": "embedding", "index": 0, "embedding": [0.5]}],
              "usage": {"prompt_tokens": 1, "total_tokens": 1}}


def test_langchain_classes_get_a_token_provider(tmp_path: Path) -> None:
    source = '''import os
from langchain_openai import AzureChatOpenAI, AzureOpenAIEmbeddings
from langchain_openai.llms import AzureOpenAI

llm = AzureChatOpenAI(azure_deployment="gpt-4o", openai_api_key=os.environ["AOAI_KEY"], api_version="2024-06-01")
embeddings = AzureOpenAIEmbeddings(
    azure_deployment="text-embedding-3-small",
    api_key=settings.openai_key,
)
implicit = AzureOpenAI(azure_deployment="gpt-35-instruct")
'''
    code, changes = rewrite(source, tmp_path)
    assert code == f'''import os
from langchain_openai import AzureChatOpenAI, AzureOpenAIEmbeddings
from langchain_openai.llms import AzureOpenAI
from azure.identity import DefaultAzureCredential, get_bearer_token_provider

credential = DefaultAzureCredential()
token_provider = get_bearer_token_provider(credential, {SCOPE})

llm = AzureChatOpenAI(azure_deployment="gpt-4o", api_version="2024-06-01", azure_ad_token_provider=token_provider)
embeddings = AzureOpenAIEmbeddings(
    azure_deployment="text-embedding-3-small",
    azure_ad_token_provider=token_provider,
)
implicit = AzureOpenAI(azure_deployment="gpt-35-instruct", azure_ad_token_provider=token_provider)
'''
    assert [(c.client, c.status, c.old_setting) for c in changes] == [
        ("AzureChatOpenAI", "rewritten", "AOAI_KEY"), ("AzureOpenAIEmbeddings", "rewritten", None),
        ("AzureOpenAI", "rewritten", "AZURE_OPENAI_API_KEY")]
    assert all(any("unset AZURE_OPENAI_API_KEY" in n for n in c.notes) for c in changes)


def test_community_and_kwargs_stay_manual(tmp_path: Path) -> None:
    source = '''from langchain_community.chat_models import AzureChatOpenAI
from langchain_openai import AzureOpenAIEmbeddings

llm = AzureChatOpenAI(deployment_name="gpt-4o", openai_api_key=key)
emb = AzureOpenAIEmbeddings(**config)
'''
    code, changes = rewrite(source, tmp_path)
    assert code == source
    assert [c.status for c in changes] == ["manual", "manual"]
    assert "deprecated" in (changes[0].reason or "") and "**kwargs" in (changes[1].reason or "")


def test_code_that_already_falls_back_to_entra_is_left_alone(tmp_path: Path) -> None:
    source = '''import os
from azure.identity import DefaultAzureCredential, get_bearer_token_provider
from langchain_openai import AzureChatOpenAI
from openai import AzureOpenAI

provider = get_bearer_token_provider(DefaultAzureCredential(), "https://cognitiveservices.azure.com/.default")
both = AzureOpenAI(api_key=os.getenv("AZURE_OPENAI_API_KEY") or None, azure_ad_token_provider=provider,
                   azure_endpoint=ENDPOINT, api_version="2024-06-01")
done = AzureOpenAI(api_key=None, azure_ad_token_provider=provider, azure_endpoint=ENDPOINT, api_version="2024-06-01")
key = os.environ.get("AZURE_OPENAI_KEY")
if key:
    client = AzureOpenAI(api_key=key, azure_endpoint=ENDPOINT, api_version="2024-06-01")
else:
    client = AzureOpenAI(azure_ad_token_provider=provider, azure_endpoint=ENDPOINT, api_version="2024-06-01")
llm = (AzureChatOpenAI(azure_deployment="gpt-4o") if os.getenv("AZURE_OPENAI_API_KEY")
       else AzureChatOpenAI(azure_deployment="gpt-4o", azure_ad_token_provider=provider))
'''
    code, changes = rewrite(source, tmp_path)
    assert code == source
    assert [(c.client, c.status, c.old_setting) for c in changes] == [
        ("AzureOpenAI", "manual", "AZURE_OPENAI_API_KEY"), ("AzureOpenAI", "manual", "AZURE_OPENAI_KEY"),
        ("AzureChatOpenAI", "manual", "AZURE_OPENAI_API_KEY")]
    assert all(c.extra == {"entra_fallback": True} for c in changes)
    assert (changes[0].reason or "").startswith("unset AZURE_OPENAI_API_KEY (the code already falls back to Entra ID)")
    assert "MutuallyExclusiveAuthError" in (changes[0].reason or "")
    assert "unset AZURE_OPENAI_KEY" in (changes[1].reason or "")


def _capturing_client(sent: list[httpx2.Request], body: dict[str, Any]) -> httpx2.Client:
    def handle(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(200, json=body, request=request)

    return httpx2.Client(transport=httpx2.MockTransport(handle))


RUNTIME = {
    "chat": ('''import os
from langchain_openai import AzureChatOpenAI
llm = AzureChatOpenAI(azure_endpoint="https://acme.openai.azure.com", azure_deployment="gpt-4o",
                      api_version="2024-06-01", api_key=os.environ["AZURE_OPENAI_KEY"], http_client=http_client)
''', lambda llm: llm.invoke("hello"), CHAT, "https://acme.openai.azure.com/openai/deployments/gpt-4o/chat/completions"),
    "embeddings": ('''from langchain_openai import AzureOpenAIEmbeddings
llm = AzureOpenAIEmbeddings(azure_endpoint="https://acme.openai.azure.com", azure_deployment="emb",
                            api_version="2024-06-01", check_embedding_ctx_length=False, http_client=http_client)
''', lambda emb: emb.embed_query("hello"), EMBEDDINGS,
                   "https://acme.openai.azure.com/openai/deployments/emb/embeddings"),
}


@pytest.mark.parametrize("name", list(RUNTIME))
def test_rewritten_langchain_sends_a_bearer_token(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, call, body, url = RUNTIME[name]
    code, _ = rewrite(source, tmp_path)
    assert "api_key" not in code and "azure_ad_token_provider=token_provider" in code
    sent: list[httpx2.Request] = []
    with identity_endpoint() as ep:
        use_identity_endpoint(monkeypatch, ep)
        monkeypatch.delenv("AZURE_OPENAI_KEY", raising=False)
        # still set in the environment: langchain-openai (1.7+) must not pass them next to the provider
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", fakes.expand("«hex:32»"))
        monkeypatch.setenv("OPENAI_API_KEY", fakes.expand("«hex:32»"))
        namespace: dict[str, object] = {"http_client": _capturing_client(sent, body)}
        exec(compile(code, f"{name}.py", "exec"), namespace)
        call(namespace["llm"])
    request = CapturedRequest(sent[0].method, str(sent[0].url), dict(sent[0].headers))
    assert request.url.startswith(url), request.url
    assert request.authorization.startswith("Bearer ")
    assert request.bearer_audience == COGNITIVE
    assert not any(k.lower() == "api-key" for k in request.headers)
    assert ep.resources == [COGNITIVE]


def test_azure_search_store_key_to_credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("langchain_community.vectorstores.azuresearch")
    source = '''import os
from langchain_community.vectorstores.azuresearch import AzureSearch
store = AzureSearch(
    azure_search_endpoint="https://acme.search.windows.net",
    azure_search_key=os.environ["AZURE_SEARCH_KEY"],
    index_name="docs",
    embedding_function=embed,
)
'''
    code, changes = rewrite(source, tmp_path)
    assert code == '''import os
from langchain_community.vectorstores.azuresearch import AzureSearch
from azure.identity import DefaultAzureCredential

credential = DefaultAzureCredential()
store = AzureSearch(
    azure_search_endpoint="https://acme.search.windows.net",
    azure_search_key=None,
    index_name="docs",
    embedding_function=embed,
    azure_credential=credential,
)
'''
    assert changes[0].old_setting == "AZURE_SEARCH_KEY" and changes[0].service == "search"
    index = json.dumps({"name": "docs", "fields": [
        {"name": "id", "type": "Edm.String", "key": True},
        {"name": "content", "type": "Edm.String", "searchable": True},
        {"name": "content_vector", "type": "Collection(Edm.Single)", "searchable": True, "dimensions": 1,
         "vectorSearchProfile": "p"},
        {"name": "metadata", "type": "Edm.String", "searchable": True}]}).encode()
    with identity_endpoint() as ep:
        use_identity_endpoint(monkeypatch, ep)
        monkeypatch.delenv("AZURE_SEARCH_KEY", raising=False)
        namespace: dict[str, object] = {"embed": lambda text: [0.5]}
        with capture_requests(body=index) as reqs:
            exec(compile(code, "store.py", "exec"), namespace)
    assert reqs[0].url.startswith("https://acme.search.windows.net/indexes('docs')")
    assert reqs[0].authorization.startswith("Bearer ")
    assert reqs[0].bearer_audience == "https://search.azure.com"
    assert not any(k.lower() == "api-key" for k in reqs[0].headers)
