"""The model registry: names -> family classes and weight sets, stored as data.

Plugins add families through the ``sketchml_register_models`` hook (see
:mod:`sketchml.models.hookspecs`). Registration stores only names, dotted paths
and variant metadata (:class:`ModelSpec`, :class:`VariantSpec`); the family
class is imported the first time ``sk.model(name)`` asks for it, so discovering
plugins never imports torch.

Discovery of the ``sketchml`` entry-point group is lazy (first use of the
registry) and cached. Each entry point is loaded and registered inside its own
``try``: a broken plugin is reported once, kept in :attr:`Registry.plugins`
(shown by ``sketchml plugins``) and never breaks the others. Environment:

* ``SKETCHML_STRICT_PLUGINS=1`` raises :class:`PluginError` instead (for plugin developers);
* ``SKETCHML_LOAD_PLUGINS=a,b`` loads only those entry points / distributions;
* ``SKETCHML_DISABLE_PLUGINS=a,b`` skips those;
* ``SKETCHML_PREFER_PLUGINS=a,b``: these distributions win name collisions (below);
* ``SKETCHML_PLUGIN_TIMEOUT=S``: how long one plugin may take to load (15 s by default).

A plugin cannot stop the program that discovers it. Each one is imported and
registered in a thread of its own: one that takes longer than the timeout (an
endless loop, a sleep) is abandoned and reported with its name; ``sys.exit()`` and
``KeyboardInterrupt`` raised by its import are that plugin's failure (a real Ctrl-C
still stops the program); what it prints goes to stderr, never into a command's
output such as ``sketchml models --json``; the signal handlers it installs at import
are installed by the discovering thread once it has loaded, as if it were imported
there (:mod:`sketchml.models.plugin_signals`).

Name collisions follow one rule, whatever order entry points come in. When two
plugins register the same family name, the one whose distribution is listed in
``SKETCHML_PREFER_PLUGINS`` keeps it; otherwise a first-party plugin
(:data:`FIRST_PARTY`) keeps it; otherwise the distribution whose name sorts first.
A warning names both distributions and the winner. A family added by hand (in a
sketch, after discovery) replaces a plugin's, with a warning.
"""
from __future__ import annotations

import contextlib
import fnmatch
import importlib
import importlib.util
import os
import re
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from sketchml.errors import SketchmlError, did_you_mean
from sketchml.models import hookspecs, plugin_signals

if TYPE_CHECKING:
    from sketchml.models.base import Model

__all__ = [
    "ENTRY_POINT_GROUP",
    "FIRST_PARTY",
    "MODALITIES",
    "VERBS",
    "ModelEntry",
    "ModelSpec",
    "PluginError",
    "PluginInfo",
    "PluginWarning",
    "Registry",
    "VariantSpec",
    "declaration_problem",
    "default_registry",
    "model",
    "models",
]

ENTRY_POINT_GROUP = "sketchml"
FIRST_PARTY = frozenset({"sketchml-clip", "sketchml-gan", "sketchml-image", "sketchml-music",
                         "sketchml-text"})
"""The distributions shipped with sketchml: their family names win collisions by default."""
MODALITIES = ("image", "text", "notes", "audio", "embedding")
VERBS = ("generate", "encode", "interpolate", "sample_latent", "train")

_FAMILY_NAME = re.compile(r"^[a-z][a-z0-9_\-]*$")
_VARIANT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_DOTTED = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class PluginError(SketchmlError):
    """A plugin failed to load or register (raised only in strict mode)."""


class PluginWarning(UserWarning):
    """A plugin failed to load and was skipped, or a model name was replaced."""


@dataclass(frozen=True)
class VariantSpec:
    """One weight set of a family (like timm's ``PretrainedCfg``), stored as data.

    Attributes:
        name: the variant name, the part after the dot in ``"family.variant"``.
        weights: where the weights file is: an absolute path, or a path relative
            to the family's top-level package (weights shipped inside the plugin),
            or ``None`` when the family needs no file or uses ``hub_id``/``files``.
        files: the variant's files in the sketchml cache, the Hugging Face cache
            and the hub (``hub_id``): weights files (the first found wins) and
            companions such as ``config.json`` (asked for by name).
        hub_id: a Hugging Face repository id such as ``"org/name"``.
        default: whether ``sk.model("family")`` picks this variant (else the first).
        options: option values this variant sets (the user can still override them).
        description: one line for ``sketchml models``.

    Examples:
        >>> VariantSpec("shapes", weights="weights/shapes.safetensors", default=True).name
        'shapes'
    """

    name: str
    weights: str | None = None
    files: tuple[str, ...] = ()
    hub_id: str | None = None
    default: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def needs_weights(self) -> bool:
        """Whether this variant reads a weights file at all."""
        return bool(self.weights or self.files or self.hub_id)


