"""The determinism promise (docs/determinism.md), tested as promised and no further.

Same machine, device, thread count and batch: the same bits, even from another process and
with the weights read from a file. Other kernels (as on another CPU): close, within
``CROSS_MACHINE_ATOL``. Another machine is stood in for by making torch and oneDNN use older
instruction sets than this CPU's.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import safetensors.torch
import torch

from sketchml.models.determinism import CROSS_MACHINE_ATOL, select_deterministic_kernels

# A small generator shaped like the DCGAN: weights from a file, images out, saved as tensors.
RENDER = r"""
import sys, torch, sketchml as sk
torch.set_num_threads(1)
net = torch.nn.Sequential(
    torch.nn.Linear(16, 32 * 4 * 4), torch.nn.Unflatten(1, (32, 4, 4)), torch.nn.ReLU(),
    torch.nn.ConvTranspose2d(32, 16, 4, 2, 1), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
    torch.nn.ConvTranspose2d(16, 3, 4, 2, 1), torch.nn.Sigmoid(),
).eval()
net.load_state_dict(sk.load_weights(sys.argv[1]), assign=True)
z = sk.load_latent(sys.argv[2])["z"]
with torch.no_grad():
    images = torch.cat([net(z[i:i + 4]) for i in range(0, len(z), 4)])
if len(sys.argv) > 3:
    torch.save(images, sys.argv[3])
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    import sketchml as sk

    folder = tmp_path_factory.mktemp("determinism")
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(16, 32 * 4 * 4), torch.nn.Unflatten(1, (32, 4, 4)), torch.nn.ReLU(),
        torch.nn.ConvTranspose2d(32, 16, 4, 2, 1), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
        torch.nn.ConvTranspose2d(16, 3, 4, 2, 1), torch.nn.Sigmoid(),
    )
    for buffer in net[4].running_mean, net[4].running_var:
        buffer.uniform_(0.5, 1.5)
    weights = folder / "net.safetensors"
    safetensors.torch.save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(weights))
    latent = sk.Latent({"z": torch.randn(12, 16, generator=torch.Generator().manual_seed(5))}, family="x")
    return weights, latent.save(folder / "z.safetensors")


def _render(files: tuple[Path, Path], out: Path, **env: str) -> torch.Tensor:
    run_env = {**os.environ, "OMP_NUM_THREADS": "1", **env}
    subprocess.run([sys.executable, "-c", RENDER, str(files[0]), str(files[1]), str(out)],
                   check=True, env=run_env, timeout=120)
    return torch.load(out, weights_only=True)


@pytest.fixture(scope="module")
def rendered_elsewhere(files, tmp_path_factory) -> torch.Tensor:
    return _render(files, tmp_path_factory.mktemp("render") / "images.pt")


def test_same_machine_same_batch_gives_the_same_bits_in_another_process(
        files, rendered_elsewhere, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["render", str(files[0]), str(files[1])])
    namespace: dict = {}
    exec(compile(RENDER, "render", "exec"), namespace)
    torch.set_num_threads(1)
    assert torch.equal(namespace["images"], rendered_elsewhere)


def test_other_kernels_are_close_within_the_stated_tolerance(files, rendered_elsewhere, tmp_path):
    older = _render(files, tmp_path / "older.pt", ATEN_CPU_CAPABILITY="default",
                    ONEDNN_MAX_CPU_ISA="SSE41", MKL_ENABLE_INSTRUCTIONS="SSE4_2")
    assert (rendered_elsewhere - older).abs().max() <= CROSS_MACHINE_ATOL


def test_deterministic_kernels_are_selected_for_cuda(monkeypatch):
    monkeypatch.delenv("SKETCHML_FAST_KERNELS", raising=False)
    before = (torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.benchmark,
              torch.backends.cudnn.deterministic, os.environ.get("CUBLAS_WORKSPACE_CONFIG"))
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    try:
        torch.backends.cudnn.benchmark = True
        assert select_deterministic_kernels(torch.device("cuda:0")) is True
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.is_deterministic_algorithms_warn_only_enabled()
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    finally:
        torch.use_deterministic_algorithms(before[0])
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = before[1:3]


def test_cpu_and_fast_kernels_leave_torch_alone(monkeypatch):
    assert select_deterministic_kernels("cpu") is False
    monkeypatch.setenv("SKETCHML_FAST_KERNELS", "1")
    assert select_deterministic_kernels("cuda") is False
    assert not torch.are_deterministic_algorithms_enabled()
