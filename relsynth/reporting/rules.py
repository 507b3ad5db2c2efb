"""The report's rules section: each rule's share in the source next to its share in the clone.

A rule fails when the clone's share is more than the margin (config ``[rules] margin``) below the
source's; the count of failing rules is the ``rules_broken`` figure (``--fail-over rules_broken=0``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from relsynth.rules.measure import RuleKey, measure
from relsynth.rules.model import Rule
from relsynth.schema.elements import Schema

log = logging.getLogger(__name__)

RULE_SAMPLE_ROWS = 50_000  # as discovery's default sample: the source's share equals the discovered support


@dataclass(frozen=True)
class RuleShare:
    rule: str  # Rule.describe()
    kind: str
    table: str
    source: float | None  # share of applicable rows that obey it; None when nothing applies
    clone: float | None
    margin: float

    @property
    def broken(self) -> bool:
        """The clone keeps the rule on a share more than ``margin`` below the source's."""
        return self.source is not None and self.clone is not None and self.clone < self.source - self.margin


def shares(connection: Connection, schema: Schema, rules: Sequence[Rule]) -> dict[RuleKey, float] | None:
    """Each rule's share in one database (the same SQL on both sides); None when it cannot be measured."""
    try:
        return measure(connection, schema, rules, sample_rows=RULE_SAMPLE_ROWS)
    except SQLAlchemyError as exc:  # a report without the rules beats no report
        log.warning("cannot measure the rules: %s", str(getattr(exc, "orig", None) or exc).splitlines()[0])
        return None


def compare(
    rules: Sequence[Rule], source: dict[RuleKey, float], clone: dict[RuleKey, float], *, margin: float
) -> tuple[RuleShare, ...]:
    return tuple(
        RuleShare(rule.describe(), rule.kind.value, str(rule.table), source.get(rule.key()), clone.get(rule.key()), margin)
        for rule in rules
    )
