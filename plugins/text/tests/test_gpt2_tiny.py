"""The shipped tiny GPT-2 meets the validation loss its training script recorded."""
from __future__ import annotations

import json
import platform
from pathlib import Path

import pytest
import torch

import sketchml as sk
import sketchml_text
from sketchml_text.corpus import build_corpus
from sketchml_text.gpt2 import token_loss, unigram_loss

FOLDER = Path(sketchml_text.__file__).parent / "weights" / "gpt2-tiny"
RECORD = json.loads((FOLDER / "training.json").read_text())


@pytest.fixture(scope="module")
def measured():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        registry = sk.Registry(discover=False)
        registry.register(sketchml_text)
        gpt = registry.load("gpt2.tiny", device="cpu")
        corpus = build_corpus(max_chars=RECORD["corpus"]["max_chars"],
                              seed=RECORD["corpus"]["seed"])
        encode = lambda text: torch.tensor(gpt.tokenizer(text)["input_ids"])  # noqa: E731
        train_ids, val_ids = encode(corpus.train), encode(corpus.validation)
        loss = token_loss(gpt.network, val_ids, length=RECORD["eval_length"])
        unigram = unigram_loss(train_ids, val_ids, vocab_size=len(gpt.tokenizer))
    finally:
        torch.set_num_threads(threads)
    return {"loss": loss, "unigram": unigram, "val_tokens": len(val_ids)}


def test_validation_loss_matches_the_record(measured):
    if platform.python_version() == RECORD["python"]:
        # Same standard library, same corpus: the figure is reproduced, not just bounded.
        assert measured["val_tokens"] == RECORD["validation_tokens"]
        assert measured["loss"] == pytest.approx(RECORD["validation_loss"], abs=2e-3)
    else:
        # Another Python ships other docstrings; the model must still be as good on them.
        assert measured["loss"] <= RECORD["validation_loss"] + 0.15


def test_the_model_beats_the_unigram_baseline_by_a_wide_margin(measured):
    assert measured["unigram"] == pytest.approx(RECORD["unigram_loss"], abs=0.15)
    # A model that learned nothing of word order scores the unigram loss; ours is a nat
    # per token better (e^1 ~ 2.7 times less perplexed).
    assert measured["loss"] < measured["unigram"] - 1.0


def test_the_record_says_how_the_model_was_made():
    assert RECORD["validation_loss"] < RECORD["unigram_loss"]
    assert 0 < RECORD["validation_bits_per_char"] < 3.0
    assert RECORD["parameters"] < 5_000_000
    config = json.loads((FOLDER / "config.json").read_text())
    assert config["model_type"] == "gpt2" and config["vocab_size"] == RECORD["vocab"]
