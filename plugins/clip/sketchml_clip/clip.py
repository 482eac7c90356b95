"""CLIP: image and text embeddings in one space (Radford et al. 2021, arXiv:2103.00020).

The networks are open_clip's own (``open_clip.CLIP``), so its published checkpoints load key
for key: a ``state_dict`` with ``visual.*`` (image tower), ``token_embedding.weight``,
``positional_embedding``, ``transformer.*``, ``ln_final.*``, ``text_projection`` and
``logit_scale`` -- open_clip's ``open_clip_model.safetensors`` / ``open_clip_pytorch_model.bin``
on the Hugging Face hub, or a training checkpoint of open_clip's (``{"state_dict": ...}``).

The embedded default ``clip.tiny`` is the same architecture at toy scale (open_clip's
ModifiedResNet image tower at 32 px and width 16, a two-layer text transformer), trained by
``scripts/train_clip_tiny.py`` on sketchml's shapes world. Its text side uses open_clip's BPE
tokenizer followed by a lookup into the few dozen BPE tokens of its world's words (the rest
read as one "unknown" token), which keeps the weights small; the lookup and the architecture
travel in the safetensors metadata.

Images go through the model's own preprocessing written in torch (resize the short side,
centre crop, normalise), so ``encode`` is differentiable: gradients reach the input pixels,
which is what CLIP guidance needs.
"""
from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

import sketchml as sk
from sketchml.plugin import SketchmlError, did_you_mean, renamed, warn_renamed

if TYPE_CHECKING:
    from sketchml_clip.guide import Guidance

__all__ = ["CLIP", "CLIPOptions", "Classification", "TINY_ARCH", "TINY_TEMPLATES", "TINY_WORDS",
           "build_tiny", "save_tiny", "tiny_tokens"]

TINY_ARCH: dict[str, Any] = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 32, "layers": [1, 1, 1, 1], "width": 16, "head_width": 32},
    "text_cfg": {"context_length": 20, "width": 64, "heads": 2, "layers": 2, "mlp_ratio": 2.0},
}
"""The tiny CLIP's open_clip configuration (``vocab_size`` is set from its token list)."""

TINY_TEMPLATES: tuple[str, ...] = ("a {}", "a picture of a {}")
"""Zero-shot prompt templates matching how the tiny CLIP's training captions are worded."""

# Templates for open_clip's checkpoints: a few of the ImageNet prompts of the CLIP paper.
OPENAI_TEMPLATES: tuple[str, ...] = (
    "a photo of a {}.", "a bad photo of a {}.", "a drawing of a {}.", "a painting of the {}.",
    "a close-up photo of a {}.", "a rendering of a {}.", "a photo of the small {}.",
    "a photo of the large {}.",
)

TINY_WORDS = (
    "a an the of on in with and shape shapes picture photo drawing image background , . "
    "circle square triangle star cross circles squares triangles stars crosses round "
    "red orange yellow green blue purple pink white black "
    "small medium large big tiny "
    "top bottom left right centre center middle corner "
    "plain gradient noise noisy"
)
"""Words of the shapes world and of the ways its captions are phrased in training: the tiny
CLIP's vocabulary is the BPE tokens of these words (:func:`tiny_tokens`)."""

_METADATA_KEY = "sketchml_clip"
_MEAN = (0.48145466, 0.4578275, 0.40821073)
_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass
class CLIPOptions:
    """Options of the ``clip`` family (``sk.model("clip", arch=..., pretrained=...)``)."""

    arch: str = ""
    """An open_clip model name such as ``"ViT-B-32"``; empty for the embedded tiny CLIP."""

    pretrained: str = ""
    """The open_clip pretrained tag such as ``"openai"`` or ``"laion2b_s34b_b79k"``."""

    untrained: bool = False
    """Build the architecture with random weights and read no file (tests, benchmarks)."""


