"""Legacy msrest Cognitive Services SDKs (azure-cognitiveservices-*): `CognitiveServicesCredentials(key)` (or
`ApiKeyCredentials(in_headers={"Ocp-Apim-Subscription-Key": key})`) → `EntraTokenCredentials(credential)`, a small
helper inserted once per module that sends a Microsoft Entra token instead of the key.

Why this works (msrest 0.7.1): the generated clients (`FaceClient`, `ComputerVisionClient`,
`ContentModeratorClient`, ...) hand their `credentials` to `msrest.service_client.ServiceClient`, which wraps any
object that is not a pipeline policy in `RequestsCredentialsPolicy` (service_client.py `_create_default_pipeline`);
that policy calls `credentials.signed_session(session)` before every request (pipeline/requests.py
`RequestsCredentialsPolicy.send`). `BasicTokenAuthentication.signed_session` sets `Authorization: Bearer
<token["access_token"]>` (authentication.py), but its token is static and Entra tokens expire after about an
hour, so the helper fetches one from the azure-identity credential (which caches it) in `signed_session`.

Entra ID needs the resource's custom subdomain endpoint (`https://<name>.cognitiveservices.azure.com`); regional
endpoints (`https://<region>.api.cognitive.microsoft.com`) take keys only, so a regional endpoint in the code stays
manual. Services that are retired (Bing Search, LUIS, QnA Maker) stay manual, marked `extra["retired"]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import libcst as cst
import libcst.matchers as m
from libcst.metadata import Assignment, ParentNodeProvider, QualifiedNameProvider, ScopeProvider

from mi_migrate.fix.codemod import CallSite, Planner, Target
from mi_migrate.fix.families.key_credentials import Key, _collect
from mi_migrate.fix.model import Change
from mi_migrate.fix.values import EnvRead, Literal, Unknown, Variable, resolve, string_value

SCOPE = "https://cognitiveservices.azure.com/.default"
HELPER = "EntraTokenCredentials"
HELPER_CODE = '''

class {name}(BasicTokenAuthentication):
    """msrest credentials sending a Microsoft Entra token, fetched per request (azure-identity caches it)."""

    scope = "{scope}"

    def __init__(self, credential: TokenCredential) -> None:
        super().__init__({{"access_token": ""}})
        self.credential = credential

    def signed_session(self, session: "Session | None" = None) -> "Session":
        self.token = {{"access_token": self.credential.get_token(self.scope).token}}
        return super().signed_session(session)
'''
KEY_HEADER = "ocp-apim-subscription-key"
REGIONAL = re.compile(r"(?i)(?:^|[./])api\.cognitive\.microsoft\.com")
CUSTOM_DOMAIN = ".cognitiveservices.azure.com"
ROLE = "Cognitive Services User"


@dataclass(frozen=True)
class Service:
    name: str
    retired: str | None = None  # retirement date: no migration, the code has to move to the successor
    successor: str | None = None
    note: str | None = None  # for services still running: what the owner should know


BING = Service("Bing Search APIs", "2025-08-11", "Grounding with Bing Search in Azure AI Foundry Agent Service")
# legacy package (module prefix) → its service
SERVICES: dict[str, Service] = {
    "azure.cognitiveservices.vision.face": Service("Face"),
    "azure.cognitiveservices.vision.computervision": Service("Computer Vision"),
    "azure.cognitiveservices.vision.contentmoderator": Service(
        "Content Moderator", note="Content Moderator is deprecated (retirement announced for 2027-03-15): plan the "
                                  "move to Azure AI Content Safety (azure-ai-contentsafety)"),
    "azure.cognitiveservices.language.textanalytics": Service(
        "Text Analytics", note="the current SDK is azure-ai-textanalytics (TextAnalyticsClient(endpoint, credential))"),
    "azure.cognitiveservices.formrecognizer": Service(
        "Form Recognizer", note="the current SDK is azure-ai-documentintelligence"),
    "azure.cognitiveservices.anomalydetector": Service(
        "Anomaly Detector", note="Anomaly Detector retires on 2026-10-01 (announced): plan a replacement"),
    "azure.cognitiveservices.personalizer": Service(
        "Personalizer", note="Personalizer retires on 2026-10-01 (announced): plan a replacement"),
    "azure.cognitiveservices.search": BING,
    "azure.cognitiveservices.language.spellcheck": BING,
    "azure.cognitiveservices.language.luis": Service(
        "LUIS", "2025-10-01", "conversational language understanding (azure-ai-language-conversations)"),
    "azure.cognitiveservices.knowledge.qnamaker": Service(
        "QnA Maker", "2025-03-31", "custom question answering (azure-ai-language-questionanswering)"),
}


def service_of(qualified: str) -> tuple[str, Service] | None:
    """The legacy package a client's qualified name belongs to, and its service."""
    for prefix, service in SERVICES.items():
        if qualified.startswith(prefix + "."):
            return prefix, service
    return None


