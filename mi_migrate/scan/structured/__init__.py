"""Structured scanning of configuration and infrastructure files.

A line scan misses what the file format hides (JSON escapes, YAML folding, base64 Secret data, literals joined by
the Python parser) and cannot say which setting holds a key. Here each format's parser yields decoded string
values with key paths and per-character file offsets; the Azure text rules run on those values and the findings
keep exact file lines and columns. A file that does not parse yields a note and no findings: the line scan of
the same file, which always runs, stands.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Callable, Container, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from mi_migrate.core.finding import Finding, Note
from mi_migrate.core.rules import Rule
from mi_migrate.scan import engine
from mi_migrate.scan.structured.scanner import ValueGate, scan_values, tag
from mi_migrate.scan.structured.values import ParseFailure, Value

if TYPE_CHECKING:
    from mi_migrate.scan.candidate_types import Candidates, Positions

XML_SUFFIXES = (".config", ".xml", ".resx", ".pubxml", ".props", ".targets", ".csproj")
LOCK_FILES = ("-lock.json", ".lock.json", "npm-shrinkwrap.json", ".min.json")
LABELS = {
    "json": "JSON", "notebook": "notebook JSON", "yaml": "YAML", "dotenv": ".env", "xml": "XML",
    "terraform": "Terraform", "bicep": "Bicep", "dockerfile": "Dockerfile", "toml": "TOML", "ini": "INI",
    "properties": "properties", "python": "Python",
}


@functools.lru_cache(maxsize=4096)
def kind_of(rel_path: str) -> str | None:
    """The structured format of a file, from its name; None for files scanned as text only. (Asked several times
    per file by the plan and the scans: kept for recent names.)"""
    name = posixpath.basename(rel_path).lower()
    if name.endswith(".ipynb"):
        return "notebook"
    if name.endswith((".json", ".jsonc")):
        return None if name.endswith(LOCK_FILES) else "json"
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "dotenv"
    if name.endswith(XML_SUFFIXES):
        return "xml"
    if name.endswith((".tf", ".tfvars")):
        return "terraform"
    if name.endswith((".bicep", ".bicepparam")):
        return "bicep"
    if name in ("dockerfile", "containerfile") or name.startswith("dockerfile.") or name.endswith(".dockerfile"):
        return "dockerfile"
    if name.endswith(".toml"):
        return "toml"
    if name.endswith(".properties"):
        return "properties"
    if name.endswith((".ini", ".cfg", ".conf")):
        return "ini"
    if name.endswith((".py", ".pyw")):
        return "python"
    return None


# What a line scan cannot read as the program will: a block scalar, an escape, a comment glued to a value
# (possessive runs: what follows a run can never be more of it, so backtracking into one could not help)
_HIDDEN_YAML = re.compile(rb"[:\-][ \t]++[|>][-+0-9]*+[ \t]*+(?:#[^\n]*)?\r?$|\\|=[^\s'\"]{16,}+[ \t]+#", re.M)
# The same for the native engine (no possessive runs; whether it matches anywhere is all that is asked)
HIDDEN_YAML_NATIVE = rb"[:\-][ \t]+[|>][-+0-9]*[ \t]*(?:#[^\n]*)?\r?$|\\|=[^\s'\"]{16,}[ \t]+#"


def wants(rel_path: str, lower: bytes | Candidates, rules: Sequence[Rule], known: Sequence[Finding] = ()) -> bool:
    """Whether parsing a file can add anything: the line scan found something to name by key path (`known`),
    or the format may hide a key from the line scan (escapes, block scalars, base64 Secret data, joined
    literals). Parsing every JSON and YAML file would double the cost of scanning them. `lower`: the file's
    lower-cased bytes, or its candidates (which answer the literal questions without another pass)."""
    kind = kind_of(rel_path)
    if kind is None:
        return False
    if kind == "yaml" and b"kind: secret" in lower:
        return True
    if kind == "python":
        from mi_migrate.scan.structured import python_strings

        if not python_strings.might_have(lower):
            return False
    elif kind in ("json", "notebook"):
        if b"\\u" in lower:
            return True
        if not known and b"\\" not in lower:
            return False
    elif kind == "yaml" and not known and not _hidden_yaml(lower):
        return False
    if isinstance(lower, bytes):
        return bool(engine.rules_for(lower, rules))
    return any(rule.patterns and (not rule.keywords or lower.any(rule.keywords)) for rule in rules)


def _hidden_yaml(lower: bytes | Candidates) -> bool:
    if isinstance(lower, bytes):
        return _HIDDEN_YAML.search(lower) is not None
    found = lower.search(HIDDEN_YAML_NATIVE, lower.raw())  # no letter in it: case changes nothing
    return found if found is not None else _HIDDEN_YAML.search(lower.lower()) is not None


def extract(rel_path: str, text: str, gate: ValueGate | None = None, positions: Positions | None = None) -> list[Value]:
    """The decoded string values of a file; ParseFailure when it does not parse as its format. `gate`: which
    values a scan can use (YAML leaves the others out); `positions`: the native engine's matcher for the file."""
    kind = kind_of(rel_path)
    if kind == "yaml" and gate is not None:
        from mi_migrate.scan.structured import yaml_files

        return yaml_files.extract(text, gate)
    if kind == "python" and positions is not None:
        from mi_migrate.scan.structured import python_strings

        return python_strings.extract(text, positions=positions)
    extractor = _EXTRACTORS.get(kind or "")
    return extractor(text) if extractor else []