@dataclass
class Classification:
    """Zero-shot labels of a batch of images: :attr:`labels` (best per image) and :attr:`probabilities`.

    Attributes:
        labels: the most likely label of each image.
        probabilities: ``(N, L)`` softmax over the candidate labels, rows sum to 1.
        candidates: the candidate labels, in the column order of :attr:`probabilities`.

    Examples:
        >>> import torch
        >>> result = Classification(["star"], torch.tensor([[0.2, 0.8]]), ["circle", "star"])
        >>> result.indices.tolist(), result.top(1)
        ([1], [[('star', 0.800000011920929)]])
    """

    labels: list[str]
    probabilities: torch.Tensor
    candidates: list[str] = field(default_factory=list)

    @property
    def indices(self) -> torch.Tensor:
        """``(N,)`` column of the best label of each image."""
        return self.probabilities.argmax(dim=1)

    def top(self, k: int = 3) -> list[list[tuple[str, float]]]:
        """The ``k`` most likely ``(label, probability)`` pairs of each image, best first."""
        k = max(1, min(int(k), len(self.candidates)))
        values, columns = self.probabilities.topk(k, dim=1)
        return [[(self.candidates[c], float(v)) for v, c in zip(vs.tolist(), cs.tolist())]
                for vs, cs in zip(values, columns)]

    def __len__(self) -> int:
        return len(self.labels)


