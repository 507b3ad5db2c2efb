"""The share of rows that obey each rule, in any database: the source, or a clone.

One definition everywhere: a rule's share is the share of the rows where its inputs are not NULL
that obey it. Rows are a table's rows for checks on one row (equal, order, formula, category,
dependency), parent rows for aggregates, and sibling groups (``number``) or rows after a sibling
(``time``) for sequences. Discovery calls the same functions on a sample of the source.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from relsynth.rules.expressions import (
    Check,
    aggregate_value,
    as_number,
    child_join,
    close,
    column_type,
    foreign_key,
    plain_table,
    row_check,
    row_frame,
    sample,
)
from relsynth.rules.model import ColumnRef, Rule, RuleKind
from relsynth.schema.elements import Schema, Table

RuleKey = tuple[str, str, str, str, tuple[str, ...], str, tuple[str, ...]]  # Rule.key()
ROW_KINDS = frozenset({RuleKind.EQUAL, RuleKind.ORDER, RuleKind.FORMULA, RuleKind.CATEGORY})
CHECKS_PER_QUERY = 150  # two result columns each: well inside every engine's select-list limit


def measure(
    connection: Connection, schema: Schema, rules: Iterable[Rule], *, sample_rows: int | None = None
) -> dict[RuleKey, float]:
    """Each rule's share (see the module docstring), by ``Rule.key()``.

    ``sample_rows`` limits each table (and each parent table) to its first rows; None reads all.
    A rule with no applicable row, or one that names a table or column ``schema`` lacks, is
    left out: there is nothing to measure.
    """
    counts = measure_counts(connection, schema, rules, sample_rows=sample_rows)
    return {key: obeying / applicable for key, (obeying, applicable) in counts.items() if applicable > 0}


def measure_counts(
    connection: Connection, schema: Schema, rules: Iterable[Rule], *, sample_rows: int | None
) -> dict[RuleKey, tuple[int, int]]:
    """(obeying, applicable) per rule key, rules grouped so that one query measures many."""
    parents = _ParentSampler(connection, schema, sample_rows)
    row_rules: dict[str, list[Rule]] = defaultdict(list)
    aggregates: dict[tuple, list[Rule]] = defaultdict(list)
    sequences: dict[tuple, list[Rule]] = defaultdict(list)
    out: dict[RuleKey, tuple[int, int]] = {}
    for rule in dict.fromkeys(r for r in rules if _measurable(schema, r)):
        if rule.kind in ROW_KINDS:
            row_rules[str(rule.table)].append(rule)
        elif rule.kind is RuleKind.AGGREGATE:
            aggregates[(str(rule.table), str(rule.child), rule.via)].append(rule)
        elif rule.kind is RuleKind.SEQUENCE:
            sequences[(str(rule.table), rule.via, rule.op)].append(rule)
        elif rule.kind is RuleKind.DEPENDENCY:
            out[rule.key()] = _dependency(connection, schema, rule, sample_rows)
    for group in row_rules.values():
        for start in range(0, len(group), CHECKS_PER_QUERY):
            out.update(_row_rules(connection, schema, group[start:start + CHECKS_PER_QUERY], sample_rows))
    for group in sequences.values():
        out.update(_sequences(connection, schema, group, parents))
    for group in aggregates.values():
        for start in range(0, len(group), CHECKS_PER_QUERY):
            out.update(_aggregates(connection, schema, group[start:start + CHECKS_PER_QUERY], parents))
    return out


def _measurable(schema: Schema, rule: Rule) -> bool:
    """The rule's tables, columns and foreign keys all exist in ``schema``."""
    try:
        table = schema.table(rule.table)
        table.column(rule.column)
        if rule.kind is RuleKind.AGGREGATE:
            child = schema.table(rule.child)  # type: ignore[arg-type]
            foreign_key(child, rule.via)
            for name in rule.inputs:
                child.column(name)
            return True
        if rule.kind is RuleKind.SEQUENCE:
            foreign_key(table, rule.via)
        for reference in rule.inputs:
            column_type(schema, table, reference)
        return True
    except KeyError:
        return False


def _tally(connection: Connection, frame: sa.FromClause, checks: Sequence[Check]) -> list[tuple[int, int]]:
    """One query: for each check, the rows that obey it and the rows it applies to."""
    columns = []
    for check in checks:
        columns.append(sa.func.sum(sa.case((sa.and_(check.applicable, check.obeys), 1), else_=0)))
        columns.append(sa.func.sum(sa.case((check.applicable, 1), else_=0)))
    row = connection.execute(sa.select(*columns).select_from(frame)).one()
    return [(int(row[i] or 0), int(row[i + 1] or 0)) for i in range(0, len(row), 2)]


def _row_rules(connection: Connection, schema: Schema, rules: Sequence[Rule], rows: int | None) -> dict:
    table = schema.table(rules[0].table)
    vias = {ColumnRef.parse(i).via for rule in rules for i in rule.inputs} - {()}
    frame, resolve = row_frame(schema, table, rows, vias)
    dialect = connection.dialect.name
    checks = [row_check(rule, resolve, table.column(rule.column).type, dialect) for rule in rules]
    return {rule.key(): counts for rule, counts in zip(rules, _tally(connection, frame, checks), strict=True)}


