"""Tasks on a Ray cluster (the ``ray`` extra): the one that ``RAY_ADDRESS`` names, else a local
one started here with ``jobs`` CPUs and stopped when done. Ray is imported only here."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from relsynth.errors import ConfigurationError

T = TypeVar("T")
R = TypeVar("R")


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigurationError("executor 'ray' needs Ray, which is not installed: pip install 'relsynth[ray]'") from None
    return ray


class RayExecutor:
    """Each task a Ray task of one CPU. Joins a running Ray (``ray.init`` already called, or the
    cluster at ``RAY_ADDRESS``); otherwise starts a local one of ``jobs`` CPUs, stopped on exit."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._ray = _ray()
        self._started = False

    def __enter__(self) -> RayExecutor:
        if not self._ray.is_initialized():
            address = os.environ.get("RAY_ADDRESS")
            options: dict[str, Any] = {"address": address} if address else {"num_cpus": self.jobs}
            self._ray.init(**options, include_dashboard=False, log_to_driver=False)
            self._started = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False

    def map(self, function: Callable[[T], R], inputs: Sequence[T]) -> Iterator[R]:
        remote = self._ray.remote(num_cpus=1, max_retries=0)(function)
        refs = [remote.remote(item) for item in inputs]
        try:
            for ref in refs:
                yield self._ray.get(ref)
        finally:
            for ref in refs:
                self._ray.cancel(ref)
