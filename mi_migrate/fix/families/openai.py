"""openai `AzureOpenAI` / `AsyncAzureOpenAI` and LangChain's `AzureChatOpenAI` / `AzureOpenAIEmbeddings` /
`AzureOpenAI`: `api_key=` (or the implicit AZURE_OPENAI_API_KEY) → an Entra token provider,
`azure_ad_token_provider=get_bearer_token_provider(credential, <cognitive services scope>)`; LangChain's
`AzureSearch` vector store: `azure_search_key` → None plus `azure_credential=`.

openai ≥ 2 raises when both a key and a token provider are passed, so `api_key=` is always removed (migration.md
§2.13). The async client needs the coroutine provider from `azure.identity.aio` with the async credential.
langchain-openai < 1.7 reads AZURE_OPENAI_API_KEY (then OPENAI_API_KEY) from the environment and passes it next
to the provider; 1.7+ drops the key once a provider is set (chat_models/azure.py `validate_environment`), so the
change notes say to unset them.

Code that already falls back to Entra ID (`api_key=os.getenv(...) or None, azure_ad_token_provider=...`, or an
if/else whose other branch passes a token provider) is left alone: the step is to unset the key setting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import libcst as cst
import libcst.matchers as m
from libcst.metadata import ParentNodeProvider, QualifiedNameProvider

from mi_migrate.fix.codemod import CallSite, Planner, Target
from mi_migrate.fix.families.common import credential_arg, operations, rebuild_args
from mi_migrate.fix.model import Change
from mi_migrate.fix.values import EnvRead, Variable, env_read, resolve

SCOPE = "https://cognitiveservices.azure.com/.default"
MODULES = ("openai", "openai.lib.azure")
KEY_KEYWORDS = ("api_key",)
TOKEN_KEYWORDS = ("azure_ad_token", "azure_ad_token_provider", "azure_ad_async_token_provider")
LANGCHAIN_KEY_KEYWORDS = ("api_key", "openai_api_key")
LANGCHAIN_NOTE = ("unset AZURE_OPENAI_API_KEY (and OPENAI_API_KEY): langchain-openai < 1.7 still reads them from the "
                  "environment and passes the key next to the token provider (openai ≥ 2 then raises "
                  "MutuallyExclusiveAuthError); 1.7+ ignores them once a provider is set")
IMPLICIT_SETTING = "AZURE_OPENAI_API_KEY"
SYNC_PROVIDER, ASYNC_PROVIDER = "get_bearer_token_provider", "get_async_bearer_token_provider"


def _module_of(node: cst.CSTNode, planner: Planner) -> cst.CSTNode:
    while True:
        parent = planner.meta(ParentNodeProvider, node)
        if parent is None:
            return node
        node = parent


def _uses_both(site: CallSite, planner: Planner) -> bool:
    """Sync and async clients in one module: the async provider is imported under another name."""
    found: set[bool] = set()

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            names = {q.name for q in planner.meta(QualifiedNameProvider, node.func, set())}
            for name in names:
                if name.rsplit(".", 1)[-1] in ("AzureOpenAI", "AsyncAzureOpenAI") and name.rsplit(".", 1)[0] in MODULES:
                    found.add(name.endswith("AsyncAzureOpenAI"))

    _module_of(site.node, planner).visit(Finder())
    return len(found) == 2


def provider_name(site: CallSite, planner: Planner, is_async: bool) -> cst.Name:
    """One module-level `token_provider = get_bearer_token_provider(credential, SCOPE)` per sync/async kind."""
    both = _uses_both(site, planner)
    function = ASYNC_PROVIDER if is_async and both else SYNC_PROVIDER
    if not is_async:
        planner.add_import("azure.identity", SYNC_PROVIDER)
    elif both:
        planner.imports.append(("azure.identity.aio", f"{SYNC_PROVIDER} as {ASYNC_PROVIDER}"))
    else:
        planner.add_import("azure.identity.aio", SYNC_PROVIDER)
    base = "async_token_provider" if is_async and both else "token_provider"
    name, counter = base, 1
    while name in planner.module_names:
        counter += 1
        name = f"{base}_{counter}"
    credential = planner.credential(is_async).value
    planner.add_helper(f'{name} = {function}({credential}, "{SCOPE}")\n')
    return cst.Name(name)


def _settings_read(node: cst.BaseExpression, planner: Planner) -> list[str]:
    """App settings an expression reads (`os.getenv("K") or None`, through a once-assigned variable)."""
    value = resolve(node, planner.meta)
    if isinstance(value, Variable):
        value = value.value
    if isinstance(value, EnvRead):
        return [value.name]
    found: list[str] = []
    for sub in m.findall(node, m.Subscript() | m.Call()):
        read = env_read(sub, planner.meta)  # type: ignore[arg-type]
        if read is not None and read.name not in found:
            found.append(read.name)
    return found


TOKEN_CALL = m.Call(args=[m.ZeroOrMore(), m.Arg(keyword=m.OneOf(*(m.Name(k) for k in TOKEN_KEYWORDS))),
                          m.ZeroOrMore()])


def _entra_branch(site: CallSite, planner: Planner) -> bool:
    """The call sits in one branch of an if/else (or `a if c else b`) whose other branch passes a token."""
    child: cst.CSTNode = site.node
    node = planner.meta(ParentNodeProvider, child)
    while node is not None and not isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Module):
        if isinstance(node, cst.If | cst.IfExp):
            branches = [node.body, node.orelse]
            if isinstance(node, cst.If) and child is not node.test:
                others = [b for b in branches if b is not None and b is not child]
                if any(m.findall(b, TOKEN_CALL) for b in others):
                    return True
            elif isinstance(node, cst.IfExp) and child is not node.test:
                other = node.orelse if child is node.body else node.body
                if m.findall(other, TOKEN_CALL):
                    return True
        child, node = node, planner.meta(ParentNodeProvider, node)
    return False


def _fallback(site: CallSite, planner: Planner, key_arg: cst.Arg | None, has_token: bool) -> Change | None:
    """Key and token side by side (or in two branches): the code already falls back to Entra ID."""
    if not has_token and not _entra_branch(site, planner):
        return None
    settings = _settings_read(key_arg.value, planner) if key_arg is not None else [IMPLICIT_SETTING]
    names = " and ".join(settings) if settings else "the API key setting"
    why = ("while it is set, openai ≥ 2 raises MutuallyExclusiveAuthError (a key next to a token provider)"
           if has_token else "while it is set, the key branch is taken")
    return replace(site.change("manual", reason=f"unset {names} (the code already falls back to Entra ID): {why}",
                               old_setting=settings[0] if settings else None, extra={"entra_fallback": True}),
                   is_async=bool(site.target.options.get("async")))


def plan(site: CallSite, planner: Planner) -> Change | None:
    call = site.node
    keywords = {a.keyword.value: a for a in call.args if a.keyword is not None}
    has_token = any(k in keywords for k in TOKEN_KEYWORDS)
    key_arg = next((keywords[k] for k in KEY_KEYWORDS if k in keywords), None)
    if has_token and (key_arg is None or _is_none(key_arg.value)):
        return None  # already on Entra ID
    fallback = _fallback(site, planner, key_arg, has_token)
    if fallback is not None:
        return fallback
    is_async = bool(site.target.options.get("async"))
    if any(a.star for a in call.args):
        return replace(site.change("manual", reason="**kwargs may carry api_key; openai rejects a key together with "
                                                    "a token provider"), is_async=is_async)
    old_setting, notes = _forget_key(key_arg, planner, lambda value: [value.name] if isinstance(value, EnvRead)
                                     else [])
    if key_arg is None:
        notes.append(f"the client read the key from {IMPLICIT_SETTING} implicitly: delete that setting")
    _swap_key_for_provider(site, planner, key_arg, is_async)
    change = site.change("rewritten", old_setting=old_setting, notes=tuple(notes),
                         operations=operations(site, planner), extra={"scope": SCOPE})
    return replace(change, is_async=is_async)


def _forget_key(key_arg: cst.Arg | None, planner: Planner,
                settings_of: Callable[[object], list[str]]) -> tuple[str | None, list[str]]:
    """The setting the dropped key argument read (its variable is counted as used), and a note when none is
    known; no key argument means the client read IMPLICIT_SETTING itself."""
    if key_arg is None:
        return IMPLICIT_SETTING, []
    value = resolve(key_arg.value, planner.meta)
    if isinstance(value, Variable):
        planner.use_variable(value)
        value = value.value
    settings = settings_of(value)
    if settings:
        return settings[0], []
    return None, ["the API key came from code or configuration mi-migrate cannot see: remove it there"]


def _swap_key_for_provider(site: CallSite, planner: Planner, key_arg: cst.Arg | None, is_async: bool) -> None:
    """The call without its key argument and with `azure_ad_token_provider=` the module's token provider."""
    call = site.node
    provider = cst.Arg(
        keyword=cst.Name("azure_ad_token_provider"),
        value=provider_name(site, planner, is_async),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )
    args = [a for a in call.args if a is not key_arg] + [provider]
    planner.replace(call, call.with_changes(args=rebuild_args(call, args)))


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def plan_langchain(site: CallSite, planner: Planner) -> Change | None:
    """langchain-openai: drop `api_key=`/`openai_api_key=`, pass `azure_ad_token_provider=`."""
    call = site.node
    keywords = {a.keyword.value: a for a in call.args if a.keyword is not None}
    has_token = any(k in keywords for k in TOKEN_KEYWORDS)
    key_arg = next((keywords[k] for k in LANGCHAIN_KEY_KEYWORDS if k in keywords), None)
    if has_token and (key_arg is None or _is_none(key_arg.value)):
        return None
    fallback = _fallback(site, planner, key_arg, has_token)
    if fallback is not None:
        return fallback
    if site.qualified.startswith("langchain_community."):
        return site.change("manual", reason="langchain_community's Azure OpenAI classes are deprecated and pass the "
                                            "key next to a token provider; move to langchain_openai's class with "
                                            "azure_ad_token_provider=")
    if any(a.star for a in call.args):
        return site.change("manual", reason="**kwargs may carry api_key; pass azure_ad_token_provider= and remove "
                                            "the key by hand")
    old_setting, notes = _forget_key(key_arg, planner, lambda _: _settings_read(key_arg.value, planner))
    notes.append(LANGCHAIN_NOTE)
    _swap_key_for_provider(site, planner, key_arg, False)
    return site.change("rewritten", old_setting=old_setting, notes=tuple(notes), operations=operations(site, planner),
                       extra={"scope": SCOPE})


