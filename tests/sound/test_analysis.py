"""Per-frame analysis in draw() and offline analysis of a whole file, on songs made here
with known beats and known pitches."""
from __future__ import annotations

import numpy as np
import pytest

import sketchml as sk
from sketchml.sound.engine import RATE
from sketchml.sound.synth import beat_song, beat_times


def _near(found: np.ndarray, known: np.ndarray, tolerance: float) -> bool:
    return len(found) == len(known) and bool(np.all(np.abs(np.asarray(found) - known) <= tolerance))


# 20 s at 90 bpm has every chord of the pad, whose low notes flutter against the kicks'
# tails: none of that may count as a beat.
@pytest.mark.parametrize("bpm, loudness, seconds", [(120, 1.0, 6), (100, 0.05, 6), (90, 1.0, 20)])
def test_live_beats_are_within_50_ms_of_the_known_ones(frame_clock, bpm, loudness, seconds):
    song = beat_song(bpm=bpm, seconds=seconds, seed=3)
    song.waveform *= loudness
    sound = sk.load_sound(song)
    meter = sk.Analyzer(sound)
    sound.play()
    found = []
    for frame in range(seconds * 60):
        if meter.is_beat():
            found.append(frame / 60)       # the time the frame that saw it is shown
        frame_clock(1, fps=60)
    assert _near(np.array(found), beat_times(bpm=bpm, seconds=seconds), 0.05), found
    assert meter.tempo() == pytest.approx(bpm, rel=0.03)


def test_live_onsets_find_the_hi_hats_too(frame_clock):
    sound = sk.load_sound(beat_song(bpm=120, seconds=4, pad=False))
    meter = sk.Analyzer(sound)
    sound.play()
    onsets = []
    for frame in range(4 * 60):
        if meter.onset():
            onsets.append(frame / 60)
        frame_clock(1, fps=60)
    known = np.sort(np.concatenate([beat_times(seconds=4), beat_times(seconds=4) + 0.25]))
    assert _near(np.array(onsets), known, 0.05), onsets


def test_loudness_pitch_and_brightness_of_tones(frame_clock, sine):
    a440 = sk.load_sound((sine(440, 1.0), RATE))
    meter = sk.Analyzer(a440, bands=12)
    everything = sk.Analyzer()
    assert meter.rms() == 0 and meter.centroid() == 0 and not meter.chroma().any()
    a440.play()
    frame_clock(6, fps=60)
    assert meter.rms() == pytest.approx(1 / np.sqrt(2), abs=0.01)
    assert everything.rms() == pytest.approx(1 / np.sqrt(2), abs=0.01)
    assert sk.PITCH_CLASSES[int(np.argmax(meter.chroma()))] == "A"
    assert meter.centroid() == pytest.approx(440, rel=0.1)
    edges = sk.sound.analysis.band_edges(12)
    loudest = int(np.argmax(meter.bands()))
    assert edges[loudest] <= 440 < edges[loudest + 1]
    spectrum = meter.spectrum()
    assert np.fft.rfftfreq(2048, 1 / RATE)[np.argmax(spectrum)] == pytest.approx(440, abs=22)
    high = sk.load_sound((sine(4000, 1.0), RATE))
    bright = sk.Analyzer(high)
    high.play()
    frame_clock(6, fps=60)
    assert bright.centroid() > 3 * meter.centroid()


def test_analyzer_refuses_what_it_cannot_hear():
    with pytest.raises(sk.SketchmlError, match="listens to"):
        sk.Analyzer("song.wav").rms()
    with pytest.raises(sk.SketchmlError, match="power of two"):
        sk.Analyzer(window=1000)


@pytest.fixture(scope="module")
def features():
    song = beat_song(bpm=120, seconds=10, silence=(4.0, 6.0), seed=1)
    return sk.audio_features(song, fps=30)


