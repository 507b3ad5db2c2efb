"""Loading through batched ``executemany`` inserts (MySQL/MariaDB, SQLite), and shared value helpers.

Each column is converted once, vectorised where pandas allows, into the plain Python values the
driver binds: ``None`` for every flavour of missing value, JSON text for JSON and arrays, naive UTC
for time-zone-aware timestamps, and ISO text for temporal values where the engine stores text.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from relsynth.engines import Capabilities
from relsynth.errors import LoadError
from relsynth.schema.elements import Column, QualifiedName, TypeKind
from relsynth.schema.introspection import declared_column_types
from relsynth.values.families import family_of

# Rows per executemany call; fewer when the columns would exceed the engine's bind-parameter limit.
_MAX_BATCH_ROWS = 5000
_VALUE_PREVIEW = 80

_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite storage formats, so its types read them back
_SQLITE_TIME = "%H:%M:%S.%f"
_SPATIAL = frozenset({"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection"})


# --------------------------------------------------------------------------- shared helpers


def null_mask(series: pd.Series) -> np.ndarray:
    """True where the value is None, NaN, NaT or pd.NA."""
    return np.asarray(pd.isna(series), dtype=bool)


def quote_name(connection: Connection, name: QualifiedName) -> str:
    preparer = connection.dialect.identifier_preparer
    quoted = preparer.quote_identifier(name.name)
    return quoted if name.schema is None else f"{preparer.quote_identifier(name.schema)}.{quoted}"


def preview(value: object) -> str:
    """A short printable form of a value for error messages."""
    text = repr(value)
    return text if len(text) <= _VALUE_PREVIEW else text[: _VALUE_PREVIEW - 3] + "..."


def json_default(value: object) -> object:
    """``json.dumps`` fallback for the values generated frames hold."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, pd.Timedelta, dt.timedelta)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_text(value: object) -> str:
    if isinstance(value, str):  # already serialised
        return value
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return json.dumps(value, ensure_ascii=False, default=json_default)


def decimal_quantizer(scale: int | None) -> Decimal | None:
    return None if scale is None else Decimal(1).scaleb(-scale)


def to_decimal(value: object, quantum: Decimal | None) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, float | np.floating):
        number = Decimal(repr(float(value)))  # the shortest repr, not the binary expansion
    else:
        number = Decimal(str(value))
    return number if quantum is None else number.quantize(quantum)


def to_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("t", "true", "1", "y", "yes", "on")
    return bool(value)


def datetimes(series: pd.Series, *, utc_naive: bool) -> pd.Series:
    """``series`` as datetime64[ns] (naive); aware values are converted to UTC first."""
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        series = pd.to_datetime(series, utc=utc_naive) if utc_naive else pd.to_datetime(series)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series


def timedeltas(series: pd.Series) -> pd.Series:
    return series if pd.api.types.is_timedelta64_dtype(series.dtype) else pd.to_timedelta(series)


def writable_columns(table_columns: Sequence[Column], frame: pd.DataFrame, target: QualifiedName) -> list[Column]:
    """The table's columns that ``frame`` holds, in the frame's order; generated columns refused."""
    by_name = {column.name: column for column in table_columns}
    unknown = [name for name in frame.columns if name not in by_name]
    if unknown:
        raise LoadError(
            f"cannot load into table {target}: the rows have columns {unknown} that the table does not have; "
            f"its columns are {list(by_name)}"
        )
    columns = [by_name[name] for name in frame.columns]
    computed = [column.name for column in columns if column.computed is not None]
    if computed:
        raise LoadError(
            f"cannot load into table {target}: columns {computed} are generated by the database and "
            "cannot be written; drop them from the rows"
        )
    return columns


# --------------------------------------------------------------------------- driver values


def _is_numeric_type(declared: str) -> bool:
    return bool(re.search(r"int|real|floa|doub|num|dec", declared))


def _interval_values(series: pd.Series, declared: str) -> list[Any]:
    """Intervals as the target's mapped type stores them: seconds in numbers, else ISO 8601 text."""
    deltas = timedeltas(series)
    if "time" in declared and "stamp" not in declared:  # MySQL TIME: pymysql binds timedelta
        return [delta.to_pytimedelta() for delta in deltas]
    if _is_numeric_type(declared):
        seconds = deltas.dt.total_seconds()
        if "int" in declared:
            return [round(value) for value in seconds.tolist()]
        return seconds.tolist()
    return [delta.isoformat() for delta in deltas]


