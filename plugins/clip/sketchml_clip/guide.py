"""CLIP guidance: change a picture's numbers until CLIP says it matches the prompt.

Guidance needs a *target* -- numbers that make a picture -- and a CLIP model to score the
picture against the prompt. The target is a generator's latent (DCGAN's ``z``, BigGAN's
noise and class logits, StyleGAN2's W or W+, or the latent of any :class:`sketchml.Model`
whose ``generate`` is differentiable) or a direct image parameterisation from
:mod:`sketchml_clip.params` (pixels, Fourier with decorrelated colour, limited-palette
pixel art).

Each step CLIP looks at random views of the picture ("cutouts": squares of it resized to
its input size, turned, slid, mirrored and noised) and the loss is minus the
weighted mean cosine similarity between them and each prompt part (negative weights push
away), plus optional total-variation and latent-norm penalties. A generator starts from
the best-scoring of several random latents (``starts=``). The optimiser is Adam (gradients through
generator and CLIP), CMA-ES (``cma``: no gradients, any generator), or CMA-ES followed by
Adam.

:func:`guide` returns a :class:`Guidance`: an iterator of :class:`GuideStep`
``(step, image, loss, latent)`` that a sketch draws frame by frame. It keeps the best
step; :meth:`Guidance.result` turns it into a :class:`GuideResult` whose latent is the
generator's own (so ``model.generate(result.latent)`` renders it again and ``sk.walk``
walks between results) and carries the settings in its metadata.

Examples:
    >>> import sketchml as sk
    >>> clip = sk.model("clip", untrained=True, device="cpu")
    >>> guidance = guide(clip, "a red circle", model="pixels", size=32, steps=3, cutouts=2)
    >>> [step.step for step in guidance]
    [0, 1, 2]
    >>> guidance.result().image.shape
    torch.Size([1, 3, 32, 32])
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F

import sketchml as sk
from sketchml.plugin import SketchmlError, did_you_mean
from sketchml_clip.params import PARAMETERISATIONS, parameterisation
from sketchml_clip.prompts import Prompt, parse_prompt

__all__ = ["OPTIMISERS", "GuideResult", "GuideStep", "Guidance", "guide", "rerender"]

OPTIMISERS = ("adam", "cma", "cma+adam")
"""The optimisers guidance can use: ``"adam"`` (gradients), ``"cma"`` (CMA-ES, no
gradients) and ``"cma+adam"`` (CMA-ES for ``cma_steps``, then Adam from its best)."""

# Adam's step size per kind of target when lr= is not given: each moves its numbers about
# as far per step as the picture can follow.
# Starting latents scored, per family, when starts= is not given (1 for the others).
_STARTS = {"dcgan": 32}

_LEARNING_RATES = {"pixels": 0.05, "fourier": 0.06, "pixelart": 0.1, "dcgan": 0.05,
                   "biggan": 0.03, "stylegan2": 0.02}


class GuideStep(NamedTuple):
    """One step of guidance: ``(step, image, loss, latent)``.

    Attributes:
        step: the step number, from 0.
        image: the picture scored at this step, ``sk.Images`` ``(1, 3, H, W)`` in [0, 1].
        loss: its loss (lower is better: minus the weighted CLIP similarity, plus penalties).
        latent: the numbers that made it, a ``sk.Latent`` of the generator's own kind.
    """

    step: int
    image: Any
    loss: float
    latent: sk.Latent


@dataclass
class GuideResult:
    """The best picture guidance found, its latent, loss and the settings that made it.

    ``latent.metadata["guide"]`` holds the settings, so a saved result says how it was made;
    ``model.generate(result.latent)`` (or :func:`rerender`) renders it again.

    Attributes:
        image: ``sk.Images`` ``(1, 3, H, W)`` in [0, 1], rendered from :attr:`latent`.
        latent: the generator's latent (``{"z": ...}`` for DCGAN, ``{"z", "y"}`` for BigGAN,
            ``{"w": ...}`` for StyleGAN2, the parameterisation's tensors otherwise).
        loss: the loss of the step it comes from.
        step: that step's number.
        settings: prompt, optimiser, steps, seed ... (JSON-friendly).
        model: the generator that made it (to render or walk its latents:
            ``sk.walk_frames(result.model, [a.latent, b.latent])``).
    """

    image: Any
    latent: sk.Latent
    loss: float
    step: int
    settings: dict[str, Any]
    model: Any = None

    def save(self, path: str | os.PathLike[str], *, size: int | None = None,
             resample: str = "lanczos") -> Path:
        """Write ``NAME.png``, ``NAME.safetensors`` (the latent) and ``NAME.json`` (settings).

        ``path`` is ``NAME`` with or without a suffix; each file is written atomically.
        ``size`` scales the PNG so its longer side is that many pixels, with ``resample``
        (``"lanczos"`` by default; ``"bicubic"``, ``"bilinear"``, or ``"nearest"`` for
        blocks); the latent still renders the picture at the generator's own size.
        Returns the PNG's path.

        Examples:
            >>> import tempfile, sketchml as sk
            >>> clip = sk.model("clip", untrained=True, device="cpu")
            >>> result = guide(clip, "a blue star", model="pixels", size=16, steps=2).run()
            >>> result.save(tempfile.mkdtemp() + "/star").name
            'star.png'
        """
        base = Path(path)
        if base.suffix.lower() in (".png", ".json", ".safetensors"):
            base = base.with_suffix("")
        # Scaled first, so a bad size or resample leaves nothing half-written.
        image = self.image if size is None else self.image.resized(size, resample=resample)
        base.parent.mkdir(parents=True, exist_ok=True)
        self.latent.save(base.with_name(base.name + ".safetensors"))
        record = {**self.settings, "loss": self.loss, "step": self.step,
                  "family": self.latent.family, "variant": self.latent.variant,
                  "options": self.latent.options}
        _write_text(base.with_name(base.name + ".json"), json.dumps(record, indent=2) + "\n")
        png = base.with_name(base.name + ".png")
        image.save(png)
        return png

    def _repr_png_(self) -> bytes:
        return self.image._repr_png_()


class Guidance:
    """Guidance in progress: iterate it for :class:`GuideStep`\\ s; it remembers the best.

    Made by :func:`guide`. Iterating runs one optimiser step (Adam) or one generation
    (CMA-ES) per item, so a sketch can call ``next(guidance)`` once per frame and draw
    ``step.image``. Stop whenever you like: :meth:`result` is the best step so far.
    :meth:`run` runs the remaining steps (with a progress bar) and returns the result.

    Attributes:
        steps: how many steps it runs in all.
        settings: the settings, as saved with the result.
        model: the generator being steered.
        best: the best :class:`GuideStep` so far (lowest loss), or ``None`` before the first.
    """

    def __init__(self, steps: int, settings: dict[str, Any], producer: Iterator[GuideStep],
                 model: sk.Model) -> None:
        self.steps = steps
        self.settings = settings
        self.model = model
        self.best: GuideStep | None = None
        self._producer = producer
        self._done = False
        self._last = -1

    def __iter__(self) -> Guidance:
        return self

    def __next__(self) -> GuideStep:
        if self._done:
            raise StopIteration
        try:
            step = next(self._producer)
        except StopIteration:
            self._done = True
            raise
        self._last = step.step
        if self.best is None or step.loss < self.best.loss:
            self.best = step
        return step

    @property
    def done(self) -> bool:
        """Whether every step has run or :meth:`stop` was called."""
        return self._done

    @property
    def step(self) -> int:
        """The number of the last step made (-1 before the first)."""
        return self._last

    def stop(self) -> None:
        """End guidance now; the best step so far stays available through :meth:`result`."""
        self._done = True
        self._producer.close()

    def result(self) -> GuideResult:
        """The best step so far as a :class:`GuideResult` (rendered again from its latent)."""
        if self.best is None:
            raise SketchmlError(
                "Guidance has not made a step yet, so there is no result: iterate it "
                "(next(guidance)) or call guidance.run() first.")
        best = self.best
        settings = {**self.settings, "step": best.step, "loss": best.loss}
        meta = {**best.latent.metadata, "guide": settings}
        latent = sk.Latent(dict(best.latent.tensors), **meta)
        return GuideResult(rerender(latent, model=self.model), latent, best.loss, best.step,
                           settings, self.model)

    def run(self, *, progress: bool | None = None) -> GuideResult:
        """Run the remaining steps and return :meth:`result`; ``progress`` shows a bar
        (default: when a person watches the terminal).

        Examples:
            >>> import sketchml as sk
            >>> clip = sk.model("clip", untrained=True, device="cpu")
            >>> guide(clip, "a green square", model="fourier", size=16, steps=2).run().step in (0, 1)
            True
        """
        from sketchml.plugin import progress_bar

        bar = progress_bar(total=self.steps, initial=self._last + 1, desc="guide",
                           quiet=None if progress is None else not progress)
        try:
            for step in self:
                bar.update(1)
                bar.set_postfix(loss=f"{step.loss:.4f}", refresh=False)
        finally:
            bar.close()
        return self.result()

    def __repr__(self) -> str:
        best = "none yet" if self.best is None else f"{self.best.loss:.4f} at step {self.best.step}"
        return (f"<Guidance {self.settings['prompt']!r}: step {self._last + 1}/{self.steps}, "
                f"best loss {best}>")


# -- targets: the numbers guidance changes ----------------------------------------------------

@dataclass
class _Target:
    """A generator's latent as optimisable tensors, and how to turn them into pictures."""

    model: sk.Model
    kind: str
    tensors: dict[str, torch.Tensor]
    render: Callable[[dict[str, torch.Tensor]], torch.Tensor]
    to_latent: Callable[[dict[str, torch.Tensor]], sk.Latent]
    prior: Callable[[dict[str, torch.Tensor]], torch.Tensor]
    scales: dict[str, float]


