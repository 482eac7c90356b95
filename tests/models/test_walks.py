"""Keyframe latent walks (sk.walk_path / walk_frames / walk) and re-rendering stored latents.

The walks run through ``Patches``, a tiny image family with a real network (a linear layer
and a transposed convolution) and a two-tensor latent like BigGAN's: Gaussian noise ``z``
(slerped) and a mixing vector ``y`` (lerped). Its pictures are smooth, so colours survive
video compression and can be checked in the files written.
"""
from __future__ import annotations

import itertools
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import torch

import sketchml as sk

Z, Y, SIZE = 6, 3, 16


class Patches(sk.Model):
    """Images ``(N, 3, 16, 16)``: a colour from ``y`` plus smooth texture from ``z``."""

    interpolation = {"z": "slerp", "y": "lerp"}

    def load(self) -> None:
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(
            torch.nn.Linear(Z, 8 * 4 * 4), torch.nn.Unflatten(1, (8, 4, 4)),
            torch.nn.ConvTranspose2d(8, 3, 4, stride=4),
        ).to(self.device)
        self.calls: list[int] = []

    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> sk.Latent:
        gen = self.generator(seed)
        y = torch.rand(n, Y, generator=gen)
        return self.latent({"z": self.randn(n, Z, seed=seed), "y": y.to(self.device)}, seed=seed)

    @torch.no_grad()
    def generate(self, latent=None, *, seed: int | None = None, brightness: float = 0.0) -> sk.Images:
        lat = self.as_latent(latent, seed=seed)
        self.calls.append(len(lat))
        texture = 0.1 * torch.tanh(self.net(lat["z"].float()))
        colour = lat["y"].float()[:, :, None, None]
        return sk.Images((colour + texture + brightness).clamp(0, 1), latent=lat)


class Dots(sk.Model):
    """A family with one Gaussian latent tensor and no pictures of its own."""

    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> sk.Latent:
        return self.latent(self.randn(n, 2, seed=seed), seed=seed)


class Words(sk.Model):
    """A family whose outputs are not images."""

    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> sk.Latent:
        return self.latent(self.randn(n, 4, seed=seed), seed=seed)

    def generate(self, latent=None, *, seed: int | None = None) -> sk.Text:
        return sk.Text("a poem")


@pytest.fixture
def model() -> Patches:
    return Patches(device="cpu")


@pytest.fixture
def keys(model: Patches) -> sk.Latent:
    return model.sample_latent(3, seed=4)


# -- the path ---------------------------------------------------------------------------------

def test_path_has_segments_holds_and_keyframes(model, keys):
    path = sk.walk_path(model, keys, steps=5, hold=2)
    assert len(path) == 2 * (5 - 1) + 1 + 3 * 2
    # Keyframe 0 is held for 3 frames, then the segment starts; keyframe 1 follows 4 steps on.
    assert torch.equal(path["z"][0], keys["z"][0]) and torch.equal(path["z"][1], keys["z"][0])
    assert torch.allclose(path["z"][2], keys["z"][0], atol=1e-6)
    assert torch.equal(path["z"][2 + 4], keys["z"][1])
    assert torch.equal(path["y"][-1], keys["y"][2])
    assert path.family == "patches" and path.seed is None


def test_path_slerps_noise_and_lerps_the_mixing_vector(model, keys):
    path = sk.walk_path(model, keys[:2], steps=3)
    middle_z = sk.slerp(keys["z"][0], keys["z"][1], 0.5)
    assert torch.allclose(path["z"][1], middle_z, atol=1e-6)
    assert torch.allclose(path["y"][1], (keys["y"][0] + keys["y"][1]) / 2, atol=1e-6)
    # A straight line through the middle would shrink the noise; slerp keeps its size.
    straight = (keys["z"][0] + keys["z"][1]) / 2
    assert path["z"][1].norm() > straight.norm()


def test_easing_slows_the_ends_of_each_segment(model, keys):
    linear = sk.walk_path(model, keys[:2], steps=9)
    eased = sk.walk_path(model, keys[:2], steps=9, easing="ease-in-out")
    first_step = (eased["y"][1] - eased["y"][0]).norm() / (linear["y"][1] - linear["y"][0]).norm()
    middle_step = (eased["y"][5] - eased["y"][4]).norm() / (linear["y"][5] - linear["y"][4]).norm()
    assert first_step < 0.2 and middle_step > 1.5
    assert torch.equal(eased["y"][-1], linear["y"][-1])


