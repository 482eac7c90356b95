"""Converting a Magenta GANSynth checkpoint: a tiny one written by TensorFlow with the published names.

TensorFlow is needed only to write (and the converter only to read) the checkpoint; the test
is skipped where it is not installed. The mapping itself is checked without TensorFlow too.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import sketchml as sk
from sketchml_music.gansynth import MAGENTA_FORMAT, SpectralFormat, Generator, convert_magenta

ROOT = Path(__file__).resolve().parents[3]
PREFIX = "Generator/progressive_gan_generator/"
TINY = SpectralFormat(audio_length=8192, frames=32, n_fft=512, hop=256, mel_bins=256)


def magenta_variables(generator: Generator) -> dict[str, np.ndarray]:
    """The generator's weights under Magenta's TensorFlow names and layouts."""
    variables = {}
    for key, value in generator.state_dict().items():
        if key in ("normalizer", "spectral"):
            continue
        block, layer, kind = key.split(".")
        array = value.numpy()
        if kind == "weight":
            variables[f"{PREFIX}{block}/{layer}/conv2d/kernel"] = array.transpose(2, 3, 1, 0)
        else:
            variables[f"{PREFIX}{block}/{layer}/bias"] = array
    return variables


def tiny_generator() -> Generator:
    torch.manual_seed(0)
    # Magenta's start (2, 16), three blocks: (8, 64) pictures; 1024 linear bins are not needed
    # for the mapping, so the spectral format is a small one of the same width ratio.
    return Generator(channels=(8, 8, 4), start=(2, 16), spectral=TINY)


def test_the_mapping_renames_and_transposes_every_generator_variable():
    g = tiny_generator()
    variables = magenta_variables(g)
    variables["Discriminator/progressive_gan_discriminator/progressive_gan_block_1/logits/"
              "dense/kernel"] = np.zeros((4, 1))
    variables[f"{PREFIX}progressive_gan_block_1/conv0/conv2d/kernel/Adam"] = np.zeros(1)
    state = convert_magenta(variables, [0.1, 0.2, 1.0, 0.0], spectral=TINY)
    expected = g.state_dict()
    assert set(state) == set(expected)
    for key in expected:
        if key not in ("normalizer", "spectral"):
            assert torch.equal(state[key], expected[key]), key
    assert state["normalizer"].tolist() == [[pytest.approx(0.1), 1.0], [pytest.approx(0.2), 0.0]]
    with pytest.raises(sk.SketchmlError, match="GANSynth checkpoint"):
        convert_magenta({"something/else": np.zeros(1)}, [1, 0, 1, 0])
    assert convert_magenta(variables, [1, 0, 1, 0])["spectral"].tolist() == \
        MAGENTA_FORMAT.as_tensor().tolist()


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None,
                    reason="TensorFlow is not installed (pip install tensorflow-cpu)")
def test_a_tensorflow_checkpoint_converts_and_plays_the_same(tmp_path):
    import tensorflow as tf

    g = tiny_generator()
    variables = magenta_variables(g)
    folder = tmp_path / "tiny_gansynth"
    (folder / "assets").mkdir(parents=True)
    np.savez(folder / "assets" / "specgrams_simple_normalizer.npz",
             normalizer=np.array([0.08, 0.5, 1.0, 0.0]))
    graph = tf.Graph()
    with graph.as_default():
        tf_vars = [tf.compat.v1.get_variable(name.replace(":0", ""), initializer=value)
                   for name, value in variables.items()]
        saver = tf.compat.v1.train.Saver(tf_vars)
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            saver.save(session, str(folder / "model.ckpt"), global_step=11)
    # TensorFlow's own convolution on the stored kernel is sketchml's on the converted one.
    kernel_name = f"{PREFIX}progressive_gan_block_2/conv1/conv2d/kernel"
    x = np.random.default_rng(0).normal(size=(1, 6, 10, 8)).astype(np.float32)
    tf_out = tf.nn.conv2d(x, variables[kernel_name], strides=1, padding="SAME").numpy()

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import convert_gansynth_checkpoint
    finally:
        sys.path.pop(0)
    out = tmp_path / "converted.safetensors"
    convert_gansynth_checkpoint.main([str(folder), "--out", str(out)])
    state = sk.load_weights(out)
    torch_out = torch.nn.functional.conv2d(torch.from_numpy(x).permute(0, 3, 1, 2),
                                           state["progressive_gan_block_2.conv1.weight"],
                                           padding=1).permute(0, 2, 3, 1).numpy()
    assert np.allclose(tf_out, torch_out, atol=1e-4)
    assert state["normalizer"].tolist() == [[pytest.approx(0.08), 1.0], [0.5, 0.0]]