class _ParentSampler:
    """Parent samples for checks on groups of children: as many parents as have about
    ``sample_rows`` children between them, so that a parent with many children costs no more."""

    def __init__(self, connection: Connection, schema: Schema, sample_rows: int | None) -> None:
        self.connection, self.schema, self.sample_rows = connection, schema, sample_rows
        self.counts: dict[str, int] = {}

    def _rows(self, table: Table) -> int:
        label = str(table.name)
        if label not in self.counts:
            self.counts[label] = int(self.connection.execute(sa.select(sa.func.count()).select_from(plain_table(table))).scalar_one())
        return self.counts[label]

    def sample(self, parent: Table, child: Table) -> sa.Subquery:
        if self.sample_rows is None:
            return sample(parent, None)
        per_parent = self._rows(child) / max(1, self._rows(parent))
        return sample(parent, max(1, int(self.sample_rows / max(1.0, per_parent))))


def _aggregates(connection: Connection, schema: Schema, rules: Sequence[Rule], sampler: _ParentSampler) -> dict:
    """Parents (a sample) joined to their children's aggregates; a parent without children has sum and count 0."""
    first = rules[0]
    parent, child = schema.table(first.table), schema.table(first.child)  # type: ignore[arg-type]
    parents = sampler.sample(parent, child)
    join, children = child_join(child, first.via, parents)
    keys = [children.c[c].label(f"k{i}") for i, c in enumerate(first.via)]
    values = [aggregate_value(rule, children).label(f"a{i}") for i, rule in enumerate(rules)]
    grouped = sa.select(*keys, *values).select_from(join).group_by(*(children.c[c] for c in first.via)).subquery()
    fk = foreign_key(child, first.via)
    on = sa.and_(*(parents.c[r] == grouped.c[f"k{i}"] for i, r in enumerate(fk.referred_columns)))
    frame = parents.outerjoin(grouped, on)
    checks = []
    for i, rule in enumerate(rules):
        x, value = parents.c[rule.column], grouped.c[f"a{i}"]
        applicable = x.is_not(None)
        if rule.op in ("sum", "count"):
            value = sa.func.coalesce(value, 0)
        else:
            applicable = sa.and_(applicable, value.is_not(None))
        checks.append(Check(applicable, close(as_number(x), value, parent.column(rule.column).type)))
    return {rule.key(): counts for rule, counts in zip(rules, _tally(connection, frame, checks), strict=True)}


def _sequences(connection: Connection, schema: Schema, rules: Sequence[Rule], sampler: _ParentSampler) -> dict:
    """``number``: sibling groups numbered exactly 1..k; ``time``: rows not before their previous sibling.

    ``rules`` share the child table, the FK and the op: one query measures them all.
    """
    first = rules[0]
    child = schema.table(first.table)
    parents = sampler.sample(schema.table(foreign_key(child, first.via).referred_table), child)
    join, children = child_join(child, first.via, parents)
    group = [children.c[c] for c in first.via]
    if first.op == "number":
        columns = [sa.func.count().label("size")]
        for i, rule in enumerate(rules):
            value = children.c[rule.column]
            columns += [sa.func.min(value).label(f"lo{i}"), sa.func.max(value).label(f"hi{i}"),
                        sa.func.count(sa.distinct(value)).label(f"distinct{i}"), sa.func.count(value).label(f"filled{i}")]
        stats = sa.select(*columns).select_from(join).group_by(*group).subquery()
        checks = [
            Check(stats.c[f"filled{i}"] == stats.c.size, sa.and_(
                stats.c[f"lo{i}"] == 1, stats.c[f"hi{i}"] == stats.c.size, stats.c[f"distinct{i}"] == stats.c.size))
            for i in range(len(rules))
        ]
        return {rule.key(): counts for rule, counts in zip(rules, _tally(connection, stats, checks), strict=True)}
    if child.primary_key is None:
        return {}
    order = [children.c[c] for c in child.primary_key.constrained_columns]
    columns = []
    for i, rule in enumerate(rules):
        value = children.c[rule.column]
        columns += [value.label(f"v{i}"), sa.func.lag(value).over(partition_by=group, order_by=order).label(f"prev{i}")]
    steps = sa.select(*columns).select_from(join).subquery()
    checks = [
        Check(sa.and_(steps.c[f"v{i}"].is_not(None), steps.c[f"prev{i}"].is_not(None)), steps.c[f"v{i}"] >= steps.c[f"prev{i}"])
        for i in range(len(rules))
    ]
    return {rule.key(): counts for rule, counts in zip(rules, _tally(connection, steps, checks), strict=True)}


def _dependency(connection: Connection, schema: Schema, rule: Rule, rows: int | None) -> tuple[int, int]:
    """Rows whose value is the most common one among the rows with the same inputs."""
    rows_of = sample(schema.table(rule.table), rows)
    inputs = [rows_of.c[i].label(f"i{n}") for n, i in enumerate(rule.inputs)]
    target = rows_of.c[rule.column]
    filled = sa.and_(target.is_not(None), *(rows_of.c[i].is_not(None) for i in rule.inputs))
    pairs = (
        sa.select(*inputs, target.label("t"), sa.func.count().label("n"))
        .where(filled).group_by(*(rows_of.c[i] for i in rule.inputs), target).subquery()
    )
    groups = (
        sa.select(sa.func.max(pairs.c.n).label("best"), sa.func.sum(pairs.c.n).label("total"))
        .group_by(*(pairs.c[f"i{n}"] for n in range(len(rule.inputs)))).subquery()
    )
    row = connection.execute(sa.select(sa.func.sum(groups.c.best), sa.func.sum(groups.c.total))).one()
    return int(row[0] or 0), int(row[1] or 0)
