"""Clients constructed with a key: `AzureKeyCredential`, `AzureNamedKeyCredential`, `AzureSasCredential`, an
account-key or SAS string, a key dict, or a SAS query string in the URL → the module's token credential.

Only the credential argument changes (same position, same keyword), so every other argument keeps its text. The
key's variables go when nothing else reads them, and the app setting that held the key is reported as no longer
read. Token credentials need HTTPS: emulator, localhost and http:// endpoints are left as manual steps.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst
import libcst.matchers as m
from libcst.metadata import Assignment, ParentNodeProvider, QualifiedNameProvider, ScopeProvider

from mi_migrate.fix import entra_fallback
from mi_migrate.fix.codemod import CallSite, Planner, Target
from mi_migrate.fix.endpoints import strip_query
from mi_migrate.fix.families import ai_services
from mi_migrate.fix.families.ai_services import EndpointInfo, TokenArgs
from mi_migrate.fix.families.common import credential_arg, keyword_arg, operations, rebuild_args
from mi_migrate.fix.model import Change
from mi_migrate.fix.values import EnvRead, Literal, Unknown, Variable, env_read, quote_like, resolve, string_node

KEY_CLASSES = {f"azure.core.credentials.{n}": n for n in
               ("AzureKeyCredential", "AzureNamedKeyCredential", "AzureSasCredential")}
KEY_WORDS = frozenset({"key", "sas", "secret", "accountkey", "apikey", "masterkey", "accesskey", "sastoken"})
BACKUP = {"token_intent": '"backup"'}


@dataclass(frozen=True)
class Client:
    """One constructor (or `Class.from_x_url`): where its credential and endpoint sit."""

    name: str  # "BlobClient" or "BlobClient.from_blob_url"
    position: int  # positional index of `credential`; -1 when keyword-only
    endpoint: str = "endpoint"  # keyword of the first argument
    extra: dict[str, str] = field(default_factory=dict)  # keywords a token credential needs
    strings: bool = False  # a plain string credential is a key/SAS (storage); elsewhere it is not valid anyway
    # what else a token credential needs on this endpoint (a scope, a dropped `region=`), or why it cannot work
    endpoint_rule: Callable[[EndpointInfo], TokenArgs | str] | None = None


def _storage(pairs: dict[str, int], endpoint: str = "account_url", extra: dict[str, str] | None = None,
             urls: dict[str, str] | None = None) -> tuple[Client, ...]:
    urls = urls or {}
    return tuple(Client(n, p, urls.get(n, endpoint), extra or {}, True) for n, p in pairs.items())


# family, service, modules, aio modules, clients (credential positions as in rules/AZ202-key-credential.toml)
FAMILIES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[Client, ...]], ...] = (
    ("azure-storage-blob", "storage", ("azure.storage.blob",), ("azure.storage.blob.aio",), _storage(
        {"BlobServiceClient": 1, "ContainerClient": 2, "BlobClient": 4, "ContainerClient.from_container_url": 1,
         "BlobClient.from_blob_url": 1},
        urls={"ContainerClient.from_container_url": "container_url", "BlobClient.from_blob_url": "blob_url"})),
    ("azure-storage-queue", "storage", ("azure.storage.queue",), ("azure.storage.queue.aio",), _storage(
        {"QueueServiceClient": 1, "QueueClient": 2, "QueueClient.from_queue_url": 1},
        urls={"QueueClient.from_queue_url": "queue_url"})),
    ("azure-storage-file-share", "storage", ("azure.storage.fileshare",), ("azure.storage.fileshare.aio",), _storage(
        {"ShareServiceClient": 1, "ShareClient": 3, "ShareDirectoryClient": 4, "ShareFileClient": 4,
         "ShareClient.from_share_url": 2, "ShareDirectoryClient.from_directory_url": 2,
         "ShareFileClient.from_file_url": 2}, extra=BACKUP,
        urls={"ShareClient.from_share_url": "share_url", "ShareDirectoryClient.from_directory_url": "directory_url",
              "ShareFileClient.from_file_url": "file_url"})),
    ("azure-storage-file-datalake", "storage", ("azure.storage.filedatalake",), ("azure.storage.filedatalake.aio",),
     _storage({"DataLakeServiceClient": 1, "FileSystemClient": 2, "DataLakeDirectoryClient": 3,
               "DataLakeFileClient": 3})),
    ("azure-data-tables", "storage", ("azure.data.tables",), ("azure.data.tables.aio",), _storage(
        {"TableServiceClient": -1, "TableClient": -1, "TableClient.from_table_url": -1}, endpoint="endpoint",
        urls={"TableClient.from_table_url": "table_url"})),
    ("azure-eventhub-checkpointstoreblob", "storage", ("azure.eventhub.extensions.checkpointstoreblob",), (),
     _storage({"BlobCheckpointStore": 2}, endpoint="blob_account_url")),
    ("azure-eventhub-checkpointstoreblob-aio", "storage", (), ("azure.eventhub.extensions.checkpointstoreblobaio",),
     _storage({"BlobCheckpointStore": -1}, endpoint="blob_account_url")),
    ("azure-servicebus", "servicebus", ("azure.servicebus",), ("azure.servicebus.aio",),
     (Client("ServiceBusClient", 1, "fully_qualified_namespace"),)),
    ("azure-servicebus", "servicebus", ("azure.servicebus.management",), ("azure.servicebus.aio.management",),
     (Client("ServiceBusAdministrationClient", 1, "fully_qualified_namespace"),)),
    ("azure-eventhub", "eventhubs", ("azure.eventhub",), ("azure.eventhub.aio",),
     (Client("EventHubProducerClient", 2, "fully_qualified_namespace"),
      Client("EventHubConsumerClient", 3, "fully_qualified_namespace"))),
    ("azure-search-documents", "search", ("azure.search.documents",), ("azure.search.documents.aio",),
     (Client("SearchClient", 2),)),
    ("azure-search-documents", "search", ("azure.search.documents.indexes",), ("azure.search.documents.indexes.aio",),
     (Client("SearchIndexClient", 1), Client("SearchIndexerClient", 1))),
    ("azure-eventgrid", "eventgrid", ("azure.eventgrid",), ("azure.eventgrid.aio",),
     (Client("EventGridPublisherClient", 1),)),
    ("azure-messaging-webpubsubservice", "webpubsub", ("azure.messaging.webpubsubservice",),
     ("azure.messaging.webpubsubservice.aio",), (Client("WebPubSubServiceClient", 2),)),
    ("azure-ai-textanalytics", "cognitiveservices", ("azure.ai.textanalytics",), ("azure.ai.textanalytics.aio",),
     (Client("TextAnalyticsClient", 1),)),
    ("azure-ai-formrecognizer", "cognitiveservices", ("azure.ai.formrecognizer",), ("azure.ai.formrecognizer.aio",),
     tuple(Client(n, 1) for n in ("DocumentAnalysisClient", "DocumentModelAdministrationClient",
                                  "FormRecognizerClient", "FormTrainingClient"))),
    ("azure-ai-documentintelligence", "cognitiveservices", ("azure.ai.documentintelligence",),
     ("azure.ai.documentintelligence.aio",),
     (Client("DocumentIntelligenceClient", 1), Client("DocumentIntelligenceAdministrationClient", 1))),
    ("azure-ai-vision-imageanalysis", "cognitiveservices", ("azure.ai.vision.imageanalysis",),
     ("azure.ai.vision.imageanalysis.aio",), (Client("ImageAnalysisClient", 1),)),
    # the scopes below are each SDK's default `credential_scopes` (see rules/AZ202-key-credential.toml)
    ("azure-ai-vision-face", "cognitiveservices", ("azure.ai.vision.face",), ("azure.ai.vision.face.aio",),
     tuple(Client(n, 1) for n in ("FaceClient", "FaceAdministrationClient", "FaceSessionClient"))),
    ("azure-ai-contentsafety", "cognitiveservices", ("azure.ai.contentsafety",), ("azure.ai.contentsafety.aio",),
     (Client("ContentSafetyClient", 1), Client("BlocklistClient", 1))),
    ("azure-ai-language-questionanswering", "cognitiveservices", ("azure.ai.language.questionanswering",),
     ("azure.ai.language.questionanswering.aio",), (Client("QuestionAnsweringClient", 1),)),
    ("azure-ai-language-questionanswering", "cognitiveservices", ("azure.ai.language.questionanswering.authoring",),
     ("azure.ai.language.questionanswering.authoring.aio",), (Client("AuthoringClient", 1),)),
    ("azure-ai-language-conversations", "cognitiveservices", ("azure.ai.language.conversations",),
     ("azure.ai.language.conversations.aio",), (Client("ConversationAnalysisClient", 1),)),
    ("azure-ai-language-conversations", "cognitiveservices", ("azure.ai.language.conversations.authoring",),
     ("azure.ai.language.conversations.authoring.aio",), (Client("ConversationAuthoringClient", 1),)),
    ("azure-ai-translation-document", "cognitiveservices", ("azure.ai.translation.document",),
     ("azure.ai.translation.document.aio",),
     (Client("DocumentTranslationClient", 1), Client("SingleDocumentTranslationClient", 1))),
    ("azure-ai-translation-text", "cognitiveservices", ("azure.ai.translation.text",),
     ("azure.ai.translation.text.aio",), (Client("TextTranslationClient", 1, endpoint_rule=ai_services.translator),)),
    ("azure-ai-inference", "cognitiveservices", ("azure.ai.inference",), ("azure.ai.inference.aio",),
     tuple(Client(n, 1, endpoint_rule=ai_services.inference)
           for n in ("ChatCompletionsClient", "EmbeddingsClient", "ImageEmbeddingsClient"))),
    *(
        (f"azure-communication-{pkg}", "communication", (f"azure.communication.{pkg}",),
         (f"azure.communication.{pkg}.aio",), (Client(cls, 1),))
        for pkg, cls in (("email", "EmailClient"), ("sms", "SmsClient"), ("identity", "CommunicationIdentityClient"),
                         ("phonenumbers", "PhoneNumbersClient"), ("rooms", "RoomsClient"),
                         ("callautomation", "CallAutomationClient"))
    ),
)


@dataclass
class Key:
    """What the credential argument carried: its kind, the settings it read, the variables that go with it."""

    kind: str  # AzureKeyCredential, AzureNamedKeyCredential, AzureSasCredential, account-key, sas-token, key-dict
    settings: list[str] = field(default_factory=list)
    variables: list[Variable] = field(default_factory=list)  # removed with the credential expression
    holder: Variable | None = None  # `cred = AzureKeyCredential(...)` shared by several clients
    literal: bool = False  # the key itself was in the code
    parameter: str | None = None  # the key came in through this parameter, which no longer authenticates


# per planner: id(holder assign) → rewritten uses so far (a shared key credential's key goes with its last use)
_HOLDER_USES: weakref.WeakKeyDictionary[Planner, dict[int, int]] = weakref.WeakKeyDictionary()


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()) if w]


def _keyish(node: cst.BaseExpression) -> bool:
    """The scanner's name heuristic: `account_key`, `self.sas_token`, `settings.STORAGE_KEY`."""
    label = node.attr.value if isinstance(node, cst.Attribute) else node.value if isinstance(node, cst.Name) else ""
    words = _words(label)
    return bool(words) and (words[-1] in KEY_WORDS or "sas" in words or "".join(words) in KEY_WORDS)


