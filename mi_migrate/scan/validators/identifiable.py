"""Microsoft identifiable keys: a fixed signature plus a Marvin32 checksum, so a match is proven offline.

Layouts follow microsoft/security-utilities (IdentifiableSecrets.cs, IdentifiableMetadata.cs, CASK classes):

* HIS v1: N bytes = random + 3-byte signature + 4-byte little-endian `Marvin32(bytes[:-4], seed)`, base64.
  88 chars (64 bytes: +ASt ACDb +ABa +AMC APIM), 44 (32: +ASb +AEh +ARm AIoT AzCa AZEG), 52 (39: +ACR and
  base62-only AzSe), 56 URL-safe (40: AzFu). The signature sits just before the 6 checksum chars. Seeds tell
  key kinds apart (Service Bus send/listen/manage, IoT hub/DPS/device, Search admin/query...): all are tried.
* CASK: 84 base62 chars (88 long form): 52 random, JQQJ99 (JQQJ9D derived), date, 12 platform and 4 provider-
  reserved chars, provider signature at 76, then Marvin32("Default0") of the 60 bytes chars 0-79 decode to,
  in base62 (older keys: base64), cut to 4 chars (6 long). ACOG's last reserved char names the service.
* Entra `xxx8Q~` secrets end in 3 chars of Marvin32(secret[:-3], "AadPwd00") in a 66-char alphabet.

Fakes (fake_key here; the tokens are registered by mi_migrate.testing.fakes): «ident:NAME» is a valid key,
random part starting FAKE; «ident_badsum:NAME» has a wrong-seed checksum.
NAME: a FORMATS key (storage cosmos batch mlclassic apim servicebus eventhubs relay iothub redis eventgrid acr
search function), optionally "/kind" to pick the seed (servicebus/listen, iothub/dps, search/query,
function/master...); cask_PROVIDER (cask_appconfig fluidrelay eventgrid devops mixedreality maps communication
sql) or cask_SERVICE for ACOG (cask_openai, cask_speech, cask_aiservices...), "/long" for 88 chars; or entra.
"""

from __future__ import annotations

import base64
import binascii
import random
import string
from dataclasses import dataclass

from mi_migrate.core.marvin import checksum_bytes, compute_hash32, seed_from_tag
from mi_migrate.scan.validators.base import MatchContext, Verdict, register

B64 = string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/"
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # Base62.Net order, used for checksums
ALNUM = string.ascii_letters + string.digits
ENTRA_ALPHABET = string.ascii_lowercase + string.ascii_uppercase + "1234567890" + ".-_~"
CASK_SEED = seed_from_tag("Default0")  # IdentifiableSecrets.VersionTwoChecksumSeed
ENTRA_SEED = seed_from_tag("AadPwd00")


@dataclass(frozen=True)
class KeyFormat:
    """One HIS v1 key family: where its signature sits and which seeds may have made its checksum."""

    signature: str
    service: str
    n_bytes: int
    seeds: tuple[tuple[str, str], ...]  # (kind, 8-char seed tag); the first is the generator's default
    url_safe: bool = False
    base62: bool = False  # the encoded key may hold only [A-Za-z0-9]

    @property
    def encoded_length(self) -> int:
        return (self.n_bytes + 2) // 3 * 4

    @property
    def core_length(self) -> int:
        """Encoded length without '=' padding."""
        return (self.n_bytes * 8 + 5) // 6

    @property
    def signature_offset(self) -> int:
        """Chars before the signature: what the random bytes fill, rounded down to whole base64 chars."""
        return (self.n_bytes - 7) * 8 // 6


