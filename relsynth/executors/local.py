"""Tasks on this machine: inline for one job, else in a pool of fresh worker processes."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from relsynth.errors import ExecutorError

T = TypeVar("T")
R = TypeVar("R")


def _context() -> multiprocessing.context.BaseContext:
    """Workers start fresh ('forkserver' where there is one, else 'spawn'), never by a plain
    fork: a fork of a process whose torch or OpenMP threads have started can deadlock."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class LocalExecutor:
    """``jobs`` tasks at once: 1 runs each in this process, in turn; more, in worker processes."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def map(self, function: Callable[[T], R], inputs: Sequence[T]) -> Iterator[R]:
        if self.jobs == 1 or len(inputs) <= 1:
            yield from map(function, inputs)
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=min(self.jobs, len(inputs)), mp_context=_context())
        futures: list[Future[R]] = [self._pool.submit(function, item) for item in inputs]
        try:
            for future in futures:
                yield future.result()
        except BrokenProcessPool as exc:
            raise ExecutorError(
                "a worker process ended abruptly: out of memory or killed, or a script that calls relsynth with "
                "jobs > 1 lacks `if __name__ == \"__main__\":` (each worker imports the main script); "
                "try jobs = 1"
            ) from exc
        finally:  # an error or an abandoned iterator: what has not started never will
            for future in futures:
                future.cancel()
