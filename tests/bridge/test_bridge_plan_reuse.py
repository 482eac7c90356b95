"""The bridge keeps the plan of the last tensor it uploaded (issue 17: a 512 px float32 upload
within 1.5x a plain texture write): a tensor changed in place, or another tensor, still draws
its own current pixels."""
from __future__ import annotations

import numpy as np
import torch

from sketchml.bridge import plan


def _draw(canvas, t) -> np.ndarray:
    canvas.background(0)
    canvas.image(t, 0, 0)
    return canvas._read_pixels()[..., :3].astype(int)


def test_a_tensor_changed_in_place_draws_its_new_pixels(canvas):
    t = torch.zeros(3, 16, 16)
    t[0] = 1.0
    assert (_draw(canvas, t)[8, 8] == (255, 0, 0)).all()
    assert plan(t) is plan(t)  # planned once while it is the same memory
    t.zero_()
    t[2] = 1.0
    assert (_draw(canvas, t)[8, 8] == (0, 0, 255)).all()
    other = torch.zeros(3, 16, 16)
    other[1] = 1.0
    assert (_draw(canvas, other)[8, 8] == (0, 255, 0)).all()
    assert (_draw(canvas, t[:, :8])[4, 4] == (0, 0, 255)).all()  # a view: its own shape


def test_tensors_planned_through_a_copy_are_planned_every_time(canvas):
    t = torch.zeros(3, 16, 16, dtype=torch.float64)  # converted to float32 for the upload
    t[0] = 1.0
    assert (_draw(canvas, t)[8, 8] == (255, 0, 0)).all()
    assert plan(t) is not plan(t)
    t.zero_()
    t[1] = 1.0
    assert (_draw(canvas, t)[8, 8] == (0, 255, 0)).all()
