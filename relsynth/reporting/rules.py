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

from relsynth.connections import create_engine, read_snapshot
from relsynth.errors import driver_reason
from relsynth.rules.measure import RuleKey, measure
from relsynth.rules.model import Rule
from relsynth.rules.steering import RulesConfig, effective_rules
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
        log.warning("cannot measure the rules: %s", driver_reason(exc))
        return None


def compare(
    rules: Sequence[Rule], source: dict[RuleKey, float], clone: dict[RuleKey, float], *, margin: float
) -> tuple[RuleShare, ...]:
    return tuple(
        RuleShare(rule.describe(), rule.kind.value, str(rule.table), source.get(rule.key()), clone.get(rule.key()), margin)
        for rule in rules
    )


def measure_both(
    source_url: str, target_url: str, schema: Schema, *, rules: Sequence[Rule] | None, config: RulesConfig,
    notes: list[str],
) -> tuple[RuleShare, ...]:
    """``rules`` (the run's; None: discovered in the source as ``config`` steers them) in both databases,
    each read in a read-only snapshot of its own. A failure is a note, not a failed report."""
    source, clone = create_engine(source_url, read_only=True), create_engine(target_url, read_only=True)
    try:
        with read_snapshot(source) as connection:
            chosen = _rules_of(connection, schema, rules, config)
            source_shares = shares(connection, schema, chosen)
        clone_shares = None
        if source_shares is not None:
            with read_snapshot(clone) as connection:
                clone_shares = shares(connection, schema, chosen)
    finally:
        source.dispose()
        clone.dispose()
    if source_shares is None or clone_shares is None:
        notes.append("rules not measured: a rule's SQL failed on one of the databases (see the log)")
        return ()
    return compare(chosen, source_shares, clone_shares, margin=config.margin)


def _rules_of(connection: Connection, schema: Schema, rules: Sequence[Rule] | None, config: RulesConfig) -> tuple[Rule, ...]:
    """The run's rules, else those discovered in the source (cheap: SQL on a sample) as the config steers them."""
    if rules is not None:
        return tuple(r for r in rules if r.enabled)
    from relsynth.rules.discovery import discover

    try:
        return effective_rules(discover(connection, schema), config)
    except SQLAlchemyError as exc:
        log.warning("cannot discover the source's rules: %s", driver_reason(exc))
        return ()
