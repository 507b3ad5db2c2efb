"""The generation plan: in which order tables are generated, and how each foreign key is filled.

Glossary:

* **context parent** - the one parent a child table is generated *conditioned on* (its
  ``context_fk``); the generator draws children per synthetic parent row.
* **secondary FK** - every other foreign key of the table whose parent comes earlier in the order;
  its value is drawn from the parent's synthetic rows.
* **deferred FK** - a foreign key whose parent is not (yet) generated when the child is: a
  self-reference, or an edge cut to break a cycle. ``fill="update"``: the child is inserted with
  NULL and the value set once the parent rows exist. ``fill="before_constraints"``: the column is
  NOT NULL, so the value is assigned after the parent table is generated and before the FK
  constraints are created (relsynth creates foreign keys after loading the data).

Cycles are broken per strongly connected component by deferring the cheapest set of edges,
where deferring a nullable edge is cheaper than a DEFERRABLE NOT NULL one, which is cheaper than
any plain NOT NULL one. Components of up to ``_EXACT_LIMIT`` tables are solved exactly (dynamic
programming over orderings), larger ones greedily and then pruned to a minimal set.

Pure data: ``plan(schema)`` reads nothing but the schema, and the result prints, diffs and
round-trips through JSON.
"""

from __future__ import annotations

import heapq
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx

from relsynth.errors import ArtifactError
from relsynth.graph import (
    fk_graph,
    is_deferrable,
    is_nullable,
    is_one_to_one,
    sort_key,
    strongly_connected_components,
)
from relsynth.schema import snapshot
from relsynth.schema.elements import ForeignKey, QualifiedName, Schema, Table

__all__ = ["DeferredForeignKey", "GenerationPlan", "TablePlan", "plan"]

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
_EXACT_LIMIT = 12  # tables per cycle component solved exactly: 2**12 subsets is milliseconds

Fill = Literal["update", "before_constraints"]
SELF_REFERENCE = "self-reference"
Pair = tuple[QualifiedName, QualifiedName]  # (child, parent)


@dataclass(frozen=True)
class DeferredForeignKey:
    """A foreign key filled after its child rows are generated, and why."""

    foreign_key: ForeignKey
    reason: str
    fill: Fill  # "update" (nullable) or "before_constraints" (NOT NULL)


@dataclass(frozen=True)
class TablePlan:
    """How one table is generated."""

    table: QualifiedName
    context_fk: ForeignKey | None
    secondary_fks: tuple[ForeignKey, ...]
    deferred_fks: tuple[DeferredForeignKey, ...]
    component: int  # index of the strongly connected component; tables in one cycle share it
    context_unique: bool = False  # the context FK is one-to-one: at most one child per parent
    unique_fks: tuple[ForeignKey, ...] = ()  # every FK of the table that is one-to-one

    @property
    def parents(self) -> tuple[QualifiedName, ...]:
        """The tables that must be generated before this one (context and secondary parents)."""
        fks = ((self.context_fk,) if self.context_fk else ()) + self.secondary_fks
        return tuple(dict.fromkeys(fk.referred_table for fk in fks))