def _clamp(images: torch.Tensor) -> torch.Tensor:
    """Clamp to [0, 1] in the forward pass but let gradients through where it clamps.

    A plain clamp stops the gradient of saturated pixels, and a picture that has drifted
    out of range could never come back.
    """
    return images.clamp(0, 1) + (images - images.detach())


def _gaussian_prior(tensors: dict[str, torch.Tensor], key: str, variance: float) -> torch.Tensor:
    # A standard normal latent of D numbers lies near the sphere of radius sqrt(D * variance).
    z = tensors[key]
    return (z.pow(2).flatten(1).mean(1) / variance - 1).pow(2).mean()


def _make_target(model: sk.Model, *, seed: int, init: sk.Latent | None,
                 latent_options: Mapping[str, Any], count: int = 1) -> _Target:
    """The target of ``model``, holding ``count`` starting latents (one when ``init`` is given)."""
    # The GAN families run generate() without gradients (their pictures are plain tensors a
    # sketch may edit in place), so guidance calls their documented bare networks instead.
    family = model.family
    network = _network(model, "network", "net")
    if family == "dcgan" and network is not None:
        return _dcgan_target(model, network, seed=seed, init=init, count=count)
    if family == "biggan" and network is not None:
        return _biggan_target(model, network, seed=seed, init=init, latent_options=latent_options,
                              count=count)
    if family == "stylegan2" and network is not None and hasattr(network, "synthesis"):
        return _stylegan_target(model, network, seed=seed, init=init,
                                latent_options=latent_options, count=count)
    return _generic_target(model, seed=seed, init=init, latent_options=latent_options,
                           count=count)


