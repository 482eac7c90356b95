"""``sketchml react SONG --model NAME --out video.mp4``: a song drives a model's latent walk.

Examples:
    sketchml react song.wav --model dcgan.shapes --out out/react.mp4
    sketchml react song.mp3 --model biggan.deep-256 --classes goldfish,volcano,daisy --out out/b.mp4
    sketchml react song.wav --start 30 --duration 20 --fps 24 --speed-fpm 20 --out o.mp4
"""
from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``react`` sub-command."""
    parser = subparsers.add_parser(
        "react",
        help="render an audio-reactive latent walk (Lucid Sonic Dreams style) with the song muxed in",
        description=(
            "Render a latent walk of an image model that moves with SONG: its speed follows the "
            "harmonic energy, onsets pulse it, and for class-conditional models (BigGAN) the "
            "chroma picks the classes. The song (the stretch rendered) is the video's sound."
        ),
    )
    parser.add_argument("song", help="the song: WAV, FLAC, OGG or MP3")
    parser.add_argument("--out", required=True, metavar="PATH", help="video.mp4 (or .gif, frames/)")
    parser.add_argument("--model", required=True, metavar="NAME",
                        help="image model, family or family.variant (`sketchml models` lists them)")
    parser.add_argument("--weights", metavar="PATH", help="weights file or folder for the model")
    parser.add_argument("--device", metavar="DEV", help="cpu, cuda, mps (default: best)")
    parser.add_argument("--fps", type=float, default=30.0, help="frames per second (default 30)")
    parser.add_argument("--start", type=float, default=0.0, metavar="S",
                        help="start this many seconds into the song")
    parser.add_argument("--duration", type=float, metavar="S", help="seconds to render (default: all)")
    parser.add_argument("--speed-fpm", type=float, default=12.0, metavar="N",
                        help="keyframe latents visited per minute of music (default 12)")
    parser.add_argument("--motion-react", type=float, default=0.5, metavar="X",
                        help="0-1: how much the energy changes the speed (default 0.5)")
    parser.add_argument("--pulse-react", type=float, default=0.5, metavar="X",
                        help="0-1: how hard onsets kick the image (default 0.5)")
    parser.add_argument("--motion", choices=("harmonic", "percussive", "both"), default="harmonic",
                        help="which part of the sound moves the walk (default harmonic)")
    parser.add_argument("--pulse", choices=("percussive", "harmonic", "both"), default="percussive",
                        help="which part of the sound pulses (default percussive)")
    parser.add_argument("--class-pitch-react", type=float, default=0.5, metavar="X",
                        help="0-1: how much the chroma picks classes (models with labels)")
    parser.add_argument("--classes", metavar="A,B,...",
                        help="up to 12 class names or indices, one per pitch class from C")
    parser.add_argument("--smooth", type=float, default=0.25, metavar="S",
                        help="seconds of smoothing for motion and classes (default 0.25)")
    parser.add_argument("--pulse-decay", type=float, default=0.15, metavar="S",
                        help="seconds a pulse takes to fade (default 0.15)")
    parser.add_argument("--truncation", type=float, metavar="T",
                        help="truncation for models that take it (BigGAN, StyleGAN2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the walk (default 0)")
    parser.add_argument("--batch", type=int, default=8, help="frames generated at once (default 8)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the model and render; exit code 0 when written."""
    import sketchml as sk

    model = sk.model(args.model, weights=args.weights, device=args.device)
    classes = None
    if args.classes:
        classes = [int(c) if c.strip().isdigit() else c.strip() for c in args.classes.split(",")]
    written = sk.react(
        model, args.song, out=args.out, fps=args.fps, start=args.start, duration=args.duration,
        speed_fpm=args.speed_fpm, motion_react=args.motion_react, pulse_react=args.pulse_react,
        motion_harmonic=args.motion in ("harmonic", "both"),
        motion_percussive=args.motion in ("percussive", "both"),
        pulse_percussive=args.pulse in ("percussive", "both"),
        pulse_harmonic=args.pulse in ("harmonic", "both"),
        class_pitch_react=args.class_pitch_react, classes=classes, smooth=args.smooth,
        pulse_decay=args.pulse_decay,
        truncation=args.truncation, seed=args.seed, batch=args.batch,
    )
    print(f"Reacted to {args.song} with {model.name}: {written}")
    return 0
