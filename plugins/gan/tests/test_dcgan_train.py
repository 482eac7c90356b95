"""Training DCGAN: learning happens, resuming is exact, folders / videos / the shapes world, errors."""
from __future__ import annotations

import argparse

import imageio.v2 as imageio
import numpy as np
import pytest
import torch
from PIL import Image

import sketchml as sk
from sketchml_gan.dcgan import EXPORT_NAME, Generator, train_dcgan

TINY = {"resolution": 32, "width": 8, "latent_dim": 16, "batch_size": 16, "progress": False,
        "device": "cpu"}
YELLOW, BLUE = (240, 200, 40), (30, 60, 200)


def _picture_folder(folder, count=64):
    """Yellowish pictures with a bluish square somewhere: colours a GAN learns fast."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        picture = np.empty((32, 32, 3), np.uint8)
        picture[:] = np.array(YELLOW) + rng.integers(-40, 16, 3)
        side = rng.integers(8, 20)
        x, y = rng.integers(0, 32 - side, size=2)
        picture[y:y + side, x:x + side] = np.array(BLUE) + rng.integers(-25, 25, 3)
        Image.fromarray(picture).save(folder / f"{i:03d}.png")
    return folder


def _colour_gap(images, data):
    """Distance between the per-channel mean and spread of two image sets in [0, 1]."""
    def stats(x):
        x = x.as_subclass(torch.Tensor) if isinstance(x, torch.Tensor) else x
        return torch.cat([x.mean(dim=(0, 2, 3)), x.std(dim=(0, 2, 3))])
    return float((stats(images) - stats(data)).abs().sum())


def _samples(generator, n=64):
    with torch.no_grad():
        z = torch.randn(n, generator.latent_dim, generator=torch.Generator().manual_seed(1))
        return (generator.eval()(z) + 1) / 2


def test_training_on_a_folder_learns_the_pictures(tmp_path):
    data_dir = _picture_folder(tmp_path / "pictures")
    data = torch.from_numpy(np.stack([np.asarray(Image.open(p))
                                      for p in sorted(data_dir.iterdir())])).permute(0, 3, 1, 2) / 255
    torch.manual_seed(0)
    untrained = Generator(resolution=32, latent_dim=16, width=8)
    before = _colour_gap(_samples(untrained), data)
    run, generator = train_dcgan(data_dir, out=tmp_path / "run", steps=200, seed=0, lr=0.002,
                                 **TINY)
    samples = _samples(generator)
    after = _colour_gap(samples, data)
    assert run.step == 200 and len(run.history) == 200
    assert after < 0.75 * before, (before, after)
    # Redder and less blue than the grey an untrained generator paints, like the data.
    means = samples.mean(dim=(0, 2, 3))
    assert means[0] > 0.55 and means[2] < 0.45, means
    first, last = run.history[0], run.history[-1]
    assert first["loss_g"] != last["loss_g"] and first["loss_d"] != last["loss_d"]
    # What training leaves on disk: checkpoints, sample grids, loss plot and log, the export.
    out = tmp_path / "run"
    assert (out / EXPORT_NAME).is_file() and (out / "losses.png").is_file()
    assert (out / "losses.jsonl").read_text().count("\n") == 200
    assert sorted(p.name for p in (out / "samples").iterdir())[-1] == "step-00000200.png"
    trained = sk.model("dcgan", weights=out, device="cpu")
    assert trained.resolution == 32 and trained.latent_dim == 16
    z = trained.sample_latent(3, seed=0)
    with torch.no_grad():
        expected = ((generator.eval()(z.tensor) + 1) / 2).clamp(0, 1)
    assert torch.allclose(trained.generate(z), expected, atol=1e-6)


def test_resuming_continues_exactly_where_the_run_stopped(tmp_path):
    world = sk.Images(torch.rand(32, 3, 32, 32))
    _, whole = train_dcgan(world, out=tmp_path / "whole", steps=8, seed=3, **TINY)
    first, _ = train_dcgan(world, out=tmp_path / "parts", steps=4, seed=3, **TINY)
    assert first.step == 4
    second, resumed = train_dcgan(world, out=tmp_path / "parts", steps=8, seed=3, **TINY)
    assert second.step == 8 and [r["step"] for r in second.history] == list(range(1, 9))
    for key, value in whole.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[key]), key
    with pytest.raises(sk.SketchmlError, match="width=8"):
        train_dcgan(world, out=tmp_path / "parts", steps=9, **{**TINY, "width": 4})


def test_a_time_limit_stops_saves_and_resumes(tmp_path):
    images = sk.Images(torch.rand(16, 3, 32, 32))
    run, _ = train_dcgan(images, out=tmp_path / "run", steps=100_000, minutes=0.002, **TINY)
    assert 1 <= run.step < 100_000 and run.checkpoint.step == run.step
    assert (tmp_path / "run" / EXPORT_NAME).is_file()
    more, _ = train_dcgan(images, out=tmp_path / "run", steps=run.step + 2, **TINY)
    assert more.step == run.step + 2


def test_training_on_video_frames(tmp_path):
    video = tmp_path / "clip.mp4"
    frames = []
    for i in range(24):
        frame = np.zeros((48, 48, 3), np.uint8)
        frame[:, :] = (20, 20, 60)
        frame[10:30, i:i + 16] = (250, 120, 0)
        frames.append(frame)
    imageio.mimwrite(video, frames, fps=12)
    gan = sk.model("dcgan", device="cpu")
    run = gan.train(video, out=tmp_path / "run", steps=3, frames=12, resolution=32, width=4,
                    batch_size=4, progress=False)
    assert run.step == 3 and gan.resolution == 32
    assert run.config["data"] == str(video)
    reloaded = sk.model("dcgan", weights=tmp_path / "run", device="cpu")
    assert torch.equal(reloaded.generate(3, seed=1), gan.generate(3, seed=1))


def test_the_shapes_world_and_a_checkpoint_only_folder(tmp_path):
    out = tmp_path / "run"
    run, _ = train_dcgan("shapes", out=out, steps=2, shapes=16, **TINY)
    assert run.config["data"] == "shapes"
    (out / EXPORT_NAME).unlink()
    # A run stopped before it exported still loads, from its latest checkpoint.
    assert sk.model("dcgan", weights=out, device="cpu").resolution == 32


def test_resize_upsampling_trains_loads_and_must_match_to_resume(tmp_path):
    out = tmp_path / "run"
    train_dcgan("shapes", out=out, steps=2, shapes=16, upsample="resize", **TINY)
    gan = sk.model("dcgan", weights=out, device="cpu")
    assert gan.network.upsample == "resize"
    with pytest.raises(sk.SketchmlError, match="upsample='resize'"):
        train_dcgan("shapes", out=out, steps=4, shapes=16, **TINY)
    with pytest.raises(sk.SketchmlError, match="upsample must be one of"):
        train_dcgan("shapes", out=tmp_path / "other", steps=2, upsample="smooth", **TINY)
    assert not (tmp_path / "other").exists()


def test_the_hinge_game_learns_the_pictures_and_must_match_to_resume(tmp_path):
    data_dir = _picture_folder(tmp_path / "pictures")
    data = torch.from_numpy(np.stack([np.asarray(Image.open(p))
                                      for p in sorted(data_dir.iterdir())])).permute(0, 3, 1, 2) / 255
    torch.manual_seed(0)
    before = _colour_gap(_samples(Generator(resolution=32, latent_dim=16, width=8)), data)
    out = tmp_path / "run"
    run, generator = train_dcgan(data_dir, out=out, steps=200, seed=0, lr=0.002, loss="hinge",
                                 **TINY)
    after = _colour_gap(_samples(generator), data)
    assert after < 0.75 * before, (before, after)
    # The discriminator is spectrally normalised and has no batch norm.
    d = run.modules["d"]
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in d.modules())
    assert any(hasattr(m, "parametrizations") for m in d.modules())
    with pytest.raises(sk.SketchmlError, match="loss='hinge'"):
        train_dcgan(data_dir, out=out, steps=210, **TINY)
    with pytest.raises(sk.SketchmlError, match="loss must be one of"):
        train_dcgan(data_dir, out=tmp_path / "other", steps=2, loss="hing", **TINY)


def test_bad_data_is_refused_and_nothing_is_written(tmp_path):
    out = tmp_path / "run"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(sk.SketchmlError, match="empty"):
        train_dcgan(empty, out=out, steps=2, **TINY)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video at all" * 10)
    with pytest.raises(sk.SketchmlError, match="decode"):
        train_dcgan(broken, out=out, steps=2, **TINY)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with pytest.raises(sk.SketchmlError, match="not a video"):
        train_dcgan(notes, out=out, steps=2, **TINY)
    with pytest.raises(sk.SketchmlError, match="No folder or file"):
        train_dcgan(tmp_path / "nowhere", out=out, steps=2, **TINY)
    with pytest.raises(sk.SketchmlError, match="32, 64, 128"):
        train_dcgan("shapes", out=out, steps=2, **{**TINY, "resolution": 100})
    with pytest.raises(sk.SketchmlError, match="out="):
        sk.model("dcgan", device="cpu").train("shapes")
    assert not out.exists()
    with pytest.raises(sk.SketchmlError, match="does not exist"):
        sk.model("dcgan", weights=tmp_path / "nowhere", device="cpu")
    with pytest.raises(sk.SketchmlError, match="holds no trained dcgan"):
        sk.model("dcgan", weights=empty, device="cpu")


def test_the_train_command(tmp_path, capsys):
    from sketchml.cli import train as train_cli

    parser = argparse.ArgumentParser()
    train_cli.register(parser.add_subparsers())
    args = parser.parse_args(["train", "dcgan", "shapes", "--out", str(tmp_path / "run"),
                              "--steps", "2", "--resolution", "32", "--batch-size", "4",
                              "--device", "cpu", "--width", "4", "--shapes", "8", "--no-flip",
                              "--option", "progress=false"])
    assert args.func(args) == 0
    assert "at step 2" in capsys.readouterr().out
    assert sk.model("dcgan", weights=tmp_path / "run", device="cpu").resolution == 32
    args = parser.parse_args(["train", "dcgan", "shapes", "--out", str(tmp_path / "x"),
                              "--option", "widht=4"])
    with pytest.raises(sk.SketchmlError, match="Did you mean 'width'"):
        args.func(args)