SEARCH_KEY = "azure_search_key"


def plan_azure_search(site: CallSite, planner: Planner) -> Change | None:
    """langchain_community AzureSearch: `azure_search_key` → None and `azure_credential=` (the module's credential);
    with no key the store builds its search clients on that credential (langchain-community ≥ 0.3.15)."""
    call = site.node
    keywords = {a.keyword.value for a in call.args if a.keyword is not None}
    if keywords & {"azure_credential", "azure_ad_access_token"}:
        return None
    key_arg = site.arg(1, SEARCH_KEY)
    if key_arg is None:
        if any(a.star for a in call.args):
            return site.change("manual", reason="*args/**kwargs may carry azure_search_key")
        return None
    if _is_none(key_arg.value):
        return None
    value = resolve(key_arg.value, planner.meta)
    if isinstance(value, Variable):
        planner.use_variable(value)
    settings = _settings_read(key_arg.value, planner)
    args = [a.with_changes(value=cst.Name("None")) if a is key_arg else a for a in call.args]
    args.append(credential_arg(planner, site, "azure_credential"))
    planner.replace(call, call.with_changes(args=rebuild_args(call, args)))
    notes = ("needs langchain-community ≥ 0.3.15 (azure_credential=; 0.3.10 and older lack it)",
             "the async methods use the store's own AsyncDefaultAzureCredential unless azure_async_credential= is "
             "passed")
    return site.change("rewritten", old_setting=settings[0] if settings else None, notes=notes,
                       operations=operations(site, planner), extra={"credential": "search-key"})


