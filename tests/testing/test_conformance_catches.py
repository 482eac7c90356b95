"""The mix-in fails families that break the contract, with messages that say what broke.

One pytest run (in a subprocess, as an author's run would be) tests a good family and
several broken variants of it; each test below reads that run's outcomes.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

GOOD = '''
import torch
import sketchml as sk
from sketchml.testing import ModelConformance


class Good(sk.Model):
    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> sk.Latent:
        return self.latent(self.randn(n, 3, seed=seed), seed=seed)

    def generate(self, latent=None, *, seed: int | None = None) -> sk.Images:
        z = self.as_latent(latent, seed=seed)
        return sk.Images(torch.sigmoid(z.tensor)[:, :, None, None].expand(-1, 3, 4, 6).contiguous(),
                         latent=z)


def registrar(verbs=("generate", "interpolate", "sample_latent")):
    @sk.hookimpl
    def sketchml_register_models(registry):
        registry.add("fam", family=f"{__name__}:Family", modality="image", verbs=verbs)
    return type("Plugin", (), {"sketchml_register_models": staticmethod(sketchml_register_models)})


class Family(Good):
    pass


class TestFamily(ModelConformance):
    plugin = registrar()
    model_name = "fam"
'''

# What the training variants share: a family that trains a real TrainingRun, listed with train.
TRAINABLE = '''
from sketchml.training import TrainingRun, TrainSettings


class Trainable(Good):
    def start(self, out, options):
        settings = TrainSettings.build(self.family, options)
        run = TrainingRun(out=out, model=torch.nn.Linear(3, 3), steps=settings.steps,
                          checkpoint_every=settings.checkpoint_every, seed=settings.seed_for(out),
                          device="cpu", progress=False)
        return settings, run


TestFamily.plugin = registrar(verbs=("generate", "interpolate", "sample_latent", "train"))
TestFamily.train_inputs = lambda self, model, out: (None, {"steps": 2})
'''

# Each broken variant replaces ``Family`` (and sometimes the plugin) in a copy of GOOD.
BROKEN = {
    "out_of_range": '''
class Family(Good):
    def generate(self, latent=None, *, seed: int | None = None) -> sk.Images:
        return super().generate(latent, seed=seed) * 2 - 0.5
''',
    "unseeded": '''
class Family(Good):
    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> sk.Latent:
        return self.latent(torch.randn(n, 3), seed=seed)
''',
    "no_metadata": '''
class Family(Good):
    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> sk.Latent:
        return sk.Latent(self.randn(n, 3, seed=seed))
''',
    "fake_encode": '''
class Family(Good):
    def encode(self, data, **options) -> sk.Latent:
        raise NotImplementedError("encoding is not finished")
''',
    "reversed_walk": '''
class Family(Good):
    def interpolate(self, a, b, *, steps: int = 10, method: str | None = None) -> sk.Latent:
        return super().interpolate(b, a, steps=steps, method=method)
''',
    "one_image": '''
class Family(Good):
    def generate(self, latent=None, *, seed: int | None = None) -> sk.Images:
        return super().generate(latent, seed=seed)[:1]
''',
    # Drift from docs/model-api.md: names, defaults, annotations, declarations.
    "old_name": '''
class Family(Good):
    def generate(self, latent=None, *, seed: int | None = None, max_length: int = 4) -> sk.Images:
        return super().generate(latent, seed=seed)
''',
    "seed_zero": '''
class Family(Good):
    def sample_latent(self, n: int = 1, *, seed: int = 0) -> sk.Latent:
        return super().sample_latent(n, seed=seed)
''',
    "no_annotation": '''
class Family(Good):
    def generate(self, latent=None, *, seed: int | None = None):
        return super().generate(latent, seed=seed)
''',
    "wrong_return": '''
class Family(Good):
    def generate(self, latent=None, *, seed: int | None = None) -> sk.Images | list[sk.Images]:
        return super().generate(latent, seed=seed)
''',
    "encode_image": '''
class Family(Good):
    def encode(self, image, *, steps: int = 3, seed: int | None = None) -> sk.Latent:
        return self.sample_latent(len(image), seed=seed)
''',
    "takes_device": '''
class Family(Good):
    def generate(self, latent=None, *, seed: int | None = None, device=None) -> sk.Images:
        return super().generate(latent, seed=seed)
''',
    "unrecorded_seed": '''
class Family(Good):
    def generate(self, latent=None, *, seed: int | None = None) -> sk.Images:
        return sk.Images(super().generate(latent, seed=seed).as_subclass(torch.Tensor))
''',
    "train_seed_zero": '''
class Family(Good):
    def train(self, data, *, out=None, seed: int = 0, progress: bool | None = None):
        return None


TestFamily.plugin = registrar(verbs=("generate", "interpolate", "sample_latent", "train"))
''',
    "train_settings_seed_zero": '''
from dataclasses import dataclass

from sketchml.training import TrainSettings, setting


@dataclass
class ZeroSeedTraining(TrainSettings):
    seed: int = setting(0, "seeds the weights")


class Family(Good):
    TrainSettings = ZeroSeedTraining

    def train(self, data, *, out=None, **options) -> "TrainingRun":
        return None


TestFamily.plugin = registrar(verbs=("generate", "interpolate", "sample_latent", "train"))
''',
    "train_ignores_should_stop": TRAINABLE + '''
class Family(Trainable):
    def train(self, data, *, out=None, **options) -> TrainingRun:
        _, run = self.start(out, options)
        for step, _ in run.loop():
            run.log(loss=1.0 / step)
        return run
''',
    "train_asks_and_goes_on": TRAINABLE + '''
class Family(Trainable):
    def train(self, data, *, out=None, **options) -> TrainingRun:
        settings, run = self.start(out, options)
        for step, _ in run.loop():
            asked = settings.should_stop is not None and settings.should_stop()
            run.log(loss=1.0 / step, asked=float(asked))  # logged, never acted on
        return run
''',
    "train_stop_unsaved": TRAINABLE + '''
class Family(Trainable):
    def train(self, data, *, out=None, **options) -> TrainingRun:
        settings, run = self.start(out, options)
        for step, _ in run.loop():
            if settings.should_stop is not None and settings.should_stop():
                break  # leaves the loop without the stop's checkpoint
            run.log(loss=1.0 / step)
        return run
''',
    "network_is_not_a_module": '''
class Family(Good):
    def load(self) -> None:
        self.network = {"weights": torch.zeros(3)}
''',
    "module_named_net": '''
class Family(Good):
    def load(self) -> None:
        self.net = torch.nn.Linear(3, 3)
''',
    "undeclared_verbs": '''
class Family(Good):
    pass


TestFamily.plugin = registrar(verbs=None)
''',
    "wrong_verbs": '''
class Family(Good):
    pass


TestFamily.plugin = registrar(verbs=["generate"])
''',
}


INSTALLED = '''
from sketchml.testing import ModelConformance


class TestFamily(ModelConformance):
    model_name = "fam"  # no plugin: found among the installed plugins, through the entry point
'''


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, tuple[str, str]]:
    """``{"variant::test_name[param]": (outcome, message)}`` from one pytest run."""
    root = tmp_path_factory.mktemp("authors")
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\naddopts = ''\n")
    (root / "test_good.py").write_text(textwrap.dedent(GOOD))
    for name, variant in BROKEN.items():
        (root / f"test_{name}.py").write_text(textwrap.dedent(GOOD) + textwrap.dedent(variant))
    # A family installed as a distribution with an entry point, tested with plugin = None.
    (root / "installed_fam.py").write_text(
        textwrap.dedent(GOOD).split("class TestFamily")[0] + "PLUGIN = registrar()\n")
    info = root / "installed_fam-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: installed-fam\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[sketchml]\nfam = installed_fam:PLUGIN\n")
    (root / "test_installed.py").write_text(textwrap.dedent(INSTALLED))
    report = root / "report.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", str(root)],
        cwd=root, capture_output=True, text=True, timeout=300,
        env={**os.environ, "SKETCHML_STRICT_PLUGINS": ""},
    )
    found = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        variant = case.get("classname").split(".")[0].removeprefix("test_")
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome, message = child.tag, (child.get("message") or "") + (child.text or "")
        found[f"{variant}::{case.get('name')}"] = (outcome, message)
    return found


@pytest.mark.parametrize("variant", ["good", "installed"])
def test_a_good_family_passes_everything(outcomes, variant):
    good = {key: value for key, value in outcomes.items() if key.startswith(f"{variant}::")}
    assert len(good) == 21
    skipped = {key.split("::")[1] for key, (outcome, _) in good.items() if outcome == "skipped"}
    # The family has no encode, train or stream of its own and inherits interpolate.
    assert skipped == {f"test_verb_follows_the_model_api[{verb}]"
                       for verb in ("encode", "interpolate", "train", "stream")} | {
                           "test_train_stops_when_should_stop_says"}, good
    assert {outcome for key, (outcome, _) in good.items()
            if key.split("::")[1] not in skipped} == {"passed"}, good


@pytest.mark.parametrize(("variant", "test", "message"), [
    ("out_of_range", "test_output_by_modality", "images must be in [0, 1]"),
    ("unseeded", "test_seeds_reproduce", "outputs differ"),
    ("unseeded", "test_sample_latent_carries_metadata", "differs for the same seed"),
    ("no_metadata", "test_sample_latent_carries_metadata", "metadata should name family 'fam'"),
    ("fake_encode", "test_verb_works_or_is_refused_clearly[encode]", "encoding is not finished"),
    ("reversed_walk", "test_interpolate_endpoints_are_the_inputs", "image outputs differ"),
    ("one_image", "test_output_by_modality", "expected N=2"),
    ("wrong_verbs", "test_listed_verbs_match_the_class", "declares verbs=['generate']"),
    ("undeclared_verbs", "test_listed_verbs_match_the_class", "does not declare"),
    ("old_name", "test_verb_follows_the_model_api[generate]", "calls it length="),
    ("seed_zero", "test_verb_follows_the_model_api[sample_latent]",
     "seed must default to None"),
    ("no_annotation", "test_verb_follows_the_model_api[generate]",
     "needs a real return annotation (-> Images)"),
    ("wrong_return", "test_verb_follows_the_model_api[generate]", "must be annotated -> Images"),
    ("encode_image", "test_verb_follows_the_model_api[encode]",
     "the first argument must be 'data', not 'image'"),
    ("encode_image", "test_verb_follows_the_model_api[encode]", "must take progress=None"),
    ("takes_device", "test_verb_follows_the_model_api[generate]", "verbs never take a device"),
    ("train_seed_zero", "test_verb_follows_the_model_api[train]",
     "train(seed=0): seed must default to None"),
    ("train_seed_zero", "test_verb_follows_the_model_api[train]",
     "needs a real return annotation (-> the type it returns), not nothing"),
    ("train_settings_seed_zero", "test_verb_follows_the_model_api[train]",
     "ZeroSeedTraining's seed=0: seed must default to None"),
    ("unrecorded_seed", "test_results_record_their_seed", "must record the one it drew"),
    ("no_metadata", "test_results_record_their_seed", "must record the one it drew"),
    ("train_ignores_should_stop", "test_train_stops_when_should_stop_says",
     "train() never called should_stop, a setting of every family"),
    ("train_asks_and_goes_on", "test_train_stops_when_should_stop_says",
     "ran to step 5 of 5 although should_stop said stop after step 1"),
    ("train_stop_unsaved", "test_train_stops_when_should_stop_says",
     "stopped at step 1 but its newest checkpoint"),
    ("network_is_not_a_module", "test_network_is_the_module", "must be the family's torch.nn.Module"),
    ("module_named_net", "test_network_is_the_module", "keeps its torch.nn.Module as model.net;"),
])
def test_a_broken_family_fails_with_a_clear_message(outcomes, variant, test, message):
    outcome, text = outcomes[f"{variant}::{test}"]
    assert outcome == "failure", f"{variant}::{test} was {outcome}"
    assert message in text
    # The same check passes on the good family, so the defect is what failed it.
    assert outcomes[f"good::{test}"][0] in ("passed", "skipped")


def test_missing_gl_skips_with_the_reason(tmp_path):
    (tmp_path / "conftest.py").write_text(textwrap.dedent('''
        from sketchml.errors import SketchmlError
        from sketchml.graphics import context

        def _no_egl():
            raise SketchmlError("no EGL display here")

        context.create_headless_context = _no_egl
    '''))
    (tmp_path / "test_draw.py").write_text(textwrap.dedent(GOOD))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         f"{tmp_path / 'test_draw.py'}::TestFamily::test_images_draw_on_a_canvas"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert "1 skipped" in result.stdout, result.stdout + result.stderr
    assert "need a headless OpenGL context and none is available: no EGL display here" in result.stdout
