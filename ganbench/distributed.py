"""Multi-process evaluation under torchrun: shard the inputs, gather in order, score on rank 0.

`torchrun --nproc_per_node=N -m ganbench eval SAMPLES --ref REF ...` (and multi-node torchrun)
starts N copies of the command. Each extracts the features of a contiguous slice of every
image source; rank 0 gathers them back in the original order (or, for FID alone, merges the
float64 running moments, O(d^2) per rank), computes the metrics, prints, and writes the one
record. Other ranks stay silent. Results equal a single-process run to float rounding.

The process group is set up lazily from torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK,
MASTER_ADDR, MASTER_PORT). Features travel as CPU tensors over gloo, which every torch build
has, whatever device the network runs on; a group the caller already set up is reused (with a
gloo side group when its backend cannot move CPU tensors).
"""

from __future__ import annotations

import atexit
import datetime
import os
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

_GROUP: Any = None  # the process group our collectives use (a torch ProcessGroup), once set up
_OWNED = False  # True when we called init_process_group (and so destroy it at exit)


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def env_world_size() -> int:
    return _env_int("WORLD_SIZE", 1)


def local_rank() -> int:
    return _env_int("LOCAL_RANK", 0)


def _dist():
    import torch.distributed as dist

    return dist if dist.is_available() else None


def is_enabled() -> bool:
    """True when this process is one of several (torchrun with more than one process)."""
    dist = _dist()
    if dist is not None and dist.is_initialized():
        return dist.get_world_size() > 1
    return env_world_size() > 1


def rank() -> int:
    dist = _dist()
    if dist is not None and dist.is_initialized():
        return dist.get_rank()
    return _env_int("RANK", 0) if env_world_size() > 1 else 0


def world_size() -> int:
    dist = _dist()
    if dist is not None and dist.is_initialized():
        return dist.get_world_size()
    return env_world_size()


def is_main() -> bool:
    return rank() == 0


def init_process_group(backend: str, timeout: Optional[datetime.timedelta] = None) -> None:
    """dist.init_process_group, on keys of its own for each restart of `torchrun --max-restarts`: a
    restarted group otherwise can read the addresses its dead predecessors left in the agent's store,
    and gloo then connects to closed ports (seen with torch 2.14: 'Gloo connectFullMesh failed')."""
    import torch.distributed as dist

    kw: Dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
    attempt = _env_int("TORCHELASTIC_RESTART_COUNT", 0)
    if attempt == 0:
        dist.init_process_group(backend=backend, **kw)
        return
    store, rank_, world = next(dist.rendezvous("env://", **kw))
    dist.init_process_group(
        backend=backend,
        store=dist.PrefixStore(f"/ganbench/attempt_{attempt}", store),
        rank=rank_,
        world_size=world,
        **kw,
    )


def init() -> bool:
    """Join (or set up) the process group when running under torchrun; idempotent.

    Returns True when collectives are active (more than one process).
    """
    global _GROUP, _OWNED
    if not is_enabled():
        return False
    if _GROUP is not None:
        return True
    dist = _dist()
    if dist is None:  # pragma: no cover - torch built without distributed
        from .errors import GanbenchError

        raise GanbenchError("WORLD_SIZE > 1 but this torch build has no torch.distributed: run one process")
    timeout = datetime.timedelta(seconds=_env_int("GANBENCH_DIST_TIMEOUT", 3600))
    if not dist.is_initialized():
        init_process_group("gloo", timeout)
        _OWNED = True
        atexit.register(shutdown)
        _GROUP = dist.group.WORLD
    elif dist.get_backend() == "gloo" or "gloo" in str(dist.get_backend()):
        _GROUP = dist.group.WORLD
    else:  # e.g. an NCCL-only group from the caller: a gloo side group for CPU tensors
        _GROUP = dist.new_group(backend="gloo", timeout=timeout)
    return True


def shutdown() -> None:
    global _GROUP, _OWNED
    dist = _dist()
    if _OWNED and dist is not None and dist.is_initialized():
        dist.destroy_process_group()
    _GROUP, _OWNED = None, False


def barrier() -> None:
    if init():
        _dist().barrier(group=_GROUP)


