"""PostgreSQL catalog queries for what SQLAlchemy's Inspector does not report.

NOT VALID foreign keys, declarative partitions, exact type text (``format_type``), domains on
columns, serial sequences, index definitions, and objects relsynth records only as warnings
(triggers, functions), exclusion constraints. Each function runs one query over all the
namespaces asked for and returns plain rows keyed by ``(namespace, name)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

Key = tuple[str, str]  # (namespace, relation name)


@dataclass(frozen=True)
class ColumnExtra:
    sql: str  # format_type(): the type as PostgreSQL prints it
    dimensions: int
    domain: Key | None
    collation: str | None  # only when it differs from the type's default
    serial_sequence: Key | None
    identity: str  # '' / 'a' (ALWAYS) / 'd' (BY DEFAULT)


@dataclass(frozen=True)
class IndexExtra:
    definition: str
    method: str
    where: str | None
    is_partition: bool  # attached to an index of the partitioned parent


@dataclass(frozen=True)
class PartitionRow:
    schema: str
    name: str
    parent: Key
    bound: str


@dataclass(frozen=True)
class SequenceRow:
    schema: str
    name: str
    start: int
    increment: int
    owned_by: tuple[Key, str] | None
    identity: bool


def _rows(connection: Connection, sql: str, schemas: list[str]) -> list[sa.Row]:
    return list(connection.execute(sa.text(sql), {"schemas": schemas}))


def column_extras(connection: Connection, schemas: list[str]) -> dict[tuple[str, str, str], ColumnExtra]:
    rows = _rows(
        connection,
        """
        SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS sql,
               a.attndims, t.typtype, tn.nspname AS type_schema, t.typname,
               CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                    THEN co.collname END AS collation,
               seq.seq_schema, seq.seq_name, a.attidentity
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_type t ON t.oid = a.atttypid
        JOIN pg_namespace tn ON tn.oid = t.typnamespace
        LEFT JOIN pg_collation co ON co.oid = a.attcollation
        LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
        -- the sequence the column's default draws from (nextval), owned (serial) or not
        LEFT JOIN LATERAL (
            SELECT sn.nspname AS seq_schema, s.relname AS seq_name
            FROM pg_depend d JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
            JOIN pg_namespace sn ON sn.oid = s.relnamespace
            WHERE d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid AND d.refclassid = 'pg_class'::regclass
            ORDER BY 1, 2 LIMIT 1
        ) seq ON a.attidentity = ''
        WHERE n.nspname = ANY(:schemas) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND a.attnum > 0 AND NOT a.attisdropped
        """,
        schemas,
    )
    extras = {}
    for row in rows:
        sequence = (row.seq_schema, row.seq_name) if row.seq_name else None
        extras[(row.nspname, row.relname, row.attname)] = ColumnExtra(
            sql=row.sql,
            dimensions=row.attndims or 0,
            domain=(row.type_schema, row.typname) if row.typtype == "d" else None,
            collation=row.collation,
            serial_sequence=sequence,
            identity=row.attidentity or "",
        )
    return extras


def fk_validated(connection: Connection, schemas: list[str]) -> dict[tuple[str, str, str], bool]:
    """``convalidated`` of every foreign key, by (namespace, table, constraint name)."""
    rows = _rows(
        connection,
        """
        SELECT n.nspname, c.relname, k.conname, k.convalidated
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE k.contype = 'f' AND n.nspname = ANY(:schemas)
        """,
        schemas,
    )
    return {(r.nspname, r.relname, r.conname): r.convalidated for r in rows}


def index_extras(connection: Connection, schemas: list[str]) -> dict[Key, IndexExtra]:
    rows = _rows(
        connection,
        """
        SELECT n.nspname, ic.relname, pg_get_indexdef(i.indexrelid) AS definition, am.amname,
               pg_get_expr(i.indpred, i.indrelid) AS predicate, ic.relispartition
        FROM pg_index i
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = ic.relnamespace
        JOIN pg_am am ON am.oid = ic.relam
        WHERE n.nspname = ANY(:schemas)
        """,
        schemas,
    )
    return {
        (r.nspname, r.relname): IndexExtra(r.definition, r.amname, r.predicate, r.relispartition) for r in rows
    }


def partitioned_tables(connection: Connection, schemas: list[str]) -> dict[Key, tuple[str, str]]:
    """(strategy, key) of each partitioned table, e.g. ("RANGE", "payment_date")."""
    rows = _rows(
        connection,
        """
        SELECT n.nspname, c.relname, pg_get_partkeydef(c.oid) AS keydef
        FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(:schemas) AND NOT c.relispartition
        """,
        schemas,
    )
    result = {}
    for row in rows:
        strategy, _, key = row.keydef.partition(" ")
        result[(row.nspname, row.relname)] = (strategy.upper(), key.strip()[1:-1])
    return result


def partitions(connection: Connection, schemas: list[str]) -> list[PartitionRow]:
    """Every partition (at any depth) whose parent lives in ``schemas``, with its direct parent."""
    rows = _rows(
        connection,
        """
        SELECT n.nspname, c.relname, pn.nspname AS parent_schema, p.relname AS parent_name,
               pg_get_expr(c.relpartbound, c.oid) AS bound
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_inherits i ON i.inhrelid = c.oid
        JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace pn ON pn.oid = p.relnamespace
        WHERE c.relispartition AND c.relkind IN ('r', 'p') AND pn.nspname = ANY(:schemas)
        ORDER BY n.nspname, c.relname
        """,
        schemas,
    )
    return [PartitionRow(r.nspname, r.relname, (r.parent_schema, r.parent_name), r.bound) for r in rows]


def sequences(connection: Connection, schemas: list[str]) -> list[SequenceRow]:
    rows = _rows(
        connection,
        """
        SELECT n.nspname, c.relname, s.seqstart, s.seqincrement,
               tn.nspname AS owner_schema, t.relname AS owner_table, a.attname AS owner_column,
               d.deptype
        FROM pg_sequence s
        JOIN pg_class c ON c.oid = s.seqrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass
             AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
        LEFT JOIN pg_class t ON t.oid = d.refobjid
        LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
        LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE n.nspname = ANY(:schemas)
        ORDER BY n.nspname, c.relname
        """,
        schemas,
    )
    return [
        SequenceRow(
            schema=r.nspname,
            name=r.relname,
            start=int(r.seqstart),
            increment=int(r.seqincrement),
            owned_by=((r.owner_schema, r.owner_table), r.owner_column) if r.owner_column else None,
            identity=r.deptype == "i",
        )
        for r in rows
    ]


def domain_base_types(connection: Connection, schemas: list[str]) -> dict[Key, tuple[str, str | None]]:
    """(base type as format_type prints it, collation if non-default) of each domain."""
    rows = _rows(
        connection,
        """
        SELECT n.nspname, t.typname, format_type(t.typbasetype, t.typtypmod) AS base
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype = 'd' AND n.nspname = ANY(:schemas)
        """,
        schemas,
    )
    return {(r.nspname, r.typname): (r.base, None) for r in rows}


def routines(connection: Connection, schemas: list[str]) -> list[Any]:
    """User functions, procedures and aggregates (not an extension's), with their definitions.

    Functions come from ``pg_get_functiondef``; an aggregate's CREATE AGGREGATE is assembled from
    ``pg_aggregate`` (PostgreSQL prints none). Ordered so that aggregates follow their functions.
    """
    return _rows(
        connection,
        """
        SELECT n.nspname, p.proname,
               CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END AS kind,
               '(' || pg_get_function_identity_arguments(p.oid) || ')' AS signature,
               CASE WHEN p.prokind = 'a' THEN
                   format('CREATE OR REPLACE AGGREGATE %I.%I(%s) (SFUNC = %s, STYPE = %s%s%s%s)',
                          n.nspname, p.proname, pg_get_function_identity_arguments(p.oid),
                          a.aggtransfn::regproc, format_type(a.aggtranstype, NULL),
                          CASE WHEN a.aggfinalfn <> 0 THEN ', FINALFUNC = ' || a.aggfinalfn::regproc ELSE '' END,
                          CASE WHEN a.agginitval IS NOT NULL THEN ', INITCOND = ' || quote_literal(a.agginitval) ELSE '' END,
                          CASE WHEN a.aggsortop <> 0 THEN ', SORTOP = ' || a.aggsortop::regoperator ELSE '' END)
               ELSE pg_get_functiondef(p.oid) END AS definition
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid
        WHERE n.nspname = ANY(:schemas)
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
          AND (p.prokind <> 'a' OR a.aggkind = 'n')
        ORDER BY p.prokind = 'a', n.nspname, p.proname, 4
        """,
        schemas,
    )


def triggers(connection: Connection, schemas: list[str]) -> list[Any]:
    """User triggers (not constraint triggers, not partition clones) with their definitions."""
    return _rows(
        connection,
        """
        SELECT n.nspname, c.relname, tg.tgname, pg_get_triggerdef(tg.oid) AS definition
        FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT tg.tgisinternal AND n.nspname = ANY(:schemas) AND tg.tgparentid = 0
        ORDER BY n.nspname, c.relname, tg.tgname
        """,
        schemas,
    )


def exclusion_constraints(connection: Connection, schemas: list[str]) -> dict[Key, list[Any]]:
    """Exclusion constraints by table: name, definition, key columns (or expressions), operators,
    and the extensions their operator classes belong to (btree_gist for ``room_id WITH =``)."""
    rows = _rows(
        connection,
        """
        SELECT n.nspname, c.relname, k.conname, pg_get_constraintdef(k.oid) AS definition,
               ARRAY(SELECT pg_get_indexdef(k.conindid, s, true)
                     FROM generate_series(1, i.indnkeyatts) s ORDER BY s) AS columns,
               ARRAY(SELECT o::regoper::text FROM unnest(k.conexclop) WITH ORDINALITY u(o, s) ORDER BY s) AS operators,
               ARRAY(SELECT DISTINCT e.extname FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                     WHERE d.classid = 'pg_opclass'::regclass AND d.refclassid = 'pg_extension'::regclass
                       AND d.objid = ANY(i.indclass::oid[])) AS extensions
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_index i ON i.indexrelid = k.conindid
        WHERE k.contype = 'x' AND n.nspname = ANY(:schemas) AND k.conparentid = 0
        ORDER BY n.nspname, c.relname, k.conname
        """,
        schemas,
    )
    found: dict[Key, list[Any]] = {}
    for row in rows:
        found.setdefault((row.nspname, row.relname), []).append(row)
    return found


def unsupported_objects(connection: Connection, schemas: list[str]) -> list[str]:
    """One line for each object relsynth sees but does not carry: ordered-set aggregates."""
    rows = _rows(
        connection,
        """
        SELECT 'aggregate' AS kind, format('%I.%I', n.nspname, p.proname) AS what
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_aggregate a ON a.aggfnoid = p.oid
        WHERE n.nspname = ANY(:schemas) AND a.aggkind <> 'n'
        ORDER BY 1, 2
        """,
        schemas,
    )
    return [f"{r.kind} {r.what} is not carried to the target" for r in rows]