def _network(model: sk.Model, *names: str) -> torch.nn.Module | None:
    for name in names:
        value = getattr(model, name, None)
        if isinstance(value, torch.nn.Module):
            return value
    return None


def _start(model: sk.Model, seed: int, init: sk.Latent | None,
           latent_options: Mapping[str, Any], count: int = 1) -> sk.Latent:
    if init is not None:
        latent = init if isinstance(init, sk.Latent) else sk.Latent(init)
        if len(latent) != 1:
            raise SketchmlError(f"init= must be one latent, got {len(latent)}; pick one with latent[i].")
        return latent.to(model.device)
    return model.sample_latent(count, seed=seed, **latent_options)


def _dcgan_target(model: Any, network: torch.nn.Module, *, seed: int,
                  init: sk.Latent | None, count: int = 1) -> _Target:
    start = _start(model, seed, init, {}, count)
    meta = dict(start.metadata)

    def render(t: dict[str, torch.Tensor]) -> torch.Tensor:
        return _clamp((network(t["z"]) + 1) / 2)

    return _Target(model, "dcgan", {"z": start["z"].float()}, render,
                   lambda t: sk.Latent({"z": t["z"]}, **meta),
                   lambda t: _gaussian_prior(t, "z", 1.0), {"z": 1.0})


def _biggan_target(model: Any, network: torch.nn.Module, *, seed: int,
                   init: sk.Latent | None, latent_options: Mapping[str, Any],
                   count: int = 1) -> _Target:
    start = _start(model, seed, init, latent_options, count)
    meta = {key: value for key, value in start.metadata.items() if key != "label"}
    truncation = float(meta.get("truncation", 0.4))
    meta["truncation"] = truncation
    # As in the BigGAN + CLIP notebooks: the class vector is a softmax over free logits,
    # starting near the sampled class (about half its weight) and open to any mixture.
    logits = torch.log(start["y"].float().clamp_min(1e-3))
    # The noise is a standard normal cut at 2, times the truncation: its variance.
    variance = 0.774 * truncation ** 2

    def render(t: dict[str, torch.Tensor]) -> torch.Tensor:
        out = network(t["z"], t["logits"].softmax(dim=1), truncation)
        return _clamp((out + 1) / 2)

    def to_latent(t: dict[str, torch.Tensor]) -> sk.Latent:
        return sk.Latent({"z": t["z"], "y": t["logits"].softmax(dim=1)}, **meta)

    return _Target(model, "biggan", {"z": start["z"].float(), "logits": logits}, render,
                   to_latent, lambda t: _gaussian_prior(t, "z", variance),
                   {"z": truncation, "logits": 1.0})


