"""Generate a deterministic benchmark corpus: code, config, prose, minified JS and some planted fake keys.

Why generated: a fixed seed gives the same bytes on every machine, so numbers compare across runs without
committing megabytes. The mix leans on what makes secret scanners slow or noisy: long minified lines,
package-lock integrity hashes, base64 data URIs, UUIDs, placeholders and emulator strings. Planted credentials
come from mi_migrate.testing.fakes (they start with FAKE) and are listed in `<out>.manifest.json` next to the corpus,
outside it, so the manifest is not scanned.

The corpus root gets its own (empty) git repository and `.mi-migrate.toml`: benchmarks/corpus/ is gitignored
in this repo, and mi-migrate, like git, skips ignored files, so without its own repo it would see nothing.

    python benchmarks/make_corpus.py                      # ~60 MB, 6,000 files into benchmarks/corpus/std
    python benchmarks/make_corpus.py --big                # ~600 MB into benchmarks/corpus/big
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from mi_migrate.testing import fakes

HERE = Path(__file__).resolve().parent
SEED = 20261126
PLANT_EVERY = 37  # about one file in 37 carries a planted credential

WORDS = (
    "account order invoice customer payment blob queue table message event handler service client request "
    "response config settings storage container upload download thumbnail report user session token cache "
    "retry timeout batch worker job schedule metrics logger tenant region endpoint resource group deploy "
    "build pipeline artifact release feature flag route model view schema record index search query result "
    "status error warning notice debug trace span context value key name path file folder image video audio"
).split()
KINDS: dict[str, tuple[float, int, int]] = {  # kind → (weight, min bytes, max bytes)
    "py": (0.34, 1_500, 16_000),
    "json": (0.17, 800, 24_000),
    "yaml": (0.14, 600, 8_000),
    "log": (0.10, 2_000, 30_000),
    "md": (0.09, 800, 9_000),
    "env": (0.08, 150, 2_000),
    "min.js": (0.08, 20_000, 120_000),
}
PLANTS = {
    "storage": "DefaultEndpointsProtocol=https;AccountName=bench{n};AccountKey=«b64:64»;"
    "EndpointSuffix=core.windows.net",
    "servicebus": "Endpoint=sb://bench{n}.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
    "SharedAccessKey=«b64:32»",
    "cosmos": "AccountEndpoint=https://bench{n}.documents.azure.com:443/;AccountKey=«b64:64»;",
    "sql": "Server=tcp:bench{n}.database.windows.net,1433;Database=orders;User ID=app;Password=«alnum:20»;"
    "Encrypt=True;",
    "sas": "https://bench{n}.blob.core.windows.net/c/b.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2031-01-01T00:00:00Z"
    "&st=2024-01-01T00:00:00Z&spr=https&sig=«b64:32»",
}
# Look like credentials to a naive scanner, are not: a good scanner stays quiet on these.
DECOYS = (
    "UseDevelopmentStorage=true",
    "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=<your-account-key>;EndpointSuffix=core.windows.net",
    "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${STORAGE_KEY}",
    "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=<key>",
    "Server=tcp:acme.database.windows.net;Database=orders;Authentication=Active Directory Managed Identity;",
    "https://acme.blob.core.windows.net/container/file.txt",
)


def words(rng: random.Random, n: int) -> list[str]:
    return rng.choices(WORDS, k=n)


def ident(rng: random.Random) -> str:
    return "_".join(words(rng, rng.randint(1, 3)))


def b64(rng: random.Random, n_bytes: int) -> str:
    return base64.b64encode(rng.randbytes(n_bytes)).decode()


def uid(rng: random.Random) -> str:
    return str(uuid.UUID(bytes=rng.randbytes(16), version=4))


def _py_block(rng: random.Random) -> str:
    name, a, b = ident(rng), ident(rng), ident(rng)
    body = [
        f"def {name}({a}, {b}=None):",
        f'    """{" ".join(words(rng, rng.randint(4, 14))).capitalize()}."""',
        f"    {ident(rng)} = {a} + {rng.randint(0, 999)}",
        f"    if {b} is not None and {a} > {rng.randint(1, 50)}:",
        f'        logger.info("{" ".join(words(rng, 5))} %s", {a})',
        f'        return {{"{ident(rng)}": "{uid(rng)}", "{ident(rng)}": {rng.random():.4f}}}',
        f'    {ident(rng)} = os.environ.get("{ident(rng).upper()}", "{"-".join(words(rng, 2))}")',
        f"    # {' '.join(words(rng, rng.randint(3, 12)))}",
        f'    return [{", ".join(repr(w) for w in words(rng, rng.randint(1, 6)))}]',
        "",
        "",
    ]
    return "\n".join([*body[: rng.randint(6, len(body))], "", ""])


def gen_py(rng: random.Random, size: int) -> list[str]:
    head = ['"""' + " ".join(words(rng, 12)).capitalize() + '."""', "", "import logging", "import os"]
    if rng.random() < 0.3:
        head.append("from azure.storage.blob import BlobServiceClient")
    head += ["", "logger = logging.getLogger(__name__)", "", ""]
    out, total = head, sum(len(x) + 1 for x in head)
    while total < size:
        block = _py_block(rng)
        out.append(block)
        total += len(block) + 1
    return out


def _json_value(rng: random.Random, depth: int) -> object:
    r = rng.random()
    if depth < 3 and r < 0.25:
        return {ident(rng): _json_value(rng, depth + 1) for _ in range(rng.randint(1, 6))}
    if depth < 3 and r < 0.35:
        return [_json_value(rng, depth + 1) for _ in range(rng.randint(1, 4))]
    if r < 0.5:
        return " ".join(words(rng, rng.randint(1, 6)))
    if r < 0.6:
        return uid(rng)
    if r < 0.7:
        return rng.randbytes(32).hex()
    if r < 0.8:
        return rng.randint(0, 10**6)
    return rng.random() < 0.5


def gen_json(rng: random.Random, size: int) -> list[str]:
    if rng.random() < 0.4:  # package-lock.json: the integrity hashes every entropy detector trips on
        packages, total = {}, 0
        while total < size:
            name = "-".join(words(rng, rng.randint(1, 2)))
            version = f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 99)}"
            packages[f"node_modules/{name}"] = {
                "version": version,
                "resolved": f"https://registry.example.invalid/{name}/-/{name}-{version}.tgz",
                "integrity": "sha512-" + b64(rng, 64),
                "dev": rng.random() < 0.5,
            }
            total += 230 + 2 * len(name)
        doc: object = {"name": ident(rng), "lockfileVersion": 3, "packages": packages}
    else:
        settings: dict[str, object] = {}
        total = 0
        while total < size:
            value = _json_value(rng, 0)
            settings[ident(rng)] = value
            total += len(json.dumps(value)) + 20
        doc = settings
    return json.dumps(doc, indent=2).splitlines()


def gen_yaml(rng: random.Random, size: int) -> list[str]:
    out = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", f"  name: {'-'.join(words(rng, 2))}",
           "spec:", "  template:", "    spec:", "      containers:"]
    total = 0
    while total < size:
        name = "-".join(words(rng, 2))
        image = f"registry.example.invalid/{name}:{rng.randint(1, 99)}"
        block = [f"      - name: {name}", f"        image: {image}", "        env:"]
        for _ in range(rng.randint(2, 8)):
            key = ident(rng).upper()
            if rng.random() < 0.2:
                block += [f"        - name: {key}", "          valueFrom:", "            secretKeyRef:",
                          f"              name: {name}", f"              key: {ident(rng)}"]
            else:
                block += [f"        - name: {key}", f'          value: "{" ".join(words(rng, 2))}"']
        out += block
        total += sum(len(x) + 1 for x in block)
    return out


def gen_log(rng: random.Random, size: int) -> list[str]:
    out, total = [], 0
    levels = ("INFO", "INFO", "INFO", "DEBUG", "WARNING", "ERROR")
    while total < size:
        line = (f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
                f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z {rng.choice(levels)} {ident(rng)} "
                f"request_id={uid(rng)} {' '.join(words(rng, rng.randint(3, 10)))} "
                f"took={rng.randint(1, 900)}ms etag={rng.randbytes(8).hex()}")
        out.append(line)
        total += len(line) + 1
    return out


def gen_md(rng: random.Random, size: int) -> list[str]:
    out, total = [f"# {' '.join(words(rng, 3)).title()}", ""], 0
    while total < size:
        para = " ".join(words(rng, rng.randint(20, 80))).capitalize() + "."
        block = [f"## {' '.join(words(rng, 2)).title()}", "", para, ""]
        if rng.random() < 0.3:
            command = f"az {rng.choice(WORDS)} create --name {ident(rng)} --resource-group rg"
            block += ["```sh", command, "```", ""]
        out += block
        total += sum(len(x) + 1 for x in block)
    return out


def gen_env(rng: random.Random, size: int) -> list[str]:
    out, total = [f"# {' '.join(words(rng, 6))}"], 0
    while total < size:
        r = rng.random()
        if r < 0.15:
            value = rng.choice(DECOYS)
        elif r < 0.3:
            value = "${" + ident(rng).upper() + "}"
        else:
            value = "-".join(words(rng, rng.randint(1, 3)))
        line = f"{ident(rng).upper()}={value}"
        out.append(line)
        total += len(line) + 1
    return out


def gen_min_js(rng: random.Random, size: int) -> list[str]:
    parts, total = ["!function(e,t){"], 0
    while total < size:
        r = rng.random()
        if r < 0.02:
            part = f'var {ident(rng)}="data:image/png;base64,{b64(rng, rng.randint(300, 3000))}";'
        elif r < 0.5:
            obj, method = rng.choice("abcdefgh"), ident(rng)
            part = f'{obj}.{ident(rng)}=function(n,r){{return n.{method}(r,"{rng.choice(WORDS)}")}};'
        else:
            var = f"{rng.choice('nrtoiu')}{rng.randint(0, 99)}"
            text, h = " ".join(words(rng, 3)), rng.randbytes(12)
            part = f'var {var}={{{ident(rng)}:"{text}",id:{rng.randint(0, 10**6)},h:"{h.hex()}"}};'
        parts.append(part)
        total += len(part)
    parts.append("}(window,document);")
    return ["".join(parts)]  # one line: the case that makes per-line regex scanners crawl


GENERATORS: dict[str, Callable[[random.Random, int], list[str]]] = {
    "py": gen_py, "json": gen_json, "yaml": gen_yaml, "log": gen_log, "md": gen_md, "env": gen_env,
    "min.js": gen_min_js,
}
PLANT_FORMATS = {
    "py": '{name} = "{value}"',
    "yaml": '        - {{name: {name}, value: "{value}"}}',
    "log": "2026-01-01T00:00:00Z DEBUG settings loaded {name}={value}",
    "md": "Set `{name}` to `{value}` before running the sample.",
    "env": "{name}={value}",
}


def plant(lines: list[str], kind: str, rng: random.Random, index: int) -> list[str]:
    """Put one generated-fake credential at a random line; JSON and minified JS get it inside the document."""
    which = rng.choice(sorted(PLANTS))
    value = fakes.expand(PLANTS[which].format(n=index), seed=SEED + index)
    name = f"{which.upper()}_CONNECTION"
    if kind == "json":
        doc_line = f'  "{name}": "{value}",'
        lines.insert(1, doc_line)
    elif kind == "min.js":
        lines[0] = lines[0].replace("!function(e,t){", f'!function(e,t){{var cfg="{value}";', 1)
    elif kind == "py":  # module level, after the docstring, so the file still parses
        lines.insert(2, PLANT_FORMATS[kind].format(name=name, value=value))
    else:
        lines.insert(rng.randint(0, len(lines)), PLANT_FORMATS[kind].format(name=name, value=value))
    return [which]


def make_file(args: tuple[int, int, str]) -> tuple[str, int, list[str]]:
    """Write file number `index`; everything about it derives from (seed, index), so workers need no state."""
    index, seed, out = args
    rng = random.Random(f"{seed}:{index}")
    kinds = list(KINDS)
    kind = rng.choices(kinds, weights=[KINDS[k][0] for k in kinds])[0]
    lo, hi = KINDS[kind][1], KINDS[kind][2]
    size = int(lo + (hi - lo) * rng.random() ** 2)  # skewed towards small files, as in real repositories
    lines = GENERATORS[kind](rng, size)
    planted = plant(lines, kind, rng, index) if index % PLANT_EVERY == 7 else []
    suffix = ".env" if kind == "env" else f".{kind}"
    rel = f"{rng.choice(WORDS)}/{rng.choice(WORDS)}/{ident(rng)}_{index:06d}{suffix}"
    path = Path(out) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    data = ("\n".join(lines) + "\n").encode("utf-8")
    path.write_bytes(data)
    return rel, len(data), planted


def generate(out: Path, min_files: int, min_mb: float, seed: int = SEED, jobs: int = 0) -> dict[str, object]:
    """Write at least min_files files and min_mb MB into out (wiped first); return the manifest."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    started = time.perf_counter()
    files: dict[str, list[str]] = {}
    total, index, batch = 0, 0, max(min_files, 1000)
    with ProcessPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        while index < min_files or total < min_mb * 1e6:
            tasks = [(i, seed, str(out)) for i in range(index, index + batch)]
            for rel, size, planted in pool.map(make_file, tasks, chunksize=64):
                total += size
                if planted:
                    files[rel] = planted
            index += batch
            batch = 1000
    (out / ".mi-migrate.toml").write_text("# benchmark corpus: default settings, not the repository's\n")
    if shutil.which("git"):  # own repo: the parent repo ignores benchmarks/corpus/, see the module docstring
        subprocess.run(["git", "init", "-q", str(out)], check=True)
    manifest = {"seed": seed, "files": index, "bytes": total, "planted": files,
                "planted_count": sum(len(v) for v in files.values()),
                "generated_in_s": round(time.perf_counter() - started, 1)}
    out.with_name(out.name + ".manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the benchmark corpus.")
    parser.add_argument("--big", action="store_true", help="the ~600 MB memory-check corpus (corpus/big)")
    parser.add_argument("--out", type=Path, help="output directory (default benchmarks/corpus/std or /big)")
    parser.add_argument("--files", type=int, help="at least this many files (default 6000; 40000 with --big)")
    parser.add_argument("--mb", type=float, help="at least this many MB (default 55; 600 with --big)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    out = args.out or HERE / "corpus" / ("big" if args.big else "std")
    files = args.files or (40_000 if args.big else 6_000)
    mb = args.mb or (600.0 if args.big else 55.0)
    m = generate(out, files, mb, args.seed)
    print(f"{out}: {m['files']} files, {int(m['bytes']) / 1e6:.1f} MB, {m['planted_count']} planted fake "
          f"credentials, {m['generated_in_s']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
