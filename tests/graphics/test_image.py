"""Images: loading, image modes, tint, transforms, blend modes, painter's order, Image objects."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image as PILImage

from sketchml import constants as K
from sketchml.errors import SketchmlError
from sketchml.graphics.image import Image

RED, GREEN, BLUE, WHITE = (255, 0, 0, 255), (0, 255, 0, 255), (0, 0, 255, 255), (255, 255, 255, 255)


@pytest.fixture
def quadrants_png(tmp_path):
    """A 2x2 PNG: red top-left, green top-right, blue bottom-left, white bottom-right."""
    arr = np.array([[RED, GREEN], [BLUE, WHITE]], np.uint8)
    path = tmp_path / "quadrants.png"
    PILImage.fromarray(arr, "RGBA").save(path)
    return path


def test_load_image_draws_at_its_size_and_scaled(canvas, quadrants_png, rgba_at, assert_rgba):
    img = canvas.load_image(quadrants_png)
    assert (img.width, img.height) == (2, 2)
    canvas.image(img, 10, 10, 40, 40)
    assert_rgba(rgba_at(canvas, 15, 15), RED)
    assert_rgba(rgba_at(canvas, 45, 15), GREEN)
    assert_rgba(rgba_at(canvas, 15, 45), BLUE)
    assert_rgba(rgba_at(canvas, 45, 45), WHITE)
    assert_rgba(rgba_at(canvas, 5, 5), (0, 0, 0, 255))
    assert_rgba(rgba_at(canvas, 55, 30), (0, 0, 0, 255))
    canvas.image(img, 80, 80)  # own size: 2x2 pixels
    assert_rgba(rgba_at(canvas, 80, 80), RED, tol=0)
    assert_rgba(rgba_at(canvas, 81, 81), WHITE, tol=0)
    assert_rgba(rgba_at(canvas, 82, 82), (0, 0, 0, 255), tol=0)


@pytest.mark.parametrize("suffix", [".jpg", ".gif", ".webp", ".bmp"])
def test_load_image_other_formats(canvas, tmp_path, suffix):
    arr = np.zeros((6, 8, 3), np.uint8)
    arr[:, :, 2] = 255
    path = tmp_path / f"blue{suffix}"
    PILImage.fromarray(arr, "RGB").save(path)
    img = canvas.load_image(path)
    assert (img.width, img.height) == (8, 6)
    assert abs(int(img.pixels[3, 4, 2]) - 255) <= 8 and img.pixels[3, 4, 0] <= 8


def test_image_modes(canvas, rgba_at, assert_rgba):
    img = Image.from_array(np.full((4, 4, 3), 255, np.uint8))
    canvas.image_mode(K.CORNERS)
    canvas.image(img, 10, 10, 50, 30)
    assert_rgba(rgba_at(canvas, 12, 12), WHITE)
    assert_rgba(rgba_at(canvas, 48, 28), WHITE)
    assert_rgba(rgba_at(canvas, 52, 20), (0, 0, 0, 255))
    assert_rgba(rgba_at(canvas, 30, 32), (0, 0, 0, 255))
    canvas.background(0)
    canvas.image_mode(K.CENTER)
    canvas.image(img, 50, 50, 20, 20)
    assert_rgba(rgba_at(canvas, 41, 41), WHITE)
    assert_rgba(rgba_at(canvas, 58, 58), WHITE)
    assert_rgba(rgba_at(canvas, 38, 50), (0, 0, 0, 255))
    assert_rgba(rgba_at(canvas, 62, 50), (0, 0, 0, 255))
    with pytest.raises(SketchmlError, match="CORNER, CORNERS or CENTER"):
        canvas.image_mode(K.RADIUS)


def test_tint_multiplies_colour_and_alpha(canvas, rgba_at, assert_rgba):
    white = Image.from_array(np.full((2, 2, 3), 255, np.uint8))
    canvas.background(0, 0, 255)
    canvas.tint(255, 0, 0, 128)  # red at half opacity over blue
    canvas.image(white, 0, 0, 50, 50)
    assert_rgba(rgba_at(canvas, 25, 25), (128, 0, 127, 255), tol=3)
    canvas.tint(0, 255, 0)
    canvas.image(white, 50, 0, 50, 50)
    assert_rgba(rgba_at(canvas, 75, 25), GREEN)
    canvas.no_tint()
    canvas.image(white, 0, 50, 50, 50)
    assert_rgba(rgba_at(canvas, 25, 75), WHITE)


def test_image_follows_the_transform(canvas, rgba_at, assert_rgba):
    # left half red, right half green
    img = Image.from_array(np.array([[RED, RED, GREEN, GREEN]], np.uint8))
    canvas.translate(50, 50)
    canvas.rotate(math.pi / 2)  # y-down: local +x points down the canvas
    canvas.image(img, 0, 0, 20, 10)
    assert_rgba(rgba_at(canvas, 45, 53), RED)
    assert_rgba(rgba_at(canvas, 45, 67), GREEN)
    assert_rgba(rgba_at(canvas, 55, 55), (0, 0, 0, 255))
    canvas.reset_matrix()
    canvas.scale(2)
    canvas.image(img, 0, 0)  # 4x1 image scaled to 8x2 pixels
    assert_rgba(rgba_at(canvas, 1, 1), RED)
    assert_rgba(rgba_at(canvas, 6, 1), GREEN)
    assert_rgba(rgba_at(canvas, 9, 1), (0, 0, 0, 255))


def test_blend_mode_applies_to_images(canvas, rgba_at, assert_rgba):
    canvas.background(100, 0, 0)
    canvas.blend_mode(K.ADD)
    canvas.image(Image.from_array(np.array([[[0, 200, 50]]], np.uint8)), 0, 0, 100, 100)
    assert_rgba(rgba_at(canvas, 50, 50), (100, 200, 50, 255))
    canvas.blend_mode(K.MULTIPLY)
    canvas.image(Image.from_array(np.array([[[128, 128, 255]]], np.uint8)), 0, 0, 100, 100)
    assert_rgba(rgba_at(canvas, 50, 50), (50, 100, 50, 255))
    canvas.blend_mode(K.DARKEST)
    transparent = Image(2, 2)
    canvas.image(transparent, 0, 0, 100, 100)
    assert_rgba(rgba_at(canvas, 50, 50), (50, 100, 50, 255))


def test_painters_order_with_shapes(canvas, rgba_at, assert_rgba):
    white = Image.from_array(np.full((2, 2, 3), 255, np.uint8))
    canvas.no_stroke()
    canvas.fill(255, 0, 0)
    canvas.rect(0, 0, 60, 60)  # under the image
    canvas.image(white, 20, 20, 60, 60)
    canvas.fill(0, 0, 255)
    canvas.rect(50, 50, 40, 40)  # over the image
    assert_rgba(rgba_at(canvas, 10, 10), RED)
    assert_rgba(rgba_at(canvas, 30, 30), WHITE)
    assert_rgba(rgba_at(canvas, 70, 70), BLUE)


def test_transparent_image_and_arrays(canvas, rgba_at, assert_rgba):
    canvas.background(0, 0, 255)
    canvas.image(canvas.create_image(10, 10), 0, 0, 100, 100)
    assert_rgba(rgba_at(canvas, 50, 50), BLUE)
    canvas.image(np.full((4, 4, 3), 0.5, np.float32), 0, 0)
    assert_rgba(rgba_at(canvas, 1, 1), (128, 128, 128, 255))
    canvas.image(np.zeros((2, 2, 4), np.uint8) + np.array([0, 255, 0, 255], np.uint8), 10, 10)
    assert_rgba(rgba_at(canvas, 10, 10), GREEN)


def test_pillow_images_draw_directly(canvas, rgba_at, assert_rgba):
    canvas.image(PILImage.new("RGB", (5, 5), (0, 128, 255)), 10, 10)
    canvas.image(PILImage.new("LA", (5, 5), (255, 255)), 20, 10)
    assert_rgba(rgba_at(canvas, 12, 12), (0, 128, 255, 255))
    assert_rgba(rgba_at(canvas, 22, 12), WHITE)


def test_image_pixels_reupload_only_after_update(canvas, gl_ctx, rgba_at, assert_rgba):
    img = canvas.create_image(2, 2)
    img.load_pixels()
    img.pixels[:] = RED
    img.update_pixels()
    canvas.image(img, 0, 0, 10, 10)
    assert_rgba(rgba_at(canvas, 5, 5), RED)
    tex = img._texture(gl_ctx)
    img.pixels[:] = GREEN
    canvas.image(img, 10, 0, 10, 10)
    # without update_pixels the GPU copy is kept, as Processing documents
    assert_rgba(rgba_at(canvas, 15, 5), RED)
    img.update_pixels()
    canvas.image(img, 20, 0, 10, 10)
    assert_rgba(rgba_at(canvas, 25, 5), GREEN)
    assert img._texture(gl_ctx) is tex  # same texture, rewritten


def test_missing_and_unreadable_images_name_the_path(canvas, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SketchmlError) as info:
        canvas.load_image("nope/cat.png")
    message = str(info.value)
    assert "nope/cat.png" in message and "does not exist" in message and str(tmp_path) in message
    bad = tmp_path / "broken.png"
    bad.write_text("not an image")
    with pytest.raises(SketchmlError, match="not a readable image"):
        canvas.load_image(bad)


def test_image_object_methods(tmp_path):
    img = Image.from_array(np.array([[RED, GREEN], [BLUE, WHITE]], np.uint8))
    assert img.get_pixels(1, 0) == 0xFF00FF00
    assert img.get_pixels(5, 5) == 0
    part = img.get_pixels(1, 1, 2, 2)
    assert part.pixels[0, 0].tolist() == list(WHITE) and part.pixels[1, 1, 3] == 0
    whole = img.get_pixels()
    whole.pixels[0, 0] = 0
    assert img.pixels[0, 0].tolist() == list(RED)  # a copy
    dup = img.copy()
    dup.set_pixels(0, 0, 0xFF0000FF)
    assert img.get_pixels(0, 0) == 0xFFFF0000 and dup.get_pixels(0, 0) == 0xFF0000FF
    img.resize(8, 0)
    assert (img.width, img.height) == (8, 8)
    img.save(tmp_path / "img.png")
    with PILImage.open(tmp_path / "img.png") as back:
        assert back.size == (8, 8)
    assert img._repr_png_().startswith(b"\x89PNG")
    with pytest.raises(SketchmlError, match="positive width and height"):
        Image(0, 3)
    with pytest.raises(SketchmlError, match=r"\(H, W, 3\)"):
        Image.from_array(np.zeros((2, 2, 2), np.uint8))


def test_image_rejects_unknown_sources(canvas):
    with pytest.raises(SketchmlError, match="cannot draw a str"):
        canvas.image("cat.png", 0, 0)
    with pytest.raises(SketchmlError, match="cannot draw itself"):
        canvas.image(canvas, 0, 0)
    with pytest.raises(SketchmlError, match="both a width and a height"):
        canvas.image(Image(2, 2), 0, 0, 10)


def test_image_without_gl_context_says_so():
    from sketchml.graphics.canvas import Canvas

    with pytest.raises(SketchmlError, match="no OpenGL context"):
        Canvas(10, 10).image(Image(2, 2), 0, 0)
