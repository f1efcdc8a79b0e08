"""End to end: a key-based app works against Azurite, `mi-migrate fix` rewrites it, and the rewritten app works
against the same Azurite with managed identity and no key anywhere.

Azurite runs over HTTPS with `--oauth basic` (it checks every bearer token's issuer, audience and lifetime) and a
local App Service-style identity endpoint (IDENTITY_ENDPOINT/IDENTITY_HEADER) issues the tokens. The rewritten
app's DefaultAzureCredential walks its real chain (no AZURE_TOKEN_CREDENTIALS): Environment and Workload Identity
are skipped for lack of settings, ManagedIdentityCredential gets a token for https://storage.azure.com.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mi_migrate.testing import fakes
from tests.azurite_support import ACCOUNT, Azurite, require_azurite, running_azurite
from tests.identity_support import identity_endpoint

pytestmark = pytest.mark.slow

CONNECTION_SETTING = "AZURE_STORAGE_CONNECTION_STRING"
STORAGE_RESOURCE = "https://storage.azure.com"

APP = textwrap.dedent('''\
    """Uploads and downloads a blob, sends and receives a queue message."""
    import json
    import os
    import sys

    from azure.core.exceptions import ResourceExistsError
    from azure.storage.blob import BlobServiceClient
    from azure.storage.queue import QueueClient

    CA = os.environ["AZURITE_CA"]  # Azurite's self-signed certificate


    def main(tag):
        blobs = BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"],
                                                         connection_verify=CA)
        queue = QueueClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"], "orders",
                                                   connection_verify=CA)
        container = blobs.get_container_client("reports")
        try:
            container.create_container()
        except ResourceExistsError:
            pass
        container.upload_blob(f"{tag}.txt", f"report {tag}".encode(), overwrite=True)
        downloaded = container.download_blob(f"{tag}.txt").readall().decode()
        try:
            queue.create_queue()
        except ResourceExistsError:
            pass
        queue.send_message(f"order {tag}")
        received = []
        for message in queue.receive_messages(messages_per_page=32, visibility_timeout=5):
            received.append(message.content)
            queue.delete_message(message)
        print(json.dumps({"blob": downloaded, "messages": received}))


    if __name__ == "__main__":
        main(sys.argv[1])
''')

SCRUBBED_PREFIXES = ("AZURE_", "IDENTITY_", "MSI_", "IMDS_", "AZURITE_")


def base_env() -> dict[str, str]:
    """The test's environment minus anything that could pick a credential or carry a storage setting."""
    env = {k: v for k, v in os.environ.items()
           if not k.upper().startswith(SCRUBBED_PREFIXES) and "CONNECTION_STRING" not in k.upper()}
    for name in ("NO_PROXY", "no_proxy"):
        env[name] = ",".join(filter(None, [env.get(name), "127.0.0.1", "localhost"]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_app(repo: Path, env: dict[str, str], tag: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "app.py", tag], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, f"app failed ({tag}):\n{done.stdout}\n{done.stderr[-6000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false",
                    *args], cwd=repo, check=True, capture_output=True, timeout=30)


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory):
    executable = require_azurite()
    with running_azurite(tmp_path_factory.mktemp("azurite"), executable) as server:
        yield server


