"""Issue 10, "the gate fails only on live credentials": values decide, not paths.

Dead tokens (an expired SAS, a user-delegation SAS whose delegation key expired) are warnings that say which expiry
ended them; ids, placeholders, typed sequences, overwritten keys and base64 of text are not keys; and the misses —
`spr=https,http`, function keys holding `/`, passwords in Azure database URLs — are errors.
"""

from __future__ import annotations

import base64
import random
import time

import pytest

from mi_migrate.core.rules import load_rules
from mi_migrate.scan.engine import scan_text
from mi_migrate.scan.validators.identifiable import fake_key
from mi_migrate.scan.validators.keys import decodes_to_text, is_inside_identifier, is_key_material
from mi_migrate.scan.validators.placeholders import is_placeholder, is_sequence
from mi_migrate.testing import fakes
from tests.conftest import scan_snippet

UD_SAS = (
    "https://acme.blob.core.windows.net/c/a.pdf?se={se}&sp=r&sv=2024-05-04&sr=c"
    "&skoid=11111111-2222-3333-4444-555555555555&sktid=11111111-2222-3333-4444-555555555555"
    "&skt=2025-05-19T12%3A04%3A50Z&ske={ske}&sks=b&skv=2024-05-04&sig=«b64:32»"
)


def findings_of(rule_id: str, text: str, filename: str = "example.txt") -> list[object]:
    findings, _ = scan_snippet(text, filename)
    return [f for f in findings if f.rule_id == rule_id]


def errors(text: str, filename: str = "example.txt") -> list[object]:
    findings, _ = scan_snippet(text, filename)
    return [f for f in findings if f.severity.label == "error"]


# ---- 1. user-delegation SAS: the earlier of se and ske -------------------------------------------------------


def test_user_delegation_sas_with_an_expired_delegation_key_is_a_warning_naming_it() -> None:
    text = UD_SAS.format(se="2030-05-18T12%3A04%3A50Z", ske="2025-05-20T12%3A04%3A50Z")
    [finding] = findings_of("AZ103", text, "dataset.jsonl")
    assert finding.severity.label == "warning"
    assert "expired 2025-05-20 (delegation key)" in finding.message
    assert finding.fields["expiry"] == "2025-05-20T12:04:50Z"
    assert finding.fields["expiry_source"] == "ske"
    assert finding.fields["key_expiry"] == "2025-05-20T12:04:50Z"


def test_user_delegation_sas_whose_se_comes_first_names_the_signed_expiry() -> None:
    text = UD_SAS.format(se="2024-01-01T00%3A00%3A00Z", ske="2030-01-01T00%3A00%3A00Z")
    [finding] = findings_of("AZ103", text)
    assert finding.severity.label == "warning"
    assert "expired 2024-01-01 (signed expiry)" in finding.message
    assert finding.fields["expiry_source"] == "se"


def test_live_user_delegation_sas_is_still_an_error() -> None:
    text = UD_SAS.format(se="2031-01-01T00%3A00%3A00Z", ske="2030-12-31T00%3A00%3A00Z")
    [finding] = findings_of("AZ103", text)
    assert finding.severity.label == "error"
    assert finding.fields["expired"] == "false"
    assert finding.fields["expiry"] == "2030-12-31T00:00:00Z"  # effective expiry: the delegation key's


def test_expired_key_signed_sas_says_which_expiry_and_that_a_key_signed_it() -> None:
    text = 'SAS="sp=r&st=2020-01-01T00:00:00Z&se=2020-02-01T00:00:00Z&spr=https&sv=2021-06-08&sr=c&sig=«b64:32»"'
    [finding] = findings_of("AZ103", text, "run.sh")
    assert finding.severity.label == "warning"
    assert "expired 2020-02-01 (signed expiry)" in finding.message
    assert "account key signed it" in finding.message


def test_expired_service_bus_sas_token_message_names_the_expiry() -> None:
    text = (
        'token = "SharedAccessSignature sr=https%3A%2F%2Facme.servicebus.windows.net%2Fq'
        '&sig=«b64:32»&se=1600000000&skn=send"'
    )
    [finding] = findings_of("AZ106", text, "send.py")
    assert finding.severity.label == "warning"
    assert "expired 2020-09-13 (se)" in finding.message


# ---- 2. hex inside identifiers ---------------------------------------------------------------------------

HEX = "67abd54d9b0081909a86353f6fb9317a"  # an OpenAI eval id's hex, public in the API reference


