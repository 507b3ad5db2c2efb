"""Tree walks: which child tables are made under each chunk of their parent, and the order tables are made in.

A table made in chunks (relsynth.chunks) still lends each later reader what it reads, for every
row: a parent keeps its key, its children count and its child's context columns until the child
is made, so memory grows with the parent's rows. A child that only its own parent's chunk feeds
is instead *walked*: made under each chunk of its parent, right after that chunk, its share of
rows calibrated within the chunk. Neither the chunk nor the child's rows are kept afterwards, and
peak memory follows the chunk size and the models, not the rows generated.

A child is walked under its context parent when:
- the parent is large (more expected rows than a chunk): under a parent of one chunk, a walk saves nothing;
- both are made in chunks (no ``whole_table_reason``), neither waits for the end phase, and both are synthesized;
- nothing but its own walked children reads the child (it is never kept whole), and the child
  reads its parent only through its context key (a second key to the same parent needs every row);
- everything else the child reads (secondary parents, tables its rules read) is made before the walk.

A walk (its root, made in chunks as usual, and every table walked under it) is made as one unit,
as late as its inputs require: ``order`` is the plan's order with each walk moved after the tables
it reads, which is still parents first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from relsynth.planning import TablePlan
from relsynth.schema.elements import QualifiedName

Readers = Mapping[QualifiedName, set[QualifiedName | None]]  # who reads each table (None: the end phase)


@dataclass(frozen=True)
class Walks:
    order: list[TablePlan]  # the order tables are made in (walked tables right after their walk's root)
    children: dict[QualifiedName, list[TablePlan]]  # the tables walked under each table's chunks

    @property
    def walked(self) -> set[QualifiedName]:
        return {child.table for children in self.children.values() for child in children}

    def consumed(self, name: QualifiedName, readers: Readers) -> bool:
        """Whether only the tables walked under ``name`` read it: it need not be kept once walked."""
        walked = {child.table for child in self.children.get(name, ())}
        return bool(walked) and readers.get(name, set()) <= walked


def plan_walks(plans: list[TablePlan], readers: Readers, *, chunked: Callable[[TablePlan], bool], large: Callable[[QualifiedName], bool]) -> Walks:
    """The walks of a plan (``plans`` in plan order). ``chunked``: a table is synthesized, made in
    chunks and does not wait; ``large``: a table expects more rows than one chunk."""
    by_name = {tp.table: tp for tp in plans}
    parent_of = {
        tp.table: tp.context_fk.referred_table
        for tp in plans
        if tp.context_fk is not None
        and not tp.context_fk.is_self_reference
        and large(tp.context_fk.referred_table)
        and chunked(tp)
        and chunked(by_name[tp.context_fk.referred_table])
        and all(fk.referred_table != tp.context_fk.referred_table for fk in tp.secondary_fks)
    }
    reads = _reads(readers)
    while True:  # drop walks that break a condition, until none does (dropping one can break its parent's)
        walkers = {child: parent for child, parent in parent_of.items() if _keeps(child, parent, parent_of, readers, reads)}
        if walkers == parent_of:
            break
        parent_of = walkers
    order = _order(plans, parent_of, reads) if parent_of else None
    if order is None:  # no walk, or a walk's inputs need its root first: tables in plan order, none walked
        return Walks(order=list(plans), children={})
    children: dict[QualifiedName, list[TablePlan]] = {}
    for tp in plans:
        if tp.table in parent_of:
            children.setdefault(parent_of[tp.table], []).append(tp)
    return Walks(order=[by_name[name] for name in order], children=children)


def _reads(readers: Readers) -> dict[QualifiedName, set[QualifiedName]]:
    """What each table reads (the inverse of ``readers``)."""
    reads: dict[QualifiedName, set[QualifiedName]] = {}
    for table, who in readers.items():
        for reader in who:
            if reader is not None and reader != table:
                reads.setdefault(reader, set()).add(table)
    return reads


def _root(name: QualifiedName, parent_of: Mapping[QualifiedName, QualifiedName]) -> QualifiedName:
    while name in parent_of:
        name = parent_of[name]
    return name


def _keeps(child: QualifiedName, parent: QualifiedName, parent_of, readers: Readers, reads) -> bool:
    """Whether walking ``child`` under ``parent`` still holds, given the other walks."""
    own = {c for c, p in parent_of.items() if p == child}
    if not readers.get(child, set()) <= own:  # someone else (or the end phase) needs it whole
        return False
    root = _root(child, parent_of)
    group = {root} | {t for t in parent_of if _root(t, parent_of) == root}
    return not (reads.get(child, set()) - {parent}) & group  # its other inputs come from outside the walk


def _order(plans: list[TablePlan], parent_of, reads) -> list[QualifiedName] | None:
    """Plan order with each walk (root and walked tables) as one unit, made once its inputs are made."""
    units: list[list[QualifiedName]] = []
    unit_of: dict[QualifiedName, list[QualifiedName]] = {}
    for tp in plans:
        root = _root(tp.table, parent_of)
        if root not in unit_of:
            unit_of[root] = []
            units.append(unit_of[root])
        unit_of[root].append(tp.table)
    made: list[QualifiedName] = []
    while units:
        for unit in units:
            inputs = set().union(*(reads.get(t, set()) for t in unit)) - set(unit)
            if inputs <= set(made):
                made.extend(unit)
                units.remove(unit)
                break
        else:
            return None
    return made


@dataclass
class WalkProgress:
    """A walked table as its parent's chunks go by: what carries from one parent chunk to the next."""

    target: int  # rows with a parent, over the whole table (the scale's share of the source's)
    parent_total: int  # the parent's planned rows: each parent chunk gets the share of its planned rows
    null_rows: int  # rows without a parent, made once the parent's chunks are done
    planned: int = 0  # rows planned so far: the next chunk's first row
    chunks: int = 0  # chunks made so far: the next chunk's index (its seed)
    parent_chunks: int = 0  # parent chunks walked so far (the seed of each one's calibration)
    deals: dict = field(default_factory=dict)  # secondary key -> its parents' degrees (DealtDegrees)

    @property
    def total(self) -> int:
        return self.target + self.null_rows

    def share(self, parent_first: int, parent_rows: int) -> int:
        """The rows under parent rows ``[parent_first, parent_first + parent_rows)``: the target
        apportioned by planned parent rows, so that the shares sum to the target exactly."""
        if self.parent_total == 0:
            return 0
        stop = parent_first + parent_rows
        return self.target * stop // self.parent_total - self.target * parent_first // self.parent_total
