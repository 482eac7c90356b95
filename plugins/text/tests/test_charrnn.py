"""The char-RNN family: conformance, writing, priming, blending, streaming, training, errors."""
from __future__ import annotations

import random
import tempfile
import threading
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

import sketchml as sk
import sketchml_text
from sketchml.testing import ModelConformance
from sketchml_text.charrnn import CharRNNNet, bits_per_char, unigram_bits_per_char

SUBJECTS = ["the cat", "a dog", "my robot", "the moon", "an owl"]
VERBS = ["sees", "eats", "draws", "likes", "paints"]
OBJECTS = ["a fish", "the sun", "blue paint", "an apple", "the sea"]


def tiny_text(sentences: int = 160, seed: int = 0) -> str:
    """Sentences from a small grammar: order a char-RNN can learn in a few dozen steps."""
    rng = random.Random(seed)
    lines = []
    for _ in range(sentences):
        line = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}."
        lines.append(line[0].upper() + line[1:])
    return "\n".join(lines) + "\n"


TINY = {"hidden": 48, "layers": 1, "embedding": 16, "length": 32, "batch_size": 16,
        "lr": 0.01, "progress": False}


def random_weights(folder: Path, *, cell: str = "lstm", seed: int = 0) -> Path:
    torch.manual_seed(seed)
    net = CharRNNNet(sorted(set(tiny_text())), cell=cell, hidden=24, layers=2, embedding=8)
    path = folder / f"tiny-{cell}.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    return path


def make(cell: str = "lstm") -> sk.Model:
    registry = sk.Registry(discover=False)
    registry.register(sketchml_text)
    return registry.load("charrnn", weights=random_weights(Path(tempfile.mkdtemp()), cell=cell),
                         device="cpu")


class TestCharRNN(ModelConformance):
    plugin = sketchml_text
    model_name = "charrnn"
    generate_options = {"length": 40}

    @classmethod
    def make_model(cls):
        return make("lstm")

    def encode_input(self, model):
        return "The cat sees"

    def train_inputs(self, model, out):
        return tiny_text(40), {**TINY, "steps": 2}


class TestCharRNNGRU(TestCharRNN):
    @classmethod
    def make_model(cls):
        return make("gru")


@pytest.fixture(scope="module")
def rnn():
    return make("lstm")


# -- writing --------------------------------------------------------------------------------

def test_generate_starts_with_the_prefix_and_writes_max_length(rnn):
    text = rnn.generate(prompt="The cat", length=25, seed=1)
    assert isinstance(text, sk.Text) and text.prompt == "The cat"
    assert text.startswith("The cat") and len(text) == len("The cat") + 25
    assert set(text) <= set(rnn.chars)
    assert rnn.generate(prompt="The cat", length=0, seed=1) == "The cat"


def test_a_list_of_temperatures_is_cycled_character_by_character(rnn):
    # At a temperature near 0 the model writes its most likely next character: every other
    # character must be exactly that, while the ones in between are free.
    prefix = "The "
    text = rnn.generate(prompt=prefix, temperature=[1e-4, 5.0], length=30, seed=3)
    chars = rnn.chars
    for i in range(0, 30, 2):
        seen = prefix + text[len(prefix):len(prefix) + i]
        logits, _ = rnn._read(rnn._zero_state(1), [chars.index("\n")] + [chars.index(c) for c in seen], 1)
        assert text[len(prefix) + i] == chars[int(logits.argmax())], f"character {i}"
    wild = [text[len(prefix) + i] for i in range(1, 30, 2)]
    assert len(set(wild)) > 3, "the high temperature should scatter the odd characters"


def test_temperature_changes_how_wild_the_text_is(rnn):
    def spread(t: float) -> int:
        return len(set(rnn.generate(length=300, temperature=t, seed=5)))
    assert spread(0.05) < spread(3.0)


