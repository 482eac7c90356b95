"""sk.react / sketchml react: a song drives any image family's latent walk. Pulses fall on
onsets, silence stands still, classes follow the chroma, the soundtrack is muxed in."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import sketchml as sk
from sketchml.cli.main import main
from sketchml.media.soundtrack import read_audio_track
from sketchml.sound.synth import beat_song

FPS = 30


class Stripes(sk.Model):
    """A third-party-style family: 8 latent numbers paint 8 stripes; counts its batches."""

    interpolation = "slerp"

    def __init__(self, **kwargs):
        super().__init__(device="cpu", **kwargs)
        self.batches = []

    def sample_latent(self, n=1, *, seed=None):
        return self.latent(self.randn(n, 8, seed=seed), seed=seed)

    def generate(self, latent=None, *, seed=None):
        z = self.as_latent(latent, seed=seed).tensor
        self.batches.append(len(z))
        rows = torch.sigmoid(z)[:, None, :, None].expand(-1, 3, 8, 4).reshape(len(z), 3, 8, 4)
        return sk.Images(rows.repeat_interleave(2, dim=2).repeat(1, 1, 1, 4))


class Palette(Stripes):
    """A class-conditional family: ``label`` is a {class: weight} dict per image."""

    class_names = [f"colour{i}" for i in range(20)]

    def generate(self, latent=None, *, label=None, seed=None):
        self.labels = list(label) if label is not None else None
        return super().generate(latent, seed=seed)


@pytest.fixture(scope="module")
def song():
    return beat_song(bpm=120, seconds=8, silence=(4.0, 6.0), seed=5)


@pytest.fixture(scope="module")
def features(song):
    return sk.audio_features(song, fps=FPS)


@pytest.fixture(scope="module")
def dcgan():
    return sk.model("dcgan.shapes", device="cpu")


def test_pulses_fall_on_onsets(dcgan, song, features):
    frames = list(sk.react_frames(dcgan, song, fps=FPS, features=features, pulse_decay=0.05))
    pulse = np.array([f.music.pulse for f in frames])
    rises = set(np.nonzero(np.diff(pulse, prepend=0.0) > 0)[0])
    onsets = set(np.nonzero(features.onsets)[0])
    assert rises == onsets and len(onsets) >= 20
    # The picture jumps at a pulse: the change into an onset frame beats the frames around it.
    images = torch.cat(frames)
    change = (images[1:] - images[:-1]).abs().mean(dim=(1, 2, 3)).numpy()
    for frame in sorted(f for f in onsets if f > 6)[:6]:
        assert change[frame - 1] > 3 * np.median(change[frame - 6:frame - 2]), frame


def test_silence_gives_a_still_image(dcgan, song, features):
    frames = list(sk.react_frames(dcgan, song, fps=FPS, features=features))
    images = torch.cat(frames)
    still = images[int(4.5 * FPS):int(5.95 * FPS)]
    assert torch.equal(still, still[:1].expand_as(still))
    moving = images[int(1 * FPS):int(3.5 * FPS)]
    assert (moving[1:] - moving[:-1]).abs().amax(dim=(1, 2, 3)).min() > 0


def test_react_writes_the_video_with_the_song_as_its_sound(dcgan, song, tmp_path):
    out = sk.react(dcgan, song, out=tmp_path / "react.mp4", fps=FPS, progress=False)
    wave, rate = read_audio_track(out)
    assert abs(wave.shape[1] / rate - song.duration) <= 1 / FPS
    import imageio_ffmpeg

    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert frames == 8 * FPS


def test_a_third_party_family_streams_batch_by_batch(song, features):
    stripes = Stripes()
    frames = sk.react_frames(stripes, song, fps=FPS, features=features, batch=4)
    first = [next(frames) for _ in range(5)]
    # Nothing is rendered ahead of need: two batches of 4 made the first 5 frames.
    assert stripes.batches == [4, 4]
    assert first[0].shape == (1, 3, 16, 16) and first[0].latent is not None
    assert len(list(frames)) == features.frames - 5


def test_classes_follow_the_chroma(song, features):
    palette = Palette()
    classes = [f"colour{i}" for i in range(12)]
    frames = sk.react_frames(palette, song, fps=FPS, features=features, classes=classes,
                             class_pitch_react=1.0, smooth=0.05, batch=FPS)
    next(frames)
    # The last frame of the first batch is a second into the first bar (C major):
    # C, E and G lead the weights.
    weights = palette.labels[FPS - 1]
    top = sorted(weights, key=weights.get)[-3:]
    assert set(top) == {"colour0", "colour4", "colour7"}       # C, E, G
    with pytest.raises(sk.SketchmlError, match="takes no label"):
        sk.react_frames(Stripes(), song, fps=FPS, features=features, classes=classes)


def test_effects_are_plain_functions(dcgan, song, features):
    seen = []

    def invert(image, frame):
        seen.append(frame.index)
        return 1 - image

    plain = next(sk.react_frames(dcgan, song, fps=FPS, features=features))
    inverted = next(sk.react_frames(dcgan, song, fps=FPS, features=features, effects=[invert]))
    assert torch.allclose(inverted, 1 - plain) and seen[0] == 0


def test_wrong_knobs_are_explained(dcgan, song, features):
    with pytest.raises(sk.SketchmlError, match="truncation"):
        sk.react_frames(dcgan, song, fps=FPS, features=features, truncation=0.5)
    with pytest.raises(sk.SketchmlError, match="pulse_react"):
        sk.react_frames(dcgan, song, fps=FPS, features=features, pulse_react=3)
    with pytest.raises(sk.SketchmlError, match="keyframes"):
        sk.react_frames(dcgan, song, fps=FPS, features=features, keyframes="nope")


def test_stylegan2_walks_its_w_space(song, features, tmp_path):
    stylegan2 = pytest.importorskip("sketchml_gan.stylegan2")
    torch.manual_seed(0)
    net = stylegan2.Generator(size=32, style_dim=64, n_mlp=2,
                              channels={4: 32, 8: 32, 16: 16, 32: 16}).eval()
    weights = tmp_path / "tiny.pt"
    torch.save({"g_ema": net.state_dict(), "latent_avg": torch.zeros(64)}, weights)
    gan = sk.model("stylegan2", weights=weights, device="cpu")
    w = gan.sample_latent(3, seed=1, space="w")
    frames = list(sk.react_frames(gan, song, fps=FPS, features=features, keyframes=w,
                                  truncation=0.7, batch=16))
    assert len(frames) == features.frames and frames[0].shape == (1, 3, 32, 32)
    assert set(frames[0].latent.tensors) == {"w"}


def test_cli_react(tmp_path):
    song_path = tmp_path / "song.wav"
    beat_song(bpm=120, seconds=2).save(song_path)
    out = tmp_path / "cli.mp4"
    assert main(["react", str(song_path), "--model", "dcgan.shapes", "--out", str(out),
                 "--fps", "12", "--pulse-react", "0.8", "--pulse-decay", "0.3",
                 "--start", "0.5", "--duration", "1.0", "--device", "cpu"]) == 0
    wave, rate = read_audio_track(out)
    assert abs(wave.shape[1] / rate - 1.0) <= 1 / 12
    original = sk.load_sound(song_path)._data[0, int(0.5 * 44100):int(1.5 * 44100)]
    lag = np.argmax(np.correlate(wave[0, :22050], original[:22050], mode="full")) - 22049
    assert lag == 0                          # the stretch from 0.5 s, not from the start


def test_the_same_mapping_runs_live_in_draw(dcgan, frame_clock):
    song = sk.load_sound(beat_song(bpm=120, seconds=3, silence=(1.5, 3.0)))
    live = sk.Reactor(dcgan, song, fps=FPS)
    song.play()
    images, pulses = [], []
    for _ in range(3 * FPS):
        image = live.frame()
        images.append(image)
        pulses.append(image.music.pulse)
        frame_clock(1, fps=FPS)
    images = torch.cat(images)
    assert max(pulses[:int(1.5 * FPS)]) > 0.2
    still = images[int(2.0 * FPS):]
    assert torch.equal(still, still[:1].expand_as(still))


def test_biggan_classes_follow_the_chroma(song, features, tmp_path):
    biggan = pytest.importorskip("sketchml_gan.biggan")
    folder = biggan.save_random_checkpoint(tmp_path, resolution=128, channel_width=4)
    gan = sk.model("biggan.deep-128", weights=folder, device="cpu")
    # Three classes take the pitch classes in turn: C, D#, F#, A -> goldfish; C#, E, G, A#
    # -> volcano; D, F, G#, B -> daisy. The first bar is C major (C, E, G): no daisy.
    classes = ["goldfish", "volcano", "daisy"]
    frames = sk.react_frames(gan, song, fps=FPS, features=features, classes=classes,
                             class_pitch_react=1.0, smooth=0.05, truncation=0.5, batch=FPS)
    second = [next(frames) for _ in range(FPS)][-1]
    assert second.shape == (1, 3, 128, 128)
    y = second.latent["y"][0]
    weight = {name: float(y[biggan.find_class(name)]) for name in classes}
    assert float(y.sum()) == pytest.approx(1.0, abs=1e-4)
    assert weight["volcano"] > weight["goldfish"] > 3 * weight["daisy"], weight
