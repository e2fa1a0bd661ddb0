"""CLIP-FID (Kynkaanniemi et al. 2023) against clean-fid's `model_name="clip_vit_b_32"` (issue 10).

Both sides load the same random-init CLIP ViT-B/32 (OpenAI state-dict layout, built by the `clip`
package clean-fid imports, stored in float16 so the file stays ~300 MB; both cast it to float32),
passed the way a user passes weights: ganbench with --weights-for clip=FILE, clean-fid through
`clip.load(FILE)` (its CLIP_fx asks for the official model by name, so the test points that
name at the file). The networks are different code: open_clip's for ganbench, OpenAI's for clean-fid.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import ganbench
from ganbench.cli import cli
from ganbench.features import clip as gclip
from ganbench.features.extractors import make_extractor

pytestmark = [pytest.mark.reference, pytest.mark.usefixtures("one_thread")]
N = 12


@pytest.fixture(scope="module")
def clip_weights(tmp_path_factory):
    import clip.model

    torch.manual_seed(0)
    model = clip.model.CLIP(
        embed_dim=512,
        image_resolution=224,
        vision_layers=12,
        vision_width=768,
        vision_patch_size=32,
        context_length=77,
        vocab_size=49408,
        transformer_width=512,
        transformer_heads=8,
        transformer_layers=12,
    )
    path = tmp_path_factory.mktemp("clip") / "random-clip-vit-b-32.pt"
    torch.save({k: v.half() for k, v in model.state_dict().items()}, path)
    return path


@pytest.fixture(scope="module")
def folders(cifar_excerpt, tmp_path_factory):
    root = tmp_path_factory.mktemp("clipdata")
    sets = {"fakes": cifar_excerpt["train_images"][:N], "reals": cifar_excerpt["test_images"][:N]}
    for name, imgs in sets.items():
        (root / name).mkdir()
        for i, im in enumerate(imgs):
            Image.fromarray(im).save(root / name / f"{i:03d}.png")
    return root, sets


@pytest.fixture
def cleanfid_clip(clip_weights, monkeypatch):
    import clip

    real = clip.load
    monkeypatch.setattr(clip, "load", lambda name, device="cpu", **kw: real(str(clip_weights), device="cpu", jit=False))


def test_preprocessing_equals_clean_fid(folders):
    from cleanfid.clip_features import img_preprocess_clip

    rng = np.random.default_rng(0)
    for shape in ((32, 32, 3), (64, 48, 3), (300, 500, 3)):
        im = rng.integers(0, 256, shape, dtype=np.uint8)
        np.testing.assert_array_equal(gclip.preprocess(im), img_preprocess_clip(im))


def test_features_and_clip_fid_equal_clean_fid(folders, clip_weights, cleanfid_clip):
    from cleanfid import fid as cfid
    from cleanfid.clip_features import CLIP_fx, img_preprocess_clip

    root, sets = folders
    ours = make_extractor("clip", weights=clip_weights, device="cpu")
    got = ours(sets["fakes"])[0]
    theirs = cfid.get_folder_features(
        str(root / "fakes"),
        CLIP_fx("ViT-B/32", device="cpu"),
        num_workers=0,
        batch_size=8,
        device=torch.device("cpu"),
        mode="clean",
        verbose=False,
        custom_fn_resize=img_preprocess_clip,
    )
    dev = np.abs(got - theirs).max() / np.abs(theirs).max()
    print(f"CLIP features: max deviation {dev:.2e} of the largest value")
    assert got.shape == (N, 512) and dev < 1e-4
    want = cfid.compute_fid(
        str(root / "fakes"),
        str(root / "reals"),
        mode="clean",
        model_name="clip_vit_b_32",
        device=torch.device("cpu"),
        num_workers=0,
        batch_size=8,
        verbose=False,
    )
    r = ganbench.evaluate(root / "fakes", ref=root / "reals", metrics=["clip-fid"], weights_for={"clip": clip_weights})
    print(f"CLIP-FID ganbench {r['clip-fid']:.8f}, clean-fid {want:.8f}")
    assert r["clip-fid"] == pytest.approx(want, rel=1e-4)
    assert any("NOT the official CLIP ViT-B/32 weights" in w for w in r.warnings)


def test_each_extractor_runs_once_and_the_record_names_both(folders, clip_weights, inception_weights, monkeypatch):
    from ganbench.features import clip as clip_module
    from ganbench.features import extractor as inception_module

    calls = {"clip": 0, "inception": 0}
    # the pipeline calls an extractor's `submit` where it has one (Inception), else the extractor itself
    for mod, key, cls, method in (
        (clip_module, "clip", "ClipExtractor", "__call__"),
        (inception_module, "inception", "InceptionExtractor", "submit"),
    ):
        real = getattr(getattr(mod, cls), method)

        def counted(self, images, _real=real, _key=key):
            calls[_key] += 1
            return _real(self, images)

        monkeypatch.setattr(getattr(mod, cls), method, counted)
    root, _ = folders
    r = CliRunner().invoke(
        cli,
        [
            "eval",
            str(root / "fakes"),
            "--ref",
            str(root / "reals"),
            "--metrics",
            "fid,clip-fid,precision",
            "--weights",
            str(inception_weights),
            "--weights-for",
            f"clip={clip_weights}",
            "--batch-size",
            str(N),
            "--json",
            "-",
        ],
    )
    assert r.exit_code == 0, r.output
    assert calls == {"clip": 2, "inception": 2}  # one batch per image set and extractor
    import json

    rec = json.loads(r.stdout)
    assert set(rec["provenance"]["extractors"]) == {"inception-v3-compat", "clip-vit-b-32"}
    assert rec["provenance"]["extractors"]["clip-vit-b-32"]["metrics"] == ["clip-fid"]
    assert set(rec["metrics"]) == {"fid", "clip-fid", "precision"}


def test_a_stats_file_of_another_feature_space_is_refused(folders, clip_weights, inception_weights, tmp_path):
    root, _ = folders
    run = CliRunner().invoke
    r = run(cli, ["stats", str(root / "reals"), "-o", str(tmp_path / "inc.npz"), "--weights", str(inception_weights)])
    assert r.exit_code == 0, r.output
    r = run(
        cli,
        [
            "eval",
            str(root / "fakes"),
            "--ref",
            str(tmp_path / "inc.npz"),
            "--metrics",
            "clip-fid",
            "--weights-for",
            f"clip={clip_weights}",
        ],
    )
    assert r.exit_code == 2 and "holds inception-v3-compat features" in r.stderr, r.output
    with np.load(tmp_path / "inc.npz") as z:  # a pytorch-fid (mu, sigma) file is Inception pool3 too
        np.savez(tmp_path / "pfid.npz", mu=z["mu"], sigma=z["sigma"])
    r = run(
        cli,
        [
            "eval",
            str(root / "fakes"),
            "--ref",
            str(tmp_path / "pfid.npz"),
            "--metrics",
            "clip-fid",
            "--weights-for",
            f"clip={clip_weights}",
        ],
    )
    assert r.exit_code == 2 and "holds inception-v3-compat features" in r.stderr, r.output
    r = run(
        cli,
        [
            "stats",
            str(root / "reals"),
            "-o",
            str(tmp_path / "clip.npz"),
            "--extractor",
            "clip",
            "--weights-for",
            f"clip={clip_weights}",
        ],
    )
    assert r.exit_code == 0, r.output
    a = ganbench.evaluate(
        root / "fakes", ref=tmp_path / "clip.npz", metrics=["clip-fid"], weights_for={"clip": clip_weights}
    )
    b = ganbench.evaluate(root / "fakes", ref=root / "reals", metrics=["clip-fid"], weights_for={"clip": clip_weights})
    assert a["clip-fid"] == pytest.approx(b["clip-fid"], rel=1e-6)
