"""Non-Azure secrets from detect-secrets' own plugins, reported through the shared Finding model.

detect-secrets is slow because it runs every plugin's regexes on every line. Here each plugin has a sound
prefilter, a necessary condition read off its own regexes: literals any match contains (checked on the
file's lower-cased bytes, then used to find candidate lines) and/or a run of n characters of the secret's
alphabet (found with bytes.translate + find). The plugin's real `analyze_line` runs only on candidate lines,
followed by detect-secrets' heuristic filters, so the results are the plugin's own.

Azure credentials are mi-migrate's own business: AzureStorageKeyDetector is not run, and a third-party finding
whose secret overlaps an Azure finding on the same line (or an Azure connection-string key slot) is dropped.
The mapping from plugin class to rule id lives in the rules' `[plugins]` tables (rules/AZ30x-*.toml).
"""

from __future__ import annotations

import base64
import functools
import math
import os
import re
from collections import Counter
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NamedTuple

from mi_migrate.core.finding import Finding, Kind, Span
from mi_migrate.core.redact import redact, secret_hash
from mi_migrate.core.rules import Rule, load_rules
from mi_migrate.scan import plugin_lines
from mi_migrate.scan.deferred_requests import import_detect_secrets
from mi_migrate.scan.memory import Memory
from mi_migrate.scan.plugin_prefilters import (
    ENTROPY_CHARSETS,
    ENTROPY_LIMITS,
    ENTROPY_QUOTED,
    FOLDS_TO_ASCII,
    LOCK_FILE_NAMES,
    PREFILTERS,
    RUN_CLASSES,
    SECRET_WORDS,
    Prefilter,
)

if TYPE_CHECKING:
    from mi_migrate.scan.candidate_types import Positions, RuleKeywords

__all__ = ["PREFILTERS", "RUN_CLASSES", "SECRET_WORDS", "Prefilter", "scan"]

# Not run: Azure keys are found better by mi-migrate's rules; a public IP address is not a credential.
EXCLUDED_PLUGINS = frozenset({"AzureStorageKeyDetector", "IPPublicDetector"})
# Generic detectors: noisy, costly on huge lines, and the ones that also see Azure values.
ENTROPY_PLUGINS = frozenset({"Base64HighEntropyString", "HexHighEntropyString"})
GENERIC_PLUGINS = ENTROPY_PLUGINS | {"KeywordDetector"}
SPECIFICITY = {
    "BasicAuthDetector": 1,
    "KeywordDetector": 2,
    "Base64HighEntropyString": 3,
    "HexHighEntropyString": 3,
}
MAX_GENERIC_LINE = 10_000  # minified bundles: only the precise detectors run on longer lines
CONFIG_SUFFIXES = (".yaml", ".yml", ".eyaml", ".ini", ".cfg", ".cnf", ".conf", ".cf", ".properties", ".toml")
# The value slots of Azure connection strings and SAS tokens: Azure rules own whatever sits there.
AZURE_SLOT = re.compile(
    r"(?i)\b(?:AccountKey|SharedAccessKey|SharedAccessSignature|sig)[ \t]*=[ \t]*[^;\"'\s&,]+"
)


# (the prefilters are data: mi_migrate.scan.plugin_prefilters)
CONFIG_LINE = re.compile(r"^(\s*[^\s:=#;\"']+\s*[:=]\s*)([^\s\"'#][^\"']*?)\s*$")


@dataclass(frozen=True)
class Detector:
    plugin: Any  # a detect-secrets plugin instance
    name: str
    rule: Rule
    pre: Prefilter
    file_literals: tuple[bytes, ...]  # lower-case: one must occur in the file's lower-cased bytes
    file_regex: re.Pattern[bytes] | None  # the same as one search when the literals share a prefix
    line_gate: re.Pattern[str] | None = None  # KeywordDetector: its DENYLIST words, on the lower-cased line
    context: re.Pattern[str] | None = None  # the rule's [plugins.context]: must occur on the line, outside the secret

    def wants(self, lower: bytes) -> bool:
        if self.file_regex is not None:
            return self.file_regex.search(lower) is not None
        return not self.file_literals or any(lit in lower for lit in self.file_literals)


