"""Values that look like a secret's slot but are not a secret: templates, references, deploy-time values."""

from __future__ import annotations

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
    return not value or is_templated(value) or is_low_variety(value) or is_placeholder_word(value)


def is_marked_fake(value: str) -> bool:
    """Values that say of themselves that they are fake (used only for passwords, which have no shape)."""
    return bool(_MARKED_FAKE.search(value))
