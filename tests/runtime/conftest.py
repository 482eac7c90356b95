"""Shared helpers for runtime tests: sketch files on disk and the `sketchml` command."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sketchml.runtime import module_api

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_current_sketch():
    """Each test starts (and leaves) the module-level API on a new idle sketch."""
    module_api.set_current(None)
    yield
    module_api.set_current(None)


@pytest.fixture
def write_sketch(tmp_path):
    """``write_sketch(source, name="sketch.py")``: write dedented source, return its path."""

    def write(source: str, name: str = "sketch.py") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
        return path

    return write


@pytest.fixture
def run_cli():
    """``run_cli(*args)``: run the sketchml command in a fresh process (no display)."""

    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        return subprocess.run(
            [sys.executable, "-m", "sketchml.cli.main", *map(str, args)],
            cwd=cwd or ROOT, env=env, capture_output=True, text=True, timeout=120,
        )

    return run


@pytest.fixture
def run_python():
    """``run_python(script_path)``: run a Python script in a fresh process (no display)."""

    def run(script: Path) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        return subprocess.run([sys.executable, str(script)], cwd=script.parent, env=env,
                              capture_output=True, text=True, timeout=120)

    return run


def _read_png(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGBA")).astype(int)


def _close_to(pixel, expected, tol: int = 3) -> bool:
    pixel = np.asarray(pixel, dtype=int)[: len(expected)]
    return bool(np.all(np.abs(pixel - np.asarray(expected)) <= tol))


@pytest.fixture
def read_png():
    """``read_png(path)``: an image file as an (H, W, 4) int RGBA array."""
    return _read_png


@pytest.fixture
def close_to():
    """``close_to(pixel, expected, tol=3)``: whether a pixel matches a colour per channel."""
    return _close_to