@functools.cache
def _detectors() -> tuple[Detector, ...]:
    """Every detect-secrets plugin we run, with its prefilter and rule; built once per process."""
    import_detect_secrets()
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins import keyword

    by_plugin: dict[str, Rule] = {}
    contexts: dict[str, re.Pattern[str]] = {}
    fallback: Rule | None = None
    for rule in load_rules():
        for name in rule.plugins.get("detect_secrets", ()):
            by_plugin[name] = rule
        for name, regex in rule.plugins.get("context", {}).items():
            contexts[name] = re.compile(regex)
        if rule.plugins.get("fallback"):
            fallback = rule
    detectors = []
    for cls in sorted(get_mapping_from_secret_type_to_class().values(), key=lambda c: c.__name__):
        name = cls.__name__
        rule = by_plugin.get(name, fallback)
        if name in EXCLUDED_PLUGINS or rule is None:
            continue
        pre = PREFILTERS.get(name, Prefilter())
        literals = file_literals(pre)
        # re factors a common prefix out of an alternation and then searches for it fast: one pass, not n
        shared = len(literals) > 1 and len({lit[:1] for lit in literals}) == 1
        regex = re.compile(b"|".join(map(re.escape, literals))) if shared else None
        gate = re.compile("|".join(keyword.DENYLIST)) if name == "KeywordDetector" else None
        detectors.append(Detector(cls(), name, rule, pre, literals, regex, gate, contexts.get(name)))
    return tuple(detectors)


def prepare() -> None:
    """Import detect-secrets and build the plugin table now (a pool's workers, while the files are listed)."""
    _detectors()


@functools.cache
def _plugin_rules() -> tuple[dict[str, str], str | None]:
    """(plugin name → rule id from the rules' `[plugins]` lists, the fallback rule's id): _detectors()' mapping,
    read from the rules alone, so planning a file never imports detect-secrets."""
    by_plugin: dict[str, str] = {}
    fallback = None
    for rule in load_rules():
        for name in rule.plugins.get("detect_secrets", ()):
            by_plugin[name] = rule.id
        if rule.plugins.get("fallback"):
            fallback = rule.id
    return by_plugin, fallback


def rule_id_of(name: str) -> str | None:
    """The rule reporting plugin `name` (a detect-secrets plugin class name), None for one not run."""
    if name in EXCLUDED_PLUGINS:
        return None
    by_plugin, fallback = _plugin_rules()
    return by_plugin.get(name, fallback)


def file_literals(pre: Prefilter) -> tuple[bytes, ...]:
    """The prefilter's literals as the candidate pass looks for them: lower-case bytes."""
    return tuple(lit.lower().encode() for lit in pre.literals)


def anchor_decides(pre: Prefilter) -> bool:
    """Whether the plugin's anchor is asked of every file: then, where a scan answers anchors exactly (the native
    engine), the file literals add nothing and are not looked for (both are necessary conditions; the `re` engine
    still asks the literals first, as they are cheaper than its anchor regex)."""
    return pre.anchor is not None and not pre.anchor_skips_config


def is_config_file(rel_path: str) -> bool:
    """Files whose `key = value` lines detect-secrets' transformers would treat as quoted strings."""
    base = os.path.basename(rel_path).lower()
    return base.endswith(CONFIG_SUFFIXES) or base.startswith(".env") or base.endswith(".env")


def _skip_file(rel_path: str) -> bool:
    """detect-secrets' is_lock_file or is_swagger_file (`.*swagger.*`), without importing it."""
    return os.path.basename(rel_path) in LOCK_FILE_NAMES or "swagger" in rel_path


