"""Magenta's published multitrack MusicVAE (``hier-multiperf_vel_1bar_med_chords``) loads, computes
what TensorFlow computed, and reads and writes bars in Magenta's exact event layout.

The checkpoint fixture (``fixtures/magenta/hier-multiperf_vel_1bar_med_chords.tar`` and its
magenta.js folder) was written by real TensorFlow with Magenta's variable names at the
published vocabulary (490 event classes, 49 chord classes) and tiny sizes, by
``fixtures/make_magenta_checkpoints.py``, which saved TensorFlow's outputs in ``reference.npz``.
The expected token sequences below are worked out by hand from Magenta's rules
(``MultiInstrumentPerformanceConverter``, note_seq's ``performance_lib`` and
``PerformanceOneHotEncoding``); each comment says which rule a line checks.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import sketchml as sk
from sketchml.plugin import WeightsFormatError
from sketchml_music.musicvae_hier import MultitrackCoding, MultitrackNet, chord_index, pad_tracks
from sketchml_music.musicvae_magenta import (convert_magenta_file, convert_magenta_multitrack,
                                             kind_of)
from sketchml_music.tf_checkpoint import read_checkpoint

FIXTURES = Path(__file__).parent / "fixtures" / "magenta"
NAME = "hier-multiperf_vel_1bar_med_chords"

# Magenta's token arithmetic: note-on p -> p, note-off p -> 128 + p, shift s -> 256 + s - 1,
# velocity bin b -> 352 + b - 1, program q -> 360 + q, drums -> 488, end -> 489.
ON, OFF, SHIFT, VELOCITY, PROGRAM, DRUMS, END = 0, 128, 255, 351, 360, 488, 489


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "reference.npz") as stored:
        return {k: v for k, v in stored.items() if k.startswith(NAME)}


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKETCHML_HOME", str(tmp_path / "home"))


def _outputs(net: MultitrackNet, reference: dict) -> dict[str, np.ndarray]:
    tokens = torch.tensor(reference[f"{NAME}/tokens"])
    chords = torch.tensor(reference[f"{NAME}/chords"])
    with torch.no_grad():
        mu, sigma = net.encode(tokens, chords)
        logits = net.decode_logits(torch.tensor(reference[f"{NAME}/z"]), tokens, chords)
    return {"mu": mu.numpy(), "sigma": sigma.numpy(), "logits": logits.numpy()}


@pytest.mark.parametrize("form", ["tar", "magenta.js"])
def test_multitrack_checkpoint_gives_tensorflows_outputs(form: str, reference: dict) -> None:
    path = FIXTURES / (f"{NAME}.tar" if form == "tar" else f"{NAME}_js")
    if form == "tar":
        variables = read_checkpoint(path)
        assert kind_of(variables) == "multitrack"
        state = convert_magenta_multitrack(variables, instruments=3, events=6)
    else:  # config.json states 3 instruments of 6 events (MultitrackConverter's numSegments)
        state, _ = convert_magenta_file(path)
    net = MultitrackNet.from_state_dict(state, NAME).eval()
    code = net.coding
    assert (code.classes, code.steps_per_quarter, code.max_shift, code.velocity_bins) == (490, 24, 96, 8)
    assert (code.min_pitch, code.max_pitch, net.chord_classes) == (0, 127, 49)
    assert (code.instruments, code.events) == (3, 6)
    assert state["core.lstm.weight_ih_l0"].shape == (12, 490 + 3 + 49)  # one-hot, embedding, chord
    got = _outputs(net, reference)
    for key in ("mu", "sigma", "logits"):
        assert got[key].shape == reference[f"{NAME}/{key}"].shape
        np.testing.assert_allclose(got[key], reference[f"{NAME}/{key}"], atol=1e-5, err_msg=key)


def test_the_reference_pins_magentas_chord_and_first_input_rules(reference: dict,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Feeding the chord at the program token, or a zero first input after a full track, gives
    other numbers than TensorFlow's: the fixture checks both of Magenta's rules."""
    net = MultitrackNet.from_state_dict(
        convert_magenta_multitrack(read_checkpoint(FIXTURES / f"{NAME}.tar"), instruments=3,
                                   events=6), NAME).eval()
    expected = reference[f"{NAME}/logits"]
    tokens = reference[f"{NAME}/tokens"]
    assert (tokens[0, 0] >= 0).all() and tokens[0, 0, -1] == END  # bar 0's first track is full
    def chord_everywhere(self, tracks, chords, sampling=False):
        n, k, length = tracks.shape
        return torch.nn.functional.one_hot(chords.repeat_interleave(k)[:, None].expand(-1, length),
                                           49).float()

    monkeypatch.setattr(MultitrackNet, "controls", chord_everywhere)
    off = np.abs(_outputs(net, reference)["logits"] - expected)
    assert off[:, :, 0].max() > 1e-3  # the program token's step has no chord in Magenta's data
    monkeypatch.undo()
    monkeypatch.setattr(MultitrackNet, "_first_inputs", lambda self, last: torch.full_like(last, -1))
    off = np.abs(_outputs(net, reference)["logits"] - expected)
    assert off[0, 1, 0].max() > 1e-3  # after the full track, Magenta's input is its end token
    assert off[1, 1, 0].max() < 1e-5  # after a shorter one it is zeros, as here


