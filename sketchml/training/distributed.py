"""The same training script on one process or many: ``torchrun`` (DDP) detection and helpers.

``torchrun --nproc_per_node=N train.py`` starts N copies of a script with
``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` set. :func:`init_distributed` reads
them, joins the process group (``nccl`` on CUDA, ``gloo`` on CPU) and pins each
process to its GPU. Without those variables everything here is a no-op, so a
training loop needs no ``if distributed:`` branches of its own.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from sketchml.errors import SketchmlError

__all__ = ["DistributedInfo", "all_agree", "barrier", "distributed_info", "init_distributed",
           "wrap_ddp"]


@dataclass(frozen=True)
class DistributedInfo:
    """Where this process sits in a (possibly one-process) training job.

    Examples:
        >>> from sketchml.training import DistributedInfo
        >>> DistributedInfo().is_main
        True
    """

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def is_distributed(self) -> bool:
        """True when more than one process trains together."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """True on the one process (rank 0) that writes checkpoints, logs and plots."""
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SketchmlError(
            f"Environment variable {name}={raw!r} is not a whole number. torchrun sets it; "
            f"unset it to train on one process."
        ) from exc


def distributed_info() -> DistributedInfo:
    """Read ``RANK``/``LOCAL_RANK``/``WORLD_SIZE`` as ``torchrun`` sets them.

    Examples:
        >>> from sketchml.training import distributed_info
        >>> distributed_info().world_size >= 1
        True
    """
    world_size = _env_int("WORLD_SIZE", 1)
    rank = _env_int("RANK", 0)
    local_rank = _env_int("LOCAL_RANK", rank)
    if world_size < 1 or not 0 <= rank < world_size:
        raise SketchmlError(
            f"RANK={rank} and WORLD_SIZE={world_size} do not describe a valid job: expected "
            f"0 <= RANK < WORLD_SIZE. Launch with torchrun, or unset both to use one process."
        )
    return DistributedInfo(rank=rank, local_rank=local_rank, world_size=world_size)


def init_distributed(*, backend: str | None = None) -> tuple[DistributedInfo, bool]:
    """Join the process group when launched by ``torchrun``; return (info, whether we joined it now).

    ``backend`` defaults to ``nccl`` when CUDA is available and ``gloo`` otherwise.
    A group that is already initialised is reused.

    Examples:
        >>> from sketchml.training import init_distributed
        >>> info, joined = init_distributed()   # one process: nothing to join
        >>> info.world_size, joined
        (1, False)
    """
    info = distributed_info()
    if not info.is_distributed:
        return info, False
    if dist.is_initialized():
        return info, False
    if backend is None:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        if info.local_rank >= torch.cuda.device_count():
            raise SketchmlError(
                f"Process {info.rank} would use GPU {info.local_rank}, but this machine has "
                f"{torch.cuda.device_count()}. Start at most one process per GPU "
                f"(torchrun --nproc_per_node={torch.cuda.device_count()}), or train on the CPU "
                f"with device='cpu'."
            )
        torch.cuda.set_device(info.local_rank)
    dist.init_process_group(backend=backend)
    return info, True


def wrap_ddp(module: torch.nn.Module, device: torch.device, **ddp_options: Any) -> torch.nn.Module:
    """Wrap ``module`` in ``DistributedDataParallel`` when a process group is running.

    Modules with no trainable parameters (an EMA copy, a frozen feature network)
    are returned unwrapped: DDP has nothing to synchronise for them.

    Examples:
        >>> import torch
        >>> from sketchml.training import wrap_ddp
        >>> net = torch.nn.Linear(2, 2)
        >>> wrap_ddp(net, torch.device("cpu")) is net   # no process group: unchanged
        True
    """
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return module
    if not any(p.requires_grad for p in module.parameters()):
        return module
    device_ids = [device.index if device.index is not None else torch.cuda.current_device()] \
        if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(module, device_ids=device_ids, **ddp_options)


def barrier() -> None:
    """Wait for every process (a no-op on one process).

    Examples:
        >>> from sketchml.training import barrier
        >>> barrier()
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def all_agree(flag: bool, device: torch.device) -> bool:
    """True on every process if ``flag`` is true on any of them (e.g. "Ctrl-C was pressed").

    Examples:
        >>> import torch
        >>> from sketchml.training import all_agree
        >>> all_agree(True, torch.device("cpu"))
        True
    """
    if not (dist.is_available() and dist.is_initialized()):
        return flag
    value = torch.tensor([1 if flag else 0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())
