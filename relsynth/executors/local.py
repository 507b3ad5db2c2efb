"""Tasks on this machine: inline for one job, else in a pool of fresh worker processes."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from relsynth.errors import ExecutorError

T = TypeVar("T")
R = TypeVar("R")


def _context(preload: Sequence[str]) -> multiprocessing.context.BaseContext:
    """Workers start fresh ('forkserver' where there is one, else 'spawn'), never by a plain
    fork: a fork of a process whose torch or OpenMP threads have started can deadlock. The fork
    server imports ``preload`` once, before any thread starts, so that each worker forked from
    it starts without importing torch again."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))  # read when the server starts: the first pool's
    return context


class LocalExecutor:
    """``jobs`` tasks at once: 1 runs each in this process, in turn; more, in worker processes
    (``preload``: modules the workers import before their first task)."""

    def __init__(self, jobs: int, *, preload: Sequence[str] = ()) -> None:
        self.jobs = jobs
        self.preload = tuple(preload)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> LocalExecutor:
        if self.jobs > 1:  # start the workers now, while the caller prepares their tasks
            self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=_context(self.preload))
            for _ in range(self.jobs):
                self._pool.submit(os.getpid)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if self._pool is None:
            return
        if exc_type is not None:  # an error, Ctrl-C or SIGTERM: the tasks still running are of no use
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None

    def map(self, function: Callable[[T], R], inputs: Sequence[T]) -> Iterator[R]:
        if self.jobs == 1 or len(inputs) <= 1:
            yield from map(function, inputs)
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=min(self.jobs, len(inputs)), mp_context=_context(self.preload))
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
