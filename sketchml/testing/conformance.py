"""The conformance mix-in: the tests every model family passes, inherited by subclassing.

A plugin author writes::

    import sketchml_noise
    from sketchml.testing import ModelConformance

    class TestNoise(ModelConformance):
        plugin = sketchml_noise        # registered into a fresh registry
        model_name = "noise"
        model_options = {"size": 16}   # keep it tiny: these run on a CPU

and inherits checks of the uniform model interface written down in docs/model-api.md:
each verb's argument names, defaults (``seed=None``...) and return annotation follow the
page (:func:`api_problems`), the plugin declares the verbs the class has, each verb
works or is refused clearly, ``generate()`` gives one result and ``generate(n)`` a batch
of the modality's type, shape and range, results record their seed and seeds reproduce,
latents carry metadata and survive a save/load, ``interpolate`` starts and ends on its
inputs, ``model.network`` is the module, images draw on a canvas with their own
colours, and ``train`` stops where ``should_stop`` says, with a checkpoint of that step.
"""
from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from sketchml.errors import SketchmlError
from sketchml.models.registry import MODALITIES, VERBS

if TYPE_CHECKING:
    from sketchml.graphics.canvas import Canvas
    from sketchml.models.base import Model
    from sketchml.models.registry import Registry

__all__ = ["DRIFTED_NAMES", "MODALITY_DRIFTED_NAMES", "ModelConformance", "api_problems",
           "assert_same_output", "check_output", "expected_returns"]


# Argument names families drifted to, and the model API's name for each (None: no verb takes it).
DRIFTED_NAMES: dict[str, str | None] = {
    "prefix": "prompt", "include_prefix": "include_prompt", "max_length": "length",
    "max_new_tokens": "length", "num_steps": "steps", "n_steps": "steps", "iterations": "steps",
    "num_frames": "frames", "n_frames": "frames", "optimizer": "optimiser",
    "optimizers": "optimiser", "optimisers": "optimiser", "psi": "truncation",
    "truncation_psi": "truncation", "output": "out", "out_dir": "out", "output_dir": "out",
    "device": None,
}

# Names that drift only within a modality: music and sound last seconds=, text is length= long.
MODALITY_DRIFTED_NAMES: dict[str, dict[str, str]] = {
    "notes": {"length": "seconds", "duration": "seconds", "num_seconds": "seconds"},
    "audio": {"length": "seconds", "duration": "seconds", "num_seconds": "seconds"},
    "text": {"max_tokens": "length", "num_tokens": "length", "n_chars": "length",
             "num_chars": "length"},
}

# What each verb returns, as the names in its annotation (``sk.`` and module paths dropped).
_ONE_RESULT = {"image": "Images", "text": "Text", "notes": "Notes", "audio": "Audio",
               "embedding": "Latent"}


def expected_returns(verb: str, modality: str) -> set[str] | None:
    """The return annotation the model API asks of ``verb`` in ``modality``, as a set of names.

    ``None`` means "any real annotation" (``train`` returns the family's run).

    Examples:
        >>> sorted(expected_returns("generate", "text"))
        ['Text', 'list[Text]']
    """
    if verb in ("sample_latent", "encode", "interpolate"):
        return {"Latent"}
    if verb == "generate":
        one = _ONE_RESULT[modality]
        return {one} if modality in ("image", "embedding") else {one, f"list[{one}]"}
    if verb == "stream":
        return {"Stream"}
    return None


def _annotation_names(annotation: Any) -> set[str] | None:
    if annotation is inspect.Signature.empty:
        return None
    text = annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
    text = re.sub(r"\b(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_])", "", text)
    text = re.sub(r"^Stream\[.*\]$", "Stream", text.strip())
    return {part.strip() for part in text.split("|")}


def _settings_seed_problems(train: Any) -> list[str]:
    """How the seed of the ``TrainSettings`` behind a bound ``train`` departs from ``None``."""
    settings = getattr(getattr(train, "__self__", None), "TrainSettings", None)
    if not dataclasses.is_dataclass(settings):
        return []
    seed = {field.name: field for field in dataclasses.fields(settings)}.get("seed")
    if seed is None or seed.default is None:
        return []
    shown = "no default" if seed.default is dataclasses.MISSING else f"seed={seed.default!r}"
    return [f"train(): {settings.__name__}'s {shown}: seed must default to None (a fresh seed "
            "that the run records; a resumed run keeps its own)"]


