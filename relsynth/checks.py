"""CHECK constraints evaluated on generated rows, so a constraint never fails at load time.

A CHECK's SQL is parsed with sqlglot and evaluated on a DataFrame with SQL's three-valued logic: a
row violates the constraint only when the expression is FALSE (NULL passes, as in SQL). Expressions
outside the supported subset compile to None and are reported, not guessed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlglot
from sqlglot import expressions as exp

from relsynth.engines import sqlglot_dialect

Evaluator = Callable[[pd.DataFrame], pd.Series]


class Unsupported(Exception):
    """The expression uses SQL that this evaluator does not implement."""


_COMPARISONS = {
    exp.EQ: operator.eq,
    exp.NEQ: operator.ne,
    exp.GT: operator.gt,
    exp.GTE: operator.ge,
    exp.LT: operator.lt,
    exp.LTE: operator.le,
}
_ARITHMETIC = {exp.Add: operator.add, exp.Sub: operator.sub, exp.Mul: operator.mul, exp.Div: operator.truediv}


def _to_bool(values: pd.Series) -> pd.Series:
    return values.astype("boolean")


def _comparable(left: pd.Series, right: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Bring dates, timestamps and numbers to types that compare with each other."""
    for a, b in ((left, right), (right, left)):
        if pd.api.types.is_datetime64_any_dtype(a) and not pd.api.types.is_datetime64_any_dtype(b):
            converted = pd.to_datetime(b, errors="coerce")
            return (a, converted) if a is left else (converted, a)
    if left.dtype == object or right.dtype == object:
        sample = pd.concat([left.dropna().head(1), right.dropna().head(1)])
        if len(sample) and all(hasattr(v, "isoformat") for v in sample):  # date / datetime objects
            return pd.to_datetime(left, errors="coerce"), pd.to_datetime(right, errors="coerce")
        if len(sample) and all(not isinstance(v, str) for v in sample):
            return pd.to_numeric(left, errors="coerce"), pd.to_numeric(right, errors="coerce")
    return left, right


def _compile(node: exp.Expression) -> Evaluator:
    for compile_kind in (_compile_operand, _compile_operator, _compile_function):
        compiled = compile_kind(node)
        if compiled is not None:
            return compiled
    raise Unsupported(type(node).__name__)


def _compile_operand(node: exp.Expression) -> Evaluator | None:
    """A column, a constant, a cast or a parenthesised expression; None for anything else."""
    if isinstance(node, exp.Paren):
        return _compile(node.this)
    if isinstance(node, exp.Cast):
        return _compile_cast(node)
    if isinstance(node, exp.Column):
        return _column_reader(node.name)
    if isinstance(node, exp.Literal):
        value: object = node.this if node.is_string else float(node.this)
        return lambda frame: pd.Series([value] * len(frame), index=frame.index, dtype=object)
    if isinstance(node, exp.Null):
        return lambda frame: pd.Series([None] * len(frame), index=frame.index, dtype=object)
    if isinstance(node, exp.Boolean):
        flag = node.this
        return lambda frame: pd.Series([flag] * len(frame), index=frame.index, dtype="boolean")
    return None


def _compile_cast(node: exp.Cast) -> Evaluator:
    inner = _compile(node.this)
    target = node.to.this
    if target in exp.DataType.NUMERIC_TYPES:
        return lambda frame: pd.to_numeric(inner(frame), errors="coerce")
    if target in {exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPTZ}:
        return lambda frame: pd.to_datetime(inner(frame), errors="coerce")
    return inner  # text-like casts do not change the comparison


def _column_reader(name: str) -> Evaluator:
    def column(frame: pd.DataFrame) -> pd.Series:
        if name in frame.columns:
            return frame[name]
        lowered = {c.lower(): c for c in frame.columns}
        if name.lower() in lowered:
            return frame[lowered[name.lower()]]
        raise Unsupported(f"unknown column {name}")

    return column


def _compile_operator(node: exp.Expression) -> Evaluator | None:
    """Arithmetic, comparisons and boolean logic; None for anything else."""
    if isinstance(node, exp.Neg):
        inner = _compile(node.this)
        return lambda frame: -pd.to_numeric(inner(frame), errors="coerce")
    for kind, function in _ARITHMETIC.items():
        if isinstance(node, kind):
            left, right = _compile(node.this), _compile(node.expression)
            return lambda frame, f=function: f(*_comparable(left(frame), right(frame)))
    for kind, function in _COMPARISONS.items():
        if isinstance(node, kind):
            if isinstance(node.expression, exp.Any):
                return _compile_in(node.this, _array_items(node.expression), negate=kind is exp.NEQ)
            left, right = _compile(node.this), _compile(node.expression)
            return lambda frame, f=function: _compare(f, left(frame), right(frame))
    if isinstance(node, exp.And):
        left, right = _compile(node.this), _compile(node.expression)
        return lambda frame: _to_bool(left(frame)) & _to_bool(right(frame))
    if isinstance(node, exp.Or):
        left, right = _compile(node.this), _compile(node.expression)
        return lambda frame: _to_bool(left(frame)) | _to_bool(right(frame))
    if isinstance(node, exp.Not):
        inner = _compile(node.this)
        return lambda frame: ~_to_bool(inner(frame))
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        inner = _compile(node.this)
        return lambda frame: inner(frame).isna().astype("boolean")
    if isinstance(node, exp.In):
        return _compile_in(node.this, node.expressions, negate=False)
    if isinstance(node, exp.Between):
        value, low, high = _compile(node.this), _compile(node.args["low"]), _compile(node.args["high"])
        return lambda frame: _compare(operator.ge, value(frame), low(frame)) & _compare(
            operator.le, value(frame), high(frame)
        )
    return None


