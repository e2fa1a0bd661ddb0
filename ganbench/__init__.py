"""ganbench: evaluation and benchmarking for generative image models.

Data flow: inputs -> features -> stats -> metrics -> records (-> leaderboards).
"""

__version__ = "0.1.0"