def test_sk_model_loads_the_published_multitrack_and_plays_chords(tmp_path: Path) -> None:
    tar = tmp_path / f"{NAME}.tar"
    shutil.copy(FIXTURES / tar.name, tar)
    vae = sk.model("musicvae", weights=str(tar), device="cpu")
    assert vae.kind == "multitrack"
    code = vae.network.coding
    assert code.published and (code.instruments, code.events, code.classes) == (8, 64, 490)
    [music] = vae.generate(vae.sample_latent(seed=1), chords=["C", "Am"], temperature=1.0, seed=1)
    assert music.notes and all(0 <= n.start < n.end <= 4.0 + 1e-9 for n in music.notes)
    assert all(n.instrument < 8 for n in music.notes)
    # Steps are 24ths of a quarter (1/48 s at 120 bpm).
    assert all(abs(n.start * 48 - round(n.start * 48)) < 1e-6 for n in music.notes)
    point = vae.encode(music)
    assert tuple(point.tensor.shape) == (1, 4) and sorted(point.tensors) == ["sigma", "z"]
    assert len(list((tmp_path / "home" / "converted" / "musicvae").glob("*.safetensors"))) == 1
    again = sk.model("musicvae", weights=str(tar), device="cpu")
    assert again.network.coding.published and again.network.chord_classes == 49


def _bar() -> sk.Notes:
    """One bar at 120 bpm (96 steps of 1/48 s) of four instruments and drums, and a note in bar 2."""
    def note(pitch, start, end, instrument, program=0, velocity=64, drum=False):
        return {"pitch": pitch, "velocity": velocity, "start_time": start, "end_time": end,
                "instrument": instrument, "program": program, "is_drum": drum}

    return sk.Notes([
        note(60, 0.0, 0.5, 0, velocity=80), note(64, 0.0, 1.0, 0, velocity=100),
        note(67, 0.5, 1.0, 0, velocity=100), note(60, 2.0, 2.5, 0, velocity=80),    # piano
        note(36, 1.5, 3.0, 1, program=33, velocity=90),                            # bass
        note(72, 0.0, 0.5, 2, program=40), note(69, 0.25, 0.5, 2, program=40),     # violin
        note(71, 0.5, 0.75, 2, program=40), note(74, 1.0, 1.005, 2, program=40),
        note(62, 1.995, 2.2, 3),                                                   # piano 2
        note(36, 0.25, 0.3, 9, velocity=100, drum=True),                           # kick
        note(38, 0.25, 0.3, 9, velocity=100, drum=True),                           # snare
        note(42, 0.249, 0.27, 9, velocity=100, drum=True)])                        # closed hat


