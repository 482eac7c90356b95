"""A plugin that installs a signal handler at import works, though discovery imports it in a thread.

Only the main thread may call ``signal.signal()``; the calls a plugin makes while it loads
are made by the discovering thread once its import has finished (sketchml.models.plugin_signals).
"""
from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from sketchml.models.registry import PluginWarning, Registry

REGISTER = """
import sketchml as sk

@sk.hookimpl
def sketchml_register_models(registry):
    registry.add({name!r}, family="{module}.family:Toy", modality="image", verbs=["generate"])
"""

HANDLER = """
import signal
from signal import signal as set_handler

received = []

def on_usr1(signum, frame):
    received.append(signum)

replaced = set_handler(signal.SIGUSR1, on_usr1)
seen_at_import = signal.getsignal(signal.SIGUSR1)
"""


@pytest.fixture
def usr1():
    """SIGUSR1's handler is put back after the test."""
    before = signal.getsignal(signal.SIGUSR1)
    yield
    signal.signal(signal.SIGUSR1, before)


def _install(site, dist: str, module: str, family: str, before: str) -> None:
    site.package(module, before + REGISTER.format(name=family, module=module))
    site.distribution(dist, "1.0", {family: module})


def test_a_plugin_that_installs_a_signal_handler_at_import_loads_and_its_handler_works(
        site, good_plugin, usr1):
    original = signal.signal
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    _install(site, "tidy-plugin", "tidy_plugin", "tidy", HANDLER)
    registry = Registry(paths=[site.root])
    assert registry.families() == ["tidy", "toy"]
    tidy = next(p for p in registry.plugins if p.name == "tidy")
    assert tidy.status == "ok", tidy.error
    plugin = sys.modules["tidy_plugin"]
    assert plugin.replaced is signal.SIG_IGN            # what signal.signal() returns, as usual
    assert plugin.seen_at_import is plugin.on_usr1     # its own handler, seen from its import
    assert signal.getsignal(signal.SIGUSR1) is plugin.on_usr1
    assert signal.signal is original                   # discovery put signal.signal back
    os.kill(os.getpid(), signal.SIGUSR1)
    deadline = time.monotonic() + 5
    while not plugin.received and time.monotonic() < deadline:
        time.sleep(0.01)
    assert plugin.received == [signal.SIGUSR1]


def test_a_plugin_that_fails_after_installing_a_handler_installs_nothing(site, good_plugin, usr1):
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    _install(site, "half-plugin", "half_plugin", "half", HANDLER + "raise ImportError('later')\n")
    registry = Registry(paths=[site.root])
    with pytest.warns(PluginWarning, match="'half'.*failed to load.*ImportError: later"):
        assert registry.families() == ["toy"]
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_IGN


def test_a_handler_no_thread_may_install_is_the_plugins_failure(site, good_plugin):
    _install(site, "greedy-plugin", "greedy_plugin", "greedy",
             "import signal\nsignal.signal(signal.SIGKILL, lambda *a: None)\n")
    registry = Registry(paths=[site.root])
    with pytest.warns(PluginWarning, match="'greedy'.*failed to load.*OSError"):
        assert registry.families() == ["toy"]
    assert signal.getsignal(signal.SIGKILL) is signal.SIG_DFL
