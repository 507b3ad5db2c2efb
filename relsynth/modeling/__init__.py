"""Per-table generative models: learn one table's columns, optionally given its parent's row.

Glossary: a *table model* learns the non-key columns of one table; its *context* is the row of the
table's context parent that each row hangs from. Every column is discretised into integer *codes*
(``encoding``); an autoregressive network (``network``) predicts each column's codes from the
context and the previous columns; ``training`` fits and samples it; ``artifacts`` stores it as
weights plus JSON. This package is the only place that imports torch (Opacus comes later).
"""

from __future__ import annotations

from relsynth.modeling.config import ModelConfig
from relsynth.modeling.encoding import ColumnSpec
from relsynth.modeling.training import TableModel

__all__ = ["ColumnSpec", "ModelConfig", "TableModel"]
