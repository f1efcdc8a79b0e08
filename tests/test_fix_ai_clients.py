"""Azure AI clients added to the key-credential family (Face, Content Safety, Language, Translator, AI Inference):
exact text, manual reasons, and the rewritten code run against the real SDKs (capturing transport, local
managed-identity endpoint) to check the endpoint, the bearer header and the token audience. The legacy msrest
SDKs are in test_fix_legacy_cognitive.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.identity_support import capture_requests, identity_endpoint, use_identity_endpoint
from tests.rewrite_support import rewrite

COGNITIVE = "https://cognitiveservices.azure.com"
ML = "https://ml.azure.com"
CHAT = json.dumps({"id": "1", "created": 0, "model": "m", "choices": [
    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
EMBEDDINGS = json.dumps({"id": "1", "model": "m", "data": [{"index": 0, "embedding": [0.1]}],
                         "usage": {"prompt_tokens": 1, "total_tokens": 1}}).encode()

# name → (source, call on `client`, canned body, URL prefix the request must go to, token audience)
RUNTIME = {
    "face": ('''from azure.core.credentials import AzureKeyCredential
from azure.ai.vision.face import FaceAdministrationClient
client = FaceAdministrationClient("https://acme.cognitiveservices.azure.com", AzureKeyCredential(KEY))
''', lambda c: c.large_person_group.get_large_person_groups(), b"[]",
             "https://acme.cognitiveservices.azure.com/face/", COGNITIVE),
    "contentsafety": ('''import os
from azure.core.credentials import AzureKeyCredential
from azure.ai.contentsafety import BlocklistClient
client = BlocklistClient(endpoint="https://acme.cognitiveservices.azure.com",
                         credential=AzureKeyCredential(os.environ["CONTENT_SAFETY_KEY"]))
''', lambda c: list(c.list_text_blocklists()), b'{"value": []}',
                      "https://acme.cognitiveservices.azure.com/contentsafety/text/blocklists", COGNITIVE),
    "questionanswering": ('''from azure.core.credentials import AzureKeyCredential
from azure.ai.language.questionanswering import QuestionAnsweringClient
client = QuestionAnsweringClient("https://acme.cognitiveservices.azure.com", AzureKeyCredential(KEY))
''', lambda c: c.get_answers(question="q", project_name="p", deployment_name="production"), b'{"answers": []}',
                          "https://acme.cognitiveservices.azure.com/language/:query-knowledgebases", COGNITIVE),
    "conversations": ('''from azure.core.credentials import AzureKeyCredential
from azure.ai.language.conversations import ConversationAnalysisClient
client = ConversationAnalysisClient("https://acme.cognitiveservices.azure.com", AzureKeyCredential(KEY))
''', lambda c: c.analyze_conversation({"kind": "Conversation", "analysisInput": {}, "parameters": {}}), b"{}",
                      "https://acme.cognitiveservices.azure.com/language/:analyze-conversations", COGNITIVE),
    "translation-document": ('''from azure.core.credentials import AzureKeyCredential
from azure.ai.translation.document import DocumentTranslationClient
client = DocumentTranslationClient("https://acme.cognitiveservices.azure.com", AzureKeyCredential(KEY))
''', lambda c: c.get_supported_document_formats(), b'{"value": []}',
                             "https://acme.cognitiveservices.azure.com/translator/document/formats", COGNITIVE),
    "translation-text": ('''from azure.core.credentials import AzureKeyCredential
from azure.ai.translation.text import TextTranslationClient
client = TextTranslationClient(endpoint="https://acme.cognitiveservices.azure.com",
                               credential=AzureKeyCredential(KEY), region="westeurope")
''', lambda c: c.translate(body=["hello"], to_language=["de"]), b'{"value": []}',
                         "https://acme.cognitiveservices.azure.com/translator/text/", COGNITIVE),
    "inference-openai": ('''import os
from azure.core.credentials import AzureKeyCredential
from azure.ai.inference import ChatCompletionsClient
client = ChatCompletionsClient(
    endpoint="https://acme.openai.azure.com/openai/deployments/gpt-4o",
    credential=AzureKeyCredential(os.environ["AZURE_OPENAI_KEY"]),
    api_version="2024-06-01",
)
''', lambda c: c.complete(messages=[{"role": "user", "content": "hi"}]), CHAT,
                         "https://acme.openai.azure.com/openai/deployments/gpt-4o/chat/completions", COGNITIVE),
    "inference-ai-services": ('''from azure.core.credentials import AzureKeyCredential
from azure.ai.inference import EmbeddingsClient
client = EmbeddingsClient("https://acme.services.ai.azure.com/models", AzureKeyCredential(KEY), model="e5")
''', lambda c: c.embed(input=["hello"]), EMBEDDINGS,
                              "https://acme.services.ai.azure.com/models/embeddings", COGNITIVE),
    "inference-managed-compute": ('''from azure.core.credentials import AzureKeyCredential
from azure.ai.inference import ChatCompletionsClient
client = ChatCompletionsClient("https://phi.westus.inference.ml.azure.com", AzureKeyCredential(KEY))
''', lambda c: c.complete(messages=[{"role": "user", "content": "hi"}]), CHAT,
                                  "https://phi.westus.inference.ml.azure.com/chat/completions", ML),
}


@pytest.mark.parametrize("name", list(RUNTIME))
def test_rewritten_ai_client_sends_a_bearer_token(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, call, body, url, audience = RUNTIME[name]
    code, changes = rewrite(source, tmp_path)
    assert "AzureKeyCredential" not in code, code
    assert [c.status for c in changes] == ["rewritten"]
    with identity_endpoint() as ep:
        use_identity_endpoint(monkeypatch, ep)
        monkeypatch.delenv("CONTENT_SAFETY_KEY", raising=False)  # the key settings are gone
        monkeypatch.delenv("AZURE_OPENAI_KEY", raising=False)
        namespace: dict[str, object] = {}
        exec(compile(code, f"{name}.py", "exec"), namespace)
        with capture_requests(body=body) as reqs:
            call(namespace["client"])
    assert reqs[0].url.startswith(url), reqs[0].url
    assert reqs[0].authorization.startswith("Bearer ")
    assert reqs[0].bearer_audience == audience
    assert not any(k.lower() in ("ocp-apim-subscription-key", "api-key") for k in reqs[0].headers)
    assert ep.resources == [audience]


def test_inference_scope_follows_the_endpoint(tmp_path: Path) -> None:
    source = '''import os
from azure.core.credentials import AzureKeyCredential
from azure.ai.inference import ChatCompletionsClient, EmbeddingsClient
from azure.ai.inference.aio import ChatCompletionsClient as AsyncChat

aoai = ChatCompletionsClient("https://acme.openai.azure.com/openai/deployments/gpt-4o", AzureKeyCredential(KEY))
env = EmbeddingsClient(endpoint=os.environ["AZURE_OPENAI_ENDPOINT"], credential=AzureKeyCredential(KEY))
scoped = ChatCompletionsClient(URL, AzureKeyCredential(KEY), credential_scopes=["https://x/.default"])
maas = ChatCompletionsClient("https://llama-3.eastus2.models.ai.azure.com", AzureKeyCredential(KEY))
old_maas = ChatCompletionsClient("https://llama-3.eastus2.inference.ai.azure.com", AzureKeyCredential(KEY))
github = ChatCompletionsClient("https://models.inference.ai.azure.com", AzureKeyCredential(GITHUB_TOKEN))
unknown = AsyncChat(os.environ["MODEL_ENDPOINT"], AzureKeyCredential(KEY))
'''
    code, changes = rewrite(source, tmp_path)
    assert code == '''import os
from azure.core.credentials import AzureKeyCredential
from azure.ai.inference import ChatCompletionsClient, EmbeddingsClient
from azure.ai.inference.aio import ChatCompletionsClient as AsyncChat
from azure.identity import DefaultAzureCredential

credential = DefaultAzureCredential()

aoai = ChatCompletionsClient("https://acme.openai.azure.com/openai/deployments/gpt-4o", credential, \
credential_scopes=["https://cognitiveservices.azure.com/.default"])
env = EmbeddingsClient(endpoint=os.environ["AZURE_OPENAI_ENDPOINT"], credential=credential, \
credential_scopes=["https://cognitiveservices.azure.com/.default"])
scoped = ChatCompletionsClient(URL, credential, credential_scopes=["https://x/.default"])
maas = ChatCompletionsClient("https://llama-3.eastus2.models.ai.azure.com", AzureKeyCredential(KEY))
old_maas = ChatCompletionsClient("https://llama-3.eastus2.inference.ai.azure.com", AzureKeyCredential(KEY))
github = ChatCompletionsClient("https://models.inference.ai.azure.com", AzureKeyCredential(GITHUB_TOKEN))
unknown = AsyncChat(os.environ["MODEL_ENDPOINT"], AzureKeyCredential(KEY))
'''
    assert [c.status for c in changes] == ["rewritten"] * 3 + ["manual"] * 4
    assert changes[0].extra["scope"] == "https://cognitiveservices.azure.com/.default"
    assert "serverless API (MaaS)" in (changes[3].reason or "") and "MaaS" in (changes[4].reason or "")
    assert "GitHub token" in (changes[5].reason or "")
    assert "comes from MODEL_ENDPOINT" in (changes[6].reason or "") and changes[6].is_async


def test_inference_endpoint_setting_value_from_the_repository(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MODEL_ENDPOINT=https://acme.services.ai.azure.com/models\n", encoding="utf-8")
    source = '''import os
from azure.core.credentials import AzureKeyCredential
from azure.ai.inference import ChatCompletionsClient
chat = ChatCompletionsClient(os.environ["MODEL_ENDPOINT"], AzureKeyCredential(os.environ["MODEL_KEY"]))
'''
    code, changes = rewrite(source, tmp_path)
    assert 'credential, credential_scopes=["https://cognitiveservices.azure.com/.default"])' in code
    assert changes[0].old_setting == "MODEL_KEY"


def test_translator_needs_the_custom_domain(tmp_path: Path) -> None:
    source = '''from azure.core.credentials import AzureKeyCredential
from azure.ai.translation.text import TextTranslationClient

custom = TextTranslationClient(endpoint="https://acme.cognitiveservices.azure.com", credential=AzureKeyCredential(K),
                               region="westeurope")
global_default = TextTranslationClient(credential=AzureKeyCredential(K), region="westeurope")
global_literal = TextTranslationClient("https://api.cognitive.microsofttranslator.com", AzureKeyCredential(K))
with_resource = TextTranslationClient(credential=AzureKeyCredential(K), region="westeurope", resource_id=RID)
'''
    code, changes = rewrite(source, tmp_path)
    assert 'custom = TextTranslationClient(endpoint="https://acme.cognitiveservices.azure.com", ' \
           "credential=credential)" in code.replace("\n                               ", " ")
    assert 'with_resource = TextTranslationClient(credential=credential, region="westeurope", resource_id=RID)' in code
    assert [c.status for c in changes] == ["rewritten", "manual", "manual", "rewritten"]
    assert any("region= removed" in n for n in changes[0].notes)
    assert "custom-domain endpoint" in (changes[1].reason or "") and "global one" in (changes[1].reason or "")
    assert "is https://api.cognitive.microsofttranslator.com" in (changes[2].reason or "")


def test_every_new_client_is_rewritten_sync_and_async(tmp_path: Path) -> None:
    clients = {
        "azure.ai.vision.face": ("FaceClient", "FaceAdministrationClient", "FaceSessionClient"),
        "azure.ai.contentsafety": ("ContentSafetyClient", "BlocklistClient"),
        "azure.ai.language.questionanswering": ("QuestionAnsweringClient",),
        "azure.ai.language.questionanswering.authoring": ("AuthoringClient",),
        "azure.ai.language.conversations": ("ConversationAnalysisClient",),
        "azure.ai.language.conversations.authoring": ("ConversationAuthoringClient",),
        "azure.ai.translation.document": ("DocumentTranslationClient", "SingleDocumentTranslationClient"),
    }
    for module, names in clients.items():
        for suffix, is_async in (("", False), (".aio", True)):
            lines = [f"from {module}{suffix} import {', '.join(names)}",
                     "from azure.core.credentials import AzureKeyCredential"]
            lines += [f'c{i} = {n}("https://acme.cognitiveservices.azure.com", AzureKeyCredential(K))'
                      for i, n in enumerate(names)]
            code, changes = rewrite("\n".join(lines) + "\n", tmp_path)
            assert "AzureKeyCredential" not in code, code
            assert [(c.client, c.status, c.is_async) for c in changes] == [(n, "rewritten", is_async) for n in names]
            assert ("azure.identity.aio" in code) is is_async


def test_key_credential_through_self_attribute_and_helpers(tmp_path: Path) -> None:
    """Real Document Intelligence code keeps the credential on `self` or builds it in a helper: the attribute is
    followed; a helper or a parameter gets a reason that says so (not "a client mi-migrate does not know")."""
    source = '''import os
from azure.core.credentials import AzureKeyCredential
from azure.ai.documentintelligence import DocumentIntelligenceClient
from azure.ai.formrecognizer import DocumentAnalysisClient


class Extractor:
    def __init__(self):
        self.credential = AzureKeyCredential(os.environ["DOCUMENT_INTELLIGENCE_KEY"])
        self.client = DocumentIntelligenceClient(os.environ["DOCUMENT_INTELLIGENCE_ENDPOINT"], self.credential)

    def legacy(self):
        return DocumentAnalysisClient(endpoint=ENDPOINT, credential=self.credential)


def get_credential():
    return AzureKeyCredential(os.environ["FORM_RECOGNIZER_KEY"])


def build(endpoint, credential):
    return DocumentAnalysisClient(endpoint, credential)


client = build(ENDPOINT, AzureKeyCredential(KEY))
'''
    code, changes = rewrite(source, tmp_path)
    assert 'DocumentIntelligenceClient(os.environ["DOCUMENT_INTELLIGENCE_ENDPOINT"], credential)' in code
    assert "DocumentAnalysisClient(endpoint=ENDPOINT, credential=credential)" in code
    assert "self.credential = " not in code  # every read was rewritten: the key assignment goes
    assert [(c.client, c.status) for c in changes] == [
        ("DocumentIntelligenceClient", "rewritten"), ("DocumentAnalysisClient", "rewritten"),
        ("AzureKeyCredential", "manual"), ("AzureKeyCredential", "manual")]
    assert changes[0].old_setting == "DOCUMENT_INTELLIGENCE_KEY"
    assert "returned by a function" in (changes[2].reason or "")
    assert "passed to `build(...)`" in (changes[3].reason or "")


def test_self_attribute_used_elsewhere_keeps_its_assignment(tmp_path: Path) -> None:
    source = '''from azure.core.credentials import AzureKeyCredential
from azure.ai.textanalytics import TextAnalyticsClient


class Analyzer:
    def __init__(self, key):
        self.credential = AzureKeyCredential(key)
        self.client = TextAnalyticsClient(ENDPOINT, self.credential)
        register(self.credential)
'''
    code, changes = rewrite(source, tmp_path)
    assert "self.credential = AzureKeyCredential(key)" in code
    assert "TextAnalyticsClient(ENDPOINT, credential)" in code
    assert [(c.client, c.status) for c in changes] == [
        ("AzureKeyCredential", "manual"), ("TextAnalyticsClient", "rewritten")]
    assert "passed to `register(...)`" in (changes[0].reason or "")
    assert any("`self.credential` is still used elsewhere" in n for n in changes[1].notes)