def _compile_function(node: exp.Expression) -> Evaluator | None:
    """LENGTH, LOWER/UPPER/TRIM, COALESCE and ``||``; None for anything else."""
    if isinstance(node, exp.Length):
        inner = _compile(node.this)
        return lambda frame: inner(frame).map(lambda v: None if v is None or v is pd.NA else len(str(v)))
    if type(node) in _TEXT_FUNCTIONS and not node.args.get("expression"):  # TRIM(x), not TRIM(x, chars)
        inner, function = _compile(node.this), _TEXT_FUNCTIONS[type(node)]
        return lambda frame: inner(frame).map(lambda v: v if v is None or v is pd.NA or v != v else function(str(v)))
    if isinstance(node, exp.Coalesce):
        parts = [_compile(node.this)] + [_compile(e) for e in node.expressions]
        return lambda frame: _coalesced([part(frame) for part in parts])
    if isinstance(node, exp.DPipe):
        left, right = _compile(node.this), _compile(node.expression)
        return lambda frame: _concatenated(left(frame), right(frame))
    return None


# Text functions of expression indexes (``unique (lower(email))``), as Python.
_TEXT_FUNCTIONS: dict[type, Callable[[str], str]] = {exp.Lower: str.lower, exp.Upper: str.upper, exp.Trim: str.strip}


def _coalesced(parts: list[pd.Series]) -> pd.Series:
    result = parts[0].astype(object)
    for part in parts[1:]:
        result = result.where(result.notna(), part.astype(object))
    return result


def _concatenated(left: pd.Series, right: pd.Series) -> pd.Series:
    """SQL's ``||``: NULL when either side is NULL."""
    missing = left.isna().to_numpy() | right.isna().to_numpy()
    joined = left.astype(str) + right.astype(str)
    return joined.astype(object).mask(missing, None)


def _array_items(node: exp.Any) -> list[exp.Expression]:
    inner = node.this
    while isinstance(inner, (exp.Paren, exp.Cast)):
        inner = inner.this
    if not isinstance(inner, exp.Array):
        raise Unsupported("ANY over something other than an ARRAY literal")
    return list(inner.expressions)


def _compile_in(subject: exp.Expression, items: list[exp.Expression], *, negate: bool) -> Evaluator:
    value = _compile(subject)
    literals = []
    for item in items:
        while isinstance(item, (exp.Paren, exp.Cast)):
            item = item.this
        if not isinstance(item, exp.Literal):
            raise Unsupported("IN list with non-literal items")
        literals.append(item.this if item.is_string else float(item.this))

    def evaluate(frame: pd.DataFrame) -> pd.Series:
        values = value(frame)
        if literals and not isinstance(literals[0], str):
            values = pd.to_numeric(values, errors="coerce")
        else:
            values = values.map(lambda v: v if v is None or v is pd.NA else str(v))
        result = values.isin(literals).astype("boolean")
        result[values.isna()] = pd.NA
        return ~result if negate else result

    return evaluate


def _compare(function: Callable, left: pd.Series, right: pd.Series) -> pd.Series:
    left, right = _comparable(left, right)
    missing = left.isna().to_numpy() | right.isna().to_numpy()
    with np.errstate(invalid="ignore"):
        try:
            result = pd.Series(function(left, right), index=left.index).astype("boolean")
        except TypeError as exc:
            raise Unsupported(f"cannot compare {left.dtype} with {right.dtype}") from exc
    result[missing] = pd.NA
    return result


@dataclass(frozen=True)
class CompiledCheck:
    sqltext: str
    evaluate: Evaluator

    def violations(self, frame: pd.DataFrame) -> np.ndarray:
        """A boolean mask of the rows for which the CHECK is FALSE.

        Raises ``Unsupported`` when the frame lacks a column the CHECK reads.
        """
        if frame.empty:
            return np.zeros(0, dtype=bool)
        result = _to_bool(self.evaluate(frame))
        return (result == False).fillna(False).to_numpy(dtype=bool)  # noqa: E712 - three-valued logic


def _parse(sqltext: str, dialect: str) -> exp.Expression | None:
    """The CHECK's expression tree, or None when sqlglot cannot read it."""
    try:
        return sqlglot.parse_one(sqltext, read=sqlglot_dialect(dialect))
    except sqlglot.errors.ParseError:
        return None


