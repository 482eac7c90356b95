"""Stored latents: keep the pictures you like, re-render them exactly, walk between them.

Every generated picture remembers its latent: the numbers it was made from, plus the name
of the model. This sketch saves the latents of a few pictures to files, loads them back,
re-renders them (the same pixels, bit for bit, on the same computer), and renders a walk
between them into a video, pausing on each stored picture. The top row shows the stored
pictures; below, the walk plays.

    sketchml run sketches/stored_latents.py
    sketchml run sketches/stored_latents.py --headless --frames 60 --out out/stored.gif

Files it writes in its output folder, output/stored_latents/ beside the sketch
(sk.output_path()): latents/seed-N.safetensors (one per seed) and walk.mp4. Render the
same walk again later, without this sketch:

    cd sketches/output/stored_latents
    sketchml walk latents/seed-3.safetensors latents/seed-14.safetensors --out again.mp4 --hold 12

MODEL can be any image family with latents: "dcgan.shapes" (the default) is built in and
runs offline; try "biggan.deep-128", or "stylegan2" with WEIGHTS = "your-model.pt".
"""
import sketchml as sk

MODEL = "dcgan.shapes"
WEIGHTS = None  # None: the model's own weights; or a weights file / a training folder
SEEDS = [3, 14, 15, 92]  # the pictures to keep
FOLDER = "stored_latents/latents"  # in the output folder
VIDEO = "stored_latents/walk.mp4"
STEPS = 30  # frames from one stored picture to the next
HOLD = 15  # frames to stay on each stored picture
EASING = "ease-in-out"
FPS = 30
TILE = 128
VIEW = 384

gan = None
pictures = []
identical = []
frames = None


def setup():
    global gan, frames
    size(len(SEEDS) * TILE, TILE + VIEW + 32)
    gan = sk.model(MODEL, weights=WEIGHTS)

    # 1. Make a picture per seed and save the latent it remembers.
    for seed in SEEDS:
        picture = gan.generate(gan.sample_latent(1, seed=seed))
        picture.latent.save(output_path(f"{FOLDER}/seed-{seed}.safetensors"))
        pictures.append(picture)

    # 2. Load the latents back and re-render them: the same pixels, bit for bit.
    stored = [sk.load_latent(output_path(f"{FOLDER}/seed-{seed}.safetensors")) for seed in SEEDS]
    for picture, latent in zip(pictures, stored):
        identical.append(bool((gan.generate(latent) == picture).all()))

    # 3. Walk from stored picture to stored picture, into a video.
    written = sk.walk(gan, stored, output_path(VIDEO), steps=STEPS, hold=HOLD, easing=EASING, fps=FPS)
    print(f"wrote {written}")

    # The same walk, frame by frame, to play below the pictures.
    frames = sk.walk_frames(gan, stored, steps=STEPS, hold=HOLD, easing=EASING, repeat=True)


def draw():
    background(12)
    for i, picture in enumerate(pictures):
        image(picture, i * TILE, 0, TILE, TILE)
    image(next(frames), (width - VIEW) / 2, TILE, VIEW, VIEW)
    fill(200)
    text_size(14)
    same = "identical" if all(identical) else "DIFFERENT"
    text(f"re-rendered from files: {same}    video: {VIDEO}", 10, TILE + VIEW + 22)
