"""Azure SQL: pyodbc / mssql-python connections and SQLAlchemy `mssql+pyodbc` engines signed in with a password.

Rewritten (migration.md §8.1): the connection string loses UID/PWD/Authentication/Trusted_Connection (the driver
refuses them next to a token) and the connection gets `attrs_before={1256: <token struct>}` from a helper that
fetches a token per connection (tokens expire; ODBC cannot use `Authentication=ActiveDirectoryDefault`). SQLAlchemy
engines get a `do_connect` hook doing the same. Only `*.database.windows.net` hosts: other SQL Servers have no
Entra sign-in this way. The database user for the identity is a manual step (T-SQL in the Change notes).
"""

from __future__ import annotations

import re
from urllib.parse import quote_plus, unquote_plus

import libcst as cst
from libcst.metadata import ParentNodeProvider, QualifiedNameProvider, ScopeProvider

from mi_migrate.fix.codemod import CallSite, Planner, Target
from mi_migrate.fix.families.common import rebuild_args
from mi_migrate.fix.families.db_common import (
    Source,
    apply_source,
    forget_secret,
    has_star,
    host_of_server,
    keyword,
    keyword_args,
    source_of,
    unknown_setting_reason,
)
from mi_migrate.fix.model import Change
from mi_migrate.fix.values import resolve, string_value

AZURE_SQL_SUFFIX = ".database.windows.net"
SCOPE = "https://database.windows.net/.default"
TOKEN_HELPER = "_sql_access_token"
ENGINE_HELPER = "_with_sql_access_token"
DROP_KEYS = frozenset({"uid", "user id", "user", "pwd", "password", "authentication", "trusted_connection",
                       "integrated security"})
SECRET_KEYS = frozenset({"pwd", "password"})
SERVER_KEYS = ("server", "data source", "address", "addr", "network address")
URL_CREATE = ("sqlalchemy.URL.create", "sqlalchemy.engine.URL.create", "sqlalchemy.engine.url.URL.create")
ENGINE_CALLS = ("sqlalchemy.create_engine", "sqlalchemy.engine.create_engine")
URL_RE = re.compile(r"^(?P<scheme>mssql(?:\+(?P<driver>\w+))?)://(?:(?P<userinfo>[^@/?#]*)@)?(?P<rest>.*)$",
                    re.IGNORECASE | re.DOTALL)

TOKEN_CODE = '''

def {name}() -> dict[int, bytes]:
    """An Entra token for Azure SQL as ODBC pre-connect attribute; fetched per connection since tokens expire."""
    token = {credential}.get_token("{scope}").token.encode("utf-16-le")
    return {{1256: struct.pack(f"<I{{len(token)}}s", len(token), token)}}  # 1256 = SQL_COPT_SS_ACCESS_TOKEN
'''
ENGINE_CODE = '''

def {name}(engine: Engine) -> Engine:
    """Sign every new DBAPI connection of the engine in to Azure SQL with a fresh Entra token."""

    @event.listens_for(engine, "do_connect")
    def _provide_token(dialect, conn_rec, cargs, cparams):  # noqa: ANN001, ANN202
        if cargs:  # SQLAlchemy adds Trusted_Connection when the URL has no user; a token replaces it
            cargs[0] = cargs[0].replace(";Trusted_Connection=Yes", "")
        cparams["attrs_before"] = {token}()

    return engine
'''


def notes(host: str) -> tuple[str, ...]:
    server = host.split(".")[0]
    return (
        "Create a database user for the app's identity (run in the application database as the server's "
        "Microsoft Entra admin): CREATE USER [<identity-name>] FROM EXTERNAL PROVIDER; "
        "ALTER ROLE db_datareader ADD MEMBER [<identity-name>]; ALTER ROLE db_datawriter ADD MEMBER [<identity-name>];",
        f"Once no client uses the password, enable Microsoft Entra-only authentication on server {server}.",
    )


