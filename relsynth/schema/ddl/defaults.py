"""Column defaults across engines: the literals and clocks that mean the same on the target, and
the sequence a PostgreSQL ``nextval(...)`` default draws from."""

from __future__ import annotations

import re
from collections.abc import Callable

from relsynth.engines import Capabilities
from relsynth.schema.elements import Column, QualifiedName, TypeKind

_TIMESTAMP_DEFAULT = re.compile(
    r"^(now\(\)|current_timestamp(\(\d*\))?|transaction_timestamp\(\)|statement_timestamp\(\)|localtimestamp"
    r"(\(\d*\))?|clock_timestamp\(\)|sysdate\(\)|datetime\('now'\))$",
    re.IGNORECASE,
)
_DATE_DEFAULT = re.compile(r"^(current_date|curdate\(\)|date\('now'\))$", re.IGNORECASE)
_STRING = re.compile(r"^'((?:[^']|'')*)'$", re.DOTALL)
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_CAST = re.compile(r"^(.*)::[A-Za-z_\"][\w\s\".]*(\(\d+(,\s*\d+)?\))?(\[\])*$", re.DOTALL)
NEXTVAL = re.compile(r"^nextval\('(.+)'(::regclass)?\)$", re.IGNORECASE)


def serial_sequence(column: Column) -> QualifiedName | None:
    """The sequence that numbers ``column``: its own, or the one its ``nextval(...)`` default names."""
    if column.sequence is not None:
        return column.sequence
    match = NEXTVAL.match((column.default or "").strip())
    if match is None:
        return None
    raw = match.group(1).replace("''", "'")
    schema, _, name = raw.rpartition(".") if not raw.startswith('"') or raw.count('"') > 2 else ("", "", raw)
    unquote = lambda s: s[1:-1].replace('""', '"') if s.startswith('"') else s
    return QualifiedName(unquote(schema) if schema else None, unquote(name))


def portable_default(default: str, kind: TypeKind, target: Capabilities, literal: Callable[[str], str]) -> str | None:
    """A default that means the same on ``target``: literals and the current time; else None."""
    text = _bare(default)
    if text.upper() == "NULL":
        return None
    if _TIMESTAMP_DEFAULT.match(text):
        if kind is TypeKind.DATE:
            return target.current_date_default
        if kind is not TypeKind.TIMESTAMP:
            return None
        return target.current_timestamp_default
    if _DATE_DEFAULT.match(text):
        return target.current_date_default
    if kind is TypeKind.BOOLEAN:
        value = text.strip("'").lower()
        if value in ("true", "t", "1", "yes", "y", "on", "b'1'"):
            return "true" if target.boolean_literals else "1"
        if value in ("false", "f", "0", "no", "n", "off", "b'0'"):
            return "false" if target.boolean_literals else "0"
        return None
    if kind in (TypeKind.ARRAY, TypeKind.JSON, TypeKind.BINARY, TypeKind.OTHER, TypeKind.INTERVAL):
        return None
    return _portable_literal(text, kind, literal)


def _bare(default: str) -> str:
    """``default`` without its enclosing parentheses and PostgreSQL ``::type`` casts."""
    text = default.strip()
    while True:
        if text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
            text = text[1:-1].strip()
            continue
        cast = _CAST.match(text)
        if cast is not None:
            text = cast.group(1).strip()
            continue
        return text


def _portable_literal(text: str, kind: TypeKind, literal: Callable[[str], str]) -> str | None:
    """A number or string literal as the target writes it, where it fits the column's kind."""
    if _NUMBER.match(text):
        if kind in (TypeKind.INTEGER, TypeKind.FLOAT, TypeKind.DECIMAL, TypeKind.TEXT, TypeKind.ENUM):
            return text if kind is not TypeKind.TEXT and kind is not TypeKind.ENUM else literal(text)
        return None
    string = _STRING.match(text)
    if string is not None:
        value = string.group(1).replace("''", "'")
        if kind in (TypeKind.INTEGER, TypeKind.FLOAT, TypeKind.DECIMAL):
            return value if _NUMBER.match(value) else None
        return literal(value)
    return None


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if depth < 0:
            return False
    return depth == 0