class CLIP(sk.Model):
    """CLIP image and text embeddings: ``encode(images or texts)``, ``similarity``, ``classify``,
    ``guide``.

    ``sk.model("clip")`` is the embedded tiny CLIP (shapes-world words, 32 px, offline);
    ``sk.model("clip.ViT-B-32.openai")`` and the other ``sk.models("clip*")`` are open_clip's
    published checkpoints, found in sketchml's cache (``~/.cache/sketchml/weights/clip/<variant>/``),
    the Hugging Face cache or the hub. To use a file you downloaded yourself, pass it:
    ``sk.model("clip.ViT-B-32.openai", weights="open_clip_model.safetensors")``; any other
    open_clip pair: ``sk.model("clip", arch="ViT-B-16", pretrained="laion2b_s34b_b88k",
    weights="path/to/its/file")``.

    :meth:`encode` gives a :class:`sk.Latent` whose ``"embedding"`` is ``(N, D)``, as every
    family's encode gives a Latent; :meth:`embed_images` and :meth:`embed_texts` give the bare
    tensors (differentiable, for losses). Embeddings are L2-normalised, ``(N, D)``. Images are
    ``(N, 3, H, W)`` float in [0, 1] (any
    size: resized and centre-cropped to :attr:`image_size` in torch, so gradients reach the
    pixels), ``sk.Images``, uint8 tensors, numpy arrays ``(H, W, 3)``, PIL images, file paths,
    or lists of those.

    Examples:
        >>> import sketchml as sk, torch
        >>> clip = sk.model("clip", device="cpu")
        >>> clip.similarity(torch.rand(2, 3, 64, 64), ["a red circle", "a blue star"]).shape
        torch.Size([2, 2])
    """

    Options = CLIPOptions
    hints = {
        "generate": "CLIP measures how well images match text, it does not make images: steer a "
                    "generator towards a prompt with sk.guide(...), or score images with "
                    "clip.similarity(images, texts)",
        "sample_latent": "CLIP has no latent space to sample; embed images or texts with "
                         "clip.encode(images) / clip.encode(texts)",
        "interpolate": "CLIP has no latent walk; interpolate a generator's latents instead "
                       "(e.g. sk.model('dcgan').interpolate(a, b))",
        "train": "the tiny CLIP is trained by scripts/train_clip_tiny.py; open_clip's own "
                 "training code fine-tunes the large ones",
    }

    # -- loading -----------------------------------------------------------------------------

    def load(self) -> None:
        options = self.options
        self.templates: tuple[str, ...] = OPENAI_TEMPLATES
        self._token_map: torch.Tensor | None = None
        self._known_words: frozenset[str] | None = None
        self._warned_words: set[str] = set()
        if options.arch:
            self._load_open_clip(options.arch, options.pretrained)
        elif options.pretrained:
            raise SketchmlError(
                f"pretrained={options.pretrained!r} needs the open_clip model it belongs to: "
                f"add arch=, e.g. sk.model('clip', arch='ViT-B-32', pretrained="
                f"{options.pretrained!r}); open_clip.list_pretrained() lists the pairs."
            )
        else:
            self._load_tiny()
        self.network.to(self.device).eval().requires_grad_(False)

    def _load_tiny(self) -> None:
        if self.options.untrained:
            config = {"arch": TINY_ARCH, "tokens": tiny_tokens(), "words": TINY_WORDS,
                      "mean": _MEAN, "std": _STD, "templates": list(TINY_TEMPLATES)}
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                self.network = build_tiny(config["tokens"], arch=config["arch"])
        else:
            path = self.weights_path()
            config = _tiny_config(path, self.name)
            with _skip_init():
                self.network = build_tiny(config["tokens"], arch=config["arch"])
            _load_state(self.network, sk.load_weights(path), path, self.name, tiny=True)
        self.arch = "tiny"
        self.mean, self.std = tuple(config["mean"]), tuple(config["std"])
        self.templates = tuple(config["templates"])
        self.context_length = int(config["arch"]["text_cfg"]["context_length"])
        self._token_map = _token_map(config["tokens"])
        self._known_words = frozenset(config["words"].split())
        self._tokenizer = _bpe_tokenizer()

    def _load_open_clip(self, arch: str, tag: str) -> None:
        import open_clip

        known = open_clip.list_models()
        if arch not in known:
            raise SketchmlError(
                f"arch={arch!r} is not an open_clip model.{did_you_mean(arch, known)} "
                "open_clip.list_models() lists them (e.g. 'ViT-B-32', 'ViT-B-16', 'RN50')."
            )
        cfg = open_clip.get_pretrained_cfg(arch, tag) if tag else {}
        if tag and not cfg:
            tags = [t for a, t in open_clip.list_pretrained() if a == arch]
            raise SketchmlError(
                f"{tag!r} is not a pretrained tag of open_clip's {arch}.{did_you_mean(tag, tags)} "
                f"Its tags: {', '.join(tags) or 'none (pass weights= with your own file)'}."
            )
        if (not tag and self.weights is None and not self.options.untrained
                and not self.variant.needs_weights):
            raise SketchmlError(
                f"sk.model('clip', arch={arch!r}) needs weights: a pretrained tag (pretrained="
                "'openai', see open_clip.list_pretrained()), a file (weights='path'), or "
                "untrained=True for random weights."
            )
        previous = logging.root.manager.disable
        # open_clip logs a warning whenever it builds a network without loading weights itself.
        logging.disable(logging.WARNING)
        try:
            with torch.random.fork_rng(devices=[]), _skip_init(not self.options.untrained):
                torch.manual_seed(0)
                network = open_clip.create_model(arch, pretrained=None,
                                                 force_quick_gelu=bool(cfg.get("quick_gelu")))
        finally:
            logging.disable(previous)
        if getattr(network, "visual", None) is None or not hasattr(network, "encode_text"):
            raise SketchmlError(f"open_clip's {arch!r} is not an image-text CLIP model.")
        self.network = network
        if not self.options.untrained:
            path = self._open_clip_file(arch, tag, cfg)
            _load_state(network, sk.load_weights(path), path, f"{self.name} ({arch})", tiny=False)
        preprocess = getattr(network.visual, "preprocess_cfg", {}) or {}
        self.arch = arch
        self.mean = tuple(cfg.get("mean") or preprocess.get("mean") or _MEAN)
        self.std = tuple(cfg.get("std") or preprocess.get("std") or _STD)
        self._tokenizer = open_clip.get_tokenizer(arch)
        self.context_length = int(getattr(self._tokenizer, "context_length", 77) or 77)

    def _open_clip_file(self, arch: str, tag: str, cfg: dict[str, Any]) -> Path:
        """The checkpoint: ``weights=``, the variant's files or the tag's in the caches, else the hub."""
        from sketchml_clip import CHECKPOINT_FILES

        if self.weights is not None:
            return self.weights_path()
        variants = [self.variant] if self.variant.needs_weights else []
        if tag:
            hub_id, file = _hub_parts(cfg.get("hf_hub") or "")
            variants.append(sk.VariantSpec(f"{arch}.{tag}", files=(file,) if file else CHECKPOINT_FILES,
                                           hub_id=hub_id or None))
        for variant in variants[:-1]:
            found = self.weights_path(variant=variant, required=False)
            if found is not None:
                return found
        return self.weights_path(variant=variants[-1])

    # -- properties the guidance code reads ----------------------------------------------

    @property
    def image_size(self) -> int:
        """Side of the square images the image tower takes, in pixels (224 for ViT-B-32)."""
        size = self.network.visual.image_size
        return int(size[0] if isinstance(size, (tuple, list)) else size)

    @property
    def embed_dim(self) -> int:
        """Length of the embeddings."""
        width = getattr(self.network.visual, "output_dim", None)
        if width is None:  # a timm image tower: ask its projection instead
            return int(self.embed_images(torch.zeros(1, 3, self.image_size, self.image_size)).shape[1])
        return int(width)

    @property
    def logit_scale(self) -> float:
        """CLIP's learned temperature: similarities times this are the logits it was trained on."""
        return float(self.network.logit_scale.exp())

    @property
    def known_words(self) -> frozenset[str] | None:
        """The words the tiny CLIP was trained on (``None`` for open_clip's open-vocabulary models)."""
        return self._known_words

    # -- images --------------------------------------------------------------------------

    def preprocess(self, images: Any) -> torch.Tensor:
        """Images -> the image tower's input: ``(N, 3, S, S)`` normalised, differentiable.

        The short side is resized to :attr:`image_size` (bicubic, antialiased when shrinking),
        the centre cropped, then ``(x - mean) / std``, as open_clip's own preprocessing does,
        but in torch, so gradients flow back to ``images``.

        Examples:
            >>> import sketchml as sk, torch
            >>> clip = sk.model("clip", device="cpu")
            >>> clip.preprocess(torch.rand(1, 3, 100, 80)).shape
            torch.Size([1, 3, 32, 32])
        """
        if isinstance(images, (list, tuple)):
            if not images:
                raise SketchmlError("Got an empty list of images; give at least one image.")
            return torch.cat([self.preprocess(item) for item in images])
        pixels = _as_images(images, self.device)
        size = self.image_size
        height, width = pixels.shape[-2:]
        if (height, width) != (size, size):
            scale = size / min(height, width)
            new = (max(size, round(height * scale)), max(size, round(width * scale)))
            pixels = F.interpolate(pixels, size=new, mode="bicubic", align_corners=False,
                                   antialias=scale < 1)
            top, left = (new[0] - size) // 2, (new[1] - size) // 2
            pixels = pixels[..., top:top + size, left:left + size]
        mean = pixels.new_tensor(self.mean).view(1, 3, 1, 1)
        std = pixels.new_tensor(self.std).view(1, 3, 1, 1)
        return (pixels - mean) / std

    @renamed(images="data")
    def encode(self, data: Any, *, normalize: bool = True) -> sk.Latent:
        """Images or texts as a :class:`sk.Latent` whose ``"embedding"`` is ``(N, D)``.

        ``data`` is text (a ``str`` or a list of them) or images (see the class; a ``str``
        naming an existing image file is that image). The embeddings are L2-normalised
        unless ``normalize=False``, and differentiable as :meth:`embed_images` says. The
        latent's metadata says what was embedded: ``kind`` (``"image"`` or ``"text"``) and,
        for text, ``texts``.

        Examples:
            >>> import sketchml as sk, torch
            >>> clip = sk.model("clip", device="cpu")
            >>> clip.encode(torch.rand(3, 3, 32, 32))["embedding"].shape
            torch.Size([3, 64])
            >>> clip.encode(["a red circle", "a blue star"]).metadata["kind"]
            'text'
        """
        if _is_text(data):
            texts = _as_texts(data)
            return self.latent({"embedding": self.embed_texts(texts, normalize=normalize)},
                               kind="text", texts=list(texts))
        return self.latent({"embedding": self.embed_images(data, normalize=normalize)},
                           kind="image")

    def embed_images(self, images: Any, *, normalize: bool = True) -> torch.Tensor:
        """Image embeddings ``(N, D)`` as a tensor, L2-normalised unless ``normalize=False``.

        Differentiable: with ``images.requires_grad``, ``embedding.sum().backward()`` reaches
        the pixels (the weights themselves are frozen).

        Examples:
            >>> import sketchml as sk, torch
            >>> clip = sk.model("clip", device="cpu")
            >>> clip.embed_images(torch.rand(3, 3, 32, 32)).norm(dim=1).round(decimals=4).tolist()
            [1.0, 1.0, 1.0]
        """
        features = self.network.encode_image(self.preprocess(images))
        return F.normalize(features, dim=-1) if normalize else features

    # -- text ----------------------------------------------------------------------------

    def tokenize(self, texts: str | Sequence[str]) -> torch.Tensor:
        """Token ids ``(N, context_length)`` on the model's device (open_clip's BPE tokenizer).

        Texts longer than the context are cut. For the tiny CLIP, words it was not trained on
        read as its "unknown" token and a warning names them once.

        Examples:
            >>> import sketchml as sk
            >>> sk.model("clip", device="cpu").tokenize(["a red star"]).shape
            torch.Size([1, 20])
        """
        texts = _as_texts(texts)
        if self._token_map is None:
            return self._tokenizer(list(texts)).to(self.device)
        self._warn_unknown(texts)
        tokens = self._tokenizer(list(texts), context_length=self.context_length)
        return self._token_map[tokens].to(self.device)

    def embed_texts(self, texts: str | Sequence[str], *, normalize: bool = True) -> torch.Tensor:
        """Text embeddings ``(N, D)`` as a tensor, L2-normalised unless ``normalize=False``.

        Examples:
            >>> import sketchml as sk
            >>> clip = sk.model("clip", device="cpu")
            >>> clip.embed_texts(["a red circle", "a blue star"]).shape
            torch.Size([2, 64])
        """
        features = self.network.encode_text(self.tokenize(texts))
        return F.normalize(features, dim=-1) if normalize else features

    def encode_text(self, texts: str | Sequence[str], *, normalize: bool = True) -> torch.Tensor:
        """Deprecated: ``clip.encode(texts)`` (a Latent) or :meth:`embed_texts` (a tensor).

        Examples:
            >>> import sketchml as sk, warnings
            >>> clip = sk.model("clip", device="cpu")
            >>> with warnings.catch_warnings():
            ...     warnings.simplefilter("ignore")
            ...     clip.encode_text("a red circle").shape
            torch.Size([1, 64])
        """
        warn_renamed("CLIP.encode_text()", "encode_text", "encode(texts) for a Latent, or "
                     "embed_texts(texts) for the tensor")
        return self.embed_texts(texts, normalize=normalize)

    def _warn_unknown(self, texts: Iterable[str]) -> None:
        import re

        if self._known_words is None:
            return
        words = {w for text in texts for w in re.findall(r"[a-z]+", text.lower())}
        unknown = sorted(words - self._known_words - self._warned_words)
        if unknown:
            self._warned_words.update(unknown)
            warnings.warn(
                f"The tiny CLIP does not know the word(s) {', '.join(map(repr, unknown))}: it was "
                "trained on the shapes world only (shapes, colours, sizes, positions), so they "
                "read as 'unknown'. For open-vocabulary prompts use an open_clip model such as "
                "sk.model('clip.ViT-B-32.openai').", UserWarning, stacklevel=3)

    # -- comparing ----------------------------------------------------------------------

    def similarity(self, images: Any,
                   texts: str | Sequence[str] | torch.Tensor | sk.Latent) -> torch.Tensor:
        """Cosine similarity ``(N_images, N_texts)`` between images and texts, in [-1, 1].

        ``texts`` may also be text embeddings ``(T, D)`` (from :meth:`embed_texts`, or the
        Latent :meth:`encode` gives), so a loop scoring many images against the same prompts
        encodes them once.

        Examples:
            >>> import sketchml as sk, torch
            >>> clip = sk.model("clip", device="cpu")
            >>> clip.similarity(torch.rand(1, 3, 32, 32), "a green square").shape
            torch.Size([1, 1])
        """
        image_embeddings = self.embed_images(images)
        if isinstance(texts, sk.Latent):
            texts = texts["embedding"]
        if isinstance(texts, torch.Tensor):
            text_embeddings = F.normalize(texts.to(image_embeddings), dim=-1).reshape(
                -1, image_embeddings.shape[1])
        else:
            text_embeddings = self.embed_texts(texts)
        return image_embeddings @ text_embeddings.T

    def label_embeddings(self, labels: Sequence[str], *,
                         templates: Sequence[str] | None = None) -> torch.Tensor:
        """One embedding per label ``(L, D)``: the normalised mean over prompt templates.

        Each template holds ``{}`` where the label goes (``"a photo of a {}."``); averaging
        several phrasings is how the CLIP paper builds its zero-shot classifiers.

        Examples:
            >>> import sketchml as sk
            >>> clip = sk.model("clip", device="cpu")
            >>> clip.label_embeddings(["circle", "star"], templates=["a {}"]).shape
            torch.Size([2, 64])
        """
        labels = _as_labels(labels)
        templates = tuple(templates) if templates is not None else self.templates
        bad = [t for t in templates if not isinstance(t, str) or "{}" not in t]
        if not templates or bad:
            raise SketchmlError(
                f"templates must be strings holding '{{}}' where the label goes, e.g. "
                f"['a photo of a {{}}.']; got {list(templates)!r}."
            )
        texts = [template.format(label) for label in labels for template in templates]
        embeddings = self.embed_texts(texts).view(len(labels), len(templates), -1)
        return F.normalize(embeddings.mean(dim=1), dim=-1)

    def classify(self, images: Any, labels: Sequence[str], *,
                 templates: Sequence[str] | None = None) -> Classification:
        """Zero-shot classification: which of ``labels`` best describes each image.

        Args:
            images: the images (see :meth:`encode`).
            labels: candidate labels, e.g. ``["circle", "star"]`` or ``["red", "blue"]``.
            templates: prompt templates with ``{}`` for the label; by default the model's own
                (the tiny CLIP's are phrased like its training captions, open_clip models use
                prompts from the CLIP paper).

        Returns:
            A :class:`Classification`: ``.labels`` (best label per image), ``.probabilities``
            ``(N, L)`` and ``.top(k)``.

        Examples:
            >>> import sketchml as sk
            >>> from sketchml.datasets import shapes_world
            >>> clip = sk.model("clip", device="cpu")
            >>> result = clip.classify(shapes_world(3, size=32).images, ["red", "blue", "green"])
            >>> len(result.labels), tuple(result.probabilities.shape)
            (3, (3, 3))
        """
        labels = _as_labels(labels)
        with torch.no_grad():
            classes = self.label_embeddings(labels, templates=templates)
            logits = self.logit_scale * self.embed_images(images) @ classes.T
        probabilities = logits.softmax(dim=1).cpu()
        return Classification([labels[i] for i in probabilities.argmax(dim=1).tolist()],
                              probabilities, labels)


    # -- guidance ----------------------------------------------------------------------------

    def guide(self, prompt: Any, **options: Any) -> Guidance:
        """Steer a generator or a picture towards ``prompt`` with this CLIP: ``guide(self, ...)``.

        The options are those of :func:`sketchml_clip.guide.guide` (``model=``, ``steps=``,
        ``optimiser=``, ``cutouts=`` ...); the result streams ``(step, image, loss, latent)``.

        Examples:
            >>> import sketchml as sk
            >>> clip = sk.model("clip", device="cpu")
            >>> steps = clip.guide("a red circle", model="pixels", size=32, steps=2, cutouts=2)
            >>> [step.step for step in steps]
            [0, 1]
        """
        from sketchml_clip.guide import guide

        return guide(self, prompt, **options)


