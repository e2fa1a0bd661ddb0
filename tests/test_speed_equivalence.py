"""Every speed-up of issue 3 leaves the answer unchanged (to float rounding).

The fused network against the layer-by-layer reference, the NHWC resize against the NCHW one,
the per-core CPU workers and batch splitting against one pass, the pipelined extraction against
the plain loop, the dsyrk moments against numpy, the Cholesky trace-sqrt against eigh and
scipy's sqrtm (and never NaN or complex on singular covariances).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from ganbench.features import InceptionExtractor
from ganbench.features import extractor as ext_mod
from ganbench.features import resize as rs
from ganbench.features.inception import InceptionV3
from ganbench.features.inception_fused import FusedInceptionV3
from ganbench.features.pipeline import extract
from ganbench.features.weights import load_state_dict, resolve_weights
from ganbench.inputs.images import open_source
from ganbench.metrics.fid import _congruence_eigh, frechet_distance, trace_sqrt_product
from ganbench.stats import GaussianStats, RunningMoments


def rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.fixture(scope="module")
def images(cifar_excerpt):
    return cifar_excerpt["test_images"][:6]


@pytest.fixture(scope="module")
def reference_net(inception_weights):
    net = InceptionV3()
    net.load_state_dict(load_state_dict(resolve_weights(inception_weights)))
    return net.eval()


# ---------------------------------------------------------------------------------- network
def test_fused_network_equals_layer_by_layer_reference(reference_net, images):
    """BN folding, fused ReLUs, merged 1x1 convolutions, input scaling folded into conv 1."""
    x = rs.resize_tf_legacy(torch.from_numpy(images[:3]).permute(0, 3, 1, 2).float(), 299)
    with torch.no_grad():
        want_pool, want_logits = reference_net((x - 128) / 128)  # unfolded batch norms, NCHW
        fused = FusedInceptionV3(reference_net).eval()
        got_pool, got_logits = fused(x.contiguous(memory_format=torch.channels_last))
    assert rel(got_pool, want_pool) < 1e-5
    assert rel(got_logits, want_logits) < 1e-5
    assert want_pool.std() > 0.1


def test_nhwc_resize_equals_nchw_resize():
    rng = np.random.default_rng(0)
    for h, w in ((32, 32), (64, 48), (256, 256), (299, 299), (400, 300)):
        x = rng.integers(0, 256, (2, h, w, 3), dtype=np.uint8)
        want = rs.resize_tf_legacy(torch.from_numpy(x).permute(0, 3, 1, 2).float(), 299)
        got = rs.resize_tf_legacy_nhwc(torch.from_numpy(x), 299).permute(0, 3, 1, 2)
        assert got.shape == want.shape
        assert float((got - want).abs().max()) <= 1e-4  # pixels in [0, 255]: float32 rounding


def test_resize_matches_torch_fidelity():
    from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

    x = np.random.default_rng(1).integers(0, 256, (2, 37, 53, 3), dtype=np.uint8)
    want = interpolate_bilinear_2d_like_tensorflow1x(
        torch.from_numpy(x).permute(0, 3, 1, 2).float(), size=(299, 299), align_corners=False
    )
    got = rs.resize_tf_legacy_nhwc(torch.from_numpy(x), 299).permute(0, 3, 1, 2)
    assert float((got - want).abs().max()) <= 1e-3


def test_cpu_workers_and_batch_splits_do_not_change_features(inception_weights, images, monkeypatch):
    ex = InceptionExtractor(weights=inception_weights, device="cpu")
    pool, logits = ex(images)
    monkeypatch.setenv("GANBENCH_CPU_WORKERS", "1")
    one = InceptionExtractor(weights=inception_weights, device="cpu", max_batch=4)
    assert one.workers is None
    pool1, logits1 = one(images)
    # other batch compositions may pick other BLAS kernels: float32 rounding only
    assert rel(pool1, pool) < 1e-5 and rel(logits1, logits) < 1e-5
    # mixed sizes in one list keep their order
    mixed = [images[0], np.ascontiguousarray(images[1][:16]), images[2]]
    p_mixed, _ = ex(mixed)
    assert rel(p_mixed[[0, 2]], pool[[0, 2]]) < 1e-5
    assert rel(p_mixed[1], ex(np.ascontiguousarray(images[1:2, :16]))[0][0]) < 1e-5


def test_pipelined_extraction_equals_plain_loop(inception_weights, images):
    ex = InceptionExtractor(weights=inception_weights, device="cpu")

    class Plain:  # no `submit`: the synchronous path
        dims, describe = ex.dims, ex.describe

        def __call__(self, imgs):
            return ex(imgs)

    a = extract(open_source(images), ex, batch_size=4)
    b = extract(open_source(images), Plain(), batch_size=4)
    assert np.array_equal(a.pool, b.pool) and np.array_equal(a.logits, b.logits)
    s = extract(open_source(images), ex, batch_size=4, keep="stats")
    want = GaussianStats.from_features(a.pool)
    assert np.allclose(s.stats.sigma, want.sigma, rtol=1e-10, atol=1e-12)


def test_auto_batch_size_respects_memory(monkeypatch):
    dev = torch.device("cpu")
    monkeypatch.setattr(ext_mod, "available_memory", lambda d: 10 * 2**30)
    assert ext_mod.auto_batch_size(dev) == ext_mod.CPU_CHUNK * ext_mod.cpu_workers_default()
    monkeypatch.setattr(ext_mod, "available_memory", lambda d: 3 * ext_mod.BYTES_PER_IMAGE)
    assert ext_mod.auto_batch_size(dev) == 1
    assert ext_mod.available_memory.__call__(dev) > 0


# ------------------------------------------------------------------------------- statistics
def test_running_moments_dsyrk_blocks_equal_numpy():
    rng = np.random.default_rng(2)
    x = (rng.normal(size=(1000, 40)) * 2 + 50).astype(np.float32)
    want = np.cov(x.astype(np.float64), rowvar=False)
    for block in (1, 7, 64, 5000):
        acc = RunningMoments(40, block=block)
        for chunk in np.array_split(x, 9):
            acc.update(chunk)
        got = acc.finalize()
        assert np.allclose(got.sigma, want, rtol=1e-12, atol=1e-12), block
        assert np.array_equal(got.sigma, got.sigma.T)
        assert np.allclose(got.mu, x.astype(np.float64).mean(0), rtol=0, atol=1e-12)
    # state round trip (what torchrun ranks exchange) and merge
    a, b = RunningMoments(40, block=100), RunningMoments(40, block=33)
    a.update(x[:401])
    b.update(x[401:])
    a.merge(RunningMoments.from_state(b.state()))
    assert np.allclose(a.finalize().sigma, want, rtol=1e-11, atol=1e-11)
    assert np.allclose(GaussianStats.from_features(x).sigma, want, rtol=1e-12, atol=1e-12)


def test_s2_property_is_the_full_symmetric_sum():
    x = np.random.default_rng(3).normal(size=(50, 5))
    acc = RunningMoments(5)
    acc.update(x)
    xc = x - acc.shift
    assert np.allclose(acc.s2, xc.T @ xc)


# --------------------------------------------------------------------------------------- FID
def _spd(rng, d, n):
    a = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) / np.sqrt(d)
    return np.cov(a, rowvar=False)


def test_trace_sqrt_routes_agree_and_match_sqrtm():
    import scipy.linalg

    rng = np.random.default_rng(4)
    s1, s2 = _spd(rng, 64, 500), _spd(rng, 64, 300)
    want = np.trace(scipy.linalg.sqrtm(s1 @ s2)).real
    got = trace_sqrt_product(s1, s2)  # Cholesky route
    m = _congruence_eigh(s1, s2)
    eig_route = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    assert got == pytest.approx(want, rel=1e-10)
    assert got == pytest.approx(eig_route, rel=1e-10)


@pytest.mark.parametrize("n1,n2", [(20, 500), (500, 20), (20, 30)])
def test_rank_deficient_covariances_give_a_finite_real_fid(n1, n2):
    from pytorch_fid.fid_score import calculate_frechet_distance

    rng = np.random.default_rng(5)
    x1 = np.maximum(rng.normal(size=(n1, 64)) + 0.3, 0)
    x2 = np.maximum(rng.normal(size=(n2, 64)) * 1.2 + 0.2, 0)
    g1, g2 = GaussianStats.from_features(x1), GaussianStats.from_features(x2)
    got = frechet_distance(g1.mu, g1.sigma, g2.mu, g2.sigma)
    assert isinstance(got, float) and np.isfinite(got) and got > 0
    # exact: tr sqrt(S1 S2) = nuclear norm of X1c X2c^T / sqrt((n1-1)(n2-1))
    c1, c2 = x1 - x1.mean(0), x2 - x2.mean(0)
    nuc = np.linalg.svd(c1 @ c2.T / np.sqrt((n1 - 1) * (n2 - 1)), compute_uv=False).sum()
    d = g1.mu - g2.mu
    exact = d @ d + np.trace(g1.sigma) + np.trace(g2.sigma) - 2 * nuc
    assert got == pytest.approx(exact, rel=1e-7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert got == pytest.approx(calculate_frechet_distance(g1.mu, g1.sigma, g2.mu, g2.sigma), rel=1e-5)


def test_degenerate_covariances():
    z = np.zeros((8, 8))
    assert trace_sqrt_product(z, z) == 0.0
    eye = np.eye(8)
    assert trace_sqrt_product(eye, 4 * eye) == pytest.approx(16.0)
    # a PSD matrix whose rounding leaves tiny negative eigenvalues
    v = np.random.default_rng(6).normal(size=(8, 3))
    s = v @ v.T
    assert np.isfinite(trace_sqrt_product(s, s)) and trace_sqrt_product(s, s) == pytest.approx(np.trace(s), rel=1e-6)
