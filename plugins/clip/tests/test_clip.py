"""The clip family: conformance, embeddings, differentiable preprocessing, inputs and errors."""
from __future__ import annotations

import doctest
import warnings

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

import sketchml as sk
import sketchml_clip
from sketchml.testing import ModelConformance
from sketchml_clip import clip as clip_module
from sketchml_clip.clip import CLIP, build_tiny, save_tiny, tiny_tokens


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    """No test may reach the network or the user's caches."""
    monkeypatch.setenv("SKETCHML_OFFLINE", "1")
    monkeypatch.setenv("SKETCHML_HOME", str(tmp_path / "sketchml-home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))


class TestCLIPConformance(ModelConformance):
    plugin = sketchml_clip
    model_name = "clip"

    def encode_input(self, model):
        return torch.rand(2, 3, 32, 32)


@pytest.fixture(scope="module")
def clip():
    return _registry().load("clip", device="cpu")


def _registry() -> sk.Registry:
    registry = sk.Registry(discover=False)
    assert registry.register(sketchml_clip).status == "ok"
    return registry


def _disc(rgb, size=32):
    """A disc of colour ``rgb`` on a white background, (1, 3, size, size)."""
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    inside = ((xs - size / 2) ** 2 + (ys - size / 2) ** 2) < (size * 0.3) ** 2
    picture = torch.full((3, size, size), 0.96)
    picture[:, inside] = torch.tensor(rgb).view(3, 1)
    return picture[None]


# -- registration ---------------------------------------------------------------------

def test_registers_tiny_default_and_open_clip_checkpoints():
    entries = {e.name: e for e in _registry().entries("clip*")}
    assert "clip.tiny" in entries and entries["clip.tiny"].default
    assert entries["clip.tiny"].weights_available
    assert {"clip.ViT-B-32.openai", "clip.ViT-B-32.laion2b_s34b_b79k"} <= set(entries)
    for entry in entries.values():
        assert entry.modality == "embedding" and entry.verbs == ("encode",)


def test_registered_checkpoints_match_open_clips_own_table():
    import open_clip

    for arch, tag, hub_id in sketchml_clip.PRETRAINED:
        cfg = open_clip.get_pretrained_cfg(arch, tag)
        assert cfg, f"open_clip has no {arch} {tag}"
        assert cfg["hf_hub"].strip("/") == hub_id


def test_generate_is_refused_with_a_hint_to_guide(clip):
    with pytest.raises(sk.MissingVerbError, match=r"generate\(\).*sk\.guide"):
        clip.generate()


# -- embeddings -----------------------------------------------------------------------------

def test_embeddings_are_unit_length_unless_asked(clip):
    images = torch.rand(3, 3, 32, 32)
    image_embeddings = clip.embed_images(images)
    text_embeddings = clip.embed_texts(["a red star", "a blue circle"])
    assert image_embeddings.shape == (3, clip.embed_dim)
    assert text_embeddings.shape == (2, clip.embed_dim)
    torch.testing.assert_close(image_embeddings.norm(dim=1), torch.ones(3))
    torch.testing.assert_close(text_embeddings.norm(dim=1), torch.ones(2))
    raw = clip.embed_images(images, normalize=False)
    assert not torch.allclose(raw.norm(dim=1), torch.ones(3), atol=1e-3)
    torch.testing.assert_close(torch.nn.functional.normalize(raw, dim=-1), image_embeddings)


def test_similarity_is_the_cosine_of_the_embeddings(clip):
    images = torch.rand(2, 3, 32, 32)
    texts = ["a green square", "a yellow cross", "a pink triangle"]
    expected = clip.embed_images(images) @ clip.embed_texts(texts).T
    torch.testing.assert_close(clip.similarity(images, texts), expected)
    torch.testing.assert_close(clip.similarity(images, clip.embed_texts(texts)), expected)
    assert clip.similarity(images, texts).abs().max() <= 1 + 1e-5


def test_text_embeddings_tell_captions_apart(clip):
    texts = ["a red star", "a blue star", "a red circle", "a picture of a red star"]
    sims = clip.embed_texts(texts) @ clip.embed_texts(texts).T
    off_diagonal = sims[~torch.eye(len(texts), dtype=torch.bool)]
    assert off_diagonal.max() < 0.999
    # Two wordings of the same thing are closer than two different things.
    assert sims[0, 3] > sims[0, 1]


# -- differentiability ------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(2, 3, 32, 32), (1, 3, 70, 50)])
def test_gradients_reach_the_pixels(clip, shape):
    pixels = torch.rand(*shape, requires_grad=True)
    clip.similarity(pixels, "a red circle").sum().backward()
    assert pixels.grad is not None and pixels.grad.shape == pixels.shape
    assert torch.isfinite(pixels.grad).all() and pixels.grad.abs().sum() > 0
    assert all(p.grad is None for p in clip.network.parameters())


def test_following_the_gradient_raises_the_score(clip):
    torch.manual_seed(0)
    pixels = torch.rand(1, 3, 48, 48).requires_grad_(True)
    target = clip.embed_texts("a blue square").detach()
    before = float(clip.similarity(pixels.detach(), target))
    optimiser = torch.optim.SGD([pixels], lr=0.5)
    for _ in range(20):
        loss = -clip.similarity(pixels.clamp(0, 1), target).sum()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    after = float(clip.similarity(pixels.detach().clamp(0, 1), target))
    assert after > before + 0.1


def test_preprocess_resizes_the_short_side_and_crops_the_centre(clip):
    wide = torch.zeros(1, 3, 32, 64)
    wide[..., :, 16:48] = 1.0  # the centre half is white, the sides black
    out = clip.preprocess(wide)
    assert out.shape == (1, 3, 32, 32)
    mean = torch.tensor(clip.mean).view(1, 3, 1, 1)
    std = torch.tensor(clip.std).view(1, 3, 1, 1)
    torch.testing.assert_close(out * std + mean, torch.ones(1, 3, 32, 32), atol=1e-4, rtol=0)


def test_preprocess_agrees_with_open_clips_own_transform(small_open_clip):
    import open_clip
    from PIL import Image

    model, _ = small_open_clip
    transform = open_clip.image_transform(model.image_size, is_train=False, mean=model.mean,
                                          std=model.std)
    gradient = np.linspace(0, 255, 300, dtype=np.float32)
    rgb = np.stack([np.tile(gradient, (260, 1)), np.tile(gradient[:260, None], (1, 300)),
                    np.full((260, 300), 90.0)], axis=-1).astype(np.uint8)
    ours = model.preprocess(rgb)
    theirs = transform(Image.fromarray(rgb)).unsqueeze(0)
    assert ours.shape == theirs.shape
    assert (ours - theirs).abs().mean() < 0.02


# -- inputs ---------------------------------------------------------------------------------

def test_every_image_form_gives_the_same_embedding(clip, tmp_path):
    from PIL import Image

    pixels = (np.random.default_rng(0).random((40, 40, 3)) * 255).astype(np.uint8)
    reference = clip.embed_images(torch.from_numpy(pixels).permute(2, 0, 1).float() / 255)
    Image.fromarray(pixels).save(tmp_path / "p.png")
    forms = {
        "uint8 tensor": torch.from_numpy(pixels).permute(2, 0, 1),
        "numpy": pixels,
        "PIL": Image.fromarray(pixels),
        "path": tmp_path / "p.png",
        "sk.Images": sk.Images(torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 255),
        "RGBA numpy": np.concatenate([pixels, np.full((40, 40, 1), 255, np.uint8)], axis=-1),
    }
    for name, form in forms.items():
        torch.testing.assert_close(clip.embed_images(form), reference, atol=1e-5, rtol=0, msg=name)


def test_a_list_of_images_of_different_sizes(clip):
    a, b = torch.rand(3, 32, 32), torch.rand(3, 64, 48)
    both = clip.embed_images([a, b])
    torch.testing.assert_close(both, torch.cat([clip.embed_images(a), clip.embed_images(b)]))


# -- zero-shot classification ---------------------------------------------------------------

def test_classify_returns_labels_and_probabilities(clip):
    result = clip.classify(torch.rand(4, 3, 32, 32), ["circle", "star", "cross"])
    assert len(result) == 4 and result.candidates == ["circle", "star", "cross"]
    assert result.probabilities.shape == (4, 3)
    torch.testing.assert_close(result.probabilities.sum(dim=1), torch.ones(4))
    assert result.labels == [result.candidates[i] for i in result.indices.tolist()]
    top = result.top(2)
    assert len(top[0]) == 2 and top[0][0][1] >= top[0][1][1]


def test_classify_names_the_colour_of_a_disc(clip):
    colours = {"red": (0.86, 0.16, 0.16), "green": (0.2, 0.67, 0.27), "blue": (0.18, 0.35, 0.82),
               "yellow": (0.96, 0.84, 0.2)}
    images = torch.cat([_disc(rgb) for rgb in colours.values()])
    assert clip.classify(images, list(colours)).labels == list(colours)


def test_label_embeddings_average_the_templates(clip):
    one = clip.label_embeddings(["star"], templates=["a {}"])
    torch.testing.assert_close(one, clip.embed_texts("a star"))
    two = clip.label_embeddings(["star"], templates=["a {}", "a picture of a {}"])
    mean = clip.embed_texts(["a star", "a picture of a star"]).mean(dim=0, keepdim=True)
    torch.testing.assert_close(two, torch.nn.functional.normalize(mean, dim=-1))


def test_unknown_words_of_the_tiny_clip_are_named_once(clip):
    with pytest.warns(UserWarning, match="'lighthouse'"):
        clip.embed_texts("a lighthouse in fog")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clip.embed_texts("a lighthouse")


# -- weights ---------------------------------------------------------------------------------

def test_tiny_weights_round_trip(tmp_path):
    with torch.random.fork_rng():
        torch.manual_seed(3)
        network = build_tiny(tiny_tokens())
    path = save_tiny(network, tmp_path / "mine.safetensors", tokens=tiny_tokens())
    loaded = _registry().load("clip", weights=path, device="cpu")
    images = torch.rand(2, 3, 32, 32)
    network.eval()
    expected = torch.nn.functional.normalize(
        network.encode_image(loaded.preprocess(images)), dim=-1)
    torch.testing.assert_close(loaded.embed_images(images), expected, atol=2e-2, rtol=0)
    assert not list(tmp_path.glob(".mine*")), "save_tiny left a temporary file behind"


@pytest.fixture(scope="module")
def small_open_clip(tmp_path_factory):
    """An open_clip architecture with random weights, and its state dict saved as open_clip would."""
    model = CLIP(device="cpu", arch="ViT-S-32-alt", untrained=True)
    folder = tmp_path_factory.mktemp("open_clip")
    state = {k: v.half() for k, v in model.network.state_dict().items()}
    save_file(state, str(folder / "open_clip_model.safetensors"))
    torch.save({"epoch": 3, "state_dict": {f"module.{k}": v for k, v in state.items()}},
               folder / "epoch_3.pt")
    return model, folder


@pytest.mark.parametrize("file", ["open_clip_model.safetensors", "epoch_3.pt"])
def test_open_clip_checkpoints_load_key_for_key(small_open_clip, file):
    reference, folder = small_open_clip
    loaded = CLIP(device="cpu", arch="ViT-S-32-alt", weights=folder / file)
    images = torch.rand(1, 3, 64, 64)
    torch.testing.assert_close(loaded.embed_images(images), reference.embed_images(images), atol=2e-2, rtol=0)
    torch.testing.assert_close(loaded.embed_texts("a dog"), reference.embed_texts("a dog"),
                               atol=2e-2, rtol=0)
    assert loaded.image_size == 224 and loaded.context_length == 77


def test_registered_variant_finds_its_file_in_sketchmls_cache(small_open_clip, tmp_path,
                                                               monkeypatch):
    reference, folder = small_open_clip
    registry = sk.Registry(discover=False)
    registry.add("clip", family="sketchml_clip.clip:CLIP", modality="embedding",
                 variants={"ViT-S-32-alt.mine": {
                     "files": sketchml_clip.CHECKPOINT_FILES,
                     "options": {"arch": "ViT-S-32-alt"}}})
    home = tmp_path / "home"
    target = home / "weights" / "clip" / "ViT-S-32-alt.mine" / "open_clip_model.safetensors"
    target.parent.mkdir(parents=True)
    target.write_bytes((folder / "open_clip_model.safetensors").read_bytes())
    monkeypatch.setenv("SKETCHML_HOME", str(home))
    loaded = registry.load("clip.ViT-S-32-alt.mine", device="cpu")
    assert loaded.name == "clip.ViT-S-32-alt.mine"
    torch.testing.assert_close(loaded.embed_texts("a cat"), reference.embed_texts("a cat"),
                               atol=2e-2, rtol=0)


# -- errors ---------------------------------------------------------------------------------

def test_offline_without_weights_names_the_file_and_where_to_put_it(tmp_path):
    with pytest.raises(sk.SketchmlError) as caught:
        _registry().load("clip.ViT-B-32.openai", device="cpu")
    message = str(caught.value)
    assert "open_clip_model.safetensors" in message and "offline" in message
    assert str(tmp_path / "sketchml-home" / "weights" / "clip" / "ViT-B-32.openai") in message
    assert "weights=" in message


def test_a_file_that_is_not_a_clip_checkpoint(tmp_path):
    path = tmp_path / "not-clip.safetensors"
    save_file({"generator.weight": torch.ones(3, 3)}, str(path))
    with pytest.raises(sk.SketchmlError, match=r"not a CLIP checkpoint.*missing"):
        CLIP(device="cpu", arch="ViT-S-32-alt", weights=path)
    with pytest.raises(sk.SketchmlError, match="not a tiny CLIP file"):
        _registry().load("clip", device="cpu", weights=path)


def test_a_clip_checkpoint_of_another_size(small_open_clip, tmp_path):
    model, _ = small_open_clip
    state = {k: v.half() for k, v in model.network.state_dict().items()}
    state["positional_embedding"] = state["positional_embedding"][:64]  # a shorter context
    save_file(state, str(tmp_path / "other.safetensors"))
    with pytest.raises(sk.SketchmlError, match=r"another size: positional_embedding.*arch="):
        CLIP(device="cpu", arch="ViT-S-32-alt", weights=tmp_path / "other.safetensors")


def test_a_clip_checkpoint_of_another_architecture(tmp_path):
    path = save_tiny(build_tiny(tiny_tokens()), tmp_path / "tiny.safetensors", tokens=tiny_tokens())
    with pytest.raises(sk.SketchmlError, match="CLIP checkpoint of another architecture"):
        CLIP(device="cpu", arch="ViT-S-32-alt", weights=path)


def test_misspelt_architecture_and_tag_get_suggestions():
    with pytest.raises(sk.SketchmlError, match="[Dd]id you mean.*'ViT-B-32'"):
        CLIP(device="cpu", arch="ViT-B32", untrained=True)
    with pytest.raises(sk.SketchmlError, match="[Dd]id you mean.*'openai'"):
        CLIP(device="cpu", arch="ViT-B-32", pretrained="openia")
    with pytest.raises(sk.SketchmlError, match="arch="):
        CLIP(device="cpu", pretrained="openai")


@pytest.mark.parametrize("bad, match", [
    (42, "cannot read images from a int"),
    (torch.rand(3, 32), r"must be \(N, 3, H, W\)"),
    (np.zeros((4, 4, 5), np.uint8), r"\(H, W, 3\)"),
    ([], "empty list of images"),
    (torch.zeros(1, 3, 8, 8, dtype=torch.int64), "float in"),
])
def test_bad_images_are_explained(clip, bad, match):
    with pytest.raises(sk.SketchmlError, match=match):
        clip.embed_images(bad)


def test_bad_texts_labels_and_templates_are_explained(clip):
    with pytest.raises(sk.SketchmlError, match="empty list of texts"):
        clip.embed_texts([])
    with pytest.raises(sk.SketchmlError, match="must all be strings"):
        clip.embed_texts(["a star", 3])
    with pytest.raises(sk.SketchmlError, match="blank"):
        clip.classify(torch.rand(1, 3, 32, 32), ["star", "  "])
    with pytest.raises(sk.SketchmlError, match=r"holding '\{\}'"):
        clip.label_embeddings(["star"], templates=["a star"])


def test_docstring_examples_run():
    result = doctest.testmod(clip_module)
    assert result.attempted > 5 and result.failed == 0


# -- the model API: encode gives a Latent (issue 9) -------------------------------------------

def test_encode_gives_a_latent_of_images_or_texts(clip):
    images = torch.rand(2, 3, 32, 32)
    z = clip.encode(images)
    assert isinstance(z, sk.Latent) and z.metadata["kind"] == "image" and z.family == "clip"
    torch.testing.assert_close(z["embedding"], clip.embed_images(images))
    texts = clip.encode(["a red star", "a blue circle"])
    assert texts.metadata["kind"] == "text" and texts.metadata["texts"] == ["a red star", "a blue circle"]
    torch.testing.assert_close(texts["embedding"], clip.embed_texts(["a red star", "a blue circle"]))
    torch.testing.assert_close(clip.similarity(images, texts), z["embedding"] @ texts["embedding"].T)


def test_an_image_file_path_is_an_image_not_a_text(clip, tmp_path):
    import numpy as np
    from PIL import Image

    path = tmp_path / "red.png"
    Image.fromarray(np.full((32, 32, 3), (220, 30, 30), np.uint8)).save(path)
    assert clip.encode(str(path)).metadata["kind"] == "image"
    with pytest.warns(UserWarning, match="'png'"):  # no such file here: a caption
        assert clip.encode("red.png").metadata["kind"] == "text"


def test_old_names_still_work_and_warn(clip):
    with pytest.warns(FutureWarning, match="use encode\\(texts\\) for a Latent"):
        old = clip.encode_text("a red star")
    torch.testing.assert_close(old, clip.embed_texts("a red star"))
    with pytest.warns(FutureWarning, match="'images=' was renamed; use data="):
        z = clip.encode(images=torch.rand(1, 3, 32, 32))
    assert z["embedding"].shape == (1, clip.embed_dim)
