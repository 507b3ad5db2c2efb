"""How the library says how far it has got: one callback, which the CLI renders as progress bars.

The library never prints; a stage calls ``progress(stage, item, fraction)`` as each item (a
table, a report step) starts (0.0), advances and finishes (1.0).
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """``stage`` (read, train, generate, load, report), ``item`` (a table or a step), ``fraction``
    of that item done, from 0.0 to 1.0. Positional, so any three-argument callable fits."""

    def __call__(self, stage: str, item: str, fraction: float, /) -> None: ...


def no_progress(stage: str, item: str, fraction: float, /) -> None:
    """The callback used when the caller gives none."""
