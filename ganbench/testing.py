"""Quality gates inside a project's own test suite.

    from ganbench.testing import assert_no_regression

    def test_generator_quality():
        assert_no_regression("samples/", ref="reals.ganbench.npz", baseline="baseline.json",
                             max_fid_increase=1.0, min_precision=0.6)

raises AssertionError whose message is `ganbench check`'s table, one line per limit.
"""

from __future__ import annotations

from typing import Dict, Optional


def limits_from(max_fid_increase=None, max_kid_increase=None, min_precision=None, min_recall=None,
                min_coverage=None, max_increase: Optional[Dict[str, float]] = None,
                max_decrease: Optional[Dict[str, float]] = None, minimum: Optional[Dict[str, float]] = None,
                maximum: Optional[Dict[str, float]] = None) -> list:
    """The limits of `ganbench check`'s options, in the order the CLI lists them."""
    from .gates import make_limit

    out = []
    for metric, value, kind, opt in (("fid", max_fid_increase, "increase", "--max-fid-increase"),
                                     ("kid", max_kid_increase, "increase", "--max-kid-increase"),
                                     ("precision", min_precision, "min", "--min-precision"),
                                     ("recall", min_recall, "min", "--min-recall"),
                                     ("coverage", min_coverage, "min", "--min-coverage")):
        if value is not None:
            out.append(make_limit(metric, kind, value, opt))
    for pairs, kind, opt in ((max_increase, "increase", "--max-increase"), (max_decrease, "decrease", "--max-decrease"),
                             (minimum, "min", "--min"), (maximum, "max", "--max")):
        for metric, value in (pairs or {}).items():
            out.append(make_limit(metric, kind, float(value), opt))
    return out


def assert_no_regression(samples, *, ref=None, baseline=None, max_fid_increase=None, max_kid_increase=None,
                         min_precision=None, min_recall=None, min_coverage=None, max_increase=None,
                         max_decrease=None, minimum=None, maximum=None, **kwargs):
    """`ganbench check` from Python: returns the CheckResult when every limit holds, else raises
    AssertionError with the check's lines. kwargs: alpha, bootstrap, seed, weights, device, ..."""
    from .gates import check

    limits = limits_from(max_fid_increase, max_kid_increase, min_precision, min_recall, min_coverage,
                         max_increase, max_decrease, minimum, maximum)
    result = check(samples, ref, baseline, limits, **kwargs)
    if not result.passed:
        raise AssertionError("quality regression:\n" + result.table())
    return result