_MESSAGING = (
    ("send", "Send0000"),
    ("listen", "Listen00"),
    ("manage", "Manage00"),
    ("system", "System00"),
    ("unknown", "Unknown0"),
)
FORMATS: dict[str, KeyFormat] = {
    "storage": KeyFormat("+ASt", "storage", 64, (("account", "Default0"),)),
    "cosmos": KeyFormat(
        "ACDb",
        "cosmos",
        64,
        (
            ("master-read-write", "MastRW00"),
            ("master-read-only", "MastRO00"),
            ("resource", "Resour00"),
            ("system-all", "SysAll00"),
            ("system-read-only", "SystRO00"),
            ("system-read-write", "SystRW00"),
            ("data-encryption", "Encryp00"),
        ),
    ),
    "batch": KeyFormat("+ABa", "batch", 64, (("account", "AbAcct00"),)),
    "mlclassic": KeyFormat("+AMC", "machinelearning", 64, (("classic-web-service", "Classic0"),)),
    "apim": KeyFormat(
        "APIM",
        "apim",
        64,
        (
            ("subscription", "IoTHub00"),
            ("direct-management", "Tenant00"),
            ("gateway", "Gatewy00"),
            ("repository", "GitKey00"),
        ),
    ),
    "servicebus": KeyFormat("+ASb", "servicebus", 32, _MESSAGING),
    "eventhubs": KeyFormat("+AEh", "eventhubs", 32, _MESSAGING),
    "relay": KeyFormat("+ARm", "relay", 32, _MESSAGING),
    "iothub": KeyFormat(
        "AIoT", "iothub", 32, (("hub", "IoTHub00"), ("dps", "DpsKey00"), ("device", "Device00"))
    ),
    "redis": KeyFormat("AzCa", "redis", 32, (("access", "Access00"),)),
    # security-utilities' SEC101/199 uses "SendRecv"; its Rust test vectors were made with "Default0".
    "eventgrid": KeyFormat("AZEG", "eventgrid", 32, (("access", "SendRecv"), ("default", "Default0"))),
    "acr": KeyFormat("+ACR", "acr", 39, (("password", "ACRDflt0"),)),
    "search": KeyFormat("AzSe", "search", 39, (("admin", "PAdmin00"), ("query", "Query000")), base62=True),
    "function": KeyFormat(
        "AzFu",
        "functions",
        40,
        (("function", "Functi00"), ("system", "System00"), ("master", "Master00")),
        url_safe=True,
    ),
}
BY_SIGNATURE: dict[str, KeyFormat] = {fmt.signature: fmt for fmt in FORMATS.values()}
_SEEDS: dict[str, tuple[tuple[str, int], ...]] = {
    fmt.signature: tuple((kind, seed_from_tag(tag)) for kind, tag in fmt.seeds) for fmt in FORMATS.values()
}

# CASK provider signatures (LegacyCaskProviderSignatures.cs) -> (fakes name, service)
CASK_PROVIDERS: dict[str, tuple[str, str]] = {
    "msql": ("sql", "sql"),
    "AZAC": ("appconfig", "appconfig"),
    "AZFR": ("fluidrelay", "fluidrelay"),
    "AZEG": ("eventgrid", "eventgrid"),
    "AZDO": ("devops", "devops"),
    "AZMR": ("mixedreality", "mixedreality"),
    "AZMP": ("maps", "maps"),
    "AZCS": ("communication", "communication"),
    "ACOG": ("cognitive", "cognitiveservices"),
}
# AzureCognitiveService enum order; the letter at offset 75 is B64[index].
COGNITIVE_SERVICES = (
    "aiservices openai anomalydetectoree anomalydetector cognitiveservices computervision contentmoderator"
    " contentsafety customvisionprediction customvisiontraining face formrecognizer healthdecisionsupport"
    " healthinsights immersivereader internalallinone knowledge luisauthoring luis metricsadvisor"
    " personalizer qnamaker qnamakerv2 speakerrecognition speech speechtranslation textanalytics"
    " texttranslation dummy transcriptionintelligence videointelligence bingautosuggest bingautosuggestv7"
    " bingcustomsearch bingcustomvisualsearch bingentitysearch bingsearch bingsearchv7 bingspeech"
    " bingspellcheck bingspellcheckv7"
).split()
CASK_MARKERS = ("JQQJ99", "JQQJ9D")  # standard and derived keys; 'H' (hashed data) is not a credential


@dataclass(frozen=True)
class Identified:
    """What a verified key is: its service, signature, and which seed (key kind) its checksum used."""

    service: str
    signature: str
    kind: str
    family: str  # "his" or "cask"
    checksum: str = "verified"  # "unverified": a CASK key whose structure holds but whose checksum we cannot confirm


