"""pix2pix from your video: learn to paint a scene back from its outlines.

Put a video of your own next to this sketch and set VIDEO to its name (a room, a street,
your face: anything that looks much the same from frame to frame). When the file is
missing, the sketch writes sketchml's stand-in clip into its output folder (output/ beside
the sketch, sk.output_path()) and trains on that: a room with a swaying figure and a
bouncing ball, filmed by a panning camera.

setup() makes training pairs from the video: for every frame, its outlines (the "A"
picture, INPUT = "edges") and the frame itself (the "B" picture). pix2pix learns to paint
B from A. Other inputs: "posterise", "blur", "greyscale", "kmeans". Training is resumable:
run the sketch again with a larger STEPS and it carries on. RUN is in the output folder;
samples land in RUN/samples/.

draw() plays the video as a Movie: each frame, its outlines, and what pix2pix paints from
the outlines alone.

    sketchml run sketches/pix2pix_train_from_video.py

Then drive the trained model with a camera: sketches/pix2pix_webcam.py.
"""
import sketchml as sk
from sketchml.datasets import scene_clip

VIDEO = "my_video.mp4"
RUN = "runs/pix2pix-video"  # in the output folder: checkpoints, samples, loss plot, weights
INPUT = "edges"  # edges, posterise, blur, greyscale or kmeans
RESOLUTION = 64  # a power of two: 32, 64, 128, 256 (the paper's)
WIDTH = 32  # channels of the networks' outer layers (the paper's: 64)
STEPS = 600  # training steps in all; raise it and run again to train further
FRAMES = 400  # frames taken from the video

model = None
movie = None


def setup():
    global model, movie
    size(640, 240)
    video = sketch_path(VIDEO)
    if not video.exists():
        video = scene_clip(output_path(VIDEO), frames=240, size=128)
        print(f"no {VIDEO} beside the sketch, so it trains on a stand-in clip ({video}): "
              "put yours there")
    model = sk.model("pix2pix")
    run = model.train(video, out=output_path(RUN), input=INPUT, resolution=RESOLUTION, width=WIDTH,
                      steps=STEPS, frames=FRAMES)
    print(f"trained to step {run.step}; load it with sk.model('pix2pix', weights=output_path({RUN!r}))")
    movie = Movie(video)
    movie.loop()


def draw():
    background(20)
    if movie.available():
        movie.read()
    side = 192
    image(movie, 16, 32, side, side)
    image(model.prepare(movie), 224, 32, side, side)
    image(model.generate(movie), 432, 32, side, side)
    fill(230)
    text_size(14)
    text("the video", 16, 22)
    text(f"its {INPUT}", 224, 22)
    text("pix2pix paints it back", 432, 22)
