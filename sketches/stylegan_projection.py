"""StyleGAN projection: find your own picture inside a StyleGAN2, then mix it with strangers.

Left: your picture. Middle: the closest image the generator can draw, found by projecting the
picture into its W+ latent space (Karras et al. 2020) with a perceptual loss. Right: your
projection's coarse styles (layout, shape) with a stranger's fine styles (colours, texture).
Move the mouse left/right to move the crossover layer; press space for another stranger, s to
save the picture on the right.

    sketchml run sketches/stylegan_projection.py
    sketchml run sketches/stylegan_projection.py --headless --frames 3 --out out/projection.gif

What it projects, from the sketch's folder (where this file is):

* WEIGHTS: a StyleGAN2 generator, e.g. rosinality's stylegan2-ffhq-config-f.pt or NVIDIA's
  ffhq-res256-mirror-paper256-noaug.pkl (or a folder written by model.train). Without that
  file it uses stylegan2.shapes, which comes with sketchml: a 32 px StyleGAN2 trained on the
  shapes world, so everything runs offline;
* PHOTO: your picture (a face, centred, for an FFHQ model). Without it, a picture of the
  shapes world the model never saw.

The perceptual loss compares VGG16 features when torchvision's vgg16-397923af.pth is in
~/.cache/torch/hub/checkpoints/, and otherwise the features of the shape classifier sketchml
trains (fine for the shapes model; get VGG16 for photos).
The search writes projection.mp4 (the picture beside the projection as it improves) and
saves the latent to photo-latent.safetensors, both in output/ beside the sketch
(sk.output_path()), so later sketches can load it with
sk.load_latent(output_path("photo-latent.safetensors")); s saves mixed-N.png there too.
"""
import sketchml as sk
from sketchml.datasets import shapes_world

WEIGHTS = "stylegan2-ffhq-config-f.pt"
PHOTO = "photo.jpg"
STEPS = 120  # more steps fit closer; 500 or so for a portrait on a GPU
TILE = 256

gan = None
photo = None
mine = None
stranger_seed = 1
stranger = None


def setup():
    global gan, photo, mine
    size(3 * TILE, TILE + 40)
    text_size(15)
    weights = sketch_path(WEIGHTS)
    if weights.exists():
        gan = sk.model("stylegan2", weights=weights)
    else:
        gan = sk.model("stylegan2.shapes")
    if sketch_path(PHOTO).exists():
        photo = load_image(PHOTO)
        target = sketch_path(PHOTO)
    else:
        # Item 50000 of the world: far past the pictures the model was trained on.
        world = shapes_world(1, size=64, seed=0, start=50000)
        photo = create_image_from_numpy(world.pixels[0], "RGB")
        target = world.images[0]
    # Projection is slow (a few seconds per step on a CPU for a 1024 px model): done once, here.
    mine = gan.encode(target, steps=STEPS, video=output_path("projection.mp4"))
    mine.save(output_path("photo-latent.safetensors"))
    new_stranger()


def new_stranger():
    global stranger
    stranger = gan.sample_latent(1, seed=stranger_seed, space="w+")


def crossover():
    # Layer 1 .. num_layers-1: further right keeps more of the photo.
    return int(remap(constrain(mouse_x, 0, width - 1), 0, width, 1, gan.num_layers))


def draw():
    background(20)
    # The photo covers its square, centred; what spills over is painted over below.
    scale_to = TILE / min(photo.width, photo.height)
    w, h = photo.width * scale_to, photo.height * scale_to
    image(photo, (TILE - w) / 2, (TILE - h) / 2, w, h)
    image(gan.generate(mine), TILE, 0, TILE, TILE)
    image(gan.generate(mine, style_mix=(stranger, crossover())), 2 * TILE, 0, TILE, TILE)
    no_stroke()
    fill(20)
    rect(0, TILE, width, height - TILE)
    fill(230)
    text(f"photo        projection (loss {mine.metadata['loss']:.3f})        "
         f"mixed from layer {crossover()} with stranger {stranger_seed}", 10, TILE + 26)


def key_pressed():
    global stranger_seed
    if key == " ":
        stranger_seed += 1
        new_stranger()
    elif key == "s":
        gan.generate(mine, style_mix=(stranger, crossover())).save(output_path(f"mixed-{stranger_seed}.png"))
