"""Fast style transfer, live: every camera frame repainted in the style of one picture.

A fast style network (Johnson et al. 2016) learns one style once, then restyles any
picture in a single pass, quick enough for a camera. Set STYLE to a painting of yours
(or STYLE_WEIGHTS to a published fast_neural_style .pth such as candy.pth); without one,
the sketch paints its own style picture (bold stripes and dots) and trains a small network
on it. Put STYLE and STYLE_WEIGHTS beside the sketch; what the sketch makes (the painted
style picture, RUN, the stand-in clip) goes to output/ beside it (sk.output_path()). RUN
keeps the network: run again with more STEPS to train further.

No camera? It plays sketchml's stand-in clip as the camera. No ImageNet VGG-16 weights
on this machine? Training uses the random-filter loss network instead (a warning says so):
colours and textures transfer, brush strokes that follow objects need VGG.

    sketchml run sketches/style_transfer_live.py
"""
import sketchml as sk
from sketchml.datasets import scene_clip

STYLE = "my_style.png"  # a painting, a texture, a photo of a fabric ...
STYLE_WEIGHTS = "candy.pth"  # a published fast_neural_style style, used when present
RUN = "runs/style-live"
STEPS = 300  # training steps in all; raise it and run again to train further
WIDTH = 16  # 32 is the published networks' size; smaller trains and runs faster
SIZE = 128  # side of the pictures it trains on
STAND_IN = "webcam_stand_in.mp4"

cam = None
style = None


def setup():
    global cam, style
    size(640, 320)
    clip = output_path(STAND_IN)
    cam = Capture(width=320, height=240) if Capture.list() else \
        Capture(scene_clip(clip, frames=240, size=128), width=320, height=240)
    cam.start()
    if sketch_path(STYLE_WEIGHTS).exists():
        style = sk.model("style", weights=sketch_path(STYLE_WEIGHTS))
        return
    picture = sketch_path(STYLE)
    if not picture.exists():
        picture = output_path(STYLE)
        paint_style_picture(picture)
    style = sk.model("style")
    style.train(picture, scene_clip(clip, frames=240, size=128), out=output_path(RUN), steps=STEPS,
                width=WIDTH, size=SIZE)


def paint_style_picture(path):
    """Bold diagonal stripes with dots: a stand-in for your own painting."""
    art = create_graphics(128, 128)
    art.begin_draw()
    art.background(250, 220, 60)
    art.stroke_weight(10)
    for k in range(-8, 9):
        if k % 2:
            art.stroke(220, 40, 90)
        else:
            art.stroke(30, 90, 200)
        art.line(k * 16, 0, k * 16 + 128, 128)
    art.no_stroke()
    art.fill(20)
    for k in range(12):
        art.circle((k * 37) % 128, (k * 53) % 128, 14)
    art.end_draw()
    art.save(path)
    print(f"no {STYLE} beside the sketch, so a style picture was painted into {path}: put yours there")


def draw():
    background(20)
    if cam.available():
        cam.read()
    image(cam, 16, 48, 288, 216)
    image(style.generate(cam), 336, 48, 288, 216)
    fill(230)
    text_size(14)
    text("camera", 16, 36)
    text("restyled", 336, 36)
