"""metrics -> quality gates: compare models beyond sampling noise (`compare`) and fail a CI job on a
real regression (`check`), both from one paired bootstrap (paired.py)."""

from .check import CheckResult, Limit, check, make_limit
from .compare import Comparison, compare

__all__ = ["CheckResult", "Comparison", "Limit", "check", "compare", "make_limit"]
