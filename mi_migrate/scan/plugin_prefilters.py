"""The detect-secrets plugins' prefilters: for each plugin a necessary condition for a match, read off its own
regexes in detect-secrets 1.5.0 (literals a match holds, a run of its secret's alphabet, a value-shaped anchor
for the candidate pass). Data only: mi_migrate.scan.third_party runs the plugins, mi_migrate.scan.candidates
puts the anchors and literals in its database."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass


@dataclass(frozen=True)
class Prefilter:
    """A necessary condition for a plugin match, derived from its regexes.

    `literals`: one occurs in the line (lower-cased unless `case_sensitive`); `run`: the line holds at least n
    consecutive characters of a class (the plugin's secret body); `also`: a further lower-case literal.
    Candidate lines are found by `run` when given (rarer), else by the literals.
    """

    literals: tuple[str, ...] = ()
    run: tuple[str, int] | None = None
    also: str | None = None
    case_sensitive: bool = False
    # A value-shaped necessary condition for a whole file (bytes regex, hyperscan and `re` syntax alike), found by
    # the candidate pass (mi_migrate.scan.candidates); `anchor_skips_config`: not applied to config files, whose
    # unquoted values _variants() quotes before the plugin sees them.
    anchor: bytes | None = None
    anchor_skips_config: bool = False
    # Words the plugin's own line test requires (KeywordDetector's DENYLIST), as a bytes regex on the text with
    # each non-ASCII character as one "?": candidate lines are those where it matches, found in one pass.
    line_words: bytes | None = None
    # The anchor on that text, when it never reaches across a line break: lines where it matches (a narrower
    # set than line_words gives) are the candidates, where no character folds to an ASCII letter (see gated_starts)
    line_shape: bytes | None = None


# The non-ASCII characters a caseless ASCII test cannot account for: `(?i)` reads the dotless i and the long s as
# i and s; lower() makes the Kelvin sign a k and the capital I with a dot an i (with a combining dot, one more
# character). Where one occurs, a byte test on the text stands aside for the slower exact one.
FOLDS_TO_ASCII = ("\u0130", "\u0131", "\u017f", "\u212a")

SECRET_WORDS = ("key", "pass", "pwd", "secret", "token", "auth", "credential", "private", "signature")

# Pieces of the anchors below. The plugins run Python `str` regexes on one line at a time: `\s` may be any
# Unicode space and `\w` any Unicode letter, so in bytes those classes take every byte >= 0x80 too (wider is
# safe: an anchor may say yes too often, never no too often). Case-insensitive plugins get `(?i)` anchors.
_WS = rb"[\t\x0b\x0c\r \x1c-\x1f\x80-\xff]*"
_W = rb"[A-Za-z0-9_\x80-\xff]"
_DENY = (rb"(?:api_?key|auth_?key|service_?key|account_?key|db_?key|database_?key|priv_?key|private_?key"
         rb"|client_?key|db_?pass|database_?pass|key_?pass|password|passwd|pwd|secret|contrase(?:\xc3[\xb1\x91]|n)a)")
# detect-secrets' build_assignment_regex: keyword, optional quote and bracket, spaces, an assignment, spaces,
# an optional quote, then the secret
_ASSIGN = rb"['\"]?\]? *(?:=|:|:=|=>| +|::) *['\"]?"
_ASSIGN_KEYWORD = rb"(?:key|pwd|pw|password|pass|token)" + _ASSIGN


def _secret_word_line(value: bytes) -> bytes:
    """A line holding a secret word and `value`, in either order (the entropy plugins' keyword adjacency)."""
    words = rb"(?:" + b"|".join(w.encode() for w in SECRET_WORDS) + rb")"
    words = rb"(?i:" + words + rb")"
    return words + rb"[^\n]*(?:" + value + rb")|(?:" + value + rb")[^\n]*" + words


def _on_ascii_text(expression: bytes) -> bytes:
    """`expression` (built from the pieces above) for text with each non-ASCII character as one "?": the classes
    that take every byte >= 0x80 take "?" instead, and the ñ of contraseña is a "?"."""
    return expression.replace(rb"\x80-\xff", b"?").replace(rb"\xc3[\xb1\x91]", rb"\?")


# its secret is exactly 44 characters of the class (`(?![a-zA-Z0-9_\-])` after them): a longer run is none
_IBM_IAM_SHAPE = rb"(?i:" + _ASSIGN_KEYWORD + rb"[a-zA-Z0-9_\-]{44}(?:[^a-zA-Z0-9_\-]|\Z))"
# ArtifactoryDetector's `(?:\s|=|:|"|^)AKC[a-zA-Z0-9]{10,}(?:\s|"|$)` and its AP form (whose `\d` takes any Unicode
# digit) on the text with each non-ASCII character as one "?" (a Unicode space or digit is a "?"). Only the
# candidate lines use it: as a file anchor in the candidate database it changed how hyperscan compiled the
# whole, which then missed KeywordDetector's anchor on long quoted values (tests/test_engine_anchors.py).
_ARTIFACTORY_TOKEN_LINE = (rb"(?:^|[=:\"\t\n\x0b\x0c\r \x1c-\x1f?])(?:AKC[a-zA-Z0-9]{10,}|AP[0-9A-F?][a-zA-Z0-9]{8,})"
                           rb"(?:[\"\t\n\x0b\x0c\r \x1c-\x1f?]|$)")
# KeywordDetector: a DENYLIST word then an assignment or comparison, a call on a string (`password("…")`), or a
# quoted value ending in `;` later on the line; or a quoted value compared with one: the shapes of the plugin's
# regexes (keyword.py). No part reaches across a line break.
_KEYWORD_SHAPE = (
    rb"(?i:" + _DENY + _W + rb"*(?:[\]'\"]{0,2}" + _WS
    + rb"[:=!\[]|(?:[^\n]assign)?\(\"|[^\n]*['\"`][^\n]*['\"`];)|['\"`]" + _WS + rb"[!=]{2,3}" + _WS
    + _W + rb"*" + _DENY + rb")"
)


# The entropy plugins' alphabets (HighEntropyStringsPlugin's charset; tests/test_third_party.py holds them to the
# installed plugins). The base64 one holds a backslash. Their run classes and file anchors are made from these.
ENTROPY_CHARSETS = {
    "Base64HighEntropyString": string.ascii_letters + string.digits + "+/" + "\\-_" + "=",
    "HexHighEntropyString": string.hexdigits,
}


def byte_class(charset: str) -> bytes:
    """`charset` (ASCII) as one bytes-regex class, every member hex-escaped."""
    return b"[" + b"".join(b"\\x%02x" % ord(char) for char in sorted(set(charset))) + b"]"


def _quoted_run(charset: str, n: int) -> bytes:
    """A quoted string of at least n characters of `charset`, all of it: `(['"])([charset]+)\\1` long enough."""
    chars = byte_class(charset)
    return rb'"' + chars + rb"{%d,}\"|'" % n + chars + rb"{%d,}'" % n


RUN_CLASSES = {
    "word": string.ascii_letters + string.digits + "_-",
    "b64": ENTROPY_CHARSETS["Base64HighEntropyString"],
    "hex": ENTROPY_CHARSETS["HexHighEntropyString"],
    "alnum": string.ascii_letters + string.digits,
    "lowdigit": string.ascii_lowercase + string.digits,
}
# Derived from each plugin's regexes in detect-secrets 1.5.0; a plugin not listed here runs on every line.
PREFILTERS: dict[str, Prefilter] = {
    "AWSKeyDetector": Prefilter(
        ("akia", "asia", "abia", "acca", "a3t", "aws"),
        anchor=rb"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}|(?i:aws)[^\n]*['\"][0-9a-zA-Z/+]{40}['\"]"),
    "ArtifactoryDetector": Prefilter(  # candidate lines: a whole token (the file anchor stays the bare shape)
        ("AKC", "AP"), case_sensitive=True, anchor=rb"AKC[a-zA-Z0-9]{10}|AP(?:[0-9A-F]|[\x80-\xff]{2,4})[a-zA-Z0-9]{8}",
        line_shape=_ARTIFACTORY_TOKEN_LINE),
    "BasicAuthDetector": Prefilter(("://",), also="@", anchor=rb"://[^{}\s]+:[^{}\s]+@"),
    "CloudantDetector": Prefilter(  # 64 hex digits or 24 letters: both alnum runs
        ("cl",), ("alnum", 24),
        anchor=rb"(?i:(?:cl|clou|cloudant)[_-]?(?:api)?[_-]?" + _ASSIGN_KEYWORD + rb"(?:[0-9a-f]{64}|[a-z]{24})"
        rb"|https?://[\w\-]+:(?:[0-9a-f]{64}|[a-z]{24})@)"),
    "DiscordBotTokenDetector": Prefilter(
        run=("word", 27), anchor=rb"[MNO][a-zA-Z0-9_-]{23,25}\.[a-zA-Z0-9_-]{6}\.[a-zA-Z0-9_-]{27}"),
    "GitHubTokenDetector": Prefilter(("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    "GitLabTokenDetector": Prefilter(
        (
            "glpat-",
            "gldt-",
            "glft-",
            "glsoat-",
            "glrt-",
            "gr1348941",
            "glcbt-",
            "glimt-",
            "glptt-",
            "glagent-",
            "gloas-",
        )
    ),
    "IbmCloudIamDetector": Prefilter(  # its build_assignment_regex: spaces only, so the anchor is one line's
        ("key", "pwd", "pass", "token"), ("word", 44), anchor=_IBM_IAM_SHAPE, line_shape=_IBM_IAM_SHAPE),
    "IbmCosHmacDetector": Prefilter(
        ("secret",), ("hex", 48), anchor=rb"(?i:secret[-_]?(?:access)?[-_]?key" + _ASSIGN + rb"[a-f0-9]{48})"),
    "JwtTokenDetector": Prefilter(("eyj",)),
    "KeywordDetector": Prefilter(
        ("key", "pass", "pwd", "secret", "contrase"),  # every DENYLIST word holds one
        anchor=_KEYWORD_SHAPE,
        # on text encoded with "?" for every non-ASCII character (its ñ is a "?")
        line_words=rb"(?i:" + _on_ascii_text(_DENY) + rb")",
        line_shape=_on_ascii_text(_KEYWORD_SHAPE)),
    "MailchimpDetector": Prefilter(("-us",), anchor=rb"[0-9a-z]{32}-us[0-9]"),
    "NpmDetector": Prefilter(("_authtoken",)),
    "OpenAIDetector": Prefilter(("t3blbkfj",)),
    "PrivateKeyDetector": Prefilter(("private key", "putty-user-key-file-2")),
    "PypiTokenDetector": Prefilter(("pypi-age",)),
    "SendGridDetector": Prefilter(("sg.",)),
    "SlackDetector": Prefilter(("xox", "hooks.slack.com")),
    "SoftlayerDetector": Prefilter(  # `sl_api_key = …` or the API URL (api.softlayer.com/soap/v3/…)
        ("sl", "softlayer"), ("alnum", 64),
        anchor=rb"(?i:(?:softlayer|sl)[_-]?(?:api)?[_-]?" + _ASSIGN_KEYWORD + rb"[a-z0-9]{64}"
        rb"|api.softlayer.com/soap/v3)"),
    "SquareOAuthDetector": Prefilter(("sq0csp-",)),
    "StripeDetector": Prefilter(("k_live_",)),
    "TelegramBotTokenDetector": Prefilter(run=("word", 35), anchor=rb"[0-9]{8,10}:[0-9A-Za-z_-]{35}"),
    "TwilioKeyDetector": Prefilter(
        ("AC", "SK"), ("lowdigit", 32), case_sensitive=True, anchor=rb"(?:AC|SK)[a-z0-9]{32}"),
    # Shannon entropy of n characters is at most log2(n): > 4.5 needs n >= 23, > 3.0 needs n >= 9.
    # Entropy alone flags every hash, id and data URI (detect-secrets reports 139,663 of them on the benchmark
    # corpus); mi-migrate only reports keyword-adjacent high-entropy strings: a secret word on the same line.
    # Outside config files both look only at quoted strings of their alphabet (`(['"])([charset]+)\1`).
    "Base64HighEntropyString": Prefilter(
        SECRET_WORDS, ("b64", 23),
        anchor=_secret_word_line(_quoted_run(ENTROPY_CHARSETS["Base64HighEntropyString"], 23)),
        anchor_skips_config=True),
    "HexHighEntropyString": Prefilter(
        SECRET_WORDS, ("hex", 9), anchor=_secret_word_line(_quoted_run(ENTROPY_CHARSETS["HexHighEntropyString"], 9)),
        anchor_skips_config=True),
}

# The entropy plugins' own quoted-string regexes and default limits (HighEntropyStringsPlugin: `(['"])([charset]+)\1`;
# tests/test_third_party.py holds them to the installed plugins): enough to tell, without importing
# detect-secrets, that a line holds no value either plugin could report.
ENTROPY_LIMITS = {"Base64HighEntropyString": 4.5, "HexHighEntropyString": 3.0}
ENTROPY_QUOTED = {name: re.compile(rf'([\'"])([{re.escape(charset)}]+)(\1)')
                  for name, charset in ENTROPY_CHARSETS.items()}
# detect-secrets' is_lock_file names (its filter skips these for every plugin)
LOCK_FILE_NAMES = frozenset({
    "Brewfile.lock.json", "Cartfile.resolved", "composer.lock", "Gemfile.lock", "Package.resolved",
    "package-lock.json", "Podfile.lock", "yarn.lock", "Pipfile.lock", "poetry.lock", "Cargo.lock",
    "packages.lock.json",
})
