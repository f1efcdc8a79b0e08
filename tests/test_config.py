"""Configuration: nearest file wins (ruff's model), strict values, per-file-ignores, severity overrides."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mi_migrate.cli import main
from mi_migrate.core import config
from mi_migrate.core.finding import Finding, Kind, Severity, Span
from mi_migrate.core.rules import rule_by_id
from mi_migrate.testing import fakes


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def finding(rule_id: str = "AZ101", path: str = "app/settings.py", severity: Severity = Severity.ERROR,
            name: str = "storage-connection-string") -> Finding:
    return Finding(rule_id=rule_id, rule_name=name, path=path, span=Span(3, 5, 3, 40), severity=severity,
                   kind=Kind.SECRET, service="storage", message="m", secret_hash="0" * 64)


def test_nearest_config_wins_without_merging(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[tool.mi-migrate]\nselect = ["AZ1"]\nfail-on = "warning"\n')
    write(tmp_path, "pkg/.mi-migrate.toml", 'ignore = ["AZ102"]\n')
    write(tmp_path, "pkg/mod/pyproject.toml", '[project]\nname = "x"\n')  # no [tool.mi-migrate]: skipped
    write(tmp_path, "pkg/mod/a.py", "")
    for start in (tmp_path / "pkg", tmp_path / "pkg/mod", tmp_path / "pkg/mod/a.py"):
        cfg = config.load(None, [start])
        assert cfg.source == tmp_path / "pkg/.mi-migrate.toml"
        assert cfg.root == tmp_path / "pkg"
        assert (cfg.ignore, cfg.select, cfg.fail_on) == (("AZ102",), (), None)
    top = config.load(None, [tmp_path])
    assert (top.source, top.select, top.fail_on) == (tmp_path / "pyproject.toml", ("AZ1",), "warning")


def test_dedicated_file_beats_pyproject_in_the_same_directory(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[tool.mi-migrate]\nselect = ["AZ1"]\n')
    write(tmp_path, ".mi-migrate.toml", 'select = ["AZ2"]\n')
    assert config.load(None, [tmp_path]).select == ("AZ2",)


def test_explicit_config_overrides_the_search(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[tool.mi-migrate]\nselect = ["AZ1"]\n')
    other = write(tmp_path, "ci/strict.toml", 'fail-on = "note"\nbaseline = "../.mi-migrate-baseline.json"\n')
    cfg = config.load(other, [tmp_path])
    assert cfg.fail_on == "note" and cfg.select == ()
    assert cfg.baseline == tmp_path / "ci" / ".." / ".mi-migrate-baseline.json"


def test_every_key(tmp_path: Path) -> None:
    write(tmp_path, ".mi-migrate.toml", """
