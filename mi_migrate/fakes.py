"""Generated, obviously fake credentials for rule examples, tests and benchmarks.

Rule files and tests never hold key-shaped literals: they write tokens such as «b64:64» and this module
expands them. Every generated key starts with FAKE (or fake, for hex) so a human reading a fixture knows at
once, and the project's own scan stays clean.
"""

from __future__ import annotations

import base64
import random
import re
import string
from collections.abc import Callable

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
    _load_plugins()
    rng = random.Random(seed)

    def one(match: re.Match[str]) -> str:
        kind, arg = match.group(1), match.group(2) or ""
        try:
            return GENERATORS[kind](arg, rng)
        except KeyError:
            raise ValueError(f"unknown fake token «{kind}»") from None

    return TOKEN.sub(one, text)


def _load_plugins() -> None:
    # identifiable keys (signature + Marvin32 checksum) register their own generators
    try:
        from mi_migrate.validators import identifiable  # noqa: F401
    except ImportError:
        pass
    from mi_migrate import third_party  # noqa: F401  (third-party fake kinds: «aws_key_id», «stripe», …)
