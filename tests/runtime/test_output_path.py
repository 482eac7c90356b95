"""``output_path()``: a sketch's outputs go to ``output/`` beside the sketch, never the working directory."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sketchml as sk

ROOT = Path(__file__).resolve().parents[2]


def test_output_folder_is_beside_the_sketch_and_made_on_demand(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKETCHML_OUTPUT", raising=False)
    sketch = sk.Sketch()
    sketch._sketch_folder = tmp_path / "my_sketch"
    path = sketch.output_path("walk/seed-3.safetensors")
    assert path == tmp_path / "my_sketch" / "output" / "walk" / "seed-3.safetensors"
    assert path.parent.is_dir() and not path.exists()
    assert sketch.output_path() == tmp_path / "my_sketch" / "output"


def test_environment_and_absolute_paths_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKETCHML_OUTPUT", str(tmp_path / "results"))
    sketch = sk.Sketch()
    sketch._sketch_folder = tmp_path / "my_sketch"
    assert sketch.output_path("a.txt") == tmp_path / "results" / "a.txt"
    assert (tmp_path / "results").is_dir() and not (tmp_path / "my_sketch").exists()
    assert sketch.output_path(tmp_path / "mine" / "b.txt") == tmp_path / "mine" / "b.txt"


def test_a_sketch_without_a_file_writes_under_the_working_directory(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKETCHML_OUTPUT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert sk.Sketch().output_path("x.png") == tmp_path / "output" / "x.png"


def test_a_bundled_sketch_run_from_another_folder_writes_nothing_there(tmp_path: Path) -> None:
    folder = tmp_path / "sketches"
    folder.mkdir()
    shutil.copy(ROOT / "sketches" / "wekinator_mouse_to_gan.py", folder)
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SKETCHML_OUTPUT")}
    env.update(SKETCHML_OFFLINE="1", OMP_NUM_THREADS="1")
    result = subprocess.run(
        [sys.executable, "-m", "sketchml.cli.main", "run", str(folder / "wekinator_mouse_to_gan.py"),
         "--headless", "--frames", "90"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(cwd.iterdir()) == []
    assert (folder / "output" / "wekinator_mouse_to_gan" / "mapping.safetensors").is_file()
