"""Settings shared by every test in the repository (core and first-party plugins)."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _torch_single_threaded():
    # The tests run tiny models, two pytest workers at a time on two cores: extra torch
    # threads only wait for each other (tiny networks ran 7-50x slower with two threads).
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
