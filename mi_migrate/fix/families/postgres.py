"""Azure Database for PostgreSQL flexible server: psycopg2 / psycopg 3 connections signed in with a password.

Rewritten (migration.md §8.2): the password becomes an Entra token for https://ossrdbms-aad.database.windows.net
fetched by a helper per connection (tokens expire, so it is a call, not a value computed once), `sslmode=require`
is ensured, and the password leaves the DSN (a literal, or a new app setting whose value is recorded). The user
must be the identity's Postgres role; it is kept when given. Only `*.postgres.database.azure.com` hosts.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import libcst as cst

from mi_migrate.fix.codemod import CallSite, Planner, Target
from mi_migrate.fix.families.common import rebuild_args
from mi_migrate.fix.families.db_common import (
    Source,
    apply_source,
    forget_secret,
    has_star,
    keyword,
    known_value,
    source_of,
    unknown_setting_reason,
)
from mi_migrate.fix.model import Change

AZURE_PG_SUFFIX = ".postgres.database.azure.com"
SCOPE = "https://ossrdbms-aad.database.windows.net/.default"
TOKEN_HELPER = "_postgres_access_token"
USER_SETTING = "AZURE_POSTGRESQL_USER"
WEAK_SSL = frozenset({"disable", "allow", "prefer"})
KV_RE = re.compile(r"(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)")
TOKEN_CODE = '''

def {name}() -> str:
    """An Entra token as the PostgreSQL password; fetched per connection since tokens expire."""
    return {credential}.get_token("{scope}").token
'''


class Dsn:
    """A libpq connection string (`key=value ...` or a `postgresql://` URI) with the parts the rewrite needs."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.is_uri = bool(re.match(r"(?i)^\s*postgres(?:ql)?://", text))
        if self.is_uri:
            split = urlsplit(text.strip())
            self.params = dict(parse_qsl(split.query))
            self.host = split.hostname or self.params.get("host")
            self.user = split.username or self.params.get("user")
            self.has_password = bool(split.password or self.params.get("password"))
        else:
            self.params = {m.group(1).lower(): m.group(2).strip("'") for m in KV_RE.finditer(text)}
            self.host = self.params.get("host")
            self.user = self.params.get("user")
            self.has_password = bool(self.params.get("password"))
        self.sslmode = self.params.get("sslmode")

    def without_password(self) -> str:
        """The same string minus the password, with a weak sslmode raised to require."""
        if self.is_uri:
            split = urlsplit(self.text.strip())
            netloc = split.netloc
            if "@" in netloc:
                userinfo, hostport = netloc.rsplit("@", 1)
                netloc = f"{userinfo.split(':', 1)[0]}@{hostport}"
            pairs = [(k, "require" if k == "sslmode" and v in WEAK_SSL else v)
                     for k, v in parse_qsl(split.query, keep_blank_values=True) if k != "password"]
            query = "&".join(f"{k}={quote(v, safe='')}" for k, v in pairs)
            return urlunsplit((split.scheme, netloc, split.path, query, split.fragment))
        kept = []
        for match in KV_RE.finditer(self.text):
            key, value = match.group(1).lower(), match.group(2)
            if key == "password":
                continue
            if key == "sslmode" and value.strip("'") in WEAK_SSL:
                value = "require"
            kept.append(f"{match.group(1)}={value}")
        return " ".join(kept)


def token_call(planner: Planner) -> cst.Call:
    if TOKEN_HELPER not in planner.module_names:
        credential = planner.credential(False).value
        planner.add_helper(TOKEN_CODE.format(name=TOKEN_HELPER, credential=credential, scope=SCOPE))
    return cst.Call(func=cst.Name(TOKEN_HELPER))