def _conjuncts(node: exp.Expression) -> Iterator[exp.Expression]:
    """The conditions joined by AND (each of which must hold), parentheses removed."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        yield from _conjuncts(node.this)
        yield from _conjuncts(node.expression)
    else:
        yield node


def _unwrapped(node: exp.Expression) -> exp.Expression:
    while isinstance(node, (exp.Paren, exp.Cast)):
        node = node.this
    return node


def compile_check(sqltext: str, *, dialect: str = "postgres", domain_column: str | None = None) -> CompiledCheck | None:
    """Compile ``sqltext`` or return None when it uses unsupported SQL.

    ``domain_column`` replaces ``VALUE`` in a domain's CHECK with the column that uses the domain.
    """
    tree = _parse(sqltext, dialect)
    if tree is None:
        return None
    try:
        if domain_column is not None:
            tree = tree.transform(
                lambda node: exp.column(domain_column)
                if isinstance(node, exp.Column) and node.name.upper() == "VALUE"
                else node
            )
        evaluator = _compile(tree)
    except (Unsupported, sqlglot.errors.ParseError):
        return None
    return CompiledCheck(sqltext=sqltext, evaluate=evaluator)


def compile_expression(sqltext: str, *, dialect: str = "postgres") -> Evaluator | None:
    """An evaluator of a value expression (an expression index's ``lower(email)``), or None when
    it uses SQL outside the supported subset."""
    tree = _parse(sqltext, dialect)
    if tree is None:
        return None
    try:
        return _compile(tree)
    except (Unsupported, sqlglot.errors.ParseError):
        return None


def referenced_columns(sqltext: str, *, dialect: str = "postgres") -> tuple[str, ...] | None:
    """The columns an expression reads, in order of appearance; None when it cannot be parsed."""
    tree = _parse(sqltext, dialect)
    if tree is None:
        return None
    return tuple(dict.fromkeys(column.name for column in tree.find_all(exp.Column, bfs=False)))


def allowed_values(sqltext: str, *, dialect: str = "postgres") -> dict[str, list[str]]:
    """The text values a CHECK allows single columns (``status IN ('A', 'B')``, or PostgreSQL's
    ``status = ANY (ARRAY['A', 'B'])``), from conditions that must all hold (joined by AND)."""
    tree = _parse(sqltext, dialect)
    found: dict[str, list[str]] = {}
    for node in _conjuncts(tree) if tree is not None else ():
        if isinstance(node, exp.In):
            subject, items = node.this, list(node.expressions)
        elif isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
            try:
                subject, items = node.this, _array_items(node.expression)
            except Unsupported:
                continue
        else:
            continue
        subject, items = _unwrapped(subject), [_unwrapped(item) for item in items]
        if isinstance(subject, exp.Column) and items and all(isinstance(i, exp.Literal) and i.is_string for i in items):
            found[subject.name] = [i.this for i in items]
    return found


STRICT_MARGIN = 1e-9


def column_bounds(sqltext: str, *, dialect: str = "postgres") -> dict[str, tuple[float | None, float | None]]:
    """Numeric bounds that a CHECK puts on single columns: ``{"amount": (0, None)}`` for ``amount >= 0``
    (``amount > 0`` gives a bound a hair above 0).

    Used to keep decoded values inside the allowed range rather than rejecting them afterwards.
    """
    tree = _parse(sqltext, dialect)
    if tree is None:
        return {}
    bounds: dict[str, tuple[float | None, float | None]] = {}

    def literal(node: exp.Expression) -> float | None:
        node = _unwrapped(node)
        if isinstance(node, exp.Neg):
            inner = literal(node.this)
            return None if inner is None else -inner
        return float(node.this) if isinstance(node, exp.Literal) and not node.is_string else None

    def column(node: exp.Expression) -> str | None:
        node = _unwrapped(node)
        return node.name if isinstance(node, exp.Column) else None

    def add(name: str, low: float | None, high: float | None) -> None:
        old_low, old_high = bounds.get(name, (None, None))
        low = low if old_low is None else (old_low if low is None else max(low, old_low))
        high = high if old_high is None else (old_high if high is None else min(high, old_high))
        bounds[name] = (low, high)

    def visit(node: exp.Expression) -> None:
        if isinstance(node, exp.Between) and column(node.this):
            add(column(node.this), literal(node.args["low"]), literal(node.args["high"]))
        elif isinstance(node, (exp.GT, exp.GTE, exp.LT, exp.LTE)):
            name, value = column(node.this), literal(node.expression)
            flipped = False
            if name is None or value is None:
                name, value, flipped = column(node.expression), literal(node.this), True
            if name is None or value is None:
                return
            lower = isinstance(node, (exp.GT, exp.GTE)) != flipped
            if isinstance(node, (exp.GT, exp.LT)):  # strict: a hair inside, so clipping (then
                # rounding up to the column's step) never lands on the excluded value itself
                value += (1 if lower else -1) * STRICT_MARGIN * max(abs(value), 1.0)
            add(name, value, None) if lower else add(name, None, value)

    for node in _conjuncts(tree):
        visit(node)
    return bounds
