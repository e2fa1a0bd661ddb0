"""`diagnose` on real CIFAR-10 images through the real feature pipeline (random-init Inception weights
from the `inception_weights` fixture, so nothing is downloaded)."""

from __future__ import annotations

import json

import pytest

from ganbench.diagnose import diagnose


@pytest.mark.slow
def test_diagnose_real_images_through_get_features(tmp_path, cifar_excerpt, inception_weights):
    # 140 images: Inception on CPU costs ~0.15 s of two cores per image
    ref = cifar_excerpt["train_images"][:80]
    gen = cifar_excerpt["test_images"][:60].copy()
    gen[:6] = ref[:6]  # memorised training images
    gen[54:60] = gen[30:36]  # duplicated samples
    out = tmp_path / "report"
    res = diagnose(gen, ref, out, k_bins=5, weights=inception_weights, device="cpu", batch_size=40)

    assert res["n_gen"] == 60 and res["n_ref"] == 80 and res["feature_dim"] == 2048
    mem = res["memorization"]
    # the copies went through the network in other batches: equal up to float noise, and flagged
    assert mem["n_flagged"] >= 6
    copies = {w["index"]: w for w in mem["worst"] if w["index"] < 6}
    assert set(copies) == set(range(6))
    assert all(w["ref_index"] == w["index"] and w["flagged"] for w in copies.values())
    assert max(w["distance"] for w in copies.values()) < 1e-3 * mem["median_nn_distance_real"]
    dup = res["duplicates"]
    assert dup["duplicate_rate"] >= 0.10
    assert {(p["i"], p["j"]) for p in dup["closest_pairs"][:6]} == {(i, i + 24) for i in range(30, 36)}
    assert res["classes"]["n_classes"] == 1008 and res["classes"]["source"].startswith("Inception")
    assert res["meta"]["weights_official"] is False and res["meta"]["weights_sha256"]
    assert any("unofficial" in w for w in res["warnings"])
    assert json.loads((out / "diagnostics.json").read_text()) == json.loads(json.dumps(res))
    assert (out / "index.html").read_text().count('class="thumb"') >= 24