@dataclass(frozen=True)
class ModelSpec:
    """A registered family: its name, dotted class path, modality and variants.

    Examples:
        >>> spec = ModelSpec("noise", "pkg.family:Noise", "image",
        ...                  {"default": VariantSpec("default")})
        >>> spec.default_variant.name
        'default'
    """

    name: str
    family: str
    modality: str
    variants: Mapping[str, VariantSpec]
    description: str = ""
    plugin: str = "<direct>"
    verbs: tuple[str, ...] | None = None
    capabilities: tuple[str, ...] = ()

    @property
    def default_variant(self) -> VariantSpec:
        """The variant marked ``default=True``, else the first one."""
        for variant in self.variants.values():
            if variant.default:
                return variant
        return next(iter(self.variants.values()))

    @property
    def module(self) -> str:
        """The module part of :attr:`family`."""
        return self.family.partition(":")[0]

    @property
    def package_dir(self) -> Path | None:
        """The folder of the family's top-level package, found without importing it."""
        top = self.module.split(".")[0]
        try:
            found = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            return None
        if found is None or not found.submodule_search_locations:
            return None
        return Path(next(iter(found.submodule_search_locations)))


@dataclass(frozen=True)
class ModelEntry:
    """One row of ``sk.models()``: a ``family.variant`` name and what it offers.

    Examples:
        >>> import sketchml as sk
        >>> len(sk.models("no-such-*"))
        0
    """

    name: str
    family: str
    modality: str
    verbs: tuple[str, ...]
    weights_available: bool
    default: bool
    plugin: str
    description: str = ""
    capabilities: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of this entry."""
        data = asdict(self)
        data["verbs"] = list(self.verbs)
        data["capabilities"] = list(self.capabilities)
        return data


@dataclass(frozen=True)
class PluginInfo:
    """What happened to one plugin: ``status`` is ok, error, disabled or skipped.

    Examples:
        >>> PluginInfo("noise", "sketchml-noise", "1.0", "ok").status
        'ok'
    """

    name: str
    distribution: str
    version: str
    status: str
    error: str | None = None
    models: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of this record."""
        data = asdict(self)
        data["models"] = list(self.models)
        return data