def _qualified(planner: Planner, node: cst.CSTNode) -> set[str]:
    return {q.name for q in planner.meta(QualifiedNameProvider, node, set())}


def _bound(name: cst.Name, planner: Planner) -> tuple[cst.Assign, Assignment, cst.CSTNode | None] | None:
    """The single `name = <value>` assignment in scope (with the line holding it), if there is one."""
    scope = planner.meta(ScopeProvider, name)
    if scope is None:
        return None
    found = [a for a in scope[name.value] if isinstance(a, Assignment)]
    if len(found) != 1:
        return None
    target = planner.meta(ParentNodeProvider, found[0].node)
    assign = planner.meta(ParentNodeProvider, target) if isinstance(target, cst.AssignTarget) else None
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or assign.targets[0].target is not found[0].node:
        return None
    line = planner.meta(ParentNodeProvider, assign)
    holder = line if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 else None
    return assign, found[0], holder


def _collect(node: cst.BaseExpression, planner: Planner, key: Key) -> None:
    """Settings and variables read by an expression that is being dropped."""
    value = resolve(node, planner.meta)
    if isinstance(value, Variable):
        key.variables.append(value)
        value = value.value
    if isinstance(value, EnvRead):
        key.settings.append(value.name)
    elif isinstance(value, Literal):
        key.literal = key.literal or len(value.value) >= 16
    elif isinstance(value, Unknown):
        for sub in m.findall(node, m.Subscript() | m.Call()):
            read = env_read(sub, planner.meta)  # type: ignore[arg-type]
            if read is not None and read.name not in key.settings:
                key.settings.append(read.name)