def test_generating_from_an_encoded_text_continues_it(rnn):
    primed = rnn.generate(prompt="A dog eats", length=30, seed=9)
    continued = rnn.generate(rnn.encode("A dog eats"), length=30, seed=9)[0]
    assert primed == "A dog eats" + continued


def test_encode_gives_one_state_per_text(rnn):
    z = rnn.encode(["The sun", "An owl paints"])
    assert len(z) == 2 and sorted(z.tensors) == ["c", "h"]
    assert z["h"].shape == (2, 2, 24)
    assert not torch.equal(z[0]["h"], z[1]["h"])
    one = rnn.encode("The sun")
    assert torch.allclose(one["h"], z[0]["h"], atol=1e-6)


def test_interpolating_texts_walks_between_their_states(rnn):
    walk = rnn.interpolate("The cat sees", "My robot paints", steps=5)
    a, b = rnn.encode("The cat sees"), rnn.encode("My robot paints")
    assert len(walk) == 5
    assert torch.equal(walk[0]["c"], a["c"]) and torch.equal(walk[-1]["h"], b["h"])
    middle = (a["h"] + b["h"]) / 2
    assert torch.allclose(walk[2]["h"], middle, atol=1e-6)
    texts = rnn.generate(walk, length=30, seed=2)
    assert len(texts) == 5 and all(isinstance(t, sk.Text) for t in texts)
    # The same random draws in every blend: each text is what that state alone writes.
    assert texts[4] == rnn.generate(b, length=30, seed=2)[0]
    assert texts[0] == rnn.generate(a, length=30, seed=2)[0]


def test_sample_latent_is_reproducible_and_varied(rnn):
    z = rnn.sample_latent(3, seed=4)
    assert torch.equal(z["h"], rnn.sample_latent(3, seed=4)["h"])
    assert not torch.equal(z[0]["h"], z[1]["h"])
    assert z.seed == 4 and z.family == "charrnn"


def test_states_of_another_model_are_refused(rnn):
    gru = make("gru")
    with pytest.raises(sk.SketchmlError, match="not a state of this char-RNN"):
        rnn.generate(gru.encode("The"), length=5)
    with pytest.raises(sk.SketchmlError, match="not a state"):
        rnn.generate(torch.zeros(1, 8), length=5)


# -- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("temperature", [0, -0.5, [0.5, 0.0], [], float("nan"), "hot"])
def test_temperatures_at_or_below_zero_are_refused(rnn, temperature):
    with pytest.raises(sk.SketchmlError, match="temperature"):
        rnn.generate(prompt="The", temperature=temperature, length=5)
    with pytest.raises(sk.SketchmlError, match="temperature"):
        rnn.stream(prompt="The", temperature=temperature, length=5)


def test_unseen_prefix_characters_are_listed_or_dropped(rnn):
    with pytest.raises(sk.SketchmlError) as caught:
        rnn.generate(prompt="Thé cat ☃ sees", length=5)
    message = str(caught.value)
    assert "'é'" in message and "'☃'" in message and "unknown='drop'" in message
    dropped = rnn.generate(prompt="Thé cat", length=5, seed=1, unknown="drop")
    assert dropped == rnn.generate(prompt="Th cat", length=5, seed=1).replace("Th cat", "Thé cat", 1) \
        or dropped.startswith("Thé cat")
    assert dropped[len("Thé cat"):] == rnn.generate(prompt="Th cat", length=5, seed=1)[len("Th cat"):]
    with pytest.raises(sk.SketchmlError, match="unknown='drop'"):
        rnn.encode("naïve")


def test_bad_lengths_and_options_are_refused(rnn):
    with pytest.raises(sk.SketchmlError, match="length"):
        rnn.generate(length=-1)
    with pytest.raises(sk.SketchmlError, match="unknown="):
        rnn.generate(prompt="x", unknown="ignore")
    with pytest.raises(sk.SketchmlError, match="Did you mean 'temperature'"):
        rnn.generate(temprature=0.5)


