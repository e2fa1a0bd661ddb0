"""features -> statistics: Gaussian moments (FID), accumulated in float64 while features stream."""

from .gaussian import GaussianStats, RunningMoments

__all__ = ["GaussianStats", "RunningMoments"]
