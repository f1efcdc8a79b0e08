"""Azure AI clients whose token credential depends on the endpoint.

- azure-ai-inference (`ChatCompletionsClient`, `EmbeddingsClient`, `ImageEmbeddingsClient`) defaults to the scope
  `https://ml.azure.com/.default` (azure/ai/inference/_configuration.py), right for Managed Compute endpoints
  (`*.inference.ml.azure.com`); Azure OpenAI and AI Services endpoints need
  `credential_scopes=["https://cognitiveservices.azure.com/.default"]` (the package README's Entra ID section).
  Serverless API (MaaS: `*.models.ai.azure.com`, `*.inference.ai.azure.com`) and GitHub Models endpoints take
  keys only ("only Managed Compute endpoints and Azure OpenAI endpoints support Entra ID authentication").
- azure-ai-translation-text (`TextTranslationClient`): with a token credential, `region=` without `resource_id=`
  raises `ValueError` (1.x `set_authentication_policy`, 2.x `TextTranslationClient.__init__`); the resource's
  custom-domain endpoint (`https://<name>.cognitiveservices.azure.com`) needs neither. The global endpoint needs
  `resource_id=` (and `region=` for a regional resource), which the code does not hold.

The legacy msrest Cognitive Services SDKs (`CognitiveServicesCredentials`) are in legacy_cognitive.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"


@dataclass(frozen=True)
class EndpointInfo:
    """What the fix knows about a client's endpoint argument."""

    url: str | None = None  # the literal URL, or the value the repository's settings give the setting
    setting: str | None = None  # the app setting it is read from
    absent: bool = False  # no endpoint argument at all (the SDK's default endpoint)
    keywords: frozenset[str] = frozenset()  # keywords the call already passes


@dataclass(frozen=True)
class TokenArgs:
    """What a token credential needs besides itself: keywords to add (name → source) or drop, and notes."""

    extra: dict[str, str] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _host(url: str) -> str:
    return (urlsplit(url if "://" in url else f"https://{url}").hostname or "").lower()


def inference(info: EndpointInfo) -> TokenArgs | str:
    """azure-ai-inference: the scope follows the endpoint kind; key-only endpoints stay manual."""
    if "credential_scopes" in info.keywords:
        return TokenArgs()
    cognitive = TokenArgs({"credential_scopes": f'["{COGNITIVE_SCOPE}"]'})
    if info.url is None:
        if info.setting and "OPENAI" in info.setting.upper():
            return cognitive  # an Azure OpenAI endpoint setting: the Cognitive Services audience either way
        where = f"comes from {info.setting}" if info.setting else "is not known at fix time"
        return (f"the endpoint {where}: the token scope depends on the endpoint (Azure OpenAI / AI Services: "
                f'credential_scopes=["{COGNITIVE_SCOPE}"]; Managed Compute: the default https://ml.azure.com/.default; '
                "serverless API endpoints take keys only)")
    host = _host(info.url)
    if host in ("models.inference.ai.azure.com", "models.github.ai"):
        return "a GitHub Models endpoint authenticates with a GitHub token, not Entra ID"
    if host.endswith((".openai.azure.com", ".services.ai.azure.com", ".cognitiveservices.azure.com")):
        return cognitive
    if host.endswith(".inference.ml.azure.com"):
        return TokenArgs(notes=("the Managed Compute endpoint must use Entra ID auth (auth_mode: aad_token); the "
                                "token scope is the SDK default https://ml.azure.com/.default",))
    if host.endswith((".models.ai.azure.com", ".inference.ai.azure.com")):
        return ("a serverless API (MaaS) endpoint takes keys only (azure-ai-inference: only Managed Compute and Azure "
                "OpenAI endpoints support Entra ID); deploy the model to Azure AI Services "
                "(https://<resource>.services.ai.azure.com/models) to use a managed identity")
    return f"unrecognised endpoint host {host}: cannot tell which token scope it accepts"


def translator(info: EndpointInfo) -> TokenArgs | str:
    """azure-ai-translation-text: a token credential works on the custom-domain endpoint without `region=`."""
    if "resource_id" in info.keywords:
        return TokenArgs()  # region + resource_id: the global endpoint's Entra ID form, already complete
    drop = ("region",) if "region" in info.keywords else ()
    notes = ("region= removed: with a token credential the custom-domain endpoint identifies the resource (the SDK "
             "raises ValueError for region= without resource_id=)",) if drop else ()
    if info.url is not None and _host(info.url).endswith(".cognitiveservices.azure.com"):
        return TokenArgs(drop=drop, notes=notes)
    if info.absent:
        where = "is the global one (the SDK default)"
    elif info.url is not None:
        where = f"is {info.url}"
    else:
        where = f"comes from {info.setting}" if info.setting else "is not known at fix time"
    return (f"Translator with Entra ID needs the resource's custom-domain endpoint "
            f"(https://<name>.cognitiveservices.azure.com), or resource_id= with region= on the global endpoint; "
            f"the endpoint here {where}")
