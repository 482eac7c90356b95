"""Walk between guided pictures: CLIP finds a latent per prompt, the GAN walks between them.

Guidance through a generator keeps the generator's own latent, so its results are
ordinary latents: they save, re-render and walk like any other. Here CLIP steers
dcgan.shapes (the built-in DCGAN trained on the shapes world) towards each prompt, and
the sketch walks from result to result, pausing on each. The top row shows the results.

    sketchml run sketches/clip_walk.py
    sketchml run sketches/clip_walk.py --headless --frames 60 --out out/clip-walk.gif

Each result is saved in FOLDER (PNG, latent, settings), in the output folder beside the
sketch (sk.output_path()); walk them again later with

    sketchml walk sketches/output/clip_walk/guided/*.safetensors --out walk.mp4 --hold 12

Try MODEL = "fourier" (the walk blends the pictures' spectra) or BigGAN with a real CLIP.
"""
import sketchml as sk

PROMPTS = ["a red circle", "a blue square", "a yellow star", "a green triangle"]
MODEL = "dcgan.shapes"
CLIP = "clip"
STEPS = 40
STEPS_BETWEEN = 24  # frames from one result to the next
HOLD = 12  # frames to stay on each result
FOLDER = "clip_walk/guided"  # in the output folder
TILE = 128
VIEW = 384

results = []
frames = None


def setup():
    global frames
    size(len(PROMPTS) * TILE, TILE + VIEW + 40)
    text_size(13)
    for i, prompt in enumerate(PROMPTS):
        result = sk.guide(prompt, model=MODEL, clip=CLIP, steps=STEPS, seed=i).run()
        result.save(output_path(f"{FOLDER}/{i}-{prompt.replace(' ', '-')}"))
        results.append(result)
    # The results' latents are the generator's own (result.model): walk between them.
    frames = sk.walk_frames(results[0].model, [r.latent for r in results], steps=STEPS_BETWEEN,
                            hold=HOLD, loop=True, repeat=True, easing="ease-in-out")


def draw():
    background(16)
    for i, result in enumerate(results):
        image(result.image, i * TILE, 0, TILE, TILE)
    image(next(frames), (width - VIEW) / 2, TILE, VIEW, VIEW)
    fill(220)
    text("  ->  ".join(PROMPTS), 10, TILE + VIEW + 26)
