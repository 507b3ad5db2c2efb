"""Per-table generative models: learn one table's columns, optionally given its parent's row.

Glossary: a *table model* learns the non-key columns of one table; its *context* is the row of the
table's context parent that each row hangs from. Every column is discretised into integer *codes*
(``encoding``); an autoregressive network (``network``) predicts each column's codes from the
context and the previous columns; ``training`` fits and samples it; ``artifacts`` stores it as
weights plus JSON. ``network``, ``training`` and ``artifacts`` import torch; ``config`` and
``encoding`` do not, so this package imports its names on first use: reading a configuration or
encoding a column never pays for torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from relsynth.modeling.config import ModelConfig
    from relsynth.modeling.encoding import ColumnSpec
    from relsynth.modeling.training import TableModel

__all__ = ["ColumnSpec", "ModelConfig", "TableModel"]


def __getattr__(name: str) -> Any:
    if name == "ModelConfig":
        from relsynth.modeling.config import ModelConfig

        return ModelConfig
    if name == "ColumnSpec":
        from relsynth.modeling.encoding import ColumnSpec

        return ColumnSpec
    if name == "TableModel":
        from relsynth.modeling.training import TableModel

        return TableModel
    raise AttributeError(f"module 'relsynth.modeling' has no attribute {name!r}")