def test_a_missing_model_folder_says_how_to_make_one(tmp_path):
    registry = sk.Registry(discover=False)
    registry.register(sketchml_text)
    with pytest.raises(sk.SketchmlError) as caught:
        registry.load("charrnn", weights=tmp_path / "runs" / "nothing-here", device="cpu")
    assert "nothing-here" in str(caught.value)
    empty = tmp_path / "empty-run"
    empty.mkdir()
    with pytest.raises(sk.SketchmlError, match="sketchml train charrnn"):
        registry.load("charrnn", weights=empty, device="cpu")


def test_weights_in_another_layout_are_refused(tmp_path):
    path = tmp_path / "other.safetensors"
    save_file({"weight": torch.zeros(2, 2)}, str(path))
    registry = sk.Registry(discover=False)
    registry.register(sketchml_text)
    with pytest.raises(sk.SketchmlError, match="not char-RNN weights"):
        registry.load("charrnn", weights=path, device="cpu")


# -- streaming ---------------------------------------------------------------------------------

def test_stream_writes_the_same_text_as_generate(rnn):
    stream = rnn.stream(prompt="The moon", length=60, seed=11)
    assert "The moon" + stream.wait() == rnn.generate(prompt="The moon", length=60, seed=11)
    with_prefix = rnn.stream(prompt="The moon", length=10, seed=11, include_prompt=True)
    assert with_prefix.wait().startswith("The moon")


def test_stream_pieces_arrive_while_the_caller_keeps_going(rnn):
    stream = rnn.stream(length=3000, seed=1)
    frames, received, slowest = 0, [], 0.0
    deadline = time.monotonic() + 120
    while not stream.done and time.monotonic() < deadline:
        started = time.monotonic()
        piece = stream.poll()
        slowest = max(slowest, time.monotonic() - started)
        if piece:
            received.append(piece)
        frames += 1
        time.sleep(0.002)  # the rest of a sketch's frame
    received.append(stream.poll())
    text = "".join(received)
    assert len(text) == 3000 and text == stream.text
    # Many polls came back while the worker was still writing, and several of them brought
    # something new: the text arrived bit by bit, not all at the end.
    assert frames > 10 and sum(1 for piece in received if piece) > 3
    assert slowest < 1.0, f"a poll took {slowest:.2f} s: it must not wait for the worker"


def test_cancelling_a_stream_stops_the_writing(rnn):
    stream = rnn.stream(length=1_000_000, seed=1)
    while len(stream.text) < 20:
        time.sleep(0.001)
    stream.cancel()
    assert stream.done and stream.cancelled
    length = len(stream.text)
    time.sleep(0.05)
    assert len(stream.text) == length < 1_000_000


def test_stream_errors_reach_the_caller(rnn):
    with pytest.raises(sk.SketchmlError, match="one text"):
        rnn.stream(rnn.sample_latent(2, seed=0))
    with pytest.raises(sk.SketchmlError, match="never saw"):
        rnn.stream(prompt="☃")


def test_iterating_a_stream_gives_characters(rnn):
    pieces = list(rnn.stream(length=12, seed=6))
    assert len(pieces) == 12 and all(len(p) == 1 for p in pieces)


# -- training ----------------------------------------------------------------------------------

