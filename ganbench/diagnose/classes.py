"""Class histogram of the samples against the reference's.

Labels are the argmax of the Inception logits (1008-way; softmax does not move the argmax), or any
classifier's predicted labels the user supplies -- the idea behind the "number of modes" counts of
e.g. Srivastava et al. 2017 (VEEGAN) and the class-histogram checks of Santurkar et al. 2018,
"A Classification-Based Study of Covariate Shift in GAN Distributions".

Reported:
* entropy (nats) of each histogram and exp(entropy), the "effective number of classes";
* KL(gen || ref) in nats over the classes seen in either set, each count smoothed by adding
  0.5 (the Krichevsky-Trofimov / Jeffreys pseudo-count) so a class missing from one side gives a
  large but finite term;
* missing classes: in the reference, absent from the samples; significant when a class that
  common would be absent from n_gen draws with probability (1 - p_ref)^n_gen < alpha / C;
* over-/under-represented classes: two-proportion z-test (as for NDB) at alpha / C;
where C is the number of classes seen in either set (Bonferroni: 1008 tests at alpha=0.05 would
flag ~50 classes by chance).
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
from scipy.stats import norm

from ..errors import GanbenchError
from .ndb import two_proportion_z

SMOOTHING = 0.5


def labels_from_logits(logits: np.ndarray) -> np.ndarray:
    logits = np.asarray(logits)
    if logits.ndim != 2:
        raise GanbenchError(
            f"class logits must be (N, classes), got shape {logits.shape}: "
            "pass the extractor's logits or a 1-D array of labels"
        )
    return logits.argmax(1)


def _as_labels(x, what: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 2:
        return labels_from_logits(x)
    if x.ndim != 1 or len(x) == 0 or not np.issubdtype(x.dtype, np.integer) or x.min() < 0:
        raise GanbenchError(
            f"{what} must be a non-empty 1-D array of non-negative integer class "
            f"labels (or (N, classes) logits), got dtype {x.dtype} shape {x.shape}: "
            "save the classifier's argmax predictions as integers"
        )
    return x.astype(np.int64)


def _entropy(p: np.ndarray) -> float:
    nz = p > 0
    return float(-(p[nz] * np.log(p[nz])).sum()) + 0.0  # + 0.0: a single class gives 0, not -0


def class_histogram(
    gen_labels,
    ref_labels,
    n_classes: Optional[int] = None,
    *,
    alpha: float = 0.05,
    class_names: Optional[Sequence[str]] = None,
    top: int = 20,
) -> dict:
    """Compare the class histograms of samples and reference; labels or logits are accepted."""
    g = _as_labels(gen_labels, "generated labels")
    r = _as_labels(ref_labels, "reference labels")
    if n_classes is None:
        n_classes = int(max(g.max(), r.max()) + 1)
        for x in (gen_labels, ref_labels):
            if np.ndim(x) == 2:
                n_classes = max(n_classes, np.shape(x)[1])
    cg = np.bincount(g, minlength=n_classes)
    cr = np.bincount(r, minlength=n_classes)
    if len(cg) > n_classes or len(cr) > n_classes:
        raise GanbenchError(f"a label is >= n_classes={n_classes}: pass the classifier's class count")
    ng, nr = len(g), len(r)
    pg, pr = cg / ng, cr / nr
    seen = (cg + cr) > 0
    c_seen = int(seen.sum())
    a = alpha / c_seen
    sg = (cg[seen] + SMOOTHING) / (ng + SMOOTHING * c_seen)
    sr = (cr[seen] + SMOOTHING) / (nr + SMOOTHING * c_seen)

    def name(c):
        return class_names[c] if class_names is not None else str(c)

    missing = np.flatnonzero((cr > 0) & (cg == 0))
    missing = missing[np.argsort(-pr[missing], kind="stable")]
    p_absent = (1 - pr[missing]) ** ng
    z = two_proportion_z(cg, ng, cr, nr)
    crit = float(norm.ppf(1 - a / 2))
    over = np.flatnonzero(z > crit)
    under = np.flatnonzero(z < -crit)

    def rows(ix):
        return [
            {
                "class": int(c),
                "name": name(c),
                "gen": round(float(pg[c]), 6),
                "ref": round(float(pr[c]), 6),
                "z": round(float(z[c]), 3),
            }
            for c in ix
        ]

    top_ix = np.argsort(-(pg + pr), kind="stable")[:top]
    return {
        "n_classes": int(n_classes),
        "classes_seen": c_seen,
        "alpha": float(alpha),
        "alpha_per_class": float(a),
        "smoothing": SMOOTHING,
        "entropy_gen": _entropy(pg),
        "entropy_ref": _entropy(pr),
        "effective_classes_gen": float(np.exp(_entropy(pg))),
        "effective_classes_ref": float(np.exp(_entropy(pr))),
        "classes_present_gen": int((cg > 0).sum()),
        "classes_present_ref": int((cr > 0).sum()),
        "kl_gen_ref": float((sg * np.log(sg / sr)).sum()),
        "missing": [
            {
                "class": int(c),
                "name": name(c),
                "ref": round(float(pr[c]), 6),
                "p_absent_by_chance": float(p),
                "significant": bool(p < a),
            }
            for c, p in zip(missing, p_absent)
        ],
        "missing_significant": [int(c) for c, p in zip(missing, p_absent) if p < a],
        "over_represented": rows(over[np.argsort(-z[over], kind="stable")]),
        "under_represented": rows(under[np.argsort(z[under], kind="stable")]),
        "top_classes": rows(top_ix),
        "_gen_counts": cg,
        "_ref_counts": cr,
    }


def conditional_classes(
    intended,
    predicted,
    ref_true=None,
    ref_predicted=None,
    *,
    alpha: float = 0.05,
    class_names: Optional[Sequence[str]] = None,
) -> dict:
    """Which classes a conditional model drops: per class k it was asked for, the share of its samples a
    classifier assigns to k (GAN-test accuracy per class, Shmelkov et al. 2018), against that classifier's
    recall on the real images of k (its ceiling) when the reference's true labels and predictions are given,
    else against the pooled hit rate of the other classes. Dropped: significantly below (one-sided
    two-proportion z-test at alpha / C, Bonferroni over the C classes asked for)."""
    y = _as_labels(intended, "intended labels")
    p = _as_labels(predicted, "generated labels")
    if len(y) != len(p):
        raise GanbenchError(f"{len(y)} intended labels for {len(p)} predicted ones: pass one of each per sample")
    asked = np.unique(y)
    hits = np.array([(p[y == k] == k).sum() for k in asked])
    n = np.array([(y == k).sum() for k in asked])
    with_ref = ref_true is not None and ref_predicted is not None
    if with_ref:
        t, q = _as_labels(ref_true, "reference true labels"), _as_labels(ref_predicted, "reference labels")
        if len(t) != len(q):
            raise GanbenchError(f"{len(t)} true reference labels for {len(q)} predicted ones: one of each per image")
        ref_n = np.array([(t == k).sum() for k in asked])
        ref_hits = np.array([(q[t == k] == k).sum() for k in asked])
        if (ref_n == 0).any():
            missing = [int(k) for k, m in zip(asked, ref_n) if m == 0]
            raise GanbenchError(
                f"the reference has no image of class(es) {missing} the samples were made for: "
                "pass a reference with every class"
            )
    else:  # leave-one-out pool: a class is compared with how well the model follows the others
        ref_hits, ref_n = hits.sum() - hits, n.sum() - n
    rate, ceiling = hits / n, np.where(ref_n > 0, ref_hits / np.maximum(ref_n, 1), np.nan)
    z = two_proportion_z(hits, n, ref_hits, ref_n) if len(asked) else np.zeros(0)
    a = alpha / max(len(asked), 1)
    crit = float(norm.ppf(1 - a))
    rows = [
        {
            "class": int(k),
            "name": class_names[k] if class_names is not None else str(int(k)),
            "n": int(m),
            "hit_rate": round(float(r), 6),
            "ceiling": round(float(c), 6),
            "z": round(float(zz), 3),
            "dropped": bool(zz < -crit),
        }
        for k, m, r, c, zz in zip(asked, n, rate, ceiling, z)
    ]
    return {
        "classes_asked": int(len(asked)),
        "alpha": float(alpha),
        "alpha_per_class": float(a),
        "ceiling": "classifier recall on the reference's images of the class"
        if with_ref
        else "hit rate of the other classes (no reference labels given)",
        "hit_rate": float(hits.sum() / max(n.sum(), 1)),
        "per_class": rows,
        "dropped": [r["class"] for r in sorted(rows, key=lambda r: r["z"]) if r["dropped"]],
    }