def classify(node: cst.BaseExpression, planner: Planner, strings: bool) -> Key | str | None:
    """The key a credential argument carries; a reason string when it cannot be rewritten; None: not a key."""
    if isinstance(node, cst.Name) and node.value == "None":
        return None
    if isinstance(node, cst.Call):
        names = _qualified(planner, node.func)
        kind = next((KEY_CLASSES[n] for n in names if n in KEY_CLASSES), None)
        if kind is None:
            return None
        key = Key(kind)
        for arg in node.args:
            _collect(arg.value, planner, key)
        return key
    if isinstance(node, cst.Dict):
        key = Key("key-dict")
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                _collect(element.value, planner, key)
        return key
    value = resolve(node, planner.meta)
    inner = value.value if isinstance(value, Variable) else value
    if isinstance(inner, Literal | EnvRead):
        if not strings:
            return None
        key = Key("sas-token" if re.search(r"(?i)sas|sv=|sig=", inner_text(inner)) else "account-key")
        _collect(node, planner, key)
        return key
    if isinstance(node, cst.Name):
        bound = _bound(node, planner)
        if bound is not None:
            assign, assignment, holder = bound
            found = classify(assign.value, planner, strings)
            if isinstance(found, Key):
                uses = len(assignment.references)
                found.holder = Variable(node.value, assign, Literal("", assign.value), max(0, uses - 1), holder)
            return found
        if _keyish(node) and strings and _is_parameter(node, planner):
            return Key("sas-token" if "sas" in node.value.lower() else "account-key", parameter=node.value)
        if _keyish(node):
            return f"the key comes from `{node.value}`, a parameter or a name assigned more than once"
        return None
    if isinstance(node, cst.Attribute):
        found_attr = _self_attribute(node, planner, strings)
        if found_attr is not None:
            return found_attr
    if _keyish(node) and strings:
        key = Key("account-key")
        _collect(node, planner, key)
        return key
    return None


