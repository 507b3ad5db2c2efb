"""Completeness: is every table there, with about the rows the clone should have?

A clone holds ``source rows x scale`` rows per synthesized table, the source's rows for a table
copied as reference data, none for a table in ``empty`` mode and no table at all for one in
``exclude`` mode. The scale is the one the caller gives (``--scale``, the run's configuration),
else it is inferred from the clone itself (the median ratio of target to source rows) and the
report says so: an inferred scale still catches missing, empty and lopsided tables, not a clone
uniformly made at the wrong scale.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from relsynth.config import RelsynthConfig
from relsynth.schema.elements import QualifiedName

RELATIVE_TOLERANCE = 0.25  # a table may be this far off its expected rows ...
POISSON_SLACK = 2.0  # ... or this many standard deviations of a count (+2 rows), whichever is larger
# Without a run to say which tables were copied, a table this small at exactly the source's size
# passes as copied reference data (the largest table relsynth copies by default).
COPY_MAX_ROWS = RelsynthConfig.reference_max_rows


@dataclass(frozen=True)
class TableCount:
    table: QualifiedName
    source_rows: int
    target_rows: int | None  # None: the table is missing from the target
    expected_rows: float
    status: str  # ok | missing | empty | off_scale | excluded

    @property
    def counted(self) -> bool:
        return self.status != "excluded"


@dataclass(frozen=True)
class Completeness:
    scale: float
    basis: str  # given | workspace | inferred | assumed
    tables: tuple[TableCount, ...]

    def count(self, status: str) -> int:
        return sum(1 for t in self.tables if t.status == status)

    @property
    def row_count_difference(self) -> float:
        """Sum of |target - expected| rows over sum of expected rows: 0 exact, 1 for an empty clone."""
        counted = [t for t in self.tables if t.counted]
        expected = sum(t.expected_rows for t in counted)
        gap = sum(abs((t.target_rows or 0) - t.expected_rows) for t in counted)
        return gap / expected if expected > 0 else (0.0 if gap == 0 else 1.0)

    def of(self, table: QualifiedName) -> TableCount | None:
        return next((t for t in self.tables if t.table == table), None)

    def describe_scale(self) -> str:
        if self.basis == "inferred":
            return f"row counts checked against a scale of {self.scale:.3g} inferred from the clone (pass --scale to check the intended one)"
        if self.basis == "assumed":
            return "row counts checked against a scale of 1: no table has rows on both sides to infer one from"
        if self.basis == "workspace":
            return f"row counts checked against the run's configured scale {self.scale:g} (pass --scale if the clone was generated at another)"
        return f"row counts checked against a scale of {self.scale:g}"


def within_tolerance(target: int, expected: float) -> bool:
    slack = max(RELATIVE_TOLERANCE * expected, POISSON_SLACK * math.sqrt(expected) + 2)
    return abs(target - expected) <= slack


def infer_scale(source_rows: Mapping[QualifiedName, int], target_rows: Mapping[QualifiedName, int]) -> float | None:
    """The median target/source ratio over tables with rows on both sides (None when there are none)."""
    ratios = [target_rows[n] / s for n, s in source_rows.items() if s > 0 and target_rows.get(n, 0) > 0]
    return statistics.median(ratios) if ratios else None


def assess(
    source_rows: Mapping[QualifiedName, int],
    target_rows: Mapping[QualifiedName, int],
    *,
    scale: float | None = None,
    basis: str = "given",
    modes: Mapping[QualifiedName, str] | None = None,
    copied: Collection[QualifiedName] = (),
) -> Completeness:
    """Each source table's expected and actual rows. ``target_rows`` lacks the missing tables.

    ``modes`` (from the run: synthesize | copy | empty | exclude) says what each table should
    hold; without it a small table (``COPY_MAX_ROWS``) with exactly the source's rows passes as
    copied reference data.
    """
    modes = dict(modes or {})
    for name in copied:
        modes[name] = "copy"
    if scale is None:
        synthesized = {n: s for n, s in source_rows.items() if modes.get(n, "synthesize") == "synthesize"}
        scale = infer_scale(synthesized, target_rows)
        basis = "inferred" if scale is not None else "assumed"
        scale = scale if scale is not None else 1.0
    out = []
    for name, source in source_rows.items():
        mode = modes.get(name)
        target = target_rows.get(name)
        if mode == "exclude":
            out.append(TableCount(name, source, target, 0.0, "excluded"))
            continue
        expected = float(source) if mode == "copy" else 0.0 if mode == "empty" else source * scale
        maybe_copied = mode is None and target == source and 0 < source <= COPY_MAX_ROWS
        if target is None:
            status = "missing"
        elif target == 0 and expected >= 1:
            status = "empty"
        elif within_tolerance(target, expected) or maybe_copied:
            status = "ok"
        else:
            status = "off_scale"
        if maybe_copied:
            expected = float(source)  # taken for copied reference data (no run to say otherwise)
        out.append(TableCount(name, source, target, expected, status))
    return Completeness(scale, basis, tuple(out))


def modes_from_run(run) -> dict[QualifiedName, str]:
    """Each table's mode in a trained run (``relsynth.runs.Run``): synthesize | copy | empty | exclude."""
    modes = {name: artifact.mode.value for name, artifact in run.tables.items()}
    for table in run.schema.tables:
        override = run.config.override_for(str(table.name)).mode
        if table.name not in modes and override is not None:
            modes[table.name] = override.value
    modes.update({name: "copy" for name in run.copied})
    return modes