class Registry:
    """Model families by name, filled by plugins.

    ``Registry()`` discovers installed plugins on first use;
    ``Registry(discover=False)`` starts empty (for tests: register plugin objects
    with :meth:`register` or add families with :meth:`add`);
    ``Registry(paths=[folder])`` discovers only the distributions installed in
    those folders instead of everything on ``sys.path``.

    Examples:
        >>> registry = Registry(discover=False)
        >>> _ = registry.add("noise", family="pkg.family:Noise", modality="image")
        >>> registry.names()
        ['noise.default']
    """

    def __init__(
        self, *, discover: bool = True, paths: Iterable[str | os.PathLike[str]] | None = None
    ) -> None:
        self._paths = [str(p) for p in paths] if paths is not None else None
        self._specs: dict[str, ModelSpec] = {}
        self._plugins: list[PluginInfo] = []
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._discovered = not discover
        self._discovering = False
        self._local = threading.local()
        self._abandoned: set[int] = set()

    # -- registration -------------------------------------------------------------

    def add(
        self,
        name: str,
        *,
        family: str,
        modality: str,
        variants: Mapping[str, Mapping[str, Any] | VariantSpec] | Iterable[VariantSpec] | None = None,
        description: str = "",
        verbs: Iterable[str] | None = None,
        capabilities: Iterable[str] = (),
    ) -> ModelSpec:
        """Register a family: only data is stored, nothing is imported.

        Args:
            name: the family name (lower case, no dots), e.g. ``"dcgan"``.
            family: ``"package.module:Class"``, a :class:`sketchml.Model` subclass.
            modality: what ``generate`` returns: image, text, notes, audio or embedding.
            variants: weight sets by name, each a dict of :class:`VariantSpec` fields
                or a ``VariantSpec``; by default one variant called ``"default"``.
            description: one line for ``sketchml models``.
            verbs: the model verbs the family has (some of ``generate``, ``encode``,
                ``interpolate``, ``sample_latent``, ``train``), so ``sk.models()`` lists
                them without importing the family. Declare them: a family that leaves
                them out is listed with no verbs until its class is imported, and
                ``ModelConformance`` fails it. They are checked against the class when
                it is loaded.
            capabilities: the family's public methods beyond the verbs that users look
                for, e.g. CLIP's ``("classify", "guide", "similarity")``.

        Replacing an existing name warns (:class:`PluginWarning`). Installed
        plugins are discovered first, so a family added by hand (in a sketch)
        replaces a plugin's family of the same name, not the other way round.

        Examples:
            >>> registry = Registry(discover=False)
            >>> spec = registry.add("dcgan", family="pkg.dcgan:DCGAN", modality="image",
            ...                     variants={"shapes": {"weights": "w.safetensors"}},
            ...                     verbs=["generate", "sample_latent", "interpolate"])
            >>> spec.default_variant.name, spec.verbs
            ('shapes', ('generate', 'interpolate', 'sample_latent'))
        """
        self._ensure_discovered()
        if not isinstance(name, str) or not _FAMILY_NAME.match(name):
            raise SketchmlError(
                f"Model family name {name!r} is not valid: expected lower-case letters, digits, "
                "'_' or '-' and no dots (variants go in variants={...}), e.g. 'biggan'."
            )
        if not isinstance(family, str) or not _DOTTED.match(family):
            raise SketchmlError(
                f"family={family!r} for model {name!r} is not a dotted path: expected "
                "'package.module:ClassName', e.g. 'sketchml_noise.family:Noise'."
            )
        if modality not in MODALITIES:
            raise SketchmlError(
                f"modality={modality!r} for model {name!r} is not known: expected one of "
                f"{', '.join(MODALITIES)}.{did_you_mean(str(modality), MODALITIES)}"
            )
        declared = _declared_verbs(name, verbs)
        extras = _declared_capabilities(name, capabilities)
        spec = ModelSpec(
            name=name,
            family=family,
            modality=modality,
            variants=_variant_specs(name, variants),
            description=description,
            plugin=self._current_plugin,
            verbs=declared,
            capabilities=extras,
        )
        if threading.get_ident() in self._abandoned:
            raise PluginError(f"{spec.plugin} took too long to load; its late {name!r} is ignored.")
        old = self._specs.get(name)
        if old is not None and _plugins_collide(old, spec):
            keeps, reason = _collision_winner(old, spec)
            loser = spec if keeps is old else old
            warnings.warn(
                f"Two plugins register the model family {name!r}: {old.plugin} ({old.family}) "
                f"and {spec.plugin} ({spec.family}). {keeps.plugin} keeps the name because "
                f"{reason}. To use {loser.plugin}'s instead, set "
                f"SKETCHML_PREFER_PLUGINS={loser.plugin}; or turn one off with "
                "SKETCHML_DISABLE_PLUGINS.",
                PluginWarning,
                stacklevel=2,
            )
            if keeps is old:
                return spec
        elif old is not None:
            warnings.warn(
                f"Model family {name!r} ({old.family}, from {old.plugin}) was replaced by "
                f"{family} from {spec.plugin}. Rename one of them, or disable one plugin with "
                "SKETCHML_DISABLE_PLUGINS.",
                PluginWarning,
                stacklevel=2,
            )
        self._specs[name] = spec
        return spec

    @property
    def _current_plugin(self) -> str:
        """The distribution whose hook is running in this thread (``"<direct>"`` outside one)."""
        return getattr(self._local, "plugin", "<direct>")

    def register(self, plugin: object, *, name: str | None = None) -> PluginInfo:
        """Register a plugin object (a module or any object with ``@sk.hookimpl`` functions).

        The plugin is isolated exactly like an entry point: if its hook fails,
        what it added is rolled back, the failure is warned about and recorded in
        :attr:`plugins` (raised in strict mode).

        Examples:
            >>> import types, sketchml as sk
            >>> plugin = types.SimpleNamespace()
            >>> plugin.sketchml_register_models = sk.hookimpl(
            ...     lambda registry: registry.add("noise", family="p.f:Noise", modality="image"))
            >>> Registry(discover=False).register(plugin, name="noise").status
            'ok'
        """
        self._ensure_discovered()
        plugin_name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        return self._load_plugin(plugin_name, "<inline>", "", lambda: plugin)

    # -- discovery ------------------------------------------------------------------

    @property
    def plugins(self) -> list[PluginInfo]:
        """Every plugin seen, in load order, with its status and error."""
        self._ensure_discovered()
        return list(self._plugins)

    def add_commands(self, subparsers: Any) -> None:
        """Let every loaded plugin add its ``sketchml`` sub-commands (``sketchml_register_commands``).

        Each plugin's hook runs inside its own ``try``: a plugin whose commands fail to
        register is warned about (raised in strict mode) and the others still register.

        Examples:
            >>> import argparse, types, sketchml as sk
            >>> plugin = types.SimpleNamespace(sketchml_register_commands=sk.hookimpl(
            ...     lambda subparsers: subparsers.add_parser("hello")))
            >>> registry = Registry(discover=False)
            >>> _ = registry.register(plugin, name="hello")
            >>> sub = argparse.ArgumentParser().add_subparsers()
            >>> registry.add_commands(sub)
            >>> sorted(sub.choices)
            ['hello']
        """
        self._ensure_discovered()
        for impl in self._pm.hook.sketchml_register_commands.get_hookimpls():
            try:
                impl.function(*[{"subparsers": subparsers}[arg] for arg in impl.argnames])
            except Exception as err:  # isolation: one plugin's bad command leaves the rest
                message = (f"sketchml plugin {impl.plugin_name!r} failed to add its commands: "
                           f"{type(err).__name__}: {err}. The other commands keep working.")
                if _env_flag("SKETCHML_STRICT_PLUGINS"):
                    raise PluginError(message) from err
                warnings.warn(message, PluginWarning, stacklevel=2)

    def _ensure_discovered(self) -> None:
        if self._discovered or self._discovering:
            return
        self._discovering = True
        try:
            self._discover_entry_points()
        finally:
            self._discovering = False
            self._discovered = True

    def _discover_entry_points(self) -> None:
        from importlib.metadata import distributions, entry_points

        if self._paths is None:
            found = list(entry_points(group=ENTRY_POINT_GROUP))
        else:
            found = [ep for dist in distributions(path=self._paths) for ep in dist.entry_points
                     if ep.group == ENTRY_POINT_GROUP]
        only = _env_names("SKETCHML_LOAD_PLUGINS")
        disabled = _env_names("SKETCHML_DISABLE_PLUGINS") or set()
        seen: set[tuple[str, str]] = set()
        for ep in sorted(found, key=_entry_point_order):
            dist = getattr(ep, "dist", None)
            dist_name = dist.metadata["Name"] if dist is not None else "?"
            version = dist.version if dist is not None else "?"
            key = (_normal(dist_name), ep.name)
            if key in seen:  # the same distribution found twice on sys.path
                continue
            seen.add(key)
            selectors = {_normal(ep.name), _normal(dist_name)}
            if only is not None and not selectors & only:
                self._plugins.append(PluginInfo(
                    ep.name, dist_name, version, "skipped", "not in SKETCHML_LOAD_PLUGINS"))
            elif selectors & disabled:
                self._plugins.append(PluginInfo(
                    ep.name, dist_name, version, "disabled", "in SKETCHML_DISABLE_PLUGINS"))
            else:
                self._load_plugin(ep.name, dist_name, version, ep.load)

    def _load_plugin(
        self, name: str, distribution: str, version: str, load: Callable[[], object]
    ) -> PluginInfo:
        before = dict(self._specs)
        loaded: list[object] = []

        def load_and_register() -> None:
            plugin = load()
            loaded.append(plugin)
            _check_hook_names(plugin)
            if threading.get_ident() in self._abandoned:
                return
            self._pm.register(plugin, name=name)
            for impl in self._pm.hook.sketchml_register_models.get_hookimpls():
                if impl.plugin is plugin:
                    impl.function(*[{"registry": self}[arg] for arg in impl.argnames])

        owner = distribution if distribution != "<inline>" else name
        err = self._isolated(owner, load_and_register)
        if err is not None:  # isolation: any plugin bug stays in the plugin
            self._specs = before
            plugin = loaded[0] if loaded else None
            if plugin is not None and self._pm.is_registered(plugin):
                self._pm.unregister(plugin)
            error = f"{type(err).__name__}: {err}"
            info = PluginInfo(name, distribution, version, "error", error)
            self._plugins.append(info)
            where = f"distribution {distribution} {version}".strip()
            message = (
                f"sketchml plugin {name!r} ({where}) failed to load and was skipped: {error}. "
                "The other plugins and your sketch keep working. To fix it, upgrade or "
                f"reinstall it (pip install --upgrade {distribution}), or turn it off with "
                f"SKETCHML_DISABLE_PLUGINS={name}; set SKETCHML_STRICT_PLUGINS=1 to raise "
                "the error with its traceback."
            )
            if _env_flag("SKETCHML_STRICT_PLUGINS"):
                raise PluginError(message) from err
            warnings.warn(message, PluginWarning, stacklevel=3)
            return info
        added = tuple(n for n, s in self._specs.items() if before.get(n) is not s)
        info = PluginInfo(name, distribution, version, "ok", None, added)
        self._plugins.append(info)
        return info

    def _isolated(self, owner: str, work: Callable[[], None]) -> BaseException | None:
        """Run a plugin's ``work`` in its own thread; return what it raised, if anything.

        The wait is bounded (``SKETCHML_PLUGIN_TIMEOUT``); a plugin still running then
        is abandoned (its thread is a daemon: it cannot keep the program alive). Its
        prints go to stderr, now and later. A Ctrl-C arrives in the waiting thread
        and stops the program as usual. Signal handlers it installs are installed
        from the waiting thread once it has loaded (:mod:`sketchml.models.plugin_signals`).
        """
        outcome: list[BaseException] = []

        def target() -> None:
            self._local.plugin = owner
            try:
                work()
            except BaseException as err:  # SystemExit, KeyboardInterrupt: the plugin's failure
                outcome.append(err)

        limit = _plugin_timeout()
        thread = threading.Thread(target=target, name=f"sketchml-plugin:{owner}", daemon=True)
        with _prints_to_stderr(thread), plugin_signals.deferred_signals(thread) as handlers:
            thread.start()
            thread.join(limit)
        if thread.is_alive():
            self._abandoned.add(thread.ident or 0)
            _route_to_stderr_for_good(thread)
            return PluginTimeout(
                f"it was still loading after {limit:g} s (an endless loop or a wait in its "
                "import?), so it was abandoned; SKETCHML_PLUGIN_TIMEOUT sets the limit"
            )
        if outcome:
            return outcome[0]
        # Handlers it installed (only the main thread may): see plugin_signals.
        return plugin_signals.apply(handlers)

    # -- look-up ----------------------------------------------------------------------

    def names(self) -> list[str]:
        """Every ``family.variant`` name, sorted."""
        self._ensure_discovered()
        return sorted(f"{s.name}.{v}" for s in self._specs.values() for v in s.variants)

    def families(self) -> list[str]:
        """Every family name, sorted."""
        self._ensure_discovered()
        return sorted(self._specs)

    def spec(self, name: str) -> tuple[ModelSpec, VariantSpec]:
        """The family and variant for ``"family"`` or ``"family.variant"``.

        Examples:
            >>> registry = Registry(discover=False)
            >>> _ = registry.add("noise", family="p.f:Noise", modality="image")
            >>> registry.spec("noise")[1].name
            'default'
        """
        if not isinstance(name, str) or not name.strip():
            raise SketchmlError(
                f"A model is named by a string such as 'dcgan' or 'biggan.deep-256', got "
                f"{name!r}. List the installed ones with sk.models() or `sketchml models`."
            )
        self._ensure_discovered()
        family_name, _, variant_name = name.partition(".")
        spec = self._specs.get(family_name)
        if spec is None:
            known = self.families() + self.names()
            listing = ", ".join(self.families()) or "none are installed"
            raise SketchmlError(
                f"There is no model called {name!r}.{did_you_mean(name, known)} Known model "
                f"families: {listing}. List them all with sk.models() or `sketchml models`; "
                "a family comes from a plugin package (pip install it)."
            )
        if not variant_name:
            return spec, spec.default_variant
        variant = spec.variants.get(variant_name)
        if variant is None:
            raise SketchmlError(
                f"The {family_name!r} family has no variant {variant_name!r}."
                f"{did_you_mean(variant_name, spec.variants)} Its variants: "
                f"{', '.join(spec.variants)} (use {family_name!r} for the default, "
                f"{spec.default_variant.name!r})."
            )
        return spec, variant

    def family_class(self, name: str) -> type[Model]:
        """Import (on first use) and return the :class:`Model` subclass behind ``name``."""
        from sketchml.models.base import Model

        spec, _ = self.spec(name)
        module_name, _, attr = spec.family.partition(":")
        try:
            module = importlib.import_module(module_name)
        except (Exception, SystemExit) as err:  # a family's import must not end the program
            raise SketchmlError(
                f"Could not import the {spec.name!r} model family ({spec.family}, from "
                f"{spec.plugin}): {type(err).__name__}: {err}. Check that the plugin and its "
                "dependencies are installed (pip install --upgrade the plugin)."
            ) from err
        cls = getattr(module, attr, None)
        if cls is None:
            raise SketchmlError(
                f"Module {module_name} has no class {attr!r} for the {spec.name!r} family."
                f"{did_you_mean(attr, dir(module))} Fix family= in the plugin's registry.add()."
            )
        if not (isinstance(cls, type) and issubclass(cls, Model)):
            raise SketchmlError(
                f"{spec.family} (the {spec.name!r} family) is not a subclass of sketchml.Model; "
                "a family class must derive from sk.Model."
            )
        problem = declaration_problem(spec, cls)
        if problem is not None:
            warnings.warn(problem, PluginWarning, stacklevel=3)
        return cls

    def load(
        self, name: str, *, device: Any = None, weights: str | os.PathLike[str] | None = None,
        **options: Any,
    ) -> Model:
        """Build a ready model: import its family, pick the device, load weights.

        Examples:
            >>> import sketchml as sk
            >>> sk.models("no-such-model*")
            []
        """
        spec, variant = self.spec(name)
        cls = self.family_class(name)
        return cls(spec=spec, variant=variant, device=device, weights=weights, **options)

    def entries(self, pattern: str | None = None) -> list[ModelEntry]:
        """Rows for ``sk.models()``: sorted, filtered by a glob over names."""
        from sketchml.models.weights import find_weights

        self._ensure_discovered()
        rows = []
        for spec in sorted(self._specs.values(), key=lambda s: s.name):
            verbs = spec.verbs if spec.verbs is not None else _imported_verbs(spec.family)
            for variant in spec.variants.values():
                full = f"{spec.name}.{variant.name}"
                if pattern and not _matches(pattern, full, spec.name):
                    continue
                available = not variant.needs_weights or find_weights(spec, variant) is not None
                rows.append(ModelEntry(
                    name=full, family=spec.family, modality=spec.modality, verbs=verbs,
                    weights_available=available, default=variant is spec.default_variant,
                    plugin=spec.plugin, description=variant.description or spec.description,
                    capabilities=spec.capabilities,
                ))
        return sorted(rows, key=lambda row: row.name)


