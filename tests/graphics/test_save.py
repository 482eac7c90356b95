"""save() and save_frame(): decodable files of the right size, written atomically."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image as PILImage

from sketchml.errors import SketchmlError


@pytest.fixture
def drawn(make_canvas):
    c = make_canvas(64, 32)
    c.background(0, 0, 255)
    c.no_stroke()
    c.fill(255, 0, 0)
    c.rect(0, 0, 32, 32)
    return c


@pytest.mark.parametrize("name", ["out.png", "out.jpg", "out.webp", "out.bmp", "out.tif", "out.gif"])
def test_save_writes_a_decodable_file(drawn, tmp_path, name):
    drawn.save(tmp_path / "sub" / name)
    with PILImage.open(tmp_path / "sub" / name) as im:
        assert im.size == (64, 32)
        rgb = np.asarray(im.convert("RGB")).astype(int)
    assert np.abs(rgb[16, 10] - [255, 0, 0]).max() <= 12
    assert np.abs(rgb[16, 50] - [0, 0, 255]).max() <= 12
    assert [p.name for p in (tmp_path / "sub").iterdir()] == [name]  # no temporary file left


def test_save_png_keeps_alpha(make_canvas, tmp_path):
    c = make_canvas(8, 8)
    c.background(0, 0)
    c.no_stroke()
    c.fill(0, 255, 0, 128)
    c.rect(0, 0, 4, 8)
    c.save(tmp_path / "a.png")
    with PILImage.open(tmp_path / "a.png") as im:
        px = np.asarray(im)
    assert im.mode == "RGBA" and abs(int(px[2, 2, 3]) - 128) <= 1 and px[2, 6, 3] == 0


def test_save_frame_numbers_by_frame_count(drawn, tmp_path):
    first = drawn.save_frame(str(tmp_path / "frame-####.png"))
    assert first.endswith("frame-0000.png")  # a bare canvas has no frame count
    drawn.frame_count = 42
    path = drawn.save_frame(str(tmp_path / "shots" / "s-###.jpg"))
    assert path.endswith("s-042.jpg")
    with PILImage.open(path) as im:
        assert im.size == (64, 32)


def test_save_default_pattern(drawn, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    drawn.frame_count = 7
    assert drawn.save_frame() == "frame-0007.png"
    assert (tmp_path / "frame-0007.png").is_file()


def test_save_unknown_extension(drawn, tmp_path):
    with pytest.raises(SketchmlError, match=r"unknown image extension '\.xyz'.*\.png"):
        drawn.save(tmp_path / "a.xyz")
    assert list(tmp_path.iterdir()) == []
