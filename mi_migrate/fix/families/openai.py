"""openai `AzureOpenAI` / `AsyncAzureOpenAI`: `api_key=` (or the implicit AZURE_OPENAI_API_KEY) → an Entra token
provider, `azure_ad_token_provider=get_bearer_token_provider(credential, <cognitive services scope>)`.

openai ≥ 2 raises when both a key and a token provider are passed, so `api_key=` is always removed (migration.md
§2.13). The async client needs the coroutine provider from `azure.identity.aio` with the async credential.
"""

from __future__ import annotations

from dataclasses import replace

import libcst as cst
from libcst.metadata import ParentNodeProvider, QualifiedNameProvider

from mi_migrate.fix.codemod import CallSite, Planner, Target
from mi_migrate.fix.families.common import operations, rebuild_args
from mi_migrate.fix.model import Change
from mi_migrate.fix.values import EnvRead, Variable, resolve

SCOPE = "https://cognitiveservices.azure.com/.default"
MODULES = ("openai", "openai.lib.azure")
KEY_KEYWORDS = ("api_key",)
TOKEN_KEYWORDS = ("azure_ad_token", "azure_ad_token_provider")
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


def plan(site: CallSite, planner: Planner) -> Change | None:
    call = site.node
    keywords = {a.keyword.value: a for a in call.args if a.keyword is not None}
    if any(k in keywords for k in TOKEN_KEYWORDS):
        return None  # already on Entra ID
    is_async = bool(site.target.options.get("async"))
    if any(a.star for a in call.args):
        return replace(site.change("manual", reason="**kwargs may carry api_key; openai rejects a key together with "
                                                    "a token provider"), is_async=is_async)
    key_arg = next((keywords[k] for k in KEY_KEYWORDS if k in keywords), None)
    old_setting: str | None = IMPLICIT_SETTING
    notes: list[str] = []
    if key_arg is not None:
        value = resolve(key_arg.value, planner.meta)
        if isinstance(value, Variable):
            planner.use_variable(value)
            value = value.value
        old_setting = value.name if isinstance(value, EnvRead) else None
        if old_setting is None:
            notes.append("the API key came from code or configuration mi-migrate cannot see: remove it there")
    else:
        notes.append(f"the client read the key from {IMPLICIT_SETTING} implicitly: delete that setting")
    provider = cst.Arg(
        keyword=cst.Name("azure_ad_token_provider"),
        value=provider_name(site, planner, is_async),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )
    args = [a for a in call.args if a is not key_arg] + [provider]
    planner.replace(call, call.with_changes(args=rebuild_args(call, args)))
    change = site.change("rewritten", old_setting=old_setting, notes=tuple(notes),
                         operations=operations(site, planner), extra={"scope": SCOPE})
    return replace(change, is_async=is_async)


def plan_langchain(site: CallSite, planner: Planner) -> Change | None:
    keywords = {a.keyword.value for a in site.node.args if a.keyword is not None}
    if keywords & {"azure_ad_token", "azure_ad_token_provider", "azure_ad_async_token_provider"}:
        return None
    return site.change("manual", reason="LangChain Azure OpenAI classes take azure_ad_token_provider too, but also "
                                        "read AZURE_OPENAI_API_KEY; pass the provider and remove the key by hand")


def targets() -> list[Target]:
    def names(cls: str) -> tuple[str, ...]:
        return tuple(f"{module}.{cls}" for module in MODULES)

    langchain = ("langchain_openai", "langchain_community.chat_models", "langchain_community.embeddings")
    return [
        Target("openai", "openai", "AzureOpenAI", names("AzureOpenAI"), plan),
        Target("openai", "openai", "AsyncAzureOpenAI", names("AsyncAzureOpenAI"), plan, {"async": True}),
        *(Target("langchain-openai", "openai", cls, tuple(f"{m}.{cls}" for m in langchain), plan_langchain)
          for cls in ("AzureChatOpenAI", "AzureOpenAIEmbeddings", "AzureOpenAI")),
    ]
