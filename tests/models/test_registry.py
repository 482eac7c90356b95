"""The registry: inline plugins, real entry points, isolation, selection, lazy import, names."""
from __future__ import annotations

import sys
import types
import warnings

import pytest

import sketchml as sk
from sketchml.models import registry as registry_module
from sketchml.models.registry import PluginError, PluginWarning, Registry
from tests.models.conftest import FAMILY

def plugin_object(add=None, fail=None):
    """A pluggy plugin object (a namespace with a hookimpl), registered without entry points."""
    def register(registry):
        if add:
            registry.add(add, family=f"pkg_{add}.family:Thing", modality="text")
        if fail:
            raise fail

    return types.SimpleNamespace(sketchml_register_models=sk.hookimpl(register))


def test_inline_plugin_registers_data_only():
    registry = Registry(discover=False)
    info = registry.register(plugin_object(add="poem"), name="poems")
    assert info.status == "ok" and info.models == ("poem",)
    spec, variant = registry.spec("poem")
    assert (spec.family, spec.modality, variant.name) == ("pkg_poem.family:Thing", "text", "default")
    assert "pkg_poem" not in sys.modules
    assert registry.names() == ["poem.default"]


def test_failing_inline_plugin_is_rolled_back_and_isolated():
    registry = Registry(discover=False)
    registry.register(plugin_object(add="fine"), name="fine")
    with pytest.warns(PluginWarning, match="'half'.*ValueError: boom"):
        info = registry.register(plugin_object(add="partial", fail=ValueError("boom")), name="half")
    assert info.status == "error" and "boom" in info.error
    assert registry.families() == ["fine"]  # what the broken plugin added is gone


def test_entry_points_good_and_broken_are_isolated(site, good_plugin, broken_plugin):
    registry = Registry(paths=[site.root])
    with pytest.warns(PluginWarning) as caught:
        names = registry.names()
    assert names == ["toy.big", "toy.small"]
    assert len(caught) == 1
    message = str(caught[0].message)
    for part in ("broken-plugin", "0.1", "torchvisionx", "pip install --upgrade broken-plugin",
                 "SKETCHML_DISABLE_PLUGINS=broken"):
        assert part in message
    by_name = {p.name: p for p in registry.plugins}
    assert by_name["good"].status == "ok" and by_name["good"].distribution == "good-plugin"
    assert by_name["good"].version == "1.2.3" and by_name["good"].models == ("toy",)
    assert by_name["broken"].status == "error" and "torchvisionx" in by_name["broken"].error
    assert registry.spec("toy")[0].plugin == "good-plugin"
    model = registry.load("toy", device="cpu")
    assert model.name == "toy.big" and model.generate(seed=1).shape == (1, 3, 2, 2)


def test_failure_is_reported_once(site, broken_plugin):
    registry = Registry(paths=[site.root])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        registry.names()
        registry.entries()
        _ = registry.plugins
        registry.families()
    assert len([w for w in caught if issubclass(w.category, PluginWarning)]) == 1


def test_strict_mode_raises(site, good_plugin, broken_plugin, monkeypatch):
    monkeypatch.setenv("SKETCHML_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match="torchvisionx") as raised:
        Registry(paths=[site.root]).names()
    assert isinstance(raised.value.__cause__, ImportError)


def test_load_and_disable_selection(site, good_plugin, broken_plugin, monkeypatch):
    monkeypatch.setenv("SKETCHML_LOAD_PLUGINS", "good")
    registry = Registry(paths=[site.root])
    with warnings.catch_warnings():
        warnings.simplefilter("error", PluginWarning)  # the broken one is never imported
        assert registry.families() == ["toy"]
    assert {p.name: p.status for p in registry.plugins} == {"broken": "skipped", "good": "ok"}

    monkeypatch.delenv("SKETCHML_LOAD_PLUGINS")
    monkeypatch.setenv("SKETCHML_DISABLE_PLUGINS", "broken-plugin, good")  # distribution or entry point
    registry = Registry(paths=[site.root])
    with warnings.catch_warnings():
        warnings.simplefilter("error", PluginWarning)
        assert registry.families() == []
    assert {p.status for p in registry.plugins} == {"disabled"}


def test_family_module_is_imported_on_first_use_only(site, good_plugin):
    registry = Registry(paths=[site.root])
    entries = registry.entries()
    assert "good_plugin" in sys.modules
    assert "good_plugin.family" not in sys.modules
    # the declared verbs are listed without importing (or reading) the family's module
    assert entries[0].verbs == ("generate", "interpolate", "sample_latent")
    assert entries[0].capabilities == ("describe",)
    registry.load("toy.small", device="cpu")
    assert "good_plugin.family" in sys.modules


def test_overwrite_warns():
    registry = Registry(discover=False)
    registry.add("gan", family="a.b:C", modality="image")
    with pytest.warns(PluginWarning, match="'gan'.*a.b:C.*replaced by x.y:Z"):
        registry.add("gan", family="x.y:Z", modality="image")
    assert registry.spec("gan")[0].family == "x.y:Z"


def test_unknown_names_suggest():
    registry = Registry(discover=False)
    registry.add("biggan", family="a.b:C", modality="image", variants={"deep-256": {}, "deep-512": {}})
    with pytest.raises(sk.SketchmlError, match="no model called 'bigan'. Did you mean 'biggan'"):
        registry.spec("bigan")
    with pytest.raises(sk.SketchmlError, match="no variant 'deep-265'. Did you mean one of: 'deep-256'"):
        registry.spec("biggan.deep-265")
    assert registry.spec("biggan")[1].name == "deep-256"  # first variant is the default


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "Big.GAN"}, "not valid"),
    ({"family": "no_colon"}, "not a dotted path"),
    ({"modality": "imag"}, "Did you mean 'image'"),
    ({"variants": {"a": {"weigths": "x"}}}, "Did you mean 'weights'"),
    ({"variants": {"a": {"default": True}, "b": {"default": True}}}, "more than one"),
    ({"verbs": ["generate", "encoder"]}, "Did you mean 'encode'"),
])
def test_add_refuses_bad_data(kwargs, message):
    args = {"name": "gan", "family": "a.b:C", "modality": "image", **kwargs}
    with pytest.raises(sk.SketchmlError, match=message):
        Registry(discover=False).add(args.pop("name"), **args)


