"""Bare keys: shape checks (decoded length, alphabet), context words, emulator keys and local hosts.

A bare 88-character base64 string is only a storage key when it decodes to exactly 64 bytes and something
nearby says so; 32 hex characters are only an API key next to `api_key`, `openai`, `search`, … — never an MD5.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from urllib.parse import unquote

from mi_migrate.scan.memory import Memory
from mi_migrate.scan.validators.base import FILE_GATES, MatchContext, Verdict, register
from mi_migrate.scan.validators.placeholders import is_placeholder

# sha256 of the public, documented emulator keys (Azurite/Storage Emulator, Cosmos DB emulator). Kept as hashes
# so that this file itself holds no key-shaped literal.
EMULATOR_KEY_HASHES = {
    # mi-migrate: ignore[AZ304]
    "0011cc25eb4320717494d2703e8cba85743e71b500283c21c8b88147992f9059": "Azurite / Storage Emulator",
    # mi-migrate: ignore[AZ304]
    "aa6547439583c3a275d4542a0df6c1ad6a863971be9f2a2220f027cc02aef615": "Cosmos DB emulator",
}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]", "host.docker.internal", "azurite")
_HASH_CONTEXT = re.compile(
    r"(?i)(?:md5|sha-?1|sha-?256|sha-?512|hash|checksum|digest|etag|integrity|fingerprint|commit|revision|"
    r"\brev\b|uuid|guid|nonce|object_?id|(?:\b|_)ids?(?:\b|_)|trace|span|correlation|build)"
)
_LOCK_NAMES = (r"[^/]*\.lock|package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|yarn\.lock|poetry\.lock|"
               r"Pipfile\.lock|go\.sum")
# Package managers' lock files: every base64 or hex run in them is a digest of a package
LOCK_FILE = re.compile(rf"(?:^|/)(?:{_LOCK_NAMES})$")
LOCK_OR_BUNDLE = re.compile(rf"(?:^|/)(?:{_LOCK_NAMES}|[^/]*\.min\.(?:js|css)|[^/]*\.map)$")


def decodes_to(value: str, n_bytes: int) -> bool:
    """True if value is standard base64 of exactly n_bytes (the check that rejects most look-alikes)."""
    value = value.strip()
    if len(value) != 4 * ((n_bytes + 2) // 3):
        return False
    try:
        return len(base64.b64decode(value, validate=True)) == n_bytes
    except (binascii.Error, ValueError):
        return False


_PRINTABLE = frozenset(range(0x20, 0x7F)) | {0x09, 0x0A, 0x0D}


def decodes_to_text(value: str) -> bool:
    """True if value is base64 (standard or URL-safe, URL-encoded or not) of printable text: `dGVzdC1…` is
    "test-account-key", typed by a person. Key material is random bytes: 64 random bytes are all printable with
    probability (97/256)^64 ≈ 1e-27, and even 90% printable (the threshold) is as unlikely."""
    text = unquote(value.strip())
    core = text.rstrip("=")
    if len(core) < 16 or not re.fullmatch(r"[A-Za-z0-9+/_\-]+", core):
        return False
    try:
        raw = base64.b64decode(core.replace("-", "+").replace("_", "/") + "=" * (-len(core) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return bool(raw) and sum(byte in _PRINTABLE for byte in raw) * 10 >= len(raw) * 9


def is_key_material(value: str, n_bytes: int | list[int] | tuple[int, ...]) -> bool:
    """Base64 of exactly n_bytes (one of them) that is random, not a placeholder, a typed sequence or text."""
    sizes = n_bytes if isinstance(n_bytes, (list, tuple)) else [n_bytes]
    return (
        any(decodes_to(value, n) for n in sizes)
        and not is_placeholder(value)
        and not is_emulator_key(value)
        and not decodes_to_text(value)
    )


def _is_identifiable(value: str) -> bool:
    """Identifiable keys are decided by their signature and checksum, never by what their bytes look like."""
    from mi_migrate.scan.validators import identifiable

    return identifiable.identify(value, strict=False) is not None


def is_emulator_key(value: str) -> bool:
    return emulator_name(value) is not None


@functools.lru_cache(maxsize=1 << 14)
def emulator_name(value: str) -> str | None:
    """Kept per value: every 88-character match asks, and a lock file's hashes recur in each of its versions."""
    return EMULATOR_KEY_HASHES.get(hashlib.sha256(value.strip().encode()).hexdigest())


def is_local_host(host: str) -> bool:
    host = host.lower()
    return host in LOCAL_HOSTS or host.startswith(("127.", "localhost")) or host.endswith((".local", ".localhost"))


def _context_ok(ctx: MatchContext) -> bool:
    """Options `context` (regex that must occur nearby) and `not_context` (regex that must not)."""
    before = int(ctx.options.get("before", 120))
    after = int(ctx.options.get("after", 40))
    return _window_ok(ctx.options.get("context") or "", ctx.options.get("not_context") or "",
                      ctx.window(before, after))


_WINDOW_MEMO = Memory(8 << 20)


