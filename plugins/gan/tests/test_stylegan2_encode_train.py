"""StyleGAN2 projection (encode) with a VGG16 perceptual loss, and training at small resolutions."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import sketchml as sk
from sketchml.media.frames import read_video_frames
from sketchml_gan.projection import VGG16_FILE, load_target
from sketchml_gan.stylegan2 import Generator

TINY = {"size": 32, "style_dim": 64, "n_mlp": 2, "channels": {4: 32, 8: 32, 16: 16, 32: 16}}


@pytest.fixture(scope="module")
def gan(tmp_path_factory):
    torch.manual_seed(0)
    g = Generator(**TINY)
    with torch.no_grad():
        for name, p in g.named_parameters():
            if name.endswith("noise.weight"):
                p.fill_(0.2)
    path = tmp_path_factory.mktemp("sg2") / "tiny.pt"
    torch.save({"g_ema": g.state_dict()}, path)
    return sk.model("stylegan2", weights=path, device="cpu")


@pytest.fixture(scope="module")
def vgg_file(tmp_path_factory) -> Path:
    """torchvision's own VGG16 feature stack with random weights, saved as its checkpoint keys."""
    from torchvision.models import vgg

    torch.manual_seed(0)
    features = vgg.make_layers(vgg.cfgs["D"])
    path = tmp_path_factory.mktemp("vgg") / VGG16_FILE
    torch.save({f"features.{k}": v for k, v in features.state_dict().items()}, path)
    return path


# -- encode -----------------------------------------------------------------------------------

def test_projection_lowers_its_loss_on_a_generated_target(gan, vgg_file, tmp_path):
    target = gan.generate(gan.sample_latent(1, seed=21))[0]
    video = tmp_path / "projection.mp4"
    w = gan.encode(target, steps=12, lr=0.1, vgg=vgg_file, video=video)
    w.save(tmp_path / "found.safetensors")
    assert isinstance(w, sk.Latent) and w["w"].shape == (1, 8, 64)
    assert w.metadata["space"] == "w+" and w.metadata["steps"] == 12
    assert w.metadata["loss"] < 0.8 * w.metadata["start_loss"]
    # The found latent draws something closer to the target than the average image does.
    start = gan.generate(sk.Latent({"w": gan.latent_avg[None]}))[0]
    found = gan.generate(w)[0]
    assert (found - target).abs().mean() < (start - target).abs().mean()
    # One frame per step and one for the result, target and current image side by side.
    frames = list(read_video_frames(video))
    assert len(frames) == 13 and frames[0].shape[:2] == (32, 64)
    saved = sk.load_latent(tmp_path / "found.safetensors")
    assert saved.metadata == w.metadata
    assert torch.equal(gan.generate(saved), gan.generate(w))


def test_old_encode_names_still_work_and_warn(gan, vgg_file, tmp_path):
    target = torch.rand(3, 32, 32)
    with pytest.warns(FutureWarning, match="'image=' was renamed; use data="):
        old = gan.encode(image=target, steps=2, vgg=vgg_file, seed=4, progress=False)
    assert torch.equal(old["w"], gan.encode(target, steps=2, vgg=vgg_file, seed=4)["w"])
    with pytest.warns(FutureWarning, match=r"'out=' was renamed; use latent.save\(path\)"):
        gan.encode(target, steps=2, vgg=vgg_file, out=tmp_path / "w.safetensors")
    assert sk.load_latent(tmp_path / "w.safetensors")["w"].shape == (1, 8, 64)
    assert old.seed == 4 and isinstance(gan.encode(target, steps=1, vgg=vgg_file).seed, int)
    with pytest.warns(FutureWarning, match="'net' was renamed; use .network"):
        assert gan.net is gan.network


def test_projection_into_w_and_from_a_file(gan, vgg_file, tmp_path):
    picture = tmp_path / "photo.png"
    Image.fromarray(np.tile(np.linspace(0, 255, 48, dtype=np.uint8)[None, :, None], (40, 1, 3))).save(picture)
    w = gan.encode(picture, steps=3, space="w", vgg=vgg_file)
    assert w["w"].shape == (1, 64) and w.metadata["space"] == "w"
    assert gan.generate(w).shape == (1, 3, 32, 32)


