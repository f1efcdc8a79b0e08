"""Per-file-type analyses that go beyond the text rules: Python-aware findings, IaC checks, detect-secrets'
plugins and structured formats; and `plan()`, which decides from a file's candidates (mi_migrate.scan.candidates)
which of them can find anything, so a file without candidates costs nothing past the candidate scan."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mi_migrate.core.finding import Finding, Note
from mi_migrate.core.rules import Rule
from mi_migrate.scan.candidates import IAC_TRIGGERS, PYTHON_TRIGGERS, Hits, Plan, find_for_rules
from mi_migrate.scan.memory import Memory

if TYPE_CHECKING:
    from mi_migrate.scan.engine import LineIndex
    from mi_migrate.scan.model import ScanSettings

PYTHON_SUFFIXES = (".py", ".pyw")
NOTEBOOK_SUFFIXES = (".ipynb",)  # their code cells, joined, get the Python analysis too (python.notebook_cells)
IAC_SUFFIXES = (".tf", ".bicep", ".json")


def keyword_rules(hits: Hits, rules: Sequence[Rule]) -> tuple[Rule, ...]:
    """The text rules whose keywords occur (engine.rules_for, answered from the candidates)."""
    return tuple(hits.keyed(rules))


def text_rules(hits: Hits, rules: Sequence[Rule]) -> tuple[Rule, ...]:
    """Of those, the rules with a pattern whose value-shaped anchor occurs too: the line scan runs only these."""
    return tuple(
        rule for rule in rules
        if any(not p.anchor_name or hits.matched(p.anchor_name) for p in rule.patterns))


def plugins(rel_path: str, hits: Hits, rules: Sequence[Rule]) -> frozenset[str]:
    """detect-secrets plugins (of the active rules) whose file prefilter the file passes."""
    from mi_migrate.scan import third_party

    return _wanted_plugins(rel_path, _passing_plugins(hits, third_party.is_config_file(rel_path)), rules)


def _wanted_plugins(rel_path: str, passing: frozenset[str], rules: Sequence[Rule]) -> frozenset[str]:
    from mi_migrate.scan import third_party

    if not passing or third_party._skip_file(rel_path):
        return frozenset()
    wanted = {rule.id for rule in rules}
    return frozenset(name for name in passing if third_party.rule_id_of(name) in wanted)


def _passing_plugins(hits: Hits, config: bool) -> frozenset[str]:
    # the static prefilters first: a file no plugin can report on never imports detect-secrets (pre-commit)
    exact = hits.exact_anchors  # then an anchor asked of every file decides alone (third_party.anchor_decides)
    return frozenset(
        name for name, literals, anchored, skips_config, decides in _plugin_gates()
        if (not literals or (exact and decides) or hits.any(literals))
        and (not anchored or (config and skips_config) or hits.matched(name))
    )


# (candidate signature, id(rules), config file) → (keyword rules, text rules, passing plugins): most files of a
# repository share their signature with another (the same words and anchors), so their selection is read back.
_SELECTIONS = Memory(4096)


def _selection(hits: Hits, rules: Sequence[Rule], rel_path: str) -> tuple[
        tuple[Rule, ...], tuple[Rule, ...], frozenset[str]]:
    """keyword_rules, text_rules and the plugins whose prefilter passes, for one file."""
    from mi_migrate.scan import third_party

    config = third_party.is_config_file(rel_path)
    signature = hits.signature(_literals_asked(rules))
    key = (signature, id(rules), config) if signature is not None else None
    kept = _SELECTIONS.recall(key, rules) if key is not None else None
    if kept is not None:
        return kept  # type: ignore[no-any-return]
    keyed = keyword_rules(hits, rules)
    selection = (keyed, text_rules(hits, keyed), _passing_plugins(hits, config))
    if key is not None:
        _SELECTIONS.keep_for(key, rules, selection)
    return selection


_ASKED = Memory(64)  # id(rules) → (rules, literals): a scan has one or two rule lists


def _literals_asked(rules: Sequence[Rule]) -> frozenset[bytes]:
    """Every literal the selection asks the candidates about."""
    return _ASKED.per_owner(rules, lambda rules: frozenset(  # type: ignore[no-any-return]
        {keyword for rule in rules for keyword in rule.keywords}
        | {literal for _, literals, _, _, decides in _plugin_gates() if not decides for literal in literals}))


@functools.cache
def _plugin_gates() -> tuple[tuple[str, tuple[bytes, ...], bool, bool, bool], ...]:
    """(plugin, file literals, has an anchor, the anchor is skipped in config files, the anchor decides alone with
    the native engine: third_party.anchor_decides) of every plugin we run, made once: plugins() asks for every
    file."""
    from mi_migrate.scan import third_party

    return tuple(
        (name, third_party.file_literals(pre), pre.anchor is not None, pre.anchor_skips_config,
         third_party.anchor_decides(pre))
        for name, pre in third_party.PREFILTERS.items() if name not in third_party.EXCLUDED_PLUGINS)


def plan(rel_path: str, hits: Hits, rules: Sequence[Rule], settings: ScanSettings) -> Plan:
    from mi_migrate.scan import structured

    keyed, found, passing = _selection(hits, rules, rel_path)
    python = settings.python and rel_path.endswith(PYTHON_SUFFIXES + NOTEBOOK_SUFFIXES) and hits.any(PYTHON_TRIGGERS)
    iac = (settings.iac and rel_path.endswith(IAC_SUFFIXES) and any(rule.iac for rule in rules)
           and hits.any(IAC_TRIGGERS))
    third = _wanted_plugins(rel_path, passing, rules) if settings.third_party else frozenset()
    kind = structured.kind_of(rel_path)
    # structured.wants() is true only with a text rule, except YAML Secret data and JSON escapes (and, once
    # other analyses found something, only with a text rule as well)
    parse = kind is not None and bool(
        keyed or (kind == "yaml" and b"kind: secret" in hits) or (kind in ("json", "notebook") and b"\\u" in hits))
    return Plan(found, python, iac, third, parse, keyed)


def _native_rule_keywords(data: bytes) -> Hits:
    return find_for_rules(data, "hyperscan")


def scan_structured(
    rel_path: str,
    text: str,
    lower: bytes | Hits,
    rules: tuple[Rule, ...],
    settings: ScanSettings,
    known: Sequence[Finding] = (),
    index: LineIndex | None = None,
    planned: Plan | None = None,
) -> tuple[list[Finding], list[Note]]:
    """Findings that need more than a regex: Python call analysis, IaC, third-party secret detectors and
    structured formats. `lower` is the file's lower-cased bytes or its candidates; `planned` (from plan()) skips
    what cannot find anything."""
    from mi_migrate.scan import candidates, structured

    if isinstance(lower, Hits):
        hits = lower
    else:
        hits = candidates.find(lower, "re")
    planned = planned or plan(rel_path, hits, rules, settings)
    findings: list[Finding] = []
    notes: list[Note] = []
    if planned.python and rel_path.endswith(NOTEBOOK_SUFFIXES):
        from mi_migrate.scan.python import notebook_cells

        findings.extend(notebook_cells.analyze(rel_path, text, hits, rules))
    elif planned.python:
        from mi_migrate.scan.python import analysis as python_analysis

        found, more = python_analysis.analyze(rel_path, text, hits, rules)
        findings.extend(found)
        notes.extend(more)
    if planned.iac:  # infrastructure as code: AZ40x (mi_migrate.scan.iac)
        from mi_migrate.scan import iac

        findings.extend(iac.analyze(rel_path, text, rules))
    if planned.plugins:
        from mi_migrate.scan import third_party

        findings.extend(third_party.scan(rel_path, text, b"", rules, present=planned.plugins,
                                         positions=hits.positions,
                                         rule_keywords=_native_rule_keywords if hits.exact_anchors else None))
    if not planned.structured:  # wants() below would say no: it needs what plan() looked for
        return findings, notes
    # config/IaC/notebook values decoded; findings named by key path
    known = [*known, *findings]
    kind = structured.kind_of(rel_path)
    escapes: bool | frozenset[int] = True  # which decoded escaped values can hold a finding (parse scans them)
    if kind == "json":
        from mi_migrate.scan.engine import LineIndex

        starts = (index or LineIndex.of(text)).starts if known else ()
        escapes = _json_escapes_reveal(text, rules, planned)
        if not escapes and not any(_taggable(text, f, starts) for f in known):
            return findings, notes  # nothing the escapes could hide and nothing to name: parsing adds nothing
    if kind == "bicep" and not known and not _bicep_escapes_reveal(text, rules):
        return findings, notes  # nothing to name, and no decoded value can hold a finding: parsing adds nothing
    if kind == "notebook" and not planned.text_rules and not known:
        from mi_migrate.scan.structured import python_strings

        joined = candidates.notebook_decoded(text)
        if not candidates.notebook_decoding_reveals(text, joined, rules) \
                and not python_strings.might_have(joined.lower().encode("utf-8", "surrogatepass")):
            return findings, notes  # nor in a notebook whose cells join no Python literals
    if not structured.wants(rel_path, hits, planned.keyword_rules, known):
        return findings, notes
    if kind == "yaml" and not known and not planned.text_rules and b"kind: secret" not in hits \
            and not candidates.yaml_decoding_reveals(text, rules):
        return findings, notes  # nothing to name, no rule in the raw text, and none in any decoding of it
    found, more = structured.scan_structured_file(rel_path, text, rules, known, index, settings.engine,
                                                  escapes=escapes, positions=hits.positions)
    return findings + found, notes + more


def _json_escapes_reveal(text: str, rules: tuple[Rule, ...], planned: Plan) -> bool | frozenset[int]:
    """Whether decoding the file's escapes could give a rule its keyword and anchor. Without a text rule in the
    raw bytes the whole decoded file is tried; with one, only the windows the scan of escaped values reads (the
    rest is what the line scan read), when the file is strict JSON: then the answer is the start offsets of the
    values whose window can (empty: none)."""
    from mi_migrate.scan import candidates

    if not planned.text_rules:
        return candidates.json_decoding_reveals(text, rules)
    from mi_migrate.scan.structured import json_settings

    windows = json_settings.escaped_value_windows(text)
    if windows is None:
        return True
    if not candidates.reveals("\n".join(window for _, window in windows), rules):
        return frozenset()
    return frozenset(start for start, window in windows if candidates.reveals(window, rules))


def _bicep_escapes_reveal(text: str, rules: tuple[Rule, ...]) -> bool:
    """Whether a decoded Bicep string could hold a finding: only escaped strings differ from the raw text the
    line scan read, and one can only where its window has some rule's keyword and anchor. True when the file
    would not parse (the parse then says why)."""
    if "\\" not in text:
        return False
    from mi_migrate.scan import candidates
    from mi_migrate.scan.structured import bicep

    windows = bicep.escaped_windows(text)  # together: a keyword in one and an anchor in another only says yes
    return windows is None or (bool(windows) and candidates.reveals("\n".join(windows), rules))


def _taggable(text: str, finding: Finding, starts: Sequence[int]) -> bool:
    """Whether the structured parse could give `finding` a key path: it has none and starts inside a JSON string
    (structured.tag names only findings inside string values). JSON strings hold no line break, so the finding's
    line (`starts`: the file's line offsets) is read from its start; a block comment, which could open on an
    earlier line, answers yes."""
    if finding.key_path:
        return False
    if "/*" in text:
        return True
    if finding.span.line > len(starts):
        return True
    line_start = starts[finding.span.line - 1]
    offset = line_start + finding.span.column - 1
    inside, i = False, line_start
    while i < offset:
        char = text[i]
        if inside:
            if char == "\\":
                i += 2
                continue
            inside = char != '"'
        elif char == '"':
            inside = True
        elif text.startswith("//", i):
            return False  # a line comment: no value here
        i += 1
    return inside
