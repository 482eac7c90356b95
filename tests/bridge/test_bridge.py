"""The tensor -> texture bridge: every accepted layout, dtype and range draws the same colours,
CPU uploads read the tensor's own memory, and bad inputs get clear errors."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from sketchml.bridge import cuda_interop_mode, plan, set_cuda_interop, to_texture
from sketchml.errors import SketchmlError

H = W = 16


def reference_chw() -> torch.Tensor:
    """(3, H, W) float32 in [0, 1] with a distinct colour per quadrant (exact in uint8)."""
    t = torch.zeros(3, H, W)
    t[0, : H // 2] = 1.0
    t[1, :, : W // 2] = 128 / 255
    t[2, H // 2 :, W // 2 :] = 64 / 255
    return t


def draw(canvas, obj, **kwargs) -> np.ndarray:
    canvas.background(0)
    canvas.image(obj, 0, 0, **kwargs)
    return canvas._read_pixels().astype(int)


def expected_pixels() -> np.ndarray:
    rgb = (reference_chw().permute(1, 2, 0).numpy() * 255).round().astype(int)
    return np.concatenate([rgb, np.full((H, W, 1), 255)], axis=2)


def _u8(t: torch.Tensor) -> torch.Tensor:
    return (t * 255).round().to(torch.uint8)


CASES = {
    "CHW float32": lambda t: t,
    "NCHW float32": lambda t: t[None],
    "NCHW batch of 2": lambda t: torch.stack([t, 1 - t]),
    "HWC float32": lambda t: t.permute(1, 2, 0).contiguous(),
    "HWC view of CHW memory": lambda t: t.permute(1, 2, 0),
    "NCHW channels_last": lambda t: t[None].contiguous(memory_format=torch.channels_last),
    "CHW float16": lambda t: t.half(),
    "CHW bfloat16": lambda t: t.bfloat16(),
    "HWC bfloat16": lambda t: t.permute(1, 2, 0).contiguous().bfloat16(),
    "CHW uint8": _u8,
    "HWC uint8": lambda t: _u8(t).permute(1, 2, 0).contiguous(),
    "CHW float64": lambda t: t.double(),
    "CHW needing grad": lambda t: t.clone().requires_grad_(True),
    "strided slice (copied)": lambda t: torch.cat([t, t], dim=2)[:, :, :W],
    "numpy HWC uint8": lambda t: _u8(t).permute(1, 2, 0).numpy().copy(),
    "numpy HWC float32": lambda t: t.permute(1, 2, 0).numpy().copy(),
    "numpy HWC float64": lambda t: t.permute(1, 2, 0).double().numpy().copy(),
    "numpy CHW float32": lambda t: t.numpy().copy(),
    "numpy NHWC float16": lambda t: t.permute(1, 2, 0)[None].half().numpy().copy(),
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_layout_and_dtype_draws_the_same_colours(canvas, name):
    obj = CASES[name](reference_chw())
    got = draw(canvas, obj)
    assert np.abs(got - expected_pixels()).max() <= 1, name


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_value_range_minus_one_to_one(canvas, dtype):
    t = (reference_chw() * 2 - 1).to(dtype)
    got = draw(canvas, t, value_range=(-1, 1))
    assert np.abs(got - expected_pixels()).max() <= 2


def test_uint8_value_range_is_in_uint8_units(canvas):
    t = torch.full((3, 4, 4), 100, dtype=torch.uint8)
    got = draw(canvas, t, value_range=(0, 200))
    assert np.abs(got[1, 1] - [128, 128, 128, 255]).max() <= 1


def test_values_outside_the_range_are_clamped(canvas):
    t = torch.tensor([-3.0, 0.5, 7.0]).reshape(3, 1, 1).expand(3, 2, 2).contiguous()
    got = draw(canvas, t)
    assert np.abs(got[0, 0] - [0, 128, 255, 255]).max() <= 1


def test_grey_and_rgba_channels(canvas):
    grey = torch.full((1, 4, 4), 0.25)
    assert np.abs(draw(canvas, grey)[1, 1] - [64, 64, 64, 255]).max() <= 1
    assert np.abs(draw(canvas, torch.full((4, 4), 0.25))[1, 1] - [64, 64, 64, 255]).max() <= 1
    canvas.background(0, 0, 255)
    rgba = torch.zeros(4, 6, 5)  # HWC (6, 5, 4) once permuted; (4, H, 4) would read as CHW
    rgba[0] = 1.0
    rgba[3] = 0.5  # half-transparent red over blue
    canvas.image(rgba, 0, 0)
    assert np.abs(canvas._read_pixels()[1, 1].astype(int) - [128, 0, 127, 255]).max() <= 2
    canvas.background(0, 0, 255)
    canvas.image(rgba.permute(1, 2, 0).contiguous().bfloat16(), 0, 0)
    assert np.abs(canvas._read_pixels()[1, 1].astype(int) - [128, 0, 127, 255]).max() <= 2


def test_scaled_bfloat16_filters_like_float32(canvas):
    ramp = torch.linspace(0, 1, 4).reshape(1, 1, 4).expand(3, 4, 4).contiguous()
    a = draw(canvas, ramp, w=16, h=16)
    b = draw(canvas, ramp.bfloat16(), w=16, h=16)
    assert np.abs(a - b).max() <= 3
    assert len(np.unique(a[8, :, 0])) > 4  # filtered: more levels than the 4 texels


def test_cpu_upload_reads_the_tensors_own_memory():
    t = reference_chw()
    for obj, layout in [
        (t, "planar"),
        (t.permute(1, 2, 0), "planar"),
        (t.permute(1, 2, 0).contiguous(), "interleaved"),
        (t[None].contiguous(memory_format=torch.channels_last), "interleaved"),
        (t.bfloat16(), "planar"),
        (t.half()[None], "planar"),
    ]:
        p = plan(obj)
        assert p.layout == layout
        assert p.data.__array_interface__["data"][0] == obj.data_ptr()  # no copy was made
        assert p.data.flags["C_CONTIGUOUS"] and p.data.nbytes == obj[0 if obj.dim() == 4 else ...].nbytes


def test_textures_are_reused_for_the_same_shape():
    from sketchml.graphics.context import create_headless_context

    ctx = create_headless_context()
    first = to_texture(ctx, torch.rand(3, 8, 8)).texture
    assert to_texture(ctx, torch.rand(3, 8, 8)).texture is first
    assert to_texture(ctx, torch.rand(3, 8, 9)).texture is not first


@pytest.mark.parametrize(
    "bad, message",
    [
        (torch.zeros(2, 8, 8), r"shape \(2, 8, 8\).*C = 1, 3 or 4"),
        (torch.zeros(8, 8, 5), r"shape \(8, 8, 5\)"),
        (torch.zeros(1, 2, 3, 8, 8), r"shape \(2, 3, 8, 8\)|shape \(1, 2, 3, 8, 8\)"),
        (torch.zeros(8), r"shape \(8,\)"),
        (torch.zeros(0, 3, 8, 8), r"shape \(0, 3, 8, 8\)"),
        (torch.zeros(3, 8, 8, dtype=torch.int64), "dtype torch.int64.*uint8, float16, bfloat16"),
        (torch.zeros(3, 8, 8, dtype=torch.bool), "dtype torch.bool"),
        (np.zeros((8, 8, 3), np.int32), "dtype int32"),
        (np.zeros((8, 8, 2), np.uint8), r"shape \(8, 8, 2\)"),
        ([[0.0, 1.0]], "cannot draw a list"),
    ],
)
def test_bad_inputs_give_clear_errors(canvas, bad, message):
    with pytest.raises(SketchmlError, match=message):
        canvas.image(bad, 0, 0)


def test_bad_value_range(canvas):
    with pytest.raises(SketchmlError, match="low == high"):
        canvas.image(torch.zeros(3, 4, 4), 0, 0, value_range=(1, 1))
    with pytest.raises(SketchmlError, match="two numbers"):
        canvas.image(torch.zeros(3, 4, 4), 0, 0, value_range="wide")


def test_interop_mode_selection():
    assert cuda_interop_mode() == "auto"
    set_cuda_interop("off")
    try:
        assert cuda_interop_mode() == "off"
    finally:
        set_cuda_interop("auto")
    with pytest.raises(SketchmlError, match="Did you mean 'off'"):
        set_cuda_interop("of")


def test_bridge_imports_without_torch():
    code = "import sys, sketchml.bridge; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_tensor_draws_like_cpu(canvas):
    for mode in ("auto", "off"):
        set_cuda_interop(mode)
        try:
            got = draw(canvas, reference_chw().cuda())
        finally:
            set_cuda_interop("auto")
        assert np.abs(got - expected_pixels()).max() <= 1


def test_interop_reports_unavailable_without_a_cuda_gl_device():
    from sketchml.bridge import cuda
    from sketchml.graphics.context import create_headless_context

    ctx = create_headless_context()
    if torch.cuda.is_available():
        pytest.skip("this machine may have a CUDA-GL device")
    # no CUDA driver (or llvmpipe GL): interop is refused quietly, so "auto" copies through the host
    assert cuda.interop_device_ok(ctx, 0) is False