# ------------------------------------------------------------------------------ sharding
def shard_bounds(n: int, ranks: Optional[int] = None) -> List[tuple]:
    """[(start, stop)] of each rank's contiguous slice of n items; sizes differ by at most one."""
    ranks = world_size() if ranks is None else ranks
    base, extra = divmod(n, ranks)
    bounds, start = [], 0
    for r in range(ranks):
        stop = start + base + (1 if r < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


def shard(items: Sequence) -> Sequence:
    """This rank's contiguous slice of `items` (all of them outside torchrun)."""
    if not init():
        return items
    start, stop = shard_bounds(len(items))[rank()]
    return items[start:stop]


# ------------------------------------------------------------------------------ collectives
def gather_rows(arrays: Sequence[np.ndarray], n_total: int) -> Optional[List[np.ndarray]]:
    """Concatenate each rank's (n_r, ...) float32 arrays on rank 0, in rank order.

    The slices must come from `shard`, so rank order is the original order. Returns the
    full arrays on rank 0 and None elsewhere.
    """
    import torch

    dist = _dist()
    bounds = shard_bounds(n_total)
    rows = max(b - a for a, b in bounds)
    out = []
    for arr in arrays:
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        tail = arr.shape[1:]
        padded = torch.zeros((rows, *tail), dtype=torch.float32)
        padded[: len(arr)] = torch.from_numpy(arr)
        if is_main():
            bufs = [torch.empty((rows, *tail), dtype=torch.float32) for _ in bounds]
            dist.gather(padded, gather_list=bufs, dst=_global_rank(0), group=_GROUP)
            out.append(np.concatenate([b[: stop - start].numpy() for b, (start, stop) in zip(bufs, bounds)]))
        else:
            dist.gather(padded, gather_list=None, dst=_global_rank(0), group=_GROUP)
    return out if is_main() else None


def all_gather_rows(arrays: Sequence[np.ndarray]) -> List[np.ndarray]:
    """Each array concatenated over the ranks in rank order, on every rank; the ranks' row counts may
    differ (each is padded to the largest for the collective, and the padding cut off)."""
    import torch

    dist = _dist()
    gathered = [torch.zeros(1, dtype=torch.int64) for _ in range(world_size())]
    dist.all_gather(gathered, torch.tensor([len(arrays[0]) if arrays else 0]), group=_GROUP)
    counts = [int(c) for c in gathered]
    if not max(counts):  # nothing anywhere (every rank knows): no zero-size collectives
        return [np.ascontiguousarray(a) for a in arrays]
    out = []
    for arr in arrays:
        t = torch.from_numpy(np.ascontiguousarray(arr))
        padded = torch.zeros((max(counts), *t.shape[1:]), dtype=t.dtype)
        padded[: len(t)] = t
        bufs = [torch.empty_like(padded) for _ in counts]
        dist.all_gather(bufs, padded, group=_GROUP)
        out.append(np.concatenate([b[:c].numpy() for b, c in zip(bufs, counts)]))
    return out


def gather_vectors(flat: np.ndarray) -> Optional[List[np.ndarray]]:
    """Every rank's float64 vector (all of one length) on rank 0, in rank order; None on other ranks."""
    import torch

    dist = _dist()
    t = torch.from_numpy(np.ascontiguousarray(flat, dtype=np.float64))
    if not is_main():
        dist.gather(t, gather_list=None, dst=_global_rank(0), group=_GROUP)
        return None
    bufs = [torch.empty_like(t) for _ in range(world_size())]
    dist.gather(t, gather_list=bufs, dst=_global_rank(0), group=_GROUP)
    return [b.numpy() for b in bufs]


def broadcast_object(obj):
    """rank 0's `obj` on every rank."""
    if not init():
        return obj
    box = [obj]
    _dist().broadcast_object_list(box, src=_global_rank(0), group=_GROUP)
    return box[0]


def _global_rank(group_rank: int) -> int:
    dist = _dist()
    if _GROUP is None or _GROUP is dist.group.WORLD:
        return group_rank
    return dist.get_global_rank(_GROUP, group_rank)


def describe() -> dict:
    """For the provenance record."""
    return {"world_size": world_size()} if is_enabled() else {"world_size": 1}
