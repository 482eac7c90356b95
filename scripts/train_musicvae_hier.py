"""Train the embedded hierarchical MusicVAE defaults (``musicvae.trio``, ``musicvae.multitrack``) on music21's Bach chorales.

The data are the Bach works bundled with music21 (``sketchml_music.corpus``), split by piece
as for the other music defaults (about one in ten held out, by a stable hash of the name):

* ``trio`` (``hierdec-trio_16bar``): 16-bar windows two bars apart; soprano = melody, bass
  = bass, and a drum part drawn from the chorale's rhythm (kick on the bass's onsets on
  beats 1 and 3, snare on beats 2 and 4, closed hi-hat on the inner voices' onsets), since
  chorales have no drums. A chorale shorter than 16 bars is played again from its start to
  fill 16 bars (as a hymn's next verse); windows of longer ones lie wholly inside them.
  (Windows that ran past a piece's end into rests made the trio fall silent by bar 16.)
* ``multitrack`` (``hier-multiperf_vel_1bar_med_chords``): every bar with two or more voices
  sounding, the four voices as a string quartet (General MIDI violin, violin, viola, cello),
  the bar's chord inferred from all voices (``infer_chord``: the best-fitting triad).

The run is a plain ``train_hier`` into ``--run`` (resumable; ``--minutes`` caps a sitting),
with transposition by up to 3 semitones; then the weights are stored as float16 in the plugin
package with a JSON record of how they do on the held-out pieces:

* trio: ``reconstruction_accuracy`` per track (sixteenth steps right after encoding to
  ``mu`` and decoding greedily) against ``majority_baseline`` (the track's commonest class
  at every step) and ``swapped_baseline`` (decoding another held-out trio's latent);
* multitrack: ``reconstruction_accuracy`` (events right, in place) against
  ``swapped_baseline``, and ``chord_following``: for latents from the prior decoded with the
  held-out bars' chords, the share of notes whose pitch class is in the bar's chord, given
  that chord, no chord, or the chord a tritone away; ``data_in_chord`` is the same share in
  the held-out bars themselves.

Usage (one CPU thread)::

    python scripts/train_musicvae_hier.py trio --minutes 25
    python scripts/train_musicvae_hier.py multitrack --minutes 25
    python scripts/train_musicvae_hier.py trio --steps 5 --run /tmp/try --weights /tmp/w
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "plugins" / "music" / "sketchml_music" / "weights"

# The published layouts at sizes that train on one CPU core in minutes and store in under
# 3 MB as float16. beta rises in a few hundred steps (Magenta's 0.99999 a step would leave the
# KL term off for a short run); free bits as a share of the smaller latent.
RECIPES = {
    "trio": {"config": "hierdec-trio_16bar", "z": 64, "encoder": 96, "encoder_layers": 1,
             "decoder": 112, "layers": 1, "batch_size": 32, "lr": 0.002, "max_beta": 0.2,
             "beta_rate": 0.995, "free_bits": 32.0, "transpose": 3, "seed": 0},
    "multitrack": {"config": "hier-multiperf_vel_1bar_med_chords", "z": 64, "encoder": 112,
                   "encoder_layers": 1, "decoder": 160, "layers": 1, "batch_size": 32,
                   "lr": 0.002, "max_beta": 0.5, "beta_rate": 0.995, "free_bits": 8.0,
                   "transpose": 3, "chord_dropout": 0.1, "seed": 0},
}


def measure_trio(net, held) -> dict:
    """Held-out figures of the trio (see the module docstring)."""
    import torch

    from sketchml_music.musicvae_hier import trio_accuracy

    trios = torch.tensor(held)
    accuracy = trio_accuracy(net, trios)
    with torch.no_grad():
        swapped = trio_accuracy(net, trios, net.encode(torch.roll(trios, 1, 0))[0])
    majority = [float((trios[..., t] == torch.mode(trios[..., t].flatten()).values).float().mean())
                for t in range(3)]
    names = ("melody", "bass", "drums")
    return {"held_out_trios": len(held),
            "reconstruction_accuracy": {n: round(a, 4) for n, a in zip(names, accuracy)},
            "majority_baseline": {n: round(a, 4) for n, a in zip(names, majority)},
            "swapped_baseline": {n: round(a, 4) for n, a in zip(names, swapped)}}


def measure_multitrack(net, held) -> dict:
    """Held-out figures of the multitrack model (see the module docstring)."""
    import torch

    from sketchml_music.musicvae_hier import (chord_following, chord_pitch_classes,
                                              multitrack_accuracy, pad_tracks)

    tracks = pad_tracks([t for t, _ in held])
    chords = torch.tensor([c for _, c in held])
    accuracy = multitrack_accuracy(net, tracks, chords)
    with torch.no_grad():
        swapped = multitrack_accuracy(net, tracks, chords,
                                      net.encode(torch.roll(tracks, 1, 0), torch.roll(chords, 1, 0))[0])
    data_hits = data_total = 0
    for (bar, chord) in held:
        tones = chord_pitch_classes(chord)
        for n in net.notes_of(pad_tracks([bar]))[0]:
            data_hits += n["pitch"] % 12 in tones
            data_total += 1
    chosen = [c for _, c in held if c > 0][:96]
    latents = torch.randn(len(chosen), net.z_size, generator=torch.Generator().manual_seed(0))
    follow = chord_following(net, latents, chosen, temperature=0.5, seed=0)
    return {"held_out_bars": len(held),
            "reconstruction_accuracy": round(accuracy, 4),
            "swapped_baseline": round(swapped, 4),
            "data_in_chord": round(data_hits / data_total, 4),
            "chord_following": {"bars": len(chosen), "temperature": 0.5,
                                **{k: round(v, 4) if isinstance(v, float) else v
                                   for k, v in follow.items()}}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=sorted(RECIPES))
    parser.add_argument("--steps", type=int, default=4000, help="optimisation steps (default 4000)")
    parser.add_argument("--minutes", type=float, default=None, help="stop this sitting after N minutes")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")
    parser.add_argument("--run", type=Path, default=None,
                        help="the training run's folder (default runs/musicvae-MODEL)")
    parser.add_argument("--weights", type=Path, default=WEIGHTS,
                        help="where the weights and their record go (default: the plugin package)")
    args = parser.parse_args(argv)
    name = f"musicvae-{args.model}"
    run_dir = args.run or ROOT / "runs" / name

    import torch

    torch.set_num_threads(args.threads)
    from safetensors.torch import load_file, save_file

    from sketchml.plugin import atomic_write_text
    from sketchml_music.corpus import bach_pieces, split
    from sketchml_music.musicvae import EXPORT_NAME
    from sketchml_music.musicvae_hier import (MultitrackCoding, TrioCoding, examples,
                                              network_from_state, train_hier)

    recipe = RECIPES[args.model]
    pieces = list(bach_pieces())
    train_names, held_names = split([p.name for p in pieces])
    training = [p for p in pieces if p.name in train_names]
    held_pieces = [p for p in pieces if p.name in held_names]
    begun = time.monotonic()
    cpu = time.process_time()
    run, _ = train_hier(training, out=run_dir, steps=args.steps, minutes=args.minutes,
                        validation=0, device="cpu", **recipe)
    minutes, cpu_minutes = (time.monotonic() - begun) / 60, (time.process_time() - cpu) / 60
    state = load_file(str(run_dir / EXPORT_NAME))
    net = network_from_state(state, str(run_dir / EXPORT_NAME)).eval()
    if args.model == "trio":
        figures = measure_trio(net, examples("trio", held_pieces, TrioCoding(), hop_bars=4))
    else:
        # Every third held-out bar: decoding all of them takes minutes on a busy machine.
        figures = measure_multitrack(net, examples("multitrack", held_pieces, MultitrackCoding())[::3])
    print(json.dumps(figures, indent=2), file=sys.stderr)

    args.weights.mkdir(parents=True, exist_ok=True)
    half = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    target = args.weights / f"{name}.safetensors"
    save_file(half, str(target.with_suffix(".tmp")))
    target.with_suffix(".tmp").chmod(0o644)
    target.with_suffix(".tmp").replace(target)
    last = run.history[-1] if run.history else {}
    record = {
        "model": f"musicvae.{args.model}",
        "data": "music21 corpus: the Bach works with 2+ voices; " + (
            "16-bar windows two bars apart wholly inside the piece (a piece under 16 bars "
            "repeated to fill them), soprano = melody, bass = bass, drums drawn from the "
            "rhythm" if args.model == "trio" else
            "each bar with 2+ voices, voices as violin, violin, viola, cello, chord inferred"),
        "pieces": {"train": len(train_names), "held_out": len(held_names),
                   "held_out_names": held_names},
        "recipe": {**recipe, "steps": run.step},
        "training_minutes_this_sitting": round(minutes, 1),
        "training_cpu_minutes_this_sitting": round(cpu_minutes, 1),
        "weights": "float16",
        "final": {k: round(float(last[k]), 4) for k in ("recon", "kl") if k in last},
        **figures,
        "torch": torch.__version__, "python": platform.python_version(),
        "command": f"python scripts/train_musicvae_hier.py {args.model}",
    }
    atomic_write_text(args.weights / f"{name}.json", json.dumps(record, indent=2) + "\n")
    print(f"wrote {target} and .json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
