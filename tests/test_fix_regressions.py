"""Regressions found while trying `fix` on real code: no rewrite may leave a name undefined."""

from __future__ import annotations

from pathlib import Path

from mi_migrate.fix.codemod import transform
from mi_migrate.fix.families import all_targets
from mi_migrate.fix.model import FixOptions
from mi_migrate.fix.settings import RepoSettings


def test_variable_still_read_by_a_manual_call_keeps_its_assignment(tmp_path: Path) -> None:
    code = (
        "import os\n"
        "from azure.storage.blob import BlobServiceClient\n\n"
        'CONN = os.environ["AZURE_STORAGE_CONNECTION_STRING"]\n'
        "svc = BlobServiceClient.from_connection_string(CONN)\n"
        'other = BlobServiceClient.from_connection_string(f"{CONN};x=1")\n'
    )
    new, changes = transform(code, all_targets(), FixOptions(), RepoSettings(tmp_path))
    assert [c.status for c in changes] == ["rewritten", "manual"]
    assert 'CONN = os.environ["AZURE_STORAGE_CONNECTION_STRING"]' in new
    compile(new, "x.py", "exec")
    namespace_names = {line.split(" = ")[0] for line in new.splitlines() if " = " in line}
    assert "CONN" in namespace_names


def test_removed_default_connection_string_never_survives_the_rename(tmp_path: Path) -> None:
    from mi_migrate.testing import fakes

    default = fakes.expand("DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=«b64:64»")
    code = (
        "import os\nfrom azure.storage.blob import BlobServiceClient\n"
        f'svc = BlobServiceClient.from_connection_string(os.environ.get("STORAGE_CONN", "{default}"))\n'
    )
    new, _ = transform(code, all_targets(), FixOptions(), RepoSettings(tmp_path))
    assert "AccountKey" not in new and 'os.environ.get("STORAGE_ACCOUNT_URL")' in new


def test_configs_drop_an_api_key_the_code_no_longer_reads(tmp_path: Path) -> None:
    from mi_migrate.fix.model import FixOptions as Options
    from mi_migrate.fix.runner import fix_paths
    from mi_migrate.testing import fakes

    (tmp_path / "app.py").write_text(
        "import os\nfrom openai import AzureOpenAI\n"
        'client = AzureOpenAI(azure_endpoint=os.environ["AZURE_OPENAI_ENDPOINT"], '
        'api_key=os.environ["AZURE_OPENAI_API_KEY"], api_version="2024-06-01")\n'
    )
    env = "# local\nAZURE_OPENAI_ENDPOINT=https://acme.openai.azure.com/\n" + fakes.expand(
        "AZURE_OPENAI_API_KEY=«hex:32»\n"
    ) + "OTHER=1\n"
    (tmp_path / ".env").write_text(env)
    fix_paths(Options(paths=(str(tmp_path),), configs=True))
    assert (tmp_path / ".env").read_text() == "# local\nAZURE_OPENAI_ENDPOINT=https://acme.openai.azure.com/\nOTHER=1\n"
    assert "api_key" not in (tmp_path / "app.py").read_text()


def test_empty_placeholders_say_so(tmp_path) -> None:
    """Found on real notebooks: `REDIS_HOST = ''` and `CONN = ""` are placeholders, not foreign hosts."""
    from tests.rewrite_support import rewrite

    code = '''\
        import redis
        from azure.storage.blob import BlobServiceClient

        REDIS_HOST = ''
        CONN = ""
        r = redis.Redis(host=REDIS_HOST, port=6380, password="x-not-a-key", ssl=True)
        b = BlobServiceClient.from_connection_string(CONN)
        '''
    _, changes = rewrite(code, tmp_path)
    reasons = sorted(c.reason or "" for c in changes)
    assert reasons == ["the connection string is empty (a placeholder to fill in)",
                       "the host is an empty placeholder: cannot tell whether it is Azure Cache for Redis"]