def _driver_values(series: pd.Series, column: Column, caps: Capabilities, declared: str) -> list[Any]:
    """The non-null ``series`` converted to what the driver binds for ``column``."""
    kind = column.type.kind
    if declared.startswith("bit"):  # MySQL's BIT(n) binds an integer, not the text of its bits
        return [int(str(value), 2) if str(value) else 0 for value in series.tolist()]
    if kind is TypeKind.INTEGER:
        if pd.api.types.is_float_dtype(series.dtype):
            series = series.astype(np.int64)
        if not caps.binds_decimal and pd.api.types.is_unsigned_integer_dtype(series.dtype):
            return [str(value) for value in series.tolist()]  # sqlite3 binds 64-bit signed integers only
        return [int(value) for value in series.tolist()]
    if kind is TypeKind.FLOAT:
        return [float(value) for value in series.tolist()]
    if kind is TypeKind.DECIMAL:
        quantum = decimal_quantizer(column.type.scale)
        numbers = [to_decimal(value, quantum) for value in series.tolist()]
        return numbers if caps.binds_decimal else [str(number) for number in numbers]
    if kind is TypeKind.BOOLEAN:
        return [to_bool(value) for value in series.tolist()]
    if kind is TypeKind.DATE:
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            dates = [stamp.date() for stamp in datetimes(series, utc_naive=False)]
        else:
            dates = [_as_date(value) for value in series.tolist()]
        return [d.isoformat() for d in dates] if caps.temporal_as_text else dates
    if kind is TypeKind.TIME:
        times = [_as_time(value) for value in series.tolist()]
        return [t.strftime(_SQLITE_TIME) for t in times] if caps.temporal_as_text else times
    if kind is TypeKind.TIMESTAMP:
        stamps = datetimes(series, utc_naive=not caps.timezone_aware_timestamps or column.type.timezone)
        if caps.temporal_as_text:
            return list(stamps.dt.strftime(_SQLITE_DATETIME))
        values = stamps.array.to_pydatetime().tolist()
        if caps.timezone_aware_timestamps and column.type.timezone:
            values = [value.replace(tzinfo=dt.UTC) for value in values]
        return values
    if kind is TypeKind.INTERVAL:
        return _interval_values(series, declared)
    if kind is TypeKind.JSON or (kind is TypeKind.ARRAY and not caps.native_arrays):
        return [json_text(value) for value in series.tolist()]
    if kind is TypeKind.ARRAY:
        return [value.tolist() if isinstance(value, np.ndarray) else list(value) for value in series.tolist()]
    if kind is TypeKind.BINARY:
        return [bytes(value) for value in series.tolist()]
    # Numbers stay numbers: a SQLite column declared without a type stores them as given.
    return [value if type(value) in (str, int, float) else str(value) for value in series.tolist()]


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def _as_time(value: object) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, dt.timedelta | pd.Timedelta):
        return (dt.datetime.min + pd.Timedelta(value).to_pytimedelta()).time()
    if isinstance(value, str):
        return dt.time.fromisoformat(value)
    return pd.Timestamp(value).time()


def column_values(
    series: pd.Series,
    converter: Callable[[pd.Series], list[Any]],
    null: object,
) -> list[Any]:
    """Apply ``converter`` to the non-null values and put ``null`` where values are missing."""
    mask = null_mask(series)
    if not mask.any():
        return converter(series)
    out = np.full(len(series), null, dtype=object)
    present = ~mask
    if present.any():
        converted = np.empty(int(present.sum()), dtype=object)
        converted[:] = converter(series[present])
        out[present] = converted
    return out.tolist()


# --------------------------------------------------------------------------- executemany


