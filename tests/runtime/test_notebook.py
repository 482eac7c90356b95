"""Notebook display: renders show as an image (one frame) or a video (several)."""
from __future__ import annotations

import base64
import io

import imageio.v3 as iio
import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell
from PIL import Image

import sketchml as sk
from sketchml.runtime import notebook


class Sweep(sk.Sketch):
    def settings(self):
        self.size(48, 32)

    def draw(self):
        self.background(0)
        self.no_stroke()
        self.fill(255, 200, 0)
        self.rect(self.frame_count * 4, 0, 8, self.height)


def test_one_frame_displays_as_png(close_to):
    clip = sk.render(Sweep, frames=1)
    png = clip._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and clip._repr_html_() is None
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    assert img.shape == (32, 48, 4)
    assert close_to(img[16, 5], (255, 200, 0, 255)) and close_to(img[16, 20], (0, 0, 0, 255))
    assert np.array_equal(clip.to_numpy(), img)


def test_several_frames_display_as_an_html5_video(tmp_path):
    clip = sk.render(Sweep(), frames=8)
    assert clip.mime == "video/mp4" and clip.frames == 8 and clip._repr_png_() is None
    html = clip._repr_html_()
    assert html.startswith("<video") and "autoplay" in html and "loop" in html
    payload = html.split("base64,", 1)[1].split('"', 1)[0]
    (tmp_path / "from_html.mp4").write_bytes(base64.b64decode(payload))
    frames = iio.imread(tmp_path / "from_html.mp4")
    assert frames.shape == (8, 32, 48, 3)
    # the bar moves: brightest column follows frame_count * 4 + 4
    assert [int(np.argmax(f[16, :, 0])) // 4 for f in frames[:3]] == [1, 2, 3]
    clip.save(tmp_path / "saved.mp4")
    assert iio.imread(tmp_path / "saved.mp4").shape[0] == 8
    with pytest.raises(sk.SketchmlError, match="save it as a .mp4"):
        clip.save(tmp_path / "wrong.gif")


def test_gif_format_and_odd_sizes():
    clip = sk.render(Sweep, frames=3, size=(31, 17), format="gif")
    assert clip.mime == "image/gif" and clip._repr_html_().startswith("<img")
    frames = iio.imread(io.BytesIO(clip.data), extension=".gif")
    assert frames.shape[:3] == (3, 17, 31)
    # an odd size cannot be H.264, so an mp4 request falls back to a GIF
    assert sk.render(Sweep, frames=2, size=(31, 17)).mime == "image/gif"


def test_render_functions_and_files(write_sketch, close_to):
    def draw():
        sk.background(0, 128, 255)

    assert close_to(sk.render({"draw": draw}, size=(8, 8)).to_numpy()[4, 4], (0, 128, 255, 255))
    path = write_sketch("def draw():\n    background(9, 99, 199)\n")
    assert close_to(sk.render(str(path), size=(8, 8)).to_numpy()[4, 4], (9, 99, 199, 255))
    with pytest.raises(sk.SketchmlError, match="render\\(\\) takes a Sketch"):
        sk.render(42)


def test_ipython_displays_a_render_with_its_rich_formats():
    shell = InteractiveShell.instance()
    try:
        result = shell.run_cell(
            "import sketchml as sk\n"
            "class Dot(sk.Sketch):\n"
            "    def draw(self):\n"
            "        self.background(255)\n"
            "        self.fill(255, 0, 0)\n"
            "        self.circle(10, 10, 12)\n"
            "clip = sk.render(Dot, size=(20, 20))\n"
            "clip"
        )
        assert result.success, result.error_in_exec
        formats, _ = shell.display_formatter.format(result.result)
        assert "image/png" in formats
        img = Image.open(io.BytesIO(formats["image/png"])).convert("RGB")
        assert img.getpixel((10, 10)) == (255, 0, 0)
        assert "SketchRender 20x20, 1 frame" in formats["text/plain"]
        assert not notebook.in_notebook()       # a terminal shell is not a kernel
    finally:
        InteractiveShell.clear_instance()


def test_run_sketch_in_a_kernel_displays_inline(monkeypatch):
    # ipykernel is not a dependency, so the kernel check is answered here; what runs
    # (headless render, choice of format, the display call) is the real code path.
    shown = []
    monkeypatch.setattr(notebook, "in_notebook", lambda: True)
    monkeypatch.setattr(notebook, "display", shown.append)
    Sweep().run_sketch(frames=5)
    assert len(shown) == 1 and shown[0].frames == 5 and shown[0].mime == "video/mp4"
