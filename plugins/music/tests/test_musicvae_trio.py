"""MusicVAE's 16-bar trio (hierdec-trio_16bar): the coding, the conductor, the verbs, training,
and the shipped ``musicvae.trio`` on held-out chorales."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

import sketchml as sk
import sketchml_music
from sketchml.testing import ModelConformance
from sketchml_music.musicvae_hier import (DRUM_CLASSES, HOLD, REST, TrioCoding, TrioNet,
                                          network_from_state, train_hier, trio_accuracy)

WEIGHTS = Path(sketchml_music.__file__).parent / "weights"


def trio_notes(shift: int = 0, bars: int = 2, pattern=(0, 4, 7, 4)) -> sk.Notes:
    """Eighth-note melody (instrument 0), half-note bass (1), kick and hi-hat drums, at 120 bpm."""
    notes = []
    for i in range(8 * bars):
        notes.append({"pitch": 72 + shift + pattern[i % len(pattern)], "start_time": i * 0.25,
                      "end_time": i * 0.25 + 0.25, "instrument": 0})
        notes.append({"pitch": 42, "start_time": i * 0.25, "end_time": i * 0.25 + 0.1,
                      "instrument": 9, "is_drum": True})
    for i in range(2 * bars):
        notes.append({"pitch": 48 + shift + (7 if i % 2 else 0), "start_time": i * 1.0,
                      "end_time": i * 1.0 + 1.0, "instrument": 1})
        notes.append({"pitch": 36, "start_time": i * 1.0, "end_time": i * 1.0 + 0.1,
                      "instrument": 9, "is_drum": True})
    return sk.Notes(notes)


def tiny_weights(folder: Path, bars: int = 16) -> Path:
    torch.manual_seed(0)
    net = TrioNet(z=8, encoder=16, decoder=16, layers=1, encoder_layers=1,
                  coding=TrioCoding(bars=bars))
    path = folder / "trio.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    return path


def make(bars: int = 16) -> sk.Model:
    registry = sk.Registry(discover=False)
    registry.register(sketchml_music)
    return registry.load("musicvae", weights=tiny_weights(Path(tempfile.mkdtemp()), bars),
                         device="cpu")


class TestMusicVAETrio(ModelConformance):
    plugin = sketchml_music
    model_name = "musicvae"

    @classmethod
    def make_model(cls):
        return make(bars=2)

    def encode_input(self, model):
        return trio_notes()

    def train_inputs(self, model, out):
        return [trio_notes(), trio_notes(2)], {
            "config": "hierdec-trio_16bar", "steps": 2, "z": 4, "encoder": 8, "decoder": 8,
            "layers": 1, "encoder_layers": 1, "batch_size": 2, "validation": 0, "progress": False}


def test_trio_coding_round_trips_melody_bass_and_drums():
    code = TrioCoding(bars=2)
    steps = code.encode(trio_notes())
    assert len(steps) == 32 and all(len(row) == 3 for row in steps)
    assert steps[0] == [2 + 72 - 21, 2 + 48 - 21, 1 + 4]  # kick (class 0) and closed hi-hat (2)
    assert steps[1] == [HOLD, HOLD, 0] and steps[2] == [2 + 76 - 21, HOLD, 4]
    back = sk.Notes(code.decode(steps))
    again = code.encode(sk.Notes([{"pitch": n.pitch, "start_time": n.start, "end_time": n.end,
                                   "instrument": n.instrument, "is_drum": n.is_drum}
                                  for n in back.notes]))
    assert again == steps
    tracks = {(n.instrument, n.is_drum) for n in back.notes}
    assert tracks == {(0, False), (1, False), (9, True)}
    # Magenta's drum mapping: an electric snare (40) is the snare class, played back as 38.
    hits = code.encode(sk.Notes([{"pitch": 40, "start_time": 0, "end_time": 0.1, "is_drum": True}]))
    assert hits[0][2] == 1 << 1 and code.decode(hits)[0]["pitch"] == DRUM_CLASSES[1][0] == 38
    assert hits[0][:2] == [REST, REST]


def test_conductor_feeds_every_bar_and_bars_follow_on():
    torch.manual_seed(0)
    net = TrioNet(z=8, encoder=16, decoder=16, layers=2, encoder_layers=2,
                  coding=TrioCoding(bars=4, steps_per_bar=4))
    x = torch.randint(0, 90, (3, 16, 3))
    x[..., 2] = torch.randint(0, 512, (3, 16))
    mu, sigma = net.encode(x)
    assert mu.shape == sigma.shape == (3, 8) and bool((sigma > 0).all())
    logits = net.decode_logits(mu, x)
    assert [tuple(t.shape) for t in logits] == [(3, 16, 90), (3, 16, 90), (3, 16, 512)]
    # Teacher forcing crosses bar lines: bar 2's first step sees bar 1's last step, so changing
    # step 7 (the end of bar 2) changes the logits of step 8 and nothing before it.
    changed = x.clone()
    changed[:, 7, 0] = (x[:, 7, 0] + 1) % 90
    other = net.decode_logits(mu, changed)[0]
    assert torch.allclose(other[:, :8], logits[0][:, :8])
    assert not torch.allclose(other[:, 8], logits[0][:, 8])
    # Each bar starts from its own conductor embedding: different z, different first steps.
    assert not torch.allclose(net.decode_logits(mu + 1, x)[0][:, 4], logits[0][:, 4])
    sampled = net.decode(mu, temperature=1.0, generator=torch.Generator().manual_seed(0))
    assert sampled.shape == (3, 16, 3) and int(sampled[..., 2].max()) < 512


def test_state_dict_keys_are_the_documented_layout():
    net = TrioNet(z=8, encoder=16, decoder=16, layers=2, encoder_layers=1)
    keys = set(net.state_dict())
    for key in ("trio_spec", "encoder.weight_ih_l0", "encoder.weight_ih_l0_reverse", "mu.weight",
                "sigma.bias", "conductor_initial.weight", "conductor.weight_hh_l1",
                "cores.0.initial.weight", "cores.2.lstm.weight_ih_l0", "cores.1.head.bias"):
        assert key in keys, key
    assert net.state_dict()["cores.2.lstm.weight_ih_l0"].shape == (64, 512 + 16)
    assert net.state_dict()["conductor_initial.weight"].shape == (2 * 2 * 16, 8)
    half = {k: v.half() if v.is_floating_point() else v for k, v in net.state_dict().items()}
    rebuilt = network_from_state(half, "test")
    assert isinstance(rebuilt, TrioNet) and rebuilt.conductor.num_layers == 2
    with pytest.raises(sk.SketchmlError, match="trio layout"):
        network_from_state({**half, "mu.weight": torch.zeros(3, 3)}, "broken")


def test_family_verbs_on_a_tiny_trio(tmp_path):
    vae = make(bars=2)
    assert vae.kind == "trio"
    first, last = vae.encode([trio_notes(), trio_notes(3, pattern=(7, 4, 0))])
    assert sorted(first.tensors) == ["sigma", "z"]
    walk = vae.interpolate(trio_notes(), trio_notes(3, pattern=(7, 4, 0)), steps=4)
    assert torch.allclose(walk.tensor[0], first.tensor[0], atol=1e-5)
    assert torch.allclose(walk.tensor[-1], last.tensor[0], atol=1e-5)
    music = vae.generate(walk, temperature=0.5, seed=3)
    again = vae.generate(walk, temperature=0.5, seed=3)
    assert len(music) == 4 and [[(n.pitch, n.start) for n in m] for m in music] == \
        [[(n.pitch, n.start) for n in m] for m in again]
    assert all(m.total_time <= 4.0 + 1e-6 for m in music)
    assert {n.instrument for m in music for n in m.notes} <= {0, 1, 9}
    assert music[0].save(tmp_path / "trio.mid").is_file()
    with pytest.raises(sk.SketchmlError, match="multitrack"):
        vae.generate(walk, chords=["C"])


def test_training_a_tiny_trio_learns_to_reconstruct(tmp_path):
    # Two-bar trios in several keys and two tunes; the held-out one is in a key not trained on.
    pieces = [trio_notes(s) for s in range(0, 12, 2)] + \
        [trio_notes(s, pattern=(7, 5, 4, 2, 0)) for s in range(0, 12, 3)]
    held = torch.tensor([TrioCoding(bars=2).encode(trio_notes(1)),
                         TrioCoding(bars=2).encode(trio_notes(1, pattern=(7, 5, 4, 2, 0)))])
    options = dict(config="hierdec-trio_16bar", z=16, encoder=32, decoder=48, layers=1,
                   encoder_layers=1, batch_size=10, lr=0.01, max_beta=0.01, beta_rate=0.9,
                   free_bits=0.0, transpose=1, validation=0, seed=0, progress=False, bars=2,
                   device="cpu")
    torch.manual_seed(0)
    before = trio_accuracy(TrioNet(z=16, encoder=32, decoder=48, layers=1, encoder_layers=1,
                                   coding=TrioCoding(bars=2)), held)
    run, net = train_hier(pieces, out=tmp_path / "run", steps=150, **options)
    after = trio_accuracy(net, held)
    losses = [row["recon"] for row in run.history]
    assert losses[-1] < losses[0] / 3, (losses[0], losses[-1])
    majority = [float((held[..., t] == torch.mode(held[..., t].flatten()).values).float().mean())
                for t in range(3)]
    assert sum(after) / 3 > max(sum(before), sum(majority)) / 3 + 0.1, (before, after, majority)
    more, _ = train_hier(pieces, out=tmp_path / "run", steps=152, **options)
    assert more.step == 152
    with pytest.raises(sk.SketchmlError, match="different"):
        train_hier(pieces, out=tmp_path / "run", steps=154, **{**options, "z": 4})


def test_training_windows_are_music_to_their_last_bar():
    """A window that runs past a piece's end ends in rests, and a trio trained on them learns
    to fall silent: short pieces are repeated to fill 16 bars, and longer ones give windows
    wholly inside them, the last ending with the piece."""
    from sketchml_music.musicvae_hier import trio_windows

    class Piece:
        def __init__(self, bars):
            music = trio_notes(bars=bars)
            self.parts = [sk.Notes([n for n in music.notes if n.instrument == k]) for k in (0, 1, 9)]

    code = TrioCoding()

    def sounding(window):  # per bar: does the melody or the bass start a note in it?
        return [any(row[t] >= 2 for row in window[b * 16:(b + 1) * 16] for t in (0, 1))
                for b in range(16)]

    [short] = trio_windows(Piece(5), code)
    assert all(sounding(short))
    assert short[5 * 16] == short[0]  # bar 6 plays bar 1 again
    long = trio_windows(Piece(21), code)  # 21 bars: windows at bars 0, 2, 4 and the last at 5
    assert len(long) == 4 and all(all(sounding(w)) for w in long)
    full = code.grid(*[part.notes for part in Piece(21).parts], 0.125, 21 * 16)
    assert long[-1][1:] == [list(r) for r in full[5 * 16 + 1:]]


# -- the shipped default -------------------------------------------------------------------------

def _held_out_trios():
    from sketchml_music.corpus import bach_pieces
    from sketchml_music.musicvae_hier import examples

    record = json.loads((WEIGHTS / "musicvae-trio.json").read_text())
    names = set(record["pieces"]["held_out_names"])
    held = [p for p in bach_pieces() if p.name in names]
    return record, torch.tensor(examples("trio", held, TrioCoding(), hop_bars=4))


def _silent_last_bar(net, temperature: float = 0.5, count: int = 24) -> float:
    """The share of trios from random latents whose 16th bar has no melody or bass note."""
    z = torch.randn(count, net.z_size, generator=torch.Generator().manual_seed(0))
    bars = net.decode(z, temperature=temperature, generator=torch.Generator().manual_seed(1))
    last = bars.view(count, 16, 16, 3)[:, -1]
    return float(((last[..., 0] == REST).all(-1) & (last[..., 1] == REST).all(-1)).float().mean())


@pytest.mark.slow
@pytest.mark.skipif(not (WEIGHTS / "musicvae-trio.json").is_file(), reason="musicvae.trio not shipped")
def test_shipped_trio_reconstructs_held_out_chorales_better_than_another_latent():
    record, trios = _held_out_trios()
    assert len(trios) == record["held_out_trios"]
    vae = sk.model("musicvae.trio", device="cpu")
    accuracy = trio_accuracy(vae.network, trios)
    swapped = trio_accuracy(vae.network, trios, vae.network.encode(torch.roll(trios, 1, 0))[0])
    for t, name in enumerate(("melody", "bass", "drums")):
        assert accuracy[t] > swapped[t] + 0.005, (name, accuracy, swapped)
        assert accuracy[t] == pytest.approx(record["reconstruction_accuracy"][name], abs=0.01)
    # Random latents play all three tracks, on to the 16th bar: trained on windows that ran
    # into rests (the 16th bar of 70% of them was silent) the trio left it silent 96% of the
    # time at temperature 0.5; on windows that are music to their end, 10% (training windows: 1%).
    music = vae.generate(vae.sample_latent(4, seed=0), temperature=0.5, seed=0)
    assert {n.instrument for m in music for n in m.notes} == {0, 1, 9}
    assert _silent_last_bar(vae.network) < 0.25


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="musicvae.trio had about 23 CPU-minutes: on held-out "
                   "windows that are music to their end it reconstructs melody 65.4% and bass "
                   "63.1% of steps, against 66.0% and 63.5% for the commonest step (hold)")
@pytest.mark.skipif(not (WEIGHTS / "musicvae-trio.json").is_file(), reason="musicvae.trio not shipped")
def test_shipped_trio_beats_the_commonest_step():
    record, trios = _held_out_trios()
    vae = sk.model("musicvae.trio", device="cpu")
    accuracy = trio_accuracy(vae.network, trios)
    for t, name in enumerate(("melody", "bass")):
        assert accuracy[t] > record["majority_baseline"][name] + 0.05, (name, accuracy)
