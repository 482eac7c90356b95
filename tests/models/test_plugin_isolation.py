"""Discovery survives any plugin: hangs, exits, Ctrl-C, prints, and name collisions.

Each case is a real installed distribution (a ``*.dist-info`` folder on ``sys.path``) whose
import or registration misbehaves; the good plugin beside it must still load.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sketchml.models.registry import PluginWarning, Registry

ROOT = Path(__file__).resolve().parents[2]

REGISTER = """
import sketchml as sk

@sk.hookimpl
def sketchml_register_models(registry):
    registry.add({name!r}, family="{module}.family:Toy", modality="image",
                 verbs=["generate", "sample_latent", "interpolate"])
"""


def _install(site, dist: str, entry: str, module: str, *, family: str = "toy", before: str = "") -> None:
    site.package(module, before + REGISTER.format(name=family, module=module))
    site.distribution(dist, "1.0", {entry: module})


@pytest.fixture
def quick_timeout(monkeypatch):
    monkeypatch.setenv("SKETCHML_PLUGIN_TIMEOUT", "0.5")


@pytest.mark.parametrize("hang", [
    "import threading\nthreading.Event().wait()\n",  # waits for ever
    "import time\nend = time.monotonic() + 2\nwhile time.monotonic() < end:\n    pass\n",
])
def test_a_plugin_that_hangs_is_abandoned_and_named(site, good_plugin, quick_timeout, hang):
    dist = "busy-plugin" if "while" in hang else "slow-plugin"
    _install(site, dist, "slow", dist.replace("-", "_"), family="late", before=hang)
    registry = Registry(paths=[site.root])
    with pytest.warns(PluginWarning, match=rf"'slow' \(distribution {dist} 1.0\).*still loading after 0.5 s"):
        names = registry.names()
    assert names == ["toy.big", "toy.small"]
    slow = next(p for p in registry.plugins if p.name == "slow")
    assert slow.status == "error" and "abandoned" in slow.error
    for thread in threading.enumerate():  # the busy one ends; what it registers late is ignored
        if thread.name == "sketchml-plugin:busy-plugin":
            thread.join()
    assert registry.families() == ["toy"]


@pytest.mark.parametrize("raising", ["import sys\nsys.exit(3)\n", "raise KeyboardInterrupt\n",
                                     "raise SystemExit('bye')\n"])
def test_exits_and_interrupts_from_a_plugin_are_its_failure(site, good_plugin, raising):
    _install(site, "rude-plugin", "rude", "rude_plugin", family="rude", before=raising)
    registry = Registry(paths=[site.root])
    with pytest.warns(PluginWarning, match="'rude'.*failed to load"):
        assert registry.families() == ["toy"]
    rude = next(p for p in registry.plugins if p.name == "rude")
    assert rude.status == "error"
    assert rude.error.split(":")[0] in ("SystemExit", "KeyboardInterrupt")


def test_a_real_ctrl_c_still_stops_discovery(site, good_plugin, monkeypatch):
    monkeypatch.setenv("SKETCHML_PLUGIN_TIMEOUT", "20")
    _install(site, "stuck-plugin", "stuck", "stuck_plugin", family="late",
             before="import threading\nthreading.Event().wait()\n")
    registry = Registry(paths=[site.root])
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):  # without it, the 20 s limit would end the wait
        registry.names()
    timer.join()


def test_what_a_plugin_prints_goes_to_stderr_not_into_json(site, good_plugin):
    _install(site, "chatty-plugin", "chatty", "chatty_plugin", family="chat",
             before="print('hello from chatty at import')\n")
    (site.root / "chatty_plugin" / "__init__.py").write_text(
        (site.root / "chatty_plugin" / "__init__.py").read_text().replace(
            "    registry.add(", "    print('hello from chatty at registration')\n    registry.add("))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site.root), str(ROOT)]),
           "SKETCHML_LOAD_PLUGINS": "chatty,good"}
    done = subprocess.run([sys.executable, "-m", "sketchml.cli.main", "models", "--json"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert sorted(row["name"] for row in rows) == ["chat.default", "toy.big", "toy.small"]
    assert "hello from chatty at import" in done.stderr
    assert "hello from chatty at registration" in done.stderr
    assert sys.stdout.__class__.__name__ != "_ThreadStdout"  # in this process, stdout is back


def _winner(site, *, entries: list[tuple[str, str, str]]) -> tuple[str, str]:
    for dist, entry, module in entries:
        site.package(module, REGISTER.format(name="toy", module=module))
    for dist, entry, module in entries:
        site.distribution(dist, "1.0", {entry: module})
    registry = Registry(paths=[site.root])
    with pytest.warns(PluginWarning) as caught:
        registry.families()
    messages = [str(w.message) for w in caught if "Two plugins" in str(w.message)]
    assert len(messages) == 1
    return registry.spec("toy")[0].plugin, messages[0]


def test_a_first_party_family_wins_whatever_the_order(site):
    plugin, message = _winner(site, entries=[("aaa-toys", "a", "aaa_toys"),
                                             ("sketchml-text", "z", "fake_text")])
    assert plugin == "sketchml-text"
    assert "aaa-toys" in message and "sketchml-text" in message
    assert "SKETCHML_PREFER_PLUGINS=aaa-toys" in message


def test_the_user_can_prefer_a_third_party_family(site, monkeypatch):
    monkeypatch.setenv("SKETCHML_PREFER_PLUGINS", "zzz-toys")
    plugin, message = _winner(site, entries=[("zzz-toys", "a", "zzz_toys"),
                                             ("sketchml-text", "b", "fake_text")])
    assert plugin == "zzz-toys" and "SKETCHML_PREFER_PLUGINS names it" in message


def test_between_third_parties_the_first_distribution_name_wins(site):
    # Entry-point names sort the other way round: the distribution name decides.
    plugin, message = _winner(site, entries=[("zzz-toys", "a", "zzz_toys"),
                                             ("bbb-toys", "z", "bbb_toys")])
    assert plugin == "bbb-toys" and "sorts first" in message


def test_first_party_is_every_plugin_this_repository_ships():
    import re

    from sketchml.models.registry import FIRST_PARTY

    shipped = {re.search(r'^name\s*=\s*"([^"]+)"', path.read_text(), re.M).group(1)
               for path in (ROOT / "plugins").glob("*/pyproject.toml")}
    assert FIRST_PARTY == shipped
