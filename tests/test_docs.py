"""The mkdocs site builds strictly, and documents every public name of ``sketchml``."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import sketchml as sk

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_drawing_reference_is_built_from_docstrings(site):
    drawing = (site / "reference" / "drawing" / "index.html").read_text()
    for name in ("ellipse", "circles", "background", "push", "image", "text"):
        assert f'id="sketchml.graphics.canvas.Canvas.{name}"' in drawing, name


def test_every_public_name_is_documented(site):
    html = " ".join(page.read_text() for page in site.rglob("*.html"))
    anchors = set(re.findall(r'id="([\w.-]+)"', html))
    documented = {a.rsplit(".", 1)[-1] for a in anchors} | anchors
    missing = [name for name in sk.__all__ if name not in documented and name.lower() not in anchors]
    assert not missing, f"public names with no section in the docs: {missing}"


def test_public_names_are_sorted_unique_and_resolve():
    assert sk.__all__ == sorted(set(sk.__all__))
    for name in sk.__all__:
        getattr(sk, name)  # raises AttributeError for a name that is listed but missing
