"""The faces world, its face checker, and the stand-in webcam clip."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from sketchml.datasets import (EXPRESSIONS, FACE_ATTRIBUTES, face_labels, faces_world,
                               save_face_folders, scene_clip, scene_frames, train_face_checker)
from sketchml.datasets.faces import _negatives
from sketchml.errors import SketchmlError
from sketchml.media.capture import Capture


def test_items_depend_only_on_seed_and_index() -> None:
    whole = faces_world(6, size=32, seed=3)
    part = faces_world(2, size=32, seed=3, start=4)
    assert np.array_equal(whole.pixels[4:], part.pixels)
    assert whole.labels[4] == part.labels[0]
    assert not np.array_equal(faces_world(1, size=32, seed=4).pixels[0], whole.pixels[0])


def test_labels_cover_every_attribute_and_say_it_in_the_caption() -> None:
    labels = face_labels(400, seed=0)
    for attribute, values in FACE_ATTRIBUTES.items():
        assert {label[attribute] for label in labels} == set(values), attribute
    label = labels[0]
    assert label["expression_id"] == EXPRESSIONS.index(label["expression"])
    assert label["eyes"] in label["caption"] and label["shape"] in label["caption"]


def test_the_label_shows_in_the_picture() -> None:
    world = faces_world(200, size=64, seed=1)
    # The corners show the background, whose colour the label names.
    from sketchml.datasets.faces import _BACKGROUNDS

    names = list(_BACKGROUNDS)
    palette = np.array([_BACKGROUNDS[n] for n in names], float)
    corners = world.pixels[:, 1:5, 1:5].reshape(200, -1, 3).mean(1)
    nearest = np.abs(corners[:, None] - palette[None]).sum(-1).argmin(1)
    assert [names[k] for k in nearest] == [label["background"] for label in world.labels]
    assert world.targets("hair").max() < len(FACE_ATTRIBUTES["hair"])
    with pytest.raises(SketchmlError, match="Did you mean 'hair'"):
        world.targets("hiar")


def test_face_folders_are_labelled_by_an_attribute(tmp_path: Path) -> None:
    root = save_face_folders(tmp_path / "faces", 24, by="hair", size=32)
    found = {p.parent.name for p in root.rglob("*.png")}
    assert found <= set(FACE_ATTRIBUTES["hair"]) and len(list(root.rglob("*.png"))) == 24
    with pytest.raises(SketchmlError, match="32, 64, 128 px"):
        faces_world(2, size=48)


def test_the_checker_tells_faces_from_non_faces() -> None:
    checker = train_face_checker(n=800, steps=300)
    faces = faces_world(64, seed=77).images
    negatives = _negatives(faces, torch.Generator().manual_seed(5))
    assert float((checker.face_probability(faces) > 0.5).float().mean()) > 0.9
    assert float((checker.face_probability(negatives) > 0.5).float().mean()) < 0.15
    assert checker.accuracy > 0.9


def test_the_scene_clip_moves_and_plays_as_a_camera(tmp_path: Path) -> None:
    frames = scene_frames(12, size=32, seed=2)
    assert frames.shape == (12, 32, 32, 3)
    assert np.abs(frames[0].astype(int) - frames[6]).mean() > 2
    clip = scene_clip(tmp_path / "room.mp4", frames=12, size=32)
    with Capture(clip) as cam:
        cam.start()
        cam.read()
        assert (cam.width, cam.height) == (32, 32)
        assert np.abs(cam.pixels[..., :3].astype(int) - scene_frames(1, size=32)[0]).mean() < 12
    with pytest.raises(SketchmlError, match="frames"):
        scene_frames(0)
