"""ci/azure-pipelines.yml, run the way an Azure Pipelines agent runs a steps template: `${{ parameters.x }}`
expanded at compile time, each `bash:` step as a script with the agent's variables in the environment
(BUILD_ARTIFACTSTAGINGDIRECTORY, AGENT_TEMPDIRECTORY, BUILD_SOURCESDIRECTORY, TF_BUILD) and its `env:`, later
steps skipped after a failure unless their condition says otherwise. `task:` steps are checked, not run
(UsePythonVersion is replaced by a venv on PATH); the `publish:` step is checked through what it would publish.
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
    run_bash,
    runner_python,
    sarif_uris,
    substitute,
    validate_sarif,
    write,
)

pytestmark = pytest.mark.slow

TEMPLATE = yaml.safe_load((ROOT / "ci" / "azure-pipelines.yml").read_text(encoding="utf-8"))
MACRO = re.compile(r"\$\((\w+(?:\.\w+)*)\)")


@dataclass
class PipelineRun:
    exit_code: int = 0
    log: str = ""
    published: list[tuple[str, Path]] = field(default_factory=list)  # (artifact name, folder)
    summaries: list[Path] = field(default_factory=list)


def run_template(sources: Path, agent: Path, bin_dir: Path, parameters: dict[str, str], *,
                 install: bool = False) -> PipelineRun:
    declared = {p["name"]: p for p in TEMPLATE["parameters"]}
    assert set(parameters) <= set(declared), set(parameters) - set(declared)
    values = {name: str(parameters.get(name, p.get("default", ""))) for name, p in declared.items()}
    variables = {
        "Build.ArtifactStagingDirectory": str(agent / "a"),
        "Agent.TempDirectory": str(agent / "_temp"),
        "Build.SourcesDirectory": str(sources),
    }
    for folder in (agent / "a", agent / "_temp"):
        folder.mkdir(parents=True, exist_ok=True)

    def resolve(expr: str) -> str:
        assert expr.startswith("parameters."), expr
        return values[expr.removeprefix("parameters.")]

    def expand(value: Any) -> str:
        return MACRO.sub(lambda m: variables[m.group(1)], substitute(str(value), resolve))

    run, failed = PipelineRun(), False
    for step in TEMPLATE["steps"]:
        condition = step.get("condition", "succeeded()")
        if failed and condition not in ("succeededOrFailed()", "always()"):
            continue
        if "task" in step:
            assert step["task"] == "UsePythonVersion@0"
            assert expand(step["inputs"]["versionSpec"]) == values["pythonVersion"]
            continue
        if "publish" in step:
            run.published.append((step["artifact"], Path(expand(step["publish"]))))
            continue
        script = step["bash"]
        if "pip install" in script and not install:
            continue
        env = clean_env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", HOME=str(agent), TF_BUILD="True",
                        **{name.upper().replace(".", "_"): value for name, value in variables.items()})
        env.update({k: expand(v) for k, v in step.get("env", {}).items()})
        proc = run_bash(expand(script), sources, env, agent / "scripts")
        run.log += proc.stdout + proc.stderr
        run.summaries += [Path(p) for p in re.findall(r"^##vso\[task\.uploadsummary\](.+)$", proc.stdout, re.M)]
        if proc.returncode != 0:
            failed, run.exit_code = True, proc.returncode
    return run


@pytest.fixture(scope="module")
def runner_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template's own install step, pointed (through its `install` parameter) at this checkout."""
    home = tmp_path_factory.mktemp("agent")
    bin_dir = runner_python(home)
    sources = home / "s"
    sources.mkdir()
    git(sources, "init", "-q")
    write(sources / "README.md", "clean\n")
    run = run_template(sources, home, bin_dir, {"install": str(ROOT)}, install=True)
    assert run.exit_code == 0, run.log
    assert run.published == [("CodeAnalysisLogs", home / "a" / "CodeAnalysisLogs")]
    assert "No findings" in run.summaries[0].read_text(encoding="utf-8")
    return bin_dir


def _sarif(run: PipelineRun) -> dict[str, Any]:
    (name, folder), = run.published
    assert name == "CodeAnalysisLogs"  # the artifact the SARIF SAST Scans tab reads
    files = sorted(folder.glob("*.sarif"))
    assert [f.name for f in files] == ["mi-migrate.sarif"]
    return json.loads(files[0].read_text(encoding="utf-8"))


def test_pipeline_on_a_subfolder_logs_issues_publishes_sarif_and_fails(tmp_path, runner_bin):
    origin = pr_repository(tmp_path)
    sources = tmp_path / "s"
    git(tmp_path, "clone", "-q", "--branch", "feature", str(origin), str(sources))
    run = run_template(sources, tmp_path / "agent", runner_bin, {"paths": "services/api"})

    assert run.exit_code == 1, run.log
    issues = [line for line in run.log.splitlines() if line.startswith("##vso[task.logissue type=error;sourcepath")]
    assert len(issues) == 1
    assert issues[0].startswith("##vso[task.logissue type=error;sourcepath=services/api/local.env;linenumber=2;")
    assert "exit code 1" in run.log
    doc = _sarif(run)  # published although the scan step failed (condition: succeededOrFailed())
    validate_sarif(doc)
    assert sarif_uris(doc) == ["services/api/local.env"]
    assert all((sources / uri).is_file() for uri in sarif_uris(doc))
    summary = run.summaries[0].read_text(encoding="utf-8")
    assert "| Rule | Level | Findings | Title |" in summary and "AZ101" in summary


def test_pipeline_pr_mode_reports_only_the_new_secret(tmp_path, runner_bin):
    origin = pr_repository(tmp_path)
    sources = tmp_path / "s"
    git(tmp_path, "clone", "-q", "--branch", "feature", str(origin), str(sources))
    run = run_template(sources, tmp_path / "agent", runner_bin, {"diffBase": "origin/main", "failOn": "warning"})

    assert run.exit_code == 1, run.log
    issues = [line for line in run.log.splitlines() if line.startswith("##vso[task.logissue type=")]
    assert [i.split(";")[1] for i in issues if "sourcepath" in i] == ["sourcepath=services/api/local.env"]
    assert sarif_uris(_sarif(run)) == ["services/api/local.env"]


def test_pipeline_passes_a_clean_scan_with_a_baseline(tmp_path, runner_bin):
    origin = pr_repository(tmp_path)
    sources = tmp_path / "s"
    git(tmp_path, "clone", "-q", "--branch", "main", str(origin), str(sources))
    baseline = tmp_path / "baseline.json"
    env = clean_env(PATH=f"{runner_bin}{os.pathsep}{os.environ['PATH']}", HOME=str(tmp_path))
    proc = run_bash(f"python -m mi_migrate baseline -o {baseline} .\n", sources, env, tmp_path / "scripts")
    assert proc.returncode == 0, proc.stderr
    run = run_template(sources, tmp_path / "agent", runner_bin, {"baseline": str(baseline)})

    assert run.exit_code == 0, run.log
    assert _sarif(run)["runs"][0]["results"] == []