def plan_connect(site: CallSite, planner: Planner) -> Change | None:
    kwargs = {a.keyword.value: a for a in site.node.args if a.keyword is not None}
    password_arg = kwargs.get("password") or kwargs.get("passwd")
    if password_arg is not None and _is_token_call(password_arg.value):
        return None  # already rewritten
    conn = site.arg(0, None) or kwargs.get("dsn") or kwargs.get("conninfo")
    source: Source | None = None
    dsn: Dsn | None = None
    if conn is not None:
        found = source_of(conn.value, planner)
        if isinstance(found, str):
            return site.change("manual", reason=f"the connection string cannot be read: {found}") if (
                password_arg is not None or re.search(r"(?i)password\s*=|://[^@/]*:[^@/]*@", _code(conn.value))
            ) else None
        if found.text is None:
            return site.change("manual", reason=unknown_setting_reason(found)) if password_arg is not None else None
        source, dsn = found, Dsn(found.text)
    if password_arg is None and not (dsn and dsn.has_password):
        return None
    if has_star(site):
        return site.change("manual", reason="arguments are passed with * or **: cannot tell how it signs in")
    host = known_value(kwargs["host"].value, planner) if "host" in kwargs else (dsn.host if dsn else None)
    if not host:
        return site.change("manual", reason="the host is computed at run time or missing: cannot tell whether it "
                           "is Azure Database for PostgreSQL")
    host = host.lower()
    if not host.endswith(AZURE_PG_SUFFIX):
        return site.change("manual", resource=host, reason=f"not Azure Database for PostgreSQL ({host} is not "
                           f"*{AZURE_PG_SUFFIX}): Entra token sign-in does not apply")
    if site.is_async or "Async" in site.qualified:
        return site.change("manual", resource=host, reason="async connection: pass password= a token from "
                           "azure.identity.aio (await credential.get_token(...)) and drop the password")
    removed = [name for name in [forget_secret(password_arg.value, planner)] if name] if password_arg else []
    token = token_call(planner)
    args: list[cst.Arg] = []
    for arg in site.node.args:
        if arg is password_arg:
            args.append(arg.with_changes(keyword=cst.Name("password"), value=token))
        elif arg.keyword is not None and arg.keyword.value == "sslmode" and known_value(arg.value, planner) in WEAK_SSL:
            args.append(arg.with_changes(value=cst.SimpleString('"require"')))
        else:
            args.append(arg)
    if password_arg is None:
        args.append(keyword("password", token))
    if "sslmode" not in kwargs and not (dsn and dsn.sslmode):
        args.append(keyword("sslmode", '"require"'))
    user = known_value(kwargs["user"].value, planner) if "user" in kwargs else (dsn.user if dsn else None)
    extra: dict[str, object] = {"requires": ["azure-identity"], "scope": SCOPE}
    if "user" not in kwargs and not (dsn and dsn.user):
        planner.add_import("os")
        args.append(keyword("user", f'os.environ["{USER_SETTING}"]'))
        extra["user_setting"] = USER_SETTING
    call = site.node.with_changes(args=rebuild_args(site.node, args))
    fields: dict[str, object] = {}
    if source is not None and dsn is not None:
        call, fields = apply_source(source, dsn.without_password(), call, planner)
    planner.replace(site.node, call)
    if removed:
        extra["removed_settings"] = removed
    return site.change("rewritten", endpoint=host, resource=host.split(".")[0], extra=extra,
                       notes=_notes(host, user, fields, removed), **fields)  # type: ignore[arg-type]


def _notes(host: str, user: str | None, fields: dict[str, object], removed: list[str]) -> tuple[str, ...]:
    role = user or f"<the value of {USER_SETTING}>"
    found: list[str] = [
        f"Enable Microsoft Entra authentication on server {host.split('.')[0]} and, as its Entra admin in the "
        f"`postgres` database, create the identity's role: select * from pgaadauth_create_principal('{role}', "
        "false, false); then GRANT it the privileges the app needs. The user name the app connects with must be "
        "that role (the identity's name).",
        "Tokens expire (about an hour): a connection pool (psycopg2.pool, psycopg_pool, SQLAlchemy) must fetch "
        f"a token per new connection (call {TOKEN_HELPER}() in its connect hook), not reuse one password.",
    ]
    if user is None:
        found.append(f"Set {USER_SETTING} to the identity's Postgres role name.")
    if fields.get("setting"):
        found.append(f"Set {fields['setting']} (the same value without the password) wherever "
                     f"{fields['old_setting']} is set, then delete {fields['old_setting']}: it holds the password.")
    found.extend(f"Delete the setting {name}: the code no longer reads the password." for name in removed)
    return tuple(found)


def _is_token_call(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == TOKEN_HELPER


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def targets() -> list[Target]:
    return [
        Target("psycopg2", "postgres", "connect", ("psycopg2.connect",), plan_connect),
        Target("psycopg", "postgres", "connect", ("psycopg.connect", "psycopg.Connection.connect"), plan_connect),
        Target("psycopg", "postgres", "AsyncConnection",
               ("psycopg.AsyncConnection.connect",), plan_connect),
    ]
