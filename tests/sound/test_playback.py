"""Sounds load from files and results, play on time without an audio device, and obey
amp/rate/pan/loop/stop; the engine's mix is what is recorded."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile
import torch

import sketchml as sk
from sketchml.sound.engine import RATE, engine


@pytest.mark.parametrize("fmt, subtype", [("WAV", "PCM_16"), ("FLAC", "PCM_16"),
                                          ("OGG", "VORBIS"), ("MP3", "MPEG_LAYER_III")])
def test_load_sound_reads_the_usual_formats(tmp_path, fmt, subtype, sine):
    tone = np.stack([sine(440, 1.0, 44100, 0.5), sine(660, 1.0, 44100, 0.5)])
    path = tmp_path / f"tone.{fmt.lower()}"
    soundfile.write(path, tone.T, 44100, format=fmt, subtype=subtype)
    sound = sk.load_sound(path)
    assert sound.channels() == 2
    assert sound.duration() == pytest.approx(1.0, abs=0.06)   # MP3 pads its frames
    left = sound._data[0, 4410:40000]
    spectrum = np.abs(np.fft.rfft(left))
    assert np.fft.rfftfreq(len(left), 1 / RATE)[np.argmax(spectrum)] == pytest.approx(440, abs=3)


def test_missing_and_undecodable_files_say_so(tmp_path):
    with pytest.raises(sk.SketchmlError, match="Cannot find the sound"):
        sk.load_sound(tmp_path / "nope.wav")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"this is not audio at all" * 10)
    with pytest.raises(sk.SketchmlError, match="Could not decode"):
        sk.load_sound(junk)


def test_results_and_to_audio_objects_play_the_same_way(frame_clock, sine):
    result = sk.Audio(torch.from_numpy(sine(440, 0.5, 16000, 0.5)), sample_rate=16000)

    class Tune:
        def to_audio(self):
            return result

    for source in (result, Tune()):
        sound = sk.load_sound(source)
        assert sound.duration() == pytest.approx(0.5, abs=1e-3)
        assert sound.sample_rate() == 16000
        sound.play()
        frame_clock(15, fps=60)
        assert sound.is_playing() and sound.position() == pytest.approx(0.25, abs=1e-3)
        sound.stop()
    with pytest.raises(sk.SketchmlError, match="Cannot make a sound"):
        sk.load_sound(42)


def test_playback_is_time_correct_on_the_frame_clock(frame_clock, sine):
    beep = sk.load_sound((sine(440, 0.5), RATE))
    beep.play()
    frame_clock(20, fps=60)
    assert beep.is_playing()
    assert beep.position() == pytest.approx(20 / 60, abs=1e-6)
    frame_clock(11, fps=60)
    assert not beep.is_playing()           # 31 frames = 0.517 s > 0.5 s: over
    beep.rate(2.0)
    beep.play()
    frame_clock(15, fps=60)                # 0.25 s at double speed reaches the end
    assert not beep.is_playing()


def test_loop_pause_jump_and_stop(frame_clock, sine):
    tick = sk.load_sound((sine(440, 0.1), RATE))
    tick.loop()
    frame_clock(33, fps=60)                # 0.55 s: five times round and half way again
    assert tick.is_playing() and tick.position() == pytest.approx(0.05, abs=1e-6)
    tick.pause()
    frame_clock(5, fps=60)
    assert not tick.is_playing()
    tick.play()
    assert tick.is_playing()
    tick.jump(0.05)
    assert tick.position() == pytest.approx(0.05)
    tick.stop()
    assert not tick.is_playing() and tick.position() == 0.0


def test_amp_rate_and_pan_shape_the_mix(tmp_path, sine):
    eng = engine()
    record = tmp_path / "mix.wav"
    eng.use_frames(record=record)
    try:
        tone = sk.load_sound((sine(441, 1.0, amp=0.5), RATE))
        tone.amp(0.5)
        tone.pan(-1)
        tone.play()
        for _ in range(30):
            eng.after_frame(60)
    finally:
        eng.use_live()
    mix, rate = soundfile.read(record, always_2d=True)
    assert rate == RATE and len(mix) == RATE // 2
    left, right = mix[1000:, 0], mix[1000:, 1]
    assert np.abs(left).max() == pytest.approx(0.25, abs=0.01)
    assert np.abs(right).max() < 1e-3
    for bad in (lambda: tone.amp(-1), lambda: tone.rate(0), lambda: tone.pan(2),
                lambda: tone.jump(5)):
        with pytest.raises(sk.SketchmlError):
            bad()


def test_rate_changes_the_pitch(tmp_path, sine):
    eng = engine()
    record = tmp_path / "mix.wav"
    eng.use_frames(record=record)
    try:
        tone = sk.load_sound((sine(440, 2.0, amp=0.5), RATE))
        tone.play(rate=1.5)
        for _ in range(30):
            eng.after_frame(60)
    finally:
        eng.use_live()
    mix, _ = soundfile.read(record, always_2d=True)
    spectrum = np.abs(np.fft.rfft(mix[:, 0]))
    assert np.fft.rfftfreq(len(mix), 1 / RATE)[np.argmax(spectrum)] == pytest.approx(660, abs=3)


def test_without_an_audio_device_playing_is_silent_not_an_error():
    eng = engine()
    eng.use_live()
    try:
        # Silence: where a developer's machine has speakers, this test must not beep.
        sound = sk.load_sound((np.zeros(RATE // 5, np.float32), RATE))
        sound.play()
        assert sound.is_playing()
        assert eng.clock in ("wall", "device")
    finally:
        eng.use_live()


def test_audio_in_says_clearly_when_there_is_no_input():
    if sk.AudioIn.available():
        pytest.skip("this machine has an audio input")
    with pytest.raises(sk.SketchmlError, match="No microphone or line input"):
        sk.AudioIn()


def test_sounds_show_as_players_in_a_notebook(sine):
    sound = sk.load_sound((sine(440, 0.1), RATE))
    assert sound._repr_html_().startswith("<audio controls")
    assert sound.to_audio()._repr_html_().startswith("<audio controls")


def test_load_sound_is_part_of_every_sketch_mode():
    assert "load_sound" in sk.Sketch.API_METHODS
    assert isinstance(sk.Sketch().load_sound((np.zeros(100), RATE)), sk.Sound)
    assert isinstance(sk.load_sound((np.zeros(100), RATE)), sk.Sound)


def test_an_audio_result_plays_itself(frame_clock, sine):
    result = sk.Audio(torch.from_numpy(sine(440, 0.5, 16000)), sample_rate=16000)
    result.play()
    frame_clock(6, fps=60)
    assert sk.Analyzer().rms() == pytest.approx(1 / np.sqrt(2), abs=0.02)
    result.stop()
    frame_clock(6, fps=60)
    assert sk.Analyzer().rms() == 0.0


def test_notes_play_through_their_to_audio(frame_clock):
    tune = sk.Notes([{"pitch": 69, "velocity": 100, "start_time": 0.0, "end_time": 1.0}])
    sound = sk.load_sound(tune)
    meter = sk.Analyzer(sound)
    sound.play()
    frame_clock(20, fps=60)
    assert sound.is_playing() and meter.rms() > 0.01
    assert sk.PITCH_CLASSES[int(np.argmax(meter.chroma()))] == "A"