# -- the default registry and the public functions -------------------------------------

_default: Registry | None = None


def default_registry() -> Registry:
    """The process-wide registry (installed plugins are discovered on first use).

    Examples:
        >>> default_registry() is default_registry()
        True
    """
    global _default
    if _default is None:
        _default = Registry()
    return _default


def model(name: str, *, device: Any = None, weights: str | os.PathLike[str] | None = None,
          **options: Any) -> Model:
    """A ready-to-use model by name: ``"family"`` (its default variant) or ``"family.variant"``.

    Args:
        name: e.g. ``"dcgan"`` or ``"biggan.deep-256"``; see ``sk.models()``.
        device: ``"cpu"``, ``"cuda"``, ``"mps"``...; by default CUDA, then MPS, then CPU.
        weights: a weights file to use instead of the variant's own.
        **options: the family's options (see its ``Options``); unknown names are refused.

    Examples:
        >>> import sketchml as sk
        >>> gan = sk.model("dcgan.shapes")  # doctest: +SKIP
        >>> images = gan.generate(gan.sample_latent(4, seed=1))  # doctest: +SKIP
    """
    return default_registry().load(name, device=device, weights=weights, **options)


def models(pattern: str | None = None) -> list[ModelEntry]:
    """The installed models, sorted, optionally filtered by a glob such as ``"big*"``.

    Each entry has ``name``, ``family``, ``modality``, ``verbs``, ``capabilities`` (the
    family's other public methods, e.g. CLIP's ``classify``) and ``weights_available``
    (whether the weights are on this machine now).

    Examples:
        >>> import sketchml as sk
        >>> [entry.name for entry in sk.models("dcgan*")]  # doctest: +SKIP
        ['dcgan.shapes']
    """
    return default_registry().entries(pattern)