# -- the tiny CLIP -------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _bpe_tokenizer() -> Any:
    from open_clip.tokenizer import SimpleTokenizer

    return SimpleTokenizer(context_length=TINY_ARCH["text_cfg"]["context_length"])


def tiny_tokens(words: str = TINY_WORDS) -> list[int]:
    """The BPE token ids (open_clip's tokenizer) of ``words``: the tiny CLIP's vocabulary.

    Examples:
        >>> len(tiny_tokens("a red star")) >= 3
        True
    """
    tokenizer = _bpe_tokenizer()
    found: set[int] = set()
    for word in words.split():
        found.update(tokenizer.encode(word))
    return sorted(found)


def _token_map(tokens: Sequence[int]) -> torch.Tensor:
    """BPE id -> tiny id. 0 is padding, then the known tokens, unknown, start, and end last.

    open_clip pools the text at the highest token id (its end-of-text token), so end-of-text
    must stay the largest id after the lookup.
    """
    tokenizer = _bpe_tokenizer()
    n = len(tokens)
    table = torch.full((tokenizer.vocab_size,), n + 1, dtype=torch.long)
    table[torch.tensor(list(tokens), dtype=torch.long)] = torch.arange(1, n + 1)
    table[0] = 0
    table[tokenizer.sot_token_id] = n + 2
    table[tokenizer.eot_token_id] = n + 3
    return table


