"""`sketchml models` / `sketchml plugins`, the plugin guide covering every hook, a light import."""
from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sketchml.cli.main import main
from sketchml.models import hookspecs
from sketchml.models import registry as registry_module
from sketchml.models.registry import Registry

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_default(site, monkeypatch):
    """The commands' registry, discovering only what the test installed."""
    monkeypatch.setattr(registry_module, "_default", Registry(paths=[site.root]))


def test_models_json(good_plugin, fresh_default, capsys):
    assert main(["models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in rows] == ["toy.big", "toy.small"]
    assert rows[0] == {
        "name": "toy.big", "family": "good_plugin.family:Toy", "modality": "image",
        "verbs": ["generate", "interpolate", "sample_latent"], "weights_available": True,
        "default": True, "plugin": "good-plugin", "description": "",
        "capabilities": ["describe"],
    }


def test_models_table_and_filter(good_plugin, fresh_default, capsys):
    assert main(["models", "toy.s*"]) == 0
    out = capsys.readouterr().out
    assert "toy.small" in out and "toy.big" not in out and "generate,interpolate" in out
    assert "describe" in out
    assert main(["models", "nothing*"]) == 0
    assert "No models matching 'nothing*'" in capsys.readouterr().out


def test_plugins_lists_status_and_errors(good_plugin, broken_plugin, fresh_default, capsys):
    assert main(["plugins"]) == 1  # a failed plugin makes the command fail, for CI
    out = capsys.readouterr().out
    assert re.search(r"good\s+good-plugin\s+1\.2\.3\s+ok\s+toy", out)
    assert re.search(r"broken\s+broken-plugin\s+0\.1\s+error", out)
    assert "ImportError: no module named torchvisionx" in out
    assert main(["plugins", "--json"]) == 1
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["broken"]["status"] == "error" and rows["good"]["models"] == ["toy"]


def test_every_hook_has_a_section_in_the_plugin_guide():
    guide = (ROOT / "docs" / "plugins.md").read_text()
    headings = set(re.findall(r"^#+\s+`?(\w+)`?", guide, flags=re.M))
    hooks = [name for name, value in vars(hookspecs).items()
             if name.startswith("sketchml_") and inspect.isfunction(value)]
    assert hooks
    for hook in hooks:
        assert hook in headings, f"docs/plugins.md has no section for the hook {hook}"
        assert inspect.getdoc(getattr(hookspecs, hook)), hook
        assert "Examples:" in inspect.getdoc(getattr(hookspecs, hook))


def test_all_is_sorted_and_importing_stays_light():
    import sketchml.models as models_package

    assert models_package.__all__ == sorted(models_package.__all__)
    # `sketchml.models` is the package and the sk.models() function at once: both must work
    code = ("import sys, sketchml as sk; import sketchml.models.weights as w; "
            "assert 'torch' not in sys.modules, 'torch imported'; "
            "assert callable(sk.models) and sk.models is sys.modules['sketchml.models']; "
            "assert w.load_weights is sk.load_weights")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