def _stylegan_target(model: Any, net: Any, *, seed: int, init: sk.Latent | None,
                     latent_options: Mapping[str, Any], count: int = 1) -> _Target:
    options = dict(latent_options)
    space = options.pop("space", "w")
    if space not in ("w", "w+"):
        raise SketchmlError(
            f"StyleGAN2 guidance moves W or W+, not space={space!r}: use "
            "latent_options={'space': 'w'} (one style for all layers) or {'space': 'w+'}.")
    start = _start(model, seed, init, {**options, "space": space}, count)
    if "w" not in start.tensors:
        raise SketchmlError("init= for StyleGAN2 guidance must be a W or W+ latent ({'w': ...}); "
                            "make one with gan.sample_latent(1, space='w').")
    avg = model.latent_avg.detach()
    meta = dict(start.metadata)
    w0 = start["w"].float()
    spread = float((w0 - avg).pow(2).mean().clamp_min(1e-6))

    def render(t: dict[str, torch.Tensor]) -> torch.Tensor:
        w = t["w"]
        w_plus = w.unsqueeze(1).repeat(1, net.n_latent, 1) if w.dim() == 2 else w
        return _clamp((net.synthesis(w_plus, noise="const") + 1) / 2)

    return _Target(model, "stylegan2", {"w": w0}, render,
                   lambda t: sk.Latent({"w": t["w"]}, **meta),
                   lambda t: ((t["w"] - avg).pow(2).mean() / spread - 1).clamp_min(0),
                   {"w": math.sqrt(spread)})


def _generic_target(model: sk.Model, *, seed: int, init: sk.Latent | None,
                    latent_options: Mapping[str, Any], count: int = 1) -> _Target:
    if not model.can("generate") or not model.can("sample_latent"):
        raise SketchmlError(
            f"The {model.family!r} model cannot be guided: guidance needs a family that makes "
            f"images from latents (generate and sample_latent); it can: "
            f"{', '.join(model.verbs()) or 'nothing'}.")
    start = _start(model, seed, init, latent_options, count)
    meta = dict(start.metadata)
    tensors = {k: v.float() for k, v in start.tensors.items() if v.is_floating_point()}
    fixed = {k: v for k, v in start.tensors.items() if k not in tensors}
    kind = type(model).__name__.lower() if model.family not in PARAMETERISATIONS else model.family

    def render(t: dict[str, torch.Tensor]) -> torch.Tensor:
        images = model.generate(sk.Latent({**t, **fixed}, **meta))
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 3:
            raise SketchmlError(
                f"The {model.family!r} model's generate() returned "
                f"{type(images).__name__}, not images (N, 3, H, W): guidance steers image "
                "generators only.")
        images = images.as_subclass(torch.Tensor)
        return _clamp(images) if images.requires_grad else images.clamp(0, 1)

    if model.family in PARAMETERISATIONS:
        def prior(t: dict[str, torch.Tensor]) -> torch.Tensor:
            return sum(v.pow(2).mean() for v in t.values()) / len(t)
    else:
        def prior(t: dict[str, torch.Tensor]) -> torch.Tensor:
            return sum(_gaussian_prior(t, key, 1.0) for key in t) / len(t)

    return _Target(model, kind, tensors, render, lambda t: sk.Latent({**t, **fixed}, **meta),
                   prior, dict.fromkeys(tensors, 1.0))


# -- cutouts -------------------------------------------------------------------------------

# How far augmented cutouts may turn (radians), slide (a fraction of the view's side) and
# how much noise they may carry (standard deviation, pixels in [0, 1]).
_TURN = 0.35
_SLIDE = 0.15
_NOISE = 0.1


@dataclass(frozen=True)
class _Cut:
    zoom: float
    """The side of the view, as a fraction of the picture's short side."""
    x: float
    y: float
    """The view's centre, -1..1 across the picture."""
    angle: float
    flip: bool
    noise: float


def _draw_cuts(gen: torch.Generator, height: int, width: int, *, count: int,
               sizes: tuple[float, float], augment: bool) -> list[_Cut]:
    """``count`` views: the whole picture first, then random squares of ``sizes`` x the short
    side, anywhere in the picture (and, with ``augment``, a little beyond its edges, turned,
    mirrored and noisy)."""
    cuts = [_Cut(1.0, 0.0, 0.0, 0.0, False, 0.0)]
    low, high = sizes
    for _ in range(count - 1):
        u = torch.rand(6, generator=gen).tolist()
        zoom = low + (high - low) * u[0]
        room = 1 - zoom + (_SLIDE * zoom if augment else 0.0)
        x, y = room * (2 * u[1] - 1), room * (2 * u[2] - 1)
        if augment:
            cuts.append(_Cut(zoom, x, y, _TURN * (2 * u[3] - 1), u[4] < 0.5, _NOISE * u[5]))
        else:
            cuts.append(_Cut(zoom, x, y, 0.0, False, 0.0))
    return cuts


