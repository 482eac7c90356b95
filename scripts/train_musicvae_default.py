"""Train the embedded default MusicVAE (``musicvae.default``, 2-bar melodies) on music21's Bach corpus.

The melodies are every voice (soprano, alto, tenor, bass) of the Bach works bundled with
music21, read by ``sketchml_music.corpus`` and cut into 2-bar windows half a bar apart
(windows with fewer than four notes are left out). Pieces are split by name as for
Performance RNN (about one in ten held out), so held-out melodies come from works the model
never saw in any voice. The run is a plain ``sketchml_music.musicvae.train_musicvae`` into
``--run`` (resumable), with transposition by up to 3 semitones, then the weights are copied
into the plugin package with a JSON record of how well they do on the held-out windows:

* ``reconstruction_accuracy``: the share of sixteenth steps that come back right after
  encoding to ``mu`` and decoding greedily, against ``hold_baseline`` (every step "hold",
  the commonest class) and ``swapped_baseline`` (decoding another held-out melody's latent);
* ``interpolation``: for pairs of held-out melodies, the accuracy against the first and
  the last melody of the decodes along a 7-point slerp of their means.

Usage (one CPU thread; the shipped weights took about half an hour on a busy two-core machine,
in three sittings of 800, 2000 and 3500 steps, the run resuming each time)::

    python scripts/train_musicvae_default.py
    python scripts/train_musicvae_default.py --steps 20 --run /tmp/try --weights /tmp/w
"""
from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "plugins" / "music" / "sketchml_music" / "weights"
NAME = "musicvae-default"

# cat-mel_2bar_small (z 256, encoder 512 bidirectional, decoder 2 x 256, max_beta 0.2) at a
# size that trains on one CPU core in minutes. beta rises faster than Magenta's 0.99999 per
# step, which would leave the KL term off for the whole of a short run.
RECIPE = {"config": "cat-mel_2bar_small", "z": 64, "encoder": 192, "decoder": 256, "layers": 1,
          "batch_size": 64, "lr": 0.002, "max_beta": 0.2, "beta_rate": 0.995, "free_bits": 16.0,
          "transpose": 3, "seed": 0}
PAIRS = 16


def measure(model, held: list[list[int]]) -> dict:
    """The held-out figures of the record (see the module docstring)."""
    import torch

    from sketchml_music.musicvae import HOLD, reconstruction_accuracy

    net = model.network
    targets = torch.tensor(held)
    swapped = torch.roll(targets, 1, dims=0)
    with torch.no_grad():
        from sketchml_music.musicvae import _decode

        mu, _ = net.encode(swapped)
        other = _decode(net, mu, temperature=None, generator=None)
    walks = []
    half = len(held) // 2  # pairs from far apart in the list: different pieces
    for i in range(PAIRS):
        a, b = held[i * half // PAIRS], held[half + i * half // PAIRS]
        walk = model.interpolate(model.latent({"z": net.encode(torch.tensor([a]))[0]}),
                                 model.latent({"z": net.encode(torch.tensor([b]))[0]}), steps=7)
        with torch.no_grad():
            decoded = _decode(net, walk.tensors["z"], temperature=None, generator=None)
        walks.append([[float((row == torch.tensor(a)).float().mean()) for row in decoded],
                      [float((row == torch.tensor(b)).float().mean()) for row in decoded]])
    mean_walk = torch.tensor(walks).mean(0)
    return {
        "held_out_windows": len(held),
        "reconstruction_accuracy": round(reconstruction_accuracy(net, held), 4),
        "hold_baseline": round(float((targets == HOLD).float().mean()), 4),
        "swapped_baseline": round(float((other == targets).float().mean()), 4),
        "interpolation": {"pairs": PAIRS,
                          "accuracy_vs_first": [round(v, 3) for v in mean_walk[0].tolist()],
                          "accuracy_vs_last": [round(v, 3) for v in mean_walk[1].tolist()]},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3500, help="optimisation steps (default 3500)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")
    parser.add_argument("--run", type=Path, default=ROOT / "runs" / NAME,
                        help="the training run's folder (default runs/musicvae-default)")
    parser.add_argument("--weights", type=Path, default=WEIGHTS,
                        help="where the weights and their record go (default: the plugin package)")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    import sketchml as sk
    from sketchml_music.corpus import bach_pieces, split
    from sketchml_music.musicvae import EXPORT_NAME, MelodyCoding, melody_windows, train_musicvae

    pieces = list(bach_pieces())
    train_names, held_names = split([p.name for p in pieces])
    training = [part for p in pieces if p.name in train_names for part in p.parts]
    coding = MelodyCoding()
    held = [w for p in pieces if p.name in held_names for part in p.parts
            for w in melody_windows(part, coding, hop=16)]
    begun = time.monotonic()
    run, _ = train_musicvae(training, out=args.run, steps=args.steps, validation=0, device="cpu",
                            **RECIPE)
    minutes = (time.monotonic() - begun) / 60
    model = sk.model("musicvae", weights=args.run / EXPORT_NAME, device="cpu")
    figures = measure(model, held)
    print(json.dumps(figures, indent=2), file=sys.stderr)

    args.weights.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.run / EXPORT_NAME, args.weights / f"{NAME}.safetensors")
    last = run.history[-1] if run.history else {}
    record = {
        "model": "musicvae.default",
        "data": "music21 corpus: every voice of the Bach works with 2+ voices, 2-bar windows "
                "half a bar apart with 4+ notes",
        "pieces": {"train": len(train_names), "held_out": len(held_names),
                   "held_out_names": held_names},
        "recipe": {**RECIPE, "steps": run.step},
        "training_minutes": round(minutes, 1),
        "final": {k: round(float(last[k]), 4) for k in ("recon", "kl") if k in last},
        **figures,
        "torch": torch.__version__, "python": platform.python_version(),
        "command": "python scripts/train_musicvae_default.py",
    }
    (args.weights / f"{NAME}.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.weights / NAME}.safetensors and .json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
