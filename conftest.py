"""Settings shared by every test in the repository (core and first-party plugins)."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _torch_single_threaded():
    # The tests run tiny models, two pytest workers at a time on two cores: extra torch
    # threads only wait for each other (tiny networks ran 7-50x slower with two threads).
    # SKETCHML_THREADS keeps sketchml's own choice, made when a model loads or a training
    # run starts (sketchml.models.threads), at one too, here and in subprocesses.
    old = os.environ.get("SKETCHML_THREADS")
    os.environ["SKETCHML_THREADS"] = "1"
    try:
        import torch
    except ImportError:
        yield
    else:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        yield
        torch.set_num_threads(before)
    if old is None:
        os.environ.pop("SKETCHML_THREADS", None)
    else:
        os.environ["SKETCHML_THREADS"] = old
