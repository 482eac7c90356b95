"""pix2pix: the reference checkpoint layout, pairs and transforms, learning on a tiny pair set, the CLI."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import sketchml as sk
from sketchml.cli.main import main as cli
from sketchml.datasets import scene_clip, scene_frames
from sketchml.testing import ModelConformance
from sketchml_image.pix2pix import NLayerDiscriminator, UnetGenerator, load_pairs
from sketchml_image.transforms import TRANSFORMS, apply_transform


def reference_unet_keys(num_downs: int) -> list[str]:
    """The parameter names of the reference UnetGenerator with batch norm, written out from
    its structure: each level's Sequential is ``model``; the inner level sits at index 1
    (outermost) or 3; outermost = [down, inner, relu, up(bias), tanh], middle = [lrelu, down,
    norm, inner, relu, up, norm], innermost = [lrelu, down, relu, up, norm]."""
    norm = ("weight", "bias", "running_mean", "running_var")
    keys = ["model.model.0.weight"]
    prefix = "model.model.1"
    for level in range(1, num_downs):
        innermost = level == num_downs - 1
        keys.append(f"{prefix}.model.1.weight")
        if innermost:
            keys += [f"{prefix}.model.3.weight"] + [f"{prefix}.model.4.{n}" for n in norm]
        else:
            keys += [f"{prefix}.model.2.{n}" for n in norm]
            keys += [f"{prefix}.model.5.weight"] + [f"{prefix}.model.6.{n}" for n in norm]
        prefix += ".model.3"
    return keys + ["model.model.3.weight", "model.model.3.bias"]


def test_the_unet_has_the_reference_keys_and_size() -> None:
    state = UnetGenerator(num_downs=6, ngf=4).state_dict()
    assert sorted(k for k in state if not k.endswith("num_batches_tracked")) == \
        sorted(reference_unet_keys(6))
    # The reference reports 54.414 M parameters for unet_256 (num_downs 8, ngf 64).
    unet_256 = UnetGenerator(num_downs=8, ngf=64)
    assert sum(p.numel() for p in unet_256.parameters()) == 54_413_955


def test_the_patchgan_has_the_reference_keys() -> None:
    names = [k for k in NLayerDiscriminator(6, 8).state_dict() if not k.endswith("tracked")]
    norm = ["weight", "bias", "running_mean", "running_var"]
    assert names == (["model.0.weight", "model.0.bias", "model.2.weight"]
                     + [f"model.3.{n}" for n in norm] + ["model.5.weight"]
                     + [f"model.6.{n}" for n in norm] + ["model.8.weight"]
                     + [f"model.9.{n}" for n in norm] + ["model.11.weight", "model.11.bias"])


def test_a_reference_latest_net_g_loads_unchanged(tmp_path: Path) -> None:
    # A tiny random checkpoint in the reference layout, saved the way its train.py saves
    # (torch.save of the state dict; an old file without num_batches_tracked).
    shapes = {k: v.shape for k, v in UnetGenerator(num_downs=5, ngf=3).state_dict().items()}
    generator = torch.Generator().manual_seed(0)
    state = {key: torch.randn(shapes[key], generator=generator) * 0.1
             for key in reference_unet_keys(5)}
    for key in state:
        if key.endswith("running_var"):
            state[key] = state[key].abs() + 0.5
    path = tmp_path / "latest_net_G.pth"
    torch.save(state, path)
    model = sk.model("pix2pix", weights=path, device="cpu")
    assert (model.network.num_downs, model.network.ngf, model.resolution, model.input) == \
        (5, 3, 32, None)
    loaded = model.network.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())
    picture = torch.rand(1, 3, 32, 32, generator=generator)
    expected = (model.network(picture * 2 - 1) + 1) / 2
    assert torch.allclose(model.generate(picture), expected, atol=1e-6)
    del state["model.model.1.model.2.running_mean"]
    torch.save(state, path)
    with pytest.raises(sk.SketchmlError, match="Missing keys.*running_mean"):
        sk.model("pix2pix", weights=path, device="cpu")
    torch.save({"main.0.weight": torch.zeros(1)}, path)
    with pytest.raises(sk.SketchmlError, match="not a pix2pix U-Net"):
        sk.model("pix2pix", weights=path, device="cpu")


def test_every_transform_keeps_shape_and_range_and_changes_the_picture() -> None:
    frames = torch.from_numpy(scene_frames(2, size=32)).permute(0, 3, 1, 2).float() / 255
    for name in TRANSFORMS:
        a = apply_transform(name, frames)
        assert a.shape == frames.shape and 0 <= float(a.min()) and float(a.max()) <= 1, name
        assert float((a - frames).abs().mean()) > 0.005, name
        assert torch.equal(a, apply_transform(name, frames)), name
    flat = apply_transform("kmeans", frames)[0].flatten(1).t()
    assert len(torch.unique(flat, dim=0)) <= 6
    with pytest.raises(sk.SketchmlError, match="Did you mean 'edges'"):
        apply_transform("edgse", frames)


def test_pairs_from_a_video_and_from_an_a_b_folder(tmp_path: Path) -> None:
    clip = scene_clip(tmp_path / "room.mp4", frames=12, size=48)
    a, b = load_pairs(clip, input="posterise", resolution=32, frames=5)
    assert a.shape == b.shape == (5, 3, 32, 32)
    assert torch.equal(a, apply_transform("posterise", b))
    folder = tmp_path / "pairs"
    folder.mkdir()
    from PIL import Image

    left = np.full((40, 40, 3), 30, np.uint8)
    right = np.full((40, 40, 3), 220, np.uint8)
    Image.fromarray(np.concatenate([left, right], 1)).save(folder / "0001.jpg", quality=95)
    a, b = load_pairs(folder, input="pairs", resolution=32)
    assert a.shape == (1, 3, 32, 32) and abs(float(a.mean()) - 30 / 255) < 0.02
    assert abs(float(b.mean()) - 220 / 255) < 0.02
    with pytest.raises(sk.SketchmlError, match="folder of side-by-side"):
        load_pairs(clip, input="pairs")


def test_pix2pix_learns_a_held_out_frame_better_than_the_baselines(tmp_path: Path) -> None:
    frames = torch.from_numpy(scene_frames(96, size=32, seed=3)).permute(0, 3, 1, 2).float() / 255
    order = torch.randperm(96, generator=torch.Generator().manual_seed(0))
    train, held = frames[order[:80]], frames[order[80:]]
    model = sk.model("pix2pix", device="cpu")
    run = model.train(train, out=tmp_path / "run", input="edges", resolution=32, steps=700,
                      width=8, batch_size=8, seed=0, progress=False)
    assert run.step == 700 and (tmp_path / "run" / "samples").is_dir()
    made = model.generate(held)
    error = float((made - held).abs().mean())
    identity = float((model.prepare(held) - held).abs().mean())
    mean_image = float((train.mean(0, keepdim=True) - held).abs().mean())
    # Measured: 0.024 against identity 0.515 and mean image 0.039.
    assert error < 0.75 * mean_image and error < 0.2 * identity, (error, identity, mean_image)
    again = sk.model("pix2pix", weights=tmp_path / "run", device="cpu")
    assert again.input == "edges" and again.resolution == 32
    assert torch.allclose(again.generate(held), made, atol=1e-5)


def test_cli_trains_pix2pix_on_a_video(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    clip = scene_clip(tmp_path / "room.mp4", frames=10, size=32)
    out = tmp_path / "run"
    code = cli(["train", "pix2pix", str(clip), "--input", "kmeans", "--out", str(out),
                "--steps", "2", "--resolution", "32", "--device", "cpu",
                "--option", "width=4", "--option", "progress=false"])
    assert code == 0, capsys.readouterr().err
    model = sk.model("pix2pix", weights=out, device="cpu")
    assert model.input == "kmeans"
    assert cli(["train", "pix2pix", str(clip), "--input", "sobel", "--out",
                str(tmp_path / "other"), "--device", "cpu"]) == 1
    assert "not an input transform" in capsys.readouterr().err


def test_an_unseeded_run_draws_a_seed_records_it_and_resumes_with_it(tmp_path: Path) -> None:
    options = {"resolution": 32, "width": 4, "batch_size": 2, "progress": False}
    model = sk.model("pix2pix.untrained", device="cpu")
    pictures = torch.rand(4, 3, 32, 32)
    first = model.train(pictures, out=tmp_path / "a", steps=1, **options)
    other = model.train(pictures, out=tmp_path / "b", steps=1, **options)
    assert first.seed != other.seed  # a fresh seed each run, not 0 every time
    resumed = model.train(pictures, out=tmp_path / "a", steps=2, **options)
    assert (resumed.step, resumed.seed) == (2, first.seed)


def test_mistakes_are_explained(tmp_path: Path) -> None:
    model = sk.model("pix2pix.untrained", device="cpu")
    with pytest.raises(sk.SketchmlError, match="no weights yet"):
        model.generate(torch.rand(1, 3, 32, 32))
    with pytest.raises(sk.SketchmlError, match="power of two"):
        model.train(torch.rand(2, 3, 32, 32), out=tmp_path / "r", resolution=48)
    with pytest.raises(sk.SketchmlError, match="no latent space"):
        model.sample_latent(1)
    with pytest.raises(sk.SketchmlError, match="holds no trained pix2pix"):
        sk.model("pix2pix", weights=tmp_path, device="cpu")


class TestPix2PixConformance(ModelConformance):
    model_name = "pix2pix"
    generate_options = {"image": torch.rand(1, 3, 40, 48)}

    @classmethod
    def make_model(cls) -> sk.Model:
        import tempfile

        path = Path(tempfile.mkdtemp()) / "latest_net_G.pth"
        torch.save(UnetGenerator(num_downs=5, ngf=4).state_dict(), path)
        return sk.model("pix2pix", weights=path, device="cpu")

    def train_inputs(self, model: sk.Model, out: Path) -> tuple:
        return torch.rand(4, 3, 32, 32), {"steps": 2, "resolution": 32, "width": 4,
                                          "batch_size": 2, "progress": False}

    def test_seeds_reproduce(self, model: sk.Model) -> None:
        pytest.skip("pix2pix translates deterministically (dropout is off outside training): "
                    "its seed is recorded, but different seeds rightly give the same picture")

    def test_output_by_modality(self, model: sk.Model) -> None:
        pytest.skip("the check asks for a batch of 2 from a latent count; pix2pix makes one "
                    "picture per input picture (checked in test_a_reference_latest_net_g_...)")


def test_the_embedded_room_model_paints_held_out_frames(tmp_path: Path) -> None:
    from sketchml_image.pix2pix import _fit

    model = sk.model("pix2pix", device="cpu")
    assert (model.name, model.input, model.resolution) == ("pix2pix.room", "edges", 64)
    clip = torch.from_numpy(scene_frames(240, size=128)).permute(0, 3, 1, 2).float() / 255
    held_out = torch.arange(240) % 8 == 0  # the frames its training script left out
    held, seen = clip[held_out], clip[~held_out]
    target = _fit(held, 64)
    error = float((model.generate(held) - target).abs().mean())
    mean_frame = float((_fit(seen, 64).mean(0, keepdim=True) - target).abs().mean())
    identity = float((model.prepare(held) - target).abs().mean())
    # Measured by scripts/train_pix2pix_room.py: 0.0107 against 0.0404 and 0.540.
    assert error < 0.5 * mean_frame and error < 0.05 * identity, (error, mean_frame, identity)
    # Live, through a Capture playing the clip as a camera (MP4-compressed frames).
    with sk.Capture(scene_clip(tmp_path / "room.mp4", frames=240, size=128)) as cam:
        cam.start()
        cam.read()
        live = float((model.generate(cam) - _fit(cam.tensor(), 64)).abs().mean())
    assert live < 0.5 * mean_frame, live
