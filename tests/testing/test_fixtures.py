"""The fixtures of the sketchml pytest plugin, and that loading the plugin costs nothing."""
from __future__ import annotations

import subprocess
import sys
import types

import pytest

import sketchml as sk
from sketchml.models import registry as registry_module


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    """A distribution 'elsewhere' installed on sys.path, registering the family 'stray'."""
    (tmp_path / "elsewhere_plugin.py").write_text(
        "import sketchml as sk\n\n"
        "@sk.hookimpl\n"
        "def sketchml_register_models(registry):\n"
        "    registry.add('stray', family='elsewhere_plugin:Stray', modality='image')\n"
    )
    info = tmp_path / "elsewhere-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: elsewhere\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[sketchml]\nstray = elsewhere_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    sys.modules.pop("elsewhere_plugin", None)


class Dots(sk.Model):
    def sample_latent(self, n=1, *, seed=None):
        return self.latent(self.randn(n, 3, seed=seed), seed=seed)

    def generate(self, latent=None, *, seed=None):
        z = self.as_latent(latent, seed=seed).tensor
        return sk.Images(z.sigmoid()[:, :, None, None].expand(-1, 3, 2, 2))


@sk.hookimpl
def _register_dots(registry):
    registry.add("dots", family=f"{__name__}:Dots", modality="image")


DOTS = types.SimpleNamespace(sketchml_register_models=_register_dots)


def test_registry_fixture_does_not_scan_the_environment(installed_plugin, sketchml_registry):
    assert "stray" in sk.Registry().families()  # discovery would find it...
    assert sketchml_registry.families() == []  # ...the fixture's registry does not
    assert sk.models() == []


def test_registered_plugins_are_what_sk_model_sees(sketchml_registry):
    info = sketchml_registry.register(DOTS, name="dots-plugin")
    assert info.status == "ok" and info.models == ("dots",)
    assert [entry.name for entry in sk.models()] == ["dots.default"]
    model = sk.model("dots", device="cpu")
    assert isinstance(model, Dots) and model.generate(seed=1).shape == (1, 3, 2, 2)


def test_registry_fixture_is_strict(sketchml_registry):
    @sk.hookimpl
    def sketchml_register_models(registry):
        registry.add("bad name", family="x.y:Z", modality="image")

    broken = types.SimpleNamespace(sketchml_register_models=sketchml_register_models)
    with pytest.raises(sk.PluginError, match="failed to load") as caught:
        sketchml_registry.register(broken, name="broken")
    assert "'bad name' is not valid" in str(caught.value.__cause__)


def test_each_test_gets_its_own_registry(sketchml_registry):
    assert registry_module.default_registry() is sketchml_registry
    assert sketchml_registry.families() == []  # nothing left over from the tests above


def test_canvas_fixture_draws_headless(sketchml_canvas):
    canvas = sketchml_canvas
    assert (canvas.width, canvas.height) == (64, 64)
    pixels = canvas._read_pixels()
    assert (pixels[..., :3] == 0).all() and (pixels[..., 3] == 255).all()
    canvas.no_stroke()
    canvas.fill(255, 0, 0)
    canvas.rect(0, 0, 32, 64)
    pixels = canvas._read_pixels()
    assert pixels[10, 10].tolist() == [255, 0, 0, 255]
    assert pixels[10, 50].tolist() == [0, 0, 0, 255]


def test_gl_fixture_is_the_shared_context(sketchml_gl):
    from sketchml.graphics.context import create_headless_context

    assert sketchml_gl is create_headless_context()
    assert sketchml_gl.version_code >= 330


def test_loading_the_plugin_is_light():
    code = (
        "import sys, sketchml.testing, sketchml.testing.plugin\n"
        "heavy = sorted({'torch', 'moderngl', 'sketchml.testing.conformance'} & set(sys.modules))\n"
        "print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_mix_in_is_not_collected_on_its_own():
    from sketchml.testing import ModelConformance

    # pytest collects classes named Test*: the mix-in runs only through a subclass.
    assert not ModelConformance.__name__.startswith("Test")
    with pytest.raises(sk.SketchmlError, match="set model_name = 'family'"):
        ModelConformance.make_model()
