"""char-RNN: a character-level LSTM or GRU you train on your own text.

After Karpathy, "The Unreasonable Effectiveness of Recurrent Neural Networks" (2015), and
the workflow of textgenrnn (Woolf, 2017): train on a text file in minutes, then generate in
its style with a temperature (or a list of temperatures cycled character by character).
Here the recurrent state is the latent: ``encode(text)`` is the state after reading a text,
``interpolate`` blends two such states, and ``generate`` writes on from any of them.

Weights layout (sketchml's own; safetensors)::

    vocab               (V,)        int32   Unicode code points of the characters, sorted
    embedding.weight    (V, E)
    rnn.weight_ih_l{k}  (G*H, E or H)       torch.nn.LSTM (G=4) / torch.nn.GRU (G=3) layout
    rnn.weight_hh_l{k}  (G*H, H)
    rnn.bias_ih_l{k}, rnn.bias_hh_l{k}  (G*H,)
    head.weight (V, H), head.bias (V,)

Cell, sizes and layers are read from the shapes, so any file in this layout loads.
"""
from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

import sketchml as sk
from sketchml.plugin import (TrainingRun, TrainSettings, check_state_keys, deprecated_alias,
                             did_you_mean, latest_checkpoint, load_state_checked, renamed,
                             seed_everything, setting)

__all__ = ["CharRNN", "CharRNNNet", "bits_per_char", "ngram_bits_per_char", "train_charrnn",
           "unigram_bits_per_char"]

EXPORT_NAME = "charrnn.safetensors"
_CELLS = {"lstm": (nn.LSTM, 4), "gru": (nn.GRU, 3)}
_MIN_TEXT = 200


