"""Images in batches through an extractor: decoded in worker processes when that pays (`auto_workers`),
batched (`iter_batches`), sized for the device (`pick_batch_size`), and run with the next batch on the
device while the last one is consumed (`run_batches`)."""

from __future__ import annotations

import os
from typing import Any, Iterator, Optional, Sequence, Tuple, cast


def auto_workers(source) -> int:
    from ..inputs.images import FolderSource

    if not isinstance(source, FolderSource):
        return 0  # arrays are sliced, not decoded
    cpus = os.cpu_count() or 1
    # on <= 2 CPUs both cores run the network; decoding in line costs < 5% there (a 256 px PNG: 3 ms, a 299 px
    # forward pass: ~70 ms of the two cores)
    return 0 if cpus <= 2 else min(8, cpus // 2)


class _BatchReader:
    """Picklable: decodes one batch of indices (in a worker process when num_workers > 0)."""

    def __init__(self, source, batches: Sequence[Sequence[int]]):
        self.source, self.batches = source, batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, i):
        idx = self.batches[i]
        decoded = [self.source.decode(j) for j in idx]
        return idx, [im for im, _ in decoded], [kinds for _, kinds in decoded]


def _identity(x):
    return x


def iter_batches(
    source, batch_size: int, num_workers: int = 0, indices: Optional[Sequence[int]] = None
) -> Iterator[Tuple[Sequence[int], object]]:
    """Yield (indices, images) in order; images as `ImageSource.read` returns them."""
    from ..inputs.images import _stack_or_list

    order = list(range(len(source))) if indices is None else list(indices)
    chunks = [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
    if num_workers <= 0:
        for idx in chunks:
            yield idx, source.read(idx)
        return
    import torch.utils.data as tud

    loader: tud.DataLoader[Any] = tud.DataLoader(
        cast("tud.Dataset[Any]", _BatchReader(source, chunks)),  # a map-style dataset: __len__, __getitem__
        batch_size=None,
        shuffle=False,
        num_workers=num_workers,
        collate_fn=_identity,
        prefetch_factor=4,
    )
    for idx, images, kinds in loader:
        for j, k in zip(idx, kinds):
            source.record(j, k)  # keep conversion notes complete in the parent
        yield idx, _stack_or_list(images)


def pick_batch_size(extractor, batch_size: Optional[int]) -> int:
    """The decode batch: as asked, or (None / 0) the extractor's memory-derived device batch."""
    if batch_size:
        return int(batch_size)
    return int(getattr(extractor, "preferred_batch", None) or 64)


def run_batches(source, extractor, order, batch_size: int, num_workers: int, consume, pbar) -> None:
    """Feed the `order` indices of `source` through `extractor` batch by batch, in order, calling
    consume(outputs) for each batch; with `submit`, batch k+1 is on the device while k is consumed."""
    submit = getattr(extractor, "submit", None)
    pending = None
    for idx, images in iter_batches(source, batch_size, num_workers, order):
        if submit is None:
            consume(extractor(images))
            pbar.update(len(idx))
            continue
        nxt = submit(images)
        if pending is not None:
            consume(pending[1].result())
            pbar.update(pending[0])
        pending = (len(idx), nxt)
    if pending is not None:
        consume(pending[1].result())
        pbar.update(pending[0])