# -- ODBC connection strings -------------------------------------------------------------------------------------
def odbc_segments(text: str) -> list[tuple[str, str]]:
    """(lower-cased key, raw `key=value`) pairs; `{...}` values may hold `;` (and `}}` escapes)."""
    segments: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        start = i
        while i < len(text) and text[i] not in "=;":
            i += 1
        key = text[start:i].strip().lower()
        if i < len(text) and text[i] == "=":
            i += 1
            while i < len(text) and text[i] == " ":
                i += 1
            if i < len(text) and text[i] == "{":
                i += 1
                while i < len(text) and not (text[i] == "}" and text[i + 1:i + 2] != "}"):
                    i += 2 if text[i] == "}" else 1
                i += 1
            while i < len(text) and text[i] != ";":
                i += 1
        if text[start:i].strip():
            segments.append((key, text[start:i]))
        i += 1
    return segments


def strip_odbc(text: str) -> tuple[str, str | None, bool]:
    """(string without sign-in keys, server host or None, whether it held a password)."""
    segments = odbc_segments(text)
    host = next((host_of_server(raw.split("=", 1)[1]) for key, raw in segments if key in SERVER_KEYS), None)
    had_secret = any(key in SECRET_KEYS and raw.split("=", 1)[1].strip() for key, raw in segments)
    kept = [raw for key, raw in segments if key not in DROP_KEYS]
    joined = ";".join(kept)
    return joined + (";" if text.rstrip().endswith(";") and kept else ""), host, had_secret


def token_call(planner: Planner) -> cst.Call:
    """`_sql_access_token()`, inserting the helper (and `import struct`) once per module."""
    if TOKEN_HELPER not in planner.module_names:
        credential = planner.credential(False).value
        planner.add_import("struct")
        planner.add_helper(TOKEN_CODE.format(name=TOKEN_HELPER, credential=credential, scope=SCOPE))
    return cst.Call(func=cst.Name(TOKEN_HELPER))


def not_azure(site: CallSite, host: str) -> Change:
    return site.change("manual", resource=host, reason=f"not Azure SQL ({host} is not *{AZURE_SQL_SUFFIX}): "
                       "Entra token sign-in applies to Azure SQL Database / Managed Instance only")


def plan_odbc(site: CallSite, planner: Planner) -> Change | None:
    """pyodbc.connect / mssql_python.connect: drop the sign-in keys, add attrs_before with a fresh token."""
    kwargs = keyword_args(site)
    if "attrs_before" in kwargs:
        return None  # already passes pre-connect attributes (a token, most likely)
    secret_kwargs = [kwargs[k] for k in SECRET_KEYS if k in kwargs]
    conn = site.arg(0, None) or kwargs.get("connstring") or kwargs.get("connection_str")
    source: Source | None = None
    new_text, host, had_secret = None, None, bool(secret_kwargs)
    if conn is not None:
        found = source_of(conn.value, planner)
        if isinstance(found, str):
            if had_secret or _mentions_password(conn.value):
                return site.change("manual", reason=f"the connection string cannot be read: {found}")
            return None
        if found.text is None:
            return site.change("manual", reason=unknown_setting_reason(found)) if had_secret else None
        source = found
        new_text, host, in_string = strip_odbc(found.text)
        had_secret = had_secret or in_string
    if not had_secret:
        return None
    if has_star(site):
        return site.change("manual", reason="arguments are passed with * or **: cannot tell which sign in")
    if "server" in kwargs:
        value = resolve(kwargs["server"].value, planner.meta)
        server = getattr(value, "value", None)
        server = getattr(server, "value", server)
        if not isinstance(server, str):
            return site.change("manual", reason="the server= argument is computed at run time: cannot tell "
                               "whether it is Azure SQL")
        host = host_of_server(server)
    if not host:
        return site.change("manual", reason="the connection names no server (a DSN?): cannot tell whether it "
                           "is Azure SQL")
    if not host.endswith(AZURE_SQL_SUFFIX):
        return not_azure(site, host)
    removed = [name for arg in secret_kwargs if (name := forget_secret(arg.value, planner))]
    dropped = {id(kwargs[k]) for k in DROP_KEYS if k in kwargs}
    for key in DROP_KEYS - SECRET_KEYS:
        if key in kwargs:
            forget_secret(kwargs[key].value, planner)
    args = [a for a in site.node.args if id(a) not in dropped] + [keyword("attrs_before", token_call(planner))]
    call = site.node.with_changes(args=rebuild_args(site.node, args))
    fields: dict[str, object] = {}
    if source is not None and new_text is not None:
        call, fields = apply_source(source, new_text, call, planner)
    planner.replace(site.node, call)
    return _rewritten(site, host, fields, removed)