def insert_frame(
    connection: Connection,
    columns: Sequence[Column],
    frame: pd.DataFrame,
    target: QualifiedName,
    caps: Capabilities,
) -> int:
    declared: dict[str, str] = {}
    if not caps.native_interval and any(column.type.kind is TypeKind.INTERVAL for column in columns) or any(
        family_of(column.type) in ("bit", "spatial") for column in columns
    ):
        declared = declared_column_types(connection, target)  # only read when the mapping depends on them
    converted = [
        column_values(
            frame[column.name],
            lambda s, column=column: _driver_values(s, column, caps, declared.get(column.name, "")),
            None,
        )
        for column in columns
    ]
    rows = list(zip(*converted, strict=True))
    statement = _insert_sql(connection, columns, target, declared)
    batch = max(1, min(_MAX_BATCH_ROWS, caps.max_bind_parameters // max(1, len(columns))))
    # MySQL drivers send rows one by one when a marker is wrapped (ST_GeomFromText(%s)): "at row 1"
    # then names no row of the chunk, so the rows already written say which one failed.
    one_by_one = caps.wrapped_markers_sent_singly and "ST_GeomFromText(" in statement
    before = _row_count(connection, target) if one_by_one else None
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        try:
            connection.exec_driver_sql(statement, chunk)
        except sa.exc.DBAPIError as exc:
            written = _row_count(connection, target) if before is not None else None
            failed = start if written is None or before is None else written - before
            raise _load_error(exc, target, columns, frame, failed, len(chunk) - (failed - start)) from exc
    return len(rows)


def _row_count(connection: Connection, target: QualifiedName) -> int | None:
    """The rows ``target`` holds now, None if it cannot be counted (the load's own error wins)."""
    try:
        return int(connection.exec_driver_sql(f"SELECT COUNT(*) FROM {quote_name(connection, target)}").scalar_one())
    except sa.exc.DBAPIError:
        return None


def _insert_sql(connection: Connection, columns: Sequence[Column], target: QualifiedName, declared: dict[str, str]) -> str:
    preparer = connection.dialect.identifier_preparer
    names = ", ".join(preparer.quote_identifier(column.name) for column in columns)
    style = connection.dialect.paramstyle
    marker = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(style)
    if marker is None:
        raise LoadError(f"cannot load into table {target}: the driver's parameter style {style!r} is not supported")
    # A spatial column takes its value as WKT through ST_GeomFromText.
    # (SQLAlchemy reflects MySQL's spatial types as NullType, declared "null".)
    spatial = {c.name for c in columns if family_of(c.type) == "spatial" and declared.get(c.name) in (*_SPATIAL, "null")}
    markers = [f"ST_GeomFromText({marker})" if c.name in spatial else marker for c in columns]
    sql = f"INSERT INTO {quote_name(connection, target)} ({names}) VALUES ({', '.join(markers)})"
    if style in ("format", "pyformat"):  # a literal % in an identifier must be doubled
        head, _, tail = sql.partition(" VALUES ")
        sql = head.replace("%", "%%") + " VALUES " + tail
    return sql


def _load_error(
    exc: sa.exc.DBAPIError,
    target: QualifiedName,
    columns: Sequence[Column],
    frame: pd.DataFrame,
    start: int,
    count: int,
) -> LoadError:
    reason = driver_message(exc)
    detail = _failing_value(reason, columns, frame, start, count)
    return LoadError(
        f"cannot load rows {start}..{start + count - 1} into table {target}: {reason}{detail}; "
        "the transaction must be rolled back; fix the rows or the table's definition"
    )


def driver_message(exc: sa.exc.DBAPIError) -> str:
    """The driver's own first line, without the (code, 'message') tuple form MySQL drivers use."""
    orig = exc.orig
    if orig is None:
        return str(exc).strip().splitlines()[0]
    args = getattr(orig, "args", ())
    text = args[1] if len(args) == 2 and isinstance(args[1], str) else str(orig)
    return (text.strip().splitlines() or [type(orig).__name__])[0]


def _failing_value(reason: str, columns: Sequence[Column], frame: pd.DataFrame, start: int, count: int) -> str:
    """Point at the first failing value where the driver's message allows it."""
    row_match = re.search(r"at row (\d+)", reason)  # MySQL: row number within the statement
    column_match = re.search(r"column '([^']+)'", reason) or re.search(r"failed: [^.]+\.(\S+)", reason)
    names = {column.name for column in columns}
    column = column_match.group(1) if column_match and column_match.group(1) in names else None
    if row_match and column is not None:
        row = start + int(row_match.group(1)) - 1
        if row < len(frame):
            return f" (row {row}, column {column} = {preview(frame[column].iloc[row])})"
    if column is not None and "NOT NULL" in reason:
        missing = np.flatnonzero(null_mask(frame[column].iloc[start : start + count]))
        if len(missing):
            return f" (row {start + int(missing[0])}, column {column} is NULL)"
    return ""
