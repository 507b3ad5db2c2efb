"""SIGTERM handled like Ctrl-C within a load, and signals held back while a clean-up runs."""

from __future__ import annotations

import os
import signal

import pytest

from relsynth.interrupts import Terminated, signals_deferred, terminate_as_interrupt


def test_sigterm_raises_terminated_inside_and_the_previous_handler_comes_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated), terminate_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before
    assert issubclass(Terminated, KeyboardInterrupt)  # every Ctrl-C clean-up path catches it


def test_signals_are_held_back_then_raised_once_the_block_is_done() -> None:
    done = []
    with pytest.raises(KeyboardInterrupt), signals_deferred() as received:
        os.kill(os.getpid(), signal.SIGINT)
        done.append("the block ran to its end")
        assert received == [signal.SIGINT]
    assert done == ["the block ran to its end"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_held_back_signals_can_be_dropped_by_a_clean_up() -> None:
    with signals_deferred(reraise=False) as received:
        os.kill(os.getpid(), signal.SIGTERM)
    assert received == [signal.SIGTERM]