def _qualified(planner: Planner, node: cst.CSTNode) -> set[str]:
    return {q.name for q in planner.meta(QualifiedNameProvider, node, set())}


def _call_taking(node: cst.CSTNode, planner: Planner) -> cst.Call | None:
    """The call `node` is an argument of."""
    parent = planner.meta(ParentNodeProvider, node)
    call = planner.meta(ParentNodeProvider, parent) if isinstance(parent, cst.Arg) else None
    return call if isinstance(call, cst.Call) and parent in call.args else None


def consumers(site: CallSite, planner: Planner) -> list[cst.Call] | None:
    """The calls the credential is passed to: directly, or through a name assigned once (`credentials = ...`)
    whose every read is a call argument. None when it goes anywhere else."""
    direct = _call_taking(site.node, planner)
    if direct is not None:
        return [direct]
    parent = planner.meta(ParentNodeProvider, site.node)
    if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target,
                                                                                         cst.Name)):
        return None
    name = parent.targets[0].target
    scope = planner.meta(ScopeProvider, name)
    found = [a for a in scope[name.value] if isinstance(a, Assignment)] if scope is not None else []
    if len(found) != 1:
        return None
    calls = [_call_taking(ref.node, planner) for ref in found[0].references]
    return None if any(c is None for c in calls) else calls  # type: ignore[return-value]


def _client_name(call: cst.Call, planner: Planner) -> str | None:
    names = _qualified(planner, call.func)
    return min(names) if names else None