def _b64decode(text: str, url_safe: bool) -> bytes | None:
    if url_safe:
        text = text.replace("-", "+").replace("_", "/")
    text = text.rstrip("=")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def to_base62(data: bytes) -> str:
    """Base62.Net's `ToBase62`: the big-endian number in base 62, one '0' per leading zero byte."""
    number = int.from_bytes(data, "big")
    digits = ""
    while number:
        number, rem = divmod(number, 62)
        digits = B62[rem] + digits
    lead = min(len(data) - len(data.lstrip(b"\0")), len(data) - 1)
    return "0" * lead + (digits or "0")


def compute_checksum(data: bytes, seed: int | str) -> bytes:
    """The 4 checksum bytes an identifiable key stores for `data`; `seed` is an int or an 8-char tag."""
    return checksum_bytes(data, seed_from_tag(seed) if isinstance(seed, str) else seed)


def cask_checksum_text(body: bytes, seed: int = CASK_SEED) -> str:
    """The 8 chars (6 + '==') a CASK checksum encodes to: base62, '0'-padded, round-tripped via base64."""
    text = to_base62(checksum_bytes(body, seed))
    return base64.b64encode(base64.b64decode(text + "0" * (6 - len(text)) + "==")).decode()


def _his_identify(key: str, fmt: KeyFormat) -> Identified | None:
    core = key.rstrip("=")
    if any(ch in core for ch in ("+/" if fmt.url_safe else "-_")):
        return None
    if fmt.base62 and not core.isalnum():
        return None
    raw = _b64decode(core, fmt.url_safe)
    if raw is None or len(raw) != fmt.n_bytes:
        return None
    body, stored = raw[:-4], raw[-4:]
    for kind, seed in _SEEDS[fmt.signature]:
        if checksum_bytes(body, seed) == stored:
            return Identified(fmt.service, fmt.signature, kind, "his")
    return None


def _cask_identify(key: str, strict: bool = True) -> Identified | None:
    """CASK keys by structure; `strict=False` also accepts a failing checksum (reported as unverified).

    No published CASK key with a verifiable checksum exists, so the checksum layout here is our best reading
    of the reference source. The structure (JQQJ9 marker, date letter, provider signature, and for ACOG the
    AAA+service letter) is already specific enough that a scanner must not drop a key on the checksum alone.
    """
    if len(key) not in (84, 88) or key[52:58] not in CASK_MARKERS or not key[:84].isalnum():
        return None
    if len(key) == 88 and not (key[84:86].isalnum() and key.endswith("==")):
        return None
    signature = key[76:80]
    provider = CASK_PROVIDERS.get(signature)
    if provider is None or (signature == "ACOG" and len(key) != 84):  # Cognitive Services keys are 84 chars
        return None
    body = _b64decode(key[:80], url_safe=False)
    if body is None or len(body) != 60:
        return None
    written = key[80:].rstrip("=")
    checksum = checksum_bytes(body, CASK_SEED)
    as_base64 = base64.b64encode(checksum[: 4 if len(key) == 88 else 3]).decode()
    verified = cask_checksum_text(body).startswith(written) or as_base64.rstrip("=") == written
    if not verified and strict:
        return None
    service, kind = provider[1], "derived" if key[57] == "D" else "standard"
    if signature == "ACOG":
        index = B64.index(key[75])
        if key[72:75] != "AAA" or index >= len(COGNITIVE_SERVICES):
            return None
        service = COGNITIVE_SERVICES[index]
    return Identified(service, signature, kind, "cask", "verified" if verified else "unverified")


def identify(key: str, strict: bool = True) -> Identified | None:
    """Verify a candidate identifiable or CASK key; None when its signature or checksum does not hold.

    With `strict=False` a CASK key whose checksum fails is still returned, marked `checksum="unverified"`.
    """
    key = key.strip()
    if len(key) in (84, 88) and key[52:56] == "JQQJ":
        found = _cask_identify(key, strict)
        if found is not None:
            return found
    core = key.rstrip("=")
    padding = len(key) - len(core)
    for fmt in FORMATS.values():
        if len(core) != fmt.core_length or padding not in (0, fmt.encoded_length - fmt.core_length):
            continue
        at = fmt.signature_offset
        if core[at : at + 4] == fmt.signature:
            found = _his_identify(key, fmt)
            if found is not None:
                return found
    return None