def build_tiny(tokens: Sequence[int], *, arch: dict[str, Any] | None = None) -> torch.nn.Module:
    """An untrained tiny CLIP (``open_clip.CLIP``) for a vocabulary of BPE ``tokens``.

    Examples:
        >>> net = build_tiny(tiny_tokens())
        >>> net.visual.image_size
        32
    """
    import open_clip

    arch = arch or TINY_ARCH
    text_cfg = {**arch["text_cfg"], "vocab_size": len(tokens) + 4}
    return open_clip.CLIP(embed_dim=arch["embed_dim"], vision_cfg=dict(arch["vision_cfg"]),
                          text_cfg=text_cfg)


def save_tiny(network: torch.nn.Module, path: str | os.PathLike[str], *, tokens: Sequence[int],
              words: str = TINY_WORDS, arch: dict[str, Any] | None = None,
              templates: Sequence[str] = TINY_TEMPLATES,
              mean: Sequence[float] = _MEAN, std: Sequence[float] = _STD) -> Path:
    """Write a tiny CLIP as float16 safetensors, its config in the file's metadata (atomically).

    Examples:
        >>> import tempfile, sketchml as sk
        >>> path = save_tiny(build_tiny(tiny_tokens()), tempfile.mkdtemp() + "/t.safetensors",
        ...                  tokens=tiny_tokens())
        >>> sk.model("clip", weights=path, device="cpu").image_size
        32
    """
    from safetensors.torch import save

    config = {"format": 1, "arch": arch or TINY_ARCH, "tokens": list(map(int, tokens)),
              "words": words, "templates": list(templates), "mean": list(mean), "std": list(std)}
    tensors = {k: v.detach().to("cpu", torch.float16).contiguous()
               for k, v in network.state_dict().items()}
    data = save(tensors, metadata={_METADATA_KEY: json.dumps(config)})
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; weights are for everyone who runs sketches
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _tiny_config(path: Path, name: str) -> dict[str, Any]:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
    except Exception:
        metadata = {}
    if _METADATA_KEY not in metadata:
        raise SketchmlError(
            f"{str(path)!r} is not a tiny CLIP file (a safetensors file written by "
            "scripts/train_clip_tiny.py, with its config in the metadata). For an open_clip "
            "checkpoint name its model: sk.model('clip', arch='ViT-B-32', pretrained='openai', "
            "weights=...) or sk.model('clip.ViT-B-32.openai', weights=...)."
        )
    try:
        config = json.loads(metadata[_METADATA_KEY])
        for key in ("arch", "tokens", "words", "templates", "mean", "std"):
            config[key]  # noqa: B018  (a KeyError here means a damaged file)
    except (ValueError, KeyError, TypeError) as err:
        raise SketchmlError(f"The tiny CLIP config in {str(path)!r} ({name}) is damaged: {err}. "
                            "Train it again with scripts/train_clip_tiny.py.") from err
    return config


