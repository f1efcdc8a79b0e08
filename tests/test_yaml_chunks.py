"""A large YAML file is parsed in pieces (mi_migrate.scan.structured.yaml_chunks), and only the pieces a scan can use.

The pieces must give exactly the values of walking the whole file (key paths, offsets, order); a file that cannot
be split safely (a quoted scalar or flow collection continued at column 0, anchors, directives, other line
breaks) must not be; and skipping pieces must change no finding.
"""

from __future__ import annotations

import json
import random

import pytest
import yaml

from mi_migrate.scan.files import scan_bytes
from mi_migrate.scan.model import ScanSettings
from mi_migrate.scan.structured import yaml_chunks, yaml_files
from mi_migrate.testing import fakes
from tests.test_structured_formats import _random_yaml_documents, _SomeValues

pytest.importorskip("hyperscan")  # the split looks for what it cannot split with the native engine only

KEY = fakes.expand("«b64:64»", seed=11)
CONN = f"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={KEY};EndpointSuffix=core.windows.net"
ESCAPED = "EscapedKeyGoesHere"
SAS = "sv=2022-11-02&ss=b&srt=sco&sp=rl&se=2030-01-01T00:00:00Z&sig=" + fakes.expand("«b64:43»", seed=12) + "%3D"


class _AnyValue(_SomeValues):
    """A gate keeping values by position (stable across readers) and every piece."""

    def decodings_reveal(self, start: int, end: int) -> bool:
        return True


def _interaction(rng: random.Random, i: int, planted: str | None) -> dict:
    items = [{"id": f"/subscriptions/0000/resourceGroups/rg/item-{i}-{j}", "name": f"naïve-{j}" * rng.randint(1, 3),
              "etag": fakes.fake_hex(32, rng), "note": rng.choice(["it's", 'say "hi"', "tab\there", "a: b"])}
             for j in range(rng.randint(0, 4))]
    body = json.dumps({"value": items})
    request = {"body": None, "headers": {"Accept": ["application/json"], "User-Agent": ["azsdk-python-storage/12.0"],
                                         "x-ms-date": ["Mon, 07 Dec 2026 04:00:00 GMT"]},
               "method": rng.choice(["GET", "PUT"]), "uri": f"https://acme.blob.core.windows.net/c/blob{i}"}
    response = {"body": {"string": body}, "headers": {"Content-Type": ["application/json"]},
                "status": {"code": 200, "message": "OK"}}
    if planted == "connection":
        response["body"]["string"] = json.dumps({"connectionString": CONN, "value": items})
    elif planted == "sas":
        request["uri"] += "?" + SAS
    elif planted == "escaped":
        request["body"] = "\x07" + ESCAPED  # dumped in double quotes (\a), then the key escaped in its place
    elif planted == "folded":
        response["settings"] = f"DefaultEndpointsProtocol=https;AccountName=acme;\nAccountKey={KEY};\n"
    return {"request": request, "response": response}


def _recording(seed: int, planted: dict[int, str]) -> str:
    rng = random.Random(seed)
    count = max([*planted, 40]) + 1
    data = {"interactions": [_interaction(rng, i, planted.get(i)) for i in range(count)], "version": 1}
    text = yaml.safe_dump(data, width=rng.choice([60, 80, 1000]), allow_unicode=bool(seed % 2),
                          default_flow_style=False)
    escaped = "".join(f"\\x{ord(c):02x}" if i % 8 == 7 else c for i, c in enumerate(KEY))
    return text.replace(ESCAPED, "AccountKey=" + escaped)


@pytest.mark.parametrize("salt", [0, 1, 2])
def test_pieces_give_the_whole_walk(salt: int) -> None:
    """With every piece walked, the pieces give the values, key paths, offsets and order of walking the whole
    file, on recordings and on generated documents in every style; most of them split, items with their index."""
    gate = _AnyValue(salt)
    split = compared = 0
    for text in [_recording(seed, {}) for seed in range(6)] + _random_yaml_documents():
        whole = yaml_files.walk_events(text, gate)
        pieces = yaml_files.walk_chunks(text, gate)
        if pieces is None:
            continue
        split += 1
        assert pieces == whole, text
        compared += len(whole or [])
    assert split > 60 and compared > 300
    chunks = yaml_chunks.split(_recording(3, {}))
    assert chunks is not None and [c.root[1] for c in chunks if c.root] == list(range(41))
    assert {c.root[0] for c in chunks if c.root} == {(None, "interactions")}


