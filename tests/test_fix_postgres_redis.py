"""`fix` for Azure Database for PostgreSQL (psycopg2, psycopg 3) and Azure Cache for Redis (redis-py +
redis-entraid): exact rewrites, manual cases, and the rewritten code run against the local identity endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mi_migrate.testing import fakes
from tests.identity_support import identity_endpoint, use_identity_endpoint
from tests.test_fix_sql import audience, rewrite

PG_HOST = "acme.postgres.database.azure.com"
PG_HELPER = '''credential = DefaultAzureCredential()


def _postgres_access_token() -> str:
    """An Entra token as the PostgreSQL password; fetched per connection since tokens expire."""
    return credential.get_token("https://ossrdbms-aad.database.windows.net/.default").token
'''
PROVIDER = 'create_from_default_azure_credential(("https://redis.azure.com/.default",))'
CACHE = "acme.redis.cache.windows.net"


def test_psycopg2_dsn_literal() -> None:
    updated, [change] = rewrite(f'''
        import psycopg2

        conn = psycopg2.connect("host={PG_HOST} dbname=app user=app password=«password» sslmode=prefer")
        ''')
    assert updated == (
        "import psycopg2\nfrom azure.identity import DefaultAzureCredential\n\n" + PG_HELPER
        + f'\nconn = psycopg2.connect("host={PG_HOST} dbname=app user=app sslmode=require", '
        "password=_postgres_access_token())\n"
    )
    assert change.status == "rewritten" and change.resource == "acme"
    assert "pgaadauth_create_principal('app', false, false)" in change.notes[0]
    assert any("per new connection" in note for note in change.notes)


def test_psycopg_keywords_env_password_and_alias_idempotent() -> None:
    source = f'''
        import os
        import psycopg as pg

        conn = pg.connect(host="{PG_HOST}", dbname="app", password=os.environ["PGPASSWORD_APP"])
        '''
    updated, [change] = rewrite(source)
    assert updated.endswith(
        f'conn = pg.connect(host="{PG_HOST}", dbname="app", password=_postgres_access_token(), sslmode="require", '
        'user=os.environ["AZURE_POSTGRESQL_USER"])\n')
    assert change.extra["removed_settings"] == ["PGPASSWORD_APP"]
    assert change.extra["user_setting"] == "AZURE_POSTGRESQL_USER"
    assert rewrite(updated) == (updated, [])


def test_postgres_uri_from_env_moves_to_new_setting(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(fakes.expand(f"DATABASE_URL=postgresql://app:«password»@{PG_HOST}:5432/app\n"))
    updated, [change] = rewrite('''
        import os
        import psycopg2
        conn = psycopg2.connect(os.getenv("DATABASE_URL"))
        ''', tmp_path)
    assert 'psycopg2.connect(os.getenv("DATABASE_URL_ENTRA"), password=_postgres_access_token(), ' \
           'sslmode="require")' in updated
    assert change.setting_value == f"postgresql://app@{PG_HOST}:5432/app"
    assert "FAKE" not in json.dumps(change.to_dict())


def test_postgres_not_azure_is_manual() -> None:
    updated, [change] = rewrite('import psycopg2\nconn = psycopg2.connect(host="db.internal", password="«password»")\n')
    assert change.status == "manual" and "not Azure Database for PostgreSQL" in (change.reason or "")
    assert "_postgres_access_token" not in updated


class Captured(Exception):
    pass


def test_rewritten_psycopg2_and_psycopg_send_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """psycopg2.connect builds the final DSN and hands it to its C `_connect`; psycopg 3 hands the final conninfo
    to `Connection._connect_gen`. Both are replaced by recorders, so the real argument handling runs."""
    import psycopg
    import psycopg2
    from psycopg.conninfo import conninfo_to_dict

    updated, _ = rewrite(f'''
        import psycopg
        import psycopg2

        def old():
            return psycopg2.connect("host={PG_HOST} dbname=app user=app password=«password»")

        def new():
            return psycopg.connect(host="{PG_HOST}", dbname="app", user="app", password="«password»")
        ''')
    seen: list[str] = []

    def record(dsn: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(dsn)
        raise Captured

    monkeypatch.setattr(psycopg2, "_connect", record)
    monkeypatch.setattr(psycopg.connection, "conninfo_attempts", lambda params: [params])  # no DNS lookup
    monkeypatch.setattr(psycopg.Connection, "_connect_gen", classmethod(lambda cls, conninfo, **kw: record(conninfo)))
    with identity_endpoint() as endpoint:
        use_identity_endpoint(monkeypatch, endpoint)
        namespace: dict[str, Any] = {}
        exec(compile(updated, "app.py", "exec"), namespace)
        for name in ("old", "new"):
            with pytest.raises(Captured):
                namespace[name]()
    assert len(seen) == 2
    for dsn in seen:
        params = conninfo_to_dict(dsn)
        assert params["host"] == PG_HOST and params["user"] == "app" and params["sslmode"] == "require"
        assert audience(str(params["password"])) == "https://ossrdbms-aad.database.windows.net"
    assert set(endpoint.resources) == {"https://ossrdbms-aad.database.windows.net"}  # the credential caches


def test_redis_constructor_and_from_url() -> None:
    updated, changes = rewrite(f'''
        import os
        import redis

        r1 = redis.Redis(host="{CACHE}", port=6380, password=os.environ["REDIS_KEY"], ssl=True)
        r2 = redis.StrictRedis(host="{CACHE}", password="«b64:32»", decode_responses=True)
        r3 = redis.from_url("rediss://:«b64:32»@{CACHE}:6380/1", decode_responses=True)
        r4 = redis.Redis(host="localhost", password="«b64:32»")
        ''')
    assert updated == (
        "import os\nimport redis\nfrom redis_entraid.cred_provider import create_from_default_azure_credential\n\n"
        f'r1 = redis.Redis(host="{CACHE}", port=6380, ssl=True, credential_provider={PROVIDER})\n'
        f'r2 = redis.StrictRedis(host="{CACHE}", decode_responses=True, port=6380, ssl=True, '
        f"credential_provider={PROVIDER})\n"
        f'r3 = redis.Redis(host="{CACHE}", port=6380, db=1, ssl=True, decode_responses=True, '
        f"credential_provider={PROVIDER})\n"
        + updated.splitlines(keepends=True)[-1]
    )
    assert updated.splitlines()[-1].startswith('r4 = redis.Redis(host="localhost", password="FAKE')
    assert [c.status for c in changes] == ["rewritten"] * 3 + ["manual"]
    assert all(c.extra["requires"] == ["redis-entraid"] for c in changes[:3])
    assert "access-policy-assignment" in changes[0].notes[0]
    assert rewrite(updated)[0] == updated


def test_redis_env_url_and_managed_identity_option(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(fakes.expand(f"REDIS_URL=rediss://:«b64:32»@{CACHE}:6380/0\n"))
    updated, [change] = rewrite('''
        import os
        from redis import Redis
        cache = Redis.from_url(os.environ["REDIS_URL"])
        ''', tmp_path, credential="managed-identity", client_id_env="AZURE_CLIENT_ID")
    assert updated.endswith(
        'cache = Redis.from_url(os.environ["REDIS_URL_ENTRA"], credential_provider=create_from_managed_identity('
        'identity_type=ManagedIdentityType.USER_ASSIGNED, resource="https://redis.azure.com/", '
        'id_type=ManagedIdentityIdType.CLIENT_ID, id_value=os.environ["AZURE_CLIENT_ID"]))\n')
    assert (change.setting, change.setting_value) == ("REDIS_URL_ENTRA", f"rediss://{CACHE}:6380/0")


@pytest.mark.parametrize("options, client_id", [({}, None), ({"credential": "managed-identity"}, None),
                                                ({"credential": "managed-identity", "client_id": "cid-1"}, "cid-1")])
def test_rewritten_redis_client_gets_tokens(monkeypatch: pytest.MonkeyPatch, options: dict[str, Any],
                                            client_id: str | None) -> None:
    """The real client is built; its redis-entraid provider fetches a token from the local App Service endpoint
    (DefaultAzureCredential, or MSAL's managed-identity client for --credential managed-identity)."""
    from redis_entraid.cred_provider import EntraIdCredentialsProvider

    updated, _ = rewrite(f'import redis\ncache = redis.Redis(host="{CACHE}", password="«b64:32»")\n', **options)
    with identity_endpoint() as endpoint:
        use_identity_endpoint(monkeypatch, endpoint)
        namespace: dict[str, Any] = {}
        exec(compile(updated, "app.py", "exec"), namespace)
        kwargs = namespace["cache"].connection_pool.connection_kwargs
        provider = kwargs["credential_provider"]
        assert isinstance(provider, EntraIdCredentialsProvider)
        assert (kwargs["host"], kwargs["port"], kwargs.get("password")) == (CACHE, 6380, None)
        username, token = provider.get_credentials()
    # MSAL's managed-identity client asks for the resource as given (README form, with "/"); the local endpoint
    # echoes it as the audience, where Azure issues https://redis.azure.com either way
    assert audience(token).rstrip("/") == "https://redis.azure.com"
    assert username == "00000000-0000-0000-0000-0000000000a1"  # the token's oid claim
    assert [r.rstrip("/") for r in endpoint.resources] == ["https://redis.azure.com"]
    assert endpoint.requests[0].client_id == client_id