def test_loop_returns_to_the_first_keyframe_without_repeating_it(model, keys):
    path = sk.walk_path(model, keys, steps=4, loop=True)
    assert len(path) == 3 * 3
    step_back = sk.walk_path(model, [keys[2], keys[0]], steps=4)
    assert torch.allclose(path["z"][-1], step_back["z"][-2], atol=1e-6)


def test_keyframes_may_be_a_list_of_latents_tensors_or_files(model, keys, tmp_path):
    from_one = sk.walk_path(model, keys, steps=4)
    from_list = sk.walk_path(model, [keys[0], keys[1:]], steps=4)
    files = [keys[i].save(tmp_path / f"k{i}.safetensors") for i in range(3)]
    from_files = sk.walk_path(model, files, steps=4)
    for other in (from_list, from_files):
        assert all(torch.equal(from_one[k], other[k]) for k in ("z", "y"))
    dots = Dots(device="cpu")
    tensors = sk.walk_path(dots, [torch.ones(2), -torch.ones(2), torch.tensor([[1.0, 0.0]])], steps=3)
    assert tensors["z"].shape == (5, 2) and tensors.family == "dots"


# -- frames -----------------------------------------------------------------------------------

def test_frames_are_generated_in_batches_and_yielded_one_at_a_time(model, keys):
    frames = sk.walk_frames(model, keys, steps=5, hold=1, batch=4)
    assert model.calls == []  # nothing is made before a frame is asked for
    first = next(frames)
    assert first.shape == (1, 3, SIZE, SIZE) and model.calls == [4]
    rest = list(frames)
    assert len(rest) + 1 == 12 and model.calls == [4, 4, 4]
    path = sk.walk_path(model, keys, steps=5, hold=1)
    assert torch.allclose(torch.cat([first, *rest]), model.generate(path), atol=1e-6)
    assert torch.equal(rest[-1].latent["z"], path["z"][-1:])


def test_repeat_starts_the_walk_again(model, keys):
    frames = sk.walk_frames(model, keys, steps=3, loop=True, repeat=True, batch=5)
    taken = list(itertools.islice(frames, 13))
    assert torch.equal(taken[0], taken[6]) and torch.equal(taken[5], taken[11])


def test_generate_options_reach_the_model(model, keys):
    plain = next(sk.walk_frames(model, keys, steps=3))
    bright = next(sk.walk_frames(model, keys, steps=3, brightness=0.25))
    assert bright.mean() > plain.mean() + 0.1


# -- files ------------------------------------------------------------------------------------

def test_walk_writes_an_mp4_with_every_frame(model, keys, tmp_path):
    out = sk.walk(model, keys, tmp_path / "walk.mp4", steps=6, hold=3, fps=12, batch=5)
    assert out == tmp_path / "walk.mp4"
    frames = _ffmpeg_frames(out)
    assert len(frames) == 2 * 5 + 1 + 3 * 3
    # The first and last frames show keyframes 0 and 2 (their colours come from y).
    for frame, key in ((frames[0], 0), (frames[-1], 2)):
        expected = model.generate(keys[key])[0].mean((1, 2)).numpy() * 255
        assert np.abs(frame.reshape(-1, 3).mean(0) - expected).max() < 8
    assert [p.name for p in tmp_path.iterdir()] == ["walk.mp4"]


def test_walk_writes_a_gif_and_png_frames(model, keys, tmp_path):
    gif = sk.walk(model, keys, tmp_path / "walk.gif", steps=4, loop=True)
    assert iio.imread(gif).shape == (9, SIZE, SIZE, 3)
    sk.walk(model, keys[:2], tmp_path / "frames" / "f-###.png", steps=5)
    names = sorted(p.name for p in (tmp_path / "frames").iterdir())
    assert names == [f"f-{i:03d}.png" for i in range(1, 6)]
    last = iio.imread(tmp_path / "frames" / "f-005.png")
    expected = (model.generate(keys[1]) * 255).round().to(torch.uint8)[0].permute(1, 2, 0).numpy()
    assert np.abs(last[..., :3].astype(int) - expected).max() <= 1


def test_an_error_part_way_leaves_no_file(tmp_path):
    class Failing(Patches):
        def generate(self, latent=None, *, seed=None, brightness=0.0):
            if self.calls:
                raise RuntimeError("out of memory")
            return super().generate(latent, seed=seed, brightness=brightness)

    failing = Failing(device="cpu")
    keys = failing.sample_latent(3, seed=4)
    with pytest.raises(RuntimeError, match="out of memory"):
        sk.walk(failing, keys, tmp_path / "walk.mp4", steps=10, batch=4)
    assert failing.calls == [4]
    assert list(tmp_path.iterdir()) == []