def _apply_cuts(images: torch.Tensor, cuts: Sequence[_Cut], size: int,
                noise: torch.Tensor | None) -> torch.Tensor:
    """``(N, 3, H, W)`` -> ``(N * len(cuts), 3, size, size)``, picture-major.

    Each view is resampled from the picture at its own resolution (the edge pixels extend
    beyond it), then shrunk to CLIP's input size with antialiasing.
    """
    n, _, height, width = images.shape
    short = min(height, width)
    theta = torch.zeros(len(cuts), 2, 3)
    for i, cut in enumerate(cuts):
        cos, sin = math.cos(cut.angle), math.sin(cut.angle)
        mirror = -1.0 if cut.flip else 1.0
        sx, sy = cut.zoom * short / width, cut.zoom * short / height
        theta[i] = torch.tensor([[sx * cos * mirror, -sx * sin, cut.x],
                                 [sy * sin * mirror, sy * cos, cut.y]])
    side = max(size, round(short * max(cut.zoom for cut in cuts)))
    theta = theta.to(images).repeat(n, 1, 1)
    grid = F.affine_grid(theta, [n * len(cuts), 3, side, side], align_corners=False)
    repeated = images.unsqueeze(1).expand(-1, len(cuts), -1, -1, -1).flatten(0, 1)
    views = F.grid_sample(repeated, grid, mode="bilinear", padding_mode="border",
                          align_corners=False)
    if side != size:
        views = F.interpolate(views, size=(size, size), mode="bilinear", align_corners=False,
                              antialias=True)
    views = views.view(n, len(cuts), 3, size, size)
    if noise is not None:
        views = views + noise
    return views.flatten(0, 1)


# -- the loss -------------------------------------------------------------------------------

class _Objective:
    """Per-picture loss: minus weighted CLIP similarity over cutouts, plus penalties."""

    def __init__(self, clip: Any, parts: Sequence[Prompt], *, cutouts: int,
                 cut_size: tuple[float, float], augment: bool, tv: float, latent_norm: float,
                 seed: int) -> None:
        self.clip = clip
        self.cutouts = cutouts
        self.cut_size = cut_size
        self.augment = augment
        self.tv = tv
        self.latent_norm = latent_norm
        self.gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            texts = [part.text for part in parts if part.image is None]
            encoded = iter(clip.embed_texts(texts) if texts else ())
            embeddings = [next(encoded) if part.image is None else clip.embed_images(part.image)[0]
                          for part in parts]
        self.targets = torch.stack(embeddings).float()
        weights = torch.tensor([part.weight for part in parts], device=self.targets.device)
        self.weights = weights / weights.abs().sum()

    def draw(self, height: int, width: int) -> tuple[list[_Cut], torch.Tensor | None]:
        """This step's cutouts, shared by every candidate so they are judged alike."""
        cuts = _draw_cuts(self.gen, height, width, count=self.cutouts, sizes=self.cut_size,
                          augment=self.augment)
        noise = None
        if self.augment:
            size = self.clip.image_size
            scale = torch.tensor([cut.noise for cut in cuts]).view(1, -1, 1, 1, 1)
            noise = (torch.randn(1, len(cuts), 3, size, size, generator=self.gen) * scale)
        return cuts, noise

    def __call__(self, images: torch.Tensor, tensors: dict[str, torch.Tensor], prior: Any,
                 draw: tuple[list[_Cut], torch.Tensor | None]) -> torch.Tensor:
        cuts, noise = draw
        size = self.clip.image_size
        if noise is not None:
            noise = noise.to(images.device)
        pieces = _apply_cuts(images, cuts, size, noise)
        embeddings = self.clip.embed_images(pieces).view(images.shape[0], len(cuts), -1)
        similarity = (embeddings @ self.targets.T.to(embeddings)).mean(dim=1)
        loss = -(similarity * self.weights.to(similarity)).sum(dim=1)
        if self.tv:
            loss = loss + self.tv * _total_variation(images)
        if self.latent_norm:
            loss = loss + self.latent_norm * prior(tensors)
        return loss


