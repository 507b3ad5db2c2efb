"""Generation by the rules: a rule that holds on (almost) every source row is true by construction.

A rule is not checked and its violating rows redrawn: its column is *computed* once its inputs
exist, so it holds on every row where its inputs are known. Rules that read only the row and its
parents (``equal``, ``order``, ``formula``, ``dependency``, ``sequence``) run as soon as the table's
foreign keys are assigned; a ``time`` sequence moves the rows' keys, not a value (their places
among their siblings follow the time: ``siblings``). An ``aggregate`` reads the table's synthetic
children, so it runs once every table is generated (its table waits to be loaded, as one with a deferred foreign key does),
and so does every rule that reads a value computed late (through a deferred key, or an aggregate).

Rules run in dependency order: one that reads a column another rule computes runs after it. A
computed value is written only where it keeps the table loadable: never NULL in a NOT NULL column,
never a repeated primary or unique key, never a violated CHECK. Rows left as generated are counted
in the warnings, per rule.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from relsynth.checks import CompiledCheck, Unsupported
from relsynth.planning import GenerationPlan
from relsynth.rules.derivation import Inputs, RowsOf, aggregated, derived, foreign_key
from relsynth.rules.model import OPS, Rule, RuleKind
from relsynth.rules.siblings import TimeOrders, best_time_column, in_time_order, key_order, unordered_because
from relsynth.rules.steering import RulesConfig
from relsynth.rules.values import key_text
from relsynth.schema.elements import ForeignKey, QualifiedName, Schema, Table
from relsynth.uniqueness import enforced_keys

ENFORCE_AT = RulesConfig.enforce_at  # the default; the run's config (``[rules] enforce_at``) is passed in
SELF_ROUNDS = 64  # rounds of a rule through a self-reference: hierarchies deeper than this stay partly as generated
_ARITY = {  # inputs each rule takes (dependency: any number, aggregate: product of any, count: none)
    (RuleKind.EQUAL, ""): 1, (RuleKind.ORDER, "ge"): 1, (RuleKind.ORDER, "gt"): 1, (RuleKind.FORMULA, "mul"): 2,
    (RuleKind.FORMULA, "add"): 2, (RuleKind.FORMULA, "year"): 1, (RuleKind.FORMULA, "lower"): 1,
    (RuleKind.AGGREGATE, "count"): 0, (RuleKind.SEQUENCE, "number"): 0, (RuleKind.SEQUENCE, "time"): 0,
}


@dataclass(frozen=True)
class _Reads:
    """The (table, column) pairs a rule reads, and the (table, column) it determines."""

    reads: frozenset[tuple[QualifiedName, str]]
    writes: frozenset[tuple[QualifiedName, str]]


log = logging.getLogger(__name__)

_DERIVATIONS = frozenset({RuleKind.EQUAL, RuleKind.FORMULA, RuleKind.AGGREGATE})


def _order_across_an_unconditioned_key(rule: Rule, context: dict[QualifiedName, tuple[str, ...]]) -> bool:
    """An order after a parent's value is enforced only through the context foreign key, whose
    parent the child's model reads: its dates already follow the parent's and a violation is a
    small step. A secondary parent is assigned without looking at the dates, so a violation is
    as large as the date range and moving it would move the column off its distribution (stats'
    ``post_links.creation_date > related_post_id->creation_date``: column shape 0.457)."""
    vias = {ref.via for ref in rule.refs if ref.via}
    return rule.kind is RuleKind.ORDER and any(via != context.get(rule.table) for via in vias)


def _is_time(rule: Rule) -> bool:
    return rule.kind is RuleKind.SEQUENCE and rule.op == "time"


def _lifted(rules: list[Rule], schema: Schema) -> list[Rule]:
    """``rules`` plus, for each dependency among columns copied from one parent (chinook's
    ``billing_state -> billing_country``, both copied through ``customer_id``), the same dependency
    on the parent's columns: holding there, it holds in every child that copies them."""
    copies = {(r.table, r.column): r.refs[0] for r in rules if r.kind is RuleKind.EQUAL and len(r.refs) == 1 and r.refs[0].via}
    lifted: list[Rule] = []
    for rule in rules:
        refs = [copies.get((rule.table, c)) for c in (rule.column, *rule.inputs)]
        if rule.kind is not RuleKind.DEPENDENCY or any(ref is None for ref in refs) or len({ref.via for ref in refs}) != 1:
            continue
        try:
            parent = foreign_key(schema, rule.table, refs[0].via).referred_table
        except KeyError:
            continue
        lifted.append(replace(rule, table=parent, column=refs[0].column, inputs=tuple(ref.column for ref in refs[1:])))
    known = {r.key() for r in rules}
    return rules + [r for r in dict.fromkeys(lifted) if r.key() not in known]


