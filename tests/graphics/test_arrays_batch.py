"""Array-first drawing: points, lines, circles, rects from numpy arrays and torch tensors."""
from __future__ import annotations

import numpy as np
import pytest

from sketchml import constants as K
from sketchml.errors import SketchmlError


def count_draw_calls(canvas, monkeypatch):
    calls = []
    original = canvas._renderer.draw

    def counting(rows, size, **kw):
        calls.append(len(rows))
        return original(rows, size, **kw)

    monkeypatch.setattr(canvas._renderer, "draw", counting)
    return calls


def test_circles_with_per_shape_colours_in_one_draw(canvas, rgba_at, monkeypatch):
    calls = count_draw_calls(canvas, monkeypatch)
    canvas.no_stroke()
    x = np.array([20.0, 50.0, 80.0])
    fills = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    canvas.circles(x, 50, 20, fills=fills)
    px = canvas._read_pixels()
    assert px[50, 20, :3].tolist() == [255, 0, 0]
    assert px[50, 50, :3].tolist() == [0, 255, 0]
    assert px[50, 80, :3].tolist() == [0, 0, 255]
    assert px[50, 35, :3].tolist() == [0, 0, 0]
    assert calls == [3]


def test_uint8_colours_alpha_and_strokes(canvas, rgba_at):
    fills = np.array([[255, 0, 0, 128], [0, 255, 0, 255]], dtype=np.uint8)
    strokes = np.array([[255, 255, 255], [255, 255, 255]], dtype=np.uint8)
    canvas.stroke_weight(6)
    canvas.circles([30, 70], [50, 50], [40, 40], fills=fills, strokes=strokes)
    assert np.allclose(rgba_at(canvas, 30, 50)[:3], [128, 0, 0], atol=2)
    assert rgba_at(canvas, 70, 50)[:3].tolist() == [0, 255, 0]
    assert rgba_at(canvas, 30, 30)[:3].tolist() == [255, 255, 255]     # the stroke ring


def test_defaults_come_from_fill_stroke_and_modes(canvas, rgba_at):
    canvas.fill(255, 255, 0)
    canvas.no_stroke()
    canvas.ellipse_mode(K.CORNER)
    canvas.circles(np.array([10.0]), np.array([10.0]), 20)
    assert rgba_at(canvas, 20, 20)[:3].tolist() == [255, 255, 0]
    canvas.rect_mode(K.CENTER)
    canvas.rects(np.array([70.0]), np.array([70.0]), 20, 10)
    assert rgba_at(canvas, 78, 70)[:3].tolist() == [255, 255, 0]
    assert rgba_at(canvas, 70, 78)[:3].tolist() == [0, 0, 0]


def test_rects_per_shape_colours_follow_the_transform(canvas, rgba_at):
    canvas.no_stroke()
    canvas.translate(50, 0)
    canvas.rects(np.array([0.0, 20.0]), 0, 10, 100, fills=np.array([[1, 0, 0, 1], [0, 0, 1, 1]]))
    assert rgba_at(canvas, 55, 50)[:3].tolist() == [255, 0, 0]
    assert rgba_at(canvas, 75, 50)[:3].tolist() == [0, 0, 255]
    assert rgba_at(canvas, 5, 50)[:3].tolist() == [0, 0, 0]


def test_points_sizes_and_colours(canvas, rgba_at):
    xy = np.array([[20.0, 20.0], [80.0, 80.0]])
    canvas.stroke(255)
    canvas.points(xy, colors=np.array([[1.0, 0, 0], [0, 1.0, 0]]), sizes=np.array([10.0, 30.0]))
    assert rgba_at(canvas, 20, 20)[:3].tolist() == [255, 0, 0]
    assert rgba_at(canvas, 20, 27)[:3].tolist() == [0, 0, 0]          # 10 px across
    assert rgba_at(canvas, 80, 93)[:3].tolist() == [0, 255, 0]        # 30 px across


def test_lines_accept_n_by_4_and_n_by_2_by_2(canvas, rgba_at):
    canvas.stroke(255)
    canvas.stroke_weight(4)
    canvas.lines(np.array([[10, 20, 90, 20]]))
    canvas.lines(np.array([[[10, 60], [90, 60]]]), weights=np.array([10.0]),
                 colors=np.array([[0, 0, 255]], dtype=np.uint8))
    assert rgba_at(canvas, 50, 20)[:3].tolist() == [255, 255, 255]
    assert rgba_at(canvas, 50, 64)[:3].tolist() == [0, 0, 255]
    assert rgba_at(canvas, 50, 40)[:3].tolist() == [0, 0, 0]


def test_torch_tensors_are_accepted(canvas, rgba_at):
    torch = pytest.importorskip("torch")
    canvas.no_stroke()
    x = torch.tensor([25.0, 75.0], requires_grad=True) * 1.0      # needs detach()
    fills = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    canvas.circles(x, torch.tensor(50.0), torch.tensor([30.0, 30.0]), fills=fills)
    canvas.points(torch.tensor([[50.0, 10.0]]), sizes=torch.tensor([8.0]))
    assert rgba_at(canvas, 25, 50)[:3].tolist() == [255, 0, 255]
    assert rgba_at(canvas, 75, 50)[:3].tolist() == [0, 255, 255]


def test_bad_shapes_are_reported(canvas):
    with pytest.raises(SketchmlError, match="fills"):
        canvas.circles(np.zeros(3), np.zeros(3), 5, fills=np.zeros((2, 3)))
    with pytest.raises(SketchmlError, match="sizes"):
        canvas.points(np.zeros((3, 2)), sizes=np.ones(2))
    with pytest.raises(ValueError):
        canvas.circles(np.zeros(3), np.zeros(4), 5)
    with pytest.raises(SketchmlError, match="numbers"):
        canvas.rects(["a"], 0, 1, 1)


def test_many_shapes_in_order_share_one_draw(canvas, monkeypatch):
    calls = count_draw_calls(canvas, monkeypatch)
    canvas.no_stroke()
    canvas.fill(255, 0, 0)
    canvas.rect(0, 0, 100, 100)
    canvas.circles(np.array([50.0]), np.array([50.0]), 40, fills=np.array([[0.0, 0.0, 1.0]]))
    canvas.fill(0, 255, 0)
    canvas.ellipse(50, 50, 10, 10)                   # per-call shape after the array batch
    canvas.triangle(0, 0, 10, 0, 0, 10)
    px = canvas._read_pixels()
    assert px[50, 50, :3].tolist() == [0, 255, 0]    # painter's order: last on top
    assert px[50, 35, :3].tolist() == [0, 0, 255]
    assert px[95, 95, :3].tolist() == [255, 0, 0]
    assert px[2, 2, :3].tolist() == [0, 255, 0]
    assert len(calls) == 1                           # one draw call for all of it
