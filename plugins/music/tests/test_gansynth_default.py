"""The embedded gansynth.default: recorded, judged by a pitch detector and a family classifier.

The judges are not the model: YIN (``sketchml_music.pitch``, no learning) hears the pitch,
and the small GM-family classifier that ``scripts/train_gansynth_default.py`` trains on real
notes (``weights/gansynth-family-classifier.safetensors``) names the family. Both are first
checked on real notes of held-out instruments, rendered here by FluidSynth, so a judge that
hears anything in anything cannot pass them. The pitch bar's population is the pitched
instruments (``sketchml_music.pitch.pitched_program``): not the percussive and sound-effect
families, nor the programs of this soundfont that do not sound at their key (an organ's
16-foot stop an octave under it, a bell's strike tone, a mistuned whistle); one test hears
that an excluded organ really is an octave off, so the exclusions are the sound, not the judge.

The issue's pitch bar is met, narrowly: the default (trained with ``pitch_prior=True``:
its frequency channel is an ideal harmonic note's at the asked pitch plus a small learned
residual, its magnitudes gated by that pitch's partials) is heard at the asked pitch in
90.5% of the record's 305 notes (91% of this file's 122; 89-92% over other seeds), against
97% of real held-out pitched notes (97% after the spectrogram round trip). The timbre bar is
not met: the family entropy of its notes is 0.37 against 0.76 for real held-out notes (the
bar is 90% of theirs), which the last test says as a strict xfail, failing as soon as a
better default meets it so that the record and this note get updated. The tests beside
them hold the default to the figures its record gives.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import sketchml as sk
import sketchml_music
from sketchml.media.midi import Note
from sketchml.media.synth import fluidsynth_problem, render_notes
from sketchml_music.gansynth import CPU_FORMAT, PITCHES, SpectralFormat
from sketchml_music.pitch import detect_pitch, pitched_program
from sketchml_music.timbre import FamilyClassifier, family_entropy, standardise

WEIGHTS = Path(sketchml_music.__file__).parent / "weights"
RECORD = json.loads((WEIGHTS / "gansynth-default.json").read_text())
# The representation the default (and the family classifier beside it) was trained in.
FORMAT = SpectralFormat(**RECORD["format"])
# One program of each GM family (the last of its eight), never seen by the GAN or the
# classifier; those of the pitched population.
HELD_OUT = [program for program in (family * 8 + 7 for family in range(16))
            if pitched_program(program)]
TEST_PITCHES = (36, 48, 55, 60, 67, 72)
needs_fluidsynth = pytest.mark.skipif(fluidsynth_problem() is not None,
                                      reason=str(fluidsynth_problem()))


@pytest.fixture(scope="module")
def synth() -> sk.Model:
    return sk.model("gansynth", device="cpu")


@pytest.fixture(scope="module")
def classifier() -> FamilyClassifier:
    model = FamilyClassifier()
    model.load_state_dict(sk.load_weights(WEIGHTS / "gansynth-family-classifier.safetensors"))
    return model.eval()


@pytest.fixture(scope="module")
def held_out_notes() -> tuple[np.ndarray, list[int], list[int]]:
    """Real notes of the held-out pitched instruments: (waves, pitches, families)."""
    waves, pitches, families = [], [], []
    for program in HELD_OUT:
        for pitch, clip in zip(TEST_PITCHES, rendered(program)):
            waves.append(clip)
            pitches.append(pitch)
            families.append(program // 8)
    return np.stack(waves), pitches, families


def rendered(program: int) -> list[np.ndarray]:
    """FluidSynth's notes of ``program`` at TEST_PITCHES, as the training script cuts them."""
    notes = [Note(p, 110, i * 1.0, i * 1.0 + 0.375, program=program)
             for i, p in enumerate(TEST_PITCHES)]
    wave, _ = render_notes(notes, sample_rate=16000, synth="fluidsynth")
    mono = wave.mean(axis=0)
    clips = []
    for i in range(len(TEST_PITCHES)):
        clip = np.zeros(CPU_FORMAT.audio_length, dtype=np.float32)
        piece = mono[i * 16000:i * 16000 + CPU_FORMAT.audio_length]
        clip[:piece.size] = piece
        clips.append(clip)
    return clips