# -- stored latents ---------------------------------------------------------------------------

def test_a_saved_latent_rerenders_bit_identically(model, tmp_path):
    latent = model.sample_latent(4, seed=11)
    images = model.generate(latent)
    again = Patches(device="cpu").generate(sk.load_latent(latent.save(tmp_path / "z.safetensors")))
    assert torch.equal(images, again)


def test_a_saved_walk_rerenders_bit_identically(model, keys, tmp_path):
    # The promise (docs/determinism.md): same machine, device and batch give the same bits.
    # The stored latents come back in aligned memory, so kernels round them as the first time.
    path = sk.walk_path(model, keys, steps=7, hold=2, easing="sine")
    frames = torch.cat(list(sk.walk_frames(model, keys, steps=7, hold=2, easing="sine", batch=8)))
    stored = sk.load_latent(path.save(tmp_path / "walk.safetensors"))
    again = torch.cat([model.generate(stored[i:i + 8]) for i in range(0, len(stored), 8)])
    assert torch.equal(frames, again)
    assert torch.equal(sk.walk_path(model, keys, steps=7, hold=2, easing="sine")["z"], stored["z"])


def test_another_batch_size_rerenders_only_closely(model, keys, tmp_path):
    # Another batch layout may pick other kernels: close, not promised to be the same bits.
    from sketchml.models.determinism import CROSS_MACHINE_ATOL

    stored = sk.load_latent(sk.walk_path(model, keys, steps=7).save(tmp_path / "walk.safetensors"))
    whole = model.generate(stored)
    one_by_one = torch.cat([model.generate(stored[i:i + 1]) for i in range(len(stored))])
    assert (whole - one_by_one).abs().max() <= CROSS_MACHINE_ATOL


# -- mistakes ---------------------------------------------------------------------------------

def test_one_keyframe_is_refused(model, keys):
    with pytest.raises(sk.SketchmlError, match="at least 2 keyframes, got 1"):
        sk.walk_path(model, keys[0])


def test_latents_of_another_family_are_refused(model, keys):
    other = sk.Latent({"z": torch.zeros(1, Z), "y": torch.zeros(1, Y)}, family="biggan")
    with pytest.raises(sk.SketchmlError, match="'biggan' family, but the walk runs through 'patches'"):
        sk.walk_path(model, [keys[0], other])


def test_keyframes_of_different_kinds_are_refused(model, keys):
    w = sk.Latent({"w": torch.zeros(1, Z)}, family="patches")
    with pytest.raises(sk.SketchmlError, match=r"holds the tensors \['w'\]"):
        sk.walk_path(model, [keys[0], w])


@pytest.mark.parametrize(("options", "message"), [
    ({"steps": 1}, "steps must be an int >= 2"),
    ({"easing": "ease-inout"}, "Did you mean one of: 'ease-in-out'"),
    ({"hold": [1, 2]}, "one per keyframe"),
    ({"batch": 0}, "batch must be a whole number >= 1"),
])
def test_bad_walk_settings_are_explained(model, keys, options, message):
    with pytest.raises(sk.SketchmlError, match=message):
        sk.walk_frames(model, keys, **options)


def test_a_family_without_images_is_refused(tmp_path):
    words = Words(device="cpu")
    with pytest.raises(sk.SketchmlError, match="A walk renders images"):
        sk.walk(words, words.sample_latent(2, seed=0), tmp_path / "walk.gif", steps=3)
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_output_type_is_refused_before_rendering(model, keys, tmp_path):
    with pytest.raises(sk.SketchmlError, match="unknown file type '.avi'"):
        sk.walk(model, keys, tmp_path / "walk.avi", steps=3)
    assert model.calls == [] and list(tmp_path.iterdir()) == []


def _ffmpeg_frames(path: Path) -> np.ndarray:
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    return np.stack([np.frombuffer(raw, np.uint8).reshape(height, width, 3) for raw in reader])


def test_the_old_out_name_still_works_and_warns(model, keys, tmp_path):
    with pytest.warns(FutureWarning, match="'out=' was renamed; use path="):
        written = sk.walk(model, keys[:2], out=tmp_path / "old.gif", steps=3)
    assert written == tmp_path / "old.gif" and written.is_file()