@pytest.mark.parametrize(
    "text",
    [
        f'openai_api_key = k; client.evals.retrieve("eval_{HEX}")',
        f'api_key = k; run = "evalrun_{HEX}"',
        f'api_key = k; a = "asst_{HEX}"',
        f'api_key = k; f = "file-{HEX}"',
        f'api_key = k; r = "run_{HEX}"',
        f'api_key = k; m = "msg_{HEX}"',
        f'api_key = k; t = "thread_{HEX}"',
        f'api_key = k; b = "batch_{HEX}"',
        f'api_key = k; url = "https://acme.openai.azure.com/openai/files/{HEX}/content"',
        f'api_key = k; name = "{HEX}_checkpoint"',
    ],
)
def test_hex_inside_identifiers_is_not_a_key(text: str) -> None:
    assert not findings_of("AZ115", text, "client.py")


@pytest.mark.parametrize(
    "text",
    [
        'AZURE_OPENAI_API_KEY=«hex:32»',
        'headers = {"api-key": "«hex:32»"}',
        'url = "https://acme.cognitiveservices.azure.com/vision?subscription-key=«hex:32»"',
        'curl -H "Ocp-Apim-Subscription-Key:«hex:32»" https://acme.cognitiveservices.azure.com/',
    ],
)
def test_standalone_hex_keys_are_still_found(text: str) -> None:
    [finding] = findings_of("AZ115", text, "client.py")
    assert finding.severity.label == "error"


def test_inside_identifier_boundaries() -> None:
    assert is_inside_identifier("x eval_abc", 7, 10)
    assert is_inside_identifier("/files/abc/content", 7, 10)
    assert not is_inside_identifier("key=abc", 4, 7)
    assert not is_inside_identifier("https://abc@dev.azure.com", 8, 11)  # `//` opens user-info, not a path


# ---- 3. placeholders and typed sequences -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "1234567890abcdef1234567890abcdef",
        "abcdefg01234567890",
        "abcdefabcdefabcdefabcdefabcdefab",
        "9876543210fedcba9876543210fedcba",
        "fa4e3c2b1a0f9e8d7c6b5a4f38888888",  # overwritten part-way with one digit
        "FAKEq3Zt9Lm2Xv8Pw4Rk7Yn1Bc6Dh0000000000",
        "PASTE_YOUR_SPELL_CHECK_SUBSCRIPTION_KEY_HERE",
        "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
    ],
)
def test_sequences_and_placeholders(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize(
    "text",
    [
        'subscription_key = "PASTE_YOUR_SPELL_CHECK_SUBSCRIPTION_KEY_HERE"',
        'api_key = "1234567890abcdef1234567890abcdef"',  # mi-migrate: ignore[AZ304]
        'AZURE_OPENAI_API_KEY="abcdefg01234567890abcdefg0123456"',
        'AZURE_OPENAI_API_KEY=fa4e3c2b1a0f9e8d7c6b5a4f38888888',
        "APPLICATIONINSIGHTS_CONNECTION_STRING=InstrumentationKey=xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        "AccountName=acme;AccountKey=" + "AbCd" * 21 + "Ab==",
    ],
)
def test_placeholder_values_are_not_gate_failures(text: str) -> None:
    assert not errors(text, "settings.py")


def test_random_keys_are_not_sequences() -> None:
    rng = random.Random(10)
    for _ in range(5000):
        assert not is_sequence(rng.randbytes(16).hex())
        assert not is_sequence(base64.b64encode(rng.randbytes(64)).decode())
        assert not is_sequence(base64.b64encode(rng.randbytes(32)).decode())


# ---- 4. base64 of printable text ---------------------------------------------------------------------------

TEXT_64 = base64.b64encode(b"this-is-not-a-storage-account-key-only-sixty-four-bytes-of-text!").decode()
TEXT_32 = base64.b64encode(b"not-a-service-bus-key-just-text!").decode()


def test_base64_of_text_is_recognised() -> None:
    assert decodes_to_text("dGVzdC1hY2NvdW50LWtleQ==")  # "test-account-key"
    assert decodes_to_text(TEXT_64)
    assert decodes_to_text("dGVzdC1hY2NvdW50LWtleQ%3D%3D")
    assert not is_key_material(TEXT_64, 64)
    rng = random.Random(4)
    for _ in range(5000):
        key = base64.b64encode(rng.randbytes(64)).decode()
        assert not decodes_to_text(key)
        assert is_key_material(key, 64)


@pytest.mark.parametrize(
    "text",
    [
        f"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={TEXT_64};EndpointSuffix=core.windows.net",
        f"AccountEndpoint=https://acme.documents.azure.com:443/;AccountKey={TEXT_64};",
        f"Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey={TEXT_32}",
        f"HostName=acme.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey={TEXT_32}",
        f"acme.redis.cache.windows.net:6380,password={TEXT_32},ssl=True",
        "https://acme.blob.core.windows.net/c?sv=2022-11-02&sr=c&sp=r&se=2031-01-01&sig=dGVzdC1hY2NvdW50LWtleQ%3D%3D",
        f"AZURE_STORAGE_KEY={TEXT_64}",
        f"COSMOS_KEY={TEXT_64}",
    ],
)
def test_base64_text_where_key_material_belongs_is_not_a_gate_failure(text: str) -> None:
    assert not errors(text, "settings.env")


@pytest.mark.parametrize("name", ["storage", "cosmos", "servicebus", "redis", "function"])
def test_identifiable_keys_are_decided_by_their_checksum(name: str) -> None:
    key = fake_key(name, random.Random(7))
    rules = [r for r in load_rules() if r.id == "AZ122"]
    [finding] = scan_text("settings.py", f"KEY = '{key}'", rules)
    assert finding.severity.label == "error"


# ---- 5. spr=https,http ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "sv=2022-11-02&ss=b&srt=co&sp=rl&se=2031-01-01T00:00:00Z&spr=https,http&sig=«b64:32»",
        "spr=https,http&sv=2022-11-02&ss=b&srt=co&sp=rl&se=2031-01-01T00:00:00Z&sig=«b64:32»",
        "sv=2022-11-02&ss=b&srt=co&sp=rl&sig=«b64:32»&spr=https,http&se=2031-01-01T00:00:00Z",
        "sv=2022-11-02&ss=b&srt=co&sp=rl&se=2031-01-01T00:00:00Z&spr=https%2Chttp&sig=«b64:32»",
        "sv=2022-11-02&ss=b&srt=co&sp=rl&se=2031-01-01T00:00:00Z&spr=https%2chttp&sig=«b64:32»",
    ],
)
def test_sas_with_both_protocols_is_an_error(query: str) -> None:
    url = f'SAS_URL = "https://acme.blob.core.windows.net/?{query}"'
    [finding] = findings_of("AZ103", url, "upload.py")
    assert finding.severity.label == "error"
    assert finding.fields["protocol"] == "https,http"
    assert finding.fields["sas_type"] == "account"
    assert finding.fields["account"] == "acme"


