"""sFID (Nash et al. 2021) as the guided-diffusion (ADM) evaluator computes it (issue 10).

The spatial features are checked against an independent tap on the layer-by-layer reference
network (a forward hook on Mixed_6d's 1x1 branch, which is the TF graph's mixed_6/conv), and the
metric against ADM's own formula (scipy sqrtm) written out here, on identical features.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from scipy import linalg

import ganbench
from ganbench.cli import cli
from ganbench.features import InceptionExtractor
from ganbench.features import resize as rs
from ganbench.features.inception import SPATIAL_DIM, InceptionV3
from ganbench.features.weights import load_state_dict, resolve_weights
from ganbench.metrics import METRICS
from ganbench.metrics.base import Features

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


def adm_frechet_distance(a: np.ndarray, b: np.ndarray, eps: float = 1e-6) -> float:
    """guided-diffusion evaluations/evaluator.py FIDStatistics.frechet_distance, on features."""
    mu1, mu2 = a.mean(0), b.mean(0)
    sigma1, sigma2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def test_spatial_features_are_mixed_6_conv_first_7_channels_in_tf_order(inception_weights, cifar_excerpt):
    images = cifar_excerpt["test_images"][:4]
    ex = InceptionExtractor(weights=inception_weights, device="cpu", spatial=True)
    pool, logits, spatial = ex(images)
    assert spatial.shape == (4, SPATIAL_DIM) == (4, 2023)
    net = InceptionV3()
    net.load_state_dict(load_state_dict(resolve_weights(inception_weights)))
    net.eval()
    seen = {}
    net.Mixed_6d.branch1x1.register_forward_hook(lambda m, i, o: seen.setdefault("t", o))
    x = rs.resize_tf_legacy(torch.from_numpy(images).permute(0, 3, 1, 2).float(), 299)
    with torch.no_grad():
        want_pool, _ = net((x - 128) / 128)
    t = seen["t"]  # (N, 192, 17, 17), after the ReLU
    assert t.shape == (4, 192, 17, 17) and float(t.min()) >= 0
    want = t[:, :7].permute(0, 2, 3, 1).reshape(4, -1).numpy()  # TF NHWC: h, w, then channel
    scale = np.abs(want).max()
    assert np.abs(spatial - want).max() / scale < 1e-4
    assert np.abs(pool - want_pool.numpy()).max() / np.abs(want_pool.numpy()).max() < 1e-4
    # asking for it changes nothing else
    pool2, logits2 = InceptionExtractor(weights=inception_weights, device="cpu")(images)
    np.testing.assert_array_equal(pool, pool2)
    np.testing.assert_array_equal(logits, logits2)


def test_sfid_equals_the_adm_formula_on_identical_features():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(600, 300))
    b = rng.normal(size=(600, 300)) @ np.diag(rng.uniform(0.5, 1.5, 300)) + 0.1
    got = METRICS.get("sfid").compute(Features(extra={"spatial": a}), Features(extra={"spatial": b}), {}).value
    want = adm_frechet_distance(a, b)
    print(f"sFID {got:.10f}, ADM formula {want:.10f}")
    assert got == pytest.approx(want, rel=1e-8)


def test_sfid_end_to_end_and_statistics_files(inception_weights, cifar_excerpt, tmp_path):
    np.save(tmp_path / "fakes.npy", cifar_excerpt["train_images"][:10])
    np.save(tmp_path / "reals.npy", cifar_excerpt["test_images"][:10])
    r = ganbench.evaluate(
        tmp_path / "fakes.npy", ref=tmp_path / "reals.npy", metrics=["fid", "sfid"], weights=inception_weights
    )
    ex = InceptionExtractor(weights=inception_weights, device="cpu", spatial=True)
    a = ex(cifar_excerpt["train_images"][:10])[2].astype(np.float64)
    b = ex(cifar_excerpt["test_images"][:10])[2].astype(np.float64)
    want = adm_frechet_distance(a, b)  # rank-deficient here: scipy's sqrtm is off by ~1e-5 at this size
    assert r["sfid"] == pytest.approx(want, rel=1e-4) and r["sfid"] != pytest.approx(r["fid"])
    assert any(w.startswith("sFID: the generated set has 10 samples") for w in r.warnings)

    def run(*args):
        return CliRunner().invoke(cli, [str(x) for x in args])

    run("stats", tmp_path / "reals.npy", "-o", tmp_path / "plain.npz", "--weights", inception_weights)
    bad = run(
        "eval",
        tmp_path / "fakes.npy",
        "--ref",
        tmp_path / "plain.npz",
        "--metrics",
        "sfid",
        "--weights",
        inception_weights,
    )
    assert bad.exit_code == 2 and "ganbench stats --spatial" in bad.stderr, bad.output
    run("stats", tmp_path / "reals.npy", "-o", tmp_path / "spatial.npz", "--spatial", "--weights", inception_weights)
    rec = ganbench.evaluate(
        tmp_path / "fakes.npy", ref=tmp_path / "spatial.npz", metrics=["sfid"], weights=inception_weights
    )
    assert rec["sfid"] == pytest.approx(r["sfid"], rel=1e-6)