# -- helpers ----------------------------------------------------------------------------

class PluginTimeout(PluginError):
    """A plugin took longer than ``SKETCHML_PLUGIN_TIMEOUT`` seconds to load and was abandoned."""


def _plugin_timeout() -> float:
    value = os.environ.get("SKETCHML_PLUGIN_TIMEOUT", "").strip()
    try:
        return max(float(value), 0.01) if value else 15.0
    except ValueError:
        raise SketchmlError(
            f"SKETCHML_PLUGIN_TIMEOUT={value!r} is not a number of seconds; use e.g. 15."
        ) from None


class _ThreadStdout:
    """``sys.stdout`` that sends what plugin threads print to stderr, the rest to stdout."""

    def __init__(self, stdout: Any) -> None:
        self.stdout = stdout
        self.threads: set[threading.Thread] = set()

    def write(self, text: str) -> int:
        to = sys.stderr if threading.current_thread() in self.threads else self.stdout
        return to.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stdout, name)


_routing_lock = threading.Lock()


@contextlib.contextmanager
def _prints_to_stderr(thread: threading.Thread) -> Any:
    with _routing_lock:
        if not isinstance(sys.stdout, _ThreadStdout):
            sys.stdout = _ThreadStdout(sys.stdout)
        router = sys.stdout
        router.threads.add(thread)
    try:
        yield
    finally:
        with _routing_lock:
            if not thread.is_alive():
                router.threads.discard(thread)
                if sys.stdout is router and not router.threads:
                    sys.stdout = router.stdout