def _is_parameter(name: cst.Name, planner: Planner) -> bool:
    """A function parameter (and nothing else by that name in its scope): the caller passes the key in."""
    scope = planner.meta(ScopeProvider, name)
    if scope is None:
        return False
    assignments = [a for a in scope[name.value] if isinstance(a, Assignment)]
    return len(assignments) == 1 and isinstance(assignments[0].node, cst.Param)


def _enclosing_class(node: cst.CSTNode, planner: Planner) -> cst.ClassDef | None:
    while node is not None and not isinstance(node, cst.ClassDef):
        node = planner.meta(ParentNodeProvider, node)
    return node


def _self_reads(attribute: cst.Attribute, planner: Planner) -> tuple[list[cst.Assign], list[cst.CSTNode]] | None:
    """`self.<attr>` in its class: the assignments to it and every other access."""
    if not (isinstance(attribute.value, cst.Name) and attribute.value.value == "self"):
        return None
    cls = _enclosing_class(attribute, planner)
    if cls is None:
        return None
    pattern = m.Attribute(value=m.Name("self"), attr=m.Name(attribute.attr.value))
    accesses = m.findall(cls, pattern)
    assigns = [a for a in m.findall(cls, m.Assign(targets=[m.AssignTarget(target=pattern)]))
               if isinstance(a, cst.Assign)]
    targets = {id(a.targets[0].target) for a in assigns}
    return assigns, [a for a in accesses if id(a) not in targets]


