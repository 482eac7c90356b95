"""Interpolation maths: slerp, lerp, keyframe paths, easing, truncated normal."""
from __future__ import annotations

import math

import pytest
import torch

import sketchml as sk
from sketchml.models.interpolation import EASINGS, lerp, slerp, truncated_normal


def test_slerp_endpoints_any_shape():
    a, b = torch.randn(2, 3, 4), torch.randn(2, 3, 4)
    assert torch.allclose(slerp(a, b, 0.0), a, atol=1e-6)
    assert torch.allclose(slerp(a, b, 1.0), b, atol=1e-6)
    path = slerp(a, b, [0.0, 0.3, 1.0])
    assert path.shape == (3, 2, 3, 4) and torch.allclose(path[-1], b, atol=1e-6)


def test_slerp_keeps_unit_norm_and_angle():
    a, b = torch.nn.functional.normalize(torch.randn(2, 64, dtype=torch.float64), dim=-1)
    ts = torch.linspace(0, 1, 11, dtype=torch.float64)
    path = slerp(a, b, ts)
    assert torch.allclose(path.norm(dim=-1), torch.ones(11, dtype=torch.float64), atol=1e-9)
    omega = torch.arccos((a * b).sum())
    angles = torch.arccos((path @ a).clamp(-1, 1))
    assert torch.allclose(angles, ts * omega, atol=1e-6)  # constant angular speed


def test_slerp_per_row():
    a = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    b = torch.tensor([[0.0, 1.0], [0.0, 1.0]])
    mid = slerp(a, b, 0.5, dim=-1)
    assert torch.allclose(mid[0], torch.tensor([math.sqrt(0.5)] * 2), atol=1e-6)
    assert torch.allclose(mid[1], torch.tensor([0.0, 1.0]))


def test_parallel_vectors_fall_back_to_lerp():
    a = torch.tensor([1.0, 2.0, 3.0])
    out = slerp(a, 2 * a, 0.5)
    assert torch.isfinite(out).all() and torch.allclose(out, 1.5 * a)
    assert torch.allclose(slerp(a, a, 0.25), a)


def test_lerp_numbers_and_tensors():
    assert lerp(0, 10, 0.25) == 2.5
    out = lerp(torch.zeros(3), torch.ones(3), [0.0, 0.5, 1.0])
    assert out.shape == (3, 3) and torch.equal(out[1], torch.full((3,), 0.5))
    with pytest.raises(sk.SketchmlError, match="different shapes"):
        lerp(torch.zeros(2), torch.zeros(3), 0.5)


def test_path_frame_counts_and_holds():
    keys = [torch.full((2,), float(i)) for i in range(3)]
    path = sk.interpolate(keys, steps=5, method="lerp")
    assert path.shape == (9, 2)  # (5 - 1) * 2 + 1
    assert path[:, 0].tolist() == [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]
    held = sk.interpolate(keys, steps=3, hold=[2, 0, 1], method="lerp")
    assert held[:, 0].tolist() == [0, 0, 0, 0.5, 1, 1.5, 2, 2]
    looped = sk.interpolate(keys, steps=3, method="lerp", loop=True)
    assert looped[:, 0].tolist() == [0, 0.5, 1, 1.5, 2, 1]  # ends just before the first again


def test_easing_shapes_the_segment():
    keys = [torch.zeros(1), torch.ones(1)]
    eased = sk.interpolate(keys, steps=5, easing="ease-in-out", method="lerp")[:, 0]
    linear = sk.interpolate(keys, steps=5, method="lerp")[:, 0]
    assert eased[0] == 0 and eased[-1] == 1 and eased[2] == pytest.approx(0.5)
    assert eased[1] < linear[1] and eased[3] > linear[3]  # slow out of and into keyframes
    assert (eased[1:] >= eased[:-1]).all()
    for name, curve in EASINGS.items():
        assert curve(0.0) == pytest.approx(0.0) and curve(1.0) == pytest.approx(1.0), name
    custom = sk.interpolate(keys, steps=3, easing=lambda t: t * t, method="lerp")[:, 0]
    assert custom.tolist() == [0, 0.25, 1]
    with pytest.raises(sk.SketchmlError, match="Did you mean one of: 'ease-in'"):
        sk.interpolate(keys, easing="ease-inn")


def test_path_of_latents_keeps_metadata_and_methods():
    z = sk.Latent({"z": torch.randn(3, 16), "y": torch.eye(3)}, family="biggan", seed=2)
    walk = sk.interpolate(z, steps=4, method={"z": "slerp", "y": "lerp"})
    assert isinstance(walk, sk.Latent) and len(walk) == 7 and walk.family == "biggan"
    assert walk.seed is None
    assert torch.allclose(walk["y"][1], torch.tensor([2 / 3, 1 / 3, 0.0]))
    assert torch.allclose(walk["z"][3], z["z"][1])


def test_path_errors():
    with pytest.raises(sk.SketchmlError, match="at least 2 keyframes"):
        sk.interpolate([torch.zeros(2)])
    with pytest.raises(sk.SketchmlError, match="steps must be an int >= 2"):
        sk.interpolate([torch.zeros(2), torch.ones(2)], steps=1)
    with pytest.raises(sk.SketchmlError, match="one per keyframe"):
        sk.interpolate([torch.zeros(2), torch.ones(2)], hold=[1])
    with pytest.raises(sk.SketchmlError, match="same shape"):
        sk.interpolate([torch.zeros(2), torch.ones(3)])


def test_truncated_normal():
    gen = torch.Generator().manual_seed(3)
    z = truncated_normal((1000,), 0.5, gen)
    assert z.abs().max() <= 0.5
    assert z.std() > 0.2  # redrawn, not clipped into a pile at the edges
    assert (z.abs() > 0.499).float().mean() < 0.01
    assert torch.equal(z, truncated_normal((1000,), 0.5, torch.Generator().manual_seed(3)))
    with pytest.raises(sk.SketchmlError, match="truncation must be > 0"):
        truncated_normal((2,), 0.0)
