"""keyvault family (fix --keyvault-url-env): third-party secret literals → a Key Vault read through the managed
identity. Exact text, the secret NAME (never the value) in the Change, and a run against the real SecretClient with
Key Vault's challenge round-trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from mi_migrate.fix.codemod import transform
from mi_migrate.fix.families import keyvault
from mi_migrate.fix.model import Change, FixOptions
from mi_migrate.fix.settings import RepoSettings
from mi_migrate.testing import fakes
from tests.identity_support import TENANT, capture_requests, identity_endpoint, use_identity_endpoint

OPTIONS = FixOptions(keyvault_url_env="KEYVAULT_URL")
SOURCE = '''import stripe

stripe.api_key = "sk_live_«alnum:24»"
SENDGRID_KEY = "SG.«alnum:22».«alnum:43»"
db_password = "«alnum:20»"
name = "hello"
'''


def rewrite(source: str, tmp_path: Path, options: FixOptions = OPTIONS) -> tuple[str, list[Change]]:
    code, changes = transform(source, keyvault.targets(), options, RepoSettings(tmp_path))
    assert transform(code, keyvault.targets(), options, RepoSettings(tmp_path)) == (code, [])
    return code, changes


def test_secret_literals_move_to_key_vault(tmp_path: Path) -> None:
    source = fakes.expand(SOURCE)
    code, changes = rewrite(source, tmp_path)
    assert code == '''import stripe
import os
from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient

credential = DefaultAzureCredential()
secret_client = SecretClient(vault_url=os.environ["KEYVAULT_URL"], credential=credential)

stripe.api_key = secret_client.get_secret("stripe-api-key").value
SENDGRID_KEY = secret_client.get_secret("sendgrid-key").value
db_password = secret_client.get_secret("db-password").value
name = "hello"
'''
    assert [c.extra["keyvault_secret"] for c in changes] == ["stripe-api-key", "sendgrid-key", "db-password"]
    assert all(c.setting == "KEYVAULT_URL" and c.service == "keyvault" for c in changes)
    for change, line in zip(changes, source.splitlines()[2:5], strict=True):
        value = line.split('"')[1]
        assert value not in json.dumps(change.to_dict())  # the report names the secret, never holds its value


def test_nothing_without_the_option_or_for_placeholders(tmp_path: Path) -> None:
    source = fakes.expand(SOURCE)
    assert rewrite(source, tmp_path, FixOptions()) == (source, [])
    placeholder = 'password = "<your-password>"\nurl = "https://example.com"\n'
    assert rewrite(placeholder, tmp_path) == (placeholder, [])


@pytest.mark.parametrize(("label", "name"), [
    ("stripe.api_key", "stripe-api-key"), ("SENDGRID_KEY", "sendgrid-key"), ("twilioAuthToken", "twilio-auth-token"),
    ("__secret__", "secret"), ("x" * 200, "x" * 127),
])
def test_secret_names_are_valid_key_vault_names(label: str, name: str) -> None:
    assert keyvault.secret_name(label) == name


def test_subscript_and_clashing_names(tmp_path: Path) -> None:
    source = fakes.expand('''app.config["SECRET_KEY"] = "«alnum:32»"
if prod:
    password = "«alnum:20»"
else:
    password = "«alnum:20»"
''')
    code, changes = rewrite(source, tmp_path)
    assert 'app.config["SECRET_KEY"] = secret_client.get_secret("secret-key").value' in code
    assert [c.extra["keyvault_secret"] for c in changes] == ["secret-key", "password", "password-2"]


def test_rewritten_code_reads_the_secret_with_a_bearer_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _ = rewrite(fakes.expand('import stripe\n\nstripe.api_key = "sk_live_«alnum:24»"\n'), tmp_path)
    code = code.replace("import stripe\n", "import types\nstripe = types.SimpleNamespace()\n")  # stand-in module
    body = json.dumps({"value": "FAKE-from-vault", "id": "https://acme.vault.azure.net/secrets/stripe-api-key/1"})
    with identity_endpoint() as ep:
        use_identity_endpoint(monkeypatch, ep)
        monkeypatch.setenv("KEYVAULT_URL", "https://acme.vault.azure.net")
        with capture_requests(body=body.encode()) as reqs:
            captured = requests.Session.request

            def challenge(self: requests.Session, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
                """Key Vault's first, unauthenticated request is answered with 401 and the challenge."""
                response = captured(self, method, url, *args, **kwargs)
                if "/msi/token" not in url and not reqs[-1].authorization:
                    response.status_code = 401
                    response.headers["WWW-Authenticate"] = (
                        f'Bearer authorization="https://login.microsoftonline.com/{TENANT}", '
                        'resource="https://vault.azure.net"')
                return response

            requests.Session.request = challenge  # type: ignore[method-assign]  # capture_requests restores it
            namespace: dict[str, Any] = {}
            exec(compile(code, "app.py", "exec"), namespace)
    assert namespace["stripe"].api_key == "FAKE-from-vault"
    assert [r.url.split("?")[0] for r in reqs] == ["https://acme.vault.azure.net/secrets/stripe-api-key/"] * 2
    assert reqs[0].authorization == ""
    assert reqs[1].authorization.startswith("Bearer ")
    assert reqs[1].bearer_audience == "https://vault.azure.net"
    assert ep.resources == ["https://vault.azure.net"]