def _self_attribute(node: cst.Attribute, planner: Planner, strings: bool) -> Key | None:
    """`self.credential` assigned once in the class (`self.credential = AzureKeyCredential(...)`): that key, its
    assignment going once every read of the attribute is rewritten."""
    found = _self_reads(node, planner)
    if found is None or len(found[0]) != 1:
        return None
    assign, reads = found[0][0], found[1]
    if not isinstance(assign.value, cst.Call):
        return None
    key = classify(assign.value, planner, strings)
    if not isinstance(key, Key):
        return None
    line = planner.meta(ParentNodeProvider, assign)
    holder = line if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 else None
    key.holder = Variable(f"self.{node.attr.value}", assign, Literal("", assign.value), max(0, len(reads) - 1), holder)
    return key


def inner_text(value: Literal | EnvRead) -> str:
    return value.value if isinstance(value, Literal) else value.name


def _plain_http(url: str) -> bool:
    lowered = url.lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", lowered).split("/")[0].split(":")[0]
    return lowered.startswith("http://") or host in ("localhost", "127.0.0.1", "[::1]") or "devstoreaccount1" in lowered


def _strip_fstring(node: cst.FormattedString) -> tuple[cst.BaseExpression, int] | None:
    """`f"https://a.blob.core.windows.net/c?{sas}"` → `"https://a.blob.core.windows.net/c"` (and where the
    query started)."""
    for i, part in enumerate(node.parts):
        if isinstance(part, cst.FormattedStringText) and "?" in part.value:
            head = part.value.split("?", 1)[0]
            parts = [*node.parts[:i], *([part.with_changes(value=head)] if head else [])]
            if all(isinstance(p, cst.FormattedStringText) for p in parts):  # nothing left to format
                return cst.SimpleString(quote_like(node.end, "".join(p.value for p in parts))), i
            return node.with_changes(parts=parts), i
    return None


@dataclass
class Endpoint:
    """What happens to the endpoint argument: Change fields, a new expression (SAS stripped), or why not."""

    fields: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    new: cst.BaseExpression | None = None  # replaces the argument's value
    elsewhere: tuple[cst.CSTNode, cst.CSTNode] | None = None  # (literal in a variable's assignment, its new text)
    dropped: list[Variable] = field(default_factory=list)  # variables only the SAS part read


def endpoint_plan(arg: cst.Arg | None, planner: Planner) -> Endpoint:
    """Check a literal endpoint is HTTPS and strip its SAS query string (which would still be sent)."""
    if arg is None:
        return Endpoint()
    value = resolve(arg.value, planner.meta)
    variable = value if isinstance(value, Variable) else None
    inner = variable.value if variable else value
    if isinstance(inner, EnvRead):
        return Endpoint({"endpoint_setting": inner.name})
    if isinstance(arg.value, cst.FormattedString):
        stripped = _strip_fstring(arg.value)
        if stripped is None:
            return Endpoint()
        dropped = [resolve(p.expression, planner.meta) for p in arg.value.parts[stripped[1]:]
                   if isinstance(p, cst.FormattedStringExpression)]
        return Endpoint(new=stripped[0], dropped=[v for v in dropped if isinstance(v, Variable)])
    if not isinstance(inner, Literal):
        return Endpoint()
    if _plain_http(inner.value):
        return Endpoint(reason="token credentials need HTTPS; this is an emulator, localhost or http:// endpoint")
    url = strip_query(inner.value)
    result = Endpoint({"endpoint": url, "resource": re.sub(r"^[a-z]+://", "", url).split(".")[0]})
    if url == inner.value:
        return result
    if variable is None:
        result.new = string_node(url, inner.node)
    elif variable.other_uses:
        result.reason = f"the SAS URL in `{variable.name}` is used elsewhere too; strip its query string by hand"
    else:
        result.elsewhere = (inner.node, string_node(url, inner.node))
    return result