def _arg(call: cst.Call, position: int, keyword: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[position] if position < len(positional) else None


def _texts(node: cst.CSTNode, planner: Planner) -> list[str]:
    """String pieces of an expression, and of the assignments of a name it is (`url = "https://{}...".format(r)`)."""
    nodes = [node]
    if isinstance(node, cst.Name):
        scope = planner.meta(ScopeProvider, node)
        for assignment in scope[node.value] if scope is not None else ():
            if not isinstance(assignment, Assignment):
                continue
            target = planner.meta(ParentNodeProvider, assignment.node)
            assign = planner.meta(ParentNodeProvider, target) if isinstance(target, cst.AssignTarget) else None
            if isinstance(assign, cst.Assign):
                nodes.append(assign.value)
    texts = []
    for each in nodes:
        for piece in m.findall(each, m.SimpleString() | m.FormattedStringText()):
            if isinstance(piece, cst.SimpleString):
                texts.append(string_value(piece) or "")
            elif isinstance(piece, cst.FormattedStringText):
                texts.append(piece.value)
    return texts


@dataclass
class EndpointCheck:
    reason: str | None = None  # why the credential cannot change (a regional or http:// endpoint)
    notes: tuple[str, ...] = ()
    fields: dict[str, str] | None = None  # Change fields: endpoint, resource, endpoint setting


def _custom_domain_note(where: str) -> str:
    return (f"{where} must be the resource's custom subdomain endpoint (https://<name>{CUSTOM_DOMAIN}): Microsoft "
            "Entra ID is refused on regional endpoints (https://<region>.api.cognitive.microsoft.com); create the "
            f"subdomain if the resource has none (az cognitiveservices account update --custom-domain <name>, "
            f"irreversible), and grant the app's identity {ROLE} on the resource")


def check_endpoint(call: cst.Call, planner: Planner) -> EndpointCheck:
    arg = _arg(call, 0, "endpoint")
    if arg is None:
        return EndpointCheck(reason="the client is built without an endpoint: the default regional endpoint takes "
                                    f"keys only; Entra ID needs the custom subdomain endpoint (https://<name>{CUSTOM_DOMAIN})")
    value = resolve(arg.value, planner.meta)
    inner = value.value if isinstance(value, Variable) else value
    if isinstance(inner, EnvRead):
        setting_value = planner.settings.get(inner.name)
        if setting_value and REGIONAL.search(setting_value):
            note = (f"the setting {inner.name} holds a regional endpoint in this repository ({setting_value}): "
                    + _custom_domain_note("it"))
        else:
            note = _custom_domain_note(f"the setting {inner.name}")
        return EndpointCheck(notes=(note,), fields={"endpoint_setting": inner.name})
    if isinstance(inner, Literal):
        url = inner.value.strip()
        host = (urlsplit(url).hostname or "").lower() if "://" in url else ""
        if REGIONAL.search(url):
            return EndpointCheck(reason=f"the endpoint {url} is a regional endpoint, which takes keys only: Microsoft "
                                        f"Entra ID needs the resource's custom subdomain endpoint "
                                        f"(https://<name>{CUSTOM_DOMAIN}); put that in the code, then run fix again")
        if url.lower().startswith("http://"):
            return EndpointCheck(reason=f"the endpoint {url} is plain http://: a bearer token must not be sent over it")
        if host.endswith(CUSTOM_DOMAIN):
            return EndpointCheck(notes=(f"grant the app's identity {ROLE} on the resource",),
                                 fields={"endpoint": url, "resource": host.split(".")[0]})
        return EndpointCheck(notes=(_custom_domain_note(f"the endpoint {url!r}"),))
    if any(REGIONAL.search(text) for text in _texts(arg.value, planner)):
        return EndpointCheck(reason="the endpoint is built from a regional endpoint (https://<region>.api.cognitive."
                                    "microsoft.com), which takes keys only: Microsoft Entra ID needs the resource's "
                                    f"custom subdomain endpoint (https://<name>{CUSTOM_DOMAIN}); use that, then run "
                                    "fix again")
    why = inner.reason if isinstance(inner, Unknown) else "it is computed at run time"
    return EndpointCheck(notes=(_custom_domain_note(f"the endpoint ({why})"),))


def key_expression(site: CallSite, planner: Planner) -> cst.BaseExpression | None:
    """The key the credential wraps; None when this is not a Cognitive Services key credential."""
    names = _qualified(planner, site.node.func)
    if "msrest.authentication.CognitiveServicesCredentials" in names:
        arg = site.arg(0, "subscription_key")
        return arg.value if arg is not None else None
    headers = site.arg(0, "in_headers")
    if site.arg(1, "in_query") is not None or headers is None or not isinstance(headers.value, cst.Dict):
        return None
    elements = headers.value.elements
    if len(elements) != 1 or not isinstance(elements[0], cst.DictElement):
        return None
    if (string_value(elements[0].key) or "").lower() != KEY_HEADER:
        return None
    return elements[0].value


def _generic(site: CallSite, kind: str, qualified: str | None) -> Change:
    if qualified and qualified.startswith("azure.cognitiveservices."):
        package = "azure-cognitiveservices-" + "-".join(qualified.split(".")[2:-1])
        reason = (f"legacy msrest SDK {package}: mi-migrate does not know whether its service accepts Microsoft "
                  f"Entra tokens; move to the service's azure-ai-* package, whose clients take an azure-identity "
                  "credential")
    else:
        reason = ("legacy msrest Cognitive Services credential not passed straight to a client mi-migrate knows "
                  "(returned, stored or passed to another function): pass the client "
                  f"{HELPER}(credential) (Entra token per request) by hand, or move to the azure-ai-* package")
    return site.change("manual", reason=reason, extra={"credential": kind})


def plan(site: CallSite, planner: Planner) -> Change | None:
    kind = site.target.client
    key = key_expression(site, planner)
    if key is None:  # ApiKeyCredentials with another header (Custom Vision's Training-Key): not this family's
        return _generic(site, kind, None) if kind == "CognitiveServicesCredentials" else None
    calls = consumers(site, planner)
    if calls is None:
        return _generic(site, kind, None)
    if not calls:
        return site.change("manual", extra={"credential": kind},
                           reason="the credential is assigned but never read: delete the assignment (it holds the key)")
    clients = [_client_name(c, planner) or "" for c in calls]
    services = [service_of(c) for c in clients]
    first = clients[0]
    family = "azure-cognitiveservices"
    if services[0] is not None:
        family = services[0][0].replace(".", "-")
    short = first.rsplit(".", 1)[-1] if first else kind

    def change(status: str, **fields: object) -> Change:
        return replace(site.change(status, **fields), client=short, family=family)  # type: ignore[arg-type]

    if any(s is None for s in services):
        index = next(i for i, s in enumerate(services) if s is None)
        if not clients[index]:
            code = cst.Module(body=[]).code_for_node(calls[index].func)
            return site.change("manual", extra={"credential": kind},
                               reason=f"the credential is passed to `{code}(...)`, a name this module does not import: "
                                      "cannot tell which service it calls")
        return replace(_generic(site, kind, clients[index]), client=short, family=family)
    retired = next((s for _, s in services if s.retired), None)  # type: ignore[misc]
    if retired is not None:
        return change("manual", extra={"credential": kind, "retired": True, "retired_service": retired.name},
                      reason=f"retired service ({retired.retired}): no managed identity migration; move to "
                             f"{retired.successor}")
    notes: list[str] = []
    fields: dict[str, str] = {}
    for call in calls:
        checked = check_endpoint(call, planner)
        if checked.reason is not None:
            return change("manual", reason=checked.reason, extra={"credential": kind})
        notes.extend(n for n in checked.notes if n not in notes)
        fields.update(checked.fields or {})
    for _, service in services:  # type: ignore[misc]
        if service.note and service.note not in notes:
            notes.append(service.note)
    found = Key(kind)
    _collect(key, planner, found)
    for variable in found.variables:
        planner.use_variable(variable)
    planner.replace(site.node, cst.Call(func=cst.Name(helper(planner)), args=[cst.Arg(planner.credential(False))]))
    planner.drop_import_if_unused("msrest.authentication", kind)
    notes.extend(f"the app setting {s} (the key) is no longer read: delete it" for s in found.settings[1:])
    if found.literal:
        notes.append("the key was written in the code: rotate it, it stays in the repository history")
    extra: dict[str, object] = {"credential": kind, "scope": SCOPE, "requires": ["azure-identity"]}
    if "endpoint_setting" in fields:
        extra["endpoint_setting"] = fields.pop("endpoint_setting")
    if len(set(clients)) > 1:
        extra["clients"] = sorted({c.rsplit(".", 1)[-1] for c in clients})
    return change("rewritten", old_setting=found.settings[0] if found.settings else None, notes=tuple(notes),
                  extra=extra, **fields)


def helper(planner: Planner) -> str:
    """The `EntraTokenCredentials` class, inserted (with its imports) once per module."""
    if HELPER not in planner.module_names:
        planner.add_import("azure.core.credentials", "TokenCredential")
        planner.add_import("msrest.authentication", "BasicTokenAuthentication")
        planner.add_import("requests", "Session")
        planner.add_helper(HELPER_CODE.format(name=HELPER, scope=SCOPE))
    return HELPER


def targets() -> list[Target]:
    return [Target("azure-cognitiveservices", "cognitiveservices", name, (f"msrest.authentication.{name}",), plan)
            for name in ("CognitiveServicesCredentials", "ApiKeyCredentials")]
