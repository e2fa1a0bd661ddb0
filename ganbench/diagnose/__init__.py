"""Mode-collapse and memorisation diagnostics in Inception feature space (`ganbench diagnose`).

One module per diagnostic, each a pure function of numpy arrays: ndb (Richardson & Weiss 2018),
bins (per-cluster coverage / recall), classes (class histograms), duplicates (near-duplicates and
the birthday-paradox support size), memorization (nearest-training-neighbour test).  run.py ties
them to feature extraction and the HTML report (report.py, figures.py).

The functions named like their modules (``ndb.ndb``, ``duplicates.duplicates``,
``memorization.memorization``) are not re-exported here, so the modules stay reachable as
attributes of this package.
"""

from ..metrics.knn import knn
from .bins import coverage_recall_by_bin
from .classes import class_histogram, labels_from_logits
from .duplicates import close_pairs, support_estimate
from .ndb import assign, fit_bins, ndb_from_bins
from .run import diagnose, diagnose_features
from .toy import diagnose_toy

__all__ = [
    "diagnose",
    "diagnose_features",
    "diagnose_toy",
    "ndb_from_bins",
    "fit_bins",
    "assign",
    "coverage_recall_by_bin",
    "class_histogram",
    "labels_from_logits",
    "close_pairs",
    "support_estimate",
    "knn",
]
