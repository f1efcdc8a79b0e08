"""Values that look like a secret's slot but are not a secret: templates, references, deploy-time values."""

from __future__ import annotations

import itertools
import re

_TEMPLATE = re.compile(
    r"""
      <[^<>]{1,80}>                     # <your-key>
    | \$\{[^{}]{1,80}\}                 # ${VAR}
    | \$\([^()]{1,80}\)                 # $(VAR)  (Azure Pipelines, make)
    | %[A-Za-z_][A-Za-z0-9_]{0,80}%     # %VAR%
    | \{\{[^{}]{0,80}\}\}               # {{ var }}
    | \{[A-Za-z_][\w .-]{0,60}\}        # {key}  (str.format slots, docs)
    | \#\{[^{}]{1,80}\}\#?              # #{token}# (Octopus/replace-tokens)
    | __[A-Z0-9_]{2,80}__               # __TOKEN__
    | «[^«»]{1,40}»                     # «b64:64»: mi-migrate's own fake-key tokens in rule examples
    | …                                 # elided in prose: "sk_live_…"
    | @Microsoft\.KeyVault\(            # Key Vault reference
    | \blistKeys\(                      # Bicep/ARM, filled at deploy time
    | \blistConnectionStrings\(
    | \.primary_(?:access_key|connection_string|key)\b   # Terraform attribute reference
    | \.secondary_(?:access_key|connection_string|key)\b
    | ^\$[A-Za-z_][A-Za-z0-9_]*$        # $VAR
    """,
    re.VERBOSE,
)
_WORDS = re.compile(
    r"(?i)(?:your|my|<|>|placeholder|replace|example|sample|dummy|changeme|change_me|insert|redacted|"
    r"todo|fixme|secret_here|key_here|here)"
)
_MARKED_FAKE = re.compile(r"(?i)fake|notreal|not_a_real|test-?key")


def is_templated(value: str) -> bool:
    """A template or reference that is filled elsewhere: ${VAR}, <your-key>, listKeys(...), Key Vault refs."""
    return bool(_TEMPLATE.search(value))


def is_low_variety(value: str) -> bool:
    """xxxx…, 0000…, one repeated character, or a run of at most three distinct characters."""
    core = value.rstrip("=")
    if not core:
        return True
    if len(set(core)) <= 3:
        return True
    lowered = core.lower()
    return any(lowered.count(ch * 6) and lowered.replace(ch, "") == "" for ch in set(lowered)) or bool(
        re.fullmatch(r"(?i)(?:x|\*|0|\.|-|_)+", core)
    )


_SAME_RUN = re.compile(r"(.)\1{6,}")  # seven or more of one character: a random key has none


def _run_lengths(core: str) -> list[int]:
    """Lengths of the ascending or descending runs (`abcd`, `9876`: consecutive code points) covering `core`."""
    runs, length, step = [], 1, 0
    for prev, cur in itertools.pairwise(core):
        delta = ord(cur) - ord(prev)
        if delta in (1, -1) and (step in (0, delta)):
            length, step = length + 1, delta
            continue
        runs.append(length)
        length, step = (2, delta) if delta in (1, -1) else (1, 0)
    runs.append(length)
    return runs


def is_sequence(value: str) -> bool:
    """Typed, not generated: `1234567890abcdef…`, `abcdefg0123456789`, a repeated block, a long run of one
    character (a key overwritten part-way: `…888888888`). Random key material has none of these; the
    thresholds keep a real 32-hex or 88-base64 key's chance of tripping them below one in a million."""
    core = value.strip().rstrip("=")
    if len(core) < 8:
        return False
    if _SAME_RUN.search(core):
        return True
    if len(core) > 160:  # longer than any key: the shape checks decide (and this stays cheap per anchor)
        return False
    lowered = core.lower()
    for size in range(2, len(lowered) // 2 + 1):  # `abcdabcd…`, `1234567890abcdef1234567890abcdef`
        block = lowered[:size]
        if (block * (len(lowered) // size + 1)).startswith(lowered):
            return True
    runs = _run_lengths(lowered)
    if max(runs) >= 8:
        return True
    if sum(1 for n in runs if n >= 4) >= 3:  # `1Ab234…ijkl…Stuw…`: typed (random keys: at most 2 in 400,000)
        return True
    return sum(n for n in runs if n >= 4) * 2 >= len(lowered)


_LEET = str.maketrans({"@": "a", "4": "a", "$": "s", "5": "s", "0": "o", "3": "e", "1": "l", "!": "i"})
_SPELLS_PASSWORD = re.compile(r"pa(?:ss|as|sa|aa)wor?d")
_DEMO_RUN = re.compile(r"abc123|123abc|qwerty|letmein")


def is_demo_value(value: str) -> bool:
    """A value a human typed to look like a secret: it spells "password" (`JumpboxAdminP@ssw0rd1234!`,
    `a987REALLY#$%TRONGpa44w0rd`) or holds a keyboard demo run (`…ABC123`). Generated secrets almost never do
    (measured: under 1 in 100,000 random 32-hex and 88-base64 keys)."""
    lowered = value.lower()
    return bool(_DEMO_RUN.search(lowered) or _SPELLS_PASSWORD.search(lowered.translate(_LEET)))


def is_placeholder_word(value: str) -> bool:
    """YOUR_KEY, <key>, REPLACE_ME, example: words a human put where a key goes."""
    if _WORDS.search(value) and re.fullmatch(r"[A-Za-z_\- <>.]+", value):
        return True
    return bool(re.fullmatch(r"[A-Z][A-Z0-9_]*(?:KEY|SECRET|PASSWORD|TOKEN|SAS|STRING)[A-Z0-9_]*", value))


def is_placeholder(value: str) -> bool:
    """Any of the above: not an embedded secret."""
    value = value.strip().strip("'\"")
    if len(value) > 512:  # longer than any key; a shape check decides, not the placeholder heuristics
        return False
    return (
        not value or is_templated(value) or is_low_variety(value) or is_placeholder_word(value) or is_sequence(value)
        or is_demo_value(value)
    )


def is_marked_fake(value: str) -> bool:
    """Values that say of themselves that they are fake (used only for passwords, which have no shape)."""
    return bool(_MARKED_FAKE.search(value))