def scan(rel_path: str, text: str, lower: bytes, rules: Sequence[Rule] | None = None,
         present: Container[str] | None = None, positions: Positions | None = None,
         rule_keywords: RuleKeywords | None = None) -> list[Finding]:
    """Third-party secrets in one file; `rules` (the active rules) limits which AZ3xx rules report. `present`:
    the plugins whose file prefilter already passed (mi_migrate.scan.candidates); then `lower` is not read.
    `positions`: the native candidate engine's matcher for this file (Hits.positions), when it has one."""
    if _skip_file(rel_path):
        return []
    lowered = text.lower()
    exact_lower = len(lowered) == len(text)
    if not exact_lower:  # a few characters change length when lower-cased: keep offsets aligned
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    # One byte per character, so run offsets are text offsets; non-ASCII never belongs to a run class.
    ascii_text = text.encode("ascii", "replace")
    # the one character whose lower case is ASCII (KELVIN SIGN, a "k") is no "?" to the line gate
    gate_ready = exact_lower and "\u212a" not in text
    config = is_config_file(rel_path)
    starts: dict[str, set[int]] = {}
    line_memo: plugin_lines.LineMemo = {}

    def candidate_starts(name: str, gate: re.Pattern[str] | None = None) -> set[int]:
        """A plugin's candidate lines (its detector's prefilter is PREFILTERS[name], see _detectors); given the
        detector's line gate, only those where it matches (each line is tested with it anyway)."""
        if name not in starts:
            pre = PREFILTERS.get(name, Prefilter())
            starts[name] = (plugin_lines.gated_starts(text, lowered, ascii_text, pre, gate, positions)
                            if gate is not None and gate_ready
                            else plugin_lines.candidate_starts(text, lowered, ascii_text, pre, exact_lower,
                                                               line_memo, positions, gate_ready,
                                                               quoted="" if config else ENTROPY_CHARSETS.get(name, "")))
        return starts[name]

    if isinstance(present, (set, frozenset)) and present <= ENTROPY_PLUGINS and not any(
            _entropy_could_report(text, name, candidate_starts(name), config) for name in sorted(present)):
        return []  # nothing the entropy plugins could report: detect-secrets is not even imported
    wanted = None if rules is None else {r.id for r in rules}
    active = [det for det in _detectors() if (wanted is None or det.rule.id in wanted)
              and (det.wants(lower) if present is None else det.name in present)]
    per_line: dict[int, list[Detector]] = {}
    for det in active:
        for start in candidate_starts(det.name, det.line_gate):
            per_line.setdefault(start, []).append(det)
    if not per_line:
        return []
    findings: list[Finding] = []
    line_no, counted_to = 1, 0
    extension = os.path.splitext(rel_path)[1]  # all detect-secrets reads of the name (its file type)
    for start in sorted(per_line):
        line_no += text.count("\n", counted_to, start)
        counted_to = start
        end = text.find("\n", start)
        line = text[start : len(text) if end == -1 else end]
        findings.extend(_scan_line(rel_path, text, start, line_no, line, per_line[start], config, extension,
                                   rule_keywords))
    return findings


def _entropy_could_report(text: str, name: str, starts: set[int], config: bool) -> bool:
    """Whether entropy plugin `name` could report anything on its candidate lines, without the plugin: the line
    checks every plugin gets (_line_checks_pass), then its own quoted-value regex and the distinct-character
    bound of _high_entropy. When neither could, detect-secrets need not be imported (a pre-commit run on code
    that names `token`s and `key`s in quoted identifiers)."""
    pre = PREFILTERS[name]
    limit = ENTROPY_LIMITS[name] - 1e-9
    for start in starts:
        end = text.find("\n", start)
        line = text[start : len(text) if end == -1 else end].rstrip()
        if not _line_checks_pass(name, pre, line, line.lower(), config):
            continue
        for variant in _variants(line, name, config):
            for _, value, _ in ENTROPY_QUOTED[name].findall(variant):
                if math.log2(len(set(value))) > limit:
                    return True
    return False


def _line_checks_pass(name: str, pre: Prefilter, line: str, lowered: str, config: bool) -> bool:
    """The tests of one (rstripped) candidate line that need no plugin instance."""
    if pre.also and pre.also not in lowered:
        return False
    # a detector with literals and no run is only given lines holding one of them (plugin_lines.candidate_starts)
    if pre.run and pre.literals and not any(lit in (line if pre.case_sensitive else lowered) for lit in pre.literals):
        return False
    if name in GENERIC_PLUGINS and len(line) > MAX_GENERIC_LINE:
        return False
    if name in ENTROPY_PLUGINS:  # outside config files they only look at quoted strings, next to a secret word
        return (config or '"' in line or "'" in line) and _keyword_adjacent(lowered)
    return True


