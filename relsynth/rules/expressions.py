"""Each rule as SQL: whether a row (or a parent, or a group of siblings) obeys it.

The SQLAlchemy constructs here are shared by discovery (on the source) and measurement (on any
database), so that a rule's support in the source and its share in a clone mean the same thing.
A check is a pair of boolean expressions: ``applicable`` (the rule's inputs are not NULL) and
``obeys``; a rule's share is ``count(applicable and obeys) / count(applicable)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from relsynth.engines import capabilities_for
from relsynth.rules.model import ColumnRef, Rule, RuleKind
from relsynth.schema.elements import ColumnType, ForeignKey, Schema, Table, TypeKind

NUMERIC = frozenset({TypeKind.INTEGER, TypeKind.FLOAT, TypeKind.DECIMAL})
TEMPORAL = frozenset({TypeKind.DATE, TypeKind.TIMESTAMP, TypeKind.TIME})
TEXT = frozenset({TypeKind.TEXT})
CODE_MAX_LENGTH = 3  # ISO 3166 alpha-3, US states, flags: a code is at most three characters
FLOAT_RELATIVE = 1e-6  # floats agree to about six digits after arithmetic
EXACT_RELATIVE = 1e-9  # decimals and integers: only the last place's rounding

Resolve = Callable[[str], sa.ColumnElement]


@dataclass(frozen=True)
class Check:
    applicable: sa.ColumnElement
    obeys: sa.ColumnElement


def sample(table: Table, rows: int | None) -> sa.Subquery:
    """The table's first ``rows`` rows (all when None), by primary key where it has one: an index
    scan, and the same rows every time (PostgreSQL's synchronised scans start a bare LIMIT anywhere)."""
    clause = plain_table(table)
    query = sa.select(*clause.c)
    if rows is None:
        return query.subquery()
    if table.primary_key is not None:
        query = query.order_by(*(clause.c[c] for c in table.primary_key.constrained_columns))
    return query.limit(rows).subquery()


def plain_table(table: Table) -> sa.TableClause:
    return sa.table(table.name.name, *(sa.column(c) for c in table.column_names), schema=table.name.schema)


def foreign_key(table: Table, via: tuple[str, ...]) -> ForeignKey:
    for fk in table.foreign_keys:
        if fk.constrained_columns == via:
            return fk
    raise KeyError(f"table {table.name} has no foreign key on ({', '.join(via)})")


def column_type(schema: Schema, table: Table, reference: str) -> ColumnType:
    ref = ColumnRef.parse(reference)
    if not ref.via:
        return table.column(ref.column).type
    return schema.table(foreign_key(table, ref.via).referred_table).column(ref.column).type


def row_frame(schema: Schema, table: Table, rows: int | None, vias: set[tuple[str, ...]]) -> tuple[sa.FromClause, Resolve]:
    """The table's sample left-joined to the parents that ``vias`` name, and a resolver of references."""
    own = sample(table, rows)
    frame: sa.FromClause = own
    parents: dict[tuple[str, ...], sa.Subquery] = {}
    for via in sorted(vias):
        fk = foreign_key(table, via)
        parent = plain_table(schema.table(fk.referred_table)).alias(f"p{len(parents)}")
        on = sa.and_(*(own.c[c] == parent.c[r] for c, r in zip(fk.constrained_columns, fk.referred_columns, strict=True)))
        frame = frame.outerjoin(parent, on)
        parents[via] = parent

    def resolve(reference: str) -> sa.ColumnElement:
        ref = ColumnRef.parse(reference)
        return (parents[ref.via] if ref.via else own).c[ref.column]

    return frame, resolve


def case_sensitive(dialect_name: str) -> Callable[[sa.ColumnElement], sa.ColumnElement]:
    """Text as compared byte for byte: MySQL's default collations ignore case (``'CA' = 'ca'``)."""
    if capabilities_for(dialect_name).case_insensitive_text:
        return lambda value: sa.cast(value, sa.LargeBinary)
    return lambda value: value


def tolerance(target: ColumnType) -> tuple[float, float]:
    """(absolute, relative) difference allowed between a value of ``target``'s type and its formula."""
    absolute = 0.0
    if target.kind is TypeKind.DECIMAL and target.scale is not None:
        absolute = 0.5 * 10.0 ** -target.scale
    relative = FLOAT_RELATIVE if target.kind is not TypeKind.INTEGER and target.kind is not TypeKind.DECIMAL else EXACT_RELATIVE
    return absolute, relative


def close(a: sa.ColumnElement, b: sa.ColumnElement, target: ColumnType) -> sa.ColumnElement:
    """``a`` equals ``b`` up to the target type's precision (the last decimal place, or float noise)."""
    absolute, relative = tolerance(target)
    return sa.func.abs(a - b) <= sa.literal_column(repr(absolute)) + sa.literal_column(repr(relative)) * sa.func.abs(a)


def as_number(value: sa.ColumnElement) -> sa.ColumnElement:
    """Arithmetic without overflow: ``1.0E0 * x`` is numeric (PostgreSQL) or double (MySQL, SQLite)."""
    return sa.literal_column("1.0E0") * value


def row_check(rule: Rule, resolve: Resolve, target: ColumnType, dialect_name: str) -> Check:
    """Equal, order, formula and category rules: a check on one row (joined to its parents)."""
    a = resolve(rule.column)
    inputs = [resolve(i) for i in rule.inputs]
    applicable = sa.and_(a.is_not(None), *(i.is_not(None) for i in inputs))
    exact = case_sensitive(dialect_name)
    if rule.kind is RuleKind.EQUAL:
        b = inputs[0]
        return Check(applicable, exact(a) == exact(b) if target.kind in TEXT else a == b)
    if rule.kind is RuleKind.ORDER:
        return Check(applicable, a > inputs[0] if rule.op == "gt" else a >= inputs[0])
    if rule.kind is RuleKind.CATEGORY:
        code = sa.and_(sa.func.length(a) <= CODE_MAX_LENGTH, exact(a) == exact(sa.func.upper(a)))
        return Check(applicable, code)
    if rule.kind is RuleKind.FORMULA:
        if rule.op == "lower":
            return Check(applicable, exact(a) == exact(sa.func.lower(inputs[0])))
        if rule.op == "year":
            return Check(applicable, a == sa.extract("year", inputs[0]))
        b, c = (as_number(i) for i in inputs)
        value = b * c if rule.op == "mul" else b + c
        return Check(applicable, close(as_number(a), value, target))
    raise ValueError(f"{rule.kind.value} is not a check on one row")


def child_join(child: Table, via: tuple[str, ...], parents: sa.Subquery) -> tuple[sa.FromClause, sa.TableClause]:
    """The child's rows whose parent is in ``parents`` (a sample of the parent table), and the child."""
    fk = foreign_key(child, via)
    rows = plain_table(child)
    on = sa.and_(*(rows.c[c] == parents.c[r] for c, r in zip(fk.constrained_columns, fk.referred_columns, strict=True)))
    return rows.join(parents, on), rows


def aggregate_value(rule: Rule, rows: sa.TableClause) -> sa.ColumnElement:
    """``sum``/``min``/``max`` of the product of the rule's child columns, or ``count`` of the children."""
    if rule.op == "count":
        return sa.func.count()
    value = as_number(rows.c[rule.inputs[0]])
    for other in rule.inputs[1:]:
        value = value * rows.c[other]
    return getattr(sa.func, rule.op)(value)
