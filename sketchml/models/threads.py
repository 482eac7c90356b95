"""How many CPU threads torch uses: chosen for the machine as it is now, unless you say.

torch starts with one thread per core and keeps them all spinning while they wait for
each other. On a machine whose cores are busy with other work (a browser, a video call,
another sketch) the threads are descheduled in turn and the spinning ones waste their
slices: on two busy cores a DCGAN step took about ten times the CPU with two threads as
with one. So sketchml chooses the count itself when it loads a model
(:func:`sketchml.model`) and when a :class:`~sketchml.training.TrainingRun` starts: the
machine's physical cores, less those other processes keep busy (the one-minute load
average, less this process itself), at least 1 and at most :data:`MAX_AUTO_THREADS`.

You decide instead with, strongest first:

* ``sk.set_threads(n)`` in the sketch (``sk.set_threads(None)`` hands the choice back);
* ``torch.set_num_threads(n)`` in your program, before or after sketchml's choice:
  sketchml sees a count other than torch's own default (or than the one it set) and
  leaves it;
* the environment variable ``SKETCHML_THREADS=n``;
* ``OMP_NUM_THREADS=n``, torch's own variable.

Examples:
    >>> import sketchml as sk
    >>> sk.set_threads(1)
    >>> sk.thread_count()
    1
    >>> sk.set_threads(None)
"""
from __future__ import annotations

import os
from pathlib import Path

from sketchml.errors import SketchmlError

__all__ = ["MAX_AUTO_THREADS", "THREADS_ENV", "apply_threads", "choose_threads",
           "physical_cores", "set_threads", "thread_count"]

THREADS_ENV = "SKETCHML_THREADS"
"""The environment variable that sets the thread count (a whole number >= 1)."""

MAX_AUTO_THREADS = 4
"""The most threads the automatic choice takes: small networks gain little beyond it."""

_chosen: int | None = None   # set by set_threads()
_applied: int | None = None  # what sketchml last gave torch


def _whole(value: object, source: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if number < 1 or isinstance(value, bool):
        raise SketchmlError(f"{source} must be a whole number of threads >= 1, got {value!r}. "
                            f"Leave it out to let sketchml choose.")
    return number


def physical_cores() -> int:
    """Physical cores this process may run on (hyper-threads of one core count once).

    Examples:
        >>> from sketchml.models.threads import physical_cores
        >>> physical_cores() >= 1
        True
    """
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity masks
        return max(1, (os.cpu_count() or 2) // 2)
    cores = set()
    for cpu in cpus:
        siblings = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list")
        try:
            cores.add(siblings.read_text().strip())
        except OSError:
            cores.add(str(cpu))
    return max(1, len(cores))


def _torch_defaults() -> set[int]:
    """Counts torch may start with on this machine: its cores, logical or physical."""
    try:
        logical = len(os.sched_getaffinity(0))
    except AttributeError:
        logical = os.cpu_count() or 1
    defaults = {logical, os.cpu_count() or 1, physical_cores()}
    omp = os.environ.get("OMP_NUM_THREADS", "").strip()
    if omp.isdigit():
        defaults.add(int(omp))
    return defaults


def choose_threads(*, cores: int | None = None, load: float | None = None) -> tuple[int, str]:
    """The thread count sketchml would use now, and why, as ``(count, reason)``.

    Args:
        cores: physical cores to reckon with (default: :func:`physical_cores`).
        load: the one-minute load average to reckon with (default: the machine's now).

    Examples:
        >>> from sketchml.models.threads import choose_threads
        >>> import os
        >>> if not os.environ.get("SKETCHML_THREADS") and not os.environ.get("OMP_NUM_THREADS"):
        ...     assert choose_threads(cores=2, load=9.6)[0] == 1   # two busy cores: one thread
        ...     assert choose_threads(cores=8, load=1.0)[0] == 4   # a quiet laptop: at most 4
    """
    if _chosen is not None:
        return _chosen, "set_threads()"
    for name in (THREADS_ENV, "OMP_NUM_THREADS"):
        value = os.environ.get(name, "").strip()
        if value:
            return _whole(value, name), name
    cores = physical_cores() if cores is None else cores
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):
            load = 0.0
    # The load average counts this process too while it works.
    busy = max(0, round(load) - 1)
    count = max(1, min(cores - busy, MAX_AUTO_THREADS))
    return count, f"automatic: {cores} physical cores, load average {load:.1f}"


def apply_threads() -> int:
    """Give torch the chosen thread count (see the module's notes); returns torch's count.

    Called when a model loads and when a training run starts. A count set directly with
    ``torch.set_num_threads`` is left alone: before sketchml's first choice, one that is
    not torch's own default (a core count); after it, one other than sketchml's.

    Examples:
        >>> from sketchml.models.threads import apply_threads
        >>> apply_threads() >= 1
        True
    """
    global _applied
    import torch

    current = torch.get_num_threads()
    if _chosen is None and current != (_applied or current):
        return current
    if _chosen is None and _applied is None and current not in _torch_defaults():
        # Set by the program before sketchml chose (a script's --threads, say): its call.
        return current
    count, _ = choose_threads()
    if count != current:
        torch.set_num_threads(count)
    _applied = count
    return count


def set_threads(n: int | None) -> None:
    """Use ``n`` CPU threads for torch from now on; ``None`` lets sketchml choose again.

    A number beats ``SKETCHML_THREADS`` and ``OMP_NUM_THREADS`` and applies at once;
    ``None`` takes effect when the next model loads or training run starts.

    Examples:
        >>> import sketchml as sk
        >>> sk.set_threads(1)
        >>> sk.thread_count()
        1
        >>> sk.set_threads(None)
    """
    global _chosen, _applied
    _chosen = None if n is None else _whole(n, "set_threads(n)")
    _applied = None
    if _chosen is not None:
        apply_threads()


def thread_count() -> int:
    """The CPU threads torch uses now (after sketchml's choice or yours).

    Examples:
        >>> import sketchml as sk
        >>> sk.thread_count() >= 1
        True
    """
    import torch

    return torch.get_num_threads()