def _scan_line(
    rel_path: str, text: str, start: int, line_no: int, raw: str, dets: list[Detector], config: bool,
    extension: str, rule_keywords: RuleKeywords | None = None,
) -> list[Finding]:
    from detect_secrets.filters.allowlist import is_line_allowlisted

    line = raw.rstrip()
    hits = _line_hits(extension, line, tuple(dets), config)
    if not hits:
        return []
    lowered = line.lower()
    previous = text[text.rfind("\n", 0, start - 1) + 1 : start - 1].rstrip() if start else ""
    if ("pragma" in lowered or "pragma" in previous.lower()) and is_line_allowlisted(
        rel_path, line, SimpleNamespace(previous_line=previous)
    ):
        return []
    covered = _azure_spans(rel_path, text, start, line, lowered, rule_keywords)
    out = []
    # The most specific detector wins a value: format-based ones, then credentials in URLs, keywords, entropy.
    for det, secret, column in sorted(hits, key=lambda hit: SPECIFICITY.get(hit[0].name, 0)):
        if any(column < b and a < column + len(secret) for a, b in covered):
            continue
        covered.append((column, column + len(secret)))
        out.append(_finding(rel_path, line_no, det, secret, column))
    return out


_HITS_MEMO = Memory(16 << 20)  # (extension, line, detector ids, config) → (detectors, hits)


def _line_hits(extension: str, line: str, dets: tuple[Detector, ...],
               config: bool) -> tuple[tuple[Detector, str, int], ...]:
    """What the plugins report on one line, after the filters: (detector, secret, column). A function of the
    line, the plugins and the file's extension (detect-secrets reads only the file type from its name), so it
    is kept for lines seen again: the versions of a file in history, the shared lines of recordings."""
    key = (extension, line, tuple(map(id, dets)), config)
    kept = _HITS_MEMO.get(key)
    if kept is not None and all(a is b for a, b in zip(kept[0], dets, strict=True)):  # not a reused id
        return kept[1]  # type: ignore[no-any-return]
    hits = tuple(_compute_hits("x" + extension, line, line.lower(), dets, config))  # lowered only when computed
    _HITS_MEMO.keep(key, (dets, hits), len(line))
    return hits


def _compute_hits(rel_path: str, line: str, lowered: str, dets: tuple[Detector, ...],
                  config: bool) -> list[tuple[Detector, str, int]]:
    hits: list[tuple[Detector, str, int]] = []
    for det in dets:
        if not _line_checks_pass(det.name, det.pre, line, lowered, config) or (
                det.line_gate is not None and not det.line_gate.search(lowered)):
            continue
        for variant in _variants(line, det.name, config):
            found = _analyze(det, rel_path, variant)
            for tries in range(MAX_RETRIES + 1):
                dropped = []
                for potential in found:
                    secret = potential.secret_value
                    column = line.find(secret) if secret else -1
                    if secret and column >= 0 and not _filtered(secret, line, det, column):
                        hits.append((det, secret, column))
                    elif secret and secret in variant:
                        dropped.append(secret)
                # a plugin may report one value per line: hide the values just dropped (a hash, a label) and
                # ask again, so `{"hashed_secret": "…", "db_password": "…"}` still yields the password
                if not dropped or tries == MAX_RETRIES:
                    break
                for secret in dropped:
                    variant = variant.replace(secret, "\0" * len(secret))
                found = [f for f in _analyze(det, rel_path, variant) if f.secret_value not in dropped]
            if found or hits:
                break
    return hits


MAX_RETRIES = 3


def _analyze(det: Detector, rel_path: str, line: str) -> list[Any]:
    if det.name in ENTROPY_PLUGINS:
        return _high_entropy(det.plugin, line)
    if det.name == "KeywordDetector":
        from mi_migrate.scan import keyword_lines

        return keyword_lines.analyze(det.plugin, rel_path, line)
    return list(det.plugin.analyze_line(filename=rel_path, line=line))


