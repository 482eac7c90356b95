"""The embedded ``charrnn.default``: it loads with no network and, on fortunes it never read,
meets the figures its script recorded and beats two baselines fitted on its training text."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import sketchml as sk
import sketchml_text
from sketchml.testing import ModelConformance
from sketchml_text.charrnn import ngram_bits_per_char, unigram_bits_per_char
from sketchml_text.corpus import fortunes_folder, literary_corpus

RECORD = json.loads((Path(sketchml_text.__file__).parent / "weights" /
                     "charrnn-default.json").read_text())


class TestCharRNNDefault(ModelConformance):
    plugin = sketchml_text
    model_name = "charrnn"
    generate_options = {"length": 30}


@pytest.fixture(scope="module")
def default():
    registry = sk.Registry(discover=False)
    registry.register(sketchml_text)
    return registry.load("charrnn", device="cpu")


@pytest.fixture(scope="module")
def corpus():
    if fortunes_folder() is None:
        pytest.skip("the held-out text is read from Debian's 'fortunes' package, which is not "
                    "installed (scripts/setup.sh installs it)")
    return literary_corpus(seed=RECORD["corpus"]["seed"],
                           validation=RECORD["corpus"]["validation"])


def test_the_default_is_the_shipped_lstm_and_finished_its_schedule(default):
    assert default.name == "charrnn.default" and default.cell == "lstm"
    assert default.network.hidden == RECORD["recipe"]["hidden"]
    assert default.network.layers == RECORD["recipe"]["layers"]
    # The script ships only a finished schedule (the step count is its budget).
    assert RECORD["step"] == 2000


def test_held_out_bits_per_char_match_the_record_and_beat_the_baselines(default, corpus):
    measured = default.bits_per_char(corpus.validation, unknown="drop")
    if len(corpus.validation) == RECORD["corpus"]["validation_chars"]:
        # The same package release gives the same held-out fortunes: the figure is reproduced.
        assert measured == pytest.approx(RECORD["val_bpc"], abs=0.01)
    else:
        # Another release of the package holds out some other fortunes.
        assert measured <= RECORD["val_bpc"] + 0.15
    unigram = unigram_bits_per_char(corpus.validation, reference=corpus.train)
    assert measured < unigram - 1.5, (
        f"{measured:.3f} bpc is not clearly better than letter frequencies ({unigram:.3f})")
    ngram = ngram_bits_per_char(corpus.validation, reference=corpus.train,
                                order=RECORD["ngram_order"])
    assert ngram == pytest.approx(RECORD["ngram_bpc"], abs=0.15)
    # The recorded network is ahead of the 5-gram only by a little (2.41 vs 2.43 bpc).
    assert measured < ngram, (
        f"{measured:.3f} bpc is no better than a character {RECORD['ngram_order']}-gram "
        f"model fitted on the same training text ({ngram:.3f})")

def test_the_default_writes_words_it_has_read(default, corpus):
    # Verse and quotations are made of common English words: a model that has learnt them
    # writes mostly real ones, where random characters would hit almost none.
    text = default.generate(prompt="The ", length=400, temperature=0.5, seed=0)
    corpus_words = {w.strip(".,:;!?()'\"-").lower() for w in corpus.train.split()}
    words = [w.strip(".,:;!?()'\"-").lower() for w in text.split()]
    words = [w for w in words if w]
    known = sum(1 for word in words if word in corpus_words)
    assert known / len(words) > 0.8, f"only {known} of {len(words)} words are real: {text!r}"
