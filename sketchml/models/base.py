"""The uniform model interface every family implements: :class:`Model`.

A family subclasses :class:`Model` and overrides the verbs it has
(``generate``, ``encode``, ``interpolate``, ``sample_latent``, ``train``). The
base class refuses the others with an error that names the verb, the family and
what to use instead, picks the device, validates options (typed, per family,
with "did you mean"), and turns seeds into reproducible latents.

Torch is imported inside methods only: this module is imported by
``import sketchml``.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import os
import secrets
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sketchml.errors import SketchmlError, did_you_mean
from sketchml.models.latent import Latent
from sketchml.models.registry import VERBS, ModelSpec, VariantSpec
from sketchml.models.threads import apply_threads

if TYPE_CHECKING:
    import torch

    from sketchml.models.streaming import Stream

__all__ = ["MissingVerbError", "Model", "resolve_device"]


class MissingVerbError(SketchmlError, NotImplementedError):
    """A family was asked for a verb it does not have."""


def resolve_device(device: Any = None) -> torch.device:
    """The device to run on: ``device`` if given, else CUDA, then MPS, then CPU.

    On CUDA it also selects deterministic kernels
    (:func:`sketchml.models.determinism.select_deterministic_kernels`).

    Examples:
        >>> resolve_device("cpu").type
        'cpu'
    """
    import torch

    from sketchml.models.determinism import select_deterministic_kernels

    if device is not None:
        try:
            chosen = torch.device(device)
        except (RuntimeError, TypeError) as err:
            raise SketchmlError(
                f"device={device!r} is not a device: expected 'cpu', 'cuda', 'cuda:1', 'mps' "
                "or a torch.device."
            ) from err
        if chosen.type == "cuda" and not torch.cuda.is_available():
            raise SketchmlError(
                f"device={device!r} was asked for but CUDA is not available here; use "
                "device='cpu' or leave device out to pick the best one automatically."
            )
        mps = hasattr(torch.backends, "mps") and torch.backends.mps.is_available()
        if chosen.type == "mps" and not mps:
            raise SketchmlError(
                f"device={device!r} was asked for but MPS is not available here; use "
                "device='cpu' or leave device out."
            )
        select_deterministic_kernels(chosen)
        return chosen
    if torch.cuda.is_available():
        select_deterministic_kernels("cuda")
        return torch.device("cuda")
    if hasattr(torch.backends, "mps") and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


class Model:
    """Base class of every model family.

    Subclasses override the verbs they have and may set these class attributes:

    * ``Options``: a dataclass of the family's typed options (fields with
      defaults and a docstring); ``sk.model(name, **options)`` fills it, a
      variant's ``options`` set its defaults, unknown names are refused;
    * ``interpolation``: ``"slerp"`` for Gaussian latent spaces (the default),
      ``"lerp"`` for spaces like StyleGAN's W, or a dict per latent tensor name;
    * ``hints``: per missing verb, what to use instead (shown in the error).

    Build the network and load weights in :meth:`load`, called once at the end
    of ``__init__``. Weights come from :meth:`load_weights` (never runs code).

    Examples:
        >>> import sketchml as sk, torch
        >>> class Noise(sk.Model):
        ...     def sample_latent(self, n=1, *, seed=None):
        ...         return self.latent(self.randn(n, 8, seed=seed), seed=seed)
        ...     def generate(self, latent=None, **options):
        ...         z = self.as_latent(latent).tensor
        ...         return z.sigmoid()[:, None, None, :].expand(-1, 3, 8, 8)
        >>> Noise(device="cpu").generate(seed=1).shape
        torch.Size([1, 3, 8, 8])
        >>> Noise.verbs()
        ('generate', 'interpolate', 'sample_latent')
    """

    Options: ClassVar[type | None] = None
    interpolation: ClassVar[str | dict[str, str]] = "slerp"
    hints: ClassVar[dict[str, str]] = {}
    network: Any = None
    """The family's underlying ``torch.nn.Module``, set by :meth:`load` (``None`` when the
    family has none). Every family calls it ``network``."""
    TrainSettings: ClassVar[type | None] = None
    """The family's training settings (a :class:`sketchml.training.TrainSettings` subclass):
    what ``train(data, out=..., **options)`` takes and ``sketchml train`` offers as flags."""
    trained_networks: ClassVar[tuple[str, ...]] = ("model",)
    """The networks of this family's training checkpoints that load as its weights, preferred
    first (e.g. ``("g_ema", "g")``: the weight average, else the generator)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for verb in (*VERBS, "stream"):
            method = cls.__dict__.get(verb)
            if callable(method) and not getattr(method, "_sketchml_checked", False):
                setattr(cls, verb, _check_keywords(method, cls, verb))

    def __init__(
        self,
        *,
        spec: ModelSpec | None = None,
        variant: VariantSpec | None = None,
        device: Any = None,
        weights: str | os.PathLike[str] | None = None,
        **options: Any,
    ) -> None:
        self.spec = spec
        self.variant = variant or (spec.default_variant if spec else VariantSpec("default"))
        self.family = spec.name if spec else type(self).__name__.lower()
        self.name = f"{self.family}.{self.variant.name}"
        self.device = resolve_device(device)
        self.weights = weights
        self.options = self._make_options({**self.variant.options, **options})
        apply_threads()
        self.load()

    def load(self) -> None:
        """Build the network and load its weights; runs once at the end of ``__init__``."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} on {self.device}>"

    # -- capability introspection ------------------------------------------------------

    @classmethod
    def verbs(cls) -> tuple[str, ...]:
        """The verbs this family has: those its class overrides.

        ``interpolate`` also counts when the family samples latents, because the
        default ``interpolate`` walks between them.
        """
        own = {verb for verb in VERBS if getattr(cls, verb) is not getattr(Model, verb)}
        if "sample_latent" in own:
            own.add("interpolate")
        return tuple(verb for verb in VERBS if verb in own)

    def can(self, verb: str) -> bool:
        """Whether this model has ``verb`` (e.g. ``model.can("encode")``)."""
        if verb not in VERBS:
            raise SketchmlError(
                f"{verb!r} is not a model verb.{did_you_mean(verb, VERBS)} Verbs: {', '.join(VERBS)}."
            )
        return verb in self.verbs()

    def _missing(self, verb: str) -> MissingVerbError:
        have = ", ".join(self.verbs()) or "none"
        hint = self.hints.get(verb) or f"it can: {have}"
        return MissingVerbError(
            f"The {self.family!r} model family cannot {verb}(): it does not implement that verb. "
            f"Instead, {hint}. sk.models() lists the verbs of every family."
        )

    # -- the verbs ------------------------------------------------------------------------

    def generate(self, latent: Any = None, **options: Any) -> Any:
        """Make outputs (images, text, notes, audio, embeddings) from a latent or prompt.

        A family's own ``generate`` is annotated with its modality's result (docs/model-api.md):
        one result for ``latent=None``, a batch for a count or a latent.
        """
        raise self._missing("generate")

    def encode(self, data: Any, **options: Any) -> Latent:
        """Map data (an image, text, ...) to this family's latent (an embedding is its ``"embedding"``)."""
        raise self._missing("encode")

    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> Latent:
        """``n`` random latents; the same ``seed`` gives the same latents on any device."""
        raise self._missing("sample_latent")

    def train(self, data: Any, *, out: str | os.PathLike[str] | None = None, **options: Any) -> Any:
        """Train (or fine-tune) on ``data``, writing checkpoints under ``out``."""
        raise self._missing("train")

    def interpolate(self, a: Any, b: Any, *, steps: int = 10, method: str | None = None) -> Latent:
        """``steps`` latents from ``a`` to ``b`` (endpoints included).

        The default walks the latent tensors: slerp for Gaussian latent spaces,
        lerp otherwise (the class's ``interpolation``), or ``method`` if given.
        """
        from sketchml.models.interpolation import interpolate_latents

        if "sample_latent" not in self.verbs() and type(self).interpolate is Model.interpolate:
            raise self._missing("interpolate")
        return interpolate_latents(self.as_latent(a), self.as_latent(b), steps=steps,
                                   method=method or self.interpolation)

    def stream(self, *args: Any, **options: Any) -> Stream[Any]:
        """``generate(*args, **options)`` on a background thread: a :class:`Stream` to poll.

        A sketch's ``draw()`` keeps its frame rate while the model works. Here the whole
        result arrives as one piece; families that make results piece by piece (text)
        override this so the pieces arrive as they are made.

        Examples:
            >>> import sketchml as sk, torch
            >>> class Grey(sk.Model):
            ...     def generate(self, latent=None, **options):
            ...         return torch.full((1, 3, 4, 4), 0.5)
            >>> Grey(device="cpu").stream().wait()[0].shape
            torch.Size([1, 3, 4, 4])
        """
        from sketchml.models.streaming import Stream

        if "generate" not in self.verbs():
            raise self._missing("generate")

        def produce(cancelled: Any) -> Any:
            yield self.generate(*args, **options)

        modality = self.spec.modality if self.spec is not None else None
        return Stream(produce, text=None if modality is None else modality == "text",
                      name=f"{self.name}-stream")

    # -- helpers for families ----------------------------------------------------------------

    def generator(self, seed: int | None) -> torch.Generator:
        """A CPU ``torch.Generator`` seeded with ``seed`` (random when ``None``)."""
        import torch

        gen = torch.Generator(device="cpu")
        if seed is None:
            gen.seed()
        else:
            gen.manual_seed(check_seed(seed))
        return gen

    def randn(self, *shape: int, seed: int | None = None,
              truncation: float | None = None) -> torch.Tensor:
        """Standard normal noise of ``shape`` on this model's device, reproducible by ``seed``.

        Drawn on the CPU then moved, so a seed gives the same numbers on every
        device; ``truncation`` redraws values beyond ``±truncation``.
        """
        import torch

        from sketchml.models.interpolation import truncated_normal

        gen = self.generator(seed)
        if truncation is None:
            noise = torch.randn(*shape, generator=gen)
        else:
            noise = truncated_normal(shape, truncation, gen)
        return noise.to(self.device)

    def latent(self, tensors: Any, *, seed: int | None = None, **metadata: Any) -> Latent:
        """A :class:`Latent` carrying this model's family, variant and options."""
        options = {k: v for k, v in _options_dict(self.options).items() if _jsonable(v)}
        return Latent(tensors, family=self.family, variant=self.variant.name, seed=seed,
                      options=options, **metadata)

    def as_latent(self, latent: Any, *, seed: int | None = None) -> Latent:
        """Accept a Latent, a tensor, a count ``n`` or ``None`` (one random latent)."""
        import torch

        if isinstance(latent, Latent):
            return latent.to(self.device)
        if latent is None or isinstance(latent, int):
            return self.sample_latent(1 if latent is None else latent, seed=seed)
        if isinstance(latent, torch.Tensor):
            return self.latent(latent.to(self.device))
        raise SketchmlError(
            f"Expected a latent (sk.Latent, a tensor, a count or None), got "
            f"{type(latent).__name__}; make one with model.sample_latent(n, seed=...)."
        )

    def weights_path(self, file: str | None = None, *, variant: VariantSpec | None = None,
                     required: bool = True) -> Path | None:
        """Where the weights (or a companion ``file`` such as ``"config.json"``) are: the one lookup.

        Every family finds its files here, in this order:

        1. ``weights=`` given to ``sk.model``: a file, or a training run's folder (its
           exported ``<family>.safetensors``, else its newest checkpoint's network named
           first in :attr:`trained_networks`); it wins for the weights, not for companions;
        2. the variant's own ``weights`` path (absolute, or inside the plugin package);
        3. sketchml's cache, ``$SKETCHML_HOME`` or ``$XDG_CACHE_HOME/sketchml`` (default
           ``~/.cache/sketchml``), under ``weights/<family>/<variant>/``;
        4. the Hugging Face cache (``$HF_HUB_CACHE``, ``$HF_HOME/hub`` or
           ``$XDG_CACHE_HOME/huggingface/hub``);
        5. the hub, once, when the variant has a ``hub_id`` and sketchml is not offline
           (``SKETCHML_OFFLINE`` / ``HF_HUB_OFFLINE``).

        Args:
            file: a companion file of the variant instead of its weights.
            variant: look for another weight set of this family (default: this model's).
            required: when nothing is found, raise (default) or return ``None``.

        Raises:
            SketchmlError: one short message: what is missing, where it looked, and the one
                command that fetches it.

        Examples:
            >>> import sketchml as sk, tempfile, pathlib
            >>> folder = pathlib.Path(tempfile.mkdtemp())
            >>> _ = (folder / "noise.safetensors").write_bytes(b"")
            >>> class Noise(sk.Model): ...
            >>> Noise(device="cpu", weights=folder).weights_path() == folder / "noise.safetensors"
            True
            >>> Noise(device="cpu").weights_path(required=False) is None
            True
        """
        from sketchml.models.weights import find_weights, module_package_dir, resolve_weights

        variant = variant or self.variant
        if file is None and self.weights is not None:
            given = Path(self.weights).expanduser()
            if given.is_dir():
                return self._run_weights(given)
            return resolve_weights(self.spec or self.family, variant, weights=given)
        package_dir = module_package_dir(type(self).__module__)
        if not required:
            return find_weights(self.spec or self.family, variant, file=file,
                                package_dir=package_dir)
        return resolve_weights(self.spec or self.family, variant, file=file,
                               package_dir=package_dir)

    @property
    def export_name(self) -> str:
        """The file a training run of this family exports its weights to: ``<family>.safetensors``."""
        return f"{self.family}.safetensors"

    def _run_weights(self, folder: Path) -> Path:
        from sketchml.training.checkpoint import latest_checkpoint

        exported = folder / self.export_name
        if exported.is_file():
            return exported
        found = latest_checkpoint(folder / "checkpoints")
        for name in self.trained_networks if found is not None else ():
            if name in found.model_names:
                return found.path / f"{name}.safetensors"
        raise SketchmlError(
            f"{str(folder)!r} holds no trained {self.family} model: no {self.export_name} and no "
            f"checkpoint of {' or '.join(self.trained_networks)}. Train one there with "
            f"`sketchml train {self.family} DATA --out {folder}`, or pass a weights file."
        )

    def load_weights(self, file: str | None = None) -> Any:
        """The weights :meth:`weights_path` finds, loaded without running code (on the CPU).

        Usually a ``{name: tensor}`` state dict; see :func:`sketchml.models.weights.load_weights`.
        """
        from sketchml.models.weights import load_weights

        return load_weights(self.weights_path(file), map_location="cpu")

    # -- options ----------------------------------------------------------------------------

    def _make_options(self, given: dict[str, Any]) -> Any:
        options_cls = self.Options
        if options_cls is None:
            if given:
                bad = sorted(given)[0]
                raise SketchmlError(
                    f"The {self.family!r} model family takes no options, but got {bad!r}."
                )
            return None
        fields = {f.name: f for f in dataclasses.fields(options_cls)}
        hints = typing.get_type_hints(options_cls)
        for key, value in given.items():
            if key not in fields:
                raise SketchmlError(
                    f"{key!r} is not an option of the {self.family!r} model family."
                    f"{did_you_mean(key, fields)} Its options: {', '.join(fields) or 'none'}."
                )
            _check_type(self.family, key, value, hints.get(key))
        return options_cls(**given)