def plan(site: CallSite, planner: Planner) -> Change | None:
    client: Client = site.target.options["client"]
    position = None if client.position < 0 else client.position
    cred = site.arg(position, "credential")
    if cred is None and any(a.star for a in site.node.args):
        return None  # *args/**kwargs may carry the credential: nothing visible to rewrite
    if cred is not None and isinstance(cred.value, cst.Name) and cred.value.value == "None":
        cred_value = None
    else:
        cred_value = cred.value if cred is not None else None
    key = classify(cred_value, planner, client.strings) if cred_value is not None else None
    endpoint_arg = site.arg(0, client.endpoint)
    endpoint = endpoint_plan(endpoint_arg, planner)
    if isinstance(key, str):
        return site.change("manual", reason=endpoint.reason or key)
    had_sas = endpoint.new is not None or endpoint.elsewhere is not None or "SAS URL" in (endpoint.reason or "")
    if key is None and not (had_sas and cred_value is None):
        return None  # no key, or a SAS URL next to a credential we cannot judge
    kind = key.kind if key else "sas-url"
    if endpoint.reason is not None:
        return site.change("manual", reason=endpoint.reason, extra={"credential": kind})
    token_args = TokenArgs(extra=client.extra)
    if client.endpoint_rule is not None:
        ruled = client.endpoint_rule(_endpoint_info(site, endpoint_arg, endpoint, planner))
        if isinstance(ruled, str):
            return site.change("manual", reason=ruled, extra={"credential": kind})
        token_args = ruled
    new_cred = credential_arg(planner, site)
    args: list[cst.Arg] = []
    for arg in site.node.args:
        if arg.keyword is not None and arg.keyword.value in token_args.drop:
            continue
        if arg is cred:
            positional = arg.keyword is None and position is not None
            arg = arg.with_changes(value=new_cred.value) if positional or arg.keyword else new_cred.with_changes(
                comma=arg.comma)
        elif arg is endpoint_arg and endpoint.new is not None:
            arg = arg.with_changes(value=endpoint.new)
        args.append(arg)
    if cred is None:
        args.append(new_cred)
    present = {a.keyword.value for a in args if a.keyword is not None}
    args.extend(keyword_arg(k, v) for k, v in token_args.extra.items() if k not in present)
    planner.replace(site.node, site.node.with_changes(args=rebuild_args(site.node, args)))
    if endpoint.elsewhere is not None:
        planner.replace(*endpoint.elsewhere)
    for variable in endpoint.dropped:
        planner.use_variable(variable)
    if key is not None:
        _forget(key, planner)
        if key.kind in KEY_CLASSES.values():
            planner.drop_import_if_unused("azure.core.credentials", key.kind)
    settings = key.settings if key else []
    notes = [f"the app setting {s} (the key) is no longer read: delete it" for s in settings[1:]]
    notes.extend(token_args.notes)
    if key is not None and key.literal:
        notes.append("the key was written in the code: rotate it, it stays in the repository history")
    if key is not None and key.parameter:
        notes.append(f"the `{key.parameter}` parameter no longer authenticates anything: remove it, and stop "
                     "passing the key to it")
    extra: dict[str, object] = {"credential": kind, **({"sas_stripped": True} if had_sas else {})}
    if "credential_scopes" in token_args.extra:
        extra["scope"] = ai_services.COGNITIVE_SCOPE
    if "endpoint_setting" in endpoint.fields:
        extra["endpoint_setting"] = endpoint.fields.pop("endpoint_setting")
    return site.change("rewritten", old_setting=settings[0] if settings else None, operations=operations(
        site, planner), notes=tuple(notes), extra=extra, **endpoint.fields)


def _endpoint_info(site: CallSite, arg: cst.Arg | None, endpoint: Endpoint, planner: Planner) -> EndpointInfo:
    """The endpoint as the client's endpoint rule sees it: a literal, or a setting (with its value where the
    repository's settings files give one)."""
    keywords = frozenset(a.keyword.value for a in site.node.args if a.keyword is not None)
    if arg is None:
        return EndpointInfo(absent=True, keywords=keywords)
    setting = endpoint.fields.get("endpoint_setting")
    url = endpoint.fields.get("endpoint") or (planner.settings.get(setting) if setting else None)
    return EndpointInfo(url=url, setting=setting, keywords=keywords)


def _forget(key: Key, planner: Planner) -> None:
    """Count the rewritten use; the key's own variables go once the credential expression is gone everywhere."""
    if key.holder is None:
        for variable in key.variables:
            planner.use_variable(variable)
        return
    planner.use_variable(key.holder)
    uses = _HOLDER_USES.setdefault(planner, {})
    count = uses[id(key.holder.assign)] = uses.get(id(key.holder.assign), 0) + 1
    if count == key.holder.other_uses + 1 and isinstance(key.holder.statement, cst.SimpleStatementLine):
        for variable in key.variables:
            planner.use_variable(variable)