def scan_structured_file(
    rel_path: str,
    text: str,
    rules: Sequence[Rule],
    known: Sequence[Finding] = (),
    index: engine.LineIndex | None = None,
    candidate_engine: str = "",
    escapes: bool | Container[int] = True,
    positions: Positions | None = None,
) -> tuple[list[Finding], list[Note]]:
    """Findings in the file's decoded values, each with its key path; on a parse failure a note ("scanned as
    text: invalid JSON at line 3 (…)") and no findings. `known` are the line scan's findings of the same file:
    values the line scan read exactly as they are are not scanned again, its findings there come back with the
    key path instead. `escapes`: False when the caller knows no decoded JSON escape can hold a finding, or the
    start offsets of the escaped JSON values that can. `positions`: the native engine's matcher for the file
    (candidates.Hits.positions), when it scanned it."""
    kind = kind_of(rel_path) or ""
    index = index or engine.LineIndex.of(text)
    try:
        values = _json_values_near(text, known, index, escapes) if kind == "json" else None
        if values is None:
            values = extract(rel_path, text, ValueGate(text, known, index, rules, candidate_engine), positions)
    except ParseFailure as failure:
        return [], [Note(rel_path, failure.note_text(LABELS.get(kind, kind)))]
    except (RecursionError, MemoryError):
        return [], [Note(rel_path, f"scanned as text: {LABELS.get(kind, kind)} nesting too deep")]
    if not values:
        return [], []
    text_rules = [rule for rule in rules if rule.patterns]
    found = scan_values(rel_path, text, values, text_rules, index, candidate_engine)
    return found + tag(known, values, index), []


def _json_values_near(
    text: str, known: Sequence[Finding], index: engine.LineIndex, escapes: bool | Container[int]
) -> list[Value] | None:
    """Of a strict JSON file, only the values scan_values and tag() use (json_settings.values_near)."""
    from mi_migrate.scan.structured import json_settings

    starts = index.starts
    offsets = [starts[f.span.line - 1] + f.span.column - 1 for f in known
               if not f.key_path and f.span.line <= len(starts)]
    return json_settings.values_near(text, offsets, escapes)


def _notebook(text: str) -> list[Value]:
    from mi_migrate.scan.structured import notebooks, python_strings

    values, code = notebooks.extract(text)
    for cell in code:
        for joined in python_strings.extract(cell.text, cell.offsets, cell.key_path):
            values.append(replace(joined, fields=cell.fields, line_field="cell_line", within=cell))
    return values


def _lazy(module: str, **options: object) -> Callable[[str], list[Value]]:
    def run(text: str) -> list[Value]:
        import importlib

        return importlib.import_module(f"mi_migrate.scan.structured.{module}").extract(text, **options)  # type: ignore[no-any-return]

    return run


_EXTRACTORS: dict[str, Callable[[str], list[Value]]] = {
    "json": _lazy("json_settings"),
    "notebook": _notebook,
    "yaml": _lazy("yaml_files"),
    "dotenv": _lazy("dotenv"),
    "xml": _lazy("xml_config"),
    "terraform": _lazy("terraform"),
    "bicep": _lazy("bicep"),
    "dockerfile": _lazy("dockerfile"),
    "toml": _lazy("ini_like", toml=True),
    "properties": _lazy("ini_like", properties=True),
    "ini": _lazy("ini_like"),
    "python": _lazy("python_strings"),
}
