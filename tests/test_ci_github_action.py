"""action.yml, run the way a GitHub runner runs a composite action: each `run:` step's script in bash with the
GITHUB_* environment (workspace, a fresh GITHUB_OUTPUT per step, GITHUB_STEP_SUMMARY, GITHUB_ACTION_PATH), its
`env:` with `${{ }}` expressions substituted, step outputs fed to later steps, `if:` conditions evaluated, and
later steps skipped after a failure. `uses:` steps are not executed: setup-python is replaced by a venv on PATH
and upload-sarif is checked through the inputs it would receive (a SARIF file that validates and places every
result on a file of the repository).

The install step builds this checkout with pip (the build backend comes from PyPI; dependencies from the dev venv).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.test_ci_support import (
    ROOT,
    clean_env,
    git,
    pr_repository,
    read_outputs,
    run_bash,
    runner_python,
    sarif_uris,
    shallow_clone,
    substitute,
    validate_sarif,
    write,
)

pytestmark = pytest.mark.slow

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


@dataclass
class ActionRun:
    exit_code: int = 0
    logs: dict[str, str] = field(default_factory=dict)  # step name -> stdout + stderr
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # step id -> outputs
    summary: str = ""
    uploads: list[dict[str, Any]] = field(default_factory=list)  # the `with:` of upload-sarif, when it runs

    @property
    def log(self) -> str:
        return "\n".join(self.logs.values())


def _evaluate_if(condition: str, resolve: Any) -> bool:
    """The `if:` subset action.yml uses: comparisons of contexts with string literals, joined by && and ||."""
    python = re.sub(r"\b(?:inputs|steps|github)\.[\w.-]+", lambda m: repr(resolve(m.group(0))), condition)
    python = python.replace("&&", " and ").replace("||", " or ")
    return bool(eval(python, {"__builtins__": {}}, {}))  # our own action.yml: a tiny grammar


def run_action(workspace: Path, tmp: Path, bin_dir: Path, inputs: dict[str, str], *, install: bool = False,
               ) -> ActionRun:
    spec = ACTION["inputs"]
    unknown = set(inputs) - set(spec)
    assert not unknown, f"inputs not declared in action.yml: {unknown}"
    values = {name: str(inputs.get(name, meta.get("default", ""))) for name, meta in spec.items()}
    run = ActionRun()
    summary = tmp / "step-summary.md"
    summary.write_text("", encoding="utf-8")
    runner_temp = tmp / "runner-temp"
    runner_temp.mkdir(exist_ok=True)

    def resolve(expr: str) -> str:
        if expr.startswith("inputs."):
            return values[expr.removeprefix("inputs.")]
        if expr == "github.action_path":
            return str(ROOT)
        if expr == "github.workspace":
            return str(workspace)
        match = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
        if match:
            return run.outputs.get(match.group(1), {}).get(match.group(2), "")
        raise KeyError(expr)

    failed = False
    for index, step in enumerate(ACTION["runs"]["steps"]):
        name = step.get("name", f"step {index}")
        if failed or ("if" in step and not _evaluate_if(step["if"], resolve)):
            continue
        if "uses" in step:
            with_ = {k: substitute(str(v), resolve) for k, v in step.get("with", {}).items()}
            if step["uses"].startswith("actions/setup-python@"):
                assert with_["python-version"] == values["python-version"]
            elif step["uses"].startswith("github/codeql-action/upload-sarif@"):
                run.uploads.append(with_)
            else:
                raise AssertionError(f"unexpected action {step['uses']}")
            continue
        if step.get("id") == "install" and not install:
            continue
        assert step["shell"] == "bash"
        output_file = tmp / f"output-{index}"
        output_file.write_text("", encoding="utf-8")
        env = clean_env(
            PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", HOME=str(tmp), CI="true", GITHUB_ACTIONS="true",
            GITHUB_WORKSPACE=str(workspace), GITHUB_OUTPUT=str(output_file), GITHUB_STEP_SUMMARY=str(summary),
            GITHUB_ENV=str(tmp / "env"), GITHUB_ACTION_PATH=str(ROOT), RUNNER_TEMP=str(runner_temp),
        )
        env.update({k: substitute(str(v), resolve) for k, v in step.get("env", {}).items()})
        proc = run_bash(substitute(step["run"], resolve), workspace, env, tmp / "scripts")
        run.logs[name] = proc.stdout + proc.stderr
        if "id" in step:
            run.outputs[step["id"]] = read_outputs(output_file)
        if proc.returncode != 0:
            failed, run.exit_code = True, proc.returncode
    run.summary = summary.read_text(encoding="utf-8")
    return run


@pytest.fixture(scope="module")
def runner_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runner Python into which the action's own install step installs mi-migrate from GITHUB_ACTION_PATH."""
    home = tmp_path_factory.mktemp("runner")
    bin_dir = runner_python(home)
    workspace = home / "ws"
    workspace.mkdir()
    git(workspace, "init", "-q")
    write(workspace / "README.md", "clean\n")
    run = run_action(workspace, home, bin_dir, {"upload-sarif": "false"}, install=True)
    assert run.exit_code == 0, run.log
    assert "No findings" in run.summary
    return bin_dir


