"""Agreement with the reference implementations on identical inputs and identical weights.

Inputs: real CIFAR-10 images from the shared excerpt; "generated" images are real ones with a
deterministic degradation, so every metric is far from its trivial value. Weights: the
random-init Inception of the exact FID architecture (tests/conftest.py), given to both sides
through the same file. Tolerances are stated next to each assertion with their reason.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganbench.features import InceptionExtractor
from ganbench.metrics import METRICS
from ganbench.metrics.base import Features

pytestmark = [pytest.mark.reference, pytest.mark.slow]

N = 200  # per side: enough for KID subsets of 100, small enough for 2 CPU cores
KID_OPTS = dict(kid_subsets=20, kid_subset_size=100)


def degrade(images: np.ndarray, seed: int = 0) -> np.ndarray:
    """A stand-in generator: blur-free but noisy and colour-shifted copies of real images."""
    rng = np.random.default_rng(seed)
    x = images.astype(np.float32) * 0.85 + 20 + rng.normal(0, 18, images.shape)
    return np.clip(x, 0, 255).astype(np.uint8)


class _UInt8Dataset(torch.utils.data.Dataset):
    def __init__(self, images):
        self.images = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.images[i]


@pytest.fixture(scope="module")
def sets(cifar_excerpt):
    gen = degrade(cifar_excerpt["train_images"][:N])
    ref = cifar_excerpt["test_images"][:N]
    return gen, ref


@pytest.fixture(scope="module")
def ours(sets, inception_weights):
    ex = InceptionExtractor(weights=inception_weights, device="cpu")
    (gp, gl), (rp, rl) = ex(sets[0]), ex(sets[1])
    return Features(gp, gl, name="gen"), Features(rp, rl, name="ref")


@pytest.fixture(scope="module")
def fidelity(sets, inception_weights):
    import torch_fidelity

    return torch_fidelity.calculate_metrics(
        input1=_UInt8Dataset(sets[0]),
        input2=_UInt8Dataset(sets[1]),
        cuda=False,
        batch_size=50,
        isc=True,
        fid=True,
        kid=True,
        prc=True,
        verbose=False,
        cache=False,
        feature_extractor="inception-v3-compat",  # its prc default is VGG16; ours is Inception pool3
        feature_extractor_weights_path=str(inception_weights),
        **KID_OPTS,
    )


def _report(what: str, ours: float, theirs: float) -> None:
    """Printed with `pytest -s`: the measured deviation behind each closing-note figure."""
    rel = abs(ours - theirs) / max(abs(theirs), 1e-300)
    print(
        f"\nagreement {what}: ganbench={ours:.10g} reference={theirs:.10g} abs={abs(ours - theirs):.3g} rel={rel:.3g}"
    )


def _metric(name, gen, ref, **opts):
    return METRICS.get(name).compute(gen, ref, {**KID_OPTS, **opts}, np.random.default_rng(0))


def test_features_equal_torch_fidelity(sets, ours, inception_weights):
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    tf = FeatureExtractorInceptionV3(
        "inception-v3-compat", ["2048", "logits_unbiased"], feature_extractor_weights_path=str(inception_weights)
    )
    x = torch.from_numpy(sets[1][:48]).permute(0, 3, 1, 2).contiguous()
    with torch.no_grad():
        pool, logits = (t.numpy() for t in tf(x))
    # BN folding and the matmul resize change float32 rounding only: 1e-4 of the largest value.
    _report("pool3 features (max abs diff / max abs)", np.abs(ours[1].pool[:48] - pool).max() / np.abs(pool).max(), 0)
    assert np.abs(ours[1].pool[:48] - pool).max() <= 1e-4 * np.abs(pool).max()
    assert np.abs(ours[1].logits[:48] - logits).max() <= 1e-4 * np.abs(logits).max()
    assert pool.std() > 0.1  # the random network is not degenerate


def test_fid_equals_torch_fidelity(ours, fidelity):
    got = _metric("fid", *ours).value
    _report("fid vs torch-fidelity", got, fidelity["frechet_inception_distance"])
    assert got == pytest.approx(fidelity["frechet_inception_distance"], rel=1e-4)
    assert got > 1.0  # degraded vs real must be clearly apart


def test_is_equals_torch_fidelity(ours, fidelity):
    got = _metric("is", *ours)
    _report("is vs torch-fidelity", got.value, fidelity["inception_score_mean"])
    # logits agree to ~1e-6 relative, and IS is smooth in them
    assert got.value == pytest.approx(fidelity["inception_score_mean"], rel=1e-4)
    assert got.std == pytest.approx(fidelity["inception_score_std"], rel=1e-3, abs=1e-6)


def test_kid_equals_torch_fidelity(ours, fidelity):
    got = _metric("kid", *ours)
    _report("kid vs torch-fidelity", got.value, fidelity["kernel_inception_distance_mean"])
    # same subsets (same RNG stream); torch-fidelity's kernels are float32, ours float64
    assert got.value == pytest.approx(fidelity["kernel_inception_distance_mean"], rel=1e-3, abs=1e-6)
    assert got.std == pytest.approx(fidelity["kernel_inception_distance_std"], rel=1e-3, abs=1e-6)
    assert got.std > 0  # subsets really differ: the estimate is not a constant


def test_precision_recall_equal_torch_fidelity(ours, fidelity):
    _report("precision vs torch-fidelity", _metric("precision", *ours).value, fidelity["precision"])
    _report("recall vs torch-fidelity", _metric("recall", *ours).value, fidelity["recall"])
    # a sample exactly on a ball boundary could flip between float32 and float64 distances: 1/N
    assert _metric("precision", *ours).value == pytest.approx(fidelity["precision"], abs=1.0 / N)
    assert _metric("recall", *ours).value == pytest.approx(fidelity["recall"], abs=1.0 / N)


def test_fid_equals_pytorch_fid_on_same_statistics(ours):
    from pytorch_fid.fid_score import calculate_frechet_distance

    from ganbench.metrics.fid import fid_from_features, frechet_distance
    from ganbench.stats import GaussianStats

    # Full rank (N=200 > d=128: the first 128 pool3 dimensions): every route is accurate.
    g, r = (GaussianStats.from_features(f.pool[:, :128]) for f in ours)
    expected = calculate_frechet_distance(g.mu, g.sigma, r.mu, r.sigma)
    _report(
        "fid vs pytorch-fid, full-rank statistics (128-d)", frechet_distance(g.mu, g.sigma, r.mu, r.sigma), expected
    )
    assert frechet_distance(g.mu, g.sigma, r.mu, r.sigma) == pytest.approx(expected, rel=1e-6)

    # Rank-deficient (N=200 < d=2048): the exact reduced-space value, our d x d route, and scipy's sqrtm.
    exact = fid_from_features(ours[0].pool, ours[1].pool)
    g, r = ours[0].gaussian(), ours[1].gaussian()
    ours_stats = frechet_distance(g.mu, g.sigma, r.mu, r.sigma)
    theirs = calculate_frechet_distance(g.mu, g.sigma, r.mu, r.sigma)
    _report("fid d x d route vs exact reduced-space value (2048-d, N=200)", ours_stats, exact)
    _report("fid exact vs pytorch-fid sqrtm (2048-d, N=200)", exact, theirs)
    assert _metric("fid", *ours).value == exact
    assert ours_stats == pytest.approx(exact, rel=5e-5)  # measured 2.4e-7 (Cholesky), 1.3e-5 (eigh fallback)
    # sqrtm of a singular product is itself off by ~1.7e-5 here (measured); a 1e-4 bound
    assert exact == pytest.approx(theirs, rel=1e-4)


def test_density_coverage_equal_prdc(ours):
    from prdc import compute_prdc

    gen, ref = ours
    expected = compute_prdc(real_features=ref.pool, fake_features=gen.pool, nearest_k=5)
    for name in ("density", "coverage"):
        _report(f"{name} vs prdc", _metric(name, gen, ref).value, expected[name])
        assert _metric(name, gen, ref).value == pytest.approx(expected[name], abs=1.0 / N), name
    # prdc's precision/recall (strict <, k=3) agree with ours (<=) up to boundary ties
    expected3 = compute_prdc(real_features=ref.pool, fake_features=gen.pool, nearest_k=3)
    assert _metric("precision", gen, ref).value == pytest.approx(expected3["precision"], abs=1.0 / N)
    assert _metric("recall", gen, ref).value == pytest.approx(expected3["recall"], abs=1.0 / N)


def test_clean_resize_fid_equals_clean_fid(tmp_path, cifar_excerpt, inception_weights):
    """`--resize clean` against clean-fid's mode="clean", with our network as its extractor."""
    from cleanfid import fid as cleanfid
    from PIL import Image

    import ganbench

    n = 60
    gen, ref = degrade(cifar_excerpt["train_images"][:n], 1), cifar_excerpt["test_images"][:n]
    for name, arr in (("gen", gen), ("ref", ref)):
        (tmp_path / name).mkdir()
        for i, im in enumerate(arr):
            Image.fromarray(im).save(tmp_path / name / f"{i:04d}.png")
    ex = InceptionExtractor(weights=inception_weights, resize="clean", device="cpu")

    class Wrapped(torch.nn.Module):  # clean-fid hands over (B,3,299,299) floats in [0,255]
        def forward(self, x):
            return ex.forward_prepared(x)[0]

    expected = cleanfid.compute_fid(
        str(tmp_path / "gen"),
        str(tmp_path / "ref"),
        mode="clean",
        custom_feat_extractor=Wrapped(),
        device=torch.device("cpu"),
        num_workers=0,
        batch_size=30,
        verbose=False,
    )
    got = ganbench.evaluate(
        tmp_path / "gen", tmp_path / "ref", ["fid"], weights=inception_weights, resize="clean", device="cpu"
    )
    _report("fid --resize clean vs clean-fid mode=clean", got["fid"], expected)
    # identical PIL resize and network; only the square root differs, and at N=60 < d clean-fid's
    # scipy sqrtm of a singular product carries ~1e-5 relative error (see the pytorch-fid test)
    assert got["fid"] == pytest.approx(expected, rel=1e-4)
    legacy = ganbench.evaluate(tmp_path / "gen", tmp_path / "ref", ["fid"], weights=inception_weights, device="cpu")
    assert abs(legacy["fid"] - got["fid"]) > 1e-3 * got["fid"]  # the two protocols really differ
