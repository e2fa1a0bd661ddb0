"""features -> statistics: Gaussian moments (FID) and resampling (confidence intervals)."""

from .gaussian import GaussianStats, RunningMoments

__all__ = ["GaussianStats", "RunningMoments"]