def api_problems(method: Any, verb: str, modality: str) -> list[str]:
    """How the signature of ``verb`` (a family's method) departs from docs/model-api.md.

    Checks argument names (the first one, and none of the names families drifted to),
    defaults (``seed=None``, ``steps=10`` for interpolate, ``progress=None``, ``out=None``,
    ``truncation`` defaulting to none), that no verb takes ``device``, that a verb with
    optimisation ``steps`` shows a ``progress`` bar, and the return annotation. An empty
    list means it follows the page. ``train`` is checked for its ``data``, ``out=None``,
    ``progress=None`` (unless its settings come as ``**options``), ``seed=None`` (in its
    signature, or in the family's ``TrainSettings`` dataclass: a fresh seed that the run
    records) and a real return annotation (the family's run).

    Examples:
        >>> def generate(self, latent=None, *, seed=0): ...
        >>> print(api_problems(generate, "generate", "image")[0])
        generate(seed=0): seed must default to None (a fresh seed that the result records)
    """
    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):
        return [f"{verb}(): its signature cannot be read"]
    params = [p for p in signature.parameters.values() if p.name != "self"
              and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    by_name = {p.name: p for p in params}
    empty = inspect.Parameter.empty
    problems = []

    def default_is(name: str, *allowed: Any) -> None:
        param = by_name.get(name)
        if param is None:
            return
        value = param.default
        if any(value is None if want is None else (
                value is not empty and not isinstance(value, bool) and value == want)
               for want in allowed):
            return
        shown = "no default" if value is empty else f"{name}={value!r}"
        problems.append(f"{verb}({shown}): {name} must default to "
                        + " or ".join(repr(want) for want in allowed)
                        + (" (a fresh seed that the result records)" if name == "seed" else ""))

    first = {"sample_latent": "n", "generate": "latent", "stream": "latent", "encode": "data",
             "train": "data", "interpolate": "a"}[verb]
    if not params or params[0].name != first:
        got = params[0].name if params else "nothing"
        problems.append(f"{verb}(): the first argument must be {first!r}, not {got!r}")
    # train's own settings (a training window's length...) are not results' lengths.
    drifted = DRIFTED_NAMES if verb == "train" else {
        **DRIFTED_NAMES, **MODALITY_DRIFTED_NAMES.get(modality, {})}
    for param in params:
        if param.name in drifted:
            new = drifted[param.name]
            problems.append(
                f"{verb}({param.name}=...): verbs never take a device (it is chosen by "
                "sk.model(name, device=...))" if new is None else
                f"{verb}({param.name}=...): the model API calls it {new}= (keep the old name "
                f"working for a release with sketchml.plugin.renamed({param.name}={new!r}))")
    if "seed" in by_name and by_name["seed"].kind is not inspect.Parameter.KEYWORD_ONLY:
        problems.append(f"{verb}(): seed must be keyword-only (after the *)")
    default_is("seed", None)
    default_is("progress", None)
    if verb == "sample_latent":
        default_is("n", 1)
        if "seed" not in by_name:
            problems.append("sample_latent(): takes no seed= (latents must be reproducible)")
    if verb in ("generate", "stream"):
        default_is("latent", None)
        default_is("truncation", None, 1.0)
        if "seed" not in by_name:
            problems.append(f"{verb}(): takes no seed= (results must be reproducible)")
    if verb == "interpolate":
        names = [p.name for p in params[:2]]
        if names != ["a", "b"]:
            problems.append(f"interpolate(): the first arguments must be a, b, not {names}")
        default_is("steps", 10)
        default_is("method", None)
    if verb in ("encode", "train"):
        if params and params[0].default is not empty:
            problems.append(f"{verb}(): data is required (no default)")
    if verb == "train":
        default_is("out", None)
        problems.extend(_settings_seed_problems(method))
    open_options = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    if (verb == "train" and not open_options) or ("steps" in by_name and verb != "interpolate"):
        if "progress" not in by_name:
            problems.append(f"{verb}(): runs for steps, so it must take progress=None "
                            "(a bar when someone can see it)")
    names = _annotation_names(signature.return_annotation)
    expected = expected_returns(verb, modality)
    if names is None or names & {"Any", "object"}:
        want = " | ".join(sorted(expected, key=len)) if expected else "the type it returns"
        problems.append(f"{verb}(): needs a real return annotation (-> {want}), not "
                        f"{'nothing' if names is None else 'Any'}")
    elif expected is not None and names != expected:
        want = " | ".join(sorted(expected, key=len))
        problems.append(f"{verb}() of a {modality} family must be annotated -> {want}, "
                        f"got -> {' | '.join(sorted(names))}")
    return problems


def check_output(output: Any, modality: str, *, n: int | None = None) -> None:
    """Fail (``AssertionError``) unless ``output`` is a valid ``modality`` result.

    ``n=None`` checks one result; ``n`` checks a batch of ``n`` (docs/model-api.md,
    "Results by modality"):

    * image: a float tensor ``(N, 3, H, W)`` in [0, 1], finite (``N == n`` when given);
    * embedding: a ``sk.Latent`` whose ``"embedding"`` is a finite float tensor ``(N, ...)``;
    * text: a ``str`` (a list of ``n`` of them for a batch);
    * audio: ``.waveform`` (``(samples,)`` or ``(channels, samples)``, finite, in [-1, 1])
      and ``.sample_rate`` (a positive int); a list of ``n`` for a batch;
    * notes: NoteSequence-like (``.notes``) with at least one note, pitches 0-127; a list
      of ``n`` for a batch.

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
    if modality in ("text", "notes", "audio") and n is not None:
        assert isinstance(output, list), (
            f"a batch of {modality} (generate given a count or a latent) must be a list, got {kind}")
        assert len(output) == n, (
            f"{modality} output must have one item per latent: expected {n}, got {len(output)}")
        for item in output:
            check_output(item, modality)
        return
    if modality == "embedding":
        from sketchml.models.latent import Latent

        assert isinstance(output, Latent) and "embedding" in output.tensors, (
            f"embedding output must be a sk.Latent with an 'embedding' tensor, got {kind}")
        output = output["embedding"]
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

    if isinstance(a, list) or isinstance(b, list):
        return (isinstance(a, list) and isinstance(b, list) and len(a) == len(b)
                and all(_same_output(x, y, modality, atol=atol) for x, y in zip(a, b, strict=True)))
    if modality == "embedding" and hasattr(a, "tensors"):
        a, b = a["embedding"], b["embedding"]
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


def _recorded_seed(result: Any) -> Any:
    """The seed a result says made it: its own ``.seed``, else its latent's."""
    if isinstance(result, list):
        result = result[0] if result else None
    seed = getattr(result, "seed", None)
    if seed is None and getattr(result, "latent", None) is not None:
        seed = result.latent.seed
    return seed


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
        return self._generate(model, seed=0)

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

    def _train_inputs(self, model: Model, out: Path) -> tuple[Any, dict[str, Any]]:
        inputs = self.train_inputs(model, out)
        if inputs is None:
            pytest.skip(f"{type(self).__name__}: override train_inputs(model, out) to check "
                        "train()")
        return inputs

    def _need(self, model: Model, *verbs: str) -> None:
        for verb in verbs:
            if not model.can(verb):
                pytest.skip(f"the {model.family!r} family has no {verb}()")

    # -- verbs --------------------------------------------------------------------------

    @pytest.mark.parametrize("verb", (*VERBS, "stream"))
    def test_verb_follows_the_model_api(self, model: Model, verb: str) -> None:
        """Each verb's names, defaults and return annotation are those of docs/model-api.md."""
        from sketchml.models.base import Model as BaseModel

        if verb == "stream":
            if type(model).stream is BaseModel.stream:
                pytest.skip("the family keeps the base class's stream()")
        elif verb not in model.verbs() or getattr(type(model), verb) is getattr(BaseModel, verb):
            pytest.skip(f"the {model.family!r} family has no {verb}() of its own")
        problems = api_problems(getattr(model, verb), verb, self._modality(model))
        assert not problems, (
            f"{type(model).__name__}.{verb} departs from the model API (docs/model-api.md):\n  "
            + "\n  ".join(problems))

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
            assert isinstance(code, Latent), (
                f"encode() must return a sk.Latent (an embedding goes in its 'embedding' "
                f"tensor), got {type(code).__name__}")
        else:
            data, options = self._train_inputs(model, tmp_path / "train")
            model.train(data, out=tmp_path / "train", **options)

    def test_train_stops_when_should_stop_says(self, model: Model, tmp_path: Path) -> None:
        """``train(should_stop=...)`` ends the run after the step it says, with a checkpoint of it.

        ``should_stop`` is a setting of every family (``TrainSettings``): a sketch's stop
        button, ``cpu_budget(seconds)``. It is called before every step; here it turns True
        once step 1 is done, so a family that ignores it trains on and fails. Checkpoints
        every 5 steps leave step 1 to the stop's own save.
        """
        from sketchml.training import latest_checkpoint

        self._need(model, "train")
        out = tmp_path / "stopped"
        data, options = self._train_inputs(model, out)
        asked: list[int] = []

        def after_one_step() -> bool:
            asked.append(len(asked))
            return len(asked) > 1

        run = model.train(data, out=out, **{**options, "steps": 5, "checkpoint_every": 5,
                                            "should_stop": after_one_step})
        how = ("check settings.should_stop between steps, or pass it to "
               "TrainingRun(should_stop=...)")
        assert asked, (f"{type(model).__name__}.train() never called should_stop, a setting of "
                       f"every family (a sketch's stop button): {how}")
        step = getattr(run, "step", None)
        assert step == 1, (
            f"{type(model).__name__}.train() ran to step {step} of 5 although should_stop said "
            f"stop after step 1: {how}")
        checkpoint = latest_checkpoint(out / "checkpoints")
        assert checkpoint is not None and checkpoint.step == 1, (
            f"{type(model).__name__}.train() stopped at step 1 but its newest checkpoint in "
            f"{out / 'checkpoints'} is "
            f"{'missing' if checkpoint is None else f'of step {checkpoint.step}'}: a stopped run "
            f"saves the step it reached, so running it again goes on from there")

    @staticmethod
    def _call_missing(model: Model, verb: str) -> None:
        if verb in ("sample_latent", "generate"):
            getattr(model, verb)()
        elif verb == "interpolate":
            model.interpolate(None, None)
        else:
            getattr(model, verb)(None)

    def test_listed_verbs_match_the_class(self, model: Model, request: pytest.FixtureRequest) -> None:
        """The plugin declares its verbs and capabilities, and they are what the class has."""
        from sketchml.models.registry import declaration_problem, default_registry

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
        spec = registry.spec(model.spec.name)[0]
        assert spec.verbs is not None, (
            f"the plugin does not declare the {spec.name!r} family's verbs: pass "
            f"verbs={list(have)} to registry.add() so sk.models() lists them")
        problem = declaration_problem(spec, type(model))
        assert problem is None, problem
        for entry in registry.entries(model.spec.name):
            assert set(entry.verbs) == set(have), (
                f"sk.models() lists {entry.name} with verbs {entry.verbs} but the class has {have}")

    def test_network_is_the_module(self, model: Model) -> None:
        """The underlying ``torch.nn.Module`` is ``model.network`` (``None`` when there is none)."""
        import torch

        network = getattr(model, "network", None)
        assert network is None or isinstance(network, torch.nn.Module), (
            f"model.network must be the family's torch.nn.Module, got {type(network).__name__}")
        if network is None:
            kept = sorted(k for k, v in vars(model).items() if isinstance(v, torch.nn.Module))
            assert not kept, (
                f"the family keeps its torch.nn.Module as model.{kept[0]}; the model API calls "
                "it model.network (keep the old name with sketchml.plugin.deprecated_alias)")

    # -- outputs and seeds --------------------------------------------------------------

    def test_output_by_modality(self, model: Model) -> None:
        """``generate()`` gives one result; a count or a latent of N gives a batch of N."""
        self._need(model, "generate")
        modality = self._modality(model)
        one = self._generate(model, seed=0)
        check_output(one, modality)
        if modality == "image":
            assert one.shape[0] == 1, f"generate() makes one image (1, 3, H, W), got {tuple(one.shape)}"
        check_output(self._generate(model, self.batch, seed=0), modality, n=self.batch)
        latent = self._some_latent(model, self.batch)
        if latent is not None:
            check_output(self._generate(model, latent, seed=0), modality, n=self.batch)

    def test_results_record_their_seed(self, model: Model) -> None:
        """With no seed a result still records one, and that seed makes the same result again."""
        self._need(model, "generate")
        modality = self._modality(model)
        if model.can("sample_latent"):
            z = model.sample_latent(1)
            assert isinstance(z.seed, int), (
                f"sample_latent() without a seed must record the one it drew, got seed={z.seed!r}")
        result = self._generate(model)
        seed = _recorded_seed(result)
        assert isinstance(seed, int), (
            f"generate() without a seed must record the one it drew (result.seed or "
            f"result.latent.seed), got {seed!r}")
        assert_same_output(result, self._generate(model, seed=seed), modality, atol=self.atol)

    def test_seeds_reproduce(self, model: Model) -> None:
        """The same seed gives the same output; different seeds give different ones."""
        self._need(model, "generate")
        modality = self._modality(model)
        n = self.batch
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
        z = model.sample_latent(self.batch, seed=3)
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
        images = self._generate(model, seed=0)
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
