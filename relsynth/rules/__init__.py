"""Relational rules: discovered in the source, enforced in generation, measured in the report."""

from relsynth.rules.model import ColumnRef, Rule, RuleKind

__all__ = ["ColumnRef", "Rule", "RuleKind"]