def _window_ok(context: str, not_context: str, window: str) -> bool:
    """The context test on one window, kept for windows seen again: a lock file's hashes recur in every version
    of it in history, each costing two case-insensitive searches."""
    key = (context, not_context, window)
    ok = _WINDOW_MEMO.get(key)
    if ok is None:
        ok = (not context or _nocase(context).search(window) is not None) and not (
            not_context and _nocase(not_context).search(window) is not None)
        _WINDOW_MEMO.keep(key, ok, len(window))
    return bool(ok)


@functools.cache
def _nocase(source: str) -> re.Pattern[str]:
    return re.compile(source, re.IGNORECASE)


def _secret(ctx: MatchContext) -> tuple[str, int, int]:
    group = "secret" if "secret" in ctx.match.re.groupindex else 0
    return ctx.match.group(group), ctx.match.start(group), ctx.match.end(group)


@register("base64_key")
def base64_key(ctx: MatchContext) -> Verdict | None:
    """A key that must decode to `bytes` bytes (64 for storage/Cosmos, 32 for Service Bus/Redis/SignalR)."""
    secret, start, end = _secret(ctx)
    # the context regexes first: cheap, and they turn away most look-alikes (a lock file's sha512 hashes)
    if not _context_ok(ctx) or not is_key_material(secret, ctx.options.get("bytes", [64])):
        return None
    return Verdict(secret, start, end, {"key_format": "legacy"})


# An identifier that carries hex or alphanumerics: `eval_67ab…`, `asst_…`, `file-…`, `thread_…`, `batch_…` (a word
# and `_`/`-` before the value), or a path segment (`/files/67ab…/content`). A key stands alone.
_ID_PREFIX = re.compile(r"(?:^|[^A-Za-z0-9])[A-Za-z][A-Za-z0-9]{0,30}[_-]$|[^/]/$")  # `//` opens user-info, not a path
_ID_SUFFIX = re.compile(r"[_-][A-Za-z0-9]")


def is_inside_identifier(text: str, start: int, end: int) -> bool:
    """The value at text[start:end] continues an identifier (`word_<value>`, `word-<value>`, `<value>_v2`) or is
    a URL path segment, rather than standing alone as a key does."""
    return bool(_ID_PREFIX.search(text, max(0, start - 32), start)) or bool(_ID_SUFFIX.match(text, end))


FILE_GATES["context_key"] = LOCK_OR_BUNDLE  # context_key below rejects these first


@register("context_key")
def context_key(ctx: MatchContext) -> Verdict | None:
    """A value with no checksum or fixed length (32 hex, 52 alnum): accepted only with context words nearby.

    Options: `reject_identifiers` (default true) drops values inside identifiers or URL paths; `not_text` drops
    base64 that decodes to printable text (for base64 key shapes)."""
    secret, start, end = _secret(ctx)
    if ctx.options.get("url_decode", False):  # `%2F`, `%2B`, `%3D` in a URL: the key is the decoded value
        secret = unquote(secret)
    if is_placeholder(secret) or LOCK_OR_BUNDLE.search(ctx.filename) or not _context_ok(ctx):
        return None
    if ctx.options.get("reject_identifiers", True) and is_inside_identifier(ctx.text, start, end):
        return None
    if ctx.options.get("not_text", False) and decodes_to_text(secret) and not _is_identifiable(secret):
        return None
    if ctx.options.get("reject_hash_context", True):
        line_start = ctx.text.rfind("\n", 0, start) + 1
        line_end = ctx.text.find("\n", end)
        line = ctx.text[line_start : line_end if line_end != -1 else len(ctx.text)]
        if _HASH_CONTEXT.search(line.replace(secret, "")):
            return None
    if secret.isdigit() or (secret.isalpha() and len(set(secret)) < 10):
        return None
    if len(set(secret)) < int(ctx.options.get("min_distinct", 8)):
        return None
    return Verdict(secret, start, end, {"key_format": "legacy"})


@register("emulator")
def emulator(ctx: MatchContext) -> Verdict | None:
    """The public emulator keys and switches: reported as notes, never as leaks."""
    text = ctx.match.group(0)
    name = emulator_name(text)
    if "secret" in ctx.match.re.groupindex and ctx.match.group("secret"):
        name = emulator_name(ctx.match.group("secret"))
        if name is None:
            return None
    elif name is None:
        lowered = text.lower()
        if "usedevelopmentstorage" in lowered:
            name = "Azurite / Storage Emulator"
        elif "usedevelopmentemulator" in lowered:
            name = "Service Bus / Event Hubs emulator"
        else:
            return None
    secret = ctx.match.group("secret") if "secret" in ctx.match.re.groupindex and ctx.match.group("secret") else ""
    start = ctx.match.start("secret") if secret else ctx.match.start()
    end = ctx.match.end("secret") if secret else ctx.match.end()
    return Verdict(secret, start, end, {"emulator": name},
                   message=f"{name} development credential (public, not a secret)")


@register("instrumentation_key")
def instrumentation_key(ctx: MatchContext) -> Verdict | None:
    """Application Insights keys identify where telemetry goes; they are not secrets."""
    return Verdict("", ctx.match.start(), ctx.match.end(), {"setting": "InstrumentationKey"})