class _Candidate(NamedTuple):
    secret_value: str


def _high_entropy(plugin: Any, line: str) -> list[_Candidate]:
    """The entropy plugins' analyze_line (their quoted-string regex, then entropy over their limit), each value
    once, in line order. Shannon entropy never exceeds log2 of the number of distinct characters, so a value
    with too few of them cannot pass and its entropy is not computed: most quoted values in a recorded body."""
    found: dict[str, _Candidate] = {}
    limit = plugin.entropy_limit
    for secret in _quoted_values(plugin, line):
        if (secret not in found and math.log2(len(set(secret))) > limit - 1e-9
                and _shannon_entropy(plugin, secret) > limit):
            found[secret] = _Candidate(secret)
    return list(found.values())


def _quoted_values(plugin: Any, line: str) -> Iterable[str]:
    """The plugin's analyze_string(line) without the values too short to pass the distinct-character bound (a
    recorded JSON body holds hundreds of short quoted keys): its own regex's findall, filtered in one pass."""
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin

    if type(plugin).analyze_string is not HighEntropyStringsPlugin.analyze_string or plugin.regex.groups != 3:
        return plugin.analyze_string(line)  # type: ignore[no-any-return]
    shortest = _shortest_passing(plugin.entropy_limit)
    return [value for _, value, _ in plugin.regex.findall(line) if len(value) >= shortest]


@functools.cache
def _shortest_passing(limit: float) -> int:
    """The fewest characters whose distinct count can pass _high_entropy's bound (log2 of it over the limit)."""
    n = 1
    while math.log2(n) <= limit - 1e-9:
        n += 1
    return n


def _shannon_entropy(plugin: Any, data: str) -> float:
    """The plugin's calculate_shannon_entropy, term for term in its order (its charset's), for the characters the
    value holds, instead of one count over the value per charset character; a subclass's own (the hex plugin
    lowers all-digit values) is called as it is."""
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin

    if type(plugin).calculate_shannon_entropy is not HighEntropyStringsPlugin.calculate_shannon_entropy or not data:
        return float(plugin.calculate_shannon_entropy(data))
    order = _charset_order(plugin.charset)
    counts = Counter(data)
    if order is None or not all(char in order for char in counts):
        return float(plugin.calculate_shannon_entropy(data))
    entropy, length = 0.0, len(data)
    for char in sorted(counts, key=order.__getitem__):
        p_x = float(counts[char]) / length
        entropy += - p_x * math.log(p_x, 2)
    return entropy


@functools.cache
def _charset_order(charset: str) -> dict[str, int] | None:
    """Each character's place in the charset; None when one appears twice (its term would count twice)."""
    order = {char: i for i, char in enumerate(charset)}
    return order if len(order) == len(charset) else None


_LONG_RUN = re.compile(r"[a-z0-9+/=]{16,}")
_SRI = re.compile(r"\bsha(?:256|384|512)-")  # or "integrity"


@functools.lru_cache(maxsize=16)  # both entropy plugins ask it of the same line
def _keyword_adjacent(lowered: str) -> bool:
    """A secret word outside the long runs themselves (base64 spells "key" by chance), and no SRI hash."""
    if "integrity" in lowered or ("sha" in lowered and _SRI.search(lowered)):
        return False
    words = _LONG_RUN.sub(" ", lowered)
    return any(word in words for word in SECRET_WORDS)


def _variants(line: str, name: str, config: bool) -> Iterable[str]:
    """The line; in config files `key = "value"` for an unquoted value, as detect-secrets' transformers do."""
    yield line
    if config and name in GENERIC_PLUGINS and (m := CONFIG_LINE.match(line)):
        yield f'{m.group(1)}"{m.group(2)}"'