def test_sas_comma_elsewhere_still_ends_the_token() -> None:
    text = 'urls = ["x", "sv=2022-11-02&sr=c&sp=r&se=2031-01-01&sig=«b64:32»",other]'
    [finding] = findings_of("AZ103", text, "list.py")
    assert finding.evidence.startswith("sv=2")


# ---- 6. function keys with / + = and their URL encodings ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'curl "https://acme-fn.azurewebsites.net/api/orders?code=«fnkey:»"',
        'curl "https://acme-fn.azurewebsites.net/api/orders?code=«fnkey:%2F»"',
        "https://acme-fn.azurewebsites.net/api/orders?code=«fnkey:»&clientId=default",
        "https://acme-fn.azurewebsites.net/api/orders?clientId=default&code=«fnkey:%2F»",
        "headers = {'x-functions-key': '«fnkey:»'}",
    ],
)
def test_function_keys_holding_slashes_are_errors(text: str) -> None:
    [finding] = findings_of("AZ119", text, "call.sh")
    assert finding.severity.label == "error"


def test_url_encoded_and_plain_function_key_hash_the_same() -> None:
    plain = findings_of("AZ119", "https://a.azurewebsites.net/api/f?code=«fnkey:»")
    encoded = findings_of("AZ119", "https://a.azurewebsites.net/api/f?code=«fnkey:%2F»")
    assert plain[0].secret_hash == encoded[0].secret_hash


# ---- 7. credentials in URLs to Azure databases --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ('create_engine("mssql+pyodbc://app:«password»@acme.database.windows.net:1433/db?driver=ODBC+Driver+18")',
         "sql"),
        ('DATABASE_URL = "postgresql://app:«password»@acme.postgres.database.azure.com/db?sslmode=require"',
         "postgres"),
        ("DATABASES = {'default': dj_database_url.parse('mysql://root:«password»@acme.mysql.database.azure.com/app')}",
         "mysql"),
        ('URL = "postgres://app:p@ss«password»@acme.postgres.database.azure.com/db"', "postgres"),  # raw '@'
        ('MONGO = "mongodb://acme:«b64:64»@acme.mongo.cosmos.azure.com:10255/?ssl=true"', "cosmos"),
    ],
)
def test_passwords_in_azure_database_urls_are_errors(text: str, service: str) -> None:
    findings, expanded = scan_snippet(text, "settings.py")
    [finding] = [f for f in findings if f.rule_id == "AZ124"]
    assert finding.severity.label == "error"
    assert finding.service == service
    assert expanded[finding.span.end_column - 1 :].startswith("@acme.")  # the password ends at the host's `@`