def test_a_bar_is_encoded_as_magentas_converter_encodes_it() -> None:
    code = MultitrackCoding.published()
    tracks = code.encode_bar(_bar())
    # Tracks sorted by (is_drum, program), ties by instrument number; drums last; 8 slots.
    piano = [PROGRAM + 0,
             VELOCITY + 5, ON + 60,   # velocity 80 -> bin (80 - 1) // 16 + 1 = 5 (bins of ceil(127/8))
             VELOCITY + 7, ON + 64,   # 100 -> 7; notes at one step go by (start, pitch)
             SHIFT + 24, OFF + 60,
             ON + 67,                 # the same bin as the last note-on: no velocity event
             SHIFT + 24, OFF + 64, OFF + 67,
             SHIFT + 48,              # set_length pads the track to the bar's 96 steps
             END]
    piano_2 = [PROGRAM + 0, SHIFT + 96, END]  # 1.995 s rounds to step 96: the note is cut away
    bass = [PROGRAM + 33, SHIFT + 72, VELOCITY + 6, ON + 36, SHIFT + 24,
            OFF + 36,                 # a note held past the bar is clipped at its end
            END]
    violin = [PROGRAM + 40, VELOCITY + 4, ON + 72, SHIFT + 12, ON + 69, SHIFT + 12,
              OFF + 72, OFF + 69,     # note-offs at a step go by their notes' start, not pitch
              ON + 71, SHIFT + 12, OFF + 71, SHIFT + 12,
              ON + 74, SHIFT + 1, OFF + 74,  # a note shorter than a step lasts one step
              SHIFT + 47, END]
    drums = [DRUMS, SHIFT + 12, VELOCITY + 7,
             ON + 36, ON + 38, ON + 42,  # the hat starts 1 ms earlier, yet after the tied-note
             SHIFT + 1, OFF + 42,        # clipping Magenta reads notes of one step by pitch
             SHIFT + 1, OFF + 36, OFF + 38, SHIFT + 82, END]
    assert tracks == [piano, piano_2, bass, violin, drums] + [[END]] * 3
    # The next bar holds only what starts in it (the bass sounding on is not carried over).
    assert code.encode_bar(_bar(), start=2.0) == [
        [PROGRAM, VELOCITY + 5, ON + 60, SHIFT + 24, OFF + 60, SHIFT + 72, END]] + [[END]] * 7
    # A track keeps at most 64 tokens: program, 62 events, end (magenta.js's rule).
    busy = code.encode_track([{"pitch": 60 + i % 12, "start_time": i / 48, "end_time": i / 48 + 0.01}
                              for i in range(90)])
    assert len(busy) == 64 and busy[0] == PROGRAM and busy[-1] == END


def test_the_bar_decodes_back_to_its_quantized_notes() -> None:
    code = MultitrackCoding.published()
    tracks = code.encode_bar(_bar())
    notes = [n for slot, t in enumerate(tracks) for n in code.decode_track(t, instrument=slot)]
    got = sorted((n["instrument"], n["pitch"], round(n["start_time"] * 48), round(n["end_time"] * 48),
                  n["velocity"], n["program"], n["is_drum"]) for n in notes)
    # Velocities come back as the bottom of their bin (velocity_bin_to_velocity: 1 + 16 (b - 1)).
    assert got == sorted([
        (0, 60, 0, 24, 65, 0, False), (0, 64, 0, 48, 97, 0, False), (0, 67, 24, 48, 97, 0, False),
        (2, 36, 72, 96, 81, 33, False),
        (3, 72, 0, 24, 49, 40, False), (3, 69, 12, 24, 49, 40, False),
        (3, 71, 24, 36, 49, 40, False), (3, 74, 48, 49, 49, 40, False),
        (4, 36, 12, 14, 97, 0, True), (4, 38, 12, 14, 97, 0, True), (4, 42, 12, 13, 97, 0, True)])
    again = code.encode_bar(sk.Notes(notes))
    assert again == [tracks[0]] + tracks[2:5] + [[END]] * 4  # piano 2 had no note left


def test_tokens_decode_by_note_seqs_rules() -> None:
    code = MultitrackCoding.published()

    def notes(tokens):
        return [(n["pitch"], round(n["start_time"] * 48), round(n["end_time"] * 48), n["velocity"])
                for n in code.decode_track(tokens, instrument=0)]

    # No velocity event: velocity 100. A second note-on of a sounding pitch starts another
    # note; a note-off ends the oldest (first in, first out).
    assert sorted(notes([PROGRAM, ON + 60, SHIFT + 10, ON + 60, SHIFT + 5, OFF + 60, SHIFT + 5,
                         OFF + 60, END])) == [(60, 0, 15, 100), (60, 10, 20, 100)]
    # Notes of no length are dropped; notes still sounding end at the bar's end; shifts past
    # the bar cut the events after them; tokens after the end token are not read.
    assert notes([PROGRAM, ON + 61, OFF + 61, ON + 62, SHIFT + 90, SHIFT + 10, OFF + 62, ON + 63,
                  END, ON + 64]) == [(62, 0, 96, 100)]
    # The first program token names the program, later ones are skipped; 488 is drums.
    [first] = code.decode_track([PROGRAM + 5, ON + 40, PROGRAM + 7, SHIFT + 3, END], instrument=2)
    assert (first["program"], first["is_drum"], first["instrument"]) == (5, False, 2)
    [drum] = code.decode_track([DRUMS, ON + 36, SHIFT + 1, OFF + 36, END], instrument=1)
    assert drum["is_drum"] and drum["program"] == 0
    # A track without an end token is read to its last token.
    assert notes([PROGRAM, VELOCITY + 8, ON + 70, SHIFT + 4]) == [(70, 0, 96, 113)]


