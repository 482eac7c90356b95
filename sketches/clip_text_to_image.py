"""Text to image: CLIP steers a picture towards your words.

CLIP scores how well a picture matches a text. Guidance changes the numbers that make a
picture, a little at a time, so the score goes up. Here the picture is a Fourier
parameterisation (smooth, painterly; it needs no generator) and the judge is the tiny
CLIP that ships with sketchml, trained on the shapes world: it knows shapes and colours,
so ask for "a red circle" or "a yellow star on a blue background".

    sketchml run sketches/clip_text_to_image.py
    sketchml run sketches/clip_text_to_image.py --headless --frames 1 --out out/text-to-image.png

With a real CLIP and BigGAN-deep (the workshop's BigGAN + CLIP), change the constants:

    MODEL = "biggan.deep-256"        # or "biggan.deep-128"
    CLIP = "clip.ViT-B-32.openai"
    PROMPT = "a lighthouse:1 | fog:0.5 | text:-1"
    OPTIONS = {"label": "lighthouse", "truncation": 0.4}

(weights in ~/.cache/sketchml/weights/... or your Hugging Face cache; `sketchml models`
says which are there). Without real BigGAN weights, random ones paint abstract colour
fields, which CLIP still steers:

    python -c "from sketchml_gan.biggan import save_random_checkpoint as s; s('$HOME/.cache/sketchml/weights/biggan/deep-128')"

The result is saved in the output folder beside the sketch (sk.output_path()) as OUT.png,
OUT.safetensors (its latent) and OUT.json (the settings):
re-render it with sk.load_latent, or walk from it (see clip_walk.py).
"""
import sketchml as sk

PROMPT = "a red circle"
MODEL = "fourier"  # "fourier", "pixels", "pixelart", "dcgan", "biggan.deep-128", "stylegan2" ...
CLIP = "clip"  # the tiny offline CLIP; "clip.ViT-B-32.openai" when you have its weights
STEPS = 80
SEED = 0
OPTIONS = {}  # how the generator starts, e.g. {"label": "lighthouse"} for BigGAN
OUT = "clip_text_to_image/text-to-image"  # in the output folder

result = None


def setup():
    global result
    size(512, 560)
    guidance = sk.guide(PROMPT, model=MODEL, clip=CLIP, steps=STEPS, seed=SEED,
                        latent_options=OPTIONS)
    result = guidance.run()  # a progress bar in the terminal while it works
    result.save(output_path(OUT))
    print(f"saved {OUT}.png, {OUT}.safetensors and {OUT}.json (loss {result.loss:.3f})")


def draw():
    background(20)
    image(result.image, 0, 0, 512, 512)
    fill(230)
    text_size(16)
    text(f"{PROMPT}    ({MODEL}, best of {STEPS} steps: step {result.step})", 10, 540)
