"""First-party plugins import only ``sketchml`` and ``sketchml.plugin``: the plugin contract.

Third parties write against the same two modules, so anything a first-party plugin
needs from the core must be public there first.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import sketchml.plugin
from sketchml.testing import private_imports

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(path for path in ROOT.glob("plugins/*/sketchml_*")
                  if path.is_dir() and not path.name.endswith(".egg-info"))


def test_the_plugins_are_found():
    assert {"sketchml_clip", "sketchml_gan", "sketchml_text"} <= {p.name for p in PACKAGES}


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_plugin_imports_only_the_public_api(package):
    bad = private_imports(package)
    assert not bad, (f"{package.name} imports sketchml internals ({'; '.join(bad)}); import "
                     f"`sketchml` (as sk) or `sketchml.plugin` instead, adding the name to "
                     f"sketchml/plugin.py if a plugin really needs it.")


def test_the_check_catches_internal_imports():
    source = ("import sketchml as sk\nfrom sketchml.plugin import did_you_mean\n"
              "from sketchml import plugin\nfrom sketchml.models.weights import find_weights\n"
              "\nimport sketchml.training\nfrom sketchml import training\n")
    assert private_imports(source) == ["<source>:4: sketchml.models.weights",
                                       "<source>:6: sketchml.training",
                                       "<source>:7: sketchml.training"]


def test_every_name_of_the_plugin_module_resolves():
    assert sketchml.plugin.__all__ == sorted(set(sketchml.plugin.__all__))
    for name in sketchml.plugin.__all__:
        assert getattr(sketchml.plugin, name) is not None, name


def test_every_name_of_the_plugin_module_is_documented():
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    missing = [name for name in sketchml.plugin.__all__ if f"`{name}`" not in guide]
    assert not missing, f"docs/plugins.md does not document sketchml.plugin's {missing}"