def test_misspelt_hook_is_refused():
    plugin = types.SimpleNamespace(sketchml_register_model=sk.hookimpl(lambda registry: None))
    with pytest.warns(PluginWarning):
        info = Registry(discover=False).register(plugin, name="typo")
    assert info.status == "error" and "Did you mean" in info.error
    assert "'sketchml_register_models'" in info.error


def test_models_listing_is_sorted_and_filtered(monkeypatch):
    registry = Registry(discover=False)
    registry.add("zeta", family="z.m:Z", modality="text", verbs=["generate"])
    registry.add("alpha", family="a.m:A", modality="image", verbs=["generate", "encode"],
                 variants={"two": {"hub_id": "org/alpha", "files": ["a.safetensors"]}, "one": {}})
    monkeypatch.setattr(registry_module, "_default", registry)
    assert [e.name for e in sk.models()] == ["alpha.one", "alpha.two", "zeta.default"]
    assert [e.name for e in sk.models("alpha.t*")] == ["alpha.two"]
    assert [e.name for e in sk.models("ZETA")] == ["zeta.default"]
    two = sk.models("alpha.two")[0]
    assert two.verbs == ("generate", "encode") and two.weights_available is False
    assert sk.models("alpha.one")[0].weights_available is True  # needs no file


def test_model_function_uses_the_default_registry(site, good_plugin, monkeypatch):
    monkeypatch.setattr(registry_module, "_default", Registry(paths=[site.root]))
    model = sk.model("toy.small", device="cpu")
    assert type(model).__name__ == "Toy" and model.variant.name == "small"
    with pytest.raises(sk.SketchmlError, match="Did you mean 'toy'"):
        sk.model("tyo")


def test_bad_family_path_is_explained():
    registry = Registry(discover=False)
    registry.add("ghost", family="no_such_pkg_xyz.mod:Ghost", modality="image")
    with pytest.raises(sk.SketchmlError, match="Could not import the 'ghost' model family"):
        registry.load("ghost")
    registry.add("notmodel", family="collections:OrderedDict", modality="image")
    with pytest.raises(sk.SketchmlError, match="not a subclass of sketchml.Model"):
        registry.load("notmodel")
    registry.add("typo", family="collections:OrderDict", modality="image")
    with pytest.raises(sk.SketchmlError, match="Did you mean one of: 'OrderedDict'"):
        registry.load("typo")


def test_a_family_added_by_hand_replaces_a_plugin_family(site, good_plugin):
    registry = Registry(paths=[site.root])
    with pytest.warns(PluginWarning, match="'toy' .*good-plugin.*replaced by mine.family:Toy"):
        registry.add("toy", family="mine.family:Toy", modality="image")
    assert registry.spec("toy")[0].family == "mine.family:Toy"
    assert [p.name for p in registry.plugins] == ["good"]


def test_verbs_and_capabilities_are_checked_as_data():
    registry = Registry(discover=False)
    spec = registry.add("gan", family="a.b:C", modality="image",
                        verbs=["sample_latent", "generate"], capabilities=["mix"])
    assert spec.verbs == ("generate", "sample_latent") and spec.capabilities == ("mix",)
    with pytest.raises(sk.SketchmlError, match="'genrate', which is not a verb.*'generate'"):
        registry.add("bad", family="a.b:C", modality="image", verbs=["genrate"])
    with pytest.raises(sk.SketchmlError, match="lists the verb 'encode'; put verbs in verbs="):
        registry.add("bad", family="a.b:C", modality="image", capabilities=["encode"])
    with pytest.raises(sk.SketchmlError, match="public methods"):
        registry.add("bad", family="a.b:C", modality="image", capabilities=["_hidden"])


def test_undeclared_verbs_are_listed_only_once_the_class_is_imported(site):
    site.package("quiet_plugin", "")
    site.module("quiet_plugin.family", FAMILY)
    registry = Registry(discover=False)
    registry.add("quiet", family="quiet_plugin.family:Toy", modality="image")
    assert registry.entries()[0].verbs == ()
    assert "quiet_plugin.family" not in sys.modules
    registry.load("quiet", device="cpu")
    assert registry.entries()[0].verbs == ("generate", "interpolate", "sample_latent")


def test_a_declaration_that_does_not_match_the_class_warns_on_load(site):
    site.package("liar_plugin", "")
    site.module("liar_plugin.family", FAMILY)
    registry = Registry(discover=False)
    registry.add("liar", family="liar_plugin.family:Toy", modality="image",
                 verbs=["generate", "encode"], capabilities=["classify"])
    with pytest.warns(PluginWarning, match=r"declares verbs=\['generate', 'encode'\].*"
                                           r"capabilities \['classify'\]"):
        registry.load("liar", device="cpu")
