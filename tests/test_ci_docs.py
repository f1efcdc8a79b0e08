"""Every snippet in docs/ci.md, read out of the page and run or validated (the GitLab job: tests/test_ci_gitlab.py).

Snippets are the fenced block after a `<!-- snippet: NAME -->` comment; a snippet this file does not know fails
the last test, so a new one cannot go untested.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.test_ci_support import ROOT, clean_env, git, pr_repository, run_bash, shallow_clone

PAGE = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
SNIPPET = re.compile(r"<!-- snippet: ([\w-]+) -->\n```(\w+)\n(.*?)```", re.S)
SNIPPETS = {name: body for name, _, body in SNIPPET.findall(PAGE)}
TESTED = {"pre-commit", "github-workflow", "diff-base", "baseline", "azure-pipelines", "gitlab-ci"}


def dev_env(home: Path) -> dict[str, str]:
    """`mi-migrate` and `python` on PATH from the environment running the tests."""
    return clean_env(HOME=str(home), PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def test_pre_commit_snippet_is_a_valid_config_for_the_published_hooks():
    from cfgv import validate
    from pre_commit.clientlib import CONFIG_SCHEMA, load_manifest
    from pre_commit.yaml import yaml_load

    config = yaml_load(SNIPPETS["pre-commit"])
    validate(config, CONFIG_SCHEMA)  # raises on anything pre-commit would reject
    hooks = {hook["id"] for hook in load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))}
    (repo,) = config["repos"]
    assert {hook["id"] for hook in repo["hooks"]} <= hooks
    args = repo["hooks"][0]["args"]
    assert args[0] == "--baseline"  # an option `mi-migrate scan` takes, as the hook's entry is `mi-migrate scan`


def test_github_workflow_uses_the_action_with_declared_inputs_and_fetches_the_base(tmp_path):
    workflow = yaml.safe_load(SNIPPETS["github-workflow"])
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["scan"]["steps"]
    uses = [s for s in steps if s.get("uses", "").endswith("/mi-migrate@v0.1.0")]
    assert len(uses) == 1 and set(uses[0]["with"]) <= set(action["inputs"])
    assert steps[0]["uses"].startswith("actions/checkout@") and steps[0]["with"]["fetch-depth"] == 1
    fetch = next(s for s in steps if "run" in s)
    assert fetch["env"]["BASE_REF"] == "${{ github.base_ref }}" and "${{" not in fetch["run"]

    # the fetch step, run in the clone actions/checkout leaves (depth 1), makes --diff-base origin/main work
    origin = pr_repository(tmp_path)
    clone = shallow_clone(origin, tmp_path / "ws")
    env = dev_env(tmp_path) | {"BASE_REF": "main", "GITHUB_WORKSPACE": str(clone)}
    proc = run_bash(fetch["run"] + "\n", clone, env, tmp_path / "s")
    assert proc.returncode == 0, proc.stderr
    assert git(clone, "rev-parse", "--verify", "-q", "origin/main").strip()


@pytest.mark.slow
def test_diff_base_snippet_runs_in_a_shallow_clone(tmp_path):
    origin = pr_repository(tmp_path)
    clone = shallow_clone(origin, tmp_path / "ws")
    proc = run_bash(SNIPPETS["diff-base"], clone, dev_env(tmp_path), tmp_path / "s")
    assert proc.returncode == 1  # the branch adds a secret
    assert "services/api/local.env:2:" in proc.stdout and "app/old.env" not in proc.stdout


@pytest.mark.slow
def test_baseline_snippet_records_then_passes(tmp_path):
    origin = pr_repository(tmp_path)
    proc = run_bash(SNIPPETS["baseline"], origin, dev_env(tmp_path), tmp_path / "s")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (origin / ".mi-migrate-baseline.json").is_file()


def test_azure_snippet_uses_the_template_with_declared_parameters():
    pipeline = yaml.safe_load(SNIPPETS["azure-pipelines"])
    template = yaml.safe_load((ROOT / "ci" / "azure-pipelines.yml").read_text(encoding="utf-8"))
    (repo,) = pipeline["resources"]["repositories"]
    step = next(s for s in pipeline["steps"] if "template" in s)
    path, _, alias = step["template"].partition("@")
    assert alias == repo["repository"] and (ROOT / path).is_file()
    assert set(step["parameters"]) <= {p["name"] for p in template["parameters"]}


@pytest.mark.slow
def test_exit_codes_table_matches_the_cli(tmp_path):
    rows = dict(re.findall(r"^\| (\d) \| (.+?) \|$", PAGE, re.M))
    assert set(rows) == {"0", "1", "2"}
    origin = pr_repository(tmp_path)

    def code(*args: str) -> int:
        return subprocess.run([sys.executable, "-m", "mi_migrate", "scan", *args], cwd=origin, capture_output=True,
                              env=dev_env(tmp_path), timeout=300).returncode

    assert code("README.md") == 0
    assert code("app") == 1
    assert code("app", "--fail-on", "never") == 0
    assert code("--diff-base", "no-such-branch") == 2


def test_every_snippet_is_tested():
    assert set(SNIPPETS) == TESTED
