"""Latents: the tensors a model turns into outputs, plus where they came from.

A :class:`Latent` holds one or more named tensors sharing a leading batch
dimension ``N`` (``"z"`` for most GANs, ``"y"`` for class vectors, ``"w"`` for
StyleGAN...) and metadata (family, variant, seed, options). It indexes and
iterates over its ``N`` items and saves to safetensors with its metadata as
JSON in the header, so a result can be re-rendered or walked later.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sketchml.errors import SketchmlError, did_you_mean
from sketchml.files import atomic_write_bytes

if TYPE_CHECKING:
    import torch

__all__ = ["Latent", "load_latent"]

_FORMAT = "sketchml.latent/1"


class Latent:
    """Named latent tensors (leading batch dimension ``N``) with their metadata.

    Args:
        tensors: one tensor (stored as ``"z"``) or a dict of tensors, each ``(N, ...)``.
        family: the family that made it.
        variant: the variant that made it.
        seed: the seed it was sampled with.
        options: the model options in force.
        **extra: more JSON-friendly metadata.

    Examples:
        >>> import torch, sketchml as sk
        >>> z = sk.Latent(torch.zeros(4, 128), family="dcgan", seed=1)
        >>> len(z), z[0].tensor.shape, z.seed
        (4, torch.Size([1, 128]), 1)
    """

    def __init__(
        self,
        tensors: torch.Tensor | Mapping[str, torch.Tensor],
        /,
        *,
        family: str | None = None,
        variant: str | None = None,
        seed: int | None = None,
        options: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        import torch

        named = dict(tensors) if isinstance(tensors, Mapping) else {"z": tensors}
        if not named:
            raise SketchmlError("A Latent needs at least one tensor, e.g. sk.Latent(torch.randn(1, 128)).")
        sizes = set()
        for key, value in named.items():
            if not isinstance(value, torch.Tensor):
                raise SketchmlError(
                    f"Latent tensor {key!r} is a {type(value).__name__}, expected a torch.Tensor."
                )
            if value.dim() == 0:
                raise SketchmlError(
                    f"Latent tensor {key!r} is a scalar; expected a leading batch dimension (N, ...)."
                )
            sizes.add(value.shape[0])
        if len(sizes) > 1:
            shapes = ", ".join(f"{k}: {tuple(v.shape)}" for k, v in named.items())
            raise SketchmlError(
                f"Latent tensors must share their first (batch) dimension, got {shapes}."
            )
        self.tensors: dict[str, torch.Tensor] = named
        self.metadata: dict[str, Any] = {
            "family": family, "variant": variant, "seed": seed, "options": dict(options or {}), **extra,
        }

    @property
    def family(self) -> str | None:
        """The family that made this latent."""
        return self.metadata["family"]

    @property
    def variant(self) -> str | None:
        """The variant that made this latent."""
        return self.metadata["variant"]

    @property
    def seed(self) -> int | None:
        """The seed it was sampled with (``None`` for walks and encodings)."""
        return self.metadata["seed"]

    @property
    def options(self) -> dict[str, Any]:
        """The model options in force when it was made."""
        return self.metadata["options"]

    @property
    def tensor(self) -> torch.Tensor:
        """The main tensor: ``"z"`` if there is one, else the first."""
        return self.tensors.get("z", next(iter(self.tensors.values())))

    @property
    def device(self) -> torch.device:
        """The device of the main tensor."""
        return self.tensor.device

    def __len__(self) -> int:
        return int(self.tensor.shape[0])

    def __getitem__(self, index: int | slice | str | Any) -> Any:
        """``latent[i]`` / ``latent[a:b]``: a Latent of those items; ``latent["y"]``: a tensor."""
        if isinstance(index, str):
            if index not in self.tensors:
                raise SketchmlError(
                    f"This latent has no tensor {index!r}.{did_you_mean(index, self.tensors)} "
                    f"It has: {', '.join(self.tensors)}."
                )
            return self.tensors[index]
        if isinstance(index, int):
            if not -len(self) <= index < len(self):
                raise IndexError(f"latent index {index} is out of range for {len(self)} items")
            index = slice(index, index + 1 if index != -1 else None)
        return self._with({key: value[index] for key, value in self.tensors.items()})

    def __iter__(self) -> Iterator[Latent]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}={tuple(v.shape)}" for k, v in self.tensors.items())
        return f"Latent({shapes}, family={self.family!r}, variant={self.variant!r}, seed={self.seed!r})"

    def _with(self, tensors: dict[str, torch.Tensor], **changes: Any) -> Latent:
        meta = {**self.metadata, **changes}
        return Latent(tensors, **meta)

    def to(self, device: Any) -> Latent:
        """The same latent with every tensor on ``device``."""
        return self._with({key: value.to(device) for key, value in self.tensors.items()})

    @classmethod
    def cat(cls, latents: list[Latent]) -> Latent:
        """One latent holding the items of several (metadata of the first).

        Examples:
            >>> import torch, sketchml as sk
            >>> len(sk.Latent.cat([sk.Latent(torch.zeros(2, 3)), sk.Latent(torch.ones(1, 3))]))
            3
        """
        import torch

        if not latents:
            raise SketchmlError("Latent.cat() needs at least one latent.")
        keys = list(latents[0].tensors)
        for other in latents[1:]:
            if list(other.tensors) != keys:
                raise SketchmlError(
                    f"Cannot join latents with different tensors: {keys} and {list(other.tensors)}."
                )
        joined = {key: torch.cat([lat.tensors[key] for lat in latents]) for key in keys}
        return latents[0]._with(joined)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write a ``.safetensors`` file (atomically); read it back with ``sk.load_latent``.

        Examples:
            >>> import tempfile, torch, sketchml as sk
            >>> path = sk.Latent(torch.ones(2, 8), seed=3).save(tempfile.mkdtemp() + "/z.safetensors")
            >>> sk.load_latent(path).seed
            3
        """
        from safetensors.torch import save

        try:
            header = json.dumps(self.metadata)
        except TypeError as err:
            raise SketchmlError(
                f"Latent metadata must be JSON-friendly to be saved (numbers, strings, lists, "
                f"dicts): {err}."
            ) from err
        tensors = {key: value.detach().cpu().contiguous() for key, value in self.tensors.items()}
        data = save(tensors, metadata={"format": _FORMAT, "sketchml": header})
        return atomic_write_bytes(path, data)


