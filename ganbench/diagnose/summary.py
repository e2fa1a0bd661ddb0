"""The headline numbers of a diagnosis (`summary`, what the CLI prints and records keep) and the
warnings about how far they can be trusted."""

from __future__ import annotations


def summary(res: dict) -> dict:
    nd, bn, mem, dup, cl = res["ndb"], res["bins"], res["memorization"], res["duplicates"], res["classes"]
    s = {
        "ndb": nd["ndb"],
        "ndb_over_k": nd["ndb_over_k"],
        "ndb_expected_if_same": nd["expected_ndb_if_same"],
        "js_divergence_bits": nd["js_divergence_bits"],
        "coverage": bn["coverage"],
        "recall": bn["recall"],
        "unreached_bins": len(bn["unreached_bins"]),
        "duplicate_rate": dup["duplicate_rate"],
        "reference_duplicate_rate": dup["reference_duplicate_rate"],
        "exact_duplicate_rate": dup["exact_duplicate_rate"],
        "support_estimate": dup["support_estimate"],
        "memorised_fraction": mem["fraction_flagged"],
        "exact_copies_of_reference": mem["exact_copies"],
    }
    if cl is not None:
        s.update(
            classes_missing=len(cl["missing_significant"]),
            class_kl_gen_ref=cl["kl_gen_ref"],
            class_entropy_gen=cl["entropy_gen"],
            class_entropy_ref=cl["entropy_ref"],
        )
    cond = res.get("conditional")
    if cond is not None:
        s.update(
            class_hit_rate=cond["hit_rate"],
            classes_dropped=len(cond["dropped"]),
            dropped_classes=" ".join(map(str, cond["dropped"])) or "-",
        )
    return s


def warnings_for(res: dict, n_gen: int, n_ref: int) -> list:
    w = []
    nd = res["ndb"]
    if nd["min_expected_count"] < 5:
        w.append(
            f"some NDB bins expect fewer than 5 samples ({nd['min_expected_count']:.1f}); the z-test is "
            f"unreliable there: use a smaller --k or more samples"
        )
    if n_gen > n_ref:
        w.append(
            f"more samples ({n_gen}) than reference images ({n_ref}): the reference duplicate rate is "
            f"measured on all {n_ref} and is not a same-size comparison"
        )
    cl = res.get("classes")
    if cl is not None:
        for side, key in (("sample", "classes_present_gen"), ("reference", "classes_present_ref")):
            if cl.get(key) == 1:
                w.append(
                    f"every {side} image falls in one class ({cl['source']}): the class histogram says "
                    "nothing about mode coverage (random-init or non-official weights do this); pass "
                    "--labels/--ref-labels from a classifier of your data"
                )
    meta = res.get("meta") or {}
    if meta.get("weights_official") is False:
        w.append("features come from unofficial Inception weights: numbers are not comparable with published ones")
    return w
