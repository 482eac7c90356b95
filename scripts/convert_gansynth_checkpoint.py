"""Convert a Magenta GANSynth checkpoint (TensorFlow) into a file sketchml loads without TensorFlow.

Magenta published GANSynth checkpoints such as ``acoustic_only`` and ``all_instruments``:
a folder with ``model.ckpt-N.index`` / ``.data-*`` and ``assets/specgrams_simple_normalizer.npz``.
This script reads the generator's variables without TensorFlow (the checkpoint reader of
``sketchml_music.tf_checkpoint``), renames and transposes them as the table in
``sketchml_music.gansynth``'s docstring says (:func:`sketchml_music.gansynth.convert_magenta`),
adds the data normaliser, and writes one ``.safetensors`` file:

    python scripts/convert_gansynth_checkpoint.py all_instruments/ --out all_instruments.safetensors
    python -c "import sketchml as sk; sk.model('gansynth', weights='all_instruments.safetensors')"

Pass ``--normalizer M_A M_B P_A P_B`` when the checkpoint's folder has no normaliser file
(Magenta's prespecified normaliser keeps those four numbers in the experiment's settings).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from safetensors.torch import save_file

from sketchml.files import atomic_path
from sketchml_music.gansynth import convert_magenta


def read_checkpoint(path: Path) -> dict[str, np.ndarray]:
    """Every variable of a TensorFlow checkpoint (a folder, or a ``model.ckpt-N`` prefix)."""
    from sketchml_music.tf_checkpoint import read_checkpoint as read

    if path.is_dir() and len(list(path.glob("*.index"))) > 1:
        # A training folder keeps several steps; the newest is the one to convert.
        newest = max(path.glob("*.index"), key=lambda p: int(p.stem.rpartition("-")[2] or 0)
                     if p.stem.rpartition("-")[2].isdigit() else -1)
        path = newest.with_suffix("")
    return read(path)


def find_normalizer(path: Path) -> list[float]:
    folder = path if path.is_dir() else path.parent
    file = folder / "assets" / "specgrams_simple_normalizer.npz"
    if not file.is_file():
        sys.exit(f"No {file}: pass --normalizer M_A M_B P_A P_B (the magnitude and frequency "
                 f"scales and offsets the checkpoint was trained with).")
    with np.load(file) as stored:
        return [float(v) for v in stored["normalizer"]]


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path, help="checkpoint folder or model.ckpt-N prefix")
    parser.add_argument("--out", type=Path, required=True, help="the .safetensors file to write")
    parser.add_argument("--normalizer", type=float, nargs=4, metavar=("M_A", "M_B", "P_A", "P_B"))
    args = parser.parse_args(argv)
    normalizer = args.normalizer or find_normalizer(args.checkpoint)
    state = convert_magenta(read_checkpoint(args.checkpoint), normalizer)
    with atomic_path(args.out) as target:
        save_file(state, str(target))
    print(f"wrote {args.out}: {sum(v.numel() for v in state.values()):,} numbers in "
          f"{len(state)} tensors")
    return args.out


if __name__ == "__main__":
    main()