def _filtered(secret: str, line: str, det: Detector, column: int = -1) -> bool:
    """detect-secrets' default heuristic filters that apply to one secret on one line, and mi-migrate's own.

    is_indirect_reference (`password = get_password()`) is meant for keyword matches; detect-secrets applies
    it to every plugin, which hides `boto3.client(..., aws_access_key_id="AKIA…")`: here only keywords use it.
    """
    from detect_secrets.filters import heuristic

    column = line.find(secret) if column < 0 else column
    if det.context is not None and not det.context.search(line[:column] + " " + line[column + len(secret) :]):
        return True
    return (
        heuristic.is_sequential_string(secret)
        or heuristic.is_potential_uuid(secret)
        or heuristic.is_likely_id_string(secret, line, det.plugin)
        or heuristic.is_templated_secret(secret)
        or heuristic.is_prefixed_with_dollar_sign(secret)
        or heuristic.is_not_alphanumeric_string(secret)
        or (det.name == "KeywordDetector" and heuristic.is_indirect_reference(line))
        or is_hash_value(secret, line[:column])
        or (det.name == "BasicAuthDetector" and _is_label(secret))
        or (det.name == "KeywordDetector" and _looks_like_a_name(secret, line))
    )


# A value under one of these keys is a digest when it has a digest's shape (`"hashed_secret": "<sha1>"`,
# `"integrity": "sha512-…"`, tsbuildinfo `"signature"`/`"version"`, poetry/Pipfile `sha256:` hashes).
_HASH_KEY = re.compile(
    r"(?i)(?:hash(?:ed)?(?:_?(?:secret|password|key|token|value))?|hashes|integrity|checksum|"
    r"sha(?:-?(?:1|224|256|384|512))?|md5|etag|fingerprint|resolved)$"
)
_HEX_HASH_KEY = re.compile(r"(?i)^(?:signature|version|digest)$")  # the whole key; hex digests only (tsbuildinfo)
_KEY_BEFORE = re.compile(r"""([A-Za-z0-9_.\-]+)["']?\s*[:=]\s*\[?\s*["']?$""")
_DIGEST_PREFIX = re.compile(r"(?i)(?:sha(?:1|224|256|384|512)|md5)[-:]$|#$")
_HEX_DIGEST_LENGTHS = frozenset({32, 40, 56, 64, 96, 128})
_DIGEST_BYTES = frozenset({16, 20, 28, 32, 48, 64})


def is_hash_value(secret: str, before: str) -> bool:
    """A digest rather than a secret: digest-shaped, and prefixed `sha256:`/`sha512-` or held by a hash key."""
    value = secret.strip()
    hex_digest = re.fullmatch(r"[0-9a-fA-F]+", value) is not None and len(value) in _HEX_DIGEST_LENGTHS
    if hex_digest:
        shaped = True
    else:
        body = value.split("-", 1)[1] if re.match(r"(?i)sha\d+-", value) else value
        try:
            shaped = len(base64.b64decode(body, validate=True)) in _DIGEST_BYTES
        except (ValueError, TypeError):
            shaped = False
    if not shaped:
        return False
    if _DIGEST_PREFIX.search(before) or re.match(r"(?i)sha\d+[-:]", value):
        return True
    key = _KEY_BEFORE.search(before)
    if key is None:
        return False
    name = key.group(1)
    return _HASH_KEY.search(name) is not None or (hex_digest and _HEX_HASH_KEY.search(name) is not None)


# Words that make a value a placeholder or a label rather than a secret ("my-secret", "pass", "api_key").
_LABEL_WORDS = re.compile(r"(?i)secret|passw|passwd|\bpwd|\bpass\b|\bkey\b|token|\buser\b|example|changeme")
# Settings whose value is an identifier, a hash or a path, never a credential ("secret_hash", "password_file").
_LABEL_SLOT = re.compile(
    r"(?i)(?:secret|password|passwd|pwd|key|token)[_\-]?(?:hash|digest|fingerprint|id|ids|name|file|path|url|uri|"
    r"type|kind|env|var|field|length|len|ref|header|prefix)\b"
)
# `mykey123`, `test_secret`, `fake-password-2`: a placeholder word, a secret word and at most a counter.
_DUMMY = re.compile(
    r"(?i)(?:my|test|fake|dummy|sample|example|mock|some|your)[_\-]?(?:api[_\-]?)?"
    r"(?:key|secret|pass(?:word)?|pwd|token|value)[_\-]?\d{0,4}"
)
_DUMMY_TEXT = re.compile(rb"(?i)test|fake|dummy|example|sample|mock|placeholder|not[_\- ]?real|changeme")


