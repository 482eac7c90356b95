"""Competing load for benchmarks: CPU-bound processes that share the cores with the one measured.

A laptop with a browser and a video call open is a busy machine; torch's speed there is what
users see. ``with competing(2):`` starts two Python processes that spin until the block ends,
so a benchmark can print each figure quiet and busy side by side.

Examples:
    >>> from competing import competing
    >>> with competing(2) as procs:
    ...     len(procs)
    2
"""
from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator

SPIN = "import os\nos.environ['OMP_NUM_THREADS'] = '1'\nwhile True:\n    pass\n"


@contextlib.contextmanager
def competing(n: int) -> Iterator[list[subprocess.Popen]]:
    """Run ``n`` busy-looping processes for the duration of the block (0: none)."""
    procs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(n)]
    try:
        time.sleep(0.5 if n else 0)  # let them get going
        yield procs
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait()
