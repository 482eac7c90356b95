"""performance_rnn.default: how good the shipped weights are, on Bach pieces it never heard.

Judged by things other than the model: a Witten-Bell n-gram counted on the same training
music (the per-event log-likelihood to beat), the C-major scale (share of in-key notes)
and onset counting (notes per second). The record written by
scripts/train_performance_rnn_default.py names the held-out pieces.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import sketchml as sk
from sketchml_music.corpus import bach_pieces, voicings
from sketchml_music.performance_rnn import event_log_likelihood
from sketchml_music.quality import NGram, in_key_share, notes_per_second

RECORD = json.loads((Path(__import__("sketchml_music").__file__).parent / "weights"
                     / "performance_rnn-default.json").read_text())
SEEDS = range(4)
SECONDS = 15.0


@pytest.fixture(scope="module")
def rnn():
    return sk.model("performance_rnn", device="cpu")


@pytest.fixture(scope="module")
def pieces():
    return list(bach_pieces())


def test_the_record_describes_the_shipped_weights(rnn):
    net = rnn.network
    assert (net.hidden, net.layers) == (RECORD["recipe"]["hidden"], RECORD["recipe"]["layers"])
    assert net.density and net.pitch and rnn.encoding.num_classes == 388
    assert RECORD["held_out_ll"] > RECORD["ngram_ll"]


def test_held_out_pieces_are_likelier_under_the_model_than_under_an_ngram(rnn, pieces):
    held_names = set(RECORD["pieces"]["held_out_names"])
    code = rnn.encoding
    held = [code.encode(p.notes()) for p in pieces if p.name in held_names]
    assert len(held) == RECORD["pieces"]["held_out"]
    training = [code.encode(v) for p in pieces if p.name not in held_names for v in voicings(p)]
    order = int(max(RECORD["ngram_ll_by_order"], key=RECORD["ngram_ll_by_order"].get))
    transposed = [[e + s if e < 256 else e for e in events] for events in training
                  for s in range(-3, 4) if all(0 <= e % 128 + s <= 127 for e in events if e < 256)]
    baseline = NGram(transposed, order=order, classes=code.num_classes).log_likelihood(held)
    model = event_log_likelihood(rnn.network, held)
    assert model > baseline + 0.1, (model, baseline)
    assert model == pytest.approx(RECORD["held_out_ll"], abs=0.02)


def test_a_key_steers_the_pitch_classes(rnn):
    keyed = np.mean([in_key_share(rnn.generate(seconds=SECONDS, pitch_histogram="C major", seed=s))
                     for s in SEEDS])
    free = np.mean([in_key_share(rnn.generate(seconds=SECONDS, seed=s)) for s in SEEDS])
    assert keyed > 0.85 and keyed > free + 0.1, (keyed, free)
    # Another key moves the music there: F# major shares only two pitch classes with C major.
    far = np.mean([in_key_share(rnn.generate(seconds=SECONDS, pitch_histogram="F# major", seed=s),
                                "F# major") for s in SEEDS])
    assert far > 0.8, far


def test_note_density_steers_how_busy_the_music_is(rnn):
    sparse = np.mean([notes_per_second(rnn.generate(seconds=SECONDS, notes_per_second=2, seed=s),
                                       SECONDS) for s in SEEDS])
    busy = np.mean([notes_per_second(rnn.generate(seconds=SECONDS, notes_per_second=8, seed=s),
                                     SECONDS) for s in SEEDS])
    assert busy > 2 * sparse, (sparse, busy)
    assert 1 < sparse < 4.5 and busy > 5, (sparse, busy)