def plan_orphan(site: CallSite, planner: Planner) -> Change | None:
    """A key credential built for a client this family does not know: report it where it is created, saying
    where it goes (an unknown client, a helper's return value, a parameter of another function)."""
    parent = planner.meta(ParentNodeProvider, site.node)
    when = entra_fallback.chosen_at_run_time(site.node, planner)
    if when is not None:
        key = site.node.args[-1].value if site.node.args else None
        setting = next(iter(_settings_of(key, planner)), None) if key is not None else None
        what = f"unset {setting}" if setting else "configure the deployment so the key branch is not taken"
        return site.change("manual", reason=f"{what}: the code takes the key only when {when}, and a token "
                                            "credential otherwise",
                           old_setting=setting, extra={"entra_fallback": True})
    call = planner.meta(ParentNodeProvider, parent) if isinstance(parent, cst.Arg) else None
    if isinstance(call, cst.Call):
        if _qualified(planner, call.func) & KNOWN:
            return None
        return site.change("manual", reason=_passed_to(call, planner))
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
        users: list[cst.CSTNode] = []
        if isinstance(target, cst.Name):
            bound = _bound(target, planner)
            users = [planner.meta(ParentNodeProvider, planner.meta(ParentNodeProvider, r.node))
                     for r in (bound[1].references if bound else ())]
        elif isinstance(target, cst.Attribute):
            found = _self_reads(target, planner)
            if found is not None and len(found[0]) == 1:
                users = [planner.meta(ParentNodeProvider, planner.meta(ParentNodeProvider, r)) for r in found[1]]
        calls = [u for u in users if isinstance(u, cst.Call)]
        if users and len(calls) == len(users) and all(_qualified(planner, u.func) & KNOWN for u in calls):
            return None
        unknown = next((u for u in calls if not _qualified(planner, u.func) & KNOWN), None)
        if unknown is not None:
            return site.change("manual", reason=_passed_to(unknown, planner))
        if users:
            holder = cst.Module(body=[]).code_for_node(target)
            return site.change("manual", reason=f"the key credential in `{holder}` is also used other than as a "
                                                "client's credential argument; mi-migrate cannot follow it")
    if isinstance(parent, cst.Return):
        return site.change("manual", reason="the key credential is returned by a function; mi-migrate does not "
                                            "follow it to the clients it builds: return a token credential there")
    return site.change("manual", reason="a key credential for a client mi-migrate does not know how to migrate; "
                                        "pass the client a token credential if its service supports Entra ID")


def _settings_of(node: cst.BaseExpression, planner: Planner) -> list[str]:
    """The app setting a key expression reads, if it reads one (`os.environ["K"]`, through a variable)."""
    value = resolve(node, planner.meta)
    if isinstance(value, Variable):
        value = value.value
    return [value.name] if isinstance(value, EnvRead) else []


def _passed_to(call: cst.Call, planner: Planner) -> str:
    names = _qualified(planner, call.func)
    name = min(names) if names else cst.Module(body=[]).code_for_node(call.func)
    if name.startswith("azure."):
        return (f"a key credential for {name.rsplit('.', 1)[-1]}, a client mi-migrate does not know how to "
                "migrate; pass it a token credential if its service supports Entra ID")
    return (f"the key credential is passed to `{name}(...)`; mi-migrate does not follow it to the client that "
            "function builds: pass a token credential (and let that client take it) by hand")


KNOWN: set[str] = set()


def targets() -> list[Target]:
    result = []
    for family, service, modules, aio_modules, clients in FAMILIES:
        for client in clients:
            names = tuple(f"{m}.{client.name}" for m in (*modules, *aio_modules))
            KNOWN.update(names)
            result.append(Target(family, service, client.name.split(".")[0], names, plan, {"client": client}))
    for qualified, cls in KEY_CLASSES.items():
        result.append(Target("azure-core", "other", cls, (qualified,), plan_orphan))
    return result
