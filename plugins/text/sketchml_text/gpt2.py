"""GPT-2 and any causal language model, through Hugging Face transformers.

GPT-2 (Radford et al. 2019, "Language Models are Unsupervised Multitask Learners") is a
decoder-only transformer. This family loads transformers' ``AutoModelForCausalLM`` and
``AutoTokenizer`` from a Hugging Face model folder (``config.json``, ``model.safetensors``
or ``pytorch_model.bin``, and the tokenizer's files), so OpenAI's published ``gpt2``
checkpoints, any hub id of a causal LM and folders written by ``train`` all load unchanged.
transformers reads ``model.safetensors`` when there is one, and ``pytorch_model.bin`` with
``torch.load(weights_only=True)`` otherwise; no code from a model folder is ever run
(``trust_remote_code`` stays off).

The embedded ``tiny`` variant is transformers' own ``GPT2LMHeadModel`` with a small config
and a byte-level BPE tokenizer trained with the ``tokenizers`` library, both trained by
``scripts/train_gpt2_tiny.py`` on verse and prose from Debian's ``fortunes`` package
(:func:`sketchml_text.corpus.literary_corpus`); its loss on held-out fortunes and two
baselines are recorded in ``weights/gpt2-tiny/training.json``.
"""
from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from transformers import (AutoModelForCausalLM, AutoTokenizer, LogitsProcessor,
                          LogitsProcessorList, StoppingCriteria, StoppingCriteriaList)
from transformers.generation.streamers import BaseStreamer

import sketchml as sk
from sketchml.plugin import (TextFile, TrainingRun, TrainSettings, deprecated_alias,
                             latest_checkpoint, offline, renamed, setting)

__all__ = ["GPT2", "bits_per_char", "save_model_folder", "token_loss", "unigram_loss"]

# The files of a Hugging Face causal-LM folder, named in the message when one is missing.
_FOLDER_FILES = "config.json, model.safetensors (or pytorch_model.bin) and the tokenizer " \
                "(tokenizer.json, or vocab.json + merges.txt)"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[A-Za-z0-9][\w.\-]*)?$")


def _is_model_folder(folder: Path) -> bool:
    return (folder / "config.json").is_file()


def _hf_cache() -> str:
    from huggingface_hub import constants

    return str(constants.HF_HUB_CACHE)


def _load_pretrained(source: str | Path, device: torch.device) -> tuple[Any, Any]:
    """transformers' model and tokenizer from a local folder or a hub id (cache first)."""
    local = isinstance(source, Path)
    only_cache = local or offline()
    dtype = torch.float32 if device.type == "cpu" else "auto"
    try:
        lm = AutoModelForCausalLM.from_pretrained(str(source), local_files_only=only_cache,
                                                  trust_remote_code=False, dtype=dtype)
        tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=only_cache,
                                                  trust_remote_code=False)
    except (OSError, ValueError) as err:
        if local:
            raise sk.SketchmlError(
                f"{str(source)!r} is not a causal language model folder transformers can load "
                f"({type(err).__name__}: {str(err).strip().splitlines()[0][:300]}). A model folder "
                f"holds {_FOLDER_FILES}."
            ) from err
        reason = str(err).strip().splitlines()[0][:200]
        where = "the hub is offline (SKETCHML_OFFLINE or HF_HUB_OFFLINE is set)" if offline() \
            else f"downloading failed ({type(err).__name__}: {reason})"
        raise sk.SketchmlError(
            f"{str(source)!r} is not a folder on this machine, and as a Hugging Face hub id it is "
            f"not in the cache ({_hf_cache()}) and {where}. If it is a folder, check the path. If "
            f"it is a hub model, download it where there is a network: `hf download {source}` "
            f"fills the cache, or `hf download {source} --local-dir FOLDER` and pass "
            f"weights='FOLDER'. The folder needs {_FOLDER_FILES}."
        ) from err
    lm.to(device).eval()
    return lm, tokenizer


