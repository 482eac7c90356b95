"""The mkdocs site builds (strictly: a broken reference or a missing page fails)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_docs_build_strict(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    drawing = (tmp_path / "site" / "reference" / "drawing" / "index.html").read_text()
    # The reference is built from the docstrings: spot-check a few drawing functions.
    for name in ("ellipse", "circles", "background", "push"):
        assert f'id="sketchml.graphics.canvas.Canvas.{name}"' in drawing, name
