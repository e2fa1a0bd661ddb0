"""`diagnose`'s checks of its inputs, run before any feature is extracted so that a bad call fails in a
second, not after minutes: enough images for the k-NN radii and the NDB bins, labels that match."""

from __future__ import annotations

from ..defaults import DEFAULTS
from ..errors import GanbenchError
from .ndb import split_reference

K_COVERAGE = DEFAULTS["dc_k"]  # 5, Naeem et al. 2020
K_RECALL = DEFAULTS["prc_k"]  # 3, Kynkaanniemi et al. 2019


def check_counts(n_gen: int, n_ref: int) -> None:
    if n_gen < K_RECALL + 1 or n_ref < K_COVERAGE + 1:
        raise GanbenchError(
            f"need at least {K_RECALL + 1} samples and {K_COVERAGE + 1} reference images, got "
            f"{n_gen} and {n_ref}: use more images"
        )


def ndb_split(n_ref: int, k_bins: int, fit_split: float, seed: int):
    """The reference split for NDB, or a GanbenchError when too few images are left to fit K bins."""
    fit_idx, count_idx = split_reference(n_ref, fit_split, seed)
    if len(fit_idx) < k_bins:
        raise GanbenchError(
            f"NDB fits {k_bins} bins on {len(fit_idx)} reference images (fit_split={fit_split}): "
            f"pass --k {max(2, len(fit_idx) // 10)} or fewer, or a larger reference"
        )
    return fit_idx, count_idx


def classes_inputs_ok(gen_labels, ref_labels, n_gen: int, n_ref: int) -> None:
    if gen_labels is None and ref_labels is None:
        return
    if gen_labels is None or ref_labels is None:
        raise GanbenchError(
            "class labels were given for only one set: pass labels for both the samples and the reference"
        )
    for what, lab, n in (("sample", gen_labels, n_gen), ("reference", ref_labels, n_ref)):
        if len(lab) != n:
            raise GanbenchError(
                f"{len(lab)} {what} labels for {n} {what} images: pass one label per image, in the same order"
            )


def conditional_inputs_ok(intended, ref_true, gen_labels, ref_labels, n_gen: int, n_ref: int) -> None:
    if intended is None:
        if ref_true is not None:
            raise GanbenchError("--ref-true without --intended: pass the classes the samples were generated for")
        return
    if gen_labels is None:
        raise GanbenchError("--intended needs --labels: your classifier's predictions for the samples")
    if ref_true is not None and ref_labels is None:
        raise GanbenchError("--ref-true needs --ref-labels: your classifier's predictions for the reference")
    for what, lab, n in (("intended", intended, n_gen), ("reference true", ref_true, n_ref)):
        if lab is not None and len(lab) != n:
            raise GanbenchError(f"{len(lab)} {what} labels for {n} images: pass one label per image, in order")
