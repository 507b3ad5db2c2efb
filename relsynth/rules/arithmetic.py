"""Screening ``a = b * c`` and ``a = b + c`` candidates on the client: one read, every candidate at once.

A table with n numeric columns has about n³ such candidates; as SQL, each costs a select-list
entry to compile and plan. Read once (a small sample, parents joined), they are a few vectorised
comparisons. Only the survivors are then measured in SQL, the way the report measures them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from relsynth.rules.expressions import column_type, row_frame, tolerance
from relsynth.rules.model import ColumnRef, Rule, RuleKind
from relsynth.schema.elements import Schema


def is_arithmetic(rule: Rule) -> bool:
    return rule.kind is RuleKind.FORMULA and rule.op in ("mul", "add")


def screen(connection: Connection, schema: Schema, rules: Sequence[Rule], *, rows: int) -> dict:
    """Each arithmetic rule's share on the first ``rows`` rows of its table, by ``Rule.key()``."""
    by_table: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        by_table[str(rule.table)].append(rule)
    shares = {}
    for group in by_table.values():
        shares.update(_screen_table(connection, schema, group, rows))
    return shares


def _screen_table(connection: Connection, schema: Schema, rules: list[Rule], rows: int) -> dict:
    table = schema.table(rules[0].table)
    references = sorted({r for rule in rules for r in (rule.column, *rule.inputs)})
    vias = {ColumnRef.parse(r).via for r in references} - {()}
    frame, resolve = row_frame(schema, table, rows, vias)
    query = sa.select(*(resolve(r).label(f"c{i}") for i, r in enumerate(references))).select_from(frame)
    found = connection.execute(query).all()
    values = {r: _floats([row[i] for row in found]) for i, r in enumerate(references)}
    shares = {}
    for rule in rules:
        a, b, c = values[rule.column], values[rule.inputs[0]], values[rule.inputs[1]]
        result = b * c if rule.op == "mul" else b + c
        applicable = ~(np.isnan(a) | np.isnan(b) | np.isnan(c))
        if not applicable.any():
            continue
        absolute, relative = tolerance(column_type(schema, table, rule.column))
        with np.errstate(invalid="ignore", over="ignore"):
            obeys = np.abs(a - result) <= absolute + relative * np.abs(a)
        shares[rule.key()] = float((obeys & applicable).sum() / applicable.sum())
    return shares


def _floats(column: list) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in column], dtype=float)
