"""``sketchml walk LATENT_FILES... --out``: walks between saved latents, found by their metadata.

The model is the example third-party plugin ``sketchml-noise`` (docs/examples), registered
into a private registry exactly as its entry point would register it.
"""
from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import torch

import sketchml as sk
from sketchml.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def noise_plugin(sketchml_registry, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "docs" / "examples" / "sketchml-noise"))
    import sketchml_noise

    sketchml_registry.register(sketchml_noise)
    return sketchml_registry


@pytest.fixture
def sketchml(monkeypatch, capsys):
    """Run the ``sketchml`` command in this process: exit code, stdout and stderr."""
    if "sketchml.cli.walk" not in cli_main.COMMAND_MODULES:
        monkeypatch.setattr(cli_main, "COMMAND_MODULES", [*cli_main.COMMAND_MODULES, "sketchml.cli.walk"])

    def run(*args: object) -> tuple[int, str, str]:
        code = cli_main.main([str(arg) for arg in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _png_frames(folder: Path) -> np.ndarray:
    return np.stack([iio.imread(path)[..., :3] for path in sorted(folder.glob("frame-*.png"))])


def _pixels(images: torch.Tensor) -> np.ndarray:
    return (images.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def test_walks_through_every_item_of_every_file_with_the_model_they_name(noise_plugin, sketchml, tmp_path):
    noise = sk.model("noise.fine", size=16, device="cpu")
    first = noise.sample_latent(2, seed=1).save(tmp_path / "a.safetensors")
    last = noise.sample_latent(1, seed=2).save(tmp_path / "b.safetensors")
    code, out, err = sketchml("walk", first, last, "--out", tmp_path / "frames", "--steps", 4,
                              "--hold", 2, "--device", "cpu")
    assert code == 0, err
    assert "3 keyframes of noise.fine" in out
    frames = _png_frames(tmp_path / "frames")
    # The files' variant (fine: grid 12) and options (size 16) come back from their metadata.
    assert frames.shape == (2 * 3 + 1 + 3 * 2, 16, 16, 3)
    assert np.array_equal(frames[0], _pixels(noise.generate(sk.load_latent(first)[0]))[0])
    assert np.array_equal(frames[-1], _pixels(noise.generate(sk.load_latent(last)))[0])


def test_loop_easing_and_fps_make_a_seamless_gif(noise_plugin, sketchml, tmp_path):
    keys = sk.model("noise", size=16, device="cpu").sample_latent(3, seed=5)
    code, _, err = sketchml("walk", keys.save(tmp_path / "keys.safetensors"), "--out",
                            tmp_path / "walk.gif", "--steps", 5, "--easing", "ease-in-out",
                            "--loop", "--fps", 10, "--batch", 3)
    assert code == 0, err
    frames = iio.imread(tmp_path / "walk.gif")
    assert frames.shape[:3] == (3 * 4, 16, 16)
    assert iio.immeta(tmp_path / "walk.gif")["duration"] == 100


def test_model_names_the_family_for_latents_without_metadata(noise_plugin, sketchml, tmp_path):
    hand_made = sk.Latent(torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(0)))
    path = hand_made.save(tmp_path / "hand.safetensors")
    code, _, err = sketchml("walk", path, "--out", tmp_path / "walk.gif", "--steps", 3)
    assert code == 1 and "does not say which model made it" in err and "--model" in err
    assert not (tmp_path / "walk.gif").exists()
    code, out, err = sketchml("walk", path, "--out", tmp_path / "walk.gif", "--steps", 3,
                              "--model", "noise")
    assert code == 0, err
    assert iio.imread(tmp_path / "walk.gif").shape[:3] == (3, 64, 64)


def test_no_files_is_explained(noise_plugin, sketchml, tmp_path):
    code, _, err = sketchml("walk", "--out", tmp_path / "walk.mp4")
    assert code == 1 and "needs latent files" in err and "latent.save(" in err


def test_a_file_that_is_not_a_latent_is_named(noise_plugin, sketchml, tmp_path):
    text = tmp_path / "notes.safetensors"
    text.write_text("not a tensor file")
    code, _, err = sketchml("walk", text, text, "--out", tmp_path / "walk.mp4")
    assert code == 1 and "notes.safetensors" in err and "not a readable safetensors file" in err
    weights = tmp_path / "weights.safetensors"
    from safetensors.torch import save_file

    save_file({"layer.weight": torch.zeros(2, 2)}, str(weights))
    code, _, err = sketchml("walk", weights, weights, "--out", tmp_path / "walk.mp4")
    assert code == 1 and "not a sketchml latent" in err
    code, _, err = sketchml("walk", tmp_path / "missing.safetensors", "--out", tmp_path / "walk.mp4")
    assert code == 1 and "No latent file" in err
    assert not (tmp_path / "walk.mp4").exists()


def test_latents_of_different_families_are_refused(noise_plugin, sketchml, tmp_path):
    noise = sk.model("noise", size=16, device="cpu").sample_latent(1, seed=0)
    other = sk.Latent(torch.zeros(1, 3, 4, 4), family="biggan", variant="deep-128")
    code, _, err = sketchml("walk", noise.save(tmp_path / "n.safetensors"),
                            other.save(tmp_path / "b.safetensors"), "--out", tmp_path / "w.mp4")
    assert code == 1 and "different model families" in err
    assert "n.safetensors (noise)" in err and "b.safetensors (biggan)" in err


def test_a_family_that_is_not_installed_gets_a_suggestion(noise_plugin, sketchml, tmp_path):
    typo = sk.Latent(torch.zeros(2, 3, 4, 4), family="noize")
    code, _, err = sketchml("walk", typo.save(tmp_path / "z.safetensors"), "--out", tmp_path / "w.mp4")
    assert code == 1 and "no model called 'noize'" in err and "'noise'" in err


def test_one_keyframe_is_not_a_walk(noise_plugin, sketchml, tmp_path):
    one = sk.model("noise", size=16, device="cpu").sample_latent(1, seed=0)
    code, _, err = sketchml("walk", one.save(tmp_path / "one.safetensors"), "--out", tmp_path / "w.mp4")
    assert code == 1 and "at least 2 keyframes" in err and not (tmp_path / "w.mp4").exists()


def test_bad_settings_are_explained(noise_plugin, sketchml, tmp_path):
    keys = sk.model("noise", size=16, device="cpu").sample_latent(2, seed=0).save(tmp_path / "k.safetensors")
    code, _, err = sketchml("walk", keys, "--out", tmp_path / "w.mp4", "--easing", "bounce")
    assert code == 1 and "easing='bounce' is not known" in err
    code, _, err = sketchml("walk", keys, "--out", tmp_path / "w.avi")
    assert code == 1 and "unknown file type '.avi'" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.safetensors"]


def test_size_scales_the_frames_smoothly_unless_nearest_is_asked(noise_plugin, sketchml, tmp_path):
    keys = sk.model("noise", size=16, device="cpu").sample_latent(2, seed=5)
    path = keys.save(tmp_path / "keys.safetensors")
    for resample in ("lanczos", "nearest"):
        code, _, err = sketchml("walk", path, "--out", tmp_path / resample, "--steps", 3,
                                "--size", 64, "--resample", resample)
        assert code == 0, err
    smooth, blocky = _png_frames(tmp_path / "lanczos"), _png_frames(tmp_path / "nearest")
    assert smooth.shape == blocky.shape == (3, 64, 64, 3)
    # Nearest repeats each pixel in a 4 x 4 block; Lanczos makes new values inside them.
    blocks = blocky.reshape(3, 16, 4, 16, 4, 3)
    assert (blocks == blocks[:, :, :1, :, :1]).all()
    smooth_blocks = smooth.reshape(3, 16, 4, 16, 4, 3).astype(int)
    assert (smooth_blocks != smooth_blocks[:, :, :1, :, :1]).mean() > 0.5
    # The same picture at a larger size: shrunk back, it is close to the original frames.
    small = _pixels(torch.from_numpy(smooth).permute(0, 3, 1, 2).float().div(255)[:, :, 1::4, 1::4])
    assert np.abs(small.astype(int) - blocky[:, ::4, ::4].astype(int)).mean() < 40
    code, _, err = sketchml("walk", path, "--out", tmp_path / "bad", "--size", 0)
    assert code == 1 and "size is the longer side in pixels" in err
