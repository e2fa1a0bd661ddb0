"""Scoring without files: a generator sampled in memory (`evaluate_generator`), and images handed over
batch by batch from a training loop (`Metrics`). Both end in the engine's `evaluate`, through the same
extractors, batches and metric code as `ganbench eval`, so they give its numbers for the same images
written to a file.

    m = ganbench.Metrics(["fid", "kid"], ref="cifar10")
    for x in batches:            # NCHW uint8, or float in [-1, 1]
        m.update(x)
    result = m.compute()         # a Result, as ganbench.evaluate returns; m.reset() starts over
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import distributed
from .annotations import DeviceArg, Images, Labels, PathArg
from .defaults import DEFAULTS
from .engine import (
    _check_options,
    _extractor_weights,
    _options,
    build_extractors,
    check_train,
    evaluate,
    fit_to_outputs,
    groups_by_extractor,
    parse_metrics,
    refuse_generator_metrics,
)
from .errors import GanbenchError
from .features.pipeline import featureset_from, pick_batch_size, run_batches
from .inputs.arrays import ArraySource
from .inputs.generator import CONVERSION, GeneratorSource, as_uint8_nchw
from .metrics import METRICS
from .progress import bar
from .records import Result


def evaluate_generator(
    G: Callable[..., Any],
    ref: Images = None,
    metrics: Optional[Iterable[str]] = None,
    *,
    n: int = 50000,
    z_dim: Optional[int] = None,
    seed: int = 0,
    classes: Union[str, Sequence[int], None] = None,
    num_classes: Optional[int] = None,
    batch_size: Optional[int] = DEFAULTS["batch_size"],
    device: DeviceArg = None,
    **kwargs: Any,
) -> Optional[Result]:
    """Score n images of the generator G against `ref`, with no file written.

    G: a torch.nn.Module or any callable from latents (n, z_dim) float32, and with `classes` int64 labels
    (n,) as a second argument, to NCHW images: uint8, or float in [-1, 1] converted as StyleGAN2-ADA's
    metrics do, (x * 127.5 + 128).clamp(0, 255).to(torch.uint8) (the record says so). z_dim: default
    G.z_dim. The latents are seeded by `seed` (ganbench's counter-based streams, the same draws whatever
    `batch_size`; `ganbench sample` draws these too), so the result is reproducible. classes: "uniform" or
    a list of class ids, sampled in turn as `ganbench sample --classes` does, or "random"; the metrics
    that read classes (intra-fid) get them; num_classes: default G.num_classes. batch_size: images per
    call of G and per extraction batch (default: the extractor's). G runs on the device of its
    parameters (a callable without any: `device`). On CUDA the next batch is made while the current one
    is extracted. Under torchrun each rank makes and extracts its shard of the n images and rank 0 scores
    them (other ranks get None); pass the bare module there, not its DistributedDataParallel wrapper (the
    ranks call G different numbers of times). Every other keyword is `ganbench.engine.evaluate`'s
    (weights, kid_subset_size, ...).
    metrics=["ppl"] (alone) returns `ganbench.path_length.ppl`'s Result over n pairs instead (lpips_weights=,
    ppl_* options).
    The record's provenance.samples.generator names G (class or function, its state's sha256), n, seed,
    z_dim and the conversion; its content_sha256 is the one the same images written to a .npz get.
    """
    if kwargs.pop("num_workers", None):
        raise GanbenchError("num_workers: a generator's images are made in this process; leave num_workers out")
    for bad in ("key", "use_cache_samples"):
        if kwargs.get(bad) is not None:
            raise GanbenchError(f"{bad}= reads a file; a generator has none: leave it out")
    from .path_length import asks_ppl, ppl_of

    if asks_ppl(metrics):  # the generator's latent paths, not its samples' features
        return ppl_of(
            G,
            ref,
            n=n,
            z_dim=z_dim,
            seed=seed,
            num_classes=num_classes,
            batch_size=batch_size,
            device=device,
            engine_kwargs=kwargs,
            classes=classes,
        )
    src = GeneratorSource(G, n, z_dim, seed=seed, classes=classes, num_classes=num_classes, device=device)
    if src.labels is not None:
        kwargs.setdefault("labels", src.labels)
    return evaluate(src, ref, metrics, batch_size=batch_size, device=device, num_workers=0, **kwargs)


class Metrics:
    """Metrics of images handed over in batches of any size (a training loop's, torchmetrics-style).

    `update(images, labels=None)`: NCHW images, uint8 or float in [-1, 1] (converted as StyleGAN2-ADA's
    metrics do), on any device; their features are extracted as soon as a whole extraction batch
    (`batch_size`, default the extractor's) has come in, and only the features are kept (the last
    partial batch waits as images, so the batches, and with them the features, are exactly those of
    `ganbench eval` on the same images in one file). `compute()` scores everything so far and returns the
    Result `ganbench.evaluate` would; it can be called again after more updates. `reset()` forgets it all.

    Under torch.distributed (torchrun, DDP), each process updates with its own images; `compute()`, called
    on every process, gathers the features of all of them in rank order and every process gets the
    numbers one process fed all the images in that order would get. Keywords: `ganbench.evaluate`'s
    (weights, resize, device, use_cache for the reference, extractor, kid_subset_size, bootstrap, ...).
    """

    def __init__(
        self,
        metrics: Iterable[str] = ("fid", "kid"),
        ref: Images = None,
        *,
        weights: Optional[PathArg] = None,
        weights_for: Optional[Dict[str, PathArg]] = None,
        resize: str = DEFAULTS["resize"],
        batch_size: Optional[int] = DEFAULTS["batch_size"],
        device: DeviceArg = None,
        fast: bool = DEFAULTS["fast"],
        use_cache: bool = True,
        ref_key: Optional[str] = None,
        ref_labels: Labels = None,
        extractor: Any = None,
        train: Images = None,
        train_key: Optional[str] = None,
        train_labels: Labels = None,
        **options: Any,
    ) -> None:
        names = parse_metrics(metrics)
        refuse_generator_metrics(names)
        check_train(names, train)  # ct, fld: the training set, now rather than at the first compute()
        with warnings.catch_warnings():  # a bad option fails now, not at the first compute(); its notes come
            warnings.simplefilter("ignore")  # with each Result, as ganbench.evaluate gives them
            _check_options(names, _options(options))
        if ref is None and any(METRICS.get(m).uses_ref for m in names):
            raise GanbenchError(
                f"{', '.join(m for m in names if METRICS.get(m).uses_ref)} need a reference: pass ref=NAME|PATH"
            )
        used = build_extractors(
            groups_by_extractor(names),
            _extractor_weights(weights, weights_for),
            extractor=extractor,
            device=device,
            resize=resize,
            fast=fast,
        )
        self.names = fit_to_outputs(names, used, defaulted=False)
        self.extractors = {k: used[k] for k in groups_by_extractor(self.names)}
        self.batch = {k: pick_batch_size(ex, batch_size) for k, ex in self.extractors.items()}
        self._needs_labels = any("labels" in METRICS.get(m).needs for m in self.names)
        self._scoring = dict(
            ref=ref,
            metrics=self.names,
            extractor=self.extractors,
            resize=resize,
            batch_size=batch_size,
            device=device,
            use_cache=use_cache,
            ref_key=ref_key,
            ref_labels=ref_labels,
            fast=fast,
            train=train,
            train_key=train_key,
            train_labels=train_labels,
            **options,
        )
        self.reset()

    def reset(self) -> None:
        self.n = 0
        self._features: Dict[str, Dict[str, List[np.ndarray]]] = {
            k: {o: [] for o in ex.dims} for k, ex in self.extractors.items()
        }
        self._waiting: Dict[str, List[np.ndarray]] = {k: [] for k in self.extractors}  # each unfinished batch
        self._labels: List[np.ndarray] = []
        self._batches = 0
        self._hw: Optional[Tuple[int, ...]] = None

    def update(self, images: Any, labels: Any = None) -> None:
        """images: NCHW uint8, or float in [-1, 1] (a tensor or array); labels: (N,) class ids."""
        x = as_uint8_nchw(images, None, "Metrics.update's images").permute(0, 2, 3, 1).contiguous().cpu().numpy()
        if labels is not None:
            labels = np.asarray(labels.cpu() if hasattr(labels, "cpu") else labels).reshape(-1).astype(np.int64)
            if len(labels) != len(x):
                raise GanbenchError(f"Metrics.update: {len(labels)} labels for {len(x)} images: pass one per image")
        if self.n and (labels is None) != (not self._labels):
            raise GanbenchError(
                "Metrics.update: some batches came with labels and some without: pass labels with "
                "every batch or with none"
            )
        if self._needs_labels and labels is None:
            raise GanbenchError(
                f"{', '.join(m for m in self.names if 'labels' in METRICS.get(m).needs)} needs the "
                f"images' classes: pass update(images, labels)"
            )
        hw = x.shape[1:3]
        if self._hw not in (None, hw):
            raise GanbenchError(
                f"Metrics.update: {hw[0]}x{hw[1]} images after {self._hw[0]}x{self._hw[1]} ones: "
                f"pass images of one size"
            )
        self._hw = hw
        self.n += len(x)
        self._batches += 1
        if labels is not None:
            self._labels.append(labels)
        for k in self.extractors:
            self._waiting[k].append(x)
            held = np.concatenate(self._waiting[k])
            whole = len(held) // self.batch[k] * self.batch[k]
            if whole:
                for o, arr in self._extract(k, held[:whole]).items():
                    self._features[k][o].append(arr)
            self._waiting[k] = [held[whole:]] if whole < len(held) else []

    def _extract(self, k: str, images: np.ndarray) -> dict:
        """{output: features} of `images` through extractor k, in its batches (the pipeline's loop)."""
        ex = self.extractors[k]
        parts: Dict[str, List[np.ndarray]] = {o: [] for o in ex.dims}

        def consume(result: Sequence[np.ndarray]) -> None:
            for o, arr in zip(ex.dims, result):
                parts[o].append(arr)

        with bar(total=len(images), enabled=False) as pbar:
            run_batches(ArraySource(images), ex, range(len(images)), self.batch[k], 0, consume, pbar)
        return {o: np.concatenate(v) for o, v in parts.items()}

    def _local(self, k: str) -> dict:
        ex = self.extractors[k]
        out = {o: list(v) for o, v in self._features[k].items()}
        if self._waiting[k]:  # the unfinished batch, extracted now and not kept: a later update completes it
            for o, arr in self._extract(k, np.concatenate(self._waiting[k])).items():
                out[o].append(arr)
        return {o: np.concatenate(v) if v else np.zeros((0, ex.dims[o]), np.float32) for o, v in out.items()}

    def compute(self) -> Result:
        """The Result of every image since the last reset (on every process under torch.distributed)."""
        local = {k: self._local(k) for k in self.extractors}
        labels = np.concatenate(self._labels) if self._labels else np.zeros(0, np.int64)
        world = distributed.world_size() if distributed.init() else 1
        if world > 1:  # every rank takes part in every collective, whatever it holds
            for k, outs in local.items():
                local[k] = dict(zip(outs, distributed.all_gather_rows(list(outs.values()))))
            labels = distributed.all_gather_rows([labels])[0]
        n = len(next(iter(local.values()))["pool"])
        if not n:
            raise GanbenchError("Metrics.compute: no images yet: call update(images) first")
        if len(labels) not in (0, n):
            raise GanbenchError(
                "Metrics.compute: some processes passed labels and some did not: pass labels with "
                "every batch on every process, or with none"
            )
        source = {"kind": "stream", "count": n, "updates": self._batches, "world_size": world, "conversion": CONVERSION}
        sides = {
            k: featureset_from(outs, {**self.extractors[k].describe(), "count": n, "source": source})
            for k, outs in local.items()
        }
        result = evaluate(sides, labels=labels if len(labels) else None, **self._scoring)
        out = distributed.broadcast_object(result) if world > 1 else result
        assert out is not None  # rank 0 scored them and every rank has its Result
        return out