@dataclass(frozen=True)
class GenerationPlan:
    """The tables in generation order, with the role of every foreign key."""

    tables: tuple[TablePlan, ...]
    external_fks: tuple[ForeignKey, ...] = ()  # FKs to tables outside the schema: not generated
    warnings: tuple[str, ...] = ()

    @property
    def order(self) -> tuple[QualifiedName, ...]:
        return tuple(t.table for t in self.tables)

    @property
    def deferred_fks(self) -> tuple[DeferredForeignKey, ...]:
        return tuple(d for t in self.tables for d in t.deferred_fks)

    @property
    def cycles(self) -> tuple[tuple[QualifiedName, ...], ...]:
        """The tables of each foreign-key cycle: a component of several tables, or one table
        that references itself."""
        members: dict[int, list[QualifiedName]] = defaultdict(list)
        for t in self.tables:
            members[t.component].append(t.table)
        fks = ((t.table, fk) for t in self.tables for fk in (t.context_fk, *t.secondary_fks, *(d.foreign_key for d in t.deferred_fks)))
        self_referencing = {table for table, fk in fks if fk is not None and fk.referred_table == table}
        return tuple(tuple(names) for names in members.values() if len(names) > 1 or names[0] in self_referencing)

    def table(self, name: QualifiedName | str) -> TablePlan:
        """Look a table's plan up by qualified name, or by ``"name"`` / ``"schema.name"``."""
        for table_plan in self.tables:
            if table_plan.table == name or str(table_plan.table) == name:
                return table_plan
        raise KeyError(f"no table {name} in the generation plan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "tables": [_table_plan_to_dict(t) for t in self.tables],
            "external_fks": [_fk_to_dict(fk) for fk in self.external_fks],
            "warnings": list(self.warnings),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenerationPlan:
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise ArtifactError(
                f"generation plan has format version {version!r}, this relsynth reads "
                f"{FORMAT_VERSION}; re-run `relsynth plan` with this version"
            )
        try:
            return cls(
                tables=tuple(_table_plan_from_dict(t) for t in data["tables"]),
                external_fks=tuple(_fk_from_dict(fk) for fk in data.get("external_fks", ())),
                warnings=tuple(data.get("warnings", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(
                f"generation plan is damaged ({type(exc).__name__}: {exc}); re-run `relsynth plan`"
            ) from exc

    @classmethod
    def from_json(cls, text: str) -> GenerationPlan:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ArtifactError(
                f"generation plan is not valid JSON ({exc}); re-run `relsynth plan`"
            ) from exc
        return cls.from_dict(data)

    def render(self) -> str:
        """Human-readable text: the order, each table's parents, every deferred FK and why."""
        deferred = self.deferred_fks
        lines = [
            f"Generation plan: {len(self.tables)} tables, "
            f"{len(deferred)} deferred foreign key{'s' if len(deferred) != 1 else ''}"
        ]
        width = len(str(len(self.tables)))
        for i, t in enumerate(self.tables, start=1):
            lines.append(f"{i:>{width}}. {t.table}  [component {t.component}]")
            pad = " " * (width + 2)
            if t.context_fk is None:
                lines.append(f"{pad}context parent: none (root)")
            else:
                one = "  [one-to-one]" if t.context_unique else ""
                lines.append(f"{pad}context parent: {_fk_short(t.context_fk)}{one}")
            for fk in t.secondary_fks:
                one = "  [one-to-one]" if fk in t.unique_fks else ""
                lines.append(f"{pad}secondary: {_fk_short(fk)}{one}")
            for d in t.deferred_fks:
                lines.append(
                    f"{pad}deferred: {_fk_short(d.foreign_key)}  fill={d.fill}  ({d.reason})"
                )
        for fk in self.external_fks:
            lines.append(f"external (not generated): {fk.label}")
        for warning in self.warnings:
            lines.append(f"warning: {warning}")
        return "\n".join(lines)


def plan(schema: Schema) -> GenerationPlan:
    """Plan the generation of ``schema``: order, context parents, secondary and deferred FKs."""
    graph = fk_graph(schema)
    tables = {table.name: table for table in schema.tables}
    external = tuple(sorted(graph.graph["dangling"], key=_fk_sort_key))
    warnings = [_external_warning(fk) for fk in external]

    pairs = _ordering_pairs(graph)
    components = strongly_connected_components(graph)
    deferred = _defer_cycle_edges(pairs, components, tables)

    order = _topological_order(list(tables), pairs.keys())
    depth = _depths(order, pairs.keys())
    component_of = {name: i for i, comp in enumerate(components) for name in comp}
    renumber: dict[int, int] = {}
    for name in order:
        renumber.setdefault(component_of[name], len(renumber))

    kept: dict[QualifiedName, list[ForeignKey]] = defaultdict(list)
    for (child, _), fks in pairs.items():
        kept[child].extend(fks)
    table_plans = [
        _table_plan(tables[name], kept[name], deferred[name], depth, renumber[component_of[name]]) for name in order
    ]
    warnings.extend(_deferred_not_null_warnings(table_plans))
    result = GenerationPlan(
        tables=tuple(table_plans), external_fks=tuple(external), warnings=tuple(warnings)
    )
    log.debug("planned %d tables, %d deferred FKs", len(order), len(result.deferred_fks))
    return result


def _external_warning(fk: ForeignKey) -> str:
    return (
        f"foreign key {fk.label} refers to a table outside the schema; its columns are "
        f"generated as plain values and the constraint is not created (introspect "
        f"{fk.referred_table.schema or 'the default schema'} too to keep it)"
    )


def _ordering_pairs(graph: nx.MultiDiGraph) -> dict[Pair, list[ForeignKey]]:
    """Pairs (child, parent) of the FK graph, each with its FKs in a stable order."""
    pairs: dict[Pair, list[ForeignKey]] = defaultdict(list)
    for child, parent, fk in graph.edges(data="foreign_key"):
        pairs[(child, parent)].append(fk)
    for fks in pairs.values():
        fks.sort(key=_fk_sort_key)
    return pairs


def _defer_cycle_edges(
    pairs: dict[Pair, list[ForeignKey]],
    components: tuple[tuple[QualifiedName, ...], ...],
    tables: dict[QualifiedName, Table],
) -> dict[QualifiedName, list[DeferredForeignKey]]:
    """Take self-references and the FKs that break each cycle out of ``pairs`` (in place): what
    remains orders the tables; what is taken out is filled in later, per child table."""
    deferred: dict[QualifiedName, list[DeferredForeignKey]] = defaultdict(list)
    for child, parent in sorted(pairs, key=lambda p: (sort_key(p[0]), sort_key(p[1]))):
        if child == parent:
            for fk in pairs.pop((child, parent)):
                deferred[child].append(_defer(fk, tables[child], SELF_REFERENCE))
    for component in components:
        if len(component) < 2:
            continue
        cut = _break_cycles(component, pairs, tables)
        members = ", ".join(str(name) for name in component)
        for pair in cut:
            for fk in pairs.pop(pair):
                reason = f"breaks a cycle among {members}"
                deferred[pair[0]].append(_defer(fk, tables[pair[0]], reason))
    return deferred


def _table_plan(
    table: Table,
    kept: list[ForeignKey],
    deferred: list[DeferredForeignKey],
    depth: dict[QualifiedName, int],
    component: int,
) -> TablePlan:
    """One table's plan: its context parent (the best ranked kept FK), the other kept FKs as
    secondary, its deferred FKs, and which of its FKs are one-to-one."""
    candidates = sorted(kept, key=lambda fk: _context_rank(fk, table, depth))
    context = candidates[0] if candidates else None
    own_deferred = tuple(sorted(deferred, key=lambda d: _fk_sort_key(d.foreign_key)))
    planned = kept + [d.foreign_key for d in own_deferred]
    unique = tuple(sorted((fk for fk in planned if is_one_to_one(fk, table)), key=_fk_sort_key))
    return TablePlan(
        table=table.name,
        context_fk=context,
        secondary_fks=tuple(sorted(candidates[1:], key=_fk_sort_key)),
        deferred_fks=own_deferred,
        component=component,
        context_unique=context is not None and context in unique,
        unique_fks=unique,
    )


def _deferred_not_null_warnings(table_plans: list[TablePlan]) -> list[str]:
    return [
        f"foreign key {d.foreign_key.label} is NOT NULL in a cycle; its values are "
        f"assigned after {d.foreign_key.referred_table} is generated, before the "
        f"constraint is created"
        for t in table_plans
        for d in t.deferred_fks
        if d.fill == "before_constraints" and d.reason != SELF_REFERENCE
    ]


# -- planning steps -----------------------------------------------------------------------------


def _defer(fk: ForeignKey, table: Table, reason: str) -> DeferredForeignKey:
    fill: Fill = "update" if is_nullable(fk, table) else "before_constraints"
    return DeferredForeignKey(foreign_key=fk, reason=reason, fill=fill)


def _cost(fks: list[ForeignKey], table: Table) -> tuple[int, int, int]:
    """What deferring these FKs costs: (NOT NULL plain, NOT NULL deferrable, nullable) counts."""
    plain = deferrable = nullable = 0
    for fk in fks:
        if is_nullable(fk, table):
            nullable += 1
        elif is_deferrable(fk):
            deferrable += 1
        else:
            plain += 1
    return (plain, deferrable, nullable)


def _break_cycles(
    component: tuple[QualifiedName, ...],
    pairs: dict[Pair, list[ForeignKey]],
    tables: dict[QualifiedName, Table],
) -> list[Pair]:
    """The (child, parent) pairs to defer so that ``component`` has no cycle left, cheapest first.

    Every FK of a cut pair is deferred: cutting only one of two parallel edges breaks nothing.
    """
    members = set(component)
    inner = sorted(
        (p for p in pairs if p[0] in members and p[1] in members and p[0] != p[1]),
        key=lambda p: (sort_key(p[0]), sort_key(p[1])),
    )
    costs = {p: _cost(pairs[p], tables[p[0]]) for p in inner}
    if len(component) <= _EXACT_LIMIT:
        return _cut_exact(component, costs)
    return _cut_greedy(costs)


def _cut_exact(
    component: tuple[QualifiedName, ...],
    costs: dict[Pair, tuple[int, int, int]],
) -> list[Pair]:
    """A minimum-cost feedback arc set, by dynamic programming over orderings of the tables.

    Placing tables one by one (parents first), an edge child -> parent is cut when the child was
    placed before its parent. Cost tuples are packed into one integer, preserving their
    lexicographic order.
    """
    n = len(component)
    index = {name: i for i, name in enumerate(component)}
    base = sum(sum(c) for c in costs.values()) + 1
    weight = [[0] * n for _ in range(n)]  # weight[child][parent]
    for (child, parent), (plain, deferrable, nullable) in costs.items():
        weight[index[child]][index[parent]] = (plain * base + deferrable) * base + nullable
    full = (1 << n) - 1
    # into[v][mask]: cost of the edges from the tables in mask (placed) into v (placed next).
    into = []
    for v in range(n):
        row = [0] * (full + 1)
        for mask in range(1, full + 1):
            low = mask & -mask
            row[mask] = row[mask ^ low] + weight[low.bit_length() - 1][v]
        into.append(row)
    best = [0] + [-1] * full
    choice = [0] * (full + 1)
    for mask in range(full):
        if best[mask] < 0:
            continue
        for v in range(n):
            if mask >> v & 1:
                continue
            nxt = mask | 1 << v
            cost = best[mask] + into[v][mask]
            if best[nxt] < 0 or cost < best[nxt]:
                best[nxt], choice[nxt] = cost, v
    position = [0] * n
    mask = full
    for pos in range(n - 1, -1, -1):
        v = choice[mask]
        position[v] = pos
        mask ^= 1 << v
    return [p for p in costs if position[index[p[0]]] < position[index[p[1]]]]


def _cut_greedy(
    costs: dict[Pair, tuple[int, int, int]],
) -> list[Pair]:
    """For large components: cut the cheapest pair of a remaining cycle until none is left,
    then put back every cut pair that no longer closes a cycle (most expensive first)."""
    remaining = nx.DiGraph(list(costs))
    cut: list[Pair] = []
    while True:
        cyclic = [c for c in nx.strongly_connected_components(remaining) if len(c) > 1]
        if not cyclic:
            break
        inside = set().union(*cyclic)
        candidates = [p for p in remaining.edges if p[0] in inside and p[1] in inside]
        pick = min(candidates, key=lambda p: (costs[p], sort_key(p[0]), sort_key(p[1])))
        remaining.remove_edge(*pick)
        cut.append(pick)
    for pair in sorted(cut, key=lambda p: costs[p], reverse=True):
        remaining.add_edge(*pair)
        if nx.is_directed_acyclic_graph(remaining):
            cut.remove(pair)
        else:
            remaining.remove_edge(*pair)
    return sorted(cut, key=lambda p: (sort_key(p[0]), sort_key(p[1])))


def _topological_order(names: list[QualifiedName], edges: Iterable[Pair]) -> list[QualifiedName]:
    """Parents before children; among the tables ready at once, the smallest name first."""
    waiting = {name: 0 for name in names}
    children: dict[QualifiedName, list[QualifiedName]] = defaultdict(list)
    for child, parent in edges:
        waiting[child] += 1
        children[parent].append(child)
    ready = [(sort_key(name), name) for name, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(name)
        for child in children[name]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, (sort_key(child), child))
    if len(order) != len(names):  # cannot happen once cycles are cut; guard the invariant
        raise AssertionError("the FK graph still has a cycle after cutting deferred edges")
    return order


def _depths(order: list[QualifiedName], edges: Iterable[Pair]) -> dict[QualifiedName, int]:
    """Length of each table's longest chain of ancestors through kept edges."""
    parents: dict[QualifiedName, list[QualifiedName]] = defaultdict(list)
    for child, parent in edges:
        parents[child].append(parent)
    depth: dict[QualifiedName, int] = {}
    for name in order:
        depth[name] = 1 + max((depth[p] for p in parents[name]), default=-1)
    return depth


def _context_rank(
    fk: ForeignKey, table: Table, depth: dict[QualifiedName, int]
) -> tuple[Any, ...]:
    """Smaller is a better context parent: NOT NULL, then earliest in the primary key (link
    tables), then the deepest parent (more ancestry passed down), then by name."""
    pk = table.primary_key.constrained_columns if table.primary_key else ()
    if pk and set(fk.constrained_columns) <= set(pk):
        pk_rank = min(pk.index(c) for c in fk.constrained_columns)
    else:
        pk_rank = len(pk)
    return (is_nullable(fk, table), pk_rank, -depth[fk.referred_table], _fk_sort_key(fk))


def _fk_sort_key(fk: ForeignKey) -> tuple[Any, ...]:
    return (
        sort_key(fk.table),
        sort_key(fk.referred_table),
        fk.constrained_columns,
        fk.referred_columns,
        fk.name or "",
    )


def _fk_short(fk: ForeignKey) -> str:
    name = f"  [{fk.name}]" if fk.name else ""
    return (
        f"{', '.join(fk.constrained_columns)} -> "
        f"{fk.referred_table}({', '.join(fk.referred_columns)}){name}"
    )


# -- JSON ---------------------------------------------------------------------------------------


def _name_to_dict(name: QualifiedName) -> dict[str, Any]:
    return {"schema": name.schema, "name": name.name}


def _name_from_dict(data: dict[str, Any]) -> QualifiedName:
    return QualifiedName(schema=data["schema"], name=data["name"])


def _fk_to_dict(fk: ForeignKey) -> dict[str, Any]:
    return snapshot.element_to_dict(fk)  # every field, as the schema snapshot writes it (on_partitions too)


def _fk_from_dict(data: dict[str, Any]) -> ForeignKey:
    return snapshot.element_from_dict(ForeignKey, data)


def _table_plan_to_dict(t: TablePlan) -> dict[str, Any]:
    return {
        "table": _name_to_dict(t.table),
        "context_fk": None if t.context_fk is None else _fk_to_dict(t.context_fk),
        "context_unique": t.context_unique,
        "secondary_fks": [_fk_to_dict(fk) for fk in t.secondary_fks],
        "deferred_fks": [
            {"foreign_key": _fk_to_dict(d.foreign_key), "reason": d.reason, "fill": d.fill}
            for d in t.deferred_fks
        ],
        "unique_fks": [_fk_to_dict(fk) for fk in t.unique_fks],
        "component": t.component,
    }


def _table_plan_from_dict(data: dict[str, Any]) -> TablePlan:
    deferred = []
    for d in data["deferred_fks"]:
        if d["fill"] not in ("update", "before_constraints"):
            raise ValueError(f"unknown fill {d['fill']!r}")
        deferred.append(
            DeferredForeignKey(
                foreign_key=_fk_from_dict(d["foreign_key"]), reason=d["reason"], fill=d["fill"]
            )
        )
    context = data["context_fk"]
    return TablePlan(
        table=_name_from_dict(data["table"]),
        context_fk=None if context is None else _fk_from_dict(context),
        secondary_fks=tuple(_fk_from_dict(fk) for fk in data["secondary_fks"]),
        deferred_fks=tuple(deferred),
        component=int(data["component"]),
        context_unique=bool(data.get("context_unique", False)),
        unique_fks=tuple(_fk_from_dict(fk) for fk in data.get("unique_fks", ())),
    )
