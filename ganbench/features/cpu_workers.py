"""CPU inference for the Inception extractor: one single-threaded worker per core (`CpuWorkers`), how
many (`cpu_workers_default`), and glibc's malloc kept from returning activation memory to the OS
(`tune_malloc`)."""

from __future__ import annotations

import os
import threading

import torch


def tune_malloc() -> None:
    """Keep freed activation memory in the process instead of returning it to the OS (glibc).

    By default glibc maps every block of more than a few MiB afresh and unmaps it on free,
    so each forward pass pays tens of thousands of page faults (and, in a VM, their exits):
    measured ~10-25% of CPU inference time here. Raising the trim threshold and padding the
    heap top lets layers reuse memory. Set GANBENCH_MALLOC_TUNING=0 to leave malloc alone.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED or os.environ.get("GANBENCH_MALLOC_TUNING", "1") == "0":
        return
    _MALLOC_TUNED = True
    try:
        import ctypes
        import platform

        if platform.system() != "Linux":
            return
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
        libc.mallopt(m_mmap_threshold, 32 * 2**20)  # glibc's maximum; fixed, so no dynamic drift
        libc.mallopt(m_trim_threshold, 1 * 2**30)
        libc.mallopt(m_top_pad, 64 * 2**20)
    except (OSError, AttributeError):  # not glibc
        pass


_MALLOC_TUNED = False


class CpuWorkers:
    """One single-threaded worker per core, each running whole forward passes on its share.

    On a few cores this scales better than splitting every layer across intra-op threads
    (no barrier after each of the ~80 operators, each core keeps its own activations in
    cache); results are identical, since every image goes through the same kernels.
    """

    _pools: dict = {}

    def __init__(self, n: int):
        from concurrent.futures import ThreadPoolExecutor

        self.n = n
        if n not in self._pools:
            before = torch.get_num_threads()
            pool = ThreadPoolExecutor(n, thread_name_prefix="ganbench-cpu", initializer=single_threaded)
            # start all n threads now (each sets its own OpenMP/MKL thread count to 1), then give
            # torch's process-wide default back, so threads created later are not affected
            barrier = threading.Barrier(n, timeout=60)
            for f in [pool.submit(barrier.wait) for _ in range(n)]:
                f.result()
            torch.set_num_threads(before)
            self._pools[n] = pool
        self.pool = self._pools[n]

    def map(self, fn, chunks):
        futures = [self.pool.submit(fn, c) for c in chunks]
        return [f.result() for f in futures]


def single_threaded() -> None:
    torch.set_num_threads(1)
    torch.get_num_threads()  # runs torch's once-per-thread lazy init now, while the default is 1


def cpu_workers_default() -> int:
    """Worker threads for CPU inference: torch's thread count (physical cores), or GANBENCH_CPU_WORKERS."""
    env = os.environ.get("GANBENCH_CPU_WORKERS")
    if env:
        return max(1, int(env))
    return max(1, torch.get_num_threads())