# -- checkpoints -----------------------------------------------------------------------------

_INIT_FUNCTIONS = ("uniform_", "normal_", "trunc_normal_", "kaiming_uniform_", "kaiming_normal_",
                   "xavier_uniform_", "xavier_normal_", "orthogonal_")


@contextlib.contextmanager
def _skip_init(skip: bool = True) -> Iterator[None]:
    """Build networks without drawing their random initial weights.

    Every parameter is overwritten by the checkpoint right after (loading is strict), and
    drawing them is most of the time it takes to build a large CLIP on a CPU. Buffers that
    are computed rather than drawn (open_clip's causal mask) are unaffected.
    """
    if not skip:
        yield
        return
    saved = {name: getattr(torch.nn.init, name) for name in _INIT_FUNCTIONS}
    try:
        for name in _INIT_FUNCTIONS:
            setattr(torch.nn.init, name, lambda tensor, *args, **kwargs: tensor)
        yield
    finally:
        for name, function in saved.items():
            setattr(torch.nn.init, name, function)


def _hub_parts(hf_hub: str) -> tuple[str, str]:
    """open_clip's ``"org/repo/"`` or ``"org/repo/file.bin"`` -> (repository, file or "")."""
    parts = hf_hub.strip("/").split("/")
    return "/".join(parts[:2]), "/".join(parts[2:])