def _route_to_stderr_for_good(thread: threading.Thread) -> None:
    """An abandoned plugin thread keeps printing to stderr for as long as it runs."""
    with _routing_lock:
        if isinstance(sys.stdout, _ThreadStdout):
            sys.stdout.threads.add(thread)


def _entry_point_order(ep: Any) -> tuple[str, str]:
    """Entry points load by distribution name, then entry-point name: never by chance."""
    dist = getattr(ep, "dist", None)
    return (_normal(dist.metadata["Name"]) if dist is not None else "~", ep.name)


def _plugins_collide(old: ModelSpec, new: ModelSpec) -> bool:
    """Two different plugins register one name (by hand, in a sketch, it simply replaces)."""
    return "<direct>" not in (old.plugin, new.plugin) and old.plugin != new.plugin


def _collision_winner(old: ModelSpec, new: ModelSpec) -> tuple[ModelSpec, str]:
    """Which of two plugins keeps a family name, and why (the rule in the module docstring)."""
    preferred = _env_names("SKETCHML_PREFER_PLUGINS") or set()
    old_preferred, new_preferred = _normal(old.plugin) in preferred, _normal(new.plugin) in preferred
    if old_preferred != new_preferred:
        return (new if new_preferred else old), "SKETCHML_PREFER_PLUGINS names it"
    old_first, new_first = _normal(old.plugin) in FIRST_PARTY, _normal(new.plugin) in FIRST_PARTY
    if old_first != new_first:
        return (new if new_first else old), "first-party plugins win unless you prefer another"
    first = min((old, new), key=lambda spec: _normal(spec.plugin))
    return first, "its distribution name sorts first"