def targets() -> list[Target]:
    def names(cls: str) -> tuple[str, ...]:
        return tuple(f"{module}.{cls}" for module in MODULES)

    langchain = {"AzureChatOpenAI": ("langchain_openai", "langchain_openai.chat_models",
                                     "langchain_openai.chat_models.azure", "langchain_community.chat_models",
                                     "langchain_community.chat_models.azure_openai"),
                 "AzureOpenAIEmbeddings": ("langchain_openai", "langchain_openai.embeddings",
                                           "langchain_openai.embeddings.azure", "langchain_community.embeddings",
                                           "langchain_community.embeddings.azure_openai"),
                 "AzureOpenAI": ("langchain_openai", "langchain_openai.llms", "langchain_openai.llms.azure",
                                 "langchain_community.llms", "langchain_community.llms.openai")}
    search = ("langchain_community.vectorstores", "langchain_community.vectorstores.azuresearch")
    return [
        Target("openai", "openai", "AzureOpenAI", names("AzureOpenAI"), plan),
        Target("openai", "openai", "AsyncAzureOpenAI", names("AsyncAzureOpenAI"), plan, {"async": True}),
        *(Target("langchain-openai", "openai", cls, tuple(f"{mod}.{cls}" for mod in modules), plan_langchain)
          for cls, modules in langchain.items()),
        Target("langchain-community", "search", "AzureSearch", tuple(f"{mod}.AzureSearch" for mod in search),
               plan_azure_search),
    ]