def is_valid(key: str) -> tuple[str, str] | None:
    """(service, signature) for a key whose checksum verifies, else None."""
    found = identify(key)
    return (found.service, found.signature) if found else None


def _encode_his(prefix_text: str, fmt: KeyFormat, seed: int) -> str:
    """Decode random chars + signature (pad bits zero), append the checksum, encode."""
    body_bits = (fmt.n_bytes - 4) * 8
    value = 0
    for ch in prefix_text:
        value = (value << 6) | B64.index(ch)
    value <<= body_bits - 6 * len(prefix_text)
    body = value.to_bytes(fmt.n_bytes - 4, "big")
    text = base64.b64encode(body + checksum_bytes(body, seed)).decode()
    return text.replace("+", "-").replace("/", "_") if fmt.url_safe else text


def generate(
    signature: str, seed: int | str, length: int, url_safe: bool = False, rng: random.Random | None = None
) -> str:
    """A HIS v1 key of `length` bytes, `signature` and a `seed` checksum; the random part starts FAKE."""
    rng = rng or random.Random()
    fmt = KeyFormat(signature, "", length, (), url_safe=url_safe)
    seed_value = seed_from_tag(seed) if isinstance(seed, str) else seed
    alphabet = ALNUM if signature == "AzSe" else B64  # url-safe keys map +/ to -_ when encoded
    for _ in range(1000):
        random_part = "FAKE" + "".join(rng.choice(alphabet) for _ in range(fmt.signature_offset - 4))
        key = _encode_his(random_part + signature, fmt, seed_value)
        if signature != "AzSe" or key.isalnum():  # Search keys are base62: retry until the checksum is too
            return key
    raise RuntimeError("could not generate a base62 key")  # pragma: no cover - (62/64)**6 per try


def generate_cask(
    signature: str,
    service_letter: str = "A",
    long_form: bool = False,
    rng: random.Random | None = None,
    seed: int = CASK_SEED,
) -> str:
    """A CASK key with the given provider signature; `service_letter` ends the provider-reserved field."""
    rng = rng or random.Random()
    head = "FAKE" + "".join(rng.choice(ALNUM) for _ in range(48))
    date = rng.choice("ABC") + rng.choice("ABCDEFGHIJKL")
    platform = "".join(rng.choice(ALNUM) for _ in range(12))
    text = f"{head}JQQJ99{date}{platform}AAA{service_letter}{signature}"
    checksum = cask_checksum_text(base64.b64decode(text), seed)
    return text + (checksum if long_form else checksum[:4])


def _entra_checksum(text: str) -> str:
    """CustomAlphabetEncoder.Encode(Marvin32(text)): 6 digits, most significant first, 'a'-padded."""
    value = compute_hash32(text.encode("latin-1"), ENTRA_SEED) & 0xFFFFFFFF
    digits = ""
    while value:
        value, rem = divmod(value, len(ENTRA_ALPHABET))
        digits = ENTRA_ALPHABET[rem] + digits
    return digits.rjust(6, ENTRA_ALPHABET[0])


def entra_checksum_valid(secret: str) -> bool:
    """The 8Q~ form: its last 3 chars start the encoded Marvin32 of the rest."""
    if len(secret) != 40 or secret[3:6] != "8Q~" or not secret.isascii():
        return False
    return _entra_checksum(secret[:-3])[:3] == secret[-3:]


# ---- validators ------------------------------------------------------------------------------------------


def _candidate(ctx: MatchContext) -> tuple[str, int, int]:
    group = "secret" if "secret" in ctx.match.re.groupindex and ctx.match.group("secret") is not None else 0
    return ctx.match.group(group), ctx.match.start(group), ctx.match.end(group)


