"""One table of defaults, shared by the Python API and the CLI (the CLI reads its defaults here)."""

DEFAULTS = {
    # inputs -> features
    "extractor": "inception-v3-compat",  # torch-fidelity's / pytorch-fid's TF-exact Inception-v3
    "resize": "tf-legacy",  # 'tf-legacy' (torch-fidelity, pytorch-fid) or 'clean' (clean-fid)
    "batch_size": None,  # None: from the device and its free memory (CPU: 8 per core; CUDA: up to 256)
    "fast": False,  # CUDA only: TF32 matmuls/convolutions; the reference protocol is plain fp32
    "device": None,  # None: CUDA when present, else CPU
    "num_workers": 0,  # image decoding processes; 0 decodes in the main process
    "weights": None,  # None: --weights, GANBENCH_INCEPTION_WEIGHTS, the cache, then the official URL
    # metrics
    "metrics": ("fid", "is", "kid", "precision", "recall", "density", "coverage"),
    "is_splits": 10,
    "is_shuffle_seed": 2020,  # torch-fidelity's default rng seed for the IS split shuffle
    "kid_subsets": 100,
    "kid_subset_size": 1000,
    "kid_degree": 3,
    "kid_coef0": 1.0,
    "kid_gamma": None,  # None: 1 / feature dimension
    "kid_seed": 2020,  # torch-fidelity's default
    "prc_k": 3,  # precision / recall, Kynkaanniemi et al. 2019
    "dc_k": 5,  # density / coverage, Naeem et al. 2020
    "bootstrap": 0,  # number of bootstrap resamples for confidence intervals; 0 = off
    "bootstrap_seed": 0,
    "confidence": 0.95,
}
