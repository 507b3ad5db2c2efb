"""Relational rules: what the data obeys beyond what the schema declares, as plain data.

A rule is to generation what a CHECK is to DDL: declared once (discovered in the source, or written
in the config), honoured by construction in generation, measured in source and clone by the report.

Columns are named by *references*: ``"col"`` is a column of the rule's own row, and
``"fk_col[,fk_col...]->col"`` is column ``col`` of the parent row that the row's foreign key on
``fk_col...`` points at (``"rental_id->customer_id"``: the customer of this payment's rental).

Kinds, each with the fields it uses (``table.column`` is always the column the rule determines):

- ``equal``: ``column`` equals ``inputs[0]``: diamonds (``customer_id = rental_id->customer_id``),
  attributes copied from a parent (``billing_address = customer_id->address``), lookups.
- ``order``: ``column`` ``op`` ``inputs[0]``, ``op`` in ``ge``/``gt``: within a row
  (``return_date ge rental_date``) or after the parent's (``l_shipdate gt l_orderkey->o_orderdate``).
- ``formula``: ``column`` = ``op(inputs)``, ``op`` in ``mul``/``add`` (two inputs),
  ``year``/``lower`` (one input): ``l_extendedprice = mul(l_quantity, l_partkey->p_retailprice)``.
- ``aggregate``: ``column`` of a parent = ``op`` (``sum``/``count``/``min``/``max``) over its children
  in ``child`` (joined on the child's FK columns ``via``) of the product of ``inputs`` (child
  columns; empty for ``count``): ``invoice.total = sum(invoice_line: unit_price * quantity)``.
- ``sequence``: ``column`` numbers the children of one parent (FK columns ``via``) 1..k
  (``op`` ``number``), or orders them in time (``op`` ``time``).
- ``dependency``: ``column`` is a function of ``inputs`` (postal code -> city).
- ``category``: ``column`` is a short code: a category, never free text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from relsynth.schema.elements import QualifiedName

ARROW = "->"


class RuleKind(str, Enum):
    EQUAL = "equal"
    ORDER = "order"
    FORMULA = "formula"
    AGGREGATE = "aggregate"
    SEQUENCE = "sequence"
    DEPENDENCY = "dependency"
    CATEGORY = "category"


OPS: dict[RuleKind, frozenset[str]] = {
    RuleKind.EQUAL: frozenset({""}),
    RuleKind.ORDER: frozenset({"ge", "gt"}),
    RuleKind.FORMULA: frozenset({"mul", "add", "year", "lower"}),
    RuleKind.AGGREGATE: frozenset({"sum", "count", "min", "max"}),
    RuleKind.SEQUENCE: frozenset({"number", "time"}),
    RuleKind.DEPENDENCY: frozenset({""}),
    RuleKind.CATEGORY: frozenset({""}),
}


@dataclass(frozen=True)
class ColumnRef:
    """A column of the row itself (``via`` empty) or of the parent its FK on ``via`` points at."""

    column: str
    via: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> ColumnRef:
        if ARROW not in text:
            return cls(text.strip())
        fk, column = text.split(ARROW, 1)
        return cls(column.strip(), tuple(c.strip() for c in fk.split(",")))

    def __str__(self) -> str:
        return f"{','.join(self.via)}{ARROW}{self.column}" if self.via else self.column


@dataclass(frozen=True)
class Rule:
    kind: RuleKind
    table: QualifiedName
    column: str
    op: str = ""
    inputs: tuple[str, ...] = ()  # column references (see the module docstring)
    child: QualifiedName | None = None  # aggregate: the table whose rows are aggregated
    via: tuple[str, ...] = ()  # aggregate, sequence: the child's FK columns to the parent
    support: float = 1.0  # share of the source's rows (where the inputs are not NULL) that obey it
    origin: str = "discovered"  # or "config"
    enabled: bool = True

    @property
    def refs(self) -> tuple[ColumnRef, ...]:
        return tuple(ColumnRef.parse(i) for i in self.inputs)

    def key(self) -> tuple[str, str, str, str, tuple[str, ...], str, tuple[str, ...]]:
        """What identifies a rule, so the config can change or switch off a discovered one.

        ``child`` and ``via`` are part of it: one column can number the children of two parents,
        and a parent column can be the sum of two child tables' columns."""
        child = "" if self.child is None else str(self.child)
        return (self.kind.value, str(self.table), self.column, self.op, self.inputs, child, self.via)

    def describe(self) -> str:
        """One readable line: ``rental.return_date >= rental_date``."""
        target = f"{self.table}.{self.column}"
        if self.kind is RuleKind.EQUAL:
            return f"{target} = {self.inputs[0]}"
        if self.kind is RuleKind.ORDER:
            return f"{target} {'>=' if self.op == 'ge' else '>'} {self.inputs[0]}"
        if self.kind is RuleKind.FORMULA:
            sign = {"mul": " * ", "add": " + "}.get(self.op)
            return f"{target} = {sign.join(self.inputs)}" if sign else f"{target} = {self.op}({self.inputs[0]})"
        if self.kind is RuleKind.AGGREGATE:
            what = " * ".join(self.inputs) or "*"
            return f"{target} = {self.op}({self.child}.{what}) by {','.join(self.via)}"
        if self.kind is RuleKind.SEQUENCE:
            how = "numbers 1..k" if self.op == "number" else "orders in time"
            return f"{target} {how} the children of each {','.join(self.via)}"
        if self.kind is RuleKind.DEPENDENCY:
            return f"{', '.join(self.inputs)} -> {target}"
        return f"{target} is a code (a category)"

    def with_support(self, support: float) -> Rule:
        return replace(self, support=support)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "table": {"schema": self.table.schema, "name": self.table.name},
            "column": self.column,
            "op": self.op,
            "inputs": list(self.inputs),
            "child": None if self.child is None else {"schema": self.child.schema, "name": self.child.name},
            "via": list(self.via),
            "support": self.support,
            "origin": self.origin,
            "enabled": self.enabled,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        child = data.get("child")
        return cls(
            kind=RuleKind(data["kind"]),
            table=QualifiedName(data["table"]["schema"], data["table"]["name"]),
            column=data["column"],
            op=data.get("op", ""),
            inputs=tuple(data.get("inputs", ())),
            child=None if child is None else QualifiedName(child["schema"], child["name"]),
            via=tuple(data.get("via", ())),
            support=float(data.get("support", 1.0)),
            origin=data.get("origin", "discovered"),
            enabled=bool(data.get("enabled", True)),
        )
