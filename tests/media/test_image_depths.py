"""Images of every bit depth and mode load with the right values, or are refused clearly.

16-bit greyscale PNGs used to load as pure white (Pillow's I;16 clipped at 255), in
``load_image``, ``read_image`` and the training ``ImageFolder`` alike.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

import sketchml as sk
from sketchml.media.image_io import read_image

RAMP16 = (np.arange(16 * 16, dtype=np.uint32).reshape(16, 16) * 257).astype(np.uint16)
EXPECTED = (np.arange(16 * 16).reshape(16, 16)).astype(np.uint8)  # 257 * v / 257


def _save(image: Image.Image, folder: Path, name: str) -> Path:
    path = folder / name
    image.save(path)
    return path


def test_a_16_bit_greyscale_png_keeps_its_values(tmp_path):
    path = _save(Image.fromarray(RAMP16), tmp_path, "grey16.png")
    assert Image.open(path).mode == "I;16"
    pixels = read_image(path)
    assert np.array_equal(pixels[..., 0], EXPECTED)
    assert np.array_equal(pixels[..., 1], EXPECTED) and (pixels[..., 3] == 255).all()


@pytest.mark.parametrize(("mode", "values", "name"), [
    ("I", RAMP16.astype(np.int32), "grey32.tiff"),
    ("F", RAMP16.astype(np.float32) / 65535, "float.tiff"),
    ("L", EXPECTED, "grey8.png"),
    ("1", EXPECTED > 127, "bits.png"),
])
def test_other_depths_load_scaled_to_8_bits(tmp_path, mode, values, name):
    path = _save(Image.fromarray(values), tmp_path, name)
    assert Image.open(path).mode == mode
    got = read_image(path)[..., 0].astype(int)
    want = (EXPECTED > 127) * 255 if mode == "1" else EXPECTED.astype(int)
    assert np.abs(got - want).max() <= 1


@pytest.mark.parametrize("pix_fmt", ["rgb48be", "rgba64be", "ya16be", "gray16be"])
def test_16_bit_colour_and_alpha_pngs_from_another_encoder(tmp_path, pix_fmt):
    path = tmp_path / f"{pix_fmt}.png"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=0x808080:size=8x8", "-frames:v", "1", "-pix_fmt", pix_fmt, str(path)],
                   check=True, timeout=60)
    pixels = read_image(path)
    assert np.abs(pixels[..., :3].astype(int) - 128).max() <= 3  # ffmpeg's colour conversion
    assert (pixels[..., 3] == 255).all()


def test_values_beyond_what_an_image_means_are_refused(tmp_path):
    floats = _save(Image.fromarray(np.full((4, 4), 3.5, np.float32)), tmp_path, "hdr.tiff")
    with pytest.raises(sk.SketchmlError, match="values from 3.5 to 3.5.*float images in \\[0, 1\\]"):
        read_image(floats)
    wide = _save(Image.fromarray(np.full((4, 4), 70000, np.int32)), tmp_path, "wide.tiff")
    with pytest.raises(sk.SketchmlError, match="beyond 16 bits"):
        read_image(wide)


def test_training_reads_16_bit_greyscale_and_says_what_it_skips(tmp_path):
    from sketchml.training import ImageFolder

    _save(Image.fromarray(RAMP16), tmp_path, "a.png")
    _save(Image.fromarray(np.full((16, 16), 9.0, np.float32)), tmp_path, "b.tiff")
    with pytest.warns(UserWarning, match="skipped 1 of 2 files.*b.tiff.*float images in"):
        data = ImageFolder(tmp_path)
    assert len(data) == 1
    image = data[0][0] if isinstance(data[0], tuple) else data[0]
    values = np.asarray(image, dtype=np.float64)
    assert values.max() > values.min()  # not one flat white picture
