"""Every unique key the target enforces, kept by a table's generated rows.

Primary keys, UNIQUE constraints and unique indexes are evaluated on the generated rows: a partial
index (``unique (code) where active``) among the rows its predicate selects, evaluated like a CHECK
(relsynth/checks.py); an expression index (``unique (lower(email))``) on the expression's value.
Text is compared case-folded and without trailing spaces, as MariaDB's default collation does, so
keys that PostgreSQL accepts hold on every target.

A row that repeats a key is moved to a free one by the smallest change to one of the key's own
columns: a timestamp, date or number shifted by the column's step (the coarsest step its values
share: 8-hour slots stay on the grid), a text given a numeric suffix within the column's length
(before the ``@`` of an email). A move that breaks a CHECK or another key is not taken. Only rows
that no move frees are left to the caller, which drops them before any child table is generated,
so no child ever points at a dropped row.

What relsynth cannot evaluate is kept safely and said once in a warning: an unreadable predicate
counts every row (the key is kept among all rows); an unreadable expression is replaced by the
columns it reads (kept unique, text compared as above).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relsynth.checks import CompiledCheck, Evaluator, Unsupported, compile_check, compile_expression, referenced_columns
from relsynth.schema.elements import ColumnType, ForeignKey, Table, TypeKind

MAX_MOVES = 64  # steps (or suffixes) tried per repeating row before it is given up
# Kinds a key column can be moved in, the finest-grained first: shifting a timestamp by a step
# changes a row less than suffixing its name.
_MOVE_ORDER = (TypeKind.TIMESTAMP, TypeKind.DATE, TypeKind.INTEGER, TypeKind.DECIMAL, TypeKind.TEXT)


@dataclass(frozen=True)
class EnforcedKey:
    """One key as the target checks it: the rows it covers and their (normalised) key values."""

    label: str
    parts: tuple[Evaluator, ...]
    columns: tuple[str, ...]  # the columns the key reads, its predicate's included
    scope: Evaluator | None = None  # the partial index's predicate
    plain: bool = True  # columns only, over every row
    fallback: tuple[str, ...] = ()  # the columns its expressions read, kept unique if they fail

    def values(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({i: _normalised(part(frame)) for i, part in enumerate(self.parts)}, index=frame.index)

    def covered(self, values: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
        """Rows the target checks: the predicate is TRUE and no key part is NULL."""
        mask = values.notna().all(axis=1).to_numpy(copy=True)  # pandas 3 hands out read-only arrays
        if self.scope is not None:
            mask &= (self.scope(frame).astype("boolean") == True).fillna(False).to_numpy(dtype=bool)  # noqa: E712
        return mask

    def repeats(self, frame: pd.DataFrame, settled: np.ndarray | None = None) -> np.ndarray:
        """Rows that repeat the key of an earlier row; ``settled`` rows count as earliest."""
        if frame.empty:
            return np.zeros(0, dtype=bool)
        values = self.values(frame)
        covered = self.covered(values, frame)
        order = np.arange(len(frame)) if settled is None else np.argsort(~settled, kind="stable")
        inside = order[covered[order]]
        result = np.zeros(len(frame), dtype=bool)
        result[inside] = values.iloc[inside].duplicated(keep="first").to_numpy()
        return result


def enforced_keys(table: Table, dialect: str, rows: pd.DataFrame) -> tuple[list[EnforcedKey], list[str]]:
    """The keys of ``table`` whose columns are all in ``rows`` (the generated ones), and warnings."""
    available = set(rows.columns)
    keys: list[EnforcedKey] = []
    warnings: list[str] = []
    for key in table.unique_keys(with_indexes=False):  # indexes follow: partial, or over expressions
        if key and set(key) <= available:
            keys.append(EnforcedKey(f"key ({', '.join(key)})", tuple(_column(c) for c in key), tuple(key)))
    for index in table.indexes:
        if index.unique and index.expressions:
            key, notes = _index_key(table, index.name, index.expressions, index.where, dialect, available)
            warnings += notes
            if key is not None:
                key, notes = _checked(key, rows.head(200))
                keys.append(key)
                warnings += notes
    return keys, warnings


def _checked(key: EnforcedKey, sample: pd.DataFrame) -> tuple[EnforcedKey, list[str]]:
    """``key``, or its columns kept unique among all rows where it fails on the generated values
    (a predicate comparing a date with text, say)."""
    try:
        key.repeats(sample)
        return key, []
    except (Unsupported, TypeError, ValueError):
        fallback = EnforcedKey(key.label, tuple(_column(c) for c in key.fallback), key.fallback, fallback=key.fallback)
        return fallback, [
            f"{key.label} cannot be evaluated on generated rows; its columns ({', '.join(key.fallback)}) are kept unique among all rows"
        ]


def _index_key(
    table: Table, name: str, expressions: Sequence[str], where: str | None, dialect: str, available: set[str]
) -> tuple[EnforcedKey | None, list[str]]:
    label = f"unique index {name} on {table.name}"
    parts: list[Evaluator] = []
    columns: list[str] = []
    notes: list[str] = []
    for expression in expressions:
        if expression in table.column_names:
            parts.append(_column(expression))
            columns.append(expression)
            continue
        evaluator = compile_expression(expression, dialect=dialect)
        read = referenced_columns(expression, dialect=dialect)
        if evaluator is None or read is None:
            if not read:
                return None, [f"{label}: expression {expression} cannot be evaluated on generated rows; the clone may violate it"]
            notes.append(
                f"{label}: expression {expression} cannot be evaluated on generated rows; "
                f"its columns ({', '.join(read)}) are kept unique instead"
            )
            parts += [_column(c) for c in read]
        else:
            parts.append(evaluator)
        columns += read
    scope = None
    if where is not None:
        check = compile_check(where, dialect=dialect)
        if check is None:
            notes.append(f"{label}: predicate {where} cannot be evaluated on generated rows; the key is kept among all rows")
        else:
            scope = check.evaluate
            columns += referenced_columns(where, dialect=dialect) or ()
    if not set(columns) <= available:
        return None, notes
    plain = scope is None and all(e in table.column_names for e in expressions)
    fallback = tuple(dict.fromkeys(c for e in expressions for c in ((e,) if e in table.column_names else referenced_columns(e, dialect=dialect) or ())))
    return EnforcedKey(label, tuple(parts), tuple(dict.fromkeys(columns)), scope, plain, fallback), notes


def _column(name: str) -> Evaluator:
    return lambda frame: frame[name]


# what pandas.api.types.infer_dtype calls a column that holds no str
_NO_TEXT = frozenset({"integer", "floating", "mixed-integer-float", "decimal", "boolean", "date", "datetime", "datetime64", "time",
                      "timedelta", "timedelta64", "empty"})


def _normalised(values: pd.Series) -> pd.Series:
    """Text folded as a case- and pad-insensitive collation compares it; other values as they are."""
    if values.dtype != object and not pd.api.types.is_string_dtype(values.dtype):  # pandas 3: str dtype
        return values
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in _NO_TEXT:
        return values  # no text to fold (foreign keys are object columns of integers)
    folded = [v.rstrip(" ").casefold() if isinstance(v, str) else v for v in values.tolist()]
    return pd.Series(folded, index=values.index, name=values.name, dtype=object)


# -- moving repeated rows ---------------------------------------------------------------------


def move_repeats(
    frame: pd.DataFrame,
    keys: Sequence[EnforcedKey],
    movable: Mapping[str, ColumnType],
    checks: Sequence[CompiledCheck] = (),
) -> np.ndarray:
    """Move rows of ``frame`` (in place) that repeat a key to free keys; the rows still repeating.

    ``movable`` holds the columns the generator owns (learned or fake values, not foreign keys),
    with their types.
    """
    for key in keys:
        stuck = key.repeats(frame)
        candidates = sorted(
            (c for c in key.columns if c in movable and movable[c].kind in _MOVE_ORDER),
            key=lambda c: _MOVE_ORDER.index(movable[c].kind),
        )
        for column in candidates:
            if not stuck.any():
                break
            stuck = _move(frame, stuck, column, movable[column], [k for k in keys if column in k.columns], checks)
    still = np.zeros(len(frame), dtype=bool)
    for key in keys:
        still |= key.repeats(frame)
    return still


def _move(
    frame: pd.DataFrame,
    rows: np.ndarray,
    column: str,
    column_type: ColumnType,
    keys: Sequence[EnforcedKey],
    checks: Sequence[CompiledCheck],
) -> np.ndarray:
    """Shift ``column`` of ``rows`` one step further each round until their keys are free."""
    original = frame[column]
    shift = _shifter(original, column_type)
    if shift is None:
        return rows
    moving = rows.copy()
    for attempt in range(1, MAX_MOVES + 1):
        frame[column] = frame[column].where(~pd.Series(moving, index=frame.index), shift(original, attempt))
        clash = np.zeros(len(frame), dtype=bool)
        for key in keys:
            clash |= key.repeats(frame, settled=~moving)
        for check in checks:
            try:
                clash |= check.violations(frame)
            except Unsupported:
                continue
        moving &= clash
        if not moving.any():
            break
    frame[column] = frame[column].where(~pd.Series(moving, index=frame.index), original)  # unfreed rows as they were
    return moving


Shift = Callable[[pd.Series, int], pd.Series]


def _shifter(values: pd.Series, column_type: ColumnType) -> Shift | None:
    """A function giving every value moved ``attempt`` steps, in the column's own dtype."""
    present = values.dropna()
    if present.empty:
        return None
    kind = column_type.kind
    if kind is TypeKind.TEXT:
        return lambda series, attempt: series.map(lambda v: _suffixed(v, attempt + 1, column_type.length))
    if kind is TypeKind.TIMESTAMP:
        stamps = pd.to_datetime(present, errors="coerce").dropna()
        if stamps.empty:
            return None
        micros = ((stamps - stamps.min()) // pd.Timedelta(microseconds=1)).to_numpy(dtype=np.int64)
        step = pd.Timedelta(microseconds=int(np.gcd.reduce(micros)) or 1_000_000)
        if pd.api.types.is_datetime64_any_dtype(values):
            return lambda series, attempt: series + step * attempt
        return lambda series, attempt: series.map(lambda v: v if v is None or v != v else v + (step * attempt).to_pytimedelta())
    if kind is TypeKind.DATE and all(isinstance(v, dt.date) for v in present.head(50)):
        days = np.array([v.toordinal() for v in present], dtype=np.int64)
        step_days = int(np.gcd.reduce(days - days.min())) or 1
        return lambda series, attempt: series.map(lambda v: v if v is None or v != v else v + dt.timedelta(days=step_days * attempt))
    if kind is TypeKind.INTEGER:
        numbers = pd.to_numeric(present, errors="coerce").dropna().astype(np.int64).to_numpy()
        step_int = int(np.gcd.reduce(numbers - numbers.min())) if len(numbers) else 1
        return lambda series, attempt: series + (step_int or 1) * attempt
    if kind is TypeKind.DECIMAL and column_type.scale is not None:
        quantum = decimal.Decimal(1).scaleb(-column_type.scale)
        return lambda series, attempt: series.map(lambda v: v if v is None or v != v else decimal.Decimal(v) + quantum * attempt)
    return None


def _suffixed(value: object, number: int, max_length: int | None) -> object:
    """``value`` with ``number`` appended (an email's before its ``@``), cut to fit ``max_length``."""
    if not isinstance(value, str):
        return value
    local, at, domain = value.rpartition("@") if "@" in value else (value, "", "")
    suffix = f"-{number}" if local[-1:].isdigit() else str(number)
    room = None if max_length is None else max_length - len(suffix) - len(at) - len(domain)
    if room is not None and room < 1:
        room = max_length - len(suffix) if max_length is not None and max_length > len(suffix) else None
        if room is None:
            return value
        return (value[:room] + suffix)[:max_length]
    base = local if room is None else local[: max(room, 0)]
    return f"{base}{suffix}{at}{domain}"


# -- link tables -------------------------------------------------------------------------------


def overlaps_another(fk: ForeignKey, table: Table) -> bool:
    """Whether another foreign key of ``table`` shares a column with ``fk``."""
    return any(other != fk and set(other.constrained_columns) & set(fk.constrained_columns) for other in table.foreign_keys)


def reassign_repeats(rows: pd.DataFrame, fk: ForeignKey, key: list[str], parent: pd.DataFrame, rng: np.random.Generator) -> None:
    """Give rows that repeat ``key`` a parent (a row of ``parent``) through ``fk`` that their group
    does not use yet.

    A link table's key is (context parent, secondary parent): each playlist lists a track
    once, so a playlist's repeated tracks are replaced by tracks it does not list.
    """
    if len(parent) == 0:
        return
    fk_columns = list(fk.constrained_columns)
    group_columns = [c for c in key if c not in fk_columns]
    positions_of = [rows.columns.get_loc(c) for c in fk_columns]
    parent_keys = list(map(tuple, parent[list(fk.referred_columns)].to_numpy(dtype=object)))
    groups = rows.groupby(group_columns, dropna=False, sort=False).indices if group_columns else {(): np.arange(len(rows))}
    duplicated = (rows[key].duplicated(keep="first") & rows[key].notna().all(axis=1)).to_numpy()
    for members in groups.values():
        repeats = members[duplicated[members]]
        if len(repeats) == 0:
            continue
        used = set(map(tuple, rows.iloc[members, positions_of].to_numpy(dtype=object)))
        free = [k for k in parent_keys if k not in used]
        picks = rng.permutation(len(free))[: len(repeats)]
        if len(picks):
            replacement = np.empty((len(picks), len(fk_columns)), dtype=object)
            replacement[:] = [free[p] for p in picks]
            rows.iloc[repeats[: len(picks)], positions_of] = replacement