def test_redis_url_key_with_slash_is_an_error() -> None:
    [finding] = findings_of("AZ114", 'from_url("rediss://:«b64slash:32»@acme.redis.cache.windows.net:6380")', "c.py")
    assert finding.severity.label == "error"
    assert finding.fields["cache"] == "acme"


@pytest.mark.parametrize(
    "password",
    ["password", "<password>", "${PW}", "{password}", "{quote_plus(pw)}", "%s", "%(password)s", "***", "$DB_PASS",
     "your_password", "PASSWORD", "pass", "xxxxxxxx", "%7Bpassword%7D"],
)
def test_placeholder_passwords_in_database_urls_are_not_secrets(password: str) -> None:
    for url in (
        f'"postgresql://app:{password}@acme.postgres.database.azure.com/db"',
        f'"mssql+pyodbc://app:{password}@acme.database.windows.net/db"',
        f'"rediss://:{password}@acme.redis.cache.windows.net:6380"',
    ):
        assert not [f for f in errors(url, "db.py") if f.rule_id in ("AZ124", "AZ114")], url


def test_a_real_key_in_a_test_file_is_still_a_key() -> None:
    for path in ("tests/test_storage.py", "test/fixtures/settings.json", "examples/demo.ipynb"):
        text = 'CONN = "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=«b64:64»"'
        assert [f.rule_id for f in errors(text, path)] == ["AZ101"]


@pytest.mark.parametrize(
    "line",
    [
        "mysql://a:" * 10_000,
        "postgresql://u:" + "@" * 100_000,
        "mssql://u:p@" + "a." * 50_000,
        "rediss://:" + "x@" * 50_000,
        "code=" + "%2F" * 33_000,
    ],
)
def test_new_patterns_stay_fast_on_adversarial_lines(line: str) -> None:
    rules = [r for r in load_rules() if r.id in ("AZ103", "AZ114", "AZ119", "AZ124")]
    started = time.perf_counter()
    scan_text("adversarial.txt", "https://acme.azurewebsites.net/api/f?" + line, rules)
    assert time.perf_counter() - started < 3.0


def test_fake_tokens_expand() -> None:
    assert "/" in fakes.expand("«fnkey:»") and "%2F" in fakes.expand("«fnkey:%2F»")


def test_demo_passwords_and_keyboard_runs_are_not_secrets() -> None:
    """Found on the real-world corpus: a tutorial's `…pa44w0rd`, a Bicep default `…P@ssw0rd1234!` and a README's
    function code ending in `ABC123` failed the gate; none is generated key material."""
    import base64
    import random

    from mi_migrate.scan.validators.placeholders import is_demo_value, is_placeholder

    for value in ("JumpboxAdminP@ssw0rd1234!", "a987REALLY#$%TRONGpa44w0rd", "my-test-abbyy/ABC123==", "Qwerty2024!"):
        assert is_demo_value(value) and is_placeholder(value), value
    rng = random.Random(20261206)
    keys = [base64.b64encode(rng.randbytes(n)).decode() for n in (32, 42, 64) for _ in range(5000)]
    keys += [rng.randbytes(16).hex() for _ in range(5000)]
    assert not [k for k in keys if is_demo_value(k)]


def test_a_key_typed_with_alphabet_runs_is_patterned() -> None:
    """A published example key typed as `1Ab234…ijkl…MNo…Stuw…`: three or more runs of four consecutive
    characters; random 32- and 64-byte keys show at most two."""
    import base64
    import random

    from mi_migrate.scan.validators.placeholders import is_sequence

    typed = "1Ab234cdEF5ghijkl6MNop7Q8rStuwX9yzAb0CdeFg="  # shaped like a 32-byte key, with typed runs
    assert is_sequence(typed)
    rng = random.Random(7)
    assert not [k for k in (base64.b64encode(rng.randbytes(n)).decode() for n in (32, 64) for _ in range(20000))
                if is_sequence(k)]