def load_latent(path: str | os.PathLike[str], *, device: Any = None) -> Latent:
    """Read a latent written by :meth:`Latent.save` (tensors and metadata).

    Examples:
        >>> import tempfile, torch, sketchml as sk
        >>> path = sk.Latent({"z": torch.zeros(1, 4)}, family="dcgan").save(
        ...     tempfile.mkdtemp() + "/z.safetensors")
        >>> sk.load_latent(path).family
        'dcgan'
    """
    from sketchml.models.weights import read_safetensors

    file = Path(path)
    if not file.is_file():
        raise SketchmlError(f"No latent file at {str(file)!r}; save one with latent.save(path).")
    try:
        tensors, header = read_safetensors(file)
    except SketchmlError as err:
        raise SketchmlError(
            f"{str(file)!r} is not a readable safetensors file ({err.__cause__}); latents are "
            "saved with latent.save(path)."
        ) from err
    if header.get("format") != _FORMAT:
        raise SketchmlError(
            f"{str(file)!r} is a safetensors file but not a sketchml latent (no "
            f"'format: {_FORMAT}' in its header); load weights with sketchml.models.weights."
        )
    latent = Latent(tensors, **_metadata(file, header.get("sketchml", "{}")))
    return latent.to(device) if device is not None else latent


def _metadata(file: Path, text: str) -> dict[str, Any]:
    """The metadata a latent file records, checked: it comes from a file anyone may craft."""
    problem = f"{str(file)!r} has latent metadata sketchml cannot use"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise SketchmlError(f"{problem} (not JSON: {err}). Save latents with latent.save(path).") from None
    if not isinstance(data, dict):
        raise SketchmlError(f"{problem} (a {type(data).__name__}, not a JSON object).")
    for key in ("family", "variant"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise SketchmlError(f"{problem}: its {key} is {data[key]!r}, not a name.")
    if data.get("seed") is not None and (isinstance(data["seed"], bool) or not isinstance(data["seed"], int)):
        raise SketchmlError(f"{problem}: its seed is {data['seed']!r}, not a whole number.")
    if not isinstance(data.get("options") or {}, dict):
        raise SketchmlError(f"{problem}: its options are {data['options']!r}, not a JSON object.")
    return data
