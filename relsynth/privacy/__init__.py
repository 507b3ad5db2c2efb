"""Differential privacy for a whole clone: one (epsilon, delta) per privacy unit.

Glossary: a *unit* is one row of the unit table with every row descending from it through foreign
keys; *private* tables are the unit's table and its descendants, *public* tables the rest; the
*accountant* composes every mechanism (DP-SGD, noisy counts, histograms, vocabularies) into one
epsilon. Opacus is imported only in ``relsynth.privacy.dpsgd``.
"""

from __future__ import annotations

from relsynth.privacy.config import PrivacyConfig

__all__ = ["PrivacyConfig"]
