"""Dynamic batching: requests to a model whose inputs and outputs all lead with a dynamic batch dimension are
gathered, up to ``max_batch`` rows or ``max_wait`` seconds after the first, and run as one inference.

A gathered batch is padded with zero rows up to a bucket (a power of two, or ``max_batch``), so the compiled
model keeps a handful of plans (one per bucket) instead of one per total that arrivals happen to make. Only
requests whose other dimensions agree run together; the rest wait for the next batch, in arrival order. A
request larger than ``max_batch`` runs alone, unpadded."""
from __future__ import annotations

import collections
import queue
import threading
import time
from concurrent.futures import Future

import numpy as np


def batchable(compiled) -> bool:
    """Whether every input and output of ``compiled`` has a dynamic first dimension (the batch)."""
    ports = list(compiled.inputs) + list(compiled.outputs)
    return all(not p.get_partial_shape().rank_is_dynamic and len(p.get_partial_shape()) >= 1
               and not p.get_partial_shape()[0].is_static for p in ports)


def bucket(rows: int, max_batch: int) -> int:
    b = 1
    while b < rows:
        b *= 2
    return min(b, max_batch) if rows <= max_batch else rows


class _Item:
    __slots__ = ("feeds", "rows", "key", "future")

    def __init__(self, feeds: dict[str, np.ndarray]):
        self.feeds = feeds
        self.rows = next(iter(feeds.values())).shape[0]
        self.key = tuple((n, a.shape[1:], a.dtype.str) for n, a in sorted(feeds.items()))
        self.future: Future = Future()


class Batcher:
    """Runs ``infer(feeds) -> {output name: array}`` on gathered batches, on a thread of its own."""

    def __init__(self, infer, max_batch: int, max_wait: float, name: str = ""):
        self._infer, self.max_batch, self.max_wait = infer, max_batch, max_wait
        self._queue: queue.Queue = queue.Queue()
        self._pending: collections.deque = collections.deque()     # taken from the queue, not yet batched
        self._thread = threading.Thread(target=self._loop, name=f"ovcl-batcher-{name}", daemon=True)
        self._thread.start()

    def submit(self, feeds: dict[str, np.ndarray]) -> Future:
        """A Future of this request's outputs (its rows of the batch's)."""
        if len({a.shape[0] for a in feeds.values()}) != 1:
            raise ValueError("the inputs disagree on the batch size (their first dimension)")
        item = _Item(feeds)
        self._queue.put(item)
        return item.future

    def close(self) -> None:
        """Run what is queued, then stop."""
        self._queue.put(None)
        self._thread.join()

    def _next(self, timeout: float | None):
        if self._pending:
            return self._pending.popleft()
        try:
            return self._queue.get(timeout=timeout) if timeout is None or timeout > 0 else self._queue.get_nowait()
        except queue.Empty:
            return "empty"

    def _loop(self) -> None:
        closing = False
        while not (closing and not self._pending):
            first = self._next(None)
            if first is None:
                closing = True
                continue
            group, rows = [first], first.rows
            deadline = time.perf_counter() + self.max_wait
            skipped = []
            while rows < self.max_batch and not closing:
                item = self._next(deadline - time.perf_counter())
                if item == "empty":
                    break
                if item is None:
                    closing = True
                    break
                if item.key != first.key or rows + item.rows > self.max_batch:
                    skipped.append(item)        # another shape, or too many rows: the next batch
                    continue
                group.append(item)
                rows += item.rows
            self._pending.extendleft(reversed(skipped))
            self._run(group, rows)

    def _run(self, group: list[_Item], rows: int) -> None:
        size = bucket(rows, self.max_batch)
        feeds = {}
        for name in group[0].feeds:
            parts = [item.feeds[name] for item in group]
            if size > rows:
                parts.append(np.zeros((size - rows, *parts[0].shape[1:]), parts[0].dtype))
            feeds[name] = np.concatenate(parts) if len(parts) > 1 else parts[0]
        try:
            results = self._infer(feeds)
        except BaseException as e:  # noqa: BLE001 - each request of the batch gets the failure
            for item in group:
                item.future.set_exception(e)
            return
        at = 0
        for item in group:
            item.future.set_result({n: a[at:at + item.rows] for n, a in results.items()})
            at += item.rows
