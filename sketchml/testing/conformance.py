"""The conformance mix-in: the tests every model family passes, inherited by subclassing.

A plugin author writes::

    import sketchml_noise
    from sketchml.testing import ModelConformance

    class TestNoise(ModelConformance):
        plugin = sketchml_noise        # registered into a fresh registry
        model_name = "noise"
        model_options = {"size": 16}   # keep it tiny: these run on a CPU

and inherits checks of the uniform model interface: each verb works or is
refused clearly, outputs have the modality's shape and range, seeds reproduce,
latents carry metadata and survive a save/load, ``interpolate`` starts and ends
on its inputs, and images draw on a canvas with their own colours.
"""
from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from sketchml.errors import SketchmlError
from sketchml.models.registry import MODALITIES, VERBS

if TYPE_CHECKING:
    from sketchml.graphics.canvas import Canvas
    from sketchml.models.base import Model
    from sketchml.models.registry import Registry

__all__ = ["ModelConformance", "assert_same_output", "check_output"]


def check_output(output: Any, modality: str, *, n: int | None = None) -> None:
    """Fail (``AssertionError``) unless ``output`` is a valid ``modality`` result.

    * image: a float tensor ``(N, 3, H, W)`` in [0, 1], finite, with ``N == n`` when given;
    * embedding: a finite float tensor ``(N, ...)``;
    * text: a ``str``;
    * audio: ``.waveform`` (``(samples,)`` or ``(channels, samples)``, finite, in [-1, 1])
      and ``.sample_rate`` (a positive int);
    * notes: NoteSequence-like (``.notes``) with at least one note, pitches 0-127.

    Examples:
        >>> import torch
        >>> from sketchml.testing import check_output
        >>> check_output(torch.rand(2, 3, 8, 8), "image", n=2)
    """
    import torch

    if modality not in MODALITIES:
        raise SketchmlError(
            f"modality={modality!r} is not known: expected one of {', '.join(MODALITIES)}."
        )
    kind = type(output).__name__
    if modality in ("image", "embedding"):
        assert isinstance(output, torch.Tensor), f"{modality} output must be a torch.Tensor, got {kind}"
        assert output.is_floating_point(), f"{modality} output must be float, got {output.dtype}"
        assert bool(torch.isfinite(output).all()), f"{modality} output has NaN or infinite values"
        if n is not None:
            assert output.shape[0] == n, (
                f"{modality} output must have one item per latent: expected N={n}, "
                f"got shape {tuple(output.shape)}")
        if modality == "image":
            assert output.dim() == 4 and output.shape[1] == 3, (
                f"images must be (N, 3, H, W), got shape {tuple(output.shape)}")
            low, high = float(output.min()), float(output.max())
            assert low >= 0.0 and high <= 1.0, (
                f"images must be in [0, 1], got values from {low:.4g} to {high:.4g}; "
                "map tanh outputs with (x + 1) / 2 or sk.Images(x, value_range=(-1, 1))")
    elif modality == "text":
        assert isinstance(output, str), f"text output must be a str (e.g. sk.Text), got {kind}"
    elif modality == "audio":
        wave = getattr(output, "waveform", None)
        rate = getattr(output, "sample_rate", None)
        assert isinstance(wave, torch.Tensor), (
            f"audio output must have a .waveform tensor (use sk.Audio), got {kind}")
        assert isinstance(rate, int) and not isinstance(rate, bool) and rate > 0, (
            f"audio output must have a positive int .sample_rate, got {rate!r}")
        assert wave.dim() in (1, 2) and wave.shape[-1] > 0, (
            f"an audio waveform is (samples,) or (channels, samples), got {tuple(wave.shape)}")
        assert wave.is_floating_point() and bool(torch.isfinite(wave).all()), (
            "an audio waveform must be finite floats")
        peak = float(wave.abs().max())
        assert peak <= 1.0, f"an audio waveform must be in [-1, 1], its peak is {peak:.4g}"
    elif modality == "notes":
        from sketchml.media.midi import notes_from

        assert hasattr(output, "notes"), (
            f"notes output must be NoteSequence-like (sk.Notes, with .notes), got {kind}")
        notes = notes_from(output)
        assert notes, "notes output has no notes"
        for note in notes:
            assert 0 <= note.pitch <= 127 and note.start <= note.end, f"invalid note {note}"


def assert_same_output(a: Any, b: Any, modality: str, *, atol: float = 1e-4) -> None:
    """Fail unless two outputs of ``modality`` are the same (tensors within ``atol``).

    Examples:
        >>> import torch
        >>> from sketchml.testing import assert_same_output
        >>> assert_same_output(torch.zeros(1, 3, 2, 2), torch.zeros(1, 3, 2, 2), "image")
    """
    assert _same_output(a, b, modality, atol=atol), f"{modality} outputs differ:\n{a!r}\n{b!r}"


