"""Generated, obviously fake credentials for rule examples, tests and benchmarks.

Rule files and tests never hold key-shaped literals: they write tokens such as «b64:64» and this module
expands them. Every generated key starts with FAKE (or fake, for hex) so a human reading a fixture knows at
once, and the project's own scan stays clean. Importing this module registers every kind (the third-party
kinds and the identifiable keys included); nothing in the scanner imports it.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
from collections.abc import Callable

from mi_migrate.scan.validators.identifiable import fake_key

TOKEN = re.compile(r"«([a-z0-9_]+)(?::([^»]*))?»")
B64_ALPHABET = string.ascii_letters + string.digits + "+/"
ALNUM = string.ascii_letters + string.digits
BASE32_ALPHABET = string.ascii_lowercase + "234567"


def fake_base64_key(n_bytes: int, rng: random.Random) -> str:
    """Base64 of exactly n_bytes whose text starts with FAKE; it decodes to the right length."""
    raw = bytearray(rng.randbytes(n_bytes))
    marker = base64.b64decode("FAKEFAKE")  # 6 bytes that encode to "FAKEFAKE"
    raw[: len(marker)] = marker
    return base64.b64encode(bytes(raw)).decode()


def fake_hex(n_chars: int, rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789abcdef") for _ in range(n_chars - 4))  # mi-migrate: ignore[AZ304]
    return "fa4e" + body  # "fa4e" reads as "fake"; hex only


def fake_alnum(n_chars: int, rng: random.Random) -> str:
    return "FAKE" + "".join(rng.choice(ALNUM) for _ in range(n_chars - 4))


def fake_entra_secret(rng: random.Random) -> str:
    """Shape of an Entra client secret: 3 chars, a digit, Q~, 34 more."""
    tail = "".join(rng.choice(ALNUM + "_~.-") for _ in range(30))
    return "FAK8Q~FAKE" + tail


def fake_password(rng: random.Random) -> str:
    """A password-shaped value for SQL/Redis examples: obviously fake, not a placeholder."""
    return "FAKE-" + "".join(rng.choice(ALNUM) for _ in range(10)) + "!9"


def fake_base32(n_chars: int, rng: random.Random) -> str:
    return "fake" + "".join(rng.choice(BASE32_ALPHABET) for _ in range(n_chars - 4))


# The two public emulator keys (documented by Microsoft), stored reversed so that no file of ours holds a
# key-shaped literal; used to test that they are reported as notes only.
_EMULATOR_KEYS_REVERSED = {
    # mi-migrate: ignore[AZ304]
    "azurite": "==wGMGoskeBHBK/rtOTPFZS1K/qt6I4zCrEVU2qFusFI6ZRSu05TFzUO1JXDCltEmlLPJwUqlFqcONx20Mdv8ybE",
    # mi-migrate: ignore[AZ304]
    "cosmos": "==wJ/wIX76yQGacEsMyqnZIbMPyGGm8b4DboqTVuDn9Qn2ED5UDQ4+MLHEWIJDRV03vgC7A8N0bo+R/5fjDy6y2C",
}


def emulator_key(name: str) -> str:
    return _EMULATOR_KEYS_REVERSED[name][::-1]


GENERATORS: dict[str, Callable[[str, random.Random], str]] = {
    "b64": lambda arg, rng: fake_base64_key(int(arg or 64), rng),
    "hex": lambda arg, rng: fake_hex(int(arg or 32), rng),
    "alnum": lambda arg, rng: fake_alnum(int(arg or 52), rng),
    "entra": lambda arg, rng: fake_entra_secret(rng),
    "base32": lambda arg, rng: fake_base32(int(arg or 52), rng),
    "emulator": lambda arg, rng: emulator_key(arg),
    "password": lambda arg, rng: fake_password(rng),
}


def register(kind: str, generator: Callable[[str, random.Random], str]) -> None:
    GENERATORS[kind] = generator


def expand(text: str, seed: int = 1) -> str:
    """Replace every «kind:arg» token with a generated fake value (deterministic for a given seed)."""
    rng = random.Random(seed)

    def one(match: re.Match[str]) -> str:
        kind, arg = match.group(1), match.group(2) or ""
        try:
            return GENERATORS[kind](arg, rng)
        except KeyError:
            raise ValueError(f"unknown fake token «{kind}»") from None

    return TOKEN.sub(one, text)


# Fake values for rule examples and tests («aws_key_id», «stripe», …): generated, never stored as literals.
UPPER_DIGITS = string.ascii_uppercase + string.digits
LOWER_DIGITS = string.ascii_lowercase + string.digits


def _pick(alphabet: str, n: int, rng: random.Random) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _fake_jwt(rng: random.Random) -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps({"sub": "fake-" + _pick(LOWER_DIGITS, 8, rng)}).encode())
    return f"{header}.{payload}.FAKE{_pick(ALNUM, 39, rng)}"


FAKE_KINDS = {
    "aws_key_id": lambda arg, rng: (arg or "AKIA") + "FAKE" + _pick(UPPER_DIGITS, 12, rng),
    "aws_secret": lambda arg, rng: "FAKE" + _pick(ALNUM + "/+", 36, rng),
    "stripe": lambda arg, rng: (arg or "sk") + "_live_FAKE" + _pick(ALNUM, 20, rng),
    "twilio": lambda arg, rng: (arg or "SK") + "fa4e" + _pick(LOWER_DIGITS, 28, rng),
    "github_token": lambda arg, rng: (arg or "ghp") + "_FAKE" + _pick(ALNUM, 32, rng),
    "slack_token": lambda arg, rng: (
        f"xoxb-{_pick(string.digits, 11, rng)}-{_pick(string.digits, 12, rng)}-fake"
        + _pick(LOWER_DIGITS, 20, rng)
    ),
    "sendgrid": lambda arg, rng: f"SG.FAKE{_pick(ALNUM, 18, rng)}.FAKE{_pick(ALNUM, 39, rng)}",
    "pem_header": lambda arg, rng: "-----BEGIN " + ((arg or "RSA") + " ").lstrip() + "PRIVATE" + " KEY-----",
    "jwt": lambda arg, rng: _fake_jwt(rng),
    "letters": lambda arg, rng: "fake" + _pick(string.ascii_lowercase, int(arg or 10) - 4, rng),  # a word-like password
}
for _kind, _generator in FAKE_KINDS.items():
    register(_kind, _generator)


# Identifiable keys (signature + Marvin32 checksum: mi_migrate.scan.validators.identifiable) and legacy keys
# holding / and +.
def fake_slashed_key(n_bytes: int, rng: random.Random, url_encoded: bool = False) -> str:
    """A legacy (non-identifiable) key of n_bytes in base64, starting FAKE and holding `/` and `+` (a Functions or
    Redis key may); url_encoded writes them and the `=` padding as %2F %2B %3D, as a query string may."""
    key = list(fake_base64_key(n_bytes, rng))
    key[12], key[24] = "/", "+"  # any base64 character decodes: still n_bytes
    text = "".join(key)
    return text.replace("/", "%2F").replace("+", "%2B").replace("=", "%3D") if url_encoded else text


register("fnkey", lambda arg, rng: fake_slashed_key(40, rng, url_encoded=arg.upper() == "%2F"))
register("b64slash", lambda arg, rng: fake_slashed_key(int(arg or 32), rng))
register("ident", lambda arg, rng: fake_key(arg, rng))
register("ident_badsum", lambda arg, rng: fake_key(arg, rng, valid=False))
