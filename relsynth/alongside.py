"""Reading alongside training: whole-table statistics that only the database can count, run by a
thread on a second connection inside the same snapshot while this thread goes on training, so
that the server's scans and the model's steps use two cores instead of taking turns.

Where the engine cannot share a snapshot (``connections.snapshot_twin``), each call runs at once,
in this thread, on the snapshot's own connection: the same results, one after another.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

from sqlalchemy.engine import Connection

from relsynth.connections import snapshot_twin

log = logging.getLogger(__name__)


class Alongside:
    """``submit(function, *args)`` calls ``function(connection, *args)``: on the snapshot's twin
    in a thread of its own, in turn; or here, at once. Leaving waits for every call and raises
    the first error; leaving on an error (or Ctrl-C) drops the calls not started and cancels the
    statement running."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._stack = ExitStack()
        self._twin: Connection | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._calls: list[Future[Any]] = []

    def __enter__(self) -> Alongside:
        self._twin = self._stack.enter_context(snapshot_twin(self.connection))
        if self._twin is not None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relsynth-alongside")
        return self

    def submit(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        if self._thread is None:
            function(self.connection, *args, **kwargs)
        else:
            self._calls.append(self._thread.submit(function, self._twin, *args, **kwargs))

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        try:
            if self._thread is not None:
                if exc_type is not None:
                    self._cancel()
                self._thread.shutdown(wait=True)
                if exc_type is None:
                    for call in self._calls:
                        call.result()  # the first error, raised here
        finally:
            self._stack.close()

    def _cancel(self) -> None:
        for call in self._calls:
            call.cancel()
        if any(call.running() for call in self._calls) and self._twin is not None:
            try:  # the driver's cancel request: the running statement stops with an error
                self._twin.connection.dbapi_connection.cancel()  # type: ignore[union-attr]
            except Exception as error:  # noqa: BLE001 - cancelling is a courtesy: leaving goes on
                log.debug("could not cancel the statement running alongside: %s", error)
