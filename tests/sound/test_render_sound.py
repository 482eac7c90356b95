"""Headless renders run on the audio clock: what a sketch plays is in the MP4's audio
track, in sync with the frames, and --audio sets a soundtrack that decides the length."""
from __future__ import annotations

import textwrap

import imageio_ffmpeg
import numpy as np
import pytest

import sketchml as sk
from sketchml.cli.main import main
from sketchml.media.soundtrack import read_audio_track
from sketchml.sound.synth import beat_song, beat_times

PLAYS_AT_FRAME_10 = """
import numpy as np

def setup():
    global beep
    size(32, 32)
    frame_rate(30)
    tone = np.sin(2 * np.pi * 440 * np.arange(22050) / 44100) * 0.5
    beep = load_sound((tone, 44100))

def draw():
    background(0)
    if frame_count == 10:
        beep.play()
"""


def _sketch(tmp_path, source: str, name: str = "sketch.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def _first_sound(wave: np.ndarray, rate: int) -> float:
    return float(np.argmax(np.abs(wave).max(axis=0) > 0.05)) / rate


def test_a_render_carries_what_the_sketch_played_in_sync(tmp_path):
    sketch = _sketch(tmp_path, PLAYS_AT_FRAME_10)
    out = tmp_path / "out" / "beep.mp4"
    assert main(["run", str(sketch), "--headless", "--frames", "45", "--out", str(out)]) == 0
    wave, rate = read_audio_track(out)
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert frames == 45
    assert wave.shape[1] / rate == pytest.approx(45 / 30, abs=1 / 30)
    # Frame 10 is shown at 9/30 s; the sound the sketch started while drawing it starts there.
    assert _first_sound(wave, rate) == pytest.approx(9 / 30, abs=0.01)
    spectrum = np.abs(np.fft.rfft(wave[0, int(0.35 * rate):int(0.75 * rate)]))
    assert np.fft.rfftfreq(int(0.75 * rate) - int(0.35 * rate), 1 / rate)[np.argmax(spectrum)] \
        == pytest.approx(440, abs=5)


def test_renders_are_reproducible(tmp_path):
    sketch = _sketch(tmp_path, PLAYS_AT_FRAME_10)
    tracks = []
    for name in ("a.mp4", "b.mp4"):
        assert main(["run", str(sketch), "--headless", "--frames", "30", "--out",
                     str(tmp_path / name)]) == 0
        tracks.append(read_audio_track(tmp_path / name)[0])
    assert np.array_equal(tracks[0], tracks[1])


def test_a_silent_sketch_makes_a_silent_video(tmp_path):
    sketch = _sketch(tmp_path, "def draw():\n    background(frame_count)\n")
    out = tmp_path / "quiet.mp4"
    assert main(["run", str(sketch), "--headless", "--frames", "5", "--size", "32x32",
                 "--out", str(out)]) == 0
    with pytest.raises(sk.SketchmlError, match="no audio track"):
        read_audio_track(out)


def test_soundtrack_sets_the_length_and_draw_hears_it_on_the_frame_clock(tmp_path):
    song_path = tmp_path / "song.wav"
    beat_song(bpm=120, seconds=3.0, seed=2).save(song_path)
    sketch = _sketch(tmp_path, """
        import sketchml as sk
        heard = []

        def setup():
            global meter
            size(32, 32)
            frame_rate(30)
            meter = Analyzer()

        def draw():
            background(255 if meter.is_beat() else 0)
            if meter.is_beat():
                heard.append((frame_count - 1) / 30)
            if frame_count == 90:
                with open(__file__ + ".beats", "w") as f:
                    f.write(" ".join(str(t) for t in heard))
    """)
    out = tmp_path / "visualiser.mp4"
    assert main(["run", str(sketch), "--headless", "--audio", str(song_path), "--out", str(out)]) == 0
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert frames == 90
    wave, rate = read_audio_track(out)
    assert wave.shape[1] / rate == pytest.approx(3.0, abs=1 / 30)
    heard = np.array([float(t) for t in (tmp_path / "sketch.py.beats").read_text().split()])
    known = beat_times(bpm=120, seconds=3.0)
    assert len(heard) == len(known) and np.all(np.abs(heard - known) <= 0.05), heard
    # The soundtrack in the video is the song, in time: its kicks are where the song has them.
    first = _first_sound(wave, rate)
    assert first == pytest.approx(0.0, abs=0.01)


def test_a_gif_render_with_a_soundtrack_says_the_gif_cannot_hold_it(tmp_path, capsys):
    song_path = tmp_path / "song.wav"
    beat_song(bpm=120, seconds=0.5).save(song_path)
    sketch = _sketch(tmp_path, "def draw():\n    background(0)\n")
    out = tmp_path / "loop.gif"
    assert main(["run", str(sketch), "--headless", "--size", "16x16", "--audio", str(song_path),
                 "--out", str(out)]) == 0
    assert out.is_file()
    assert "cannot hold sound" in capsys.readouterr().err


def test_a_notebook_render_has_the_sound_too(tmp_path):
    class Beeper(sk.Sketch):
        def setup(self):
            self.size(32, 32)
            self.frame_rate(30)
            tone = np.sin(2 * np.pi * 440 * np.arange(44100) / 44100) * 0.5
            self.beep = self.load_sound((tone, 44100))

        def draw(self):
            self.background(0)
            if self.frame_count == 4:
                self.beep.play()

    clip = sk.render(Beeper, frames=20)
    clip.save(tmp_path / "clip.mp4")
    wave, rate = read_audio_track(tmp_path / "clip.mp4")
    assert wave.shape[1] / rate == pytest.approx(20 / 30, abs=1 / 30)
    assert _first_sound(wave, rate) == pytest.approx(3 / 30, abs=0.01)
    assert not list(tmp_path.glob("*.wav")) and not list(tmp_path.glob(".*"))


def test_class_mode_run_sketch_takes_a_soundtrack(tmp_path):
    song_path = tmp_path / "song.wav"
    beat_song(bpm=120, seconds=1.0).save(song_path)

    class Pulse(sk.Sketch):
        def setup(self):
            self.size(32, 32)
            self.frame_rate(20)
            self.meter = sk.Analyzer()

        def draw(self):
            self.background(self.meter.rms() * 255)

    out = tmp_path / "pulse.mp4"
    Pulse().run_sketch(headless=True, audio=song_path, out=out)
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert frames == 20
    wave, rate = read_audio_track(out)
    assert wave.shape[1] / rate == pytest.approx(1.0, abs=1 / 20)


def test_a_sketch_finds_its_sound_in_its_data_folder(tmp_path, monkeypatch):
    folder = tmp_path / "project"
    (folder / "data").mkdir(parents=True)
    beat_song(bpm=120, seconds=0.5).save(folder / "data" / "drums.wav")
    sketch = _sketch(folder, """
        def setup():
            global drums
            size(16, 16)
            drums = load_sound("drums.wav")
            drums.play()

        def draw():
            background(0)
    """)
    monkeypatch.chdir(tmp_path)            # not the sketch's folder
    out = tmp_path / "drums.mp4"
    assert main(["run", str(sketch), "--headless", "--frames", "10", "--out", str(out)]) == 0
    wave, rate = read_audio_track(out)
    assert np.abs(wave).max() > 0.3