def test_missing_vgg_weights_say_what_to_put_where(gan, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    with pytest.raises(sk.SketchmlError) as caught:
        gan.encode(torch.rand(3, 32, 32), steps=2, perceptual="vgg16")
    message = str(caught.value)
    assert VGG16_FILE in message and str(tmp_path / "torch-home" / "hub" / "checkpoints") in message
    assert "vgg=" in message


def test_a_wrong_vgg_file_and_bad_arguments_are_refused(gan, tmp_path, vgg_file):
    wrong = tmp_path / "not-vgg.pth"
    torch.save({"layer.weight": torch.zeros(2)}, wrong)
    with pytest.raises(sk.SketchmlError, match="not torchvision's VGG16 weights"):
        gan.encode(torch.rand(3, 32, 32), steps=2, vgg=wrong)
    with pytest.raises(sk.SketchmlError, match="'w' or 'w\\+', not 'z'"):
        gan.encode(torch.rand(3, 32, 32), space="z", vgg=vgg_file)
    with pytest.raises(sk.SketchmlError, match="one image"):
        gan.encode(torch.rand(2, 3, 32, 32), steps=2, vgg=vgg_file)
    video = tmp_path / "never.mp4"
    with pytest.raises(sk.SketchmlError, match="steps must be"):
        gan.encode(torch.rand(3, 32, 32), steps=0, vgg=vgg_file, video=video)
    assert not video.exists()


def test_load_target_crops_the_centre_square():
    from sketchml.graphics.image import Image as SketchImage

    image = np.zeros((20, 40, 3), np.uint8)
    image[:, 10:30] = 255  # the centre square is white, the sides black
    rgba = np.concatenate([image, np.full((20, 40, 1), 255, np.uint8)], axis=2)
    for given in (image, Image.fromarray(image), SketchImage.from_array(rgba),
                  torch.from_numpy(image).permute(2, 0, 1).float() / 255):
        target = load_target(given, 8)
        assert target.shape == (1, 3, 8, 8) and float(target.min()) > 0.99, type(given)


# -- train ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sprites(tmp_path_factory) -> Path:
    """Eight 32 px 'sprites': a coloured square on a dark background."""
    folder = tmp_path_factory.mktemp("sprites")
    rng = np.random.default_rng(0)
    for i in range(8):
        pixels = np.full((32, 32, 3), 20, np.uint8)
        x, y = rng.integers(2, 18, size=2)
        pixels[y:y + 12, x:x + 12] = rng.integers(80, 255, size=3)
        Image.fromarray(pixels).save(folder / f"sprite-{i}.png")
    return folder


TRAIN = {"resolution": 32, "batch_size": 4, "style_dim": 32, "n_mlp": 2, "width": 32,
         "r1_every": 2, "progress": False, "lr": 0.002, "seed": 0}


def test_training_records_losses_writes_checkpoints_and_resumes(sprites, tmp_path):
    out = tmp_path / "run"
    model = sk.model("stylegan2", device="cpu")
    run = model.train(sprites, out=out, steps=4, **TRAIN)
    assert run.step == 4 and run.completed
    assert [record["step"] for record in run.history] == [1, 2, 3, 4]
    assert all(np.isfinite(record["loss_d"]) and np.isfinite(record["loss_g"]) for record in run.history)
    assert "r1" in run.history[1]  # the lazy R1 penalty ran on step 2
    assert (out / "checkpoints").is_dir() and list((out / "samples").glob("*.png"))
    logged = [json.loads(line) for line in (out / "losses.jsonl").read_text().splitlines()]
    assert len(logged) == 4
    # The model now generates with what it trained.
    images = model.generate(model.sample_latent(2, seed=0))
    assert images.shape == (2, 3, 32, 32)

    again = sk.model("stylegan2", device="cpu")
    resumed = again.train(sprites, out=out, steps=6, **TRAIN)
    assert resumed.step == 6
    assert [record["step"] for record in resumed.history] == [1, 2, 3, 4, 5, 6]

    # Stopping after 4 steps and resuming to 6 trains exactly what 6 steps in one go do.
    straight = sk.model("stylegan2", device="cpu")
    straight.train(sprites, out=tmp_path / "straight", steps=6, **TRAIN)
    for key, value in straight.network.state_dict().items():
        assert torch.allclose(value, again.network.state_dict()[key], atol=1e-6), key

    loaded = sk.model("stylegan2", weights=out, device="cpu")
    assert loaded.resolution == 32
    assert torch.allclose(loaded.generate(loaded.sample_latent(2, seed=0)),
                          again.generate(again.sample_latent(2, seed=0)), atol=1e-6)


def test_minutes_stops_with_a_checkpoint_and_the_cli_trains(sprites, tmp_path):
    run = sk.model("stylegan2", device="cpu").train(sprites, out=tmp_path / "quick", steps=50,
                                                     minutes=0.0, **TRAIN)
    assert run.step == 0 and not run.completed
    assert (tmp_path / "quick" / "checkpoints").is_dir()
    import argparse

    from sketchml.cli import train as train_command

    parser = argparse.ArgumentParser()
    train_command.register(parser.add_subparsers())
    options = ["--option", "style_dim=32", "--option", "n_mlp=2", "--option", "width=32",
               "--option", "progress=false"]
    args = parser.parse_args(["train", "stylegan2", str(sprites), "--out", str(tmp_path / "cli"),
                              "--steps", "1", "--resolution", "32", "--batch-size", "4",
                              "--device", "cpu", *options])
    assert args.func(args) == 0
    assert sk.model("stylegan2", weights=tmp_path / "cli", device="cpu").resolution == 32


def test_training_from_a_video(tmp_path):
    import imageio.v2 as imageio

    path = tmp_path / "clip.mp4"
    frames = [np.full((64, 64, 3), 10 * i, np.uint8) for i in range(16)]
    imageio.mimwrite(path, frames, fps=8)
    run = sk.model("stylegan2", device="cpu").train(path, out=tmp_path / "video-run", steps=1,
                                                     **TRAIN)
    assert run.step == 1


def test_bad_training_input_is_explained_and_writes_nothing(tmp_path):
    model = sk.model("stylegan2", device="cpu")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(sk.SketchmlError, match="is empty"):
        model.train(empty, out=tmp_path / "a", steps=1, **TRAIN)
    assert not (tmp_path / "a").exists()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    with pytest.raises(sk.SketchmlError):
        model.train(broken, out=tmp_path / "b", steps=1, **TRAIN)
    assert not (tmp_path / "b").exists()
    with pytest.raises(sk.SketchmlError, match="32 or 64"):
        model.train(empty, out=tmp_path / "c", steps=1, **{**TRAIN, "resolution": 48})
    with pytest.raises(sk.SketchmlError, match="needs out="):
        model.train(empty)


def test_training_on_the_shapes_world_dataset(tmp_path):
    from sketchml.datasets import shapes_world

    model = sk.model("stylegan2", device="cpu")
    # A world drawn at another size is resized, as folders and videos are.
    run = model.train(shapes_world(8, size=64), out=tmp_path / "b", steps=2, **TRAIN)
    assert run.step == 2 and model.resolution == 32
    # The named world works as it does for DCGAN: the same shared image-dataset builder.
    run = sk.model("stylegan2", device="cpu").train("shapes", out=tmp_path / "c", steps=1,
                                                    shapes=8, **TRAIN)
    assert run.step == 1


def test_training_runs_on_the_model_s_own_device(sprites, tmp_path):
    # "cpu:0" is not what the run would pick by itself ("cuda" on a GPU machine, plain "cpu"
    # elsewhere), so this fails wherever train() forgets to hand the run its device.
    model = sk.model("stylegan2", device="cpu:0")
    run = model.train(sprites, out=tmp_path / "run", steps=1, **TRAIN)
    assert run.device == model.device == torch.device("cpu", 0)


def test_a_trained_run_exports_safetensors_that_weights_loads(sprites, tmp_path):
    model = sk.model("stylegan2", device="cpu")
    model.train(sprites, out=tmp_path / "run", steps=2, **TRAIN)
    exported = tmp_path / "run" / "stylegan2.safetensors"
    assert exported.is_file()
    loaded = sk.model("stylegan2", weights=tmp_path / "run", device="cpu")
    assert torch.allclose(loaded.generate(loaded.sample_latent(2, seed=3)),
                          model.generate(model.sample_latent(2, seed=3)), atol=1e-6)
    # The same file loads on its own too.
    assert sk.model("stylegan2", weights=exported, device="cpu").resolution == 32