def test_offline_beats_are_within_50_ms_of_the_known_ones(features):
    known = beat_times(bpm=120, seconds=10, silence=(4.0, 6.0))
    # The tracker may keep counting through the silent stretch; every beat it hears must
    # be a known one, and every known beat must be found.
    heard = [t for t in features.beat_times if not 4.0 <= t < 6.0]
    assert _near(np.array(heard), known, 0.05), features.beat_times
    assert features.tempo == pytest.approx(120, rel=0.03)


@pytest.mark.parametrize("bpm", [90, 150])
def test_offline_beats_of_a_whole_song_first_to_last(bpm):
    found = sk.audio_features(beat_song(bpm=bpm, seconds=20, seed=1), fps=30).beat_times
    assert _near(found, beat_times(bpm=bpm, seconds=20), 0.05), found


def test_offline_values_are_one_per_video_frame(features):
    assert features.frames == 300
    for name in ("rms", "rms_harmonic", "rms_percussive", "onset_strength", "centroid"):
        assert getattr(features, name).shape == (300,), name
    assert features.chroma.shape == (300, 12) and features.bands.shape == (300, 16)
    silent = slice(4 * 30 + 6, 6 * 30 - 2)     # analysis windows are 93 ms wide
    assert features.rms[silent].max() < 1e-4
    assert not features.onsets[silent].any()
    # Onsets fall in the frames of the kicks and hats they came from.
    onset_frames = set(np.nonzero(features.onsets)[0])
    for t in beat_times(bpm=120, seconds=10, silence=(4.0, 6.0))[1:]:
        assert {int(t * 30), int(t * 30) + 1} & onset_frames, t
    # The pad's first chord is C major: C, E and G lead the chroma of the first bar.
    first_bar = features.chroma[5:55].mean(axis=0)
    top = {sk.PITCH_CLASSES[i] for i in np.argsort(first_bar)[-3:]}
    assert top == {"C", "E", "G"}


def test_offline_start_and_duration_pick_a_stretch():
    song = beat_song(bpm=120, seconds=4)
    part = sk.audio_features(song, fps=25, start=1.0, duration=2.0)
    assert part.frames == 50 and part.start == 1.0
    assert len(part.waveform) == 2 * 44100
    with pytest.raises(sk.SketchmlError, match="outside the sound"):
        sk.audio_features(song, start=9.0)


def test_offline_bands_are_decibels_of_a_full_scale_sine(sine):
    feats = sk.audio_features((sine(1000, 1.0), RATE), fps=10, bands=8)
    edges = np.geomspace(20.0, 10000.0, 9)
    home = int(np.searchsorted(edges, 1000.0)) - 1
    middle = feats.bands[2:8]
    assert middle[:, home].min() == pytest.approx(1.0, abs=0.05)     # 0 dB
    assert np.delete(middle, home, axis=1).max() < 0.6                # far below it


def test_live_spectrum_of_a_full_scale_sine_peaks_at_one(frame_clock, sine):
    on_bin = 20 * RATE / 2048                          # 430.7 Hz: exactly on FFT bin 20
    tone = sk.load_sound((sine(on_bin, 1.0), RATE))
    meter = sk.Analyzer(tone)
    tone.play()
    frame_clock(6, fps=60)
    assert meter.spectrum().max() == pytest.approx(1.0, abs=0.01)
    assert meter.bands().max() == pytest.approx(1.0, abs=0.01)


def test_onsets_of_a_song_rendered_from_midi():
    starts = np.arange(0.25, 4.0, 0.5)
    melody = [60, 64, 67, 72, 67, 64, 60, 55]
    notes = sk.Notes([{"pitch": p, "velocity": 100, "start_time": t, "end_time": t + 0.4}
                      for p, t in zip(melody, starts)])
    feats = sk.audio_features(notes, fps=30)
    found = np.array([min(feats.onset_times, key=lambda o: abs(o - t)) for t in starts])
    assert np.all(np.abs(found - starts) <= 0.05), feats.onset_times
    assert len(feats.onset_times) <= len(starts) + 2