def _visible_text(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _mentions_password(node: cst.CSTNode) -> bool:
    return re.search(r"(?i)\b(?:pwd|password)\s*=", _visible_text(node)) is not None


def _rewritten(site: CallSite, host: str, fields: dict[str, object], removed: list[str]) -> Change:
    extra: dict[str, object] = {"requires": ["azure-identity"], "scope": SCOPE}
    more: list[str] = []
    if fields.get("setting"):
        more.append(f"Set {fields['setting']} (the same value without the password) wherever {fields['old_setting']}"
                    f" is set, then delete {fields['old_setting']}: it holds the password.")
    for name in removed:
        more.append(f"Delete the setting {name}: the code no longer reads the password.")
    if removed:
        extra["removed_settings"] = removed
    return site.change("rewritten", endpoint=host, resource=host.split(".")[0], notes=(*notes(host), *more),
                       extra=extra, **fields)  # type: ignore[arg-type]


# -- SQLAlchemy ----------------------------------------------------------------------------------------------------
def strip_url(url: str) -> tuple[str, str | None, bool, str] | None:
    """(URL without user/password, host, whether it held a password, driver) for an mssql URL; None otherwise."""
    match = URL_RE.match(url.strip())
    if not match:
        return None
    userinfo, rest = match.group("userinfo"), match.group("rest")
    had_secret = bool(userinfo and ":" in userinfo and userinfo.split(":", 1)[1])
    host: str | None = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit(":", 1)[0].lower() or None
    odbc = re.search(r"(?i)([?&]odbc_connect=)([^&#]*)", rest)
    if odbc:
        new_odbc, odbc_host, odbc_secret = strip_odbc(unquote_plus(odbc.group(2)))
        had_secret = had_secret or odbc_secret
        host = host or odbc_host
        rest = rest[:odbc.start(2)] + quote_plus(new_odbc) + rest[odbc.end(2):]
    at = "@" if userinfo is not None else ""
    return f"{match.group('scheme')}://{at}{rest}", host, had_secret, (match.group("driver") or "pyodbc").lower()


def _qualified(planner: Planner, node: cst.CSTNode) -> set[str]:
    return {q.name for q in planner.meta(QualifiedNameProvider, node, set())}


def url_create_plan(call: cst.Call, planner: Planner) -> tuple[cst.Call, str, list[str]] | str | None:
    """URL.create(...) without username/password: (new call, host, removed settings), a reason, or None."""
    driver_arg = next((a for a in call.args if a.keyword is None), None) or next(
        (a for a in call.args if a.keyword and a.keyword.value == "drivername"), None)
    driver = string_value(driver_arg.value) if driver_arg else None
    if not driver or not driver.lower().startswith("mssql"):
        return None
    positional = [a for a in call.args if a.keyword is None]
    by_name = {a.keyword.value: a for a in call.args if a.keyword is not None}
    by_name.update({n: a for n, a in zip(("drivername", "username", "password", "host"), positional, strict=False)})
    if "password" not in by_name:
        return None
    host_value = string_value(by_name["host"].value) if "host" in by_name else None
    if host_value is None:
        return "the host= argument is not a literal: cannot tell whether it is Azure SQL"
    host = host_of_server(host_value)
    if not host.endswith(AZURE_SQL_SUFFIX):
        return f"not Azure SQL ({host} is not *{AZURE_SQL_SUFFIX})"
    if "+" in driver and driver.lower() != "mssql+pyodbc":
        return f"{driver} cannot pass an Entra access token; use mssql+pyodbc"
    dropped = [by_name[k] for k in ("username", "password") if k in by_name]
    removed = [name for arg in dropped if (name := forget_secret(arg.value, planner))]
    if positional[1:] and any(a in positional[1:] for a in dropped):
        return "username/password are passed positionally: rewrite URL.create with keywords first"
    args = [a for a in call.args if a not in dropped]
    return call.with_changes(args=rebuild_args(call, args)), host, removed


def _assigned_url_create(node: cst.BaseExpression, planner: Planner) -> cst.Call | None:
    """The URL.create(...) call a once-assigned name holds."""
    if not isinstance(node, cst.Name):
        return None
    scope = planner.meta(ScopeProvider, node)
    assignments = list(scope[node.value]) if scope is not None else []
    if len(assignments) != 1:
        return None
    parent = planner.meta(ParentNodeProvider, assignments[0].node)
    holder = planner.meta(ParentNodeProvider, parent) if isinstance(parent, cst.AssignTarget) else None
    value = getattr(holder, "value", None)
    if isinstance(value, cst.Call) and _qualified(planner, value.func) & set(URL_CREATE):
        return value
    return None


def engine_wrap(site: CallSite, call: cst.Call, planner: Planner) -> None:
    if ENGINE_HELPER not in planner.module_names:
        token = token_call(planner)
        planner.add_import("sqlalchemy", "event")
        planner.add_import("sqlalchemy.engine", "Engine")
        planner.add_helper(ENGINE_CODE.format(name=ENGINE_HELPER, token=token.func.value))  # type: ignore[attr-defined]
    planner.replace(site.node, cst.Call(func=cst.Name(ENGINE_HELPER), args=[cst.Arg(call)]))


def plan_engine(site: CallSite, planner: Planner) -> Change | None:
    """create_engine("mssql+pyodbc://user:pass@<srv>.database.windows.net/db?...") → no password + do_connect hook."""
    url = site.arg(0, "url")
    if url is None or url.star:
        return None
    if isinstance(url.value, cst.Call) and _qualified(planner, url.value.func) & set(URL_CREATE):
        plan = url_create_plan(url.value, planner)
        if plan is None or isinstance(plan, str):
            return site.change("manual", reason=plan) if plan else None
        new_create, host, removed = plan
        engine_wrap(site, site.node.deep_replace(url.value, new_create), planner)  # type: ignore[arg-type]
        return _rewritten(site, host, {}, removed)
    created = _assigned_url_create(url.value, planner)
    if created is not None:  # the URL.create target plans the URL; here only the hook
        plan = url_create_plan(created, planner)
        if plan is not None and not isinstance(plan, str):
            engine_wrap(site, site.node, planner)
        return None
    found = source_of(url.value, planner)
    if isinstance(found, str):
        text = _visible_text(url.value)
        return site.change("manual", reason=f"the URL cannot be read: {found}") if re.search(
            r"(?i)mssql(?:\+\w+)?://[^@]*:[^@]*@|odbc_connect=", text) else None
    if found.text is None:
        return None  # an env-held URL of unknown value: not known to be SQL Server at all
    parsed = strip_url(found.text)
    if parsed is None or not parsed[2]:
        return None
    new_url, host, _, driver = parsed
    if site.is_async or "async" in site.qualified:
        return site.change("manual", resource=host, reason="async engine: add a do_connect hook on "
                           "engine.sync_engine fetching the token with azure.identity.aio, then drop the password")
    if not host:
        return site.change("manual", reason="the URL names no server: cannot tell whether it is Azure SQL")
    if not host.endswith(AZURE_SQL_SUFFIX):
        return not_azure(site, host)
    if driver != "pyodbc":
        return site.change("manual", resource=host, reason=f"mssql+{driver} cannot pass an Entra access token; "
                           "use mssql+pyodbc")
    call, fields = apply_source(found, new_url, site.node, planner)
    engine_wrap(site, call, planner)
    return _rewritten(site, host, fields, [])


def plan_url_create(site: CallSite, planner: Planner) -> Change | None:
    """`url = URL.create("mssql+pyodbc", username=…, password=…, host=…)` passed to create_engine in this module."""
    parent = planner.meta(ParentNodeProvider, site.node)
    grand = planner.meta(ParentNodeProvider, parent) if isinstance(parent, cst.Arg) else None
    if isinstance(grand, cst.Call) and _qualified(planner, grand.func) & set(ENGINE_CALLS):
        return None  # planned with its create_engine call
    plan = url_create_plan(site.node, planner)
    if plan is None or isinstance(plan, str):
        return site.change("manual", reason=plan) if plan else None
    if not _only_engine_uses(site, parent, planner):
        return site.change("manual", reason="the URL is not (only) passed to create_engine in this module: "
                           "the engine needs a do_connect hook once the password is gone")
    new_call, host, removed = plan
    planner.replace(site.node, new_call)
    return _rewritten(site, host, {}, removed)


def _only_engine_uses(site: CallSite, parent: cst.CSTNode | None, planner: Planner) -> bool:
    holder = planner.meta(ParentNodeProvider, parent) if isinstance(parent, cst.AssignTarget) else parent
    if not isinstance(holder, cst.Assign) or len(holder.targets) != 1:
        return False
    target = holder.targets[0].target
    if not isinstance(target, cst.Name):
        return False
    scope = planner.meta(ScopeProvider, target)
    references = [r for a in (scope[target.value] if scope else ()) for r in a.references]
    for reference in references:
        arg = planner.meta(ParentNodeProvider, reference.node)
        call = planner.meta(ParentNodeProvider, arg) if isinstance(arg, cst.Arg) else None
        if not (isinstance(call, cst.Call) and _qualified(planner, call.func) & set(ENGINE_CALLS)
                and call.args and call.args[0] is arg):
            return False
    return bool(references)


def plan_manual(reason: str):  # noqa: ANN201
    """Drivers that cannot take a token the way the rewrite passes one: reported when they carry a password."""

    def plan(site: CallSite, planner: Planner) -> Change | None:
        if not (SECRET_KEYS & set(keyword_args(site))) and not _mentions_password(site.node):
            return None
        return site.change("manual", reason=reason)

    return plan


def targets() -> list[Target]:
    return [
        Target("pyodbc", "sql", "connect", ("pyodbc.connect",), plan_odbc),
        Target("mssql-python", "sql", "connect", ("mssql_python.connect",), plan_odbc),
        Target("sqlalchemy", "sql", "create_engine", ENGINE_CALLS, plan_engine),
        Target("sqlalchemy", "sql", "create_async_engine", ("sqlalchemy.ext.asyncio.create_async_engine",),
               plan_engine),
        Target("sqlalchemy", "sql", "URL", URL_CREATE, plan_url_create),
        Target("aioodbc", "sql", "connect", ("aioodbc.connect", "aioodbc.create_pool"),
               plan_manual("aioodbc is async: fetch the token with azure.identity.aio and pass "
                           "attrs_before={1256: <token struct>}, then drop UID/PWD")),
        Target("pymssql", "sql", "connect", ("pymssql.connect",),
               plan_manual("pymssql (FreeTDS) cannot sign in with an Entra access token: move to pyodbc or "
                           "mssql-python with attrs_before")),
    ]
