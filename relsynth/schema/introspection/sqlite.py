"""SQLite specifics: what its CREATE statements and PRAGMAs say that SQLAlchemy's reflection
misses (rowid aliases, column-level UNIQUE, expression indexes, inline REFERENCES actions,
generated-column expressions)."""

from __future__ import annotations

import re
from typing import Any

import sqlglot
from sqlalchemy.engine import Connection
from sqlglot import expressions as exp


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_sql(connection: Connection) -> dict[str, str]:
    """Each table's CREATE TABLE statement, by table name."""
    rows = connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
    return {name: sql or "" for name, sql in rows}


def is_rowid_alias(
    connection: Connection, table: str, col: dict[str, Any], pk_columns: tuple[str, ...], table_sql: str | None
) -> bool:
    """A single-column ``INTEGER PRIMARY KEY`` (exactly that type name) aliases the rowid."""
    if pk_columns != (col["name"],) or table_sql is None:
        return False
    if re.search(r"\)\s*WITHOUT\s+ROWID\s*;?\s*$", table_sql, re.IGNORECASE):
        return False
    rows = connection.exec_driver_sql(f"PRAGMA main.table_info({quote(table)})")
    declared = {row[1]: (row[2] or "") for row in rows}
    return declared.get(col["name"], "").strip().upper() == "INTEGER"


def inline_uniques(connection: Connection, table: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the column-level ``UNIQUE`` constraints SQLAlchemy's parser misses: SQLite backs
    every UNIQUE constraint with an automatic index whose origin is 'u'."""
    known = {tuple(u["column_names"]) for u in found}
    result = list(found)
    for _seq, index, _unique, origin, _partial in connection.exec_driver_sql(f"PRAGMA main.index_list({quote(table)})"):
        if origin != "u":
            continue
        info = connection.exec_driver_sql(f"PRAGMA main.index_info({quote(index)})")
        columns = tuple(row[2] for row in sorted(info, key=lambda row: row[0]))
        if columns and None not in columns and columns not in known:
            known.add(columns)
            result.append({"name": None, "column_names": list(columns)})
    return result


def expression_indexes(
    connection: Connection, table: str, known: list[dict[str, Any]], recovered: set[str]
) -> list[dict[str, Any]]:
    """Indexes over expressions (``unique (lower(email))``), which SQLAlchemy skips on SQLite,
    read from their CREATE INDEX statement; their names are added to ``recovered``."""
    names = {ix["name"] for ix in known}
    rows = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name", (table,)
    )
    found = []
    for name, sql in rows:
        if name in names:
            continue
        try:
            tree = sqlglot.parse_one(sql, read="sqlite")
        except sqlglot.errors.ParseError:
            continue
        params = tree.this.args.get("params") if isinstance(tree, exp.Create) and isinstance(tree.this, exp.Index) else None
        if params is None or not params.args.get("columns"):
            continue
        parts = [part.this if isinstance(part, exp.Ordered) else part for part in params.args["columns"]]
        where = params.args.get("where")
        recovered.add(name)
        found.append({
            "name": name,
            "expressions": [p.name if isinstance(p, exp.Column) else p.sql(dialect="sqlite") for p in parts],
            "unique": bool(tree.args.get("unique")),
            "dialect_options": {"sqlite_where": where.this.sql(dialect="sqlite")} if where is not None else {},
            "definition": sql,
        })
    return found


def fk_actions(connection: Connection, table: str, fk_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill ON DELETE / ON UPDATE from the pragma where SQLAlchemy's parser missed them (inline REFERENCES)."""
    rows = list(connection.exec_driver_sql(f"PRAGMA main.foreign_key_list({quote(table)})"))
    by_id: dict[int, dict[str, Any]] = {}
    for fk_id, _seq, parent, source, _target, on_update, on_delete, _match in rows:
        entry = by_id.setdefault(fk_id, {"parent": parent, "cols": [], "upd": on_update, "del": on_delete})
        entry["cols"].append(source)
    result = []
    for fk in fk_list:
        options = dict(fk.get("options") or {})
        for entry in by_id.values():
            if entry["parent"] == fk["referred_table"] and tuple(entry["cols"]) == tuple(fk["constrained_columns"]):
                options.setdefault("ondelete", entry["del"])
                options.setdefault("onupdate", entry["upd"])
                break
        result.append(dict(fk, options=options))
    return result


def generated_expression(table_sql: str, column: str) -> str | None:
    """The expression of generated column ``column``, read from its CREATE TABLE text."""
    quoted = [re.escape(quote(column)), re.escape(f"`{column}`"), re.escape(f"[{column}]")]
    if re.fullmatch(r"\w+", column):
        quoted.append(rf"\b{re.escape(column)}\b")
    # the column's definition starts after "(" or ","; its type may hold commas, e.g. NUMERIC(12, 3)
    pattern = rf"[(,]\s*(?:{'|'.join(quoted)}).*?\bAS\s*\("
    match = re.search(pattern, table_sql, re.IGNORECASE | re.DOTALL)
    if match is None:
        return None
    depth, start = 1, match.end()
    for position in range(start, len(table_sql)):
        char = table_sql[position]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return table_sql[start:position].strip()
    return None


def unsupported_objects(connection: Connection) -> list[str]:
    """One warning per trigger: relsynth does not carry SQLite triggers."""
    rows = connection.exec_driver_sql("SELECT type, name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
    return [f"trigger {name} is not carried to the target" for _, name in rows]