def _variant_specs(
    family: str,
    variants: Mapping[str, Mapping[str, Any] | VariantSpec] | Iterable[VariantSpec] | None,
) -> dict[str, VariantSpec]:
    if variants is None:
        return {"default": VariantSpec("default")}
    items: list[VariantSpec] = []
    pairs = variants.items() if isinstance(variants, Mapping) else ((v.name, v) for v in variants)
    fields = set(VariantSpec.__dataclass_fields__) - {"name"}
    for key, value in pairs:
        if isinstance(value, VariantSpec):
            items.append(value if value.name == key else VariantSpec(**{**asdict(value), "name": key}))
            continue
        unknown = set(value) - fields
        if unknown:
            bad = sorted(unknown)[0]
            raise SketchmlError(
                f"Variant {key!r} of model {family!r} has an unknown field {bad!r}."
                f"{did_you_mean(bad, fields)} Expected some of: {', '.join(sorted(fields))}."
            )
        data = dict(value)
        if "files" in data:
            data["files"] = tuple([data["files"]] if isinstance(data["files"], str) else data["files"])
        items.append(VariantSpec(name=key, **data))
    if not items:
        raise SketchmlError(f"Model {family!r} was given no variants: give at least one, or leave "
                            "variants= out for a single 'default' variant.")
    for item in items:
        if not _VARIANT_NAME.match(item.name):
            raise SketchmlError(
                f"Variant name {item.name!r} of model {family!r} is not valid: use letters, "
                "digits, '_', '-' or '.', e.g. 'deep-256'."
            )
    if sum(item.default for item in items) > 1:
        raise SketchmlError(f"Model {family!r} marks more than one variant default=True; mark one.")
    return {item.name: item for item in items}