def _low_variety(key: str, found: Identified) -> bool:
    """Hand-made test vectors ("aaaa…+ASt…"): the random part repeats one to three characters."""
    end = 52 if found.family == "cask" else BY_SIGNATURE[found.signature].signature_offset
    random_part = key[:end]
    return len(set(random_part)) <= 3


@register("identifiable")
def identifiable(ctx: MatchContext) -> Verdict | None:
    """Report a key only when its signature is allowed here and its Marvin32 checksum verifies.

    Options: `signatures = [...]` limits the signatures (HIS or CASK provider) a pattern accepts.
    The secret is the key itself; `%3D%3D` (URL-encoded padding) is normalised to `==` before hashing.
    """
    text, start, end = _candidate(ctx)
    key = text.replace("%3D", "=").replace("%3d", "=")
    found = identify(key, strict=False)
    if found is None or _low_variety(key, found):
        return None
    allowed = ctx.options.get("signatures")
    if allowed and found.signature not in allowed:
        return None
    if found.family == "his" and BY_SIGNATURE[found.signature].url_safe and not key.endswith("="):
        key += "=" * (BY_SIGNATURE[found.signature].encoded_length - len(key))
    fields = {
        "signature": found.signature,
        "service": found.service,
        "key_format": "identifiable",
        "key_family": found.family,  # "his" (v1) or "cask"
        "key_kind": found.kind,
        "checksum": found.checksum,
    }
    return Verdict(key, start, end, fields)


@register("entra_secret_checksum")
def entra_secret_checksum(ctx: MatchContext) -> Verdict | None:
    """Entra client secrets: 8Q~ secrets must pass their checksum; 7Q~ (37 chars, no checksum) pass unless
    the pattern sets `allow_legacy = false`."""
    secret, start, end = _candidate(ctx)
    fields = {"service": "entra", "key_format": "entra-client-secret"}
    if len(secret) == 40 and secret[3:6] == "8Q~":
        if not entra_checksum_valid(secret):
            return None
        return Verdict(secret, start, end, {**fields, "checksum": "verified"})
    if len(secret) == 37 and secret[3:6] == "7Q~" and ctx.options.get("allow_legacy", True):
        return Verdict(secret, start, end, {**fields, "checksum": "none"})
    return None


# ---- fake keys ------------------------------------------------------------------------------------------


def fake_entra_secret(rng: random.Random, valid: bool = True) -> str:
    """A 40-char 8Q~ client secret starting FAK8Q~FAKE whose checksum verifies (or, if not valid, fails)."""
    head = "FAK8Q~FAKE" + "".join(rng.choice(ALNUM + "_~.-") for _ in range(27))
    tail = _entra_checksum(head)[:3]
    return head + (tail if valid else tail[::-1] if tail[::-1] != tail else tail[:2] + "~")


def fake_key(name: str, rng: random.Random, valid: bool = True) -> str:
    """Expand «ident:NAME» (see the module docstring); with valid=False the checksum uses a wrong seed."""
    base, _, variant = name.partition("/")
    bad_seed = seed_from_tag("BadSeed0")
    if base == "entra":
        return fake_entra_secret(rng, valid)
    if base.startswith("cask_"):
        provider = base.removeprefix("cask_")
        by_name = {short: sig for sig, (short, _service) in CASK_PROVIDERS.items()}
        signature, letter = by_name.get(provider), "E"  # bare cask_cognitive: Cognitive Services
        if provider in COGNITIVE_SERVICES:
            signature, letter = "ACOG", B64[COGNITIVE_SERVICES.index(provider)]
        if signature is None:
            raise ValueError(f"unknown CASK key kind {name!r}")
        return generate_cask(signature, letter, variant == "long", rng, CASK_SEED if valid else bad_seed)
    fmt = FORMATS.get(base)
    if fmt is None:
        raise ValueError(f"unknown identifiable key kind {name!r}")
    tags = dict(fmt.seeds)
    if variant and variant not in tags:
        raise ValueError(f"{base} keys have no {variant!r} kind (choose from {', '.join(tags)})")
    seed: int | str = tags[variant] if variant else fmt.seeds[0][1]
    return generate(fmt.signature, seed if valid else bad_seed, fmt.n_bytes, fmt.url_safe, rng)
