"""pix2pix live: your camera, turned into outlines, painted back in the style of a video.

It uses the model pix2pix_train_from_video.py trained (RUN, in the output folder beside
the sketches, sk.output_path()). Each camera frame becomes
the model's input picture (its outlines, or whatever transform the model was trained
with) and pix2pix paints it as the training video looked. Move in front of the camera
and watch the scene redrawn.

No camera here? Capture takes a video file instead: the sketch plays sketchml's stand-in
clip as if a camera were filming it. Without a trained model in RUN it uses the embedded
pix2pix.room, which learnt to paint that clip's room from its outlines.

    sketchml run sketches/pix2pix_webcam.py
"""
import sketchml as sk
from sketchml.datasets import scene_clip

RUN = "runs/pix2pix-video"  # where pix2pix_train_from_video.py saved its model
STAND_IN = "webcam_stand_in.mp4"  # written to the output folder, played when there is no camera

cam = None
model = None


def setup():
    global cam, model
    size(640, 320)
    if Capture.list():
        cam = Capture(width=320, height=240)
    else:
        cam = Capture(scene_clip(output_path(STAND_IN), frames=240, size=128))
        print("no camera found: playing a stand-in clip as the camera")
    cam.start()
    if output_path(RUN).exists():
        model = sk.model("pix2pix", weights=output_path(RUN))
    else:
        print(f"no trained model in {RUN}: using pix2pix.room, made for the stand-in clip")
        model = sk.model("pix2pix.room")


def draw():
    background(20)
    if cam.available():
        cam.read()
    image(cam, 16, 48, 288, 256)
    image(model.generate(cam), 336, 48, 288, 256)
    fill(230)
    text_size(14)
    text("camera", 16, 36)
    text(f"pix2pix from its {model.input or 'pixels'}", 336, 36)
