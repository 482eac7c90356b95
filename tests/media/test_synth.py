"""Notes heard: FluidSynth with the General MIDI soundfont, the plain synth, WAV files."""
from __future__ import annotations

import numpy as np
import pytest

import sketchml as sk
from sketchml.media.synth import fluidsynth_problem, plain_synth, render_notes


def a440(seconds: float = 1.0, program: int = 0) -> sk.Notes:
    return sk.Notes([{"pitch": 69, "velocity": 100, "start_time": 0.0, "end_time": seconds,
                      "program": program}])


def strongest_frequency(wave: np.ndarray, rate: int) -> float:
    mono = wave.mean(axis=0) if wave.ndim == 2 else wave
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.fft.rfftfreq(len(mono), 1 / rate)[spectrum.argmax()])


def test_plain_synth_sounds_the_pitch_for_the_note_and_then_falls_silent():
    wave, rate = render_notes(a440(), sample_rate=16000, synth="plain")
    assert wave.shape == (1, 16000 * 2) and wave.dtype == np.float32
    assert strongest_frequency(wave[:, :16000], rate) == pytest.approx(440, abs=3)
    assert np.abs(wave[0, int(1.4 * rate):]).max() == 0.0  # released 0.3 s after the end
    quiet = plain_synth([{"pitch": 69, "velocity": 30, "start_time": 0, "end_time": 1}],
                        sample_rate=16000)
    assert np.abs(quiet).max() < np.abs(wave).max() / 2


@pytest.mark.skipif(fluidsynth_problem() is not None, reason="FluidSynth is not installed here")
def test_fluidsynth_renders_general_midi_instruments_in_stereo():
    piano = a440().to_audio(22050, synth="fluidsynth")
    assert piano.channels == 2 and piano.sample_rate == 22050
    assert piano.duration == pytest.approx(2.0, abs=0.01)
    wave = piano.waveform.numpy()
    assert strongest_frequency(wave[:, :22050], 22050) == pytest.approx(440, abs=5)
    assert np.abs(wave).max() > 0.05
    # Another General MIDI program (40 = violin) is another sound at the same pitch.
    violin = a440(program=40).to_audio(22050, synth="fluidsynth").waveform.numpy()
    assert strongest_frequency(violin[:, :22050], 22050) == pytest.approx(440, abs=5)
    assert not np.allclose(violin, wave, atol=1e-3)


def test_notes_save_as_wav_and_read_back(tmp_path):
    path = a440(0.5).save(tmp_path / "a.wav")
    back = sk.load_result(path)
    assert isinstance(back, sk.Audio) and back.duration == pytest.approx(1.5, abs=0.01)


def test_mistakes_are_explained():
    with pytest.raises(sk.SketchmlError, match="synth="):
        a440().to_audio(synth="moog")
    with pytest.raises(sk.SketchmlError, match="sample_rate"):
        a440().to_audio(sample_rate=10)
    with pytest.raises(sk.SketchmlError, match="soundfont"):
        a440().to_audio(soundfont="/nowhere/font.sf2")
    with pytest.raises(sk.SketchmlError, match=r"\.mid.*\.wav"):
        a440().save("tune.mp3")


def test_without_fluidsynth_auto_falls_back_with_a_message(monkeypatch):
    import sketchml.media.synth as synth

    monkeypatch.setattr(synth, "fluidsynth_problem", lambda: "FluidSynth is not available (test)")
    monkeypatch.setattr(synth, "_warned", False)
    with pytest.warns(UserWarning, match="plain synth because FluidSynth is not available"):
        audio = a440().to_audio(16000)
    assert audio.channels == 1
    with pytest.raises(sk.SketchmlError, match="Cannot render with FluidSynth"):
        a440().to_audio(16000, synth="fluidsynth")


def test_notes_show_a_piano_roll_beside_an_audio_player_in_jupyter():
    page = a440(0.5)._repr_html_()
    assert 'src="data:image/png;base64,' in page and "<audio controls" in page
    assert 'src="data:audio/wav;base64,' in page
