"""Executors: run a plan's tasks, here or elsewhere. An executor only maps a pure, picklable task
function over task inputs and yields the results in the inputs' order; a task carries its own seed,
so whichever executor runs it, and with however many workers, it returns the same result.

``local`` runs tasks in this process (one job) or in a pool of fresh processes; ``ray`` (the
``ray`` extra, imported only when asked for) on a Ray cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, TypeVar

from relsynth.config import ExecutorKind

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Runs tasks; used as a context manager, which releases its workers on exit."""

    def map(self, function: Callable[[T], R], inputs: Sequence[T]) -> Iterator[R]:
        """``function`` over ``inputs``, results in the inputs' order, each as soon as it and
        those before it are done. ``function`` must be a module-level (importable) function."""
        ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...


def executor_for(kind: ExecutorKind, *, jobs: int, preload: Sequence[str] = ()) -> Executor:
    """The executor of ``kind`` running at most ``jobs`` tasks at once (a local Ray: ``jobs``
    CPUs); ``preload``: modules a local worker imports once, before its first task."""
    if ExecutorKind(kind) is ExecutorKind.RAY:
        from relsynth.executors.ray import RayExecutor

        return RayExecutor(jobs)
    from relsynth.executors.local import LocalExecutor

    return LocalExecutor(jobs, preload=preload)
