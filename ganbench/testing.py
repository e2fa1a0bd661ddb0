"""Quality gates inside a project's own test suite.

    from ganbench.testing import assert_no_regression

    def test_generator_quality():
        assert_no_regression("samples/", ref="reals.ganbench.npz", baseline="baseline.json",
                             max_fid_increase=1.0, min_precision=0.6)

raises AssertionError whose message is `ganbench check`'s table, one line per limit.
"""

from __future__ import annotations


def assert_no_regression(
    samples,
    *,
    ref=None,
    baseline=None,
    max_fid_increase=None,
    max_kid_increase=None,
    min_precision=None,
    min_recall=None,
    min_coverage=None,
    max_increase=None,
    max_decrease=None,
    minimum=None,
    maximum=None,
    **kwargs,
):
    """`ganbench check` from Python: returns the CheckResult when every limit holds, else raises
    AssertionError with the check's lines. kwargs: alpha, bootstrap, seed, weights, device, ..."""
    from .gates.check import check, limits_from

    limits = limits_from(
        max_fid_increase,
        max_kid_increase,
        min_precision,
        min_recall,
        min_coverage,
        max_increase,
        max_decrease,
        minimum,
        maximum,
    )
    result = check(samples, ref, baseline, limits, **kwargs)
    if not result.passed:
        raise AssertionError("quality regression:\n" + result.table())
    return result
