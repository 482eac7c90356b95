"""GANSynth: the spectral representation on real notes, Magenta's layout, the verbs, training."""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

import sketchml as sk
import sketchml_music
from sketchml.media.midi import Note
from sketchml.media.synth import fluidsynth_problem, render_notes
from sketchml.plugin import write_wav
from sketchml.testing import ModelConformance
from sketchml_music.gansynth import (CPU_FORMAT, MAGENTA_FORMAT, PITCHES, Discriminator,
                                     Generator, SpectralFormat, harmonic_templates,
                                     ideal_frequencies, partial_mask)
from sketchml_music.pitch import detect_pitch, resample

RATE = CPU_FORMAT.sample_rate


def tiny_weights(folder: Path, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    g = Generator(channels=(8, 8, 8, 4, 4), start=(4, 8), spectral=CPU_FORMAT)
    g.normalizer.copy_(torch.tensor([[0.1, 1.0], [0.3, 0.0]]))
    path = folder / "tiny.safetensors"
    save_file({k: v.contiguous() for k, v in g.state_dict().items()}, str(path))
    return path


def make() -> sk.Model:
    registry = sk.Registry(discover=False)
    registry.register(sketchml_music)
    return registry.load("gansynth", weights=tiny_weights(Path(tempfile.mkdtemp())), device="cpu")


def tone(pitch: float, seconds: float = 0.512, partials: int = 5) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    f = 440.0 * 2 ** ((pitch - 69) / 12)
    decay = np.exp(-3 * t)
    return (sum(np.sin(2 * np.pi * f * k * t) / k for k in range(1, partials + 1)
                if f * k < RATE / 2) * decay * 0.3).astype(np.float32)


def note_folder(pitches=(48, 55, 60, 67, 72)) -> Path:
    folder = Path(tempfile.mkdtemp())
    for p in pitches:
        write_wav(folder / f"tone-{p:03d}-100.wav", tone(p), RATE)
    return folder


class TestGANSynth(ModelConformance):
    plugin = sketchml_music
    model_name = "gansynth"

    @classmethod
    def make_model(cls):
        return make()

    def encode_input(self, model):
        return sk.Audio(torch.from_numpy(tone(60)), sample_rate=RATE)

    def train_inputs(self, model, out):
        return note_folder(), {"steps": 2, "batch_size": 2, "channels": 4, "progress": False}


# -- the representation ----------------------------------------------------------------------

def fluidsynth_note(program: int, pitch: int) -> np.ndarray:
    wave, _ = render_notes([Note(pitch, 100, 0.0, 0.375, program=program)], sample_rate=RATE,
                           synth="fluidsynth")
    return wave.mean(axis=0)[:CPU_FORMAT.audio_length]


def envelope(wave: np.ndarray, window: int = 512) -> np.ndarray:
    return np.sqrt(np.convolve(wave ** 2, np.ones(window) / window, "same"))[::window // 2]


@pytest.mark.skipif(fluidsynth_problem() is not None, reason=str(fluidsynth_problem()))
@pytest.mark.parametrize("program, pitch", [(0, 60), (40, 72), (73, 81), (24, 45)])
def test_a_real_note_survives_spectrogram_and_back(program, pitch):
    """A FluidSynth note -> log-mel + IF -> waveform keeps its pitch and its loudness over time."""
    real = fluidsynth_note(program, pitch)
    pictures = CPU_FORMAT.to_specgrams(torch.from_numpy(real)[None])
    assert pictures.shape == (1, 2, 64, 128)
    # Frame to frame, the phase advance is wrapped into (-pi, pi]: frequencies in [-1, 1].
    assert float(pictures[:, 1, 1:].abs().max()) <= 1.0 + 1e-6
    back = CPU_FORMAT.to_waves(pictures)[0].numpy()
    assert back.shape == real.shape
    assert abs(detect_pitch(back, RATE) - detect_pitch(real, RATE)) < 0.25
    assert np.corrcoef(envelope(real), envelope(back))[0, 1] > 0.9
    assert 0.6 < np.sqrt(np.mean(back ** 2) / np.mean(real ** 2)) < 1.2


def test_the_phase_matters_a_random_phase_loses_the_waveform():
    """The instantaneous-frequency channel carries the phase: scrambled, the wave is another."""
    real = tone(57)
    pictures = CPU_FORMAT.to_specgrams(torch.from_numpy(real)[None])
    kept = CPU_FORMAT.to_waves(pictures)[0].numpy()
    scrambled = pictures.clone()
    scrambled[:, 1] = torch.rand(scrambled[:, 1].shape, generator=torch.Generator().manual_seed(0)) * 2 - 1
    lost = CPU_FORMAT.to_waves(scrambled)[0].numpy()
    assert np.corrcoef(kept, real)[0, 1] > 0.6
    assert abs(np.corrcoef(lost, real)[0, 1]) < 0.3


def test_magentas_format_is_4_seconds_of_128_by_1024():
    assert MAGENTA_FORMAT.shape == (128, 1024) and MAGENTA_FORMAT.seconds == 4.0
    assert MAGENTA_FORMAT.pad_left == 3072  # all padding in front, as Magenta's helper does
    mel = MAGENTA_FORMAT.mel_matrix()
    assert mel.shape == (1024, 1024)
    assert float(mel[0].abs().sum()) == 0.0  # the DC bin belongs to no band
    # Every band but the lowest (narrower than a bin, around 2 Hz) holds some linear bin.
    assert bool((mel.sum(dim=0)[1:] > 0).all())


def test_a_format_that_does_not_cover_its_note_is_refused():
    with pytest.raises(sk.SketchmlError, match="cover the note"):
        SpectralFormat(audio_length=64000, frames=16, n_fft=512, hop=256, mel_bins=128)


# -- the networks ----------------------------------------------------------------------------

def test_full_size_generator_has_magentas_variable_layout():
    channels = [int(min(4096 / 2 ** b, 256)) for b in range(1, 8)]
    g = Generator(channels=channels)
    state = g.state_dict()
    assert state["progressive_gan_block_1.conv0.weight"].shape == (256, 256 + 61, 2, 16)
    assert state["progressive_gan_block_7.conv1.weight"].shape == (32, 32, 3, 3)
    assert state["progressive_gan_block_7.to_rgb.weight"].shape == (2, 32, 1, 1)
    convs = {k.rsplit(".", 2)[1] for k in state if k.startswith("progressive_gan_block_")}
    assert convs == {"conv0", "conv1", "to_rgb"}
    d = Discriminator(channels=[256] + channels)
    names = set(d.state_dict())
    assert {"progressive_gan_block_1.logits.weight", "classification_logits.weight",
            "progressive_gan_block_7.from_rgb.weight"} <= names
    with torch.no_grad():
        picture = g(torch.randn(1, 256), torch.tensor([36]))
        logits, pitch_logits = d(picture)
    assert picture.shape == (1, 2, 128, 1024) and pitch_logits.shape == (1, 61)


def test_growing_blends_blocks_like_magenta():
    torch.manual_seed(0)
    g = Generator(channels=(4, 4, 4, 4, 4), start=(4, 8), spectral=CPU_FORMAT)
    z, pitch = torch.randn(2, 256), torch.tensor([0, 30])
    with torch.no_grad():
        first = g(z, pitch, progress=0.0)
        half = g(z, pitch, progress=0.5)
        second = g(z, pitch, progress=1.0)
    # At progress 0 only block 1 shows: a (4, 8) picture blown up 16 times.
    tile = first[:, :, :16, :16]
    assert torch.allclose(tile, tile[:, :, :1, :1].expand_as(tile))
    assert torch.allclose(half, 0.5 * first + 0.5 * second, atol=1e-6)


def test_harmonic_combs_put_the_partials_where_a_real_note_has_them():
    """The comb of a pitch peaks in the mel bands where a real harmonic tone is loudest."""
    combs = harmonic_templates(CPU_FORMAT)
    assert combs.shape == (len(PITCHES), CPU_FORMAT.mel_bins)
    for pitch in (45, 60, 76):
        loud = CPU_FORMAT.to_specgrams(torch.from_numpy(tone(pitch))[None])[0, 0, 20:40].mean(0)
        z = (loud - loud.mean()) / loud.std()
        match = {shift: float((z * combs[pitch + shift - PITCHES[0]]).mean())
                 for shift in (-12, -7, -1, 0, 1, 5, 8)}
        # The tone's own comb matches its spectrum better than a semitone, a fifth or an
        # octave away.
        assert max(match, key=match.get) == 0, match


def test_a_generator_with_harmonic_combs_saves_loads_and_follows_them(tmp_path):
    torch.manual_seed(0)
    g = Generator(channels=(8, 8, 8, 4, 4), start=(4, 8), spectral=CPU_FORMAT, harmonics=True)
    assert g.progressive_gan_block_2.conv0.weight.shape[1] == 8 + 1  # one more input channel
    path = tmp_path / "combs.safetensors"
    save_file({k: v.contiguous() for k, v in g.state_dict().items()}, str(path))
    registry = sk.Registry(discover=False)
    registry.register(sketchml_music)
    synth = registry.load("gansynth", weights=path, device="cpu")
    assert synth.network.harmonics
    z = torch.randn(1, 256)
    with torch.no_grad():
        same = synth.network(z, torch.tensor([10])), g(z, torch.tensor([10]))
        other = synth.network(z, torch.tensor([40]))
    assert torch.allclose(*same)
    assert not torch.allclose(same[0], other)
    d = Discriminator(channels=(8, 8, 8, 8, 4, 4), start=(4, 8), templates=g.templates)
    with pytest.raises(sk.SketchmlError, match="pitch="):
        d(same[0])
    assert d(same[0], pitch=torch.tensor([10]))[1].shape == (1, len(PITCHES))


def test_ideal_frequencies_are_those_of_a_harmonic_note_and_decide_its_pitch():
    """A harmonic tone's own frequency channel is the ideal one of its pitch (where it is
    loud), a semitone's is far from it, and the tone's magnitudes played with the ideal
    frequencies of the pitch a semitone up are heard a semitone up."""
    ideal = ideal_frequencies(CPU_FORMAT)
    assert ideal.shape == (len(PITCHES), *CPU_FORMAT.shape)
    for pitch in (30, 45, 60):
        picture = CPU_FORMAT.to_specgrams(torch.from_numpy(tone(pitch))[None])
        weight = torch.softmax(picture[0, 0, 4:].flatten(), 0).view_as(picture[0, 0, 4:])

        def off(p: int) -> float:
            gap = torch.remainder(picture[0, 1, 4:] - ideal[p - PITCHES[0], 4:] + 1, 2) - 1
            return float((weight * gap.abs()).sum())

        assert off(pitch) < 0.02 and min(off(pitch - 1), off(pitch + 1)) > 0.1
        picture[0, 1] = ideal[pitch + 1 - PITCHES[0]]
        heard = detect_pitch(CPU_FORMAT.to_waves(picture)[0].numpy(), RATE)
        assert abs(heard - (pitch + 1)) <= 0.5, (pitch, heard)


def test_the_pitch_prior_plays_the_asked_pitch_before_any_training(tmp_path):
    """Untrained, a generator with the pitch prior is already heard at most asked pitches
    (the prior, not learning, puts the partials there), its frequencies stay within 2% of
    the fundamental of the ideal ones, and it saves and loads; without the prior an
    untrained generator plays one noise whatever the pitch, and has no prior buffers."""
    torch.manual_seed(0)
    plain = Generator(channels=(8, 8, 8, 4, 4), start=(4, 8), spectral=CPU_FORMAT)
    g = Generator(channels=(8, 8, 8, 4, 4), start=(4, 8), spectral=CPU_FORMAT,
                  pitch_prior=True)
    assert not {"prior", "partials"} & set(plain.state_dict())
    assert {"prior", "partials"} <= set(g.state_dict()) and "ideal_if" not in g.state_dict()
    assert partial_mask(CPU_FORMAT).shape == (len(PITCHES), CPU_FORMAT.mel_bins)
    for net in (plain, g):
        net.normalizer.copy_(torch.tensor([[0.1, 1.0], [1.0, 0.0]]))
    asked = torch.arange(15, 56, 5)  # MIDI 39-79
    z = torch.randn(len(asked), 256)
    with torch.no_grad():
        pictures = g(z, asked)
        heard = {}
        for name, net in (("plain", plain), ("prior", g)):
            waves = CPU_FORMAT.to_waves(net.denormalize(net(z, asked))).numpy()
            found = np.array([detect_pitch(w, RATE) for w in waves]) - (asked.numpy() + 24)
            heard[name] = float(np.mean(np.abs(found) <= 0.5))
    assert heard["prior"] >= 0.6 and heard["plain"] <= 0.25, heard
    f0 = 440.0 * 2 ** ((asked + 24 - 69) / 12.0)
    bound = 0.02 * f0 * 2 * CPU_FORMAT.hop / RATE
    gap = torch.remainder(pictures[:, 1] - ideal_frequencies(CPU_FORMAT)[asked] + 1, 2) - 1
    assert bool((gap.abs().amax(dim=(1, 2)) <= bound + 1e-4).all())
    path = tmp_path / "prior.safetensors"
    save_file({k: v.contiguous() for k, v in g.state_dict().items()}, str(path))
    registry = sk.Registry(discover=False)
    registry.register(sketchml_music)
    synth = registry.load("gansynth", weights=path, device="cpu")
    assert synth.network.pitch_prior and not synth.network.harmonics
    with torch.no_grad():
        assert torch.allclose(synth.network(z, asked), pictures, atol=1e-6)
    run = synth.train(note_folder(), out=tmp_path / "run", steps=3, batch_size=2, channels=4,
                      pitch_prior=True, progress=False)
    assert run.step == 3 and synth.network.pitch_prior
    assert sk.model("gansynth", weights=tmp_path / "run", device="cpu").network.pitch_prior


# -- the pitch detector (the judge) ----------------------------------------------------------

@pytest.mark.parametrize("pitch", [24, 36, 45, 60, 71, 84])
def test_yin_hears_the_pitch_of_harmonic_tones(pitch):
    assert abs(detect_pitch(tone(pitch), RATE) - pitch) < 0.1


def test_yin_calls_noise_unpitched():
    noise = np.random.default_rng(0).normal(size=8192) * 0.3
    assert math.isnan(detect_pitch(noise, RATE))


def test_resampling_keeps_the_pitch():
    t = np.arange(44100) / 44100
    a440 = np.sin(2 * np.pi * 440 * t)
    assert abs(detect_pitch(resample(a440, 44100, 16000), 16000) - 69) < 0.05


# -- the verbs -------------------------------------------------------------------------------

def test_one_note_per_latent_at_the_pitch_asked_and_16_khz():
    synth = make()
    one = synth.generate(seed=3, pitch=40)
    assert isinstance(one, sk.Audio) and one.sample_rate == 16000
    assert one.waveform.shape == (1, CPU_FORMAT.audio_length)
    assert one.latent.metadata["pitch"] == 40
    batch = synth.generate(synth.sample_latent(3, seed=1), pitch=[24, 50, 84])
    assert [a.latent.metadata["pitch"] for a in batch] == [24, 50, 84]
    # The same timbre at another pitch is another sound.
    assert not torch.allclose(batch[0].waveform, synth.generate(
        synth.sample_latent(3, seed=1), pitch=50)[0].waveform)


@pytest.mark.parametrize("pitch", [23, 85, 60.5, [60, 61]])
def test_pitches_outside_the_trained_range_are_refused(pitch):
    with pytest.raises(sk.SketchmlError, match="pitch"):
        make().generate(1, seed=0, pitch=pitch)


def test_encode_lowers_the_spectral_distance_and_hears_the_pitch():
    synth = make()
    target = synth.generate(seed=11, pitch=62)
    z = synth.encode(target, pitch=62, steps=30, seed=0)
    losses = z.metadata["losses"]
    assert losses[-1] < 0.9 * losses[0]
    assert z.metadata["pitch"] == 62 and z["z"].shape == (1, 256)
    heard = synth.encode(sk.Audio(torch.from_numpy(tone(57)), sample_rate=RATE), steps=2, seed=0)
    assert heard.metadata["pitch"] == 57


def test_encode_refuses_what_is_not_a_note():
    with pytest.raises(sk.SketchmlError, match="one note"):
        make().encode(["not", "audio"])


def test_play_midi_slerps_timbres_along_the_piece():
    synth = make()
    tune = sk.Notes([{"pitch": 60, "start_time": 0.0, "end_time": 0.5},
                     {"pitch": 100, "start_time": 1.0, "end_time": 1.5},   # moved down by octaves
                     {"pitch": 64, "start_time": 2.0, "end_time": 2.25}])
    song = synth.play_midi(tune, instruments=2, seconds_per_instrument=2.0, seed=4)
    timbres = synth.sample_latent(2, seed=4)["z"]
    z = song.latent["z"]
    assert torch.allclose(z[0], timbres[0]) and torch.allclose(z[2], timbres[1], atol=1e-5)
    middle = z[1] / z[1].norm()
    assert float(middle @ (timbres[0] / timbres[0].norm())) > 0.5
    assert song.latent.metadata["pitch"] == [60, 76, 64]
    assert song.sample_rate == 16000 and abs(song.duration - 2.35) < 0.01
    assert float(song.waveform.abs().max()) <= 0.95 + 1e-6
    # The latents re-render the notes one by one.
    again = synth.generate(song.latent)
    assert len(again) == 3 and again[1].latent.metadata["pitch"] == 76


def test_play_midi_reads_a_midi_file(tmp_path):
    from sketchml.plugin import write_midi

    path = write_midi(tmp_path / "two.mid", [Note(48, 90, 0.0, 0.3), Note(55, 90, 0.3, 0.6)])
    song = make().play_midi(path, instruments=1, seed=0)
    assert song.latent["z"].shape == (2, 256)
    with pytest.raises(sk.SketchmlError, match="No MIDI file"):
        make().play_midi(tmp_path / "missing.mid")


# -- training --------------------------------------------------------------------------------

def test_training_learns_pitch_and_resumes(tmp_path):
    """The discriminator's pitch classifier learns the notes (its loss falls), and a run resumes."""
    data = note_folder(pitches=(36, 48, 60, 72))
    synth = make()
    out = tmp_path / "run"
    run = synth.train(data, out=out, steps=30, batch_size=4, channels=8, grow=0.0, seed=0,
                      lr=0.01, progress=False, checkpoint_every=15)
    first = np.mean([h["pitch_real"] for h in run.history[:5]])
    last = np.mean([h["pitch_real"] for h in run.history[-5:]])
    assert last < 0.5 * first
    assert (out / "gansynth.safetensors").is_file()
    again = synth.train(data, out=out, steps=40, batch_size=4, channels=8, grow=0.0, seed=0,
                        lr=0.01, progress=False)
    assert again.step == 40 and len(again.history) == 40
    reloaded = sk.model("gansynth", weights=out, device="cpu")
    assert reloaded.generate(seed=0, pitch=48).waveform.shape == (1, CPU_FORMAT.audio_length)
    with pytest.raises(sk.SketchmlError, match="same settings"):
        synth.train(data, out=out, steps=50, channels=16, progress=False)
    with pytest.raises(sk.SketchmlError, match="harmonics=False"):
        synth.train(data, out=out, steps=50, channels=8, harmonics=True, progress=False)
    with pytest.raises(sk.SketchmlError, match="pitch_prior=False"):
        synth.train(data, out=out, steps=50, channels=8, pitch_prior=True, progress=False)


def test_generated_notes_ask_only_for_pitches_the_data_has():
    """Two pitches in the data, one three times as common: generated notes ask for those two
    only, about as often as the data has them (a discriminator never hears the other 59)."""
    from sketchml_music.gansynth import _asked_pitches

    counts = torch.zeros(len(PITCHES))
    counts[36 - PITCHES[0]], counts[72 - PITCHES[0]] = 30, 10
    torch.manual_seed(0)
    asked = _asked_pitches(counts, 4000) + PITCHES[0]
    assert set(asked.tolist()) == {36, 72}
    assert 0.7 < float((asked == 36).float().mean()) < 0.8


def test_training_needs_a_folder_of_notes(tmp_path):
    with pytest.raises(sk.SketchmlError, match="folder of single-note WAV"):
        make().train(tmp_path / "nothing", out=tmp_path / "run", steps=1)
    with pytest.raises(sk.SketchmlError, match="no .wav files"):
        make().train(tmp_path, out=tmp_path / "run", steps=1)


def test_pitches_come_from_nsynth_names_or_from_listening(tmp_path):
    from sketchml_music.gansynth import read_notes

    write_wav(tmp_path / "named-050-100.wav", tone(60), RATE)  # the name wins
    write_wav(tmp_path / "unnamed.wav", tone(67), RATE)
    write_wav(tmp_path / "too-low-020-100.wav", tone(20), RATE)
    waves, pitches, names = read_notes(tmp_path, CPU_FORMAT)
    assert dict(zip(names, pitches.tolist())) == {"named-050-100": 50, "unnamed": 67}
    assert waves.shape == (2, CPU_FORMAT.audio_length) and list(PITCHES)[0] == 24


def test_docstring_examples_run():
    import doctest

    import sketchml_music.gansynth
    import sketchml_music.pitch
    import sketchml_music.timbre

    for module, at_least in ((sketchml_music.gansynth, 20), (sketchml_music.pitch, 4),
                             (sketchml_music.timbre, 3)):
        result = doctest.testmod(module)
        assert result.attempted >= at_least and result.failed == 0, module.__name__