def test_chords_reach_the_network_as_magenta_feeds_them() -> None:
    torch.manual_seed(0)
    net = MultitrackNet(z=4, encoder=4, decoder=4, layers=1,
                        coding=MultitrackCoding.published(instruments=3, events=8))
    tracks = pad_tracks([[[PROGRAM, ON + 60, SHIFT + 96, END], [END], [DRUMS, END]]])
    c = chord_index("Am")
    got = net.controls(tracks, torch.tensor([c])).argmax(-1).reshape(3, -1)
    present = net.controls(tracks, torch.tensor([c])).sum(-1).reshape(3, -1)
    # Converter: no chord at the program token, the chord at events and the end, zeros after.
    assert got[0].tolist() == [0, c, c, c] and present[0].tolist() == [1, 1, 1, 1]
    assert present[1].tolist() == [1, 0, 0, 0] and got[1, 0] == 0  # an empty track: no chord
    assert got[2, :2].tolist() == [0, c] and present[2].tolist() == [1, 1, 0, 0]
    # Sampling, as magenta.js's encodeChordProgression: no chord first, then the chord.
    sampled = net.controls(torch.zeros(1, 1, 8, dtype=torch.long), torch.tensor([c]), sampling=True)
    assert sampled.argmax(-1)[0].tolist() == [0] + [c] * 7 and bool((sampled.sum(-1) == 1).all())
    # The published layout samples every slot (no end forced at the last one).
    out = net.decode(torch.zeros(4, 4), torch.tensor([c] * 4), temperature=3.0,
                     generator=torch.Generator().manual_seed(0))
    assert out.shape == (4, 3, 8) and bool((out[..., -1] != END).any())


def test_a_model_without_chords_loads_and_refuses_chords(tmp_path: Path) -> None:
    """hier-multiperf_vel_1bar_med (no chords) is the same graph without the 49 chord inputs."""
    variables = dict(read_checkpoint(FIXTURES / f"{NAME}.tar"))
    for name in list(variables):
        if name.endswith("/kernel") and (name.startswith("encoder/hierarchical_level_0/") or
                                         name.startswith("core_decoder/decoder/multi_rnn_cell/cell_0")):
            kernel = variables[name]
            units = kernel.shape[1] // 4
            inputs = kernel.shape[0] - units
            variables[name] = np.concatenate([kernel[:inputs - 49], kernel[inputs:]])
    state = convert_magenta_multitrack(variables)
    net = MultitrackNet.from_state_dict(state, "no chords")
    assert net.chord_classes == 0 and net.controls(torch.zeros(1, 8, 4, dtype=torch.long), None) is None
    from safetensors.torch import save_file

    path = tmp_path / "plain.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    vae = sk.model("musicvae", weights=str(path), device="cpu")
    assert isinstance(vae.generate(seed=1), sk.Notes)
    with pytest.raises(sk.SketchmlError, match="without chords"):
        vae.generate(vae.sample_latent(seed=1), chords=["C"])


def test_checkpoints_of_another_vocabulary_are_refused() -> None:
    variables = dict(read_checkpoint(FIXTURES / f"{NAME}.tar"))
    with pytest.raises(WeightsFormatError, match="predicts 490 event classes.*make 410"):
        convert_magenta_multitrack(variables, steps_per_quarter=4)  # our reduced 4-step layout
    head = "core_decoder/decoder/output_projection/"
    cut = {**variables, head + "bias": variables[head + "bias"][:418],
           head + "kernel": variables[head + "kernel"][:, :418]}
    with pytest.raises(WeightsFormatError, match="predicts 418 event classes"):
        convert_magenta_multitrack(cut)
    del variables["encoder/hierarchical_level_1/cell_0/bidirectional_rnn/fw/multi_rnn_cell/"
                  "cell_0/lstm_cell/kernel"]
    with pytest.raises(WeightsFormatError, match="multitrack MusicVAE"):
        convert_magenta_multitrack(variables)


def test_the_conversion_script_writes_a_multitrack_file_sketchml_loads(tmp_path: Path,
                                                                     reference: dict) -> None:
    import importlib.util

    script = Path(__file__).resolve().parents[3] / "scripts" / "convert_magenta_checkpoint.py"
    spec = importlib.util.spec_from_file_location("convert_magenta_checkpoint", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "band.safetensors"
    module.main([str(FIXTURES / f"{NAME}_js"), "--out", str(out)])
    vae = sk.model("musicvae", weights=str(out), device="cpu")
    assert vae.network.coding.published and vae.network.coding.events == 6
    np.testing.assert_allclose(_outputs(vae.network.eval(), reference)["logits"],
                               reference[f"{NAME}/logits"], atol=1e-5)