UNSPLITTABLE = {
    "quoted scalar continued at column 0": "interactions:\n- 'first line of it\n- still the same scalar'\n- next\n",
    "double-quoted continued at column 0": 'a: "one\nb: two"\nc: three\n',
    "flow sequence continued at column 0": "a: [one,\nb, c]\nd: e\n",
    "anchor and alias": "a: &x anchored-value\nb: *x\n",
    "document marker": "---\na: one\nb: two\n",
    "directive": "%YAML 1.1\n---\na: one\n",
    "kubernetes kind": "apiVersion: v1\nkind: Secret\ndata:\n  k: aGVsbG8gd29ybGQ=\n",
    "byte-order mark": "\ufeffa: one\nb: two\n",
    "line separator": "a: one\u2028b: two\nc: three\n",
    "lone carriage return": "a: one\rb: two\nc: three\n",
    "root sequence": "- one\n- two\n",
    "indented root": "  a: one\n  b: two\n",
    "invalid piece": "a: one\nb: [unclosed\nc: three\n",
    "token ampersand with no anchor name": "a: one\nb: & two\nc: three\n",
    "alias before a flow separator": "a: [one, *x]\nb: two\n",
    "alias at the end of the text": "a: one\nb: *x",
}


@pytest.mark.parametrize("name", sorted(UNSPLITTABLE))
def test_what_could_read_differently_in_pieces_is_not_split(name: str) -> None:
    """A column-0 line inside a quoted scalar or flow collection is not a boundary (the piece before it does not
    parse), and anchors, directives, document markers, a Kubernetes kind, other line breaks and a root that is
    not a column-0 mapping are left to the whole walk."""
    assert yaml_chunks.split(UNSPLITTABLE[name]) is None
    assert yaml_chunks.split("a: one\nb:\n- two\n- three\nc: four\n") is not None  # the same shapes, plain


def test_ampersands_and_stars_inside_values_still_split() -> None:
    """`Food & Drink`, `SELECT * FROM` or `&amp;` inside a recorded value is no anchor or alias (a token `&` or `*`
    needs a name followed by a space, a break or one of `?:,]}%@```, and libyaml rejects any other): such a
    recording is split, into pieces that give the whole walk."""
    gate = _AnyValue(0)
    interactions = [{"request": {"body": f"category {i}: Food & Drink, Toys & Games", "method": "GET",
                                 "uri": f"https://acme.example/q?sql=SELECT * FROM t{i}"},
                     "response": {"body": {"string": json.dumps({"name": f"R & D {i}", "filter": "* & *"})
                                           + f"<Label>Web &amp; worker {i} &gt; 2</Label>"},
                                  "status": {"code": 200}}} for i in range(60)]
    text = yaml.safe_dump({"interactions": interactions, "version": 1}, default_flow_style=False)
    assert len(text) >= yaml_files.CHUNKED_MIN and " & " in text and " * " in text and " &amp; " in text
    chunks = yaml_chunks.split(text)
    assert chunks is not None and len(chunks) == 61
    assert yaml_files.walk_chunks(text, gate) == yaml_files.walk_events(text, gate)


class _FirstPieceOnly(_AnyValue):
    """A gate walking only the piece at the start of the text."""

    def holds_known(self, start: int, end: int) -> bool:
        return False

    def decodings_reveal(self, start: int, end: int) -> bool:
        return start == 0


@pytest.mark.parametrize("broken", ["second", "first"])
def test_a_piece_that_does_not_parse_leaves_the_file_to_the_whole_walk(broken: str) -> None:
    """The walk parses the pieces it walks and checks the others parse: a quoted scalar continued at column 0,
    in a piece walked or not, gives no pieces (the file is walked whole) rather than values read across a false
    boundary."""
    good, bad = "a: one two three\n", "b: 'quoted\ncontinued at column 0'\n"
    text = good + bad + "c: four\n" if broken == "second" else bad + good + "c: four\n"
    assert yaml_chunks.split(text, validate=False) is not None  # the boundaries alone look fine
    assert yaml_files.walk_chunks(text, _FirstPieceOnly(0)) is None
    assert yaml_files.walk_chunks(good + "c: four\n", _FirstPieceOnly(0)) is not None


def _scan(text: str, path: str = "sdk/x/tests/recordings/test_x.yaml") -> tuple[list, list]:
    return scan_bytes(path, text.encode("utf-8"), ScanSettings())


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_pieces_with_nothing_to_find_are_not_parsed_and_no_finding_changes(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A recording with keys planted in a few interactions (a connection string in a JSON body, a SAS in a URI,
    a key behind an escape, one folded over lines): the same findings, key paths and positions as walking the
    whole file, while only the pieces around them are parsed."""
    text = _recording(seed, {3: "connection", 17: "sas", 25: "escaped", 33: "folded"})
    assert len(text) >= yaml_files.CHUNKED_MIN
    walked: list[int] = []
    real = yaml_files.walk_events

    def counting(text: str, keep, start: int = 0, end: int | None = None, root=None):  # type: ignore[no-untyped-def]
        walked.append(start)
        return real(text, keep, start, end, root)

    monkeypatch.setattr(yaml_files, "walk_events", counting)
    pieces = _scan(text)
    parsed = len(walked)
    monkeypatch.setattr(yaml_files, "CHUNKED_MIN", len(text) + 1)
    assert pieces == _scan(text)
    paths = {f.key_path for f in pieces[0]}
    assert {"interactions[3].response.body.string", "interactions[17].request.uri",
            "interactions[25].request.body", "interactions[33].response.settings"} <= paths, paths
    assert 4 <= parsed <= 12  # of 34 items and a version key