def _check_type(family: str, key: str, value: Any, hint: Any) -> None:
    expected = {int: (int,), float: (int, float), str: (str,), bool: (bool,)}.get(hint)
    if expected is None:
        return
    if (isinstance(value, bool) and hint is not bool) or not isinstance(value, expected):
        raise SketchmlError(
            f"Option {key!r} of the {family!r} model family must be a {hint.__name__}, "
            f"got {value!r} ({type(value).__name__})."
        )


def _options_dict(options: Any) -> dict[str, Any]:
    if options is None:
        return {}
    return dataclasses.asdict(options)


def _jsonable(value: Any) -> bool:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return True
    if isinstance(value, (list, tuple)):
        return all(_jsonable(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _jsonable(v) for k, v in value.items())
    return False


def _check_keywords(method: Any, cls: type, verb: str) -> Any:
    """Wrap a verb: unknown keywords get "did you mean"; ``seed=None`` becomes a fresh seed.

    A verb whose ``seed`` defaults to ``None`` is called with a newly drawn int instead,
    so every latent and result records the seed that made it (and can be made again).
    """
    signature = inspect.signature(method)
    params = [p for p in signature.parameters.values() if p.name != "self"]
    open_keywords = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
    names = [p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
    # Old names kept by @renamed are accepted (the wrapper maps them) but not advertised.
    accepted = set(names) | set(getattr(method, "__sketchml_renamed__", {}))
    seed = signature.parameters.get("seed")
    fresh_seed = seed is not None and seed.default is None
    # Where a positional seed would sit (seed is keyword-only in the model API).
    seed_at = next((i for i, p in enumerate(params) if p.name == "seed"
                    and p.kind is p.POSITIONAL_OR_KEYWORD), None)
    if open_keywords and not fresh_seed:
        return method

    @functools.wraps(method)
    def checked(self: Model, *args: Any, **kwargs: Any) -> Any:
        if not open_keywords:
            for key in kwargs:
                if key not in accepted:
                    family = getattr(self, "family", cls.__name__.lower())
                    raise SketchmlError(
                        f"{verb}() of the {family!r} model family has no option {key!r}."
                        f"{did_you_mean(key, names)} It takes: {', '.join(names) or 'no options'}."
                    )
        if fresh_seed and kwargs.get("seed") is None and (seed_at is None or len(args) <= seed_at):
            kwargs["seed"] = fresh_seed_value()
        return method(self, *args, **kwargs)

    checked._sketchml_checked = True  # type: ignore[attr-defined]
    return checked


def check_seed(seed: Any) -> int:
    """``seed`` as an int torch takes (-2**63 up to 2**64 - 1), or a clear error.

    Examples:
        >>> check_seed(7)
        7
        >>> check_seed(2**70)
        Traceback (most recent call last):
        ...
        sketchml.errors.SketchmlError: seed=1180591620717411303424 is too large: ...
    """
    import numbers

    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise SketchmlError(
            f"seed must be a whole number, got {seed!r} ({type(seed).__name__}); e.g. seed=1."
        )
    if not -(2**63) <= int(seed) < 2**64:
        raise SketchmlError(
            f"seed={int(seed)} is too large: seeds go from -2**63 to 2**64 - 1. Use a smaller "
            f"one, e.g. seed % 2**32 = {int(seed) % 2**32}."
        )
    return int(seed)


def fresh_seed_value() -> int:
    """A new random seed (0 <= seed < 2**31), for ``seed=None``: results record it.

    Examples:
        >>> 0 <= fresh_seed_value() < 2**31
        True
    """
    return secrets.randbelow(2**31)
