"""DCGAN on your video: teach a GAN the look of a clip, then watch what it dreams up.

Put a video of your own next to this sketch (a walk in the park, your cat, a lava lamp:
anything with a recognisable look) and set VIDEO to its name. When the file is missing
the sketch films a demo clip first, from sketchml's shapes world, into its output folder
(output/ beside the sketch, sk.output_path()), where RUN goes too.

setup() trains a DCGAN on frames taken evenly from the video (a progress bar shows in
the console; samples appear in RUN/samples/ as it trains). Training is resumable: run the
sketch again with a larger STEPS and it carries on where it stopped, instead of starting
over. Then draw() shows the real frames on the left and, on the right, sixteen pictures
the GAN makes, slowly walking through its latent space.

    sketchml run sketches/dcgan_on_your_video.py

A GPU trains much faster; on a laptop CPU keep RESOLUTION at 32 and WIDTH at 32 for a
first try (600 steps took 38 s of CPU time, 70 s on this repository's busy two-core
machine), then go to 64 px and more STEPS.
"""
import sketchml as sk
from sketchml.training import VideoFrames

VIDEO = "my_video.mp4"
RUN = "runs/dcgan-video"  # in the output folder: checkpoints, sample grids, loss plot, weights
RESOLUTION = 32  # 32, 64 or 128 px
WIDTH = 32  # size of the networks: bigger learns more, slower
STEPS = 600  # training steps in all; raise it and run again to train further
LR = 0.001  # five times the paper's, steadied by the weight average: colours and forms in 600 steps
FRAMES = 400  # frames taken from the video

gan = None
frames = None
walk = None


def setup():
    global gan, frames, walk
    size(640, 360)
    video = sketch_path(VIDEO)
    if not video.exists():
        video = output_path(VIDEO)
        if not video.exists():
            film_demo_clip(video)
    gan = sk.model("dcgan")
    run = gan.train(video, out=output_path(RUN), resolution=RESOLUTION, width=WIDTH, steps=STEPS,
                    frames=FRAMES, batch_size=32, lr=LR)
    print(f"trained to step {run.step}; load it again with sk.model('dcgan', weights=output_path({RUN!r}))")
    frames = VideoFrames(video, size=RESOLUTION, count=FRAMES, value_range=(0, 1))
    keys = [gan.sample_latent(16, seed=k) for k in range(4)]
    # 16 walks at once: items 0-15 are the first frame's latents, 16-31 the next frame's ...
    walk = sk.interpolate(keys, steps=60, easing="ease-in-out", loop=True)


def film_demo_clip(path):
    """Pictures of the shapes world, one per frame, as a stand-in for your own video."""
    from sketchml.datasets import shapes_world

    world = shapes_world(240, size=64, seed=7)
    sk.Images(world.images).save(path, fps=24)
    print(f"no {VIDEO} beside the sketch, so a demo clip was written to {path}: "
          "put your own video there")


def draw():
    background(16)
    # Left: the real frames, playing. Right: the GAN's pictures, 4 x 4.
    image(frames[(frame_count - 1) % len(frames)], 16, 40, 288, 288)
    step = (frame_count - 1) % (len(walk) // 16)
    pictures = gan.generate(walk[step * 16:(step + 1) * 16])
    cell = 72
    for i in range(16):
        row, col = divmod(i, 4)
        image(pictures[i], 336 + col * cell, 40 + row * cell, cell, cell)
    fill(230)
    text_size(14)
    text("your video", 16, 28)
    text("what the DCGAN makes of it", 336, 28)
