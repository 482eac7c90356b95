"""``sketchml new-plugin``: the package it writes installs, passes its own tests and is found.

The package is pip-installed into a private folder (``--target``), never into the
environment running these tests, and used from subprocesses with ``PYTHONPATH`` on it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sketchml.cli.main import main
from sketchml.cli.new_plugin import create_plugin
from sketchml.errors import SketchmlError


def pip_install(package: Path, site: Path) -> None:
    """Install ``package`` (no dependencies, no index, no build isolation) into ``site``."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "--quiet", "--target", str(site), str(package)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def run_with(site: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("SKETCHML_LOAD_PLUGINS", None)
    env.pop("SKETCHML_DISABLE_PLUGINS", None)
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_generated_plugin_installs_passes_its_tests_and_is_listed(tmp_path, capsys):
    assert main(["new-plugin", "rings", "--dir", str(tmp_path / "src")]) == 0
    package = tmp_path / "src" / "sketchml-rings"
    assert f"Created {package}" in capsys.readouterr().out
    site = tmp_path / "site"
    pip_install(package, site)
    assert (site / "sketchml_rings" / "family.py").is_file()

    tests = run_with(site, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            str(package / "tests")], cwd=tmp_path)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout and "failed" not in tests.stdout

    where = run_with(site, [sys.executable, "-c", "import sketchml_rings; print(sketchml_rings.__file__)"],
                     cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(site)  # the installed copy, not the source

    sketchml_command = Path(sys.executable).with_name("sketchml")
    command = [str(sketchml_command)] if sketchml_command.exists() else [
        sys.executable, "-m", "sketchml.cli.main"]
    listed = run_with(site, [*command, "models", "--json"], cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["rings.default"]["plugin"] == "sketchml-rings"
    assert rows["rings.default"]["verbs"] == ["generate", "interpolate", "sample_latent"]
    assert rows["rings.default"]["family"] == "sketchml_rings.family:Rings"


def test_package_layout_and_contents(tmp_path):
    target = create_plugin("my_noise", directory=tmp_path)
    assert target == tmp_path / "sketchml-my-noise"
    files = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert files == ["README.md", "pyproject.toml", "sketchml_my_noise/__init__.py",
                     "sketchml_my_noise/family.py", "tests/test_my_noise.py"]
    for file in files:
        assert "{{" not in (target / file).read_text(), f"{file} has an unfilled placeholder"
    pyproject = (target / "pyproject.toml").read_text()
    assert '[project.entry-points.sketchml]\nmy_noise = "sketchml_my_noise"' in pyproject
    assert 'name = "sketchml-my-noise"' in pyproject
    assert "class MyNoise(sk.Model):" in (target / "sketchml_my_noise" / "family.py").read_text()
    assert "class TestMyNoise(ModelConformance):" in (target / "tests" / "test_my_noise.py").read_text()
    # Written under a temporary name and renamed: nothing else is left in the folder.
    assert [p.name for p in tmp_path.iterdir()] == ["sketchml-my-noise"]


@pytest.mark.parametrize(("name", "message"), [
    ("Noise", "Did you mean 'noise'?"),
    ("my-noise", "Did you mean 'my_noise'?"),
    ("sketchml_noise", "the package is called sketchml_NAME: use 'noise'"),
    ("9lives", "expected a lower-case Python identifier"),
    ("two words!", "expected a lower-case Python identifier"),
    ("", "expected a lower-case Python identifier"),
])
def test_bad_names_are_refused(tmp_path, capsys, name, message):
    assert main(["new-plugin", name, "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"Plugin name {name!r} is not valid" in err and message in err
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_left_alone(tmp_path, capsys):
    existing = tmp_path / "sketchml-noise"
    existing.mkdir()
    (existing / "mine.txt").write_text("keep me")
    assert main(["new-plugin", "noise", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "already exists, so the plugin package was not written" in err
    assert [p.name for p in existing.iterdir()] == ["mine.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sketchml-noise"]


def test_dir_must_be_a_folder(tmp_path):
    file = tmp_path / "notes.txt"
    file.write_text("")
    with pytest.raises(SketchmlError, match="is a file, expected a folder"):
        create_plugin("noise", directory=file)
    made = create_plugin("noise", directory=tmp_path / "new" / "deeper")
    assert made.is_dir()


def test_help_lists_the_command(capsys):
    with pytest.raises(SystemExit):
        main(["new-plugin", "--help"])
    out = capsys.readouterr().out
    assert "sketchml-NAME" in out and "--dir" in out
