"""MusicVAE (2-bar melodies): the melody coding, the verbs, slerp of means, training, errors."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

import sketchml as sk
import sketchml_music
from sketchml.testing import ModelConformance
from sketchml_music.musicvae import (HOLD, REST, MelodyCoding, MusicVAENet, melody_windows,
                                     reconstruction_accuracy)


def tune(shift: int = 0, pattern=(0, 2, 4, 5, 7, 5, 4, 2)) -> sk.Notes:
    """Two bars of eighth notes at 120 bpm."""
    return sk.Notes([{"pitch": 60 + shift + pattern[i % len(pattern)], "velocity": 90,
                      "start_time": i * 0.25, "end_time": i * 0.25 + 0.25} for i in range(16)])


def tiny_weights(folder: Path) -> Path:
    torch.manual_seed(0)
    net = MusicVAENet(z=8, encoder=16, decoder=16, layers=1)
    path = folder / "tiny.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    return path


def make() -> sk.Model:
    registry = sk.Registry(discover=False)
    registry.register(sketchml_music)
    return registry.load("musicvae", weights=tiny_weights(Path(tempfile.mkdtemp())), device="cpu")


class TestMusicVAE(ModelConformance):
    plugin = sketchml_music
    model_name = "musicvae"

    @classmethod
    def make_model(cls):
        return make()

    def encode_input(self, model):
        return tune()

    def train_inputs(self, model, out):
        return [tune(), tune(2)], {"steps": 2, "z": 4, "encoder": 8, "decoder": 8, "layers": 1,
                                   "batch_size": 2, "validation": 0, "progress": False}


def test_melody_coding_round_trips_on_the_sixteenth_grid():
    code = MelodyCoding()
    melody = sk.Notes([{"pitch": 64, "start_time": 0.0, "end_time": 0.5},
                       {"pitch": 67, "start_time": 1.0, "end_time": 1.125},
                       {"pitch": 55, "start_time": 1.0, "end_time": 2.0}])  # lower: dropped
    steps = code.encode(melody)
    assert len(steps) == 32 and code.classes == 90
    assert steps[:10] == [2 + 64 - 21, HOLD, HOLD, HOLD, REST, REST, REST, REST, 2 + 67 - 21, REST]
    assert [(n["pitch"], n["start_time"], n["end_time"]) for n in code.decode(steps)] == [
        (64, 0.0, 0.5), (67, 1.0, 1.125)]
    # The notes' own tempo sets the grid: at 60 bpm a quarter note is four steps of 0.25 s.
    slow = sk.Notes([{"pitch": 64, "start_time": 0.0, "end_time": 1.0}], tempo=60)
    assert code.encode(slow)[:5] == [2 + 64 - 21, HOLD, HOLD, HOLD, REST]


def test_windows_skip_sparse_bars_and_cut_notes_held_into_them():
    code = MelodyCoding()
    long_note = [{"pitch": 60, "start_time": 0, "end_time": 2.5}] + [
        {"pitch": 62 + i, "start_time": 2.5 + i * 0.25, "end_time": 2.75 + i * 0.25} for i in range(16)]
    windows = melody_windows(long_note, code, hop=8)
    # The window from step 8 starts inside the long note: that part becomes rests.
    assert windows[0][:2] == [2 + 60 - 21, HOLD]
    assert windows[1][:12] == [REST] * 12 and windows[1][12] == 2 + 62 - 21
    assert melody_windows([{"pitch": 60, "start_time": 0, "end_time": 4}], code) == []


def test_encode_keeps_sigma_and_interpolate_slerps_the_means():
    vae = make()
    first, last = vae.encode([tune(), tune(5, (7, 4, 0, 4))])
    assert sorted(first.tensors) == ["sigma", "z"] and bool((first["sigma"] > 0).all())
    walk = vae.interpolate(tune(), tune(5, (7, 4, 0, 4)), steps=5)
    assert list(walk.tensors) == ["z"] and len(walk) == 5
    assert torch.allclose(walk.tensor[0], first.tensor[0], atol=1e-5)
    assert torch.allclose(walk.tensor[-1], last.tensor[0], atol=1e-5)
    # A slerp keeps to the arc: the midpoint's norm lies between the ends', unlike a lerp's.
    a, b = first.tensor[0], last.tensor[0]
    mid = walk.tensor[2]
    assert mid.norm() >= min(a.norm(), b.norm()) - 1e-4
    assert mid.norm() > ((a + b) / 2).norm() - 1e-6


def test_generate_from_latents_is_reproducible(tmp_path):
    vae = make()
    z = vae.sample_latent(3, seed=4)
    once, again = vae.generate(z, seed=9), vae.generate(z, seed=9)
    assert len(once) == 3 and all(isinstance(t, sk.Notes) for t in once)
    assert [[n.pitch for n in t] for t in once] == [[n.pitch for n in t] for t in again]
    assert all(t.total_time <= 4.0 for t in once)
    path = once[0].save(tmp_path / "melody.mid")
    assert path.is_file()
    with pytest.raises(sk.SketchmlError, match="temperature"):
        vae.generate(z, temperature=0)
    with pytest.raises(sk.SketchmlError, match=r"\(N, 8\)"):
        vae.generate(sk.Latent(torch.zeros(1, 5)))


def test_training_learns_to_reconstruct_and_resumes(tmp_path):
    melodies = [tune(shift) for shift in range(0, 12, 2)] + [
        tune(shift, (7, 4, 0, 4, 7, 9, 7, 4)) for shift in range(0, 12, 3)]
    code = MelodyCoding()
    held = [code.encode(tune(1)), code.encode(tune(1, (7, 4, 0, 4, 7, 9, 7, 4)))]
    vae = make()
    options = {"z": 16, "encoder": 32, "decoder": 48, "layers": 1, "batch_size": 10, "lr": 0.01,
               "max_beta": 0.01, "beta_rate": 0.9, "free_bits": 0.0, "transpose": 1,
               "validation": 0, "seed": 0, "progress": False}
    before = reconstruction_accuracy(vae.network, held)
    run = vae.train(melodies, out=tmp_path / "run", steps=300, **options)
    after = reconstruction_accuracy(vae.network, held)
    hold_share = sum(v == HOLD for m in held for v in m) / 64
    assert after > max(before, hold_share) + 0.2, (before, after, hold_share)
    assert {"recon", "kl", "beta"} <= set(run.history[-1])
    more = vae.train(melodies, out=tmp_path / "run", steps=305, **options)
    assert more.step == 305
    with pytest.raises(sk.SketchmlError, match="different"):
        vae.train(melodies, out=tmp_path / "run", steps=310, **{**options, "z": 4})
    with pytest.raises(sk.SketchmlError, match="config"):
        vae.train(melodies, out=tmp_path / "other", config="hierdec-mel_16bar")
