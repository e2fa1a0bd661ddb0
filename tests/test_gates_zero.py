"""Metrics whose ideal is 0 (`better = "zero"`: ct's Z, fld-gap): compared, gated and ranked by |value|,
with known answers built by hand (replicates placed so the percentile intervals are exact)."""

from __future__ import annotations

import numpy as np
import pytest

from ganbench.errors import GanbenchError
from ganbench.gates.check import judge, make_limit
from ganbench.metrics import METRICS
from ganbench.metrics.base import MetricValue, abs_interval, badness, reading

B = 1001  # replicates: an odd, symmetric grid, so the bias shift is 0 and the quantiles fall on the grid


def _around(value: float, half: float) -> np.ndarray:
    """Replicates spread evenly over [value - half, value + half]: the 90% interval is value +- 0.9 half."""
    return np.linspace(value - half, value + half, B)


def _judge(limit, base: float, cand: float, half: float = 0.5, metric: str = "ct"):
    """The baseline's replicates all at its value, the candidate's spread over value +- half."""
    points = {metric: [MetricValue(base), MetricValue(cand)]}
    reps = {metric: np.stack([np.full(B, base), _around(cand, half)])}
    return judge([limit], points, reps, 0.1)[0]


def test_the_zero_direction_is_declared_on_the_metrics():
    assert {n: METRICS.get(n).better for n in ("ct", "ct-modified", "ct-test", "fld-gap", "fld", "topp")} == {
        "ct": "zero",
        "ct-modified": "zero",
        "ct-test": "zero",
        "fld-gap": "zero",
        "fld": "lower",
        "topp": "higher",
    }


def test_badness_reading_and_the_interval_of_the_absolute_value():
    x = np.array([-3.0, -0.5, 0.0, 2.0])
    assert badness("lower", x).tolist() == [-3.0, -0.5, 0.0, 2.0]
    assert badness("higher", x).tolist() == [3.0, 0.5, 0.0, -2.0]
    assert badness("zero", x).tolist() == [3.0, 0.5, 0.0, 2.0]
    assert reading("zero", x).tolist() == [3.0, 0.5, 0.0, 2.0] and reading("higher", x).tolist() == x.tolist()
    assert abs_interval(1.0, 2.0) == (1.0, 2.0)
    assert abs_interval(-3.0, -1.0) == (1.0, 3.0)
    assert abs_interval(-1.0, 2.0) == (0.0, 2.0)
    assert abs_interval(-4.0, 2.0) == (0.0, 4.0)
    with pytest.raises(ValueError, match="better='up'"):
        badness("up", x)


def test_a_change_limit_reads_the_distance_from_zero():
    lim = make_limit("ct", "increase", 1.0, "--max-increase")
    assert lim.describe() == "max |ct| increase 1"
    # -1 -> -4: |ct| grows by 3, interval [3 - 0.45, 3 + 0.45] all above 1: FAIL (the signed value fell)
    out = _judge(lim, -1.0, -4.0)
    assert not out.passed and out.diff == pytest.approx(3.0) and out.ci == pytest.approx((2.55, 3.45), abs=1e-9)
    assert out.line.startswith("FAIL |ct| 1 -> 4 (+3")
    # -4 -> +1: closer to 0 although the Z rose by 5: an improvement passes even a zero allowance
    out = _judge(make_limit("ct", "increase", 0.0, "x"), -4.0, 1.0)
    assert out.passed and out.diff == pytest.approx(-3.0)
    # +1 -> -1.2: |ct| grows by 0.2, whose interval [-0.25, 0.65] does not lie above 0: PASS (within noise)
    out = _judge(make_limit("ct", "increase", 0.0, "x"), 1.0, -1.2)
    assert out.passed and out.ci == pytest.approx((-0.25, 0.65), abs=1e-9)
    assert not _judge(make_limit("ct", "increase", 0.0, "x"), 1.0, -1.5).passed  # +0.5, [0.05, 0.95]


def test_a_max_bound_on_a_zero_metric_bounds_its_absolute_value():
    lim = make_limit("ct", "max", 3.0, "--max")
    assert lim.kind == "abs" and lim.describe() == "max |ct| 3"
    out = _judge(lim, 0.0, -5.0)  # interval of ct [-5.45, -4.55] -> |ct| in [4.55, 5.45], above 3
    assert not out.passed and out.candidate == 5.0 and out.ci == pytest.approx((4.55, 5.45), abs=1e-9)
    assert out.line.startswith("FAIL |ct| 5 (90% CI [4.55, 5.45]; must be <= 3)")
    out = _judge(lim, 0.0, -0.2, half=1.0)  # ct in [-1.1, 0.7]: |ct| in [0, 1.1]
    assert out.passed and out.ci == pytest.approx((0.0, 1.1), abs=1e-9)
    assert _judge(lim, 0.0, 3.5, half=1.0).passed  # |ct| in [2.6, 4.4]: not surely above 3
    # --min stays one-sided on the signed value: copying (Z far below 0) fails, underfitting does not
    low = make_limit("ct", "min", -3.0, "--min")
    assert low.kind == "min"
    assert not _judge(low, 0.0, -5.0).passed and _judge(low, 0.0, 5.0).passed


@pytest.mark.parametrize(
    "kind, bound, want",
    [
        ("decrease", 1.0, "ct is best at 0, so a regression raises |value|; pass --max-increase ct=1"),
        ("max", -1.0, "--max ct=-1: ct is best at 0 and --max bounds |ct|: pass V >= 0"),
    ],
)
def test_wrong_limits_on_a_zero_metric_are_one_line_errors(kind, bound, want):
    with pytest.raises(GanbenchError, match=want.replace("|", r"\|")):
        make_limit("ct", kind, bound, "--max" if kind == "max" else "--max-decrease")


def test_boards_rank_a_zero_metric_by_its_distance_from_zero():
    from ganbench.leaderboards.definition import direction, sort_reported

    rows = [{"label": k, "group": "g", "metrics": {"ct": v}} for k, v in (("a", -3.0), ("b", 0.5), ("c", 2.0))]
    rows.append({"label": "d", "group": "g", "metrics": {"ct": -0.1}})
    assert [r["label"] for r in sort_reported(rows, "ct", {})] == ["d", "b", "c", "a"]  # the registry's "zero"
    assert direction({"zero_is_best": ["z"]}, "z") == "zero" and direction({}, "z") == "lower"
    assert direction({"higher_is_better": ["ct"]}, "ct") == "higher"  # a board's own list wins
    assert [r["label"] for r in sort_reported(rows, "ct", ["ct"])] == ["c", "b", "d", "a"]


def test_a_single_models_gate_interval_is_clipped_to_the_metrics_range():
    from ganbench.gates.paired import interval, value_interval
    from ganbench.metrics import METRICS

    reps = np.random.default_rng(0).normal(0.02, 0.03, 500)  # a precision near 0: its raw interval dips below 0
    assert interval(reps, 0.02, 0.95)[0] < 0  # a difference may be negative; a precision may not
    lo, hi = value_interval("precision", reps, 0.02, 0.95)
    assert lo == 0.0 and hi == pytest.approx(interval(reps, 0.02, 0.95)[1])
    assert value_interval("precision", reps + 0.97, 0.99, 0.95)[1] == 1.0
    assert value_interval("kid", reps, 0.02, 0.95) == interval(reps, 0.02, 0.95)  # unbiased KID can be < 0
    for name, m in METRICS.items():
        lo, hi = m.bounds
        assert lo is None or hi is None or lo < hi, name
    assert METRICS.get("fid").bounds == (0.0, None) and METRICS.get("authpct").bounds == (0.0, 100.0)
