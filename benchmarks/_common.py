"""What the benchmarks share: run one method in a forked child and measure its peak memory.

A forked child starts with the parent's objects (economies built, kernels compiled) without
copying them, so a method's "extra MiB" is its own peak resident memory above what the child
had at the start, and nothing one method caches can reach the next.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

__all__ = ["Forked", "in_child"]


@dataclass(frozen=True)
class Forked(Generic[T]):
    """What ``fn`` returned in the child (``None`` if it failed), and its extra peak memory.

    ``error``: empty when ``fn`` returned; else the exception, or why the child gave no answer
    (killed at the timeout, died).
    """

    value: T | None
    extra_mib: float
    error: str

    @property
    def ok(self) -> bool:
        return not self.error


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _child(fn: Callable[[], Any], q: mp.Queue) -> None:  # type: ignore[type-arg]
    base = _rss_mib()
    try:
        value = fn()
    except Exception as exc:  # report, don't crash the table
        q.put((None, float("nan"), f"{type(exc).__name__}: {exc}"))
        return
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    q.put((value, max(peak - base, 0.0), ""))


def in_child(fn: Callable[[], T], timeout: float | None = None) -> Forked[T]:
    """Run ``fn`` in a forked child; kill it after ``timeout`` seconds (``None``: no limit)."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(fn, q), daemon=True)
    started = time.monotonic()
    p.start()
    while True:
        try:
            value, mib, err = q.get(timeout=1.0)
            break
        except queue.Empty:
            if not p.is_alive():
                p.join()
                try:  # it may have answered just before it ended
                    value, mib, err = q.get(timeout=1.0)
                    break
                except queue.Empty:  # died without a word (e.g. killed for memory)
                    return Forked(None, float("nan"), f"child died (exit code {p.exitcode})")
            if timeout is not None and time.monotonic() - started > timeout:
                p.kill()
                p.join()
                return Forked(None, float("nan"), f"killed after {timeout:g} s")
    p.join()
    return Forked(value, mib, err)