def _check_hook_names(plugin: object) -> None:
    """Refuse ``@sk.hookimpl`` functions whose name is not a sketchml hook (a typo)."""
    known = [name for name in dir(hookspecs) if name.startswith("sketchml_")]
    for attr in dir(plugin):
        value = getattr(plugin, attr, None)
        if getattr(value, f"{hookspecs.PROJECT}_impl", None) is not None and attr not in known:
            raise PluginError(
                f"{attr!r} is marked @sk.hookimpl but is not a sketchml hook."
                f"{did_you_mean(attr, known)} Hooks: {', '.join(known)}."
            )


def _declared_verbs(name: str, verbs: Iterable[str] | None) -> tuple[str, ...] | None:
    """``verbs=`` checked and put in the order of :data:`VERBS` (``None`` if not given)."""
    if verbs is None:
        return None
    given = [verbs] if isinstance(verbs, str) else list(verbs)
    for verb in given:
        if verb not in VERBS:
            raise SketchmlError(
                f"verbs= for model {name!r} lists {verb!r}, which is not a verb: expected "
                f"some of {', '.join(VERBS)}.{did_you_mean(str(verb), VERBS)} Other public "
                "methods go in capabilities=."
            )
    return tuple(verb for verb in VERBS if verb in given)


def _declared_capabilities(name: str, capabilities: Iterable[str]) -> tuple[str, ...]:
    """``capabilities=`` checked (method names, not verbs) and sorted."""
    given = [capabilities] if isinstance(capabilities, str) else list(capabilities)
    for item in given:
        if not isinstance(item, str) or not item.isidentifier() or item.startswith("_"):
            raise SketchmlError(
                f"capabilities= for model {name!r} lists {item!r}: expected the names of "
                "public methods of the family class, e.g. ['classify', 'similarity']."
            )
        if item in VERBS:
            raise SketchmlError(
                f"capabilities= for model {name!r} lists the verb {item!r}; put verbs in verbs=."
            )
    return tuple(sorted(set(given)))


def declaration_problem(spec: ModelSpec, cls: type[Model]) -> str | None:
    """What is wrong with the verbs and capabilities ``spec`` declares for ``cls``, or ``None``.

    Examples:
        >>> import sketchml as sk
        >>> class Grey(sk.Model):
        ...     def generate(self, latent=None, **options): ...
        >>> spec = ModelSpec("grey", "m:Grey", "image", {}, verbs=("generate", "encode"))
        >>> print(declaration_problem(spec, Grey))  # doctest: +ELLIPSIS
        The 'grey' family declares verbs=['generate', 'encode'] but m:Grey has ['generate']...
    """
    have = cls.verbs()
    problems = []
    if spec.verbs is not None and set(spec.verbs) != set(have):
        problems.append(
            f"The {spec.name!r} family declares verbs={list(spec.verbs)} but {spec.family} has "
            f"{list(have)}; fix verbs= in the plugin's registry.add()."
        )
    missing = [name for name in spec.capabilities if not callable(getattr(cls, name, None))]
    if missing:
        problems.append(
            f"The {spec.name!r} family declares capabilities {missing} that {spec.family} has no "
            "method for; fix capabilities= in the plugin's registry.add()."
        )
    return " ".join(problems) or None


def _imported_verbs(dotted: str) -> tuple[str, ...]:
    """The verbs of a family that declared none: asked of its class once it is imported.

    The plugin's code is never imported (or parsed) for a listing; until the family is
    used, such a family is listed with no verbs.
    """
    module_name, _, cls_name = dotted.partition(":")
    module = sys.modules.get(module_name)
    verbs_of = getattr(getattr(module, cls_name, None), "verbs", None)
    return tuple(verbs_of()) if callable(verbs_of) else ()


def _matches(pattern: str, full: str, family: str) -> bool:
    pattern = pattern.lower()
    return fnmatch.fnmatchcase(full.lower(), pattern) or fnmatch.fnmatchcase(family.lower(), pattern)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _env_names(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    if value is None or not value.strip():
        return None
    return {_normal(part.strip()) for part in value.split(",") if part.strip()}


def _env_flag(variable: str) -> bool:
    return os.environ.get(variable, "").strip().lower() not in ("", "0", "false", "no", "off")