exclude = ["vendor/"]
extend-exclude = ["*.min.js"]
select = ["AZ1", "storage-connection-string"]
ignore = ["AZ190"]
max-file-size = 1000
baseline = "sec/baseline.json"
third-party = false
fail-on = "warning"
[per-file-ignores]
"tests/**" = ["AZ1"]
[severity]
AZ191 = "Note"
""")
    cfg = config.load(None, [tmp_path])
    assert cfg.exclude == ("vendor/", "*.min.js")
    assert cfg.select == ("AZ1", "storage-connection-string") and cfg.ignore == ("AZ190",)
    assert (cfg.max_file_size, cfg.third_party, cfg.fail_on) == (1000, False, "warning")
    assert cfg.baseline == tmp_path / "sec/baseline.json"
    assert cfg.per_file_ignores == {"tests/**": ("AZ1",)} and cfg.severity == {"AZ191": "note"}


def test_extend_exclude_keeps_the_defaults(tmp_path: Path) -> None:
    write(tmp_path, ".mi-migrate.toml", 'extend-exclude = ["dist/"]\n')
    cfg = config.load(None, [tmp_path])
    assert cfg.exclude == (*config.DEFAULT_EXCLUDE, "dist/")
    assert cfg.exclude_spec().match_file("web/node_modules/x/key.js")


@pytest.mark.parametrize("patterns", [
    config.DEFAULT_EXCLUDE, ("dist/", "node_modules/"), ("dist/", "*.min.js"), ("build/", "!build/keep/"),
    ("a/b/",), ("/dist/",), ("dist",), ("d?st/",), ("#x/",), ("my dir/",), ("../",), ("Dist/",),
])
def test_directory_name_excludes_match_as_pathspec_does(patterns: tuple[str, ...]) -> None:
    """Exclusions that all name directories are matched by a set lookup per directory: the same answer as
    pathspec's gitignore matcher on paths mixing those names at every depth, as file names, with prefixes and
    suffixes, dots and case changes; other pattern lists keep pathspec (also tested here)."""
    import itertools

    parts = ["dist", "Dist", "node_modules", "venv", ".venv", "a", "b", "build", "keep", "d1st", "my dir", "#x",
             "x.min.js", "distx", "xdist", ".git", "..", "__pycache__", "key.py"]
    paths = ["/".join(combo) for size in range(1, 4) for combo in itertools.product(parts, repeat=size)]
    paths += ["/abs/venv/x.py", "dist/", "a/dist/"]
    excludes = config.Excludes(patterns)
    spec = config.gitignore_spec(patterns)
    mismatched = [path for path in paths if excludes.match_file(path) != bool(spec.match_file(path))]
    assert mismatched == []
    assert patterns in (("../",), ("#x/",)) or any(map(excludes.match_file, paths))  # (a comment; no `..` listed)
    assert not all(map(excludes.match_file, paths))
    simple = all(p.endswith("/") and p.count("/") == 1 and p[0] not in "!#/" and p != "../" and "?" not in p
                 and " " not in p for p in patterns)
    assert (excludes.directory_names is not None) == simple


def test_no_config_roots_at_git_toplevel_else_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    cfg = config.load(None, [repo / "src"])
    assert (cfg.root, cfg.source) == (repo, None)
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    assert config.load(None, [plain]).root == plain


@pytest.mark.parametrize(("text", "key"), [
    ("colour = true\n", "colour"),
    ("exclude = \"vendor\"\n", "exclude"),
    ("select = [\"AZ-101\"]\n", "select"),
    ("max-file-size = -1\n", "max-file-size"),
    ("max-file-size = true\n", "max-file-size"),
    ("third-party = \"no\"\n", "third-party"),
    ("fail-on = \"critical\"\n", "fail-on"),
    ("[severity]\nAZ101 = \"fatal\"\n", "severity"),
    ("[per-file-ignores]\n\"tests/**\" = \"AZ101\"\n", "per-file-ignores"),
    ("baseline = 3\n", "baseline"),
])
def test_bad_keys_and_values_name_the_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path, ".mi-migrate.toml", text)
    with pytest.raises(ValueError) as info:
        config.load(None, [tmp_path])
    message = str(info.value)
    assert "\n" not in message and str(path) in message and repr(key) in message


def test_invalid_toml_and_bad_pyproject_table(tmp_path: Path) -> None:
    write(tmp_path, "a/.mi-migrate.toml", "select = [\n")
    with pytest.raises(ValueError, match=r"a/\.mi-migrate\.toml: invalid TOML"):
        config.load(None, [tmp_path / "a"])
    write(tmp_path, "b/pyproject.toml", '[tool]\nmi-migrate = 3\n')
    with pytest.raises(ValueError, match=r"must be a table"):
        config.load(None, [tmp_path / "b"])
    with pytest.raises(ValueError, match="config file not found"):
        config.load(tmp_path / "nope.toml", [tmp_path])


def test_per_file_ignores_drop_matching_findings() -> None:
    cfg = config.Config(per_file_ignores={"tests/**": ("AZ1",), "*.env.example": ("AZ101",),
                                          "docs/": ("storage-connection-string",)})
    kept = config.apply(cfg, [
        finding(path="tests/unit/test_x.py"),
        finding(path="tests/unit/test_x.py", rule_id="AZ201", name="blob-client-key"),
        finding(path="deploy/.env.example"),
        finding(path="deploy/.env.example", rule_id="AZ102", name="storage-account-key"),
        finding(path="docs/guide.md"),
        finding(path="app/settings.py"),
    ])
    assert [(f.path, f.rule_id) for f in kept] == [
        ("tests/unit/test_x.py", "AZ201"), ("deploy/.env.example", "AZ102"), ("app/settings.py", "AZ101")]


def test_severity_overrides_exact_id_beats_longest_prefix() -> None:
    cfg = config.Config(severity={"AZ": "note", "AZ1": "warning", "AZ101": "error"})
    results = config.apply(cfg, [finding("AZ101", severity=Severity.NOTE), finding("AZ102"),
                                 finding("AZ201"), finding("XY1")])
    assert [f.severity for f in results] == [Severity.ERROR, Severity.WARNING, Severity.NOTE, Severity.ERROR]


def test_apply_without_settings_returns_the_findings_unchanged() -> None:
    findings = [finding(), finding("AZ102")]
    assert config.apply(config.Config(), findings) == findings


def test_bad_config_is_exit_2_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "pyproject.toml", '[tool.mi-migrate]\nselect = ["AZ1"]\nfrobnicate = 1\n')
    monkeypatch.chdir(tmp_path)
    for args in (["scan"], ["baseline"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1
        assert "pyproject.toml: unknown key 'frobnicate' in [tool.mi-migrate]" in lines[0]


def _has_az101() -> bool:
    try:
        return "AZ101" in rule_by_id()
    except ValueError:
        return False


needs_az101 = pytest.mark.skipif(not _has_az101(), reason="rule AZ101 has not landed yet")
CONNECTION = (
    "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=«b64:64»;EndpointSuffix=core.windows.net"
)


@needs_az101
def test_fail_on_and_severity_from_config_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "app.env", fakes.expand(f"STORAGE={CONNECTION}\n"))
    write(tmp_path, "tests/fixture.env", fakes.expand(f"STORAGE={CONNECTION}\n", seed=2))
    cfg = write(tmp_path, ".mi-migrate.toml",
                '[severity]\nAZ101 = "warning"\n[per-file-ignores]\n"tests/" = ["AZ1"]\n')
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    base = ["scan", "--no-third-party", "--format", "json"]
    assert runner.invoke(main, base).exit_code == 0  # a warning is below the default threshold
    cfg.write_text('fail-on = "warning"\n' + cfg.read_text(), encoding="utf-8")
    result = runner.invoke(main, base)
    assert result.exit_code == 1
    assert "app.env" in result.output and "tests/fixture.env" not in result.output
    assert runner.invoke(main, [*base, "--fail-on", "error"]).exit_code == 0