def test_connection_string_app_runs_on_managed_identity_after_fix(
    azurite: Azurite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = fakes.emulator_key("azurite")  # Azurite's published development key, not a secret
    connection_string = (f"DefaultEndpointsProtocol=https;AccountName={ACCOUNT};AccountKey={key};"
                         f"BlobEndpoint={azurite.blob_url};QueueEndpoint={azurite.queue_url}")
    # The repository's .env names the Azure account the app is deployed against: fix derives the new settings from
    # it. (An emulator connection there would keep the calls manual: Azurite without OAuth ignores bearer tokens.)
    deployed = (f"DefaultEndpointsProtocol=https;AccountName=stordersdev;AccountKey={fakes.expand('«b64:64»')};"
                "EndpointSuffix=core.windows.net")
    repo = tmp_path / "app"
    repo.mkdir()
    (repo / "app.py").write_text(APP, encoding="utf-8")
    (repo / ".env").write_text(f"{CONNECTION_SETTING}={deployed}\n", encoding="utf-8")
    (repo / ".gitignore").write_text(".env\n", encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", "app.py", ".gitignore")
    git(repo, "commit", "-q", "-m", "key-based app")

    with identity_endpoint() as identity:
        # 1. Before: the app works with the key (SharedKey auth; no token is ever requested).
        before_env = {**base_env(), CONNECTION_SETTING: connection_string, "AZURITE_CA": str(azurite.cert)}
        before = run_app(repo, before_env, "before")
        assert before == {"blob": "report before", "messages": ["order before"]}
        assert identity.requests == []

        # 2. What fix will do, from its recorded changes: the new settings and their values, derived from .env.
        from mi_migrate.fix.model import FixOptions
        from mi_migrate.fix.runner import fix_paths

        monkeypatch.chdir(repo)
        planned = fix_paths(FixOptions(paths=(".",), write=False))
        changes = {c.client: c for c in planned.changes}
        assert set(changes) == {"BlobServiceClient", "QueueClient"}, planned.changes
        assert all(c.status == "rewritten" for c in changes.values()), planned.changes
        assert all(c.old_setting == CONNECTION_SETTING for c in changes.values())
        derived = {c.setting: c.setting_value for c in changes.values()}
        assert derived == {"AZURE_STORAGE_ACCOUNT_URL": "https://stordersdev.blob.core.windows.net",
                           "AZURE_STORAGE_QUEUE_ACCOUNT_URL": "https://stordersdev.queue.core.windows.net"}
        # this test runs the app locally: the same settings point at Azurite (HTTPS, OAuth) instead
        settings = {"AZURE_STORAGE_ACCOUNT_URL": azurite.blob_url, "AZURE_STORAGE_QUEUE_ACCOUNT_URL": azurite.queue_url}
        [planned_file] = [f for f in planned.files if f.changed]

        # 3. The real CLI rewrites the app.
        fixed = subprocess.run([sys.executable, "-m", "mi_migrate", "fix", "."], cwd=repo, env=base_env(),
                               capture_output=True, text=True, timeout=60)
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
        assert re.search(r"Rewrote 2 call sites in \d+ files?; 0 left as manual steps\.", fixed.stderr), fixed.stderr
        source = (repo / "app.py").read_text(encoding="utf-8")
        assert source == planned_file.updated
        for gone in ("from_connection_string", "AccountKey", CONNECTION_SETTING, key):
            assert gone not in source, gone
        assert "from azure.identity import DefaultAzureCredential" in source
        assert "credential = DefaultAzureCredential()" in source
        assert source.count("credential=credential") == 2
        assert source.count("connection_verify=CA") == 2  # the rest of each call is kept
        for name in settings:
            assert f'os.environ["{name}"]' in source

        # 4. The operator replaces the connection string with the new settings: no key anywhere any more.
        (repo / ".env").write_text("".join(f"{n}={v}\n" for n, v in settings.items()), encoding="utf-8")
        git(repo, "add", "app.py")
        git(repo, "commit", "-q", "-m", "managed identity")
        after_env = {**base_env(), **settings, **identity.env(), "AZURITE_CA": str(azurite.cert)}
        assert "AZURE_TOKEN_CREDENTIALS" not in after_env  # DefaultAzureCredential walks its whole chain
        assert not any(key in v for v in after_env.values())
        assert not any("CONNECTION_STRING" in n.upper() for n in after_env)
        for path in repo.rglob("*"):
            if path.is_file():
                assert key.encode() not in path.read_bytes(), path

        # 5. After: the rewritten app does the same round trips with a bearer token from managed identity.
        after = run_app(repo, after_env, "after")
        assert after == {"blob": "report after", "messages": ["order after"]}
        assert identity.requests, "the rewritten app never asked the managed-identity endpoint for a token"
        assert {r.resource.rstrip("/") for r in identity.requests} == {STORAGE_RESOURCE}
        assert all(r.client_id is None for r in identity.requests)  # system-assigned

    # Azurite itself validated the bearer tokens (issuer, audience, lifetime) for both services.
    log = azurite.debug_text()
    for service in ("Blob", "Queue"):
        assert f"{service}TokenAuthenticator:authenticateBasic() Validation against token authentication " \
               "successfully" in log, f"Azurite logged no accepted {service.lower()} bearer token"