class CharRNNNet(nn.Module):
    """Embedding -> LSTM/GRU layers -> linear head over the characters ``vocab``.

    Examples:
        >>> net = CharRNNNet("ab ", cell="gru", hidden=8, layers=1, embedding=4)
        >>> logits, state = net(torch.zeros(2, 5, dtype=torch.long))
        >>> tuple(logits.shape), net.chars
        ((2, 5, 3), 'ab ')
    """

    def __init__(self, vocab: str, *, cell: str = "lstm", hidden: int = 256, layers: int = 2,
                 embedding: int = 64, dropout: float = 0.0) -> None:
        super().__init__()
        if cell not in _CELLS:
            raise sk.SketchmlError(f"cell={cell!r} is not known: use 'lstm' or 'gru'."
                                   f"{did_you_mean(cell, _CELLS)}")
        self.cell = cell
        self.register_buffer("vocab", torch.tensor([ord(c) for c in vocab], dtype=torch.int32))
        self.embedding = nn.Embedding(len(vocab), embedding)
        rnn_class, _ = _CELLS[cell]
        self.rnn = rnn_class(embedding, hidden, layers, batch_first=True,
                             dropout=dropout if layers > 1 else 0.0)
        self.head = nn.Linear(hidden, len(vocab))

    @property
    def chars(self) -> str:
        """The characters this network reads and writes, in id order."""
        return "".join(chr(int(c)) for c in self.vocab.tolist())

    @property
    def hidden(self) -> int:
        """Units per recurrent layer."""
        return self.rnn.hidden_size

    @property
    def layers(self) -> int:
        """Number of recurrent layers."""
        return self.rnn.num_layers

    def forward(self, ids: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """Logits ``(N, T, V)`` for the next character after each of ``ids`` ``(N, T)``, and the new state."""
        out, state = self.rnn(self.embedding(ids), state)
        return self.head(out), state

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor], source: str) -> CharRNNNet:
        """Rebuild the network a state dict in this module's layout came from, and load it."""
        check_state_keys(state, ("vocab", "embedding.weight", "rnn.weight_hh_l0", "head.weight"),
                         source=source, what="char-RNN weights",
                         how="Load a file written by sketchml's char-RNN training "
                             "(`sketchml train charrnn FILE.txt --out DIR`).")
        gates, hidden = state["rnn.weight_hh_l0"].shape
        cell = {4: "lstm", 3: "gru"}.get(gates // hidden)
        if cell is None or gates % hidden:
            raise sk.SketchmlError(f"{source}: rnn.weight_hh_l0 is {tuple(state['rnn.weight_hh_l0'].shape)}, "
                                   f"which is neither an LSTM (4H, H) nor a GRU (3H, H).")
        layers = sum(1 for k in state if re.fullmatch(r"rnn\.weight_hh_l\d+", k))
        vocab = "".join(chr(int(c)) for c in state["vocab"].tolist())
        net = cls(vocab, cell=cell, hidden=hidden, layers=layers,
                  embedding=state["embedding.weight"].shape[1])
        load_state_checked(net, state, source=source, what="char-RNN")
        return net


# -- text and vocabulary ----------------------------------------------------------------------

def _start_ids(chars: str) -> list[int]:
    """What a fresh text is read after: a line break (else a space), so it begins a line.

    A network trained on windows from the middle of a text has never predicted from its
    bare zero state; after one character it has.
    """
    for start in ("\n", " "):
        if start in chars:
            return [chars.index(start)]
    return [0]


def _ids(text: str, chars: str, *, unknown: str, what: str) -> list[int]:
    if unknown not in ("error", "drop"):
        raise sk.SketchmlError(f"unknown={unknown!r}: use 'error' (the default) or 'drop'."
                               f"{did_you_mean(unknown, ['error', 'drop'])}")
    index = {c: i for i, c in enumerate(chars)}
    unseen = sorted({c for c in text if c not in index})
    if unseen and unknown == "error":
        shown = ", ".join(repr(c) for c in unseen[:20]) + (" ..." if len(unseen) > 20 else "")
        raise sk.SketchmlError(
            f"The {what} has {len(unseen)} character(s) this char-RNN never saw in training: "
            f"{shown}. Leave them out, pass unknown='drop' to skip them, or train on a text "
            f"that has them."
        )
    return [index[c] for c in text if c in index]


def _read_text(data: Any) -> tuple[str, str]:
    """``(text, where)`` from a file path, a Corpus, ``"stdlib"`` or the text itself."""
    from sketchml_text.corpus import Corpus, build_corpus

    if isinstance(data, Corpus):
        return data.text, "the given corpus"
    if isinstance(data, os.PathLike) or (isinstance(data, str) and _is_file(data)):
        from sketchml.plugin import TextFile

        # TextFile refuses missing, empty, binary and undecodable files with clear messages.
        return TextFile(Path(data).expanduser(), length=1).text, str(data)
    if data == "stdlib":
        return build_corpus().text, "the standard-library corpus"
    if isinstance(data, str) and ("\n" in data or len(data) >= _MIN_TEXT):
        if "\x00" in data:
            raise sk.SketchmlError("The training text contains NUL characters: it looks like "
                                   "binary data, not text. Pass plain text or a .txt file.")
        return data, "the given text"
    if isinstance(data, str):
        raise sk.SketchmlError(
            f"No text file at {data!r}. Pass the path of a UTF-8 text file, the training "
            f"text itself (at least {_MIN_TEXT} characters), or 'stdlib' for the offline "
            f"corpus of Python's own documentation."
        )
    raise sk.SketchmlError(f"data must be a text file path or a str of text, got "
                           f"{type(data).__name__}.")


def _is_file(name: str) -> bool:
    try:
        return Path(name).expanduser().is_file()
    except (OSError, ValueError):
        # Names too long for the filesystem, or with NUL bytes, are text rather than paths.
        return False


def _split(text: str, validation: float) -> tuple[str, str]:
    """Hold out the last ``validation`` fraction, cut at a line break when one is near."""
    if validation == 0:
        return text, ""
    cut = int(len(text) * (1 - validation))
    newline = text.rfind("\n", 0, cut)
    if newline > cut - 200 and newline > len(text) // 2:
        cut = newline + 1
    return text[:cut], text[cut:]


def unigram_bits_per_char(text: str, *, reference: str | None = None) -> float:
    """Bits per character of ``text`` under character frequencies (of ``reference``, default ``text``).

    The baseline a model that has learnt anything must beat: it knows how often each
    character occurs, nothing about order. Unseen characters get add-one smoothing.

    Examples:
        >>> round(unigram_bits_per_char("abab"), 3)
        1.0
    """
    from collections import Counter

    counts = Counter(reference if reference is not None else text)
    alphabet = set(counts) | set(text)
    total = sum(counts.values()) + (len(alphabet) if reference is not None else 0)
    smooth = 1 if reference is not None else 0
    return -sum(math.log2((counts[c] + smooth) / total) for c in text) / max(1, len(text))


def ngram_bits_per_char(text: str, *, reference: str, order: int = 5) -> float:
    """Bits per character of ``text`` under a character n-gram model fitted on ``reference``.

    The stronger baseline: it predicts each character from the ``order - 1`` before it
    (default 5-grams), with Witten-Bell interpolation down to an add-one unigram, so unseen
    contexts and characters still get a probability. A model earns its parameters when it
    beats this on held-out text.

    Examples:
        >>> round(ngram_bits_per_char("abab", reference="abab" * 50, order=2), 2)
        0.26
    """
    from collections import Counter, defaultdict

    if not isinstance(order, int) or order < 1:
        raise sk.SketchmlError(f"order must be a whole number >= 1, got {order!r}.")
    unigram = Counter(reference)
    alphabet = len(set(unigram) | set(text))
    total = len(reference) + alphabet
    # counts[k][context] = Counter of the next character after that k-character context.
    counts: list[dict[str, Counter]] = [defaultdict(Counter) for _ in range(order)]
    for k in range(1, order):
        table = counts[k]
        for i in range(k, len(reference)):
            table[reference[i - k:i]][reference[i]] += 1
    sizes = [{ctx: (sum(c.values()), len(c)) for ctx, c in table.items()} for table in counts]
    bits = 0.0
    for i, char in enumerate(text):
        p = (unigram[char] + 1) / total
        for k in range(1, min(order - 1, i) + 1):
            context = text[i - k:i]
            seen = sizes[k].get(context)
            if seen is None:
                break
            n, types = seen
            p = (counts[k][context][char] + types * p) / (n + types)
        bits -= math.log2(p)
    return bits / max(1, len(text))


@torch.no_grad()
def bits_per_char(net: CharRNNNet, text: str, *, unknown: str = "error", streams: int = 16,
                  chunk: int = 256) -> float:
    """Average bits ``net`` needs per character of ``text`` (cross-entropy in base 2).

    The text is read in ``streams`` contiguous parts side by side, the state carried from
    chunk to chunk, so every character is predicted from everything before it in its part.

    Examples:
        >>> net = CharRNNNet("ab", hidden=4, layers=1, embedding=2)
        >>> 0 < bits_per_char(net, "abba" * 10) < 4
        True
    """
    ids = torch.tensor(_ids(text, net.chars, unknown=unknown, what="text"), dtype=torch.long)
    if len(ids) < 2:
        raise sk.SketchmlError("bits_per_char needs a text of at least 2 known characters.")
    device = net.head.weight.device
    streams = max(1, min(streams, (len(ids) - 1) // 2))
    per = (len(ids) - 1) // streams
    inputs = ids[: per * streams].view(streams, per).to(device)
    targets = ids[1: per * streams + 1].view(streams, per).to(device)
    was_training = net.training
    net.eval()
    total, state = 0.0, None
    for start in range(0, per, chunk):
        logits, state = net(inputs[:, start:start + chunk], state)
        total += float(F.cross_entropy(logits.flatten(0, 1), targets[:, start:start + chunk].flatten(),
                                       reduction="sum"))
    net.train(was_training)
    return total / (per * streams) / math.log(2)


class _Windows(torch.utils.data.Dataset):
    """Non-overlapping ``(input, target)`` windows of ``length`` character ids."""

    def __init__(self, ids: torch.Tensor, length: int) -> None:
        self.ids = ids
        self.length = length

    def __len__(self) -> int:
        return (len(self.ids) - 1) // self.length

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        start = index * self.length
        chunk = self.ids[start:start + self.length + 1]
        return chunk[:-1], chunk[1:]


# -- sampling ----------------------------------------------------------------------------------

def _temperatures(temperature: float | Sequence[float]) -> list[float]:
    values = list(temperature) if isinstance(temperature, (list, tuple)) else [temperature]
    if not values:
        raise sk.SketchmlError("temperature=[] is empty: give a number such as 0.8 or a list "
                               "such as [0.5, 1.0, 0.2] (cycled character by character).")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or value <= 0:
            raise sk.SketchmlError(
                f"temperature must be a number above 0 (or a list of them), got {value!r}. "
                f"Low values (0.2) write the most likely characters, 1.0 samples as trained, "
                f"higher values (1.5) write wilder text."
            )
    return [float(v) for v in values]


def _check_length(length: Any, name: str = "length") -> None:
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise sk.SketchmlError(f"{name} is the number of characters to write, a whole "
                               f"number >= 0; got {length!r}.")


@dataclass
class CharRNNTraining(TrainSettings):
    """What ``CharRNN.train`` and ``sketchml train charrnn`` take."""

    batch_size: int = setting(32, "windows of text per step")
    cell: str = setting("lstm", "the recurrent cell: 'lstm' or 'gru'")
    hidden: int = setting(256, "units per recurrent layer")
    layers: int = setting(2, "recurrent layers")
    embedding: int = setting(64, "size of the character embedding")
    dropout: float = setting(0.0, "dropout between recurrent layers while training")
    length: int = setting(128, "characters per training window: the span gradients flow back")
    lr: float = setting(0.002, "Adam learning rate, decayed along a cosine to a tenth")
    validation: float = setting(0.1, "fraction held out at the end of the text to measure "
                                     "validation bits per character (0: none; a corpus keeps "
                                     "its own)")
    eval_every: int | None = setting(None, "steps between validation measurements, logged as "
                                           "val_bpc (default: twenty over the run)")
    sample_length: int = setting(200, "characters per sample written to OUT/samples/")
    on_sample: Callable[[int, sk.Text], Any] | None = setting(
        None, "called as on_sample(step, text) with each sample, e.g. to show it in a sketch",
        flag=False)


class CharRNN(sk.Model):
    """A character-level RNN: generate in the style of a text, prime it, blend styles, train it.

    ``sk.model("charrnn")`` is ``charrnn.default``: a small LSTM trained offline on verse
    and prose from Debian's ``fortunes`` package (see ``scripts/train_charrnn_default.py``
    and :func:`sketchml_text.corpus.literary_corpus`).
    ``sk.model("charrnn", weights=DIR)`` loads one you trained into ``DIR`` with
    :meth:`train` or ``sketchml train charrnn FILE.txt --out DIR``.

    Latents are recurrent states: ``h`` (and ``c`` for an LSTM), each ``(N, layers,
    hidden)``. :meth:`encode` gives the state after reading a text, :meth:`sample_latent`
    the state after the model writes a little on its own, and :meth:`interpolate` walks in
    straight lines between states; :meth:`generate` writes on from any of them.

    Examples:
        >>> import sketchml as sk
        >>> rnn = sk.model("charrnn", device="cpu")
        >>> text = rnn.generate(prompt="The ", length=40, seed=1)
        >>> text.startswith("The ") and len(text) == 44
        True
    """

    interpolation = "lerp"
    TrainSettings = CharRNNTraining
    network: CharRNNNet
    net = deprecated_alias("network")

    def load(self) -> None:
        path = self.weights_path()
        state, source = sk.load_weights(path), repr(str(path))
        self.network = CharRNNNet.from_state_dict(state, source).to(self.device).eval()
        self.source = source

    # -- facts ---------------------------------------------------------------------------------

    @property
    def chars(self) -> str:
        """The characters this model knows (it can neither read nor write others)."""
        return self.network.chars

    @property
    def cell(self) -> str:
        """``"lstm"`` or ``"gru"``."""
        return self.network.cell

    def bits_per_char(self, text: str, *, unknown: str = "error") -> float:
        """How well the model predicts ``text``: average bits per character (lower is better).

        Examples:
            >>> import sketchml as sk
            >>> rnn = sk.model("charrnn", device="cpu")
            >>> rnn.bits_per_char("Return the value of the attribute.") < 5
            True
        """
        return bits_per_char(self.network, text, unknown=unknown)

    # -- states ----------------------------------------------------------------------------------

    def _state_latent(self, state: Any, **metadata: Any) -> sk.Latent:
        h, c = state if isinstance(state, tuple) else (state, None)
        tensors = {"h": h.transpose(0, 1).contiguous()}
        if c is not None:
            tensors["c"] = c.transpose(0, 1).contiguous()
        return self.latent(tensors, **metadata)

    def _latent_state(self, latent: sk.Latent) -> Any:
        keys = ["h", "c"] if self.cell == "lstm" else ["h"]
        shape = (self.network.layers, self.network.hidden)
        tensors = latent.tensors
        if sorted(tensors) != sorted(keys) or any(tuple(t.shape[1:]) != shape for t in tensors.values()):
            got = ", ".join(f"{k} {tuple(v.shape)}" for k, v in tensors.items())
            raise sk.SketchmlError(
                f"This latent ({got}) is not a state of this char-RNN, which needs "
                f"{' and '.join(keys)} shaped (N, {shape[0]}, {shape[1]}). Make states with "
                f"this model's encode(text) or sample_latent(n)."
            )
        parts = [tensors[k].to(self.device, torch.float32).transpose(0, 1).contiguous() for k in keys]
        return tuple(parts) if self.cell == "lstm" else parts[0]

    def _zero_state(self, n: int) -> Any:
        zeros = torch.zeros(self.network.layers, n, self.network.hidden, device=self.device)
        return (zeros, zeros.clone()) if self.cell == "lstm" else zeros

    @torch.no_grad()
    def _read(self, state: Any, ids: list[int], n: int) -> tuple[torch.Tensor, Any]:
        """Feed ``ids`` to ``n`` copies of ``state``; the next-character logits ``(n, V)`` and the state."""
        if ids:
            x = torch.tensor([ids] * n, dtype=torch.long, device=self.device)
            logits, state = self.network(x, state)
            return logits[:, -1], state
        top = state[0][-1] if isinstance(state, tuple) else state[-1]
        # With nothing read, the output is the head applied to the top layer's state.
        return self.network.head(top), state

    @renamed(text="data")
    @torch.no_grad()
    def encode(self, data: str | Sequence[str], *, unknown: str = "error") -> sk.Latent:
        """The recurrent state after reading ``text`` (or one state per text in a list).

        Generating from it continues the text; ``unknown="drop"`` skips characters the
        model never saw instead of refusing them.

        Examples:
            >>> import sketchml as sk
            >>> rnn = sk.model("charrnn", device="cpu")
            >>> z = rnn.encode(["Open the file", "Return a list"])
            >>> len(z), sorted(z.tensors)
            (2, ['c', 'h'])
        """
        texts = [data] if isinstance(data, str) else list(data) if data is not None else []
        if not texts or not all(isinstance(t, str) for t in texts):
            raise sk.SketchmlError("encode() takes a str or a list of str, e.g. "
                                   "rnn.encode('To be or not to be').")
        latents = []
        for item in texts:
            ids = _start_ids(self.chars) + _ids(item, self.chars, unknown=unknown,
                                                 what="text to encode")
            _, state = self._read(self._zero_state(1), ids, 1)
            latents.append(self._state_latent(state))
        return latents[0] if len(latents) == 1 else sk.Latent.cat(latents)

    @torch.no_grad()
    def sample_latent(self, n: int = 1, *, seed: int | None = None, warmup: int = 64,
                      temperature: float = 1.0) -> sk.Latent:
        """``n`` states the model reaches after writing ``warmup`` characters of its own.

        Random states in the usual sense would be states no text leads to; these are the
        model's own, reproducible by ``seed``. ``warmup`` defaults to 64 characters at
        ``temperature`` 1.0.

        Examples:
            >>> import sketchml as sk
            >>> rnn = sk.model("charrnn", device="cpu")
            >>> z = rnn.sample_latent(3, seed=1)
            >>> len(z), z.seed
            (3, 1)
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise sk.SketchmlError(f"n must be a whole number >= 1, got {n!r}.")
        _check_length(warmup, "warmup")
        temperatures = _temperatures(temperature)
        gen = self.generator(seed)
        logits, state = self._read(self._zero_state(n), _start_ids(self.chars), n)
        for _ in range(warmup):
            u = torch.rand(n, generator=gen, dtype=torch.float64)
            ids = _draw(logits, temperatures[0], u)
            logits, state = self.network(ids.to(self.device)[:, None], state)
            logits = logits[:, -1]
        return self._state_latent(state, seed=seed)

    def interpolate(self, a: Any, b: Any, *, steps: int = 10, method: str | None = None) -> sk.Latent:
        """``steps`` states from ``a`` to ``b``: texts (encoded first) or states from this model.

        The states are blended in straight lines (``method="lerp"``, the default; ``"slerp"``
        also works). Generate from the blends to hear one text's voice turn into the
        other's: ``rnn.generate(rnn.interpolate("Dear sir,", "ROMEO:", steps=5), seed=1)``
        gives five texts written with the same random draws, so what changes between them
        comes from the blended state alone.

        Examples:
            >>> import sketchml as sk
            >>> rnn = sk.model("charrnn", device="cpu")
            >>> walk = rnn.interpolate("Return the", "Raise an", steps=4)
            >>> len(rnn.generate(walk, length=20, seed=3))
            4
        """
        first = self.encode(a) if isinstance(a, str) else a
        last = self.encode(b) if isinstance(b, str) else b
        return super().interpolate(first, last, steps=steps, method=method or self.interpolation)

    # -- writing ---------------------------------------------------------------------------------

    def _begin(self, latent: Any, prompt: str, seed: int | None,
               unknown: str) -> tuple[torch.Tensor, Any, int, sk.Latent | None]:
        if not isinstance(prompt, str):
            raise sk.SketchmlError(f"prompt must be a str, got {type(prompt).__name__}.")
        ids = _ids(prompt, self.chars, unknown=unknown, what="prompt")
        if latent is None:
            z = None
            state, n = self._zero_state(1), 1
            ids = _start_ids(self.chars) + ids
        else:
            z = self.as_latent(latent, seed=seed)
            state, n = self._latent_state(z), len(z)
        logits, state = self._read(state, ids, n)
        return logits, state, n, z

    @torch.no_grad()
    def _write(self, logits: torch.Tensor, state: Any, n: int, temperatures: list[float],
               length: int, seed: int) -> Iterator[list[str]]:
        """Yield the next character of each of the ``n`` texts, ``length`` times."""
        # Every item draws from its own generator with the same seed, so a text depends only
        # on its state and seed, not on the batch it was written in.
        gens = [self.generator(seed) for _ in range(n)]
        chars = self.chars
        for i in range(length):
            u = torch.cat([torch.rand(1, generator=g, dtype=torch.float64) for g in gens])
            ids = _draw(logits, temperatures[i % len(temperatures)], u)
            yield [chars[j] for j in ids.tolist()]
            if i + 1 < length:
                logits, state = self.network(ids.to(self.device)[:, None], state)
                logits = logits[:, -1]

    @renamed(prefix="prompt", max_length="length")
    def generate(self, latent: Any = None, *, prompt: str = "",
                 temperature: float | Sequence[float] = 0.8, length: int = 200,
                 seed: int | None = None, unknown: str = "error") -> sk.Text | list[sk.Text]:
        """Write ``length`` characters after ``prompt``; returns ``prompt`` + the new text.

        Args:
            latent: ``None`` starts fresh and gives one text; a count ``n``
                (``sample_latent(n)`` states) or a latent of states (``encode``,
                ``sample_latent``, ``interpolate``) gives a list, one text per state.
                ``prompt`` is read after the state.
            prompt: text to start with (priming); the output begins with it.
            temperature: above 0 (default 0.8): low is cautious, 1.0 samples as trained,
                higher is wilder. A list (``[0.5, 1.0, 0.2]``) is cycled character by
                character, as textgenrnn does.
            length: characters to write (default 200).
            seed: makes the text reproducible (default ``None``: a new seed, kept in
                ``text.seed``).
            unknown: what to do with prompt characters the model never saw: ``"error"``
                (default) or ``"drop"``.

        Returns:
            A :class:`sk.Text` (``.prompt`` is the prompt, ``.latent`` the state used,
            ``.seed`` the seed), or a list of them when ``latent`` was given.

        Examples:
            >>> import sketchml as sk
            >>> rnn = sk.model("charrnn", device="cpu")
            >>> rnn.generate(prompt="def ", temperature=[0.5, 1.0], length=30,
            ...              seed=2) == rnn.generate(prompt="def ", temperature=[0.5, 1.0],
            ...                                      length=30, seed=2)
            True
            >>> len(rnn.generate(3, length=10))
            3
        """
        temperatures = _temperatures(temperature)
        _check_length(length)
        logits, state, n, z = self._begin(latent, prompt, seed, unknown)
        columns = list(self._write(logits, state, n, temperatures, length, seed))
        texts = [sk.Text(prompt + "".join(column[k] for column in columns), prompt=prompt,
                         latent=z[k] if z is not None else None, seed=seed) for k in range(n)]
        return texts[0] if latent is None else texts

    @renamed(prefix="prompt", max_length="length", include_prefix="include_prompt")
    def stream(self, latent: Any = None, *, prompt: str = "",
               temperature: float | Sequence[float] = 0.8, length: int = 200,
               seed: int | None = None, unknown: str = "error",
               include_prompt: bool = False) -> sk.Stream:
        """Write as :meth:`generate` does, on a background thread, one character at a time.

        Returns a :class:`sk.Stream` at once: ``stream.poll()`` gives the characters written
        since the last call (``""`` if none), ``stream.text`` everything so far,
        ``stream.done`` whether it finished, ``stream.cancel()`` stops it. With the same
        seed the text is the one ``generate`` writes (without the prompt, unless
        ``include_prompt``). Bad arguments are refused here, before the thread starts.

        Examples:
            >>> import sketchml as sk
            >>> rnn = sk.model("charrnn", device="cpu")
            >>> stream = rnn.stream(prompt="The ", length=25, seed=4)
            >>> "The " + stream.wait() == rnn.generate(prompt="The ", length=25, seed=4)
            True
        """
        temperatures = _temperatures(temperature)
        _check_length(length)
        logits, state, n, _ = self._begin(latent, prompt, seed, unknown)
        if n != 1:
            raise sk.SketchmlError(f"stream() writes one text, but the latent holds {n} states; "
                                   f"stream one of them (latent[0]) or use generate() for all.")

        def produce(cancelled: Any) -> Iterator[str]:
            if include_prompt and prompt:
                yield prompt
            for column in self._write(logits, state, 1, temperatures, length, seed):
                yield column[0]

        return sk.Stream(produce, text=True, name=f"{self.name}-stream")

    # -- training --------------------------------------------------------------------------------

    def train(self, data: Any, *, out: str | os.PathLike[str] | None = None,
              **options: Any) -> TrainingRun:
        """Train a new char-RNN on ``data``; checkpoints, samples and the result go to ``out``.

        Args:
            data: a UTF-8 text file, the training text itself (a ``str`` of 200 characters
                or more, or with line breaks), ``"stdlib"`` (the offline corpus of Python's
                documentation) or a :class:`~sketchml_text.corpus.Corpus`.
            out: the run's folder (required). Training again into it resumes; a larger
                ``steps`` trains further. The result is ``out/charrnn.safetensors``.
            **options: the fields of :class:`CharRNNTraining` (``steps``, ``cell``,
                ``hidden``, ``layers``, ``length``, ``minutes``, ``on_sample`` ...), the same
                as the flags of ``sketchml train charrnn``.

        Returns:
            The :class:`~sketchml.training.TrainingRun`: ``.history`` holds ``bpc`` per step
            and ``val_bpc`` where measured, ``.step`` how far it got. This model now writes
            with the trained network.

        Examples:
            >>> import sketchml as sk, tempfile
            >>> rnn = sk.model("charrnn", device="cpu")
            >>> run = rnn.train("to be or not to be, that is the question. " * 20,
            ...                 out=tempfile.mkdtemp(), steps=3, hidden=16, layers=1,
            ...                 length=16, batch_size=4, progress=False)
            >>> run.step, rnn.chars
            (3, ' ,.abehinoqrstu')
        """
        run, net = train_charrnn(data, out=out, device=self.device, **options)
        self.network = net.eval()
        self.source = repr(str(Path(out) / EXPORT_NAME))  # type: ignore[arg-type]
        return run


def _draw(logits: torch.Tensor, temperature: float, u: torch.Tensor) -> torch.Tensor:
    """One character id per row of ``logits`` ``(N, V)``, by inverse CDF at uniforms ``u`` ``(N,)``."""
    probs = torch.softmax(logits.double().cpu() / temperature, dim=-1)
    cdf = probs.cumsum(dim=-1)
    ids = (cdf < (u * cdf[:, -1])[:, None]).sum(dim=-1)
    return ids.clamp_(max=probs.shape[1] - 1)


def _whole(name: str, value: Any, low: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise sk.SketchmlError(f"{name} must be a whole number >= {low}, got {value!r}.")


def train_charrnn(data: Any, *, out: str | os.PathLike[str] | None, device: Any = None,
                  **options: Any) -> tuple[TrainingRun, CharRNNNet]:
    """Train a char-RNN (see :meth:`CharRNN.train`); returns ``(run, net)``.

    The same as ``sk.model("charrnn").train(...)`` without a model to start from, plus
    ``device`` (default: the best available).

    Examples:
        >>> import tempfile
        >>> from sketchml_text.charrnn import train_charrnn
        >>> run, net = train_charrnn("abcabcabc " * 40, out=tempfile.mkdtemp(), steps=2,
        ...                          hidden=8, layers=1, length=8, batch_size=2,
        ...                          progress=False, device="cpu")
        >>> net.chars, net.cell
        (' abc', 'lstm')
    """
    from sketchml_text.corpus import Corpus

    settings = CharRNNTraining.build("charrnn", options)
    if out is None:
        raise sk.SketchmlError("train() needs out='folder' for checkpoints, samples and the "
                               "trained weights, e.g. rnn.train('plays.txt', out='runs/plays').")
    for name in ("steps", "hidden", "layers", "embedding", "length", "batch_size"):
        _whole(name, getattr(settings, name))
    _whole("sample_length", settings.sample_length, 0)
    cell, validation, dropout = settings.cell, settings.validation, settings.dropout
    steps, length = settings.steps, settings.length
    if cell not in _CELLS:
        raise sk.SketchmlError(f"cell={cell!r} is not known: use 'lstm' or 'gru'."
                               f"{did_you_mean(cell, _CELLS)}")
    if not 0 <= validation < 0.5:
        raise sk.SketchmlError(f"validation is the fraction of the text held out, from 0 to "
                               f"0.5 (e.g. 0.1); got {validation!r}.")
    if not 0 <= dropout < 1:
        raise sk.SketchmlError(f"dropout must be from 0 to below 1, got {dropout!r}.")

    # Everything is read and checked before anything is written: bad data leaves no folder.
    text, where = _read_text(data)
    if isinstance(data, Corpus):
        train_text, val_text = data.train, data.validation
    else:
        train_text, val_text = _split(text, validation)
    vocab = "".join(sorted(set(text)))
    ids = torch.tensor(_ids(train_text, vocab, unknown="error", what="text"), dtype=torch.long)
    if len(ids) < length + 1:
        raise sk.SketchmlError(
            f"{where} has {len(train_text)} characters to train on, too few for one window of "
            f"length={length}. Use a longer text or a smaller length (e.g. length="
            f"{max(8, len(train_text) // 4)})."
        )
    windows = _Windows(ids, length)
    batch_size = min(settings.batch_size, len(windows))
    hidden, layers, embedding = settings.hidden, settings.layers, settings.embedding
    seed = settings.seed_for(out)

    config = {"family": "charrnn", "cell": cell, "hidden": hidden, "layers": layers,
              "embedding": embedding, "vocab": vocab, "length": length,
              "data": str(data) if isinstance(data, (os.PathLike, str)) and len(str(data)) < 256
              else type(data).__name__}
    previous = latest_checkpoint(Path(out) / "checkpoints")
    if previous is not None:
        before = previous.meta.get("config", {})
        changed = [k for k in ("cell", "hidden", "layers", "embedding", "vocab")
                   if before.get(k) != config[k]]
        if changed:
            what = "characters" if changed == ["vocab"] else ", ".join(
                f"{k}={before.get(k)!r}" for k in changed if k != "vocab")
            raise sk.SketchmlError(
                f"{out} holds a char-RNN run with different {what}; resuming it needs the same "
                f"settings and the same text. Pass those, or train into another out= folder."
            )

    seed_everything(seed)
    net = CharRNNNet(vocab, cell=cell, hidden=hidden, layers=layers, embedding=embedding,
                     dropout=dropout)
    optimizer = torch.optim.Adam(net.parameters(), lr=settings.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(step, steps) / steps)))

    def on_sample_run(run: TrainingRun) -> None:
        sample = _sample_text(run.modules["model"], settings.sample_length, seed)
        run.save_samples(sample)
        if settings.on_sample is not None:
            settings.on_sample(run.step, sample)

    run = TrainingRun(out=out, model=net, optimizers=optimizer, schedulers=schedule,
                      steps=steps, seed=seed, device=device,
                      sample_every=settings.sample_every or max(1, steps // 10),
                      on_sample=on_sample_run, progress=settings.progress, config=config,
                      checkpoint_every=settings.checkpoint_every, minutes=settings.minutes,
                      should_stop=settings.should_stop, export={EXPORT_NAME: "model"})
    eval_every = settings.eval_every or max(1, steps // 20)
    for step, (x, y) in run.loop(windows, batch_size=batch_size):
        logits, _ = run.model(x)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        optimizer.step()
        schedule.step()
        values = {"bpc": loss.detach() / math.log(2)}
        if val_text and (step % eval_every == 0 or step == steps):
            values["val_bpc"] = bits_per_char(net, val_text, unknown="drop")
        run.log(**values)
    return run, net


@torch.no_grad()
def _sample_text(net: CharRNNNet, length: int, seed: int) -> sk.Text:
    gen = torch.Generator().manual_seed(seed)
    device = net.head.weight.device
    chars = net.chars
    start = torch.tensor([_start_ids(chars)], device=device)
    logits, state = net(start)
    logits = logits[:, -1]
    out = []
    for _ in range(length):
        index = _draw(logits, 0.8, torch.rand(1, generator=gen, dtype=torch.float64))
        out.append(chars[int(index)])
        logits, state = net(index.to(device)[:, None], state)
        logits = logits[:, -1]
    return sk.Text("".join(out))