class Enforcement:
    """The rules of one run that generation enforces, in the order and at the stage they run."""

    def __init__(self, rules: Iterable[Rule], schema: Schema, plan: GenerationPlan, *, generated: set[QualifiedName], enforce_at: float = ENFORCE_AT) -> None:
        self.schema = schema
        self.notes: list[str] = []
        self.deferred = deferred = {(tp.table, tuple(d.foreign_key.constrained_columns)) for tp in plan.tables for d in tp.deferred_fks}
        context = {tp.table: tuple(tp.context_fk.constrained_columns) for tp in plan.tables if tp.context_fk is not None}
        chosen = [
            r for r in rules
            if r.enabled and r.support >= enforce_at and r.kind is not RuleKind.CATEGORY
            and not _order_across_an_unconditioned_key(r, context)
        ]
        chosen = self._one_writer([r for r in _lifted(chosen, schema) if r.table in generated])
        self.reads = {r: reads for r in chosen if (reads := self._reads(r)) is not None}
        self.times = self._one_time_order_per_table(rules)
        ordered = self._ordered(list(self.reads))
        late: set[Rule] = set()
        for rule in ordered:  # dependency order: what a late rule computes makes its readers late
            keys = {ref.via for ref in rule.refs if ref.via} | ({rule.via} if rule.kind is RuleKind.SEQUENCE else set())
            if _is_time(rule):  # keys in time order over the whole table hold in any group, one filled later too
                keys = {r.via for r in self.times[rule.table].enforced} if key_order(schema.table(rule.table)).group else set()  # type: ignore[union-attr]
            if rule.kind is RuleKind.AGGREGATE or any((rule.table, via) in deferred for via in keys) \
                    or self.reads[rule].reads & {w for r in late for w in self.reads[r].writes}:
                late.add(rule)
        self.early = [r for r in ordered if r not in late]
        self.decided: dict[Rule, dict[str, object]] = {}  # a dependency's choices, kept across a table's chunks
        self.late = [r for r in ordered if r in late]

    def _one_time_order_per_table(self, rules: Iterable[Rule]) -> dict[QualifiedName, TimeOrders]:
        """A table's keys follow one time: its first time sequence stands for all of them (and reads
        what they read); which column orders the keys is chosen as the rows are generated."""
        times: dict[QualifiedName, TimeOrders] = {}
        for rule in [r for r in self.reads if _is_time(r)]:
            orders = times.setdefault(rule.table, TimeOrders())
            orders.enforced.append(rule)
            if len(orders.enforced) > 1:
                lead = orders.enforced[0]
                self.reads[lead] = _Reads(self.reads[lead].reads | self.reads.pop(rule).reads, self.reads[lead].writes)
        for rule in rules:  # every time sequence of the table counts when choosing, enforced or not
            if _is_time(rule) and rule.enabled and rule.table in times:
                times[rule.table].watched.append(rule)
        return times

    def _one_writer(self, rules: list[Rule]) -> list[Rule]:
        """``rules`` without the orders, sequences and dependencies on a derived column: the derivation
        (equal, formula, aggregate) fixes its value, and rewriting it would break the derivation."""
        derived = {(r.table, r.column) for r in rules if r.kind in _DERIVATIONS}
        kept = [r for r in rules if r.kind in _DERIVATIONS or not self._writes(r) & derived]
        for rule in (r for r in rules if r not in kept):  # expected (a copied column's dependencies), so not a warning
            log.debug("rule %s is not enforced: its column is derived by another rule", rule.describe())
        return kept

    def _writes(self, rule: Rule) -> frozenset[tuple[QualifiedName, str]]:
        """What ``rule`` determines: its column, or for a time sequence the keys it hands out."""
        order = key_order(self.schema.table(rule.table)) if _is_time(rule) and rule.table in self.schema.table_names else None
        return frozenset((rule.table, c) for c in (order.order if order else (rule.column,)))

    def _pointed_at(self, table: Table) -> str | None:
        """Why rows of ``table`` point at its keys before its rules run: a self-reference filled with the
        table, not deferred (the plan defers them all), so keys moved after it would move its rows."""
        filled = [fk for fk in table.foreign_keys if fk.is_self_reference and (table.name, tuple(fk.constrained_columns)) not in self.deferred]
        return "rows of the table point at its primary key" if filled else None

    def _reads(self, rule: Rule) -> _Reads | None:
        """What ``rule`` reads and writes, or None (with a note) when the schema lacks what it names."""
        try:
            table = self.schema.table(rule.table)
            reads: set[tuple[QualifiedName, str]] = set()
            if rule.column not in table.column_names:
                raise KeyError(f"{rule.table} has no column {rule.column}")
            if len(rule.inputs) != _ARITY.get((rule.kind, rule.op), len(rule.inputs)) or rule.op not in OPS[rule.kind]:
                raise KeyError(f"a {rule.kind.value} rule with op {rule.op!r} takes {_ARITY.get((rule.kind, rule.op))} input(s)")
            if rule.kind in (RuleKind.AGGREGATE, RuleKind.SEQUENCE) and not rule.via:
                raise KeyError(f"a {rule.kind.value} rule names the foreign key columns of its children (via)")
            if rule.kind is RuleKind.SEQUENCE and (missing := set(rule.via) - set(table.column_names)):
                raise KeyError(f"{rule.table} has no column {', '.join(sorted(missing))}")
            if rule.kind is RuleKind.AGGREGATE:
                if rule.child is None:
                    raise KeyError("an aggregate names no child table")
                fk = foreign_key(self.schema, rule.child, rule.via)
                if fk.referred_table != rule.table or fk.is_self_reference:
                    raise KeyError(f"{rule.child}({', '.join(rule.via)}) does not point at {rule.table}")
                reads |= {(rule.child, c) for c in (*rule.via, *(ref.column for ref in rule.refs))}
                return _Reads(frozenset(reads), frozenset({(rule.table, rule.column)}))
            if _is_time(rule) and (why := unordered_because(table, rule) or self._pointed_at(table)):
                raise KeyError(why)
            if rule.kind is RuleKind.SEQUENCE:  # siblings are counted, or put, in key order
                key = table.primary_key.constrained_columns if table.primary_key else ()
                reads |= {(rule.table, c) for c in (rule.column, *key)}
            for ref in rule.refs:
                owner = foreign_key(self.schema, rule.table, ref.via).referred_table if ref.via else rule.table
                if ref.column not in self.schema.table(owner).column_names:
                    raise KeyError(f"{owner} has no column {ref.column}")
                reads.add((owner, ref.column))
            reads |= {(rule.table, c) for c in rule.via}
            return _Reads(frozenset(reads - self._writes(rule)), self._writes(rule))
        except KeyError as exc:
            self.notes.append(f"rule {rule.describe()} is not enforced: {str(exc).strip(chr(39))}")
            return None

    def _ordered(self, rules: list[Rule]) -> list[Rule]:
        """``rules`` with each after the rules that compute what it reads (stable: ties keep their
        given order, so a run enforces the same way every time); rules in a cycle are left out."""
        writers: dict[tuple[QualifiedName, str], list[int]] = {}
        for index, rule in enumerate(rules):
            for written in self.reads[rule].writes:
                writers.setdefault(written, []).append(index)
        needs = [{w for read in self.reads[rule].reads for w in writers.get(read, ()) if w != index} for index, rule in enumerate(rules)]
        done: list[int] = []
        while len(done) < len(rules):
            ready = [i for i in range(len(rules)) if i not in done and needs[i] <= set(done)]
            if not ready:
                cycle = sorted(rules[i].describe() for i in range(len(rules)) if i not in done)
                self.notes.append(f"rules that compute each other are not enforced: {'; '.join(cycle)}")
                break
            done.append(ready[0])
        return [rules[i] for i in done]

    # -- what generation asks ---------------------------------------------------------------

    def waiting(self) -> set[QualifiedName]:
        """Tables held back until every table exists: a late rule still computes their values."""
        return {rule.table for rule in self.late}

    def kept(self, table: QualifiedName) -> set[str]:
        """Columns of ``table`` that rules of other tables read after it is loaded."""
        return {column for reads in self.reads.values() for owner, column in reads.reads if owner == table}

    def needs_whole_table(self, table: QualifiedName, context_fk: ForeignKey | None) -> bool:
        """Whether an early rule of ``table`` compares rows under different parents: a sequence under
        a key other than the context one, a rule through a self-reference. Such a table is generated
        in one piece (relsynth.chunks). A dependency's choices carry over from chunk to chunk."""
        context = tuple(context_fk.constrained_columns) if context_fk is not None else None
        for rule in self.early_rules(table):
            if rule.kind is RuleKind.SEQUENCE and rule.via != context:
                return True
            if self._reads_own_table_through_a_key(rule):
                return True
        return False

    def early_rules(self, table: QualifiedName) -> list[Rule]:
        return [r for r in self.early if r.table == table]

    # -- applying ---------------------------------------------------------------------------

    def apply(self, rules: list[Rule], rows: pd.DataFrame, rows_of: RowsOf, checks: list[CompiledCheck], *, frozen: set[str] = frozenset()) -> None:
        """Compute each rule's column in ``rows`` (one table's), in place; ``frozen`` columns are
        referred to by rows that exist already (a late rule must not move them)."""
        for rule in rules:
            if rows.empty or rule.column not in rows.columns:
                continue
            if _is_time(rule):
                self._put_in_time_order(rule, rows, checks, frozen)
                continue
            if rule.column in frozen:
                self.notes.append(f"rule {rule.describe()} is not enforced: child rows already point at {rule.column}")
                continue
            rounds = SELF_ROUNDS if self._reads_own_table_through_a_key(rule) else 1
            for _ in range(rounds):  # down a hierarchy in the table itself: one level a round
                before = key_text(rows, [rule.column]) if rounds > 1 else None
                kept = self._apply_one(rule, rows, rows_of, checks)
                if before is None or key_text(rows, [rule.column]).equals(before):
                    break
            if kept:
                self.notes.append(f"rule {rule.describe()}: {kept} row(s) left as generated, where enforcing it would "
                                  "repeat a unique key or violate a CHECK")

    def _put_in_time_order(self, rule: Rule, rows: pd.DataFrame, checks: list[CompiledCheck], frozen: set[str]) -> None:
        """Hand out the rows' keys in ``rule``'s time order (``siblings``), unless rows point at them
        already, or the new places repeat another unique key or break a CHECK (then all stay)."""
        table = self.schema.table(rule.table)
        moved = list(key_order(table).order)  # type: ignore[union-attr]  # _reads kept only time rules with one
        if not set(moved) <= set(rows.columns):
            return
        if set(moved) & frozen:
            self.notes.append(f"rule {rule.describe()} is not enforced: child rows already point at {', '.join(moved)}")
            return
        orders = self.times[rule.table]
        if (time_column := best_time_column(rows, table, orders.enforced, orders.watched)) is None:
            return
        before, harm = rows[moved].copy(), _harm(rows, table, moved, self.schema, checks)
        in_time_order(rows, table, time_column)
        if _harm(rows, table, moved, self.schema, checks) > harm:
            for name in moved:
                rows[name] = before[name]
            self.notes.append(f"rule {rule.describe()} is not enforced: its order of keys would repeat a unique key or violate a CHECK")

    def _apply_one(self, rule: Rule, rows: pd.DataFrame, rows_of: RowsOf, checks: list[CompiledCheck]) -> int:
        if rule.kind is RuleKind.AGGREGATE:
            fk = foreign_key(self.schema, rule.child, rule.via)
            values = aggregated(rule, rows, rows_of(rule.child), fk, self.schema)
        else:
            values = derived(rule, Inputs(self.schema, rule.table, rows, rows_of), self.decided.setdefault(rule, {}))
        return _write(rows, rule, values, self.schema, checks)

    def _reads_own_table_through_a_key(self, rule: Rule) -> bool:
        """A rule through a self-reference (``dept = manager_id->dept``): a row's input may be
        another row's output, so it runs until nothing changes (one hierarchy level per round)."""
        return any(ref.via and foreign_key(self.schema, rule.table, ref.via).is_self_reference for ref in rule.refs)


