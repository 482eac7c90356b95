"""The renderer's shortcuts for batches in one style give the same instance records, bit for
bit, as the general per-row path (issue 17: faster ellipse()/circles() with identical pixels)."""
from __future__ import annotations

import numpy as np
import pytest

from sketchml.graphics import renderer as R


def _rows(n: int, kind: float, rng: np.random.Generator, matrix) -> np.ndarray:
    rows = np.zeros((n, R.ROW_FLOATS), np.float32)
    rows[:, 0] = kind
    rows[:, 1:3] = rng.uniform(-20, 660, (n, 2))
    rows[:, 3:5] = rng.uniform(0.3, 15, (n, 2)) if kind == R.KIND_RECT else 6.0
    rows[:, 9:13] = (0.1, 0.5, 0.9, 0.5)   # one fill,
    rows[:, 13:17] = (0.0, 0.0, 0.0, 1.0)  # one stroke,
    rows[:, 17] = 1.0                      # one weight
    rows[:, 18:24] = matrix                # and one matrix for every shape
    return rows


@pytest.mark.parametrize("kind", [R.KIND_ELLIPSE, R.KIND_RECT])
@pytest.mark.parametrize("matrix", [(1, 0, 0, 0, 1, 0), (1.3, 0.4, 10.3, -0.2, 0.9, 5.7)])
def test_one_style_batches_match_the_general_path(kind, matrix):
    rng = np.random.default_rng(5)
    rows = _rows(500, kind, rng, matrix)
    fast = R._shape_instances(rows)
    # One more shape in another style and matrix sends the whole batch down the general path.
    odd = _rows(1, kind, rng, (0.5, 0.1, 3.0, 0.2, 2.0, -4.0))
    odd[0, 9:17] = (1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0)
    general = R._shape_instances(np.concatenate([rows, odd]))[:500]
    assert np.array_equal(fast.view(np.uint32), general.view(np.uint32))
    # The packed colours are the batch's own.
    assert fast.view(np.uint32)[0, 12] == R._pack_rgba8(rows[:1, 9:13])[0]


def test_lines_and_points_in_one_style_take_their_stroke_as_fill():
    rng = np.random.default_rng(6)
    rows = _rows(40, R.KIND_ELLIPSE, rng, (1, 0, 0, 0, 1, 0))
    rows[::2, 0] = R.KIND_POINT
    rows[::2, 5] = 2.0  # ROUND points
    words = R._shape_instances(rows).view(np.uint32)
    black = R._pack_rgba8(np.array([[0.0, 0.0, 0.0, 1.0]], np.float32))[0]
    blue = R._pack_rgba8(rows[:1, 9:13])[0]
    assert (words[::2, 12] == black).all() and (words[1::2, 12] == blue).all()


def test_records_of_one_style_convert_like_many():
    one, many = R.ShapeRecorder(), R.ShapeRecorder()
    style = (0.1, 0.2, 0.3, 1.0, 0, 0, 0, 1, 2.0, 1, 0, 5, 0, 1, 7, 2, 8)
    sid = one.add_style(style)
    many.add_style((1,) * 17)
    sid_many = many.add_style(style)
    for rec, s in ((one, sid), (many, sid_many)):
        for i in range(30):
            kind = (R.KIND_ELLIPSE, R.KIND_RECT, R.KIND_LINE, R.KIND_POINT)[i % 4]
            rec.records.extend(R.RECORD.pack(kind, i, 2 * i, 4, 6, 0, 0, 0, 0, s))
    assert np.array_equal(one.rows(), many.rows())
    one.clear()
    one.records.extend(R.RECORD.pack(0, 1, 1, 2, 2, 0, 0, 0, 0, 0))  # still resizable after converting


@pytest.mark.parametrize("case", ["no stroke", "rounded corners", "negative sizes"])
def test_box_batches_match_the_general_path_bit_for_bit(case):
    rng = np.random.default_rng(7)
    rows = _rows(300, R.KIND_RECT, rng, (0.8, -0.3, 4.0, 0.25, 1.1, -2.0))
    rows[::3, 0] = R.KIND_ELLIPSE
    if case == "no stroke":
        rows[:, 13:18] = 0.0
    elif case == "rounded corners":
        rows[1::3, 5:8] = rng.uniform(0, 4, (100, 3))
        rows[1::3, 8] = 2.0
        rows[::3, 8] = 2.0
        rows[2::3, 8] = 2.0
    else:
        rows[:, 3:5] *= np.where(rng.random((300, 1)) < 0.5, -1.0, 1.0).astype(np.float32)
    fast = R._shape_instances(rows)
    odd = rows[:1].copy()
    odd[0, 18:24] = (0.5, 0.1, 3.0, 0.2, 2.0, -4.0)  # another matrix: the general path
    general = R._shape_instances(np.concatenate([rows, odd]))[:300]
    assert np.array_equal(fast.view(np.uint32), general.view(np.uint32))
    if case == "rounded corners":
        assert fast.view(np.uint32)[1::3, 14].any()
