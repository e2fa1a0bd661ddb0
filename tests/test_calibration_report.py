"""benchmarks/calibration.py's pieces that need no Inception: the disturbances and the report (the job itself
runs by hand, never in tests)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import calibration_report as cr  # noqa: E402
import disturbances as dist  # noqa: E402


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)


def test_disturbances_keep_shape_and_are_seeded(images):
    for kind, fn in dist.APPLY.items():
        lvl = dist.LEVELS[kind][-1]
        a = fn(images, lvl, np.random.default_rng(1))
        b = fn(images, lvl, np.random.default_rng(1))
        assert a.shape == images.shape and a.dtype == np.uint8, kind
        assert np.array_equal(a, b), kind
        assert not np.array_equal(a, images), kind


def test_disturbances_do_what_they_say(images):
    rng = np.random.default_rng(2)
    noisy = dist.gaussian_noise(np.full((2, 32, 32, 3), 128, np.uint8), 16, rng)
    assert abs(noisy.astype(float).std() - 16) < 1
    flat = np.full((1, 32, 32, 3), 77, np.uint8)
    assert np.array_equal(dist.gaussian_blur(flat, 2.0), flat)  # blur keeps a constant image
    assert np.array_equal(dist.swirl(flat, 5), flat)
    assert np.array_equal(dist.swirl(images, 0), images)
    rect = dist.black_rectangles(np.full((3, 32, 32, 3), 200, np.uint8), 1, rng)
    assert all(9 <= (im == 0).all(-1).sum() <= 100 for im in rect)  # one 3..10 x 3..10 box each
    sp = dist.salt_and_pepper(np.full((8, 32, 32, 3), 128, np.uint8), 0.2, rng)
    assert abs((sp != 128).all(-1).mean() - 0.2) < 0.03
    out = dist.outside_images(5, rng)
    assert out.shape == (5, 32, 32, 3) and out.dtype == np.uint8 and out.max() > 200


def test_clopper_pearson_and_verdicts():
    lo, hi = cr.clopper_pearson(0, 40)
    assert lo == 0 and hi == pytest.approx(1 - 0.025 ** (1 / 40))
    lo, hi = cr.clopper_pearson(2, 40)
    assert lo < 0.05 < hi
    assert cr.verdict("fid", 0.95) == "tracks" and cr.verdict("precision", 0.95) == "INVERTED"
    assert cr.verdict("recall", -1.0) == "tracks" and cr.verdict("kid", 0.1) == "BLIND"


def test_report_from_a_record(tmp_path):
    m = {k: {"value": 1.0 + i, "ci": [0.5, 2.0 + i]} for i, k in enumerate(cr.METRICS)}
    worse = {k: {"value": (3.0 if k in cr.LOWER_BETTER else 0.1), "ci": None} for k in cr.METRICS}
    record = {
        "setup": {"data": "excerpt", "args": {"n_disturb": 10}, "extractor": {"weights_official": True}},
        "floor": {"n": [10, 10], "bootstrap": 5, "metrics": m},
        "bias": {
            "draws": 2,
            "rows": [
                {"n": n, "draw": d, "fid": {"value": 50.0 / n + d, "ci": None}, "kid": {"value": 0.001 * d, "ci": None}}
                for n in (10, 20)
                for d in (0, 1)
            ],
        },
        "disturbance": {"n": 10, "ref_n": 10, "results": {"clean": m, "swirl|5": worse, "swirl|1": m}},
        "gates_fp": {
            "n_each": 10,
            "alpha": 0.05,
            "bootstrap": 10,
            "splits": [{"fid": {"differs": s == 0}, "kid": {"differs": False}} for s in range(4)],
        },
        "gates_power": {
            "n": 10,
            "n_ref": 10,
            "alpha": 0.05,
            "bootstrap": 10,
            "reps": {
                str(sg): [
                    {
                        "a": "test",
                        "fid": {"diff": sg / 2, "p": 0.5 / sg, "differs": sg > 8},
                        "kid": {"diff": 1e-4 * sg, "p": 0.9, "differs": False},
                    }
                ]
                for sg in (2, 4, 8, 16)
            },
        },
    }
    text = cr.report(record, tmp_path)
    assert "| fid | 1/4 | 0.250 |" in text and "| any of them (family-wise) | 1/4 |" in text
    assert "| swirl | 2/4 |" in text and "not measured" not in text.split("## Gates")[0]
    assert cr.COMMAND in text
    assert (tmp_path / "calibration.md").read_text() == text
    assert (tmp_path / "calibration_bias.png").stat().st_size > 0
    assert (tmp_path / "calibration_disturbance.png").stat().st_size > 0
    assert "| 16 | test | **8, p 0.031** | 0.0016, p 0.9 |" in text and "| 8 | test | 4, p 0.062 |" in text
    assert (tmp_path / "calibration_gates.png").stat().st_size > 0


def test_issue30_sections_from_a_record(tmp_path):
    """Each change in units of the real-vs-real sd, signed + = worse; sd 0 shows the raw change; the
    sample-size table's relative bias and floor shift."""
    import calibration_metrics_report as cmr

    floor = [{m: {"value": 1.0 if m == "topr" else 1.0 + (-0.1, 0.1)[i % 2]} for m in cmr.ALL} for i in range(4)]
    results = {"clean": {m: {"value": 1.0} for m in cmr.NEW}, "swirl|5": {m: {"value": 1.5} for m in cmr.NEW}}
    older = {"clean": {m: {"value": 1.0} for m in cmr.OLD}, "swirl|5": {m: {"value": 1.5} for m in cmr.OLD}}
    values = {(100, "real"): 0.1, (100, "disturbed"): 0.3, (1017, "real"): 0.05, (1017, "disturbed"): 0.25}
    rows = [
        {"n": n, "draw": d, "condition": c, "metrics": {m: {"value": values[n, c]} for m in ["fid", "kid"] + cmr.NEW}}
        for n in (100, 1017)
        for d in range(2 if n == 100 else 1)
        for c in ("real", "disturbed")
    ]
    record = {
        "disturbance": {"n": 10, "results": older},
        "metrics_disturbance": {"n": 10, "train_n": 10, "held_n": 10, "results": results, "floor": floor},
        "metrics_bias": {"disturbance": "gaussian noise|4", "draws": {"100": 2, "1017": 1}, "rows": rows},
    }
    text = "\n".join(cmr.sections(record, tmp_path))
    z = 0.5 / np.std([0.9, 1.1, 0.9, 1.1], ddof=1)  # 4.33 sd
    first = text.split("sample-size bias")[0]  # the disturbance section's rows
    row = {line.split(" | ")[0]: line for line in first.splitlines() if line.startswith("| ")}
    assert f"- / - / - / +{z:.1f}" in row["| fid"] and f"- / - / - / -{z:.1f}" in row["| vendi"]
    assert f"- / - / - / +{z:.1f}" in row["| ct"]  # ideal 0: |value| grew
    assert "- / - / - / Δ-0.5" in row["| topr"] and "topr: the same value in every" in text
    assert "| cmmd | 1017 | 0.05 | 0.25 | +20% | 0% | +25% |" in text
    for png in ("calibration_metrics_disturbance.png", "calibration_metrics_bias.png", "calibration_cmmd_fid.png"):
        assert (tmp_path / png).stat().st_size > 0
