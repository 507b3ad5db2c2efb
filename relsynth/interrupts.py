"""SIGTERM handled like Ctrl-C, and clean-ups that a second signal cannot cut short.

A load into a target must end committed or undone. Python turns SIGINT into ``KeyboardInterrupt``
and every ``except``/``finally`` on the way out undoes what was written; SIGTERM would kill the
process where it stands. ``terminate_as_interrupt`` turns SIGTERM into ``Terminated`` (a
``KeyboardInterrupt``) so that it takes the same way out. ``signals_deferred`` holds both signals
back while a clean-up or a final swap runs, and delivers them when it is done.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop like Ctrl-C, undoing what is half done."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(f"stopped by signal {signal.Signals(signum).name}")


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()  # signal.signal works only there


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block SIGTERM raises ``Terminated``; the previous handler is restored after."""
    if not _main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def signals_deferred(*, reraise: bool = True) -> Iterator[list[int]]:
    """Within the block SIGINT and SIGTERM are noted, not acted on; the first is raised after.

    Yields the list of signals received so far, for a block that checks before its point of no
    return. ``reraise=False`` drops them: for a clean-up on the way out of an exception already
    raised, or work that must not be reported as stopped once it is done.
    """
    received: list[int] = []
    if not _main_thread():
        yield received
        return

    def note(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {signum: signal.signal(signum, note) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received and reraise:
        raise interrupt_for(received[0])


def interrupt_for(signum: int) -> KeyboardInterrupt:
    """The exception ``signum`` raises where it is handled like Ctrl-C."""
    return Terminated("stopped by signal SIGTERM") if signum == signal.SIGTERM else KeyboardInterrupt()
