"""A key credential in one branch and a token credential in the other: the code already moves to Entra ID once
the key setting is unset, so the step is configuration (marked entra_fallback), not a rewrite."""

from __future__ import annotations

from pathlib import Path

from tests.rewrite_support import rewrite

CODE = '''\
import os
from azure.core.credentials import AzureKeyCredential
from azure.identity import AzureDeveloperCliCredential, DefaultAzureCredential
from azure.search.documents import SearchClient
from azure.search.documents.indexes import SearchIndexerClient

azd_credential = AzureDeveloperCliCredential()
default_creds = azd_credential if os.getenv("SEARCH_KEY") is None else None
search_creds = default_creds if os.getenv("SEARCH_KEY") is None else AzureKeyCredential(os.environ["SEARCH_KEY"])
client = SearchClient("https://s.search.windows.net", "idx", search_creds)


class Indexer:
    def __init__(self, env):
        self.client = SearchIndexerClient(
            env.ENDPOINT,
            (AzureKeyCredential(env.KEY) if env.is_auth_type_keys() else get_azure_credential(env.CLIENT_ID)),
        )


if os.getenv("AZURE_SEARCH_KEY"):
    cred = AzureKeyCredential(os.environ["AZURE_SEARCH_KEY"])
else:
    cred = DefaultAzureCredential()
other = SearchClient("https://s.search.windows.net", "idx", cred)
no_auth = SearchClient("https://s.search.windows.net", "idx",
                       AzureKeyCredential(os.environ["K2"]) if os.getenv("K2") else None)
'''


def test_key_or_token_chosen_at_run_time(tmp_path: Path) -> None:
    updated, changes = rewrite(CODE, tmp_path)
    assert updated == CODE  # nothing to rewrite: the token path exists already
    by_line = {c.line: c for c in changes}
    fallback = {line for line, c in by_line.items() if c.extra.get("entra_fallback")}
    assert fallback == {9, 17, 22}
    assert by_line[9].old_setting == "SEARCH_KEY" and by_line[9].reason.startswith("unset SEARCH_KEY: ")
    assert "`os.getenv(\"SEARCH_KEY\") is None` is false" in by_line[9].reason
    assert by_line[17].reason.startswith("configure the deployment") and "`env.is_auth_type_keys()` is true" in (
        by_line[17].reason)
    assert by_line[22].old_setting == "AZURE_SEARCH_KEY"
    assert not by_line[27].extra.get("entra_fallback")  # `else None` is no credential at all