def _write(rows: pd.DataFrame, rule: Rule, values: pd.Series, schema: Schema, checks: list[CompiledCheck]) -> int:
    """Write ``values`` where known and harmless; the number of rows where it would have harmed."""
    known = values.notna().to_numpy()
    if not known.any():
        return 0
    old = rows[rule.column].reset_index(drop=True)
    rows[rule.column] = _merged(old, values, known).set_axis(rows.index)
    guarded = _guarded(rows, rule, schema, checks, known)
    if guarded.any():
        rows[rule.column] = _merged(rows[rule.column].reset_index(drop=True), old, guarded).set_axis(rows.index)
    return int(guarded.sum())


def _guarded(rows: pd.DataFrame, rule: Rule, schema: Schema, checks: list[CompiledCheck], written: np.ndarray) -> np.ndarray:
    """Written rows that now repeat a primary or unique key, or violate a CHECK."""
    bad = np.zeros(len(rows), dtype=bool)
    keys, _ = enforced_keys(schema.table(rule.table), schema.dialect, rows)
    for key in keys:
        if rule.column in key.columns:
            bad |= key.repeats(rows, settled=~written) & written
    for check in checks:
        try:
            bad |= check.violations(rows) & written
        except Unsupported:  # the check reads a column the frame lacks: not this rule's to keep
            continue
    return bad


def _harm(rows: pd.DataFrame, table: Table, moved: list[str], schema: Schema, checks: list[CompiledCheck]) -> int:
    """Rows repeating a unique key over a ``moved`` column, or violating a CHECK."""
    keys, _ = enforced_keys(table, schema.dialect, rows)
    bad = np.zeros(len(rows), dtype=bool)
    for key in (k for k in keys if set(k.columns) & set(moved)):
        bad |= key.repeats(rows)
    for check in checks:
        try:
            bad |= check.violations(rows)
        except Unsupported:
            continue
    return int(bad.sum())


def _merged(old: pd.Series, new: pd.Series, where: np.ndarray) -> pd.Series:
    """``old`` with ``new``'s values where ``where``, in ``old``'s dtype where both agree."""
    if pd.api.types.is_datetime64_any_dtype(old) and pd.api.types.is_datetime64_any_dtype(new):
        return old.where(~where, new.astype(old.dtype))
    merged = old.astype(object).copy()
    merged[where] = new.astype(object).to_numpy()[where]
    if isinstance(old.dtype, pd.api.extensions.ExtensionDtype) or old.dtype.kind in "fiub":
        try:
            return merged.astype(old.dtype)
        except (TypeError, ValueError):
            return merged
    return merged
