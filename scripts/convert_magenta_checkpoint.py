"""Convert one of Magenta's published checkpoints into a .safetensors file sketchml loads (no TensorFlow).

Reads, with numpy only (``sketchml_music.magenta_io``):

* Performance RNN generator bundles (``.mag``, e.g. ``performance_with_dynamics.mag``);
* MusicVAE TensorFlow checkpoints (``cat-mel_2bar_small.tar``, ``hierdec-trio_16bar.tar``,
  ``hier-multiperf_vel_1bar_med_chords.tar``, a ``.ckpt`` prefix, or the folder holding one)
  and magenta.js checkpoint folders (``weights_manifest.json``, e.g. ``multitrack_chords``);

and writes the family's own safetensors layout (the variable mapping is in the family's
module docstring)::

    python scripts/convert_magenta_checkpoint.py performance_with_dynamics.mag --out piano.safetensors
    python scripts/convert_magenta_checkpoint.py cat-mel_2bar_big.tar --out melodies.safetensors
    python -c "import sketchml as sk; sk.model('musicvae', weights='melodies.safetensors')"

``sk.model(FAMILY, weights=CHECKPOINT)`` does the same conversion by itself, once, into
sketchml's cache; this script is for keeping the converted file somewhere of your choosing.
The family is guessed (``.mag`` = Performance RNN, anything else = MusicVAE) unless
``--family`` says; a Performance RNN TensorFlow checkpoint outside a bundle needs
``--config`` (its Magenta config name).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from safetensors.torch import save

import sketchml as sk
from sketchml.plugin import atomic_write_bytes

FAMILIES = ("performance_rnn", "musicvae")


def convert(checkpoint: Path, *, family: str | None = None, config: str | None = None
            ) -> tuple[str, dict, dict]:
    """``(family, state dict, metadata)`` converted from a Magenta checkpoint."""
    family = family or ("performance_rnn" if checkpoint.suffix == ".mag" or config else "musicvae")
    if family == "performance_rnn":
        from sketchml_music.performance_rnn import convert_magenta_file

        return (family, *convert_magenta_file(checkpoint, config))
    if config is not None:
        raise sk.SketchmlError("--config names a Performance RNN config; a MusicVAE checkpoint "
                               "needs none (its sizes come from the checkpoint).")
    from sketchml_music.musicvae_magenta import convert_magenta_file

    return (family, *convert_magenta_file(checkpoint))


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path,
                        help=".mag bundle, .tar, ckpt prefix or folder, or magenta.js folder")
    parser.add_argument("--out", type=Path, required=True, help="the .safetensors file to write")
    parser.add_argument("--family", choices=FAMILIES,
                        help="which sketchml family the weights are for (default: guessed)")
    parser.add_argument("--config", help="Performance RNN only: the Magenta config of a "
                                         "checkpoint that is not in a .mag bundle")
    args = parser.parse_args(argv)
    family, state, meta = convert(args.checkpoint, family=args.family, config=args.config)
    atomic_write_bytes(args.out, save({k: v.contiguous() for k, v in state.items()},
                                      metadata={**meta, "converted_from": str(args.checkpoint)}))
    print(f"wrote {args.out}: {family}, {sum(v.numel() for v in state.values()):,} numbers in "
          f"{len(state)} tensors; load it with sk.model({family!r}, weights={str(args.out)!r})")
    return args.out


if __name__ == "__main__":
    main()