def votes(classifier: FamilyClassifier, waves: np.ndarray) -> torch.Tensor:
    with torch.no_grad():
        pictures = FORMAT.to_specgrams(torch.from_numpy(waves))[:, :1]
        return classifier(standardise(pictures)).argmax(1)


def exact_pitch_rate(waves: np.ndarray, pitches: list[int]) -> float:
    heard = np.array([detect_pitch(w, 16000) for w in waves])
    return float(np.mean(np.abs(heard - np.array(pitches)) <= 0.5))


def generated(synth: sk.Model, n: int = 122, seed: int = 3) -> tuple[np.ndarray, list[int]]:
    pitches = [PITCHES[k % len(PITCHES)] for k in range(n)]
    notes = synth.generate(synth.sample_latent(n, seed=seed), pitch=pitches)
    return np.stack([note.waveform[0].numpy() for note in notes]), pitches


@needs_fluidsynth
def test_the_judges_know_real_held_out_instruments(held_out_notes, classifier):
    waves, pitches, families = held_out_notes
    assert exact_pitch_rate(waves, pitches) >= 0.95
    # The best any generator can do: the same notes through the spectrogram and back.
    again = CPU_FORMAT.to_waves(CPU_FORMAT.to_specgrams(torch.from_numpy(waves))).numpy()
    assert exact_pitch_rate(again, pitches) >= 0.9
    assert float((votes(classifier, waves) == torch.tensor(families)).float().mean()) > 0.25


@needs_fluidsynth
def test_an_excluded_organ_really_sounds_an_octave_under_its_key():
    """Drawbar Organ (GM 16) is out of the pitch population: YIN hears it an octave low,
    while the piano (GM 0) is heard at its key."""
    organ = [detect_pitch(w, 16000) - p for w, p in zip(rendered(16), TEST_PITCHES)]
    piano = [detect_pitch(w, 16000) - p for w, p in zip(rendered(0), TEST_PITCHES)]
    assert np.mean(np.abs(np.array(organ) + 12) <= 0.5) >= 0.5, organ
    assert np.mean(np.abs(np.array(piano)) <= 0.5) == 1.0, piano
    assert not pitched_program(16) and pitched_program(0)


def test_the_default_is_small_and_its_record_matches_it(synth):
    file = WEIGHTS / "gansynth-default.safetensors"
    assert file.stat().st_size < 4 * 2 ** 20
    assert synth.format == FORMAT and synth.sample_rate == 16000
    assert synth.format.audio_length == CPU_FORMAT.audio_length
    assert RECORD["recipe"]["channels"] == max(synth.network.channels)
    assert 0 <= RECORD["pitch_generated"]["exact"] <= 1


def test_generated_pitch_is_what_the_record_says(synth):
    waves, pitches = generated(synth)
    rate = exact_pitch_rate(waves, pitches)
    assert abs(rate - RECORD["pitch_generated"]["exact"]) < 0.1, rate


def test_generated_pitch_meets_the_issue_bar(synth):
    waves, pitches = generated(synth)
    assert exact_pitch_rate(waves, pitches) >= 0.9


def test_generated_timbres_spread_as_the_record_says(synth, classifier):
    waves, _ = generated(synth, n=84)
    made = family_entropy(votes(classifier, waves))
    assert abs(made - RECORD["family_entropy_generated"]) < 0.15, made


@needs_fluidsynth
@pytest.mark.xfail(strict=True, reason="the CPU-trained default's timbres fall in fewer families "
                                       "than real instruments' (entropy 0.37 against 0.76; "
                                       "see gansynth-default.json)")
def test_generated_timbres_are_as_varied_as_real_ones(synth, classifier, held_out_notes):
    waves, _ = generated(synth, n=84)
    real = family_entropy(votes(classifier, held_out_notes[0]))
    made = family_entropy(votes(classifier, waves))
    assert made >= 0.9 * real, (made, real)