def _is_label(secret: str) -> bool:
    """Placeholders and label words in a password slot (`user:password@`, `<password>`, `example`)."""
    from mi_migrate.scan.validators.placeholders import is_placeholder

    return is_placeholder(secret) or bool(_LABEL_WORDS.search(secret))


def _looks_like_a_name(secret: str, line: str) -> bool:
    """Keyword matches on labels: enum values, setting names, prose and placeholders (`SECRET = "secret"`)."""
    if _is_label(secret) or _LABEL_SLOT.search(line) or _DUMMY.fullmatch(secret):
        return True
    if re.fullmatch(r"[A-Za-z]+(?: [A-Za-z]+)+", secret) and secret == secret.lower():
        return True  # prose: "from app settings"
    if _encodes_dummy_text(secret):
        return True  # base64 of "test-account-key": a test fixture that says what it is
    # prose and identifiers: `Finding.fingerprint`, `third-party-secret`, `key)` are not credentials
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z_.\-]*\)?", secret)) and not any(ch.isdigit() for ch in secret)


def _encodes_dummy_text(secret: str) -> bool:
    """Base64 whose bytes are printable text naming itself a test value (real keys decode to random bytes)."""
    if len(secret) < 8 or len(secret) % 4:
        return False
    try:
        data = base64.b64decode(secret, validate=True)
    except (ValueError, TypeError):
        return False
    return all(32 <= b < 127 for b in data) and _DUMMY_TEXT.search(data) is not None


@functools.cache
def _azure_rules() -> tuple[Rule, ...]:
    return tuple(r for r in load_rules() if r.patterns and r.kind is not Kind.THIRD_PARTY_SECRET)


def _azure_spans(rel_path: str, text: str, start: int, line: str, lowered: str,
                 rule_keywords: RuleKeywords | None = None) -> list[tuple[int, int]]:
    """Column ranges (0-based, end exclusive) on this line that Azure rules own: findings and key slots.
    `rule_keywords`: the native engine's rule database (when it scanned the file), which finds the rules whose
    keywords the line holds in one pass (a recorded line of kilobytes costs ~70 us as one `in` per keyword)."""
    from mi_migrate.scan import engine

    spans = [m.span() for m in AZURE_SLOT.finditer(line)]
    if rule_keywords is not None and not any(char in line for char in FOLDS_TO_ASCII):
        rules = rule_keywords(line.encode("utf-8", "surrogatepass")).keyed(_azure_rules())
    else:
        rules = engine.rules_for(lowered.encode("utf-8", "replace"), _azure_rules())
    if not rules:
        return spans
    # Azure validators may look at nearby lines for context: scan a small window around this line.
    before = start
    for _ in range(3):
        before = text.rfind("\n", 0, max(before - 1, 0)) + 1 if before else 0
    after = start
    for _ in range(4):
        nxt = text.find("\n", after)
        after = len(text) if nxt == -1 else nxt + 1
    window = text[before:after]
    target = text.count("\n", before, start) + 1
    for finding in engine.scan_text(rel_path, window, rules):
        span = finding.span
        if span.line <= target <= span.end_line:
            first = span.column - 1 if span.line == target else 0
            last = span.end_column - 1 if span.end_line == target else len(line)
            spans.append((first, last))
    return spans


def _finding(rel_path: str, line_no: int, det: Detector, secret: str, column: int) -> Finding:
    rule = det.rule
    secret_type = det.plugin.secret_type
    return Finding(
        rule_id=rule.id,
        rule_name=rule.name,
        path=rel_path,
        span=Span(line_no, column + 1, line_no, column + 1 + len(secret)),
        severity=rule.severity,
        kind=rule.kind,
        service=rule.service,
        message=f"{rule.title}: {secret_type}",
        evidence=redact(secret),
        secret_hash=secret_hash(secret),
        fields={"detector": secret_type, "plugin": det.name},
    )