def _load_state(network: torch.nn.Module, loaded: Any, path: Path, name: str, *, tiny: bool) -> None:
    """Load a CLIP state dict into ``network``, or say clearly why the file is not one."""
    state = loaded.get("state_dict", loaded) if isinstance(loaded, dict) else loaded
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise SketchmlError(
            f"{str(path)!r} does not hold a CLIP state dict (a mapping of names to tensors) for "
            f"{name}; give open_clip's open_clip_model.safetensors or open_clip_pytorch_model.bin."
        )
    if state and all(k.startswith("module.") for k in state):  # saved from DataParallel / DDP
        state = {k[len("module."):]: v for k, v in state.items()}
    expected = network.state_dict()
    if "logit_scale" in state and state["logit_scale"].shape != expected["logit_scale"].shape:
        state["logit_scale"] = state["logit_scale"].reshape(expected["logit_scale"].shape)
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    what = "a tiny CLIP file" if tiny else "an open_clip CLIP checkpoint of this architecture"
    if missing:
        clip_like = any(k.startswith("visual.") for k in state) and "logit_scale" in state
        kind = ("a CLIP checkpoint of another architecture or layout" if clip_like
                else "not a CLIP checkpoint")
        raise SketchmlError(
            f"{str(path)!r} is {kind}: {len(missing)} of the {len(expected)} tensors {name} needs "
            f"are missing (e.g. {', '.join(missing[:3])}). Expected {what}"
            + ("." if tiny else "; check arch= matches the file (open_clip.list_models()).")
        )
    mismatched = [k for k in expected if state[k].shape != expected[k].shape]
    if mismatched:
        key = mismatched[0]
        raise SketchmlError(
            f"{str(path)!r} is a CLIP checkpoint of another size: {key} is "
            f"{tuple(state[key].shape)} in the file but {tuple(expected[key].shape)} in {name}. "
            f"Expected {what}; check arch= matches the file."
        )
    if unexpected and not tiny:
        warnings.warn(f"{str(path)!r} has {len(unexpected)} tensors {name} does not use "
                      f"(e.g. {unexpected[0]}); they were ignored.", UserWarning, stacklevel=4)
    network.load_state_dict({k: state[k].to(expected[k].dtype) for k in expected}, strict=True)


