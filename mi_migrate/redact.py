"""Redaction and hashing: the only way a secret value may appear in any output.

At most a short prefix, the length and a hash prefix are shown, so a reader can tell two findings apart and
match them against the real value they hold, but cannot recover it.
"""

from __future__ import annotations

import hashlib

PREFIX_CHARS = 4


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def redact(secret: str) -> str:
    """`Ab12…(88 chars, sha256:1a2b3c4d)`; short secrets show no prefix at all."""
    digest = secret_hash(secret)[:8]
    prefix = secret[:PREFIX_CHARS] if len(secret) >= 16 else ""
    return f"{prefix}…({len(secret)} chars, sha256:{digest})"


def redact_in(text: str, secret: str) -> str:
    """Replace every occurrence of `secret` in `text` by its redacted form."""
    if not secret:
        return text
    return text.replace(secret, redact(secret))


def fingerprint(rule_id: str, path: str, value_hash: str) -> str:
    return hashlib.sha256(f"{rule_id}\0{path}\0{value_hash}".encode()).hexdigest()[:32]


def redact_secrets(text: str, path: str = "diff.txt") -> str:
    """`text` with every secret the scanner recognises (Azure rules and detect-secrets' detectors) replaced by
    its redacted form: for output that quotes source code, such as `fix --diff`."""
    from mi_migrate import engine, third_party
    from mi_migrate.rules import load_rules

    index = engine.LineIndex.of(text)
    rules = tuple(load_rules())
    findings = engine.scan_text(path, text, [r for r in rules if r.patterns], index)
    findings += third_party.scan(path, text, text.lower().encode("utf-8", "replace"), rules)
    spans = []
    for finding in findings:
        if not finding.secret_hash:
            continue
        start = index.starts[finding.span.line - 1] + finding.span.column - 1
        end = index.starts[finding.span.end_line - 1] + finding.span.end_column - 1
        if 0 <= start < end <= len(text):
            spans.append((start, end))
    for start, end in sorted(set(spans), reverse=True):
        text = text[:start] + redact(text[start:end]) + text[end:]
    return text
