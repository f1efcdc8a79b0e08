"""The pruned name pass (mi_migrate.scan.python.interest): only statements spanning a line that names something the
rules examine have their expressions walked, and a module naming nothing of the kind is not parsed. Each case here
is scanned twice, pruned and whole, and must give the same findings, with the finding the case is about among them
(so a pruning bug and an analysis bug both fail). Runs under both candidate engines (tests/conftest.py)."""

from __future__ import annotations

import ast
import random

import pytest

from mi_migrate.core.rules import load_rules
from mi_migrate.scan.files import scan_bytes
from mi_migrate.scan.model import ScanSettings
from mi_migrate.scan.python import analysis as python_analysis
from mi_migrate.scan.python import names as python_names
from mi_migrate.scan.python.interest import Watch
from mi_migrate.testing import fakes

SECRET = fakes.fake_alnum(34, random.Random(77))
FILLER = "".join(f"def helper_{i}(x):\n    return [y.upper() for y in x if y]\n\n" for i in range(40))


def _scan(text: str) -> list[tuple[str, int, int, str]]:
    found, _ = scan_bytes("app.py", text.encode(), ScanSettings(third_party=False))
    return sorted((f.rule_id, f.span.line, f.span.column, f.message) for f in found)


def _scan_whole(text: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int, str]]:
    with monkeypatch.context() as patch:
        patch.setattr(Watch, "lines", lambda self, text, native=None, mentioned=None: None)
        return _scan(text)


