"""Faces from an autoencoder: move the mouse through a VAE's latent space.

autoencoder.faces is a small variational autoencoder that ships with sketchml, trained
offline on sketchml's own "faces world" (cartoon faces it draws itself). Every face it
makes comes from 32 numbers, its latent. The four corners of the window hold four random
latents; the mouse mixes them (left-right between the corners, top-bottom between the
rows), and the big face is the decoder's picture of the mix. Click for four new faces.

When the mouse has not moved (a headless render), the point drifts round in a circle.

    sketchml run sketches/autoencoder_faces.py

Train your own on a folder of faces:
    sketchml train autoencoder my_faces/ --out runs/my-faces --kind vae
and load it with sk.model("autoencoder", weights="runs/my-faces").
"""
import math

import sketchml as sk

corners = None
vae = None
seed = 0


def setup():
    global vae
    size(480, 360)
    vae = sk.model("autoencoder")
    new_corners()


def new_corners():
    global corners, seed
    corners = vae.sample_latent(4, seed=seed)["z"]
    seed += 1


def mouse_pressed():
    new_corners()


def draw():
    background(235)
    if mouse_x == 0 and mouse_y == 0:
        angle = frame_count * 0.05
        u, v = 0.5 + 0.45 * math.cos(angle), 0.5 + 0.45 * math.sin(angle)
    else:
        u, v = constrain(mouse_x / width, 0, 1), constrain(mouse_y / height, 0, 1)
    top = corners[0] * (1 - u) + corners[1] * u
    bottom = corners[2] * (1 - u) + corners[3] * u
    z = top * (1 - v) + bottom * v
    faces = vae.generate(sk.Latent(corners))
    for i, (x, y) in enumerate(((0, 0), (width - 96, 0), (0, height - 96),
                                (width - 96, height - 96))):
        image(faces[i], x, y, 96, 96)
    image(vae.generate(z[None]), 120, 60, 240, 240)
    no_fill()
    stroke(40)
    circle(u * width, v * height, 12)
