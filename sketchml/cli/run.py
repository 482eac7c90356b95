"""``sketchml run FILE``: run a sketch file in a window (reloading on save) or headless.

Examples:
    sketchml run sketches/demo.py                      # window, hot reload
    sketchml run sketches/demo.py --headless --frames 180 --out out/demo.mp4
    sketchml run sketch.py --frames 60 --out frames/frame-####.png --size 320x240 --seed 1
    sketchml run visualiser.py --headless --audio song.wav --out out/visualiser.mp4
    sketchml run sketches/charrnn_train_live.py --headless --fps 2 --frames 120 --out live.mp4
"""
from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` sub-command to ``subparsers``."""
    parser = subparsers.add_parser(
        "run",
        help="run a sketch file (window with hot reload, or headless to a video/PNGs)",
        description=(
            "Run a sketch file: bare setup()/draw() (imported mode), module mode "
            "(import sketchml as sk ... sk.run_sketch()) or class mode "
            "(MySketch().run_sketch()). In a window the file reloads when saved; an error "
            "is shown on the canvas until the next save. Headless runs go as fast as they "
            "can (or, with --fps, at that pace in real time) and exit non-zero on an error."
        ),
    )
    parser.add_argument("file", help="the sketch's .py file")
    parser.add_argument("--headless", action="store_true",
                        help="render without a window (the default when there is no display)")
    parser.add_argument("--frames", type=int, metavar="N",
                        help="stop after N frames (default: run until the sketch exits)")
    parser.add_argument("--out", metavar="PATH",
                        help="write the frames: out.mp4, out.gif, or frames/frame-####.png")
    parser.add_argument("--size", metavar="WxH", help="force the canvas size, e.g. 640x360")
    parser.add_argument("--seed", type=int, metavar="S", help="seed random() and noise()")
    parser.add_argument("--audio", metavar="SOUND",
                        help="a soundtrack (WAV, FLAC, OGG, MP3) that plays from the first frame; "
                             "headless without --frames, the render lasts as long as it")
    parser.add_argument("--fps", type=float, metavar="F",
                        help="frames per second; headless, frames are then paced in real time "
                             "(millis() too), so training or guidance on a background thread "
                             "shows its progress in the render")
    parser.add_argument("--watch", action=argparse.BooleanOptionalAction, default=None,
                        help="reload the file when it is saved (default: on in a window)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from sketchml.runtime.loop import run_file

    return run_file(
        args.file,
        headless=True if args.headless else None,
        frames=args.frames,
        out=args.out,
        size=args.size,
        seed=args.seed,
        watch=args.watch,
        audio=args.audio,
        fps=args.fps,
    )