def test_training_learns_the_text(tmp_path):
    text = tiny_text(300)
    rnn = make("lstm")
    samples = []
    run = rnn.train(text, out=tmp_path / "run", steps=80, eval_every=10, sample_every=40,
                    sample_length=60, on_sample=lambda step, sample: samples.append((step, sample)),
                    seed=1, **TINY)
    measured = [r["val_bpc"] for r in run.history if "val_bpc" in r]
    assert len(measured) == 8
    train_part, val_part = text[: int(len(text) * 0.9)], text[int(len(text) * 0.9):]
    baseline = unigram_bits_per_char(val_part, reference=train_part)
    assert measured[-1] < measured[0] - 0.5, f"validation bpc did not fall: {measured}"
    assert measured[-1] < baseline - 0.7, f"{measured[-1]:.2f} bpc vs unigram {baseline:.2f}"
    assert [step for step, _ in samples] == [40, 80]
    assert (tmp_path / "run" / "samples" / "step-00000080.txt").read_text() == samples[-1][1]
    # The model in hand writes with the trained network, and so does one loaded from the folder.
    assert rnn.chars == "".join(sorted(set(text)))
    loaded = sk.model("charrnn", weights=tmp_path / "run", device="cpu")
    assert loaded.generate(prompt="The ", length=40, seed=3) == \
        rnn.generate(prompt="The ", length=40, seed=3)
    assert abs(loaded.bits_per_char(val_part) - measured[-1]) < 0.3


def test_training_resumes_where_it_stopped(tmp_path):
    text = tiny_text(120)
    options = {**TINY, "seed": 2, "eval_every": 5, "checkpoint_every": 5}
    calls = []

    def interrupt_after_ten() -> bool:
        calls.append(1)
        return len(calls) > 10

    first = make("lstm").train(text, out=tmp_path / "a", steps=20, should_stop=interrupt_after_ten,
                               **options)
    assert first.step == 10
    resumed = make("lstm")
    run = resumed.train(text, out=tmp_path / "a", steps=20, **options)
    straight = make("lstm")
    straight.train(text, out=tmp_path / "b", steps=20, **options)
    assert run.step == 20 and [r["step"] for r in run.history] == list(range(1, 21))
    for key, value in straight.network.state_dict().items():
        assert torch.allclose(value, resumed.network.state_dict()[key], atol=1e-5), key
    with pytest.raises(sk.SketchmlError, match="hidden=48"):
        make("lstm").train(text, out=tmp_path / "a", steps=30, **{**options, "hidden": 32})


def test_a_run_folder_without_the_export_loads_from_its_checkpoint(tmp_path):
    rnn = make("gru")
    rnn.train(tiny_text(60), out=tmp_path / "run", steps=3, cell="gru", **TINY)
    (tmp_path / "run" / "charrnn.safetensors").unlink()
    loaded = sk.model("charrnn", weights=tmp_path / "run", device="cpu")
    assert loaded.cell == "gru"
    assert loaded.generate(length=20, seed=1) == rnn.generate(length=20, seed=1)


def test_training_can_be_stopped_from_another_thread(tmp_path):
    stop = threading.Event()
    steps_seen = []

    def on_sample(step, sample):
        steps_seen.append(step)
        stop.set()

    run = make("lstm").train(tiny_text(60), out=tmp_path / "run", steps=500, sample_every=3,
                             on_sample=on_sample, should_stop=stop.is_set, **TINY)
    assert run.step == 3 and steps_seen == [3]
    assert (tmp_path / "run" / "charrnn.safetensors").is_file()


def test_training_files_must_be_text(tmp_path):
    rnn = make("lstm")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "picture.txt"
    binary.write_bytes(b"\x89PNG\x00\x00\x01" * 50)
    with pytest.raises(sk.SketchmlError, match="empty"):
        rnn.train(empty, out=tmp_path / "a", steps=1)
    with pytest.raises(sk.SketchmlError, match="binary"):
        rnn.train(str(binary), out=tmp_path / "b", steps=1)
    with pytest.raises(sk.SketchmlError, match="No text file at 'plays.txt'"):
        rnn.train("plays.txt", out=tmp_path / "c", steps=1)
    with pytest.raises(sk.SketchmlError, match="too few"):
        rnn.train("short text\n", out=tmp_path / "d", steps=1, length=64)
    with pytest.raises(sk.SketchmlError, match="out="):
        rnn.train(tiny_text(), steps=1)
    with pytest.raises(sk.SketchmlError, match="Did you mean 'gru'"):
        rnn.train(tiny_text(), out=tmp_path / "e", steps=1, cell="gur")
    assert not any((tmp_path / name).exists() for name in "abcde"), "bad data left a folder"