class _Encoder:
    """A transformers tokenizer as sketchml's ``TextFile`` wants it: encode, decode, vocab_size."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.vocab_size = len(tokenizer)

    def encode(self, text: str) -> list[int]:
        # A training file is longer than the model's context; the windows are cut later.
        return self.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]

    def decode(self, ids: Any) -> str:
        return self.tokenizer.decode(list(ids), clean_up_tokenization_spaces=False)


class _Sampler(LogitsProcessor):
    """Temperature, top-k and top-p, then one draw from this call's own ``torch.Generator``.

    The scores handed back are ``-inf`` everywhere but the drawn token, so transformers'
    greedy search keeps it: sampling is reproducible by seed and independent of torch's
    global random state (which a sketch's own ``random()`` calls may use on another thread).
    """

    def __init__(self, generator: torch.Generator, *, temperature: float, top_k: int | None,
                 top_p: float) -> None:
        self.generator = generator
        self.temperature = temperature
        self.top_k = top_k
        self.top_p = top_p

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        logits = scores.float() / self.temperature
        if self.top_k is not None and self.top_k < logits.shape[-1]:
            kth = torch.topk(logits, self.top_k, dim=-1).values[..., -1:]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        if self.top_p < 1.0:
            ordered, order = torch.sort(logits, descending=True, dim=-1)
            cumulative = ordered.softmax(dim=-1).cumsum(dim=-1)
            # Drop a token once the tokens before it already reach top_p; the first stays.
            drop = (cumulative - ordered.softmax(dim=-1)) >= self.top_p
            logits = logits.masked_fill(drop.scatter(-1, order, drop), float("-inf"))
        # Inverse-CDF draw: one uniform per row from our generator (several times cheaper
        # than torch.multinomial); `right=True` never picks a token of probability 0.
        cdf = logits.softmax(dim=-1).double().cpu().cumsum(dim=-1)
        u = torch.rand(cdf.shape[0], 1, generator=self.generator, dtype=torch.float64)
        chosen = torch.searchsorted(cdf, u * cdf[:, -1:], right=True)
        chosen = chosen.clamp_(max=cdf.shape[-1] - 1).to(scores.device)
        out = torch.full_like(scores, float("-inf"))
        return out.scatter_(1, chosen, 0.0)


def _first_stop(text: str, stops: Sequence[str]) -> int | None:
    found = [i for i in (text.find(s) for s in stops) if i >= 0]
    return min(found) if found else None


class _Pieces(BaseStreamer):
    """Turns the token ids ``generate`` makes into text pieces, cut at the first stop string.

    Everything already handed out is final: a trailing half of a multi-byte character, or
    an ending that could be the start of a stop string, waits for the next token.
    """

    def __init__(self, tokenizer: Any, *, skip_prompt: bool, stops: Sequence[str],
                 emit: Callable[[str], None] | None = None) -> None:
        self.tokenizer = tokenizer
        self.skip_prompt = skip_prompt
        self.stops = list(stops)
        self.emit = emit
        self.ids: list[int] = []
        self.text = ""
        self.sent = 0
        self.stopped = False

    def put(self, value: torch.Tensor) -> None:
        if self.skip_prompt:
            self.skip_prompt = False
            return
        if self.stopped:
            return
        self.ids.extend(value.reshape(-1).tolist())
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True,
                                     clean_up_tokenization_spaces=False)
        cut = _first_stop(text, self.stops)
        if cut is not None:
            text = text[:cut]
            self.stopped = True
        self.text = text
        self._send(len(text) if self.stopped else self._settled(text))

    def end(self) -> None:
        self._send(len(self.text))

    def _settled(self, text: str) -> int:
        """How much of ``text`` can no longer change: all but a trailing partial character
        or the longest ending that could grow into a stop string."""
        settled = len(text.rstrip("\ufffd"))
        hold = 0
        for stop in self.stops:
            for size in range(min(len(stop) - 1, settled), 0, -1):
                if text[:settled].endswith(stop[:size]):
                    hold = max(hold, size)
                    break
        return settled - hold

    def _send(self, upto: int) -> None:
        if upto > self.sent:
            piece = self.text[self.sent:upto]
            self.sent = upto
            if self.emit is not None:
                self.emit(piece)


class _Until(StoppingCriteria):
    """Stops generation once a stop string was written or the stream was cancelled."""

    def __init__(self, pieces: _Pieces | None, cancelled: threading.Event | None) -> None:
        self.pieces = pieces
        self.cancelled = cancelled

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor,
                 **kwargs: Any) -> torch.Tensor:
        done = bool((self.pieces is not None and self.pieces.stopped)
                    or (self.cancelled is not None and self.cancelled.is_set()))
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


def _check_knobs(temperature: Any, top_k: Any, top_p: Any, repetition_penalty: Any,
                 length: Any, stop: Any) -> list[str]:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) \
            or not temperature > 0 or math.isinf(temperature):
        raise sk.SketchmlError(
            f"temperature must be a number above 0, got {temperature!r}: around 0.7 is careful, "
            f"1.0 samples as the model learned, 1.5 is wild. For the single most likely "
            f"continuation use top_k=1."
        )
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise sk.SketchmlError(f"top_k must be a whole number >= 1 (1 is greedy), or None to "
                               f"keep every token; got {top_k!r}.")
    if isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0 < top_p <= 1:
        raise sk.SketchmlError(f"top_p must be above 0 and at most 1 (1 keeps every token, 0.9 "
                               f"keeps the likeliest 90% of the probability); got {top_p!r}.")
    if isinstance(repetition_penalty, bool) or not isinstance(repetition_penalty, (int, float)) \
            or not repetition_penalty > 0:
        raise sk.SketchmlError(f"repetition_penalty must be above 0 (1.0 is none, 1.2 discourages "
                               f"repeats); got {repetition_penalty!r}.")
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise sk.SketchmlError(f"length (new tokens to write) must be a whole number >= 1, "
                               f"got {length!r}.")
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    if not all(isinstance(s, str) and s for s in stops):
        raise sk.SketchmlError(f"stop must be a non-empty string or a list of them (e.g. "
                               f"stop=['\\n\\n', '.']); got {stop!r}.")
    return stops


def _schedule(steps: int) -> Callable[[int], float]:
    """Learning-rate factor: a short linear warm-up, then a cosine down to a tenth."""
    warmup = max(1, steps // 20)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, steps - warmup)
        return 0.1 + 0.45 * (1 + math.cos(math.pi * min(progress, 1.0)))

    return factor


@dataclass
class GPT2Training(TrainSettings):
    """What ``GPT2.train`` and ``sketchml train gpt2`` take (fine-tuning)."""

    steps: int = setting(300, "optimisation steps in all; training again into the same folder "
                              "with more steps trains further")
    batch_size: int = setting(8, "windows of text per step")
    base: str | None = setting(None, "what to fine-tune: a variant of this family ('tiny', "
                                     "'gpt2'), a model folder or a hub id (default: the model "
                                     "trained); a resumed run keeps its base")
    length: int = setting(128, "tokens per window (at most the model's context)")
    lr: float = setting(1e-4, "AdamW learning rate, warmed up then decayed along a cosine to a "
                              "tenth; small models such as tiny like 1e-3")
    validation: float = setting(0.1, "fraction of the file held out, from its end, to measure "
                                     "the validation loss (0: none), logged as val_loss")
    eval_every: int | None = setting(None, "steps between validation measurements (default: "
                                           "ten over the run)")
    sample_prompt: str = setting("", "the prompt samples written to OUT/samples/ start from")


class GPT2(sk.Model):
    """GPT-2 or any causal language model from transformers: prompts in, text out.

    ``sk.model("gpt2")`` is the embedded ``tiny`` model (runs offline, writes odd English
    about files, parsers and arguments); ``sk.model("gpt2.gpt2")`` is OpenAI's 124M model
    from ``~/.cache/sketchml/weights/gpt2/gpt2/``, the Hugging Face cache or the hub;
    ``sk.model("gpt2", weights=X)`` loads ``X``: a model folder (one written by
    :meth:`train` included) or a hub id of any causal LM (``"distilgpt2"``,
    ``"EleutherAI/pythia-70m"``). Offline, a model that is not on the machine is an error
    naming the files to download and where to put them.

    Attributes:
        network: the transformers model (``AutoModelForCausalLM``), in eval mode.
        tokenizer: its tokenizer (``AutoTokenizer``).
        source: where it was loaded from: a folder (``Path``) or a hub id.

    Examples:
        >>> import sketchml as sk
        >>> gpt = sk.model("gpt2", device="cpu")
        >>> poem = gpt.generate(prompt="The moon", length=12, seed=1)
        >>> poem.startswith("The moon"), poem.prompt
        (True, 'The moon')
    """

    interpolation = "lerp"
    TrainSettings = GPT2Training
    lm = deprecated_alias("network")
    hints = {"sample_latent": "write from a prompt with generate(prompt=...), or from "
                              "encode(text) / interpolate(a, b) latents"}

    def load(self) -> None:
        self.source = self._locate()
        self.network, self.tokenizer = _load_pretrained(self.source, self.device)

    def _locate(self) -> Path | str:
        if self.weights is not None:
            return _given_source(self.weights)
        found = self.weights_path()
        if _is_model_folder(found.parent):
            return found.parent
        if self.variant.hub_id:
            # Only the weights file came from the hub cache; transformers finds the rest.
            return self.variant.hub_id
        raise sk.SketchmlError(f"{found.parent} holds {found.name} but no config.json; a model "
                               f"folder needs {_FOLDER_FILES}.")

    def __repr__(self) -> str:
        return f"<GPT2 {self.name!r} from {str(self.source)!r} on {self.device}>"

    # -- prompts and latents ---------------------------------------------------------------

    def _ids(self, text: str) -> torch.Tensor:
        if not isinstance(text, str):
            raise sk.SketchmlError(f"Expected text (a str), got {type(text).__name__}.")
        ids = self.tokenizer(text)["input_ids"] if text else []
        if not ids:
            # Nothing to continue from: start as a document starts, after the end-of-text token.
            start = self.tokenizer.bos_token_id
            start = self.tokenizer.eos_token_id if start is None else start
            if start is None:
                raise sk.SketchmlError("This tokenizer has no start token; give a prompt.")
            ids = [start]
        return torch.tensor([ids], dtype=torch.long, device=self.device)

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        return self.network.get_input_embeddings()(ids)

    def _pad_left(self, embeds: torch.Tensor, length: int) -> torch.Tensor:
        missing = length - embeds.shape[1]
        if missing <= 0:
            return embeds
        pad_id = self.tokenizer.eos_token_id
        pad_id = self.tokenizer.bos_token_id if pad_id is None else pad_id
        pad = self._embed(torch.full((1, missing), pad_id or 0, device=self.device))
        return torch.cat([pad.expand(embeds.shape[0], -1, -1).to(embeds.dtype), embeds], dim=1)

    @torch.no_grad()
    def encode(self, data: str | Sequence[str]) -> sk.Latent:
        """A text as a latent: ``"inputs_embeds"`` to write from, ``"embedding"`` to compare.

        * ``z["inputs_embeds"]`` ``(N, T, D)``: the prompt's token input embeddings (what the
          transformer reads, before position embeddings). ``generate(z)`` continues the text
          exactly as ``generate(prompt=text)`` would; :meth:`interpolate` blends these.
        * ``z["embedding"]`` ``(N, D)``: the mean of the last layer's hidden states over the
          text, a vector for comparing texts (cosine similarity).

        A list of texts gives ``N`` items; shorter texts are padded on the left with the
        end-of-text token, as if a document started there.

        Examples:
            >>> import sketchml as sk
            >>> gpt = sk.model("gpt2", device="cpu")
            >>> z = gpt.encode("The sea at night")
            >>> sorted(z.tensors), z["embedding"].shape[0]
            (['embedding', 'inputs_embeds'], 1)
        """
        texts = [data] if isinstance(data, str) else list(data) if data is not None else []
        if not texts or not all(isinstance(t, str) for t in texts):
            raise sk.SketchmlError(f"encode() takes a text or a list of texts, e.g. "
                                   f"gpt.encode('The sea at night'); got {type(data).__name__}.")
        embeds, vectors = [], []
        for text in texts:
            ids = self._ids(text)
            hidden = self.network(input_ids=ids, output_hidden_states=True).hidden_states[-1]
            embeds.append(self._embed(ids))
            vectors.append(hidden.mean(dim=1))
        length = max(e.shape[1] for e in embeds)
        tensors = {"inputs_embeds": torch.cat([self._pad_left(e, length) for e in embeds]),
                   "embedding": torch.cat(vectors)}
        return self.latent({k: v.float() for k, v in tensors.items()}, texts=texts)

    def interpolate(self, a: Any, b: Any, *, steps: int = 10,
                    method: str | None = None) -> sk.Latent:
        """``steps`` latents from text ``a`` to text ``b`` (or two latents from :meth:`encode`).

        The prompts' input embeddings are blended position by position (``"lerp"``, the
        default, or ``"slerp"``); the shorter prompt is padded on the left with the
        end-of-text token first. Write from each blend with the same seed to read one
        prompt turn into the other::

            for z in gpt.interpolate("The ocean", "A machine", steps=5):
                print(gpt.generate(z, length=20, seed=1)[0])

        Examples:
            >>> import sketchml as sk
            >>> gpt = sk.model("gpt2", device="cpu")
            >>> walk = gpt.interpolate("The ocean", "A broken machine", steps=4)
            >>> len(walk), len(gpt.generate(walk, length=5, seed=1))
            (4, 4)
        """
        first = self.encode(a) if isinstance(a, str) else self.as_latent(a)
        last = self.encode(b) if isinstance(b, str) else self.as_latent(b)
        for name, z in (("a", first), ("b", last)):
            if "inputs_embeds" not in z.tensors or len(z) != 1:
                raise sk.SketchmlError(
                    f"interpolate() takes two texts or two one-item latents from encode(); {name} "
                    f"is a latent of {len(z)} item(s) with tensors {sorted(z.tensors)}."
                )
        length = max(first["inputs_embeds"].shape[1], last["inputs_embeds"].shape[1])
        ends = [self.latent({"inputs_embeds": self._pad_left(z["inputs_embeds"], length),
                             "embedding": z["embedding"]}, texts=z.metadata.get("texts"))
                for z in (first, last)]
        return super().interpolate(ends[0], ends[1], steps=steps, method=method or "lerp")

    # -- writing -----------------------------------------------------------------------------

    def _inputs(self, latent: Any,
                prompt: str) -> tuple[list[dict[str, torch.Tensor]], sk.Latent | None]:
        """One set of ``generate`` inputs per text to write."""
        if not isinstance(prompt, str):
            raise sk.SketchmlError(f"prompt must be a str, got {type(prompt).__name__}.")
        if latent is None:
            return [{"input_ids": self._ids(prompt)}], None
        z = latent if isinstance(latent, sk.Latent) else None
        if z is None or "inputs_embeds" not in z.tensors:
            raise sk.SketchmlError(
                f"generate() writes from a prompt, or from a latent made by encode() or "
                f"interpolate() of this family; got {type(latent).__name__}. Use "
                f"gpt.generate(prompt='...') or gpt.generate(gpt.encode('...'))."
            )
        z = z.to(self.device)
        items = []
        for k in range(len(z)):
            embeds = z["inputs_embeds"][k:k + 1].to(self.network.dtype)
            if prompt:
                more = self.tokenizer(prompt, add_special_tokens=False)["input_ids"]
                if more:
                    ids = torch.tensor([more], device=self.device)
                    embeds = torch.cat([embeds, self._embed(ids)], dim=1)
            items.append({"inputs_embeds": embeds})
        return items, z

    def _run(self, inputs: dict[str, torch.Tensor], *, temperature: float, top_k: int | None,
             top_p: float, repetition_penalty: float, length: int, seed: int,
             stops: list[str], emit: Callable[[str], None] | None = None,
             cancelled: threading.Event | None = None) -> str:
        """Write one continuation of ``inputs``; returns its text (cut at a stop string)."""
        first = next(iter(inputs.values()))
        mask = torch.ones(first.shape[:2], dtype=torch.long, device=self.device)
        room = self._context() - first.shape[1]
        if room < 1:
            raise sk.SketchmlError(
                f"The prompt is {first.shape[1]} tokens long, but this model reads at most "
                f"{self._context()} tokens at a time; shorten the prompt."
            )
        # Models with learned positions (GPT-2) cannot write past their context.
        length = min(length, room)
        pieces = None
        if stops or emit is not None:
            pieces = _Pieces(self.tokenizer, skip_prompt="input_ids" in inputs, stops=stops,
                             emit=emit)
        criteria = StoppingCriteriaList([_Until(pieces, cancelled)]) \
            if pieces is not None or cancelled is not None else None
        sampler = _Sampler(self.generator(seed), temperature=temperature, top_k=top_k, top_p=top_p)
        pad = self.tokenizer.pad_token_id
        pad = self.tokenizer.eos_token_id if pad is None else pad
        with torch.no_grad():
            out = self.network.generate(**inputs, attention_mask=mask, do_sample=False, num_beams=1,
                                   max_new_tokens=length,
                                   repetition_penalty=float(repetition_penalty),
                                   logits_processor=LogitsProcessorList([sampler]),
                                   stopping_criteria=criteria, streamer=pieces,
                                   pad_token_id=pad)
        if pieces is not None:
            return pieces.text
        new = out[0, inputs["input_ids"].shape[1]:] if "input_ids" in inputs else out[0]
        return self.tokenizer.decode(new, skip_special_tokens=True,
                                     clean_up_tokenization_spaces=False)

    @renamed(max_new_tokens="length")
    def generate(self, latent: Any = None, *, prompt: str = "", temperature: float = 0.8,
                 top_k: int | None = 50, top_p: float = 1.0, repetition_penalty: float = 1.0,
                 length: int = 50, seed: int | None = None,
                 stop: str | Sequence[str] | None = None) -> sk.Text | list[sk.Text]:
        """Write up to ``length`` tokens after ``prompt``; returns prompt + new text.

        Args:
            latent: ``None`` writes one text from ``prompt``; a count ``n`` writes ``n``
                texts from it (text ``k`` with seed ``seed + k``); a latent from
                :meth:`encode` or :meth:`interpolate` writes one text per item (``prompt``
                is then read after it, and each text holds only ``prompt`` and the new
                text). A count or a latent gives a list.
            prompt: the text to continue (default: nothing, as a new document).
            temperature: above 0 (default 0.8): lower is careful and repetitive, 1.0 samples
                as the model learned, higher is stranger.
            top_k: draw only from the ``top_k`` likeliest tokens (default 50; 1 is greedy,
                ``None`` keeps them all).
            top_p: nucleus sampling: draw only from the likeliest tokens whose probabilities
                add up to ``top_p`` (default 1.0, off; 0.9 is common).
            repetition_penalty: above 1 makes tokens already written less likely (default
                1.0, none; 1.2 is a good start against loops).
            length: the most new tokens to write (default 50; a token is about a word
                piece, three or four characters).
            seed: makes the text reproducible (default ``None``: a new seed, kept in
                ``text.seed``).
            stop: a string or list of strings; the text ends before the first one written.

        Returns:
            A :class:`sk.Text` (``.prompt`` the prompt, ``.latent`` the latent written from,
            ``.seed`` the seed), or a list of them when ``latent`` was given.

        Examples:
            >>> import sketchml as sk
            >>> gpt = sk.model("gpt2", device="cpu")
            >>> a = gpt.generate(prompt="Return the", top_k=40, length=10, seed=3)
            >>> a == gpt.generate(prompt="Return the", top_k=40, length=10, seed=3)
            True
            >>> len(gpt.generate(4, prompt="The", length=5))
            4
        """
        stops = _check_knobs(temperature, top_k, top_p, repetition_penalty, length, stop)
        if isinstance(latent, int) and not isinstance(latent, bool):
            if latent < 1:
                raise sk.SketchmlError(f"generate(n) writes n texts; n must be >= 1, got {latent}.")
            items, z = self._inputs(None, prompt)
            items, seeds = items * latent, [seed + k for k in range(latent)]
        else:
            items, z = self._inputs(latent, prompt)
            seeds = [seed] * len(items)
        texts = [
            sk.Text(prompt + self._run(inputs, temperature=temperature, top_k=top_k, top_p=top_p,
                                       repetition_penalty=repetition_penalty, length=length,
                                       seed=item_seed, stops=stops),
                    prompt=prompt, latent=z[k] if z is not None else None, seed=item_seed)
            for k, (inputs, item_seed) in enumerate(zip(items, seeds, strict=True))
        ]
        return texts[0] if latent is None else texts

    @renamed(max_new_tokens="length")
    def stream(self, latent: Any = None, *, prompt: str = "", temperature: float = 0.8,
               top_k: int | None = 50, top_p: float = 1.0, repetition_penalty: float = 1.0,
               length: int = 50, seed: int | None = None,
               stop: str | Sequence[str] | None = None, include_prompt: bool = False) -> sk.Stream:
        """Write as :meth:`generate` does, on a background thread, handing out text as it comes.

        Returns a :class:`sk.Stream` at once: ``stream.poll()`` gives the text written since
        the last call (``""`` if none, never waiting), ``stream.text`` all of it so far,
        ``stream.done`` whether it finished, ``stream.cancel()`` stops the model at its
        next token. With the same seed the text is the one :meth:`generate` writes (without
        the prompt, unless ``include_prompt``). Bad arguments are refused here, before the
        thread starts.

        Examples:
            >>> import sketchml as sk
            >>> gpt = sk.model("gpt2", device="cpu")
            >>> stream = gpt.stream(prompt="The ", length=8, seed=4)
            >>> "The " + stream.wait() == gpt.generate(prompt="The ", length=8, seed=4)
            True
        """
        stops = _check_knobs(temperature, top_k, top_p, repetition_penalty, length, stop)
        items, _ = self._inputs(latent, prompt)
        if len(items) != 1:
            raise sk.SketchmlError(f"stream() writes one text, but the latent holds {len(items)} "
                                   f"items; stream one of them (latent[0]) or use generate().")
        knobs = {"temperature": temperature, "top_k": top_k, "top_p": top_p,
                 "repetition_penalty": repetition_penalty, "length": length,
                 "seed": seed, "stops": stops}
        return sk.Stream(lambda cancelled: self._produce(items[0], knobs, cancelled,
                                                         prompt if include_prompt else ""),
                         text=True, name=f"{self.name}-stream")

    def _produce(self, inputs: dict[str, torch.Tensor], knobs: dict[str, Any],
                 cancelled: threading.Event, first: str) -> Iterator[str]:
        """Run ``generate`` on a helper thread and yield its pieces on the stream's thread."""
        import queue

        pieces: queue.SimpleQueue[Any] = queue.SimpleQueue()
        done = object()
        stop = threading.Event()

        def work() -> None:
            try:
                self._run(inputs, emit=pieces.put, cancelled=stop, **knobs)
            except BaseException as err:  # noqa: BLE001 -- re-raised on the stream's thread
                pieces.put(err)
            finally:
                pieces.put(done)

        helper = threading.Thread(target=work, name=f"{self.name}-generate", daemon=True)
        helper.start()
        try:
            if first:
                yield first
            while True:
                try:
                    piece = pieces.get(timeout=0.05)
                except queue.Empty:
                    if cancelled.is_set():
                        return
                    continue
                if piece is done:
                    return
                if isinstance(piece, BaseException):
                    raise piece
                yield piece
        finally:
            # Cancelled or abandoned: the model stops at its next token.
            stop.set()
            helper.join()

    # -- fine-tuning ---------------------------------------------------------------------------

    def train(self, data: Any, *, out: str | os.PathLike[str] | None = None,
              **options: Any) -> TrainingRun:
        """Fine-tune on a text file; ``out`` becomes a model folder (``weights=out`` loads it).

        Args:
            data: a UTF-8 text file (an empty or binary file is refused with the reason).
            out: the run's folder (required): checkpoints, ``losses.csv``/``losses.png``,
                ``samples/``, and the fine-tuned model (``config.json``,
                ``model.safetensors``, tokenizer files). Training again into it resumes; a
                larger ``steps`` trains further.
            **options: the fields of :class:`GPT2Training` (``base``, ``steps``, ``length``,
                ``lr``, ``minutes`` ...), the same as the flags of ``sketchml train gpt2``.

        Returns:
            The :class:`~sketchml.training.TrainingRun` (``.history`` holds ``loss`` per step
            and ``val_loss`` where measured, in nats per token; ``.step`` how far it got).
            This model now writes with the fine-tuned weights.

        Examples:
            >>> import sketchml as sk, tempfile, pathlib
            >>> folder = pathlib.Path(tempfile.mkdtemp())
            >>> _ = (folder / "poems.txt").write_text("the owl and the moon\\n" * 40)
            >>> gpt = sk.model("gpt2", device="cpu")
            >>> run = gpt.train(folder / "poems.txt", out=folder / "run", steps=3, length=16,
            ...                 batch_size=2, lr=1e-3, progress=False)
            >>> run.step, sk.model("gpt2", weights=folder / "run").generate(seed=0) != ""
            (3, True)
        """
        settings = GPT2Training.build(self.family, options)
        if out is None:
            raise sk.SketchmlError("train() needs out=FOLDER for checkpoints and the fine-tuned "
                                   "model, e.g. gpt.train('poems.txt', out='runs/poems').")
        for name in ("steps", "batch_size", "length"):
            if getattr(settings, name) < 1:
                raise sk.SketchmlError(f"{name} must be a whole number >= 1, got "
                                       f"{getattr(settings, name)!r}.")
        validation, steps = settings.validation, settings.steps
        if not 0 <= validation < 1:
            raise sk.SketchmlError(f"validation is the fraction of the text held out, from 0 to "
                                   f"below 1 (e.g. 0.1); got {validation!r}.")
        out = Path(out)
        previous = latest_checkpoint(out / "checkpoints")
        recorded = previous.meta.get("config", {}) if previous is not None else None
        lm, tokenizer, source = self._base(settings.base, recorded)
        length = min(settings.length, _context(lm) - 1)
        text = TextFile(data, length=length, tokenizer=_Encoder(tokenizer))
        held = int(len(text) * validation) if len(text) > 1 else 0
        train_set = torch.utils.data.Subset(text, range(len(text) - held))
        val_ids = text.ids[(len(text) - held) * length:]
        eval_every = settings.eval_every or max(1, steps // 10)

        opt = torch.optim.AdamW(lm.parameters(), lr=settings.lr, weight_decay=0.01)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, _schedule(steps))

        def on_sample(run: TrainingRun) -> None:
            sample = self._sample(run.modules["model"], tokenizer, settings.sample_prompt)
            run.save_samples(sample)

        config = {"base": str(source), "base_given": settings.base, "length": length,
                  "batch_size": settings.batch_size, "lr": settings.lr,
                  "validation": validation, "data": str(data)}
        run = TrainingRun(out=out, model=lm, optimizers=opt, schedulers=sched, steps=steps,
                          seed=settings.seed_for(out), device=self.device,
                          checkpoint_every=settings.checkpoint_every, minutes=settings.minutes,
                          sample_every=settings.sample_every or max(1, steps // 5),
                          on_sample=on_sample, progress=settings.progress, config=config,
                          should_stop=settings.should_stop)
        lm.train()
        for step, (x, y) in run.loop(train_set, batch_size=min(settings.batch_size,
                                                                len(train_set))):
            logits = run.model(input_ids=x).logits
            loss = F.cross_entropy(logits.flatten(0, 1).float(), y.flatten())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(lm.parameters(), 1.0)
            opt.step()
            sched.step()
            values = {"loss": loss}
            if len(val_ids) > 1 and (step % eval_every == 0 or step == steps):
                values["val_loss"] = token_loss(lm, val_ids, length=length)
            run.log(**values)
        lm.eval()
        if run.is_main:
            # A Hugging Face model folder (config, model.safetensors, tokenizer): what
            # weights=out loads, and what transformers loads too.
            save_model_folder(lm, tokenizer, out)
        self.network, self.tokenizer, self.source = lm, tokenizer, out
        return run

    def _base(self, base: str | None,
              recorded: dict[str, Any] | None) -> tuple[Any, Any, Path | str]:
        """The model to fine-tune, its tokenizer and where it came from."""
        import copy

        if recorded is not None:
            if base is not None and base not in (recorded.get("base"), recorded.get("base_given")):
                raise sk.SketchmlError(
                    f"This folder holds a run fine-tuned from "
                    f"{recorded.get('base_given') or recorded.get('base')!r}, not {base!r}. Leave "
                    f"base= out to resume it, or choose another out= folder."
                )
            source: Path | str = recorded["base"]
            source = Path(source) if Path(source).is_dir() else source
            return *_load_pretrained(source, self.device), source
        if base is None:
            return copy.deepcopy(self.network), self.tokenizer, self.source
        if self.spec is not None and base in self.spec.variants:
            other = type(self)(spec=self.spec, variant=self.spec.variants[base], device=self.device)
        else:
            other = type(self)(spec=self.spec, variant=self.variant, device=self.device,
                               weights=base)
        return other.network, other.tokenizer, other.source

    def _sample(self, lm: Any, tokenizer: Any, prompt: str) -> sk.Text:
        current = self.network, self.tokenizer
        self.network, self.tokenizer = lm, tokenizer
        try:
            return self.generate(prompt=prompt, length=60, seed=0)
        finally:
            self.network, self.tokenizer = current

    def _context(self) -> int:
        return _context(self.network)

    def loss(self, text: str, *, length: int | None = None) -> float:
        """The model's mean cross-entropy on ``text``, in nats per token (lower: less surprised).

        ``length`` is the window the text is read in (default: 128, or the context if smaller).

        Examples:
            >>> import sketchml as sk
            >>> gpt = sk.model("gpt2", device="cpu")
            >>> gpt.loss("Return the number of items.") < gpt.loss("items. number Return of the")
            True
        """
        ids = torch.tensor(_Encoder(self.tokenizer).encode(text), dtype=torch.long)
        if len(ids) < 2:
            raise sk.SketchmlError("loss() needs a text of at least two tokens.")
        return token_loss(self.network, ids, length=min(length or 128, self._context() - 1))


def _context(lm: Any) -> int:
    """How many tokens a model reads at once (its positions); a large number if unbounded."""
    for name in ("n_positions", "max_position_embeddings", "n_ctx"):
        value = getattr(lm.config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return 1 << 30


def _given_source(weights: str | os.PathLike[str]) -> Path | str:
    """``weights=``: a model folder, a file inside one, or a hub id."""
    path = Path(weights).expanduser()
    if path.is_dir():
        if _is_model_folder(path):
            return path
        if (path / "checkpoints").is_dir():
            raise sk.SketchmlError(
                f"{str(path)!r} holds a training run but no finished model yet (no config.json): "
                f"run the same training again with out={str(path)!r}; it resumes and writes the "
                f"model when it stops."
            )
        raise sk.SketchmlError(f"{str(path)!r} is not a model folder: it has no config.json. A "
                               f"model folder holds {_FOLDER_FILES}.")
    if path.is_file():
        if _is_model_folder(path.parent):
            return path.parent
        raise sk.SketchmlError(f"{str(path)!r} is a file, but a causal language model is a folder "
                               f"holding {_FOLDER_FILES}; pass the folder.")
    text = str(weights)
    if _HUB_ID.match(text) and not text.startswith(("~", ".")):
        return text
    raise sk.SketchmlError(f"No model folder at {text!r} (and it is not a hub id like 'gpt2' or "
                           f"'org/name'). Check the path.")

def token_loss(lm: Any, ids: torch.Tensor, *, length: int = 128, batch_size: int = 16) -> float:
    """Mean cross-entropy in nats per predicted token of ``lm`` on the token ids ``ids``.

    ``ids`` (a 1-D tensor) is cut into non-overlapping windows of ``length + 1`` tokens
    (a shorter last window is kept); each window predicts its last ``length`` tokens from
    the ones before. The model is put in eval mode (no dropout), so the figure is exact.

    Examples:
        >>> import torch
        >>> from transformers import GPT2Config, GPT2LMHeadModel
        >>> lm = GPT2LMHeadModel(GPT2Config(vocab_size=16, n_positions=8, n_embd=8,
        ...                                 n_layer=1, n_head=1))
        >>> round(token_loss(lm, torch.arange(16) % 16, length=7), 0) > 0
        True
    """
    import torch.nn.functional as F

    ids = ids.reshape(-1).long()
    windows = [ids[start:start + length + 1] for start in range(0, len(ids) - 1, length)]
    windows = [w for w in windows if len(w) > 1]
    device = next(lm.parameters()).device
    was_training = lm.training
    lm.eval()
    total, count = 0.0, 0
    try:
        with torch.no_grad():
            for first in range(0, len(windows), batch_size):
                group = windows[first:first + batch_size]
                # Windows of one length share a batch; only the last one can be shorter.
                for size in sorted({len(w) for w in group}):
                    batch = torch.stack([w for w in group if len(w) == size]).to(device)
                    logits = lm(input_ids=batch[:, :-1]).logits
                    total += float(F.cross_entropy(logits.flatten(0, 1).float(),
                                                   batch[:, 1:].flatten(), reduction="sum"))
                    count += batch[:, 1:].numel()
    finally:
        lm.train(was_training)
    return total / max(count, 1)


def unigram_loss(train_ids: torch.Tensor, ids: torch.Tensor, *, vocab_size: int) -> float:
    """Cross-entropy (nats per token) of ``ids`` under the token frequencies of ``train_ids``.

    The baseline any language model must beat: it knows how common each token is and
    nothing about order. Add-one smoothing gives unseen tokens a small probability.

    Examples:
        >>> import torch
        >>> round(unigram_loss(torch.tensor([0, 0, 1]), torch.tensor([0]), vocab_size=2), 3)
        0.511
    """
    counts = torch.bincount(train_ids.reshape(-1).long(), minlength=vocab_size).double() + 1.0
    log_probs = (counts / counts.sum()).log()
    return float(-log_probs[ids.reshape(-1).long()].mean())


def save_model_folder(lm: Any, tokenizer: Any, folder: str | os.PathLike[str]) -> Path:
    """Write a Hugging Face model folder (config, safetensors weights, tokenizer) into ``folder``.

    Files are written into a temporary folder beside it and each is moved into place with
    ``os.replace``, so a reader never sees half a file. Files already in ``folder`` that
    are not part of the model (checkpoints, logs) are left alone. Returns ``folder``.

    Examples:
        >>> import tempfile
        >>> from transformers import GPT2Config, GPT2LMHeadModel
        >>> lm = GPT2LMHeadModel(GPT2Config(vocab_size=16, n_positions=8, n_embd=8,
        ...                                 n_layer=1, n_head=1))
        >>> path = save_model_folder(lm, None, tempfile.mkdtemp())
        >>> (path / "model.safetensors").is_file()
        True
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=target))
    try:
        lm.save_pretrained(staging, safe_serialization=True)
        if tokenizer is not None:
            tokenizer.save_pretrained(staging)
        for item in sorted(staging.iterdir()):
            item.chmod(0o644)  # the staging folder's private mode is not meant for the files
            os.replace(item, target / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def bits_per_char(loss: float, tokens: int, chars: int) -> float:
    """Convert a loss in nats per token into bits per character of the same text.

    Examples:
        >>> round(bits_per_char(math.log(2), tokens=10, chars=20), 2)
        0.5
    """
    return loss * tokens / max(chars, 1) / math.log(2)
