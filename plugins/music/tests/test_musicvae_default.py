"""musicvae.default: reconstruction and interpolation on melodies from Bach pieces it never saw.

Judged by the melodies themselves: the share of sixteenth steps that come back right, against
always answering "hold" (the commonest step) and against decoding another melody's latent.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import sketchml as sk
from sketchml_music.corpus import bach_pieces
from sketchml_music.musicvae import HOLD, MelodyCoding, melody_windows, reconstruction_accuracy

RECORD = json.loads((Path(__import__("sketchml_music").__file__).parent / "weights"
                     / "musicvae-default.json").read_text())


@pytest.fixture(scope="module")
def vae():
    return sk.model("musicvae", device="cpu")


@pytest.fixture(scope="module")
def held():
    names = set(RECORD["pieces"]["held_out_names"])
    coding = MelodyCoding()
    return [w for p in bach_pieces() if p.name in names for part in p.parts
            for w in melody_windows(part, coding, hop=16)]


def test_held_out_melodies_come_back_from_their_latents(vae, held):
    assert len(held) == RECORD["held_out_windows"]
    accuracy = reconstruction_accuracy(vae.network, held)
    assert accuracy == pytest.approx(RECORD["reconstruction_accuracy"], abs=0.01)
    hold = sum(v == HOLD for m in held for v in m) / (32 * len(held))
    assert accuracy > hold + 0.15, (accuracy, hold)
    assert accuracy > RECORD["swapped_baseline"] + 0.1


def test_a_walk_moves_from_the_first_melody_to_the_last(vae, held):
    half = len(held) // 2
    first_row, last_row = [], []
    for i in range(8):
        a, b = held[i * half // 8], held[half + i * half // 8]
        walk = vae.interpolate(sk.Notes(vae.coding.decode(a)), sk.Notes(vae.coding.decode(b)),
                               steps=5)
        decoded = [vae.coding.encode(n) for n in vae.generate(walk, temperature=1e-3, seed=0)]
        first_row.append([sum(x == y for x, y in zip(d, a)) / 32 for d in decoded])
        last_row.append([sum(x == y for x, y in zip(d, b)) / 32 for d in decoded])
    to_first = torch.tensor(first_row).mean(0)
    to_last = torch.tensor(last_row).mean(0)
    assert to_first[0] > to_first[-1] + 0.15 and to_last[-1] > to_last[0] + 0.15, (to_first, to_last)
    assert to_first[2] < to_first[0] and to_last[2] < to_last[-1]
