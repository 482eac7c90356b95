"""The gpt2 family on the embedded tiny model: conformance, sampling, latents, streaming, errors."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import torch

import sketchml as sk
import sketchml_text
from sketchml.testing import ModelConformance

PROMPT = "Return the"


class TestGPT2Tiny(ModelConformance):
    plugin = sketchml_text
    model_name = "gpt2"
    generate_options = {"prompt": PROMPT, "length": 12}

    def train_inputs(self, model, out):
        text = out.parent / "lines.txt"
        text.write_text("the owl sings to the moon and the moon answers\n" * 30)
        return text, {"steps": 2, "length": 16, "batch_size": 2, "progress": False}


@pytest.fixture(scope="module")
def gpt():
    registry = TestGPT2Tiny.plugin_registry()
    return registry.load("gpt2", device="cpu")


def continuation(text: str) -> str:
    assert text.startswith(PROMPT)
    return text[len(PROMPT):]


def test_tiny_is_transformers_gpt2_from_the_package(gpt):
    from transformers import GPT2LMHeadModel

    assert isinstance(gpt.network, GPT2LMHeadModel)
    assert Path(gpt.source) == Path(sketchml_text.__file__).parent / "weights" / "gpt2-tiny"
    assert sum(p.numel() for p in gpt.network.parameters()) < 5_000_000


def test_top_k_1_is_transformers_greedy_search(gpt):
    ids = gpt.tokenizer(PROMPT, return_tensors="pt")
    greedy = gpt.network.generate(**ids, do_sample=False, max_new_tokens=15, pad_token_id=0)
    expected = gpt.tokenizer.decode(greedy[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
    for seed, temperature in ((1, 0.8), (2, 1.5)):
        ours = gpt.generate(prompt=PROMPT, top_k=1, temperature=temperature, length=15,
                            seed=seed)
        assert continuation(ours) == expected


def test_tiny_top_p_keeps_only_the_likeliest_token(gpt):
    greedy = gpt.generate(prompt=PROMPT, top_k=1, length=15, seed=0)
    nucleus = gpt.generate(prompt=PROMPT, top_k=None, top_p=1e-6, length=15, seed=9)
    assert nucleus == greedy
    assert gpt.generate(prompt=PROMPT, top_k=None, top_p=1.0, length=15, seed=9) != greedy


def test_seed_reproduces_and_leaves_torch_random_state_alone(gpt):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = gpt.generate(prompt=PROMPT, length=20, seed=11)
    assert torch.equal(torch.rand(3), expected)
    assert gpt.generate(prompt=PROMPT, length=20, seed=11) == first
    assert gpt.generate(prompt=PROMPT, length=20, seed=12) != first
    assert first.prompt == PROMPT


def test_stop_strings_cut_at_the_first_one(gpt):
    full = continuation(gpt.generate(prompt=PROMPT, length=40, seed=3, temperature=1.0))
    assert len(full) > 20, full
    early, late = full[6:8], full[15:18]
    cut = full[:full.find(early)]
    assert continuation(gpt.generate(prompt=PROMPT, length=40, seed=3, temperature=1.0,
                                     stop=early)) == cut
    both = gpt.generate(prompt=PROMPT, length=40, seed=3, temperature=1.0,
                        stop=[late, early])
    assert continuation(both) == full[:min(full.find(early), full.find(late))]


def test_repetition_penalty_breaks_greedy_loops(gpt):
    plain = gpt.tokenizer(gpt.generate(prompt=PROMPT, top_k=1, length=40, seed=0))
    penalised = gpt.tokenizer(gpt.generate(prompt=PROMPT, top_k=1, length=40, seed=0,
                                           repetition_penalty=3.0))
    assert len(set(penalised["input_ids"])) > len(set(plain["input_ids"]))


def test_max_new_tokens_is_kept_and_capped_by_the_context(gpt):
    text = gpt.generate(prompt=PROMPT, length=5, seed=1)
    assert len(gpt.tokenizer(continuation(text))["input_ids"]) <= 6
    long = gpt.generate(prompt=PROMPT, length=100_000, seed=1, top_k=1)
    assert len(gpt.tokenizer(long)["input_ids"]) <= gpt.network.config.n_positions + 2


@pytest.mark.parametrize("knob, value, words", [
    ("temperature", 0, "above 0"),
    ("temperature", -1.0, "top_k=1"),
    ("top_k", 0, "top_k"),
    ("top_p", 0.0, "top_p"),
    ("repetition_penalty", 0, "repetition_penalty"),
    ("length", 0, "length"),
    ("stop", [""], "stop"),
])
def test_bad_knobs_are_refused_clearly(gpt, knob, value, words):
    with pytest.raises(sk.SketchmlError, match=words):
        gpt.generate(prompt=PROMPT, **{knob: value})
    with pytest.raises(sk.SketchmlError, match=words):
        gpt.stream(prompt=PROMPT, **{knob: value})


def test_misspelt_knob_gets_did_you_mean(gpt):
    with pytest.raises(sk.SketchmlError, match="temperature"):
        gpt.generate(prompt=PROMPT, temprature=0.5)


def test_encode_gives_the_prompt_embeddings_and_a_sentence_vector(gpt):
    z = gpt.encode(PROMPT)
    n_tokens = len(gpt.tokenizer(PROMPT)["input_ids"])
    width = gpt.network.config.n_embd
    assert z["inputs_embeds"].shape == (1, n_tokens, width)
    assert z["embedding"].shape == (1, width)
    assert z.metadata["texts"] == [PROMPT] and z.family == "gpt2"
    from_latent = gpt.generate(z, length=15, seed=4)[0]
    assert from_latent == continuation(gpt.generate(prompt=PROMPT, length=15, seed=4))
    assert from_latent.latent is not None
    both = gpt.encode(["A", PROMPT + " value of the"])
    assert len(both) == 2 and both["inputs_embeds"].shape[1] > n_tokens


def test_similar_texts_have_closer_embeddings(gpt):
    a, b, c = (gpt.encode(t)["embedding"][0] for t in (
        "Return the number of items in the list.",
        "Return the number of elements in the list.",
        "}}}} ((((( ;;;; 9999"))
    cos = torch.nn.functional.cosine_similarity
    assert cos(a, b, dim=0) > cos(a, c, dim=0)


def test_interpolate_walks_between_two_prompts(gpt):
    short, long = "The moon", "A file object with a name"
    walk = gpt.interpolate(short, long, steps=5)
    assert isinstance(walk, sk.Latent) and len(walk) == 5
    end = gpt.encode(long)
    assert torch.allclose(walk[-1]["inputs_embeds"], end["inputs_embeds"], atol=1e-6)
    assert gpt.generate(walk[-1], length=10, seed=2) == \
        gpt.generate(end, length=10, seed=2)
    middle = walk["inputs_embeds"][2]
    assert not torch.allclose(middle, walk["inputs_embeds"][0])
    assert not torch.allclose(middle, end["inputs_embeds"][0])
    texts = gpt.generate(walk, length=6, seed=1)
    assert isinstance(texts, list) and len(texts) == 5 and all(isinstance(t, str) for t in texts)
    with pytest.raises(sk.SketchmlError, match="two texts"):
        gpt.interpolate(gpt.encode(["a", "b"]), long)


def test_stream_yields_the_generated_text_piece_by_piece(gpt):
    expected = gpt.generate(prompt=PROMPT, length=25, seed=6)
    stream = gpt.stream(prompt=PROMPT, length=25, seed=6)
    assert PROMPT + stream.wait(timeout=60) == expected
    assert stream.done and len(stream.pieces) > 5
    with_prompt = gpt.stream(prompt=PROMPT, length=25, seed=6, include_prompt=True)
    assert with_prompt.wait(timeout=60) == expected
    walk = gpt.interpolate("The moon", PROMPT, steps=3)
    assert gpt.stream(walk[1], length=10, seed=2).wait(timeout=60) == \
        gpt.generate(walk[1], length=10, seed=2)[0]
    with pytest.raises(sk.SketchmlError, match="one text"):
        gpt.stream(walk, length=10)


def test_stream_poll_never_waits_and_stops_at_a_stop_string(gpt):
    full = continuation(gpt.generate(prompt=PROMPT, length=40, seed=3, temperature=1.0))
    stop = full[10:12]
    stream = gpt.stream(prompt=PROMPT, length=40, seed=3, temperature=1.0, stop=stop)
    seen = ""
    polls = 0
    while not stream.done:
        seen += stream.poll()
        polls += 1
        time.sleep(0.001)
    seen += stream.poll()
    assert seen == full[:full.find(stop)] and polls > 1


def test_cancel_stops_the_model(gpt):
    full_length = 200
    stream = gpt.stream(prompt=PROMPT, length=full_length, seed=1, top_k=None,
                        temperature=1.5, stop=None)
    for _ in stream:
        break
    stream.cancel(wait=10)
    assert stream.done and stream.cancelled
    time.sleep(0.2)
    assert not [t for t in threading.enumerate() if t.name.endswith("-generate")]
    written = gpt.tokenizer(stream.text)["input_ids"]
    assert len(written) < full_length - 20


def test_missing_hub_model_offline_names_files_and_places(monkeypatch, tmp_path):
    monkeypatch.setenv("SKETCHML_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("SKETCHML_OFFLINE", "1")
    registry = TestGPT2Tiny.plugin_registry()
    with pytest.raises(sk.SketchmlError) as caught:
        registry.load("gpt2.gpt2", device="cpu")
    message = str(caught.value)
    for words in ("config.json", "model.safetensors", "tokenizer.json", "hf download gpt2",
                  str(tmp_path / "home" / "weights" / "gpt2" / "gpt2"), "weights="):
        assert words in message, message


def test_missing_hub_id_or_folder_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    registry = TestGPT2Tiny.plugin_registry()
    with pytest.raises(sk.SketchmlError, match="hf download someone/poet"):
        registry.load("gpt2", weights="someone/poet", device="cpu")
    (tmp_path / "empty").mkdir()
    with pytest.raises(sk.SketchmlError, match="no config.json"):
        registry.load("gpt2", weights=tmp_path / "empty", device="cpu")
    with pytest.raises(sk.SketchmlError, match="Check the path"):
        registry.load("gpt2", weights=str(tmp_path / "not" / "here"), device="cpu")


def test_a_model_folder_loads_by_path(gpt):
    again = TestGPT2Tiny.plugin_registry().load("gpt2", weights=gpt.source / "model.safetensors",
                                                device="cpu")
    assert again.generate(prompt=PROMPT, length=8, seed=1) == \
        gpt.generate(prompt=PROMPT, length=8, seed=1)


@pytest.mark.parametrize("content, words", [(b"", "empty"), (b"\x00\x01\x02binary" * 50, "binary")])
def test_training_on_an_empty_or_binary_file_is_refused(gpt, tmp_path, content, words):
    data = tmp_path / "data.txt"
    data.write_bytes(content)
    with pytest.raises(sk.SketchmlError, match=words):
        gpt.train(data, out=tmp_path / "run", steps=1)


def test_docstring_examples_run():
    import doctest

    import sketchml_text.gpt2

    result = doctest.testmod(sketchml_text.gpt2)
    assert result.attempted > 10 and result.failed == 0


# -- the unified names (issue 9) and the old ones, kept for one release ---------------------------

def test_generate_with_a_count_writes_that_many_texts_like_a_gan(gpt):
    texts = gpt.generate(3, prompt=PROMPT, length=6, seed=5)
    assert isinstance(texts, list) and len(texts) == 3
    assert [t.seed for t in texts] == [5, 6, 7]
    assert texts[1] == gpt.generate(prompt=PROMPT, length=6, seed=6)
    assert isinstance(gpt.generate(length=3), sk.Text)


def test_old_names_still_work_and_warn(gpt):
    with pytest.warns(FutureWarning, match="'max_new_tokens=' was renamed; use length="):
        old = gpt.generate(prompt=PROMPT, max_new_tokens=6, seed=1)
    assert old == gpt.generate(prompt=PROMPT, length=6, seed=1)
    with pytest.warns(FutureWarning, match="'max_new_tokens=' was renamed; use length="):
        stream = gpt.stream(prompt=PROMPT, max_new_tokens=6, seed=1)
    assert PROMPT + stream.wait(timeout=60) == old
    with pytest.warns(FutureWarning, match="'lm' was renamed; use .network"):
        assert gpt.lm is gpt.network