CASES = {
    # an alias called above its import: the walk learns the alias at the import and walks again
    "alias-called-before-import": (
        "def make(url, key):\n    return B(url, credential=key)\n\n" + FILLER
        + "from azure.storage.blob import BlobServiceClient as B\n",
        ("AZ202", "return B(")),
    "alias-inside-function": (
        FILLER + "def make(url, key):\n    from azure.storage.blob import BlobServiceClient as B\n"
        "    client = B(url, credential=key)\n    return client\n",
        ("AZ202", "client = B(")),
    "call-in-decorator": (
        "from azure.storage.blob import BlobServiceClient\n" + FILLER
        + "@register(BlobServiceClient.from_connection_string(conn))\ndef handler():\n    pass\n",
        ("AZ201", "@register(")),
    "call-split-over-lines": (
        "from azure.storage.blob import BlobServiceClient\n" + FILLER
        + "client = (BlobServiceClient\n    (url, credential=key))\n",
        ("AZ202", "client = (BlobServiceClient")),
    "call-after-backslash": (
        "from azure.storage.blob import BlobServiceClient\n" + FILLER
        + "client = BlobServiceClient \\\n    (url, credential=key)\n",
        ("AZ202", "client = BlobServiceClient \\")),
    "keyword-anywhere-in-function": (
        "from azure.storage.blob import generate_blob_sas\n" + FILLER
        + f"def sas():\n    if True:\n        return generate_blob_sas('a', 'c', 'b', account_key='{SECRET}')\n",
        ("AZ123", "account_key=")),
    "keyword-anywhere-split-over-lines": (
        "from azure.storage.blob import generate_blob_sas\n" + FILLER
        + f"token = generate_blob_sas('a', 'c', 'b',\n    account_key \\\n    = '{SECRET}')\n",
        ("AZ123", "    = '")),
    "attribute-assigned-in-function": (
        "import openai\n" + FILLER + f"def setup():\n    openai.api_key = '{SECRET}'\n",
        ("AZ123", "openai.api_key")),
    "value-bound-in-skipped-statements": (
        "from azure.storage.blob import BlobServiceClient\n" + FILLER
        + f"for _ in range(1):\n    KEY = '{SECRET}'\n" + FILLER
        + "client = BlobServiceClient('https://a.blob.core.windows.net', credential=KEY)\n",
        ("AZ123", "    KEY = '")),
    "global-rebinds-from-function": (
        "from azure.storage.blob import BlobServiceClient\nKEY = None\n" + FILLER
        + f"def setup():\n    global KEY\n    KEY = '{SECRET}'\n" + FILLER
        + "client = BlobServiceClient('https://a.blob.core.windows.net', credential=KEY)\n",
        ("AZ202", "client = BlobServiceClient(")),
    "global-with-comment-and-names-list": (
        "from azure.storage.blob import BlobServiceClient\nKEY = None\n" + FILLER
        + f"def setup():\n    global OTHER, KEY  # set once\n    KEY = '{SECRET}'\n" + FILLER
        + "client = BlobServiceClient('https://a.blob.core.windows.net', credential=KEY)\n",
        ("AZ202", "client = BlobServiceClient(")),
    "global-at-end-of-module": (
        "from azure.storage.blob import BlobServiceClient\n" + FILLER
        + "def make():\n    return BlobServiceClient('https://a.blob.core.windows.net', credential=KEY)\n"
        + f"def setup():\n    KEY = '{SECRET}'; global KEY",
        ("AZ202", "    return BlobServiceClient(")),
    "walrus-binds-in-expression": (
        "import os\nfrom azure.storage.blob import BlobServiceClient\n" + FILLER
        + "if (key := os.environ['STORAGE_KEY']):\n    pass\n" + FILLER
        + "client = BlobServiceClient('https://a.blob.core.windows.net', credential=key)\n",
        ("AZ202", "client = BlobServiceClient(")),
    "lone-carriage-returns": (
        "from azure.storage.blob import BlobServiceClient\r" + FILLER.replace("\n", "\r")
        + "client = BlobServiceClient(url, credential=key)\r", ("AZ202", "client = BlobServiceClient(")),
    "fullwidth-identifier": (
        "from azure.storage.blob import \uff22lobServiceClient\n" + FILLER
        + "client = \uff22lobServiceClient.from_connection_string(conn)\n",
        ("AZ201", "client = \uff22")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_pruned_walk_finds_what_the_whole_walk_finds(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text, (rule_id, marker) = CASES[name]
    line = next(number for number, line in enumerate(text.splitlines(), 1) if marker in line)
    pruned = _scan(text)
    assert pruned == _scan_whole(text, monkeypatch)
    assert (rule_id, line) in [(found[0], found[1]) for found in pruned], pruned


def _names(text: str, pruned: bool) -> python_names.ModuleNames:
    matchers = python_analysis.matchers_for(load_rules())
    lines = python_analysis._watch(matchers).lines(text) if pruned else None
    return python_names.collect(ast.parse(text), lines)


def test_statements_naming_nothing_watched_are_not_walked() -> None:
    """The saving itself: the helpers' calls are collected by the whole walk only; the client call by both."""
    text = "from azure.storage.blob import BlobServiceClient\n" + FILLER + "c = BlobServiceClient(u, credential=k)\n"
    whole = [call.lineno for call, _ in _names(text, pruned=False).calls]
    pruned = [call.lineno for call, _ in _names(text, pruned=True).calls]
    assert pruned == [122] and len(whole) > 40


def test_bindings_of_skipped_statements_are_kept() -> None:
    text = (
        "import os\nfrom azure.storage.blob import BlobServiceClient\n"
        "with open('k') as fh:\n    KEY = fh.read()\n"
        "try:\n    pass\nexcept OSError as err:\n    KEY2 = os.environ['K']\n"
        "class Holder:\n    pass\n"
        "c = BlobServiceClient(u, credential=KEY)\n"
    )
    whole, pruned = _names(text, pruned=False), _names(text, pruned=True)
    for name in ("os", "BlobServiceClient", "fh", "KEY", "err", "KEY2", "Holder"):
        assert len(pruned.root.bindings[name]) == len(whole.root.bindings[name]), name
    assert ast.unparse(pruned.assigned_values("KEY", pruned.root)[0]) == "fh.read()"


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = ast.parse

    def counting(source, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(source)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    return seen


def test_module_naming_watched_things_only_in_text_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """`Client` in a docstring, `connect(` without the driver's import: nothing can resolve, nothing to parse."""
    text = (
        'from azure.core.pipeline import Pipeline\n"""Used by the Client and ContainerClient."""\n'
        "conn = sqlite3.connect(':memory:')\nclient_factory = make_client\n"
    )
    seen = _parses(monkeypatch)
    assert _scan(text) == []
    assert seen == []
    called = text + "c = BlobServiceClient(u, credential=k)\n"
    assert _scan(called) == []  # an unresolved name: parsed, no finding
    assert seen == [called]


def test_global_in_prose_is_no_binding_statement(monkeypatch: pytest.MonkeyPatch) -> None:
    """A docstring line starting "global state of the cluster" is no `global` statement: no line is watched, so a
    generated model module saying so is not parsed; the statement itself, at a line's start, is."""
    text = (
        "from azure.core import serialization\n\n\nclass Health(serialization.Model):\n"
        '    """The aggregated health.\n\n    global state of the cluster is within limits. The default\n'
        '    global policy applies\n    """\n'
    )
    seen = _parses(monkeypatch)
    assert _scan(text) == []
    assert seen == []
    matchers = python_analysis.matchers_for(load_rules())
    statement = text + "def reset():\n    global POLICY\n    POLICY = None\n"
    watched = python_analysis._watch(matchers).lines(statement)
    assert watched is not None and watched.lines == [statement.splitlines().index("    global POLICY") + 1]


def test_analysis_and_joined_literals_share_one_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    password = fakes.fake_password(random.Random(5))
    text = (
        "from azure.storage.blob import BlobServiceClient\n"
        f'CONN = ("Server=tcp:x.database.windows.net;" "Password={password};")\n'
        "client = BlobServiceClient(url, credential=key)\n"
    )
    seen = _parses(monkeypatch)
    found = _scan(text)
    assert {"AZ202", "AZ113"} <= {f[0] for f in found}, found
    assert seen.count(text) == 1  # (literal_eval parses each piece's token too)


def test_joined_literal_in_a_decorator_is_found() -> None:
    """The joined-literal walk keeps to lines where literals meet; a decorator sits above its def's line."""
    password = fakes.fake_password(random.Random(6))
    text = (
        FILLER + '@configure("Server=tcp:x.database.windows.net;"\n'
        f'           "Password={password};")\ndef handler():\n    return 1\n'
    )
    assert ("AZ113", 122) in [(f[0], f[1]) for f in _scan(text)]  # (the joined value, at its password)


def test_account_key_named_only_as_attribute_or_parameter_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Generated SDK models name `account_key` as a parameter, an attribute and a dict key in every form but a
    keyword argument, the one place the secret check reads it: such a module is never parsed."""
    model = (
        "from azure.core import serialization\n\n\nclass Linked(serialization.Model):\n"
        '    """:param account_key: The account key.\n    :type account_key: object\n    """\n'
        "    _attribute_map = {'account_key': {'key': 'typeProperties.accountKey'}}\n\n"
        "    def __init__(self, *, account_key: object = None, **kwargs):\n"
        "        self.account_key = account_key\n        if self.account_key == account_key:\n            pass\n"
    )
    seen = _parses(monkeypatch)
    assert _scan(model) == []
    assert seen == []
    called = model + f"token = generate_blob_sas('a', 'c', 'b', account_key='{SECRET}')\n"
    assert _scan(called) == []  # generate_blob_sas is not imported from azure here: parsed, no finding
    assert seen == [called]


@pytest.mark.parametrize(("text", "watched"), [
    ("f(x, account_key='v')\n", True), ("f(x,\n  account_key \\\n  = v)\n", True), ("f(account_key\n=v)\n", True),
    ("self.account_key = v\n", False), ("x = {'account_key': 1}\n", False), ("if account_key == v: pass\n", False),
    ("def f(account_key: str = ''): pass\n", False), ("my_account_key = 1\n", False),
])
def test_keyword_watch_native_and_fallback_agree(text: str, watched: bool) -> None:
    from mi_migrate.scan import candidates

    watch = python_analysis._watch(python_analysis.matchers_for(load_rules()))
    body = "import azure\n" + text
    fallback = watch.lines(body).lines
    assert bool(fallback) == watched, fallback
    if "hyperscan" in candidates.available():
        assert watch.lines(body, candidates.find(body.encode(), "hyperscan")).lines == fallback


@pytest.mark.parametrize(("call", "watched"), [
    ("c = ThingClient(endpoint, key)\n", True),  # a positional argument: the fallback classifies it
    ("c = ThingClient(\n    # the endpoint\n    endpoint=e)\n", True),  # a comment: not read past
    ("c = ThingClient(*parts)\n", True), ("c = ThingClient(b'x')\n", True), ("c = ThingClient(x == y)\n", True),
    ("c = ThingClient(lambda a=1: a)\n", True), ("c = ThingClient(v for v in x)\n", True),
    ("c = ThingClient(endpoint=e,\n    credential=AzureKeyCredential(k))\n", True),
    ("c = ThingClient(endpoint=e, credential # why\n    = k)\n", True),
    ("c = ThingClient(**options)\nd = f(credential=k)\n", True),  # `credential=` after it: maybe its own
    ("c = ThingClient()\n", False), ("c = ThingClient(base_url=u, config=cfg, **kwargs)\n", False),
    ("c = ThingClient(\n    base_url \\\n    = u)\n", False), ("c = ThingClient(**options)\n", False),
    ("c = ThingClient(base_url=u)\nself.credential = CredentialOperations(x)\n", False),
    ("class ThingClient(object):\n    pass\n", False), ("class  ThingClient (Base):\n    pass\n", False),
])
def test_fallback_watch_skips_calls_it_cannot_report(call: str, watched: bool) -> None:
    """An azure.*Client the rules do not list is reported only for a `credential=` keyword or a positional
    argument: a call with neither, and a class statement, is not watched; both search paths agree."""
    from mi_migrate.scan import candidates

    watch = python_analysis._watch(python_analysis.matchers_for(load_rules()))
    body = "from azure.thing import ThingClient\n" + call
    lines = watch.lines(body).lines
    assert (2 in lines or 3 in lines) == watched, lines
    if "hyperscan" in candidates.available():
        assert watch.lines(body, candidates.find(body.encode(), "hyperscan")).lines == lines


def test_generated_client_module_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shape of ~350 of 533 parsed modules in a third of the SDK fork: a client class whose only client call is
    `ARMPipelineClient(base_url=…, **kwargs)`, with `self.credential` operations later. Nothing can report."""
    module = (
        "from azure.mgmt.core import ARMPipelineClient\n\n\nclass ThingManagementClient(object):\n"
        "    def __init__(self, credential, subscription_id, base_url=None, **kwargs):\n"
        "        self._config = ThingConfiguration(credential, subscription_id, **kwargs)\n"
        "        self._client = ARMPipelineClient(base_url=base_url, config=self._config, **kwargs)\n"
        "        self.credential = CredentialOperations(self._client, self._config)\n"
    )
    seen = _parses(monkeypatch)
    assert _scan(module) == []
    assert seen == []
    keyed = "from azure.core.credentials import AzureKeyCredential\n" + module.replace(
        "**kwargs)\n        self.credential", "credential=AzureKeyCredential(key))\n        self.credential")
    assert keyed != module and seen == []
    assert [f[0] for f in _scan(keyed)] == ["AZ202"]
    assert seen == [keyed]


def test_pruned_fallback_calls_find_what_the_whole_walk_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Modules calling unlisted azure.*Client classes with every argument shape the fallback watch reads (first
    argument positional, keyword, `**`, starred or none; `credential` near or far, as keyword or attribute;
    comments, line breaks, backslashes; class statements; called by an import alias): pruned and whole walks
    give the same findings."""
    rng = random.Random(31)
    firsts = ["", "endpoint", "endpoint=e", "**opts", "*parts", "'https://x'", "# note\n    endpoint=e",
              "base_url \\\n    = u", "AzureKeyCredential(k)", "endpoint == e"]
    keyword_firsts = {"endpoint=e", "**opts", "# note\n    endpoint=e", "base_url \\\n    = u"}
    rests = ["", ", credential=AzureKeyCredential(k)", ", credential=key", ", config=c", ", **kwargs",
             ",\n    credential = AzureKeyCredential(k)", ", cred"]
    afters = ["", "x.credential = 1\n", "f(credential=AzureKeyCredential(k))\n", "# credential\n"]
    found = skipped = 0
    for _ in range(150):
        name = "T" if rng.random() < 0.3 else "ThingClient"  # an import alias is watched wherever it is named
        alias = " as T" if name == "T" else ""
        body = [f"from azure.core.credentials import AzureKeyCredential\nfrom azure.thing import ThingClient{alias}\n"]
        for _ in range(rng.randint(1, 3)):
            first, rest = rng.choice(firsts), rng.choice(rests)
            if first in keyword_firsts and rest == ", cred":
                rest = ", cred=c"  # a positional argument after a keyword is a syntax error
            if rng.random() < 0.2:
                body.append("class ThingClient(Base):\n    pass\n")
            body.append(f"c = {name}({first}{rest if first else rest.lstrip(', ')})\n")
            body.append(rng.choice(afters))
        text = "".join(body)
        ast.parse(text)
        pruned = _scan(text)
        assert pruned == _scan_whole(text, monkeypatch), text
        found += bool(pruned)
        watch = python_analysis._watch(python_analysis.matchers_for(load_rules()))
        skipped += not watch.lines(text).lines
    assert found > 50 and skipped > 3


def test_nfkc_by_line_equals_normalizing_the_whole_text() -> None:
    """interest.nfkc normalizes only the lines holding non-ASCII; a line break is a stable code point, so the
    result must equal unicodedata's over the whole text, whatever combining marks, jamo or compatibility forms
    sit beside the breaks (the watched lines are counted in that text)."""
    import unicodedata

    from mi_migrate.scan.python.interest import nfkc

    alphabet = ["a", "x", " ", "\n", "\r", "\u0301", "\u0308", "\u0323", "\u1100", "\u1161", "\u11a8", "\uff23",
                "\u2026", "\u00a0", "\u212b", "\u00e9", "\u1e9b", "\ufb01", "\u3000", "\u2028", "\u0085",
                "\U0001d400"]
    rng = random.Random(11)
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 14)))
        assert nfkc(text) == unicodedata.normalize("NFKC", text), ascii(text)