def _secrets_in(text: str, repo: Path) -> list[str]:
    keys = re.findall(r"AccountKey=([^;\s]+)", "".join(p.read_text() for p in repo.rglob("*.env")))
    return [key for key in keys if key[4:20] in text]


def test_action_on_a_subfolder_annotates_uploads_summarises_and_fails(tmp_path, runner_bin):
    origin = pr_repository(tmp_path)
    workspace = tmp_path / "ws"
    git(tmp_path, "clone", "-q", "--branch", "feature", str(origin), str(workspace))
    run = run_action(workspace, tmp_path, runner_bin, {"paths": "services/api"})

    assert run.exit_code == 1 and run.outputs["scan"]["exit-code"] == "1"
    scan_log = run.logs["Scan for Azure credentials"]
    assert "::error file=services/api/local.env,line=2," in scan_log  # repository-relative, not config-relative
    assert "app/old.env" not in scan_log  # outside the scanned paths
    sarif = tmp_path / "runner-temp" / "mi-migrate.sarif"  # outside the workspace: no later scan reads it
    assert run.uploads == [{"sarif_file": str(sarif), "category": "mi-migrate"}]
    doc = json.loads(sarif.read_text(encoding="utf-8"))
    validate_sarif(doc)
    uris = sarif_uris(doc)
    assert uris == ["services/api/local.env"]
    assert all((workspace / uri).is_file() for uri in uris)
    assert "| Rule | Level | Findings | Title |" in run.summary
    assert re.search(r"\| \[AZ101\]\(https://\S+rules\.md#az101-[\w-]+\) \| error \| 1 \|", run.summary)
    assert not _secrets_in(run.log + run.summary + json.dumps(doc), workspace)


def test_action_pr_mode_in_a_shallow_clone_reports_only_the_new_secret(tmp_path, runner_bin):
    origin = pr_repository(tmp_path)
    workspace = shallow_clone(origin, tmp_path / "ws")
    git(workspace, "fetch", "-q", "--no-tags", "--depth=1", "origin", "+refs/heads/main:refs/remotes/origin/main")
    run = run_action(workspace, tmp_path, runner_bin, {"diff-base": "origin/main", "fail-on": "error"})

    assert run.exit_code == 1, run.log
    annotations = [line for line in run.log.splitlines() if line.startswith("::")]
    assert len(annotations) == 1 and annotations[0].startswith("::error file=services/api/local.env,line=2,")
    doc = json.loads(Path(run.outputs["scan"]["sarif-file"]).read_text(encoding="utf-8"))
    validate_sarif(doc)
    assert sarif_uris(doc) == ["services/api/local.env"]


def test_action_exits_2_with_one_line_when_the_base_was_not_fetched(tmp_path, runner_bin):
    origin = pr_repository(tmp_path)
    workspace = shallow_clone(origin, tmp_path / "ws")
    run = run_action(workspace, tmp_path, runner_bin, {"diff-base": "origin/main"})

    assert run.exit_code == 2 and run.outputs["scan"]["exit-code"] == "2"
    errors = [line for line in run.logs["Scan for Azure credentials"].splitlines() if line.startswith("Error")]
    assert errors and all("origin/main: no such commit in this clone" in line for line in errors)
    assert "sarif-file" not in run.outputs["scan"] and run.uploads == []
    assert "the scan failed" in run.summary


def test_action_inputs_reach_scripts_only_through_env():
    """Script injection: no `${{ }}` inside a `run:` script, every input is declared and used."""
    used = set()
    for step in ACTION["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]
            used |= set(re.findall(r"inputs\.([\w-]+)", json.dumps(step.get("env", {}))))
        used |= set(re.findall(r"inputs\.([\w-]+)", json.dumps({k: step.get(k) for k in ("with", "if")})))
    assert used == set(ACTION["inputs"])
    assert {"paths", "fail-on", "baseline", "sarif-file", "python-version", "upload-sarif"} <= set(ACTION["inputs"])
    assert ACTION["runs"]["using"] == "composite"
