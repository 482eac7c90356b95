"""Batches for a training loop: sharded across processes, shuffled per epoch, resumable mid-epoch."""
from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from sketchml.errors import SketchmlError
from sketchml.training.distributed import DistributedInfo

__all__ = ["iterate_batches", "to_device"]


class _ResumableSampler(DistributedSampler):
    """DistributedSampler that can start part-way through an epoch (for exact resuming)."""

    skip = 0

    def __iter__(self) -> Iterator[int]:
        return itertools.islice(super().__iter__(), self.skip, None)

    def __len__(self) -> int:
        return super().__len__() - self.skip


def to_device(batch: Any, device: torch.device) -> Any:
    """Move every tensor in a batch (nested tuples, lists, dicts, named tuples) to ``device``.

    Examples:
        >>> import torch
        >>> from sketchml.training.batches import to_device
        >>> to_device({"x": [torch.zeros(1)]}, torch.device("cpu"))["x"][0].device.type
        'cpu'
    """
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, Mapping):
        return type(batch)({k: to_device(v, device) for k, v in batch.items()})
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(v, device) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device) for v in batch)
    return batch


def iterate_batches(data: Any, *, start_step: int, info: DistributedInfo, seed: int,
                    device: torch.device, batch_size: int | None = None, shuffle: bool = True,
                    drop_last: bool = True, num_workers: int = 0,
                    collate_fn: Callable[[list[Any]], Any] | None = None) -> Iterator[Any]:
    """Endless batches for the steps after ``start_step``, as :meth:`TrainingRun.loop` describes.

    A map-style dataset is sharded across processes and shuffled per epoch with
    ``seed``; the epoch and position within it follow from ``start_step``, so a
    resumed run sees exactly the batches an uninterrupted one would have.

    Examples:
        >>> import torch
        >>> from torch.utils.data import TensorDataset
        >>> from sketchml.training import DistributedInfo
        >>> from sketchml.training.batches import iterate_batches
        >>> data = TensorDataset(torch.arange(8))
        >>> batches = iterate_batches(data, start_step=0, info=DistributedInfo(), seed=0,
        ...                           device=torch.device("cpu"), batch_size=4, shuffle=False)
        >>> [next(batches)[0].tolist() for _ in range(3)]
        [[0, 1, 2, 3], [4, 5, 6, 7], [0, 1, 2, 3]]
    """
    if data is None:
        yield from itertools.repeat(None)
        return
    if isinstance(data, Dataset) and not isinstance(data, torch.utils.data.IterableDataset):
        if batch_size is None:
            raise SketchmlError("run.loop(dataset) needs batch_size=..., e.g. "
                                "run.loop(dataset, batch_size=32).")
        sampler = _ResumableSampler(data, num_replicas=info.world_size,
                                    rank=info.rank, shuffle=shuffle, seed=seed)
        # The loader's own generator keeps it from drawing on the global RNG, whose
        # stream must stay identical between a resumed and an uninterrupted run.
        loader = DataLoader(data, batch_size=batch_size, sampler=sampler, drop_last=drop_last,
                            num_workers=num_workers, collate_fn=collate_fn,
                            generator=torch.Generator().manual_seed(seed),
                            pin_memory=device.type == "cuda")
        per_epoch = len(loader)
        if per_epoch == 0:
            raise SketchmlError(
                f"The dataset has {len(data)} items per process, fewer than batch_size="
                f"{batch_size}; use a smaller batch_size or more data."
            )
        epoch, offset = divmod(start_step, per_epoch)
        while True:
            sampler.set_epoch(epoch)
            sampler.skip = offset * batch_size
            yield from loader
            epoch, offset = epoch + 1, 0
    if batch_size is not None:
        raise SketchmlError("batch_size= is for datasets; a DataLoader or other iterable "
                            "brings its own batches.")
    if not isinstance(data, Iterable):
        raise SketchmlError(f"run.loop() takes a Dataset, a DataLoader or another iterable "
                            f"of batches, got {type(data).__name__}.")
    sampler = getattr(data, "sampler", None)
    if info.is_distributed and sampler is not None \
            and not isinstance(sampler, DistributedSampler):
        warnings.warn("This DataLoader has no DistributedSampler, so every process trains on "
                      "the same batches. Pass the Dataset itself to run.loop(dataset, "
                      "batch_size=...) to split it between processes.", stacklevel=3)
    for epoch in itertools.count():
        if isinstance(sampler, DistributedSampler):
            sampler.set_epoch(epoch)
        produced = False
        for batch in data:
            produced = True
            yield batch
        if not produced:
            raise SketchmlError("The data given to run.loop() produced no batches.")
