"""Helpers for the model-layer tests: clean plugin environment, fake installed distributions."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

ENV = ("SKETCHML_STRICT_PLUGINS", "SKETCHML_LOAD_PLUGINS", "SKETCHML_DISABLE_PLUGINS",
       "HF_HOME", "HF_HUB_CACHE")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No plugin selection from the caller's shell, private caches, never the network."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SKETCHML_HOME", str(tmp_path / "sketchml-home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-hub"))
    monkeypatch.setenv("SKETCHML_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


class Site:
    """A folder on ``sys.path`` where tests install modules and ``*.dist-info`` folders."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: list[str] = []

    def module(self, dotted: str, source: str) -> None:
        """Write ``dotted`` (``pkg.mod``) as a module file, creating packages on the way."""
        parts = dotted.split(".")
        folder = self.root
        for part in parts[:-1]:
            folder = folder / part
            folder.mkdir(exist_ok=True)
            (folder / "__init__.py").touch()
        target = folder / f"{parts[-1]}.py"
        if (self.root.joinpath(*parts)).is_dir():
            target = self.root.joinpath(*parts) / "__init__.py"
        target.write_text(textwrap.dedent(source))
        self.modules.append(parts[0])

    def package(self, name: str, source: str) -> None:
        """Write a package ``name`` with ``source`` as its ``__init__.py``."""
        folder = self.root / name
        folder.mkdir(exist_ok=True)
        (folder / "__init__.py").write_text(textwrap.dedent(source))
        self.modules.append(name)

    def distribution(self, name: str, version: str, entry_points: dict[str, str]) -> None:
        """An installed distribution with entry points in the ``sketchml`` group."""
        info = self.root / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        lines = "\n".join(f"{key} = {value}" for key, value in entry_points.items())
        (info / "entry_points.txt").write_text(f"[sketchml]\n{lines}\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A fresh import root on ``sys.path``; the modules written there are unloaded afterwards."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    result = Site(root)
    yield result
    for name in list(sys.modules):
        if name.split(".")[0] in result.modules:
            del sys.modules[name]


FAMILY = """
import sketchml as sk

class Toy(sk.Model):
    def sample_latent(self, n=1, *, seed=None):
        return self.latent(self.randn(n, 4, seed=seed), seed=seed)

    def generate(self, latent=None, *, seed=None):
        z = self.as_latent(latent, seed=seed).tensor
        return sk.Images(z.sigmoid()[:, :3, None, None].expand(-1, 3, 2, 2))

    def describe(self):
        return "a toy"
"""

GOOD = """
import sketchml as sk

@sk.hookimpl
def sketchml_register_models(registry):
    registry.add("toy", family="good_plugin.family:Toy", modality="image",
                 variants={"small": {}, "big": {"default": True, "options": {}}},
                 verbs=["generate", "sample_latent", "interpolate"], capabilities=["describe"])
"""


@pytest.fixture
def good_plugin(site):
    """An installed distribution good-plugin 1.2.3 whose entry point registers the toy family."""
    site.package("good_plugin", GOOD)
    site.module("good_plugin.family", FAMILY)
    site.distribution("good-plugin", "1.2.3", {"good": "good_plugin"})


@pytest.fixture
def broken_plugin(site):
    """An installed distribution broken-plugin 0.1 whose module fails to import."""
    site.package("broken_plugin", "raise ImportError('no module named torchvisionx')\n")
    site.distribution("broken-plugin", "0.1", {"broken": "broken_plugin"})
