"""Redaction and hashing: the only way a secret value may appear in any output.

At most a short prefix, the length and a hash prefix are shown, so a reader can tell two findings apart and
match them against the real value they hold, but cannot recover it. Redacting whatever the scanner recognises in a
text runs the scanner, so it lives above: mi_migrate.scan.redact_text.
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
    """Stable id of a finding; a file name that is not UTF-8 (surrogate escapes from the file system) hashes by
    its original bytes instead of failing the whole output."""
    return hashlib.sha256(f"{rule_id}\0{path}\0{value_hash}".encode("utf-8", "surrogateescape")).hexdigest()[:32]
