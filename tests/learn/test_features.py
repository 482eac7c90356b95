"""Camera and sound features describe frames and buffers; MIDI input reads controllers."""
from __future__ import annotations

import mido
import numpy as np
import pytest
import torch

import sketchml as sk
from sketchml.learn import features


def _stripes(shift: float, width: int = 96, height: int = 72) -> np.ndarray:
    x = np.arange(width)[None, :] + 0.0 * np.arange(height)[:, None]
    y = np.arange(height)[:, None] + 0.0 * x
    pattern = 0.5 + 0.25 * np.sin((x - shift) / 4.0) + 0.2 * np.cos(y / 5.0)
    return (np.repeat(pattern[:, :, None], 3, axis=2) * 255).astype(np.uint8)


def test_grid_averages_cells_and_accepts_tensors():
    frame = np.zeros((40, 60, 3), np.uint8)
    frame[:20, :30] = 255                    # top-left quarter white
    frame[20:, 30:, 2] = 255                 # bottom-right quarter blue
    assert features.grid(frame, cols=2, rows=2).tolist() == pytest.approx([1, 0, 0, 1 / 3])
    colour = features.grid(frame, cols=2, rows=2, colour=True).reshape(2, 2, 3)
    assert colour[1, 1].tolist() == pytest.approx([0, 0, 1])
    chw = torch.from_numpy(frame).permute(2, 0, 1).float() / 255
    assert np.allclose(features.grid(chw[None], cols=2, rows=2), features.grid(frame, 2, 2))


def test_colour_stats_separate_colours():
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = 200
    grey = np.full((8, 8, 3), 128, np.uint8)
    r, g = features.colour_stats(red), features.colour_stats(grey)
    assert r[0] > 0.7 and r[1] == r[2] == 0 and r[7] == pytest.approx(1.0)
    assert g[7] == pytest.approx(0.0) and g[6] == pytest.approx(128 / 255)


def test_flow_sees_motion_and_its_direction():
    flow = features.Flow(cols=2, rows=2)
    assert flow(_stripes(0)).tolist() == [0, 0, 0, 0]          # nothing to compare yet
    still = flow(_stripes(0))
    moved = flow(_stripes(1.5))                                # stripes slide right
    assert still.max() < 0.05
    assert moved.min() > 0.5
    assert (flow.vectors[..., 0] > 0).all()                    # rightwards, as it moved
    flow(_stripes(1.5))
    back = flow(_stripes(0.0))
    assert back.min() > 0.5 and (flow.vectors[..., 0] < 0).all()


def test_embedding_of_a_frame_by_a_model():
    clip = sk.model("clip", device="cpu")
    red, blue = np.zeros((32, 32, 3), np.uint8), np.zeros((32, 32, 3), np.uint8)
    red[..., 0] = 255
    blue[..., 2] = 255
    a, b = features.embedding(red, clip), features.embedding(blue, clip)
    assert a.ndim == 1 and a.shape == b.shape and not np.allclose(a, b)
    assert np.allclose(a, features.embedding(red, clip), atol=1e-5)


def test_sound_amplitude_bands_and_onsets():
    rate = 22050
    t = np.arange(2048) / rate
    quiet, loud = 0.1 * np.sin(2 * np.pi * 220 * t), 0.8 * np.sin(2 * np.pi * 220 * t)
    assert features.amplitude(loud) == pytest.approx(0.8 / np.sqrt(2), rel=0.02)
    assert features.amplitude(torch.tensor(np.stack([quiet, quiet]))) < features.amplitude(loud)
    low = features.bands(np.sin(2 * np.pi * 100 * t), rate, count=6)
    high = features.bands(np.sin(2 * np.pi * 5000 * t), rate, count=6)
    assert low.argmax() == 0 and high.argmax() == 5
    onsets = features.Onsets()
    rng = np.random.default_rng(0)
    silence = [1e-3 * rng.normal(size=1024) for _ in range(8)]
    hits = [onsets(b) for b in silence + [rng.normal(size=1024)] + silence[:3]]
    assert hits.index(True) == 8 and sum(hits) == 1


def test_bad_frames_and_buffers_get_clear_errors():
    with pytest.raises(sk.SketchmlError, match="image array"):
        features.grid(np.zeros((4, 4, 5)))
    with pytest.raises(sk.SketchmlError, match="at least that big"):
        features.grid(np.zeros((4, 4, 3)), cols=10)
    with pytest.raises(sk.SketchmlError, match="sound buffer"):
        features.amplitude(np.zeros((2, 3, 4)))


def test_midi_without_a_device_says_so():
    try:
        present = sk.MidiIn.devices()
    except sk.SketchmlError as err:     # rtmidi or its ALSA library missing: said clearly too
        assert "python-rtmidi" in str(err)
        return
    if present:
        pytest.skip("this machine has a MIDI input")
    with pytest.raises(sk.SketchmlError, match="No MIDI input device was found. Plug in"):
        sk.MidiIn()


def test_midi_messages_become_values_in_0_1():
    knobs = sk.MidiIn.without_device()
    for message in (mido.Message("control_change", control=1, value=127),
                    mido.Message("control_change", control=2, value=0),
                    mido.Message("control_change", control=2, value=64),
                    mido.Message("note_on", note=60, velocity=127),
                    mido.Message("note_on", note=62, velocity=50),
                    mido.Message("note_off", note=62),
                    mido.Message("pitchwheel", pitch=-8192)):
        knobs.handle(message)
    assert knobs.values([1, 2, 3]) == pytest.approx([1.0, 64 / 127, 0.0])
    assert knobs.notes == {60: 1.0} and knobs.pitch_bend == -1.0


def test_a_capture_is_a_frame(tmp_path):
    import imageio.v2 as imageio

    clip = tmp_path / "clip.mp4"
    frames = [np.zeros((32, 48, 3), np.uint8) for _ in range(3)]
    for i, frame in enumerate(frames):
        frame[:, :24] = 80 * (i + 1)
    imageio.mimwrite(clip, frames, fps=10)
    with sk.Capture(str(clip)) as cam:
        cam.start()
        cam.read()
        cells = features.grid(cam, cols=2, rows=1)
        assert cells[0] == pytest.approx(80 / 255, abs=0.05) and cells[1] < 0.05
        assert np.allclose(features.grid(cam.tensor(), cols=2, rows=1), cells, atol=1e-6)


def test_a_live_sound_is_inputs():
    """Two tones played in a headless sketch: their features tell them apart."""
    import sketchml.sound as sound

    seen = {}

    class Listen(sk.Sketch):
        def setup(self):
            t = np.arange(22050) / 44100
            self.tones = [sound.Sound((0.5 * np.sin(2 * np.pi * f * t), 44100)) for f in (220, 3520)]
            self.meter = None

        def draw(self):
            tone = self.tones[(self.frame_count - 1) // 6]
            if (self.frame_count - 1) % 6 == 0:
                for other in self.tones:
                    other.stop()
                tone.loop()
                self.meter = sound.Analyzer(tone, bands=8)
            seen.setdefault(id(tone), []).append(features.sound(self.meter))

    Listen().run_sketch(headless=True, frames=12)
    low, high = (np.array(rows[2:]) for rows in seen.values())
    assert low.shape[1] == 10
    assert low[:, 0].min() > 0.1 and high[:, 0].min() > 0.1               # loud, both
    assert low[:, 1:9].argmax(axis=1).max() < high[:, 1:9].argmax(axis=1).min()  # pitch