def _total_variation(images: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels, per picture ``(N,)``."""
    dx = (images[..., :, 1:] - images[..., :, :-1]).abs().flatten(1).mean(1)
    dy = (images[..., 1:, :] - images[..., :-1, :]).abs().flatten(1).mean(1)
    return dx + dy


# -- optimisers ----------------------------------------------------------------------------

def _adam(target: _Target, objective: _Objective, start: dict[str, torch.Tensor], *,
          first: int, last: int, lr: float) -> Iterator[GuideStep]:
    params = {k: v.detach().clone().requires_grad_(True) for k, v in start.items()}
    optimiser = torch.optim.Adam(params.values(), lr=lr)
    for step in range(first, last):
        snapshot = {k: v.detach().clone() for k, v in params.items()}
        images = target.render(params)
        draw = objective.draw(images.shape[-2], images.shape[-1])
        loss = objective(images, params, target.prior, draw).sum()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        latent = target.to_latent(snapshot)
        yield GuideStep(step, sk.Images(images.detach(), latent=latent), float(loss.detach()), latent)


def _import_cma() -> Any:
    with warnings.catch_warnings():
        # cma warns on import when matplotlib is missing; guidance never plots.
        warnings.simplefilter("ignore", UserWarning)
        import cma
    return cma


def _cma(target: _Target, objective: _Objective, start: dict[str, torch.Tensor], *,
         first: int, last: int, population: int, sigma: float, batch: int, seed: int,
         best_out: dict[str, Any]) -> Iterator[GuideStep]:
    """CMA-ES generations; ``best_out`` receives the best candidate seen (for Adam after it)."""
    import numpy as np

    cma = _import_cma()
    keys = list(start)
    shapes = {k: start[k].shape for k in keys}
    device = start[keys[0]].device
    x0 = torch.cat([start[k].detach().flatten().double().cpu() for k in keys]).numpy()
    stds = np.concatenate([np.full(start[k].numel(), target.scales[k]) for k in keys])
    rng = np.random.default_rng(seed)
    options = {"popsize": population, "seed": seed + 1, "verbose": -9, "CMA_stds": stds,
               "randn": lambda *shape: rng.standard_normal(shape), "maxiter": last - first + 1,
               "tolfun": 0, "tolx": 0, "tolfunhist": 0, "tolstagnation": 10 ** 9}
    if x0.size > 1000:
        # A full covariance over thousands of numbers costs more than it learns here.
        options["CMA_diagonal"] = True
    strategy = cma.CMAEvolutionStrategy(x0, sigma, options)

    def unflatten(rows: np.ndarray) -> dict[str, torch.Tensor]:
        values = torch.from_numpy(np.asarray(rows, dtype=np.float32)).to(device)
        out, offset = {}, 0
        for k in keys:
            count = int(np.prod(shapes[k][1:]))
            out[k] = values[:, offset:offset + count].reshape(len(rows), *shapes[k][1:])
            offset += count
        return out

    for step in range(first, last):
        candidates = strategy.ask()
        losses, best_image, best_loss, best_tensors = [], None, math.inf, None
        draw = None
        with torch.no_grad():
            for begin in range(0, len(candidates), batch):
                tensors = unflatten(np.stack(candidates[begin:begin + batch]))
                images = target.render(tensors)
                if draw is None:
                    draw = objective.draw(images.shape[-2], images.shape[-1])
                chunk = objective(images, tensors, _per_item_prior(target), draw)
                losses.extend(chunk.tolist())
                i = int(chunk.argmin())
                if float(chunk[i]) < best_loss:
                    best_loss = float(chunk[i])
                    best_image = images[i:i + 1]
                    best_tensors = {k: v[i:i + 1].clone() for k, v in tensors.items()}
        strategy.tell(candidates, losses)
        if best_loss < best_out.get("loss", math.inf):
            best_out.update(tensors=best_tensors, loss=best_loss)
        latent = target.to_latent(best_tensors)
        yield GuideStep(step, sk.Images(best_image, latent=latent), best_loss, latent)


def _per_item_prior(target: _Target) -> Callable[[dict[str, torch.Tensor]], torch.Tensor]:
    """The target's prior for each candidate of a batch separately ``(N,)``."""
    def prior(tensors: dict[str, torch.Tensor]) -> torch.Tensor:
        n = next(iter(tensors.values())).shape[0]
        return torch.stack([target.prior({k: v[i:i + 1] for k, v in tensors.items()})
                            for i in range(n)])
    return prior


# -- the entry point --------------------------------------------------------------------------

def guide(
    clip: Any,
    prompt: str | Sequence[Any] | None = None,
    *,
    model: str | sk.Model = "fourier",
    steps: int = 100,
    optimiser: str = "adam",
    lr: float | None = None,
    cutouts: int = 16,
    cut_size: tuple[float, float] = (0.8, 1.0),
    augment: bool = True,
    tv: float = 0.0,
    latent_norm: float = 0.0,
    seed: int = 0,
    image_prompts: Sequence[Any] | None = None,
    init: sk.Latent | None = None,
    latent_options: Mapping[str, Any] | None = None,
    population: int = 16,
    sigma: float = 0.5,
    cma_steps: int | None = None,
    batch: int = 8,
    size: int | None = None,
    weights: str | os.PathLike[str] | None = None,
    starts: int | None = None,
) -> Guidance:
    """Steer a generator (or a picture's pixels) towards a prompt with ``clip``.

    Args:
        clip: a CLIP model (``sk.model("clip")``), which scores pictures against prompts.
        prompt: ``"a lighthouse:1 | fog:0.5 | text:-1"``: parts separated by ``|``, each with
            an optional ``:weight`` (negative to steer away); or a list of parts.
        model: what makes the picture: ``"fourier"`` (the default: smooth, painterly), ``"pixels"``,
            ``"pixelart"`` (see :mod:`sketchml_clip.params`), a model name such as
            ``"dcgan"``, ``"biggan.deep-256"``, ``"stylegan2"``, or an ``sk.Model``.
        steps: optimiser steps (Adam) or generations (CMA-ES).
        optimiser: ``"adam"``, ``"cma"`` (needs no gradients) or ``"cma+adam"``.
        lr: Adam's step size (default: chosen for the kind of model).
        cutouts: views CLIP looks at per step (the first is always the whole picture).
        cut_size: ``(smallest, largest)`` view side as a fraction of the picture's short side
            (default ``(0.8, 1.0)``: views that keep most of the picture, so a shape is seen
            whole and its colour is not asked of the background).
        augment: turn the views a little, slide them a little past the picture's edges,
            mirror and noise them (a picture then has to match from every view, not fool
            one: sturdier pictures).
        tv: weight of the total-variation penalty (smoother pictures).
        latent_norm: weight of the penalty keeping the latent where the generator was
            trained (Gaussian latents near their usual length, W near its average).
        seed: the start latent, the cutouts and CMA-ES's samples: same seed, same result.
        image_prompts: pictures the result should look like: images (paths, tensors, PIL)
            or ``(image, weight)`` pairs.
        init: a latent to start from (e.g. an earlier result's), instead of a random one.
        latent_options: passed to ``model.sample_latent``, e.g. BigGAN's
            ``{"label": "lighthouse", "truncation": 0.7}`` or StyleGAN2's
            ``{"space": "w+"}``.
        population: CMA-ES candidates per generation.
        sigma: CMA-ES's starting step size, in units of each latent's usual spread.
        cma_steps: generations of CMA-ES before Adam takes over (``"cma+adam"``; default
            half of ``steps``).
        batch: pictures rendered at once when CMA-ES scores its candidates.
        size: picture size for the direct parameterisations (default: the larger of 64 and
            CLIP's input size).
        weights: weights file or folder for ``model`` when it is a name.
        starts: how many random starting latents CLIP scores before the first step;
            guidance starts from the best of them (default 32 for DCGAN, whose pictures are
            cheap to render, and 1 otherwise; always 1 with ``init``). A GAN's picture
            changes shape slowly under small steps, so starting from a picture that already
            resembles the prompt matters.

    Returns:
        A :class:`Guidance`: iterate it for ``(step, image, loss, latent)``, or call
        ``.run()`` for the best :class:`GuideResult`.

    Examples:
        >>> import sketchml as sk
        >>> clip = sk.model("clip", untrained=True, device="cpu")
        >>> result = guide(clip, "a red circle", model="pixels", size=32, steps=4).run()
        >>> result.latent.metadata["guide"]["prompt"]
        'a red circle'
    """
    _check_clip(clip)
    parts = parse_prompt(prompt, images=image_prompts)
    steps = _whole(steps, "steps", low=1)
    cutouts = _whole(cutouts, "cutouts", low=1)
    population = _whole(population, "population", low=2)
    batch = _whole(batch, "batch", low=1)
    seed = _whole(seed, "seed", low=0)
    if optimiser not in OPTIMISERS:
        raise SketchmlError(f"optimiser={optimiser!r} is not one of {', '.join(OPTIMISERS)}."
                            f"{did_you_mean(str(optimiser), OPTIMISERS)}")
    low, high = _check_cut_size(cut_size)
    for name, value in (("tv", tv), ("latent_norm", latent_norm), ("sigma", sigma)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 \
                or not math.isfinite(value):
            raise SketchmlError(f"{name} must be a number >= 0, got {value!r}.")
    if cma_steps is None:
        cma_steps = steps // 2 if optimiser == "cma+adam" else steps
    cma_steps = _whole(cma_steps, "cma_steps", low=0)
    generator = _generator(model, clip, size=size, weights=weights)
    if starts is None:
        # Only where a picture is cheap: 32 renders of BigGAN-deep 256 take a minute on a CPU.
        # The direct parameterisations all start near grey: nothing to pick from.
        starts = _STARTS.get(generator.family, 1)
    starts = 1 if init is not None else _whole(starts, "starts", low=1)
    # A family whose sample_latent draws from torch's global generator still starts from
    # the same latent for the same seed, and the caller's random state is left alone.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        target = _make_target(generator, seed=seed, init=init,
                              latent_options=dict(latent_options or {}), count=starts)
    if lr is None:
        lr = _LEARNING_RATES.get(target.kind, 0.05)
    objective = _Objective(clip, parts, cutouts=cutouts, cut_size=(low, high), augment=augment,
                           tv=float(tv), latent_norm=float(latent_norm), seed=seed)
    if starts > 1:
        target = _best_start(target, objective, batch=max(batch, 16))
    if optimiser != "cma":
        _check_differentiable(target)
    settings = {
        "prompt": prompt if isinstance(prompt, str) else " | ".join(p.describe() for p in parts),
        "parts": [[p.text, p.weight] for p in parts if p.image is None],
        "image_prompts": sum(1 for p in parts if p.image is not None),
        "clip": clip.name, "model": generator.name, "optimiser": optimiser, "steps": steps,
        "lr": lr, "cutouts": cutouts, "cut_size": [low, high], "augment": bool(augment),
        "tv": float(tv), "latent_norm": float(latent_norm), "seed": seed, "starts": starts,
    }
    if optimiser != "adam":
        settings.update(population=population, sigma=float(sigma), cma_steps=min(cma_steps, steps))

    def produce() -> Iterator[GuideStep]:
        start = target.tensors
        switch = steps if optimiser == "cma" else (0 if optimiser == "adam" else min(cma_steps, steps))
        if switch:
            best: dict[str, Any] = {}
            yield from _cma(target, objective, start, first=0, last=switch, population=population,
                            sigma=float(sigma), batch=batch, seed=seed, best_out=best)
            start = best["tensors"]
        if switch < steps:
            yield from _adam(target, objective, start, first=switch, last=steps, lr=float(lr))

    return Guidance(steps, settings, produce(), generator)


def _best_start(target: _Target, objective: _Objective, *, batch: int) -> _Target:
    """The target narrowed to the one of its starting latents whose picture scores best."""
    tensors = target.tensors
    count = next(iter(tensors.values())).shape[0]
    losses = []
    draw = None
    with torch.no_grad():
        for begin in range(0, count, batch):
            chunk = {k: v[begin:begin + batch] for k, v in tensors.items()}
            images = target.render(chunk)
            if draw is None:
                draw = objective.draw(images.shape[-2], images.shape[-1])
            losses.append(objective(images, chunk, _per_item_prior(target), draw))
    best = int(torch.cat(losses).argmin())
    return dataclasses.replace(target, tensors={k: v[best:best + 1] for k, v in tensors.items()})


def _check_clip(clip: Any) -> None:
    if not (isinstance(clip, sk.Model) and callable(getattr(clip, "embed_texts", None))
            and hasattr(clip, "image_size")):
        raise SketchmlError(
            f"Guidance needs a CLIP model to score pictures, got {type(clip).__name__}: pass "
            "sk.model('clip') (or an open_clip one such as sk.model('clip.ViT-B-32.openai')).")


def _whole(value: Any, name: str, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise SketchmlError(f"{name} must be a whole number >= {low}, got {value!r}.")
    return value


def _check_cut_size(cut_size: Any) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in cut_size)
    except (TypeError, ValueError):
        low = high = -1.0
    if not 0 < low <= high <= 1:
        raise SketchmlError(
            f"cut_size is (smallest, largest) crop side as a fraction of the picture, with "
            f"0 < smallest <= largest <= 1, e.g. (0.5, 1.0); got {cut_size!r}.")
    return low, high


def _generator(model: Any, clip: Any, *, size: int | None,
               weights: str | os.PathLike[str] | None) -> sk.Model:
    if isinstance(model, sk.Model):
        if size is not None or weights is not None:
            raise SketchmlError("size= and weights= apply when model is a name; this model is "
                                "already built, so set them when you make it.")
        return model
    if not isinstance(model, str):
        raise SketchmlError(
            f"model= is a name ('pixels', 'fourier', 'pixelart', 'dcgan', 'biggan.deep-256' ...) "
            f"or an sk.Model, got {type(model).__name__}.")
    if model in PARAMETERISATIONS:
        if weights is not None:
            raise SketchmlError(f"The {model!r} parameterisation has no weights; drop weights=.")
        return parameterisation(model, device=clip.device,
                                size=size if size is not None else max(64, clip.image_size))
    if size is not None:
        raise SketchmlError(f"size= sets the picture size of 'pixels', 'fourier' and 'pixelart'; "
                            f"the {model!r} generator makes its own size, so drop size=.")
    return sk.model(model, weights=weights, device=clip.device)


def _check_differentiable(target: _Target) -> None:
    params = {k: v.detach().clone().requires_grad_(True) for k, v in target.tensors.items()}
    with torch.enable_grad():
        images = target.render(params)
    if not images.requires_grad:
        raise SketchmlError(
            f"The {target.model.name!r} model's generate() is not differentiable (its images "
            f"carry no gradient back to the latent), so Adam cannot steer it: use "
            f"optimiser='cma' (CMA-ES needs no gradients) instead.")


def rerender(latent: sk.Latent, *, model: sk.Model | None = None, device: Any = None) -> Any:
    """Render a guidance result's latent again: the same picture.

    ``model`` is the generator that made it; without it the model is rebuilt from the
    latent's metadata (family, variant, options) -- enough for the parameterisations and
    for models with built-in weights; give ``model`` for weights you loaded from a file.

    Examples:
        >>> import sketchml as sk, torch
        >>> clip = sk.model("clip", untrained=True, device="cpu")
        >>> result = guide(clip, "a blue star", model="fourier", size=16, steps=2).run()
        >>> bool(torch.equal(rerender(result.latent), result.image))
        True
    """
    if not isinstance(latent, sk.Latent):
        raise SketchmlError(f"rerender() takes a sk.Latent (result.latent or sk.load_latent(path)), "
                            f"got {type(latent).__name__}.")
    if model is None:
        family, options = latent.family, dict(latent.options)
        if family in PARAMETERISATIONS:
            model = parameterisation(family, device=device, **options)
        elif family:
            name = family if latent.variant is None else f"{family}.{latent.variant}"
            model = sk.model(name, device=device, **options)
        else:
            raise SketchmlError("This latent does not say which model made it (no family in its "
                                "metadata); pass model=.")
    with torch.no_grad():
        images = model.generate(latent.to(model.device))
    return sk.Images(images.detach().as_subclass(torch.Tensor).clamp(0, 1), latent=latent)


def _write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