def _same_output(a: Any, b: Any, modality: str, *, atol: float) -> bool:
    import torch

    if modality in ("image", "embedding"):
        a, b = _plain(a), _plain(b)
        return a.shape == b.shape and torch.allclose(a, b, atol=atol, rtol=0)
    if modality == "audio":
        wa, wb = _plain(a.waveform), _plain(b.waveform)
        return (a.sample_rate == b.sample_rate and wa.shape == wb.shape
                and torch.allclose(wa, wb, atol=atol, rtol=0))
    if modality == "notes":
        from sketchml.media.midi import notes_from

        return notes_from(a) == notes_from(b)
    return str(a) == str(b)


def _plain(tensor: Any) -> Any:
    import torch

    return tensor.detach().as_subclass(torch.Tensor).float().cpu()


def _takes_keyword(method: Any, name: str) -> bool:
    try:
        parameters = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters and parameters[name].kind in (
        inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


class ModelConformance:
    """Subclass as ``TestMyFamily`` to give a model family the conformance tests.

    Set on the subclass:

    * ``model_name``: the registered name, e.g. ``"noise"`` or ``"dcgan.shapes"``;
    * ``plugin``: the plugin module (with its ``@sk.hookimpl`` registrar), registered
      into a fresh registry; leave it ``None`` to use the installed plugins;
    * ``model_options``: options for ``sk.model`` (keep models tiny), default none;
    * ``generate_options``: keyword arguments for every ``generate`` call, e.g.
      ``{"prompt": "Once"}``, default none;
    * ``modality``: only when ``make_model`` builds a model without a registry;
    * ``device`` (default ``"cpu"``), ``batch`` (latents per batch, default 2) and
      ``atol`` (tolerance when comparing tensors, default ``1e-4``).

    Or override the classmethod ``make_model()`` to build the model yourself (e.g.
    with tiny weights; ``cls.plugin_registry().load(name, weights=...)`` helps). Override ``encode_input(model)`` when ``encode`` does not take
    the family's own outputs, and ``train_inputs(model, out)`` (returning
    ``(data, options)``) to check ``train``. The model is built once per class and
    is available to your own tests as the ``model`` fixture.

    Examples:
        >>> import sketchml_noise  # doctest: +SKIP
        >>> class TestNoise(ModelConformance):  # doctest: +SKIP
        ...     plugin = sketchml_noise
        ...     model_name = "noise"
        ...     model_options = {"size": 16}
    """

    model_name: ClassVar[str | None] = None
    plugin: ClassVar[object | None] = None
    model_options: ClassVar[dict[str, Any]] = {}
    generate_options: ClassVar[dict[str, Any]] = {}
    modality: ClassVar[str | None] = None
    device: ClassVar[str] = "cpu"
    batch: ClassVar[int] = 2
    atol: ClassVar[float] = 1e-4

    # -- how the model is made and fed (override these) --------------------------------

    @classmethod
    def make_model(cls) -> Model:
        """Build the model under test: by default ``model_name`` from ``plugin`` (or the installed plugins)."""
        if not cls.model_name:
            raise SketchmlError(
                f"{cls.__name__} needs the model to test: set model_name = 'family' (and "
                "plugin = your_plugin_module), or override the classmethod make_model()."
            )
        if cls.plugin is None:
            from sketchml.models.registry import default_registry

            return default_registry().load(cls.model_name, device=cls.device, **cls.model_options)
        return cls.plugin_registry().load(cls.model_name, device=cls.device, **cls.model_options)

    @classmethod
    def plugin_registry(cls) -> Registry:
        """A fresh registry holding only ``plugin``: for a ``make_model`` that passes ``weights=``."""
        from sketchml.models.registry import Registry

        if cls.plugin is None:
            raise SketchmlError(f"{cls.__name__}.plugin_registry() needs plugin = your_plugin_module.")
        registry = Registry(discover=False)
        info = registry.register(cls.plugin)
        if info.status != "ok":
            raise SketchmlError(f"{cls.__name__}.plugin failed to register: {info.error}")
        return registry

    # plugins/gan's tests were written against this name before plugin_registry() was public.
    _registry_with_plugin = plugin_registry

    def encode_input(self, model: Model) -> Any:
        """The data ``encode`` is checked with: by default one of the family's own outputs."""
        if not model.can("generate"):
            pytest.skip(f"{type(self).__name__}: override encode_input(model) to check encode()")
        return self._generate(model, self._some_latent(model, 1), seed=0)

    def train_inputs(self, model: Model, out: Path) -> tuple[Any, dict[str, Any]] | None:
        """``(data, options)`` for a tiny ``model.train(data, out=out, **options)``, or ``None``."""
        return None

    # -- fixtures -----------------------------------------------------------------------

    @pytest.fixture(scope="class")
    @classmethod
    def model(cls) -> Model:
        """The model under test, built once per test class by :meth:`make_model`."""
        return cls.make_model()

    # -- helpers ------------------------------------------------------------------------

    def _modality(self, model: Model) -> str:
        modality = self.modality or (model.spec.modality if model.spec is not None else None)
        if modality is None:
            raise SketchmlError(
                f"{type(self).__name__} cannot tell the family's modality: the model was built "
                f"without a registry, so set modality = one of {', '.join(MODALITIES)}."
            )
        return modality

    def _generate(self, model: Model, latent: Any = None, *, seed: int | None = None) -> Any:
        options = dict(self.generate_options)
        if seed is not None and _takes_keyword(model.generate, "seed"):
            options["seed"] = seed
        if latent is None:
            return model.generate(**options)
        return model.generate(latent, **options)

    def _some_latent(self, model: Model, n: int, seed: int = 0) -> Any:
        return model.sample_latent(n, seed=seed) if model.can("sample_latent") else None

    def _items(self, model: Model) -> int:
        # One latent per result for text, notes and audio (each is a single value).
        return self.batch if self._modality(model) in ("image", "embedding") else 1

    def _need(self, model: Model, *verbs: str) -> None:
        for verb in verbs:
            if not model.can(verb):
                pytest.skip(f"the {model.family!r} family has no {verb}()")

    # -- verbs --------------------------------------------------------------------------

    @pytest.mark.parametrize("verb", VERBS)
    def test_verb_works_or_is_refused_clearly(self, model: Model, verb: str, tmp_path: Path) -> None:
        """A listed verb runs; an unlisted one raises MissingVerbError naming the verb."""
        from sketchml.models.base import MissingVerbError
        from sketchml.models.latent import Latent

        if verb not in model.verbs():
            with pytest.raises(MissingVerbError) as caught:
                self._call_missing(model, verb)
            message = str(caught.value)
            assert f"{verb}()" in message and model.family in message, (
                f"the refusal of {verb}() should name the verb and the family, got: {message}")
            return
        if verb == "sample_latent":
            assert isinstance(model.sample_latent(1, seed=0), Latent)
        elif verb == "generate":
            self._generate(model, self._some_latent(model, 1), seed=0)
        elif verb == "interpolate":
            self._need(model, "sample_latent")
            z = model.sample_latent(2, seed=0)
            assert isinstance(model.interpolate(z[0], z[1], steps=3), Latent)
        elif verb == "encode":
            code = model.encode(self.encode_input(model))
            assert isinstance(code, Latent) or hasattr(code, "shape"), (
                f"encode() must return a sk.Latent or an embedding tensor, got {type(code).__name__}")
        else:
            inputs = self.train_inputs(model, tmp_path / "train")
            if inputs is None:
                pytest.skip(f"{type(self).__name__}: override train_inputs(model, out) to check train()")
            data, options = inputs
            model.train(data, out=tmp_path / "train", **options)

    @staticmethod
    def _call_missing(model: Model, verb: str) -> None:
        if verb in ("sample_latent", "generate"):
            getattr(model, verb)()
        elif verb == "interpolate":
            model.interpolate(None, None)
        else:
            getattr(model, verb)(None)

    def test_listed_verbs_match_the_class(self, model: Model, request: pytest.FixtureRequest) -> None:
        """``sk.models()`` lists exactly the verbs the family class has."""
        from sketchml.models.registry import default_registry

        have = model.verbs()
        assert set(have) <= set(VERBS), f"verbs() lists unknown verbs: {have}"
        assert "generate" in have or "encode" in have, (
            f"a family should at least generate or encode, it has: {have}")
        if model.spec is None:
            pytest.skip("the model was built without a registry: nothing lists its verbs")
        if self.plugin is not None:
            registry = request.getfixturevalue("sketchml_registry")
            registry.register(self.plugin)
        else:
            registry = default_registry()
        entries = registry.entries(model.spec.name)
        assert entries, f"the registry has no entry for {model.spec.name!r}"
        for entry in entries:
            assert tuple(entry.verbs) == have, (
                f"sk.models() lists {entry.name} with verbs {entry.verbs} but the class has "
                f"{have}; pass verbs= to registry.add() when they cannot be read from the source")

    # -- outputs and seeds --------------------------------------------------------------

    def test_output_by_modality(self, model: Model) -> None:
        """``generate`` returns the modality's type, shape and range, one item per latent."""
        self._need(model, "generate")
        modality = self._modality(model)
        n = self._items(model)
        latent = self._some_latent(model, n)
        check_output(self._generate(model, latent, seed=0), modality,
                     n=n if latent is not None else None)

    def test_seeds_reproduce(self, model: Model) -> None:
        """The same seed gives the same output; different seeds give different ones."""
        self._need(model, "generate")
        modality = self._modality(model)
        n = self._items(model)
        if model.can("sample_latent"):
            first = self._generate(model, model.sample_latent(n, seed=1), seed=1)
            again = self._generate(model, model.sample_latent(n, seed=1), seed=1)
            other = self._generate(model, model.sample_latent(n, seed=2), seed=2)
        elif _takes_keyword(model.generate, "seed"):
            first, again, other = (self._generate(model, seed=s) for s in (1, 1, 2))
        else:
            pytest.skip(f"the {model.family!r} family takes no seed and samples no latents")
        assert_same_output(first, again, modality, atol=0.0)
        assert not _same_output(first, other, modality, atol=self.atol), (
            "seeds 1 and 2 gave the same output: the seed does not reach the randomness")

    # -- latents --------------------------------------------------------------------------

    def test_sample_latent_carries_metadata(self, model: Model) -> None:
        """``sample_latent`` gives a ``sk.Latent`` of ``n`` items, with family, variant and seed."""
        import torch

        from sketchml.models.latent import Latent

        self._need(model, "sample_latent")
        z = model.sample_latent(self.batch, seed=7)
        assert isinstance(z, Latent), f"sample_latent must return a sk.Latent, got {type(z).__name__}"
        assert len(z) == self.batch, f"sample_latent({self.batch}) gave {len(z)} items"
        assert (z.family, z.variant, z.seed) == (model.family, model.variant.name, 7), (
            f"the latent's metadata should name family {model.family!r}, variant "
            f"{model.variant.name!r} and seed 7, got {z.metadata}; build it with self.latent(...)")
        again = model.sample_latent(self.batch, seed=7)
        for key, value in z.tensors.items():
            assert value.device.type == model.device.type, f"latent {key!r} is not on the model's device"
            assert torch.equal(value, again.tensors[key]), f"latent {key!r} differs for the same seed"

    def test_latent_save_load_rerenders(self, model: Model, tmp_path: Path) -> None:
        """A latent saved to a file and loaded back renders the same output."""
        from sketchml.models.latent import load_latent

        self._need(model, "sample_latent", "generate")
        z = model.sample_latent(self._items(model), seed=3)
        loaded = load_latent(z.save(tmp_path / "z.safetensors"))
        assert loaded.metadata == z.metadata, f"metadata changed: {z.metadata} -> {loaded.metadata}"
        assert_same_output(self._generate(model, z, seed=3), self._generate(model, loaded, seed=3),
                           self._modality(model), atol=0.0)

    def test_interpolate_endpoints_are_the_inputs(self, model: Model) -> None:
        """A walk of ``steps`` latents starts on ``a`` and ends on ``b`` (as rendered)."""
        from sketchml.models.latent import Latent

        self._need(model, "interpolate", "sample_latent", "generate")
        modality = self._modality(model)
        z = model.sample_latent(2, seed=5)
        walk = model.interpolate(z[0], z[1], steps=5)
        assert isinstance(walk, Latent) and len(walk) == 5, (
            f"interpolate(a, b, steps=5) must give a sk.Latent of 5 items, got {walk!r}")
        for end, source in ((walk[0], z[0]), (walk[-1], z[1])):
            assert_same_output(self._generate(model, end, seed=5), self._generate(model, source, seed=5),
                               modality, atol=self.atol)

    # -- drawing ----------------------------------------------------------------------------

    def test_images_draw_on_a_canvas(self, model: Model, sketchml_canvas: Canvas) -> None:
        """``canvas.image(output)`` paints the canvas with the image's own colours."""
        import numpy as np
        import torch

        self._need(model, "generate")
        if self._modality(model) != "image":
            pytest.skip("only image families draw on a canvas")
        images = self._generate(model, self._some_latent(model, 1), seed=0)
        expected = (_plain(images[0]).clamp(0, 1) * 255).round().to(torch.uint8)
        expected = expected.permute(1, 2, 0).numpy().astype(int)
        height, width = expected.shape[:2]
        canvas = sketchml_canvas
        canvas._resize(width, height)
        # A background far from the image, so an image() that draws nothing cannot pass.
        backgrounds = [(255, 0, 255), (0, 255, 0), (0, 0, 0), (255, 255, 255)]
        background = max(backgrounds, key=lambda c: float(np.abs(expected - np.array(c)).mean()))
        canvas.background(*background)
        canvas.image(images, 0, 0)
        pixels = canvas._read_pixels().astype(int)
        assert (pixels[..., 3] == 255).all(), "the drawn image left transparent pixels"
        error = np.abs(pixels[..., :3] - expected)
        assert error.max() <= 3, (
            f"the canvas does not show the image: colours differ by up to {int(error.max())} "
            f"(mean {error.mean():.2f}) out of 255")
