"""The example third-party plugin in docs/examples: installed like a user would, found by its entry point.

It is pip-installed into a private folder (``--target``), never into the environment
running these tests, and used from subprocesses with ``PYTHONPATH`` on that folder.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "sketchml-noise"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A folder with sketchml-noise installed in it (from a copy, so the docs stay clean)."""
    root = tmp_path_factory.mktemp("example")
    source = root / "sketchml-noise"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    target = root / "site"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "--quiet", "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def run_with(site: Path, args: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("SKETCHML_LOAD_PLUGINS", None)
    env.pop("SKETCHML_DISABLE_PLUGINS", None)
    return subprocess.run(args, cwd=site.parent, env=env, capture_output=True, text=True, timeout=300)


USE = """
import json
import sketchml as sk
import sketchml_noise

rows = {entry.name: entry.to_dict() for entry in sk.models("noise*")}
noise = sk.model("noise", size=8)
images = noise.generate(noise.sample_latent(2, seed=0))
again = sk.model("noise", size=8).generate(noise.sample_latent(2, seed=0))
print(json.dumps({
    "rows": rows,
    "module": sketchml_noise.__file__,
    "shape": list(images.shape),
    "range": [float(images.min()), float(images.max())],
    "same": bool((images == again).all()),
    "plugins": [p.to_dict() for p in sk.Registry().plugins if p.name == "noise"],
}))
"""


@pytest.mark.slow
def test_installed_example_is_found_through_its_entry_point(site):
    result = run_with(site, [sys.executable, "-c", USE])
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert Path(found["module"]).is_relative_to(site)
    assert sorted(found["rows"]) == ["noise.default", "noise.fine"]
    default = found["rows"]["noise.default"]
    assert default["plugin"] == "sketchml-noise" and default["default"]
    assert default["verbs"] == ["generate", "encode", "interpolate", "sample_latent"]
    assert found["shape"] == [2, 3, 8, 8]
    assert 0.0 <= found["range"][0] < found["range"][1] <= 1.0
    assert found["same"]
    assert found["plugins"] == [{"name": "noise", "distribution": "sketchml-noise", "version": "1.0.0",
                                 "status": "ok", "error": None, "models": ["noise"]}]


@pytest.mark.slow
def test_installed_example_passes_its_own_tests(site):
    tests = site.parent / "sketchml-noise" / "tests"
    result = run_with(site, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout

