"""Relational rules: discovered in the source, enforced in generation, measured in the report.

``discovery.discover`` finds them (SQL on a sample of the source), ``measure.measure`` gives each
one's share of rows in any database, ``steering.effective_rules`` applies the config's
``[[rules.rule]]`` entries and ``steering.enforced`` keeps those strong enough to enforce.
"""

from relsynth.rules.model import ColumnRef, Rule, RuleKind
from relsynth.rules.steering import RulesConfig, effective_rules, enforced

__all__ = ["ColumnRef", "Rule", "RuleKind", "RulesConfig", "effective_rules", "enforced"]
