"""Image-to-image benchmark: pix2pix and style transfer frames per second at 256 px, and
camera-to-canvas latency.

* ``pix2pix``: the reference ``unet_256`` (8 levels, 64 channels, 54.4 M parameters; random
  weights, loaded through a ``latest_net_G.pth`` as a user's would be). Timed, on the same
  camera frame (320 x 240, from a Capture playing sketchml's stand-in clip):

  * ``generate``        -- ``model.generate(cam)``: the frame to a tensor, scaled and
                           cropped to 256 px, the network, the ``sk.Images`` result;
  * ``generate+edges``  -- the same for a model trained with ``input="edges"`` (the edge
                           transform runs on every frame first);
  * ``bare``            -- the bare U-Net on a ready ``(1, 3, 256, 256)`` tensor under
                           ``inference_mode``.

  The calls alternate, and each one's fastest of ``--rounds`` is kept, so load from other
  processes hits them alike.

* ``style``: the published fast_neural_style ``TransformerNet`` (width 32, 1.7 M
  parameters; random weights loaded from a ``.pth``), ``generate(cam)`` on the frame cropped
  to 256 x 256 against the bare network on a ready tensor in 0-255.

* ``camera -> canvas``: ``cam.read()`` (decode the next frame of the clip into the
  image's pixels) plus ``image(cam)`` on a headless canvas and the read-back that waits for
  the GPU: how long a frame takes from the decoder to drawn pixels, median over the frames.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/image_to_image.py [--rounds 5] [--threads 1]``
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

import sketchml as sk
from sketchml.datasets import scene_clip


def fastest(call, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best


def bench_pix2pix(folder: Path, cam: sk.Capture, rounds: int) -> None:
    from sketchml_image.pix2pix import UnetGenerator

    path = folder / "latest_net_G.pth"
    torch.save(UnetGenerator(num_downs=8, ngf=64).state_dict(), path)
    model = sk.model("pix2pix", weights=path, device="cpu")
    edges = sk.model("pix2pix", weights=path, device="cpu")
    edges.input = "edges"
    net = model.network
    ready = torch.rand(1, 3, 256, 256) * 2 - 1

    def bare() -> None:
        with torch.inference_mode():
            net(ready)

    calls = {"generate": lambda: model.generate(cam), "generate+edges": lambda: edges.generate(cam),
             "bare": bare}
    for call in calls.values():
        call()  # warm up
    times = {name: float("inf") for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            times[name] = min(times[name], fastest(call, 1))
    print(f"pix2pix unet_256 ({sum(p.numel() for p in net.parameters()) / 1e6:.1f} M "
          f"parameters), 256 px, batch 1, CPU with {torch.get_num_threads()} thread(s):")
    for name, seconds in times.items():
        extra = "" if name == "bare" else f"   ({seconds / times['bare'] - 1:+.1%} vs bare)"
        print(f"  {name:16s} {1 / seconds:7.2f} fps  {seconds * 1000:8.1f} ms{extra}")


def bench_style(folder: Path, cam: sk.Capture, rounds: int) -> None:
    from sketchml_image.style import TransformerNet

    path = folder / "candy.pth"
    torch.save(TransformerNet().state_dict(), path)
    model = sk.model("style", weights=path, device="cpu")
    net = model.network
    square = cam.tensor()[..., :, 32:288][..., :240, :240]
    square = torch.nn.functional.interpolate(square, size=(256, 256), mode="bilinear")
    ready = square * 255

    def bare() -> None:
        with torch.inference_mode():
            net(ready)

    calls = {"generate": lambda: model.generate(square), "bare": bare}
    for call in calls.values():
        call()
    times = {name: float("inf") for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            times[name] = min(times[name], fastest(call, 1))
    print(f"style TransformerNet ({sum(p.numel() for p in net.parameters()) / 1e6:.1f} M "
          f"parameters), 256 px, batch 1:")
    for name, seconds in times.items():
        extra = "" if name == "bare" else f"   ({seconds / times['bare'] - 1:+.1%} vs bare)"
        print(f"  {name:16s} {1 / seconds:7.2f} fps  {seconds * 1000:8.1f} ms{extra}")


def bench_latency(clip: Path, frames: int) -> None:
    from sketchml.graphics.canvas import Canvas
    from sketchml.graphics.context import create_headless_context

    canvas = Canvas(320, 240)
    canvas._gl_init(create_headless_context())
    latencies = []
    with sk.Capture(clip, width=320, height=240) as cam:
        cam.start()
        for _ in range(frames):
            started = time.perf_counter()
            cam.read()
            canvas._begin_frame()
            canvas.image(cam, 0, 0)
            canvas._end_frame()
            canvas._read_pixels()
            latencies.append(time.perf_counter() - started)
    latencies = latencies[5:]  # the decoder's start-up is not a frame's latency
    print(f"camera -> canvas (320 x 240, decode + upload + draw + read-back), {len(latencies)} "
          f"frames: median {statistics.median(latencies) * 1000:.1f} ms, "
          f"max {max(latencies) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    folder = Path(tempfile.mkdtemp())
    clip = scene_clip(folder / "room.mp4", frames=max(args.frames, 24), size=256)
    with sk.Capture(clip, width=320, height=240) as cam:
        cam.start()
        cam.read()
        bench_pix2pix(folder, cam, args.rounds)
        bench_style(folder, cam, args.rounds)
    bench_latency(clip, args.frames)


if __name__ == "__main__":
    main()