def test_bits_per_char_of_a_network_matches_a_direct_count():
    torch.manual_seed(0)
    net = CharRNNNet("ab", hidden=4, layers=1, embedding=2).eval()
    text = "abbaabab" * 5
    ids = torch.tensor([[0 if c == "a" else 1 for c in text]])
    logits, _ = net(ids[:, :-1])
    direct = torch.nn.functional.cross_entropy(logits[0], ids[0, 1:]).item() / torch.log(torch.tensor(2.0)).item()
    assert abs(bits_per_char(net, text, streams=1, chunk=7) - direct) < 1e-5
    assert abs(unigram_bits_per_char("aabb") - 1.0) < 1e-9


def test_sketchml_train_charrnn_on_a_file(tmp_path, sketchml_registry):
    import argparse

    cli_train = pytest.importorskip("sketchml.cli.train")
    sketchml_registry.register(sketchml_text)
    plays = tmp_path / "plays.txt"
    plays.write_text(tiny_text(80))
    parser = argparse.ArgumentParser()
    cli_train.register(parser.add_subparsers())
    args = parser.parse_args(["train", "charrnn", str(plays), "--out", str(tmp_path / "run"),
                              "--steps", "4", "--batch-size", "4", "--option", "hidden=16",
                              "--option", "layers=1", "--option", "length=16"])
    assert args.func(args) == 0
    trained = sk.model("charrnn", weights=tmp_path / "run", device="cpu")
    assert trained.chars == "".join(sorted(set(plays.read_text())))
    assert trained.network.hidden == 16


# -- the unified names (issue 9) and the old ones, kept for one release ---------------------------

def test_generate_gives_one_text_for_none_and_a_list_for_a_count_or_latent(rnn):
    one = rnn.generate(length=5, seed=1)
    assert isinstance(one, sk.Text) and one.seed == 1
    three = rnn.generate(3, length=5, seed=1)
    assert isinstance(three, list) and len(three) == 3 and all(t.seed == 1 for t in three)
    single = rnn.generate(rnn.encode("The"), length=5, seed=1)
    assert isinstance(single, list) and len(single) == 1


def test_an_unseeded_text_records_the_seed_that_writes_it_again(rnn):
    text = rnn.generate(prompt="The ", length=30)
    assert isinstance(text.seed, int)
    assert rnn.generate(prompt="The ", length=30, seed=text.seed) == text


@pytest.mark.parametrize(("old", "new"), [("prefix", "prompt"), ("max_length", "length")])
def test_old_generate_names_still_work_and_warn(rnn, old, new):
    values = {"prompt": "The ", "length": 12}
    with pytest.warns(FutureWarning, match=f"'{old}=' was renamed; use {new}="):
        text = rnn.generate(seed=2, **{old: values[new]})
    assert text == rnn.generate(seed=2, **{new: values[new]})
    with pytest.raises(sk.ApiUsageError, match=f"both {old}= and {new}="):
        rnn.generate(**{old: values[new], new: values[new]})


def test_old_stream_and_encode_names_still_work_and_warn(rnn):
    with pytest.warns(FutureWarning, match="'include_prefix=' was renamed; use include_prompt="):
        stream = rnn.stream(prompt="The ", length=5, seed=3, include_prefix=True)
    assert stream.wait(timeout=60) == rnn.generate(prompt="The ", length=5, seed=3)
    with pytest.warns(FutureWarning, match="'text=' was renamed; use data="):
        z = rnn.encode(text="The cat")
    assert torch.equal(z["h"], rnn.encode("The cat")["h"])
    with pytest.warns(FutureWarning, match="'net' was renamed; use .network"):
        assert rnn.net is rnn.network
