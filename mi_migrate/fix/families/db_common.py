"""Shared by the database and cache families (sql, postgres, redis): where a connection string or URL comes from,
how to write its password-free form back (literal, or a new app setting), and small argument helpers.

These families differ from the SDK clients: the connection string survives the rewrite (minus the password), so
the source node is rewritten in place — the literal, or the environment read — even when a variable holds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import libcst as cst

from mi_migrate.fix.codemod import CallSite, Planner
from mi_migrate.fix.values import EnvRead, Literal, Unknown, Variable, resolve, string_node, with_setting_name


def entra_setting_name(old: str) -> str:
    """The setting that holds the password-free connection string: SQL_CONNECTION_STRING → SQL_CONNECTION_STRING_ENTRA.

    A new name, not the old one reused: the deployed value of the old setting still carries the password (and,
    for SQL, UID/PWD next to a token is a driver error), so the switch must be explicit and the old setting can be
    deleted once the code no longer reads it.
    """
    if old.upper() == old:
        return f"{old}_ENTRA"
    if "_" in old or old.lower() == old:
        return f"{old}_entra"
    return f"{old}Entra"


@dataclass(frozen=True)
class Source:
    """A string argument: its value when known (a literal, or the repo's settings for an env read)."""

    text: str | None
    node: cst.BaseExpression  # the literal or the env read to rewrite in place
    env: EnvRead | None = None
    variable: Variable | None = None


def source_of(node: cst.BaseExpression, planner: Planner) -> Source | str:
    """The literal or app setting behind an argument (following a once-assigned variable), or why unknown."""
    value = resolve(node, planner.meta)
    variable = value if isinstance(value, Variable) else None
    if variable is not None:
        value = variable.value
    if isinstance(value, Unknown):
        return value.reason
    if isinstance(value, Literal):
        return Source(value.value, value.node, None, variable)
    assert isinstance(value, EnvRead)
    return Source(planner.settings.get(value.name), value.node, value, variable)


def rewritten_source(source: Source, new_text: str) -> tuple[cst.BaseExpression, dict[str, Any]]:
    """The password-free form of the source node; an env read moves to a new setting (its value recorded)."""
    if source.env is None:
        return string_node(new_text, source.node), {}
    new_name = entra_setting_name(source.env.name)
    fields = {"old_setting": source.env.name, "setting": new_name, "setting_value": new_text}
    return with_setting_name(source.env, new_name), fields


def apply_source(
    source: Source, new_text: str, call: cst.Call, planner: Planner
) -> tuple[cst.Call, dict[str, Any]]:
    """Rewrite the source: inside `call` (returned updated, for the caller to replace whole) or, for a variable,
    where it was assigned. An unchanged value is left alone."""
    if new_text == source.text:
        return call, {}
    node, fields = rewritten_source(source, new_text)
    if source.variable is not None:
        planner.replace(source.node, node)
        return call, fields
    return call.deep_replace(source.node, node), fields  # type: ignore[return-value]


def unknown_setting_reason(source: Source) -> str:
    name = source.env.name if source.env else "?"
    return (f"the value of setting {name} is not in the repository's settings files (.env, local.settings.json, "
            "appsettings*.json): cannot tell which server it names")


def forget_secret(node: cst.BaseExpression, planner: Planner) -> str | None:
    """A dropped password argument: a variable holding it goes once unused; returns the env setting it read."""
    value = resolve(node, planner.meta)
    if isinstance(value, Variable):
        planner.use_variable(value)
        value = value.value
    return value.name if isinstance(value, EnvRead) else None


def known_value(node: cst.BaseExpression, planner: Planner) -> str | int | None:
    """What an argument holds at fix time: an int or string literal (also through a once-assigned variable),
    or the value the repository's settings files give an env read; None when unknown."""
    if isinstance(node, cst.Integer):
        return int(node.value)
    value = resolve(node, planner.meta)
    if isinstance(value, Variable):
        value = value.value
    if isinstance(value, Literal):
        return value.value
    if isinstance(value, EnvRead):
        return planner.settings.get(value.name)
    return None


def keyword(name: str, value: cst.BaseExpression | str) -> cst.Arg:
    expression = cst.parse_expression(value) if isinstance(value, str) else value
    equal = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
    return cst.Arg(keyword=cst.Name(name), value=expression, equal=equal)


def keyword_args(site: CallSite) -> dict[str, cst.Arg]:
    """Keyword arguments by lower-cased name (pyodbc keywords are case-insensitive ODBC attributes)."""
    return {a.keyword.value.lower(): a for a in site.node.args if a.keyword is not None}


def has_star(site: CallSite) -> bool:
    return any(a.star for a in site.node.args)


def host_of_server(server: str) -> str:
    """`tcp:acme.database.windows.net,1433` → `acme.database.windows.net` (also drops `\\instance`)."""
    host = re.sub(r"(?i)^\s*(?:tcp|np|lpc|admin):", "", server.strip().strip("{}"))
    return re.split(r"[,\\:]", host, maxsplit=1)[0].strip().lower()