# -- inputs -------------------------------------------------------------------------------

def _as_images(data: Any, device: torch.device) -> torch.Tensor:
    """Any single image or batch -> ``(N, 3, H, W)`` float in [0, 1] on ``device`` (graph kept)."""
    import numpy as np

    if isinstance(data, (str, os.PathLike)):
        from sketchml.plugin import read_image

        data = read_image(data)[..., :3]
    elif type(data).__module__.startswith("PIL."):
        data = np.array(data.convert("RGB"))
    elif hasattr(data, "get_pixels") and not isinstance(data, torch.Tensor):
        data = np.asarray(data.get_pixels())[..., :3]  # an sk.Image or a canvas
    if isinstance(data, np.ndarray):
        array = data
        if array.ndim == 2:
            array = np.repeat(array[..., None], 3, axis=-1)
        if array.ndim not in (3, 4) or array.shape[-1] not in (3, 4):
            raise SketchmlError(
                f"A numpy image must be (H, W, 3) or (N, H, W, 3) (RGBA is fine), got shape "
                f"{array.shape}.")
        tensor = torch.from_numpy(np.ascontiguousarray(array[..., :3])).movedim(-1, -3)
        data = tensor.float() / 255.0 if array.dtype == np.uint8 else tensor.float()
    if not isinstance(data, torch.Tensor):
        raise SketchmlError(
            f"CLIP cannot read images from a {type(data).__name__}: give a tensor (N, 3, H, W) in "
            "[0, 1], sk.Images, a numpy array (H, W, 3), a PIL image, a file path, or a list.")
    if type(data) is not torch.Tensor:
        data = data.as_subclass(torch.Tensor)  # sk.Images: a plain tensor, same graph
    if data.dim() == 3:
        data = data.unsqueeze(0)
    if data.dim() != 4 or data.shape[1] not in (1, 3, 4):
        raise SketchmlError(
            f"Images must be (N, 3, H, W) (or (3, H, W)), got shape {tuple(data.shape)}. For "
            "(H, W, 3) pixels use a numpy array, or tensor.permute(2, 0, 1).")
    if data.shape[1] == 1:
        data = data.expand(-1, 3, -1, -1)
    elif data.shape[1] == 4:
        data = data[:, :3]
    if data.dtype == torch.uint8:
        data = data.float() / 255.0
    elif not data.is_floating_point():
        raise SketchmlError(f"Images must be float in [0, 1] or uint8, got {data.dtype}.")
    return data.to(device=device, dtype=torch.float32)


_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}


def _is_text(data: Any) -> bool:
    """Whether ``encode(data)`` means text: a str or a list of str, none an image file's path."""
    items = [data] if isinstance(data, str) else data if isinstance(data, (list, tuple)) else None
    if not items or not all(isinstance(item, str) for item in items):
        return False
    return not any(Path(item).suffix.lower() in _IMAGE_SUFFIXES and Path(item).is_file()
                   for item in items)


def _as_texts(texts: Any) -> list[str]:
    if isinstance(texts, str):
        return [texts]
    if isinstance(texts, torch.Tensor) or not isinstance(texts, Iterable):
        raise SketchmlError(
            f"Texts must be a string or a list of strings, got {type(texts).__name__}.")
    items = list(texts)
    if not items:
        raise SketchmlError("Got an empty list of texts; give at least one string.")
    bad = [t for t in items if not isinstance(t, str)]
    if bad:
        raise SketchmlError(f"Texts must all be strings, got {type(bad[0]).__name__} ({bad[0]!r}).")
    return items


def _as_labels(labels: Any) -> list[str]:
    items = _as_texts(labels)
    blank = [i for i, label in enumerate(items) if not label.strip()]
    if blank:
        raise SketchmlError(f"Label {blank[0]} is blank; every label needs words, e.g. 'circle'.")
    return items
