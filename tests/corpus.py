"""Random databases for robustness tests: awkward identifiers, every type family, odd topologies.

``databases(engine)`` is a hypothesis strategy of ``Database`` values: a few tables whose names are
reserved words, contain quotes, spaces or unicode, or are 63 characters long; columns of every
type family the engine has; surrogate, composite or no primary keys; foreign keys that are
nullable, composite, self-referencing or close a cycle; unique keys and CHECKs; empty tables and
NULL-only columns. ``Database.script(engine)`` renders it as DDL and INSERTs for that engine.
The values come from a seeded ``random.Random``, so one example always renders the same rows.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import zlib
from dataclasses import dataclass, field

import sqlalchemy as sa
from hypothesis import strategies as st

# Awkward but legal names on every engine (no dots: relsynth names tables "schema.table").
NAMES = (
    "select", "order", "group", "user", "from", "key", "value", "first name", "Order Lines", 'say "hi"',
    "o'brien", "back`tick", "café", "名前", "größe", "a" * 55 + "_long_id", "b" * 56 + "_other", "mixedCase",
    "x", "ümlaut tab",
)


@dataclass(frozen=True)
class Family:
    """A type family: its DDL per engine and a literal per engine for a random value."""

    name: str
    ddl: dict[str, str]

    def literal(self, engine: str, rng: random.Random, row: int) -> str:
        return _LITERALS[self.name](engine, rng, row)


def _quote_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _date(rng: random.Random) -> dt.date:
    return dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3000))


_WORDS = ("red", "green", "blue", "amber", "teal")
_LITERALS = {
    "int": lambda e, r, i: str(r.randrange(0, 500)),
    "bigint": lambda e, r, i: str(r.randrange(10**9, 10**12)),
    "numeric": lambda e, r, i: f"{r.uniform(0, 9999):.2f}",
    "float": lambda e, r, i: repr(round(r.gauss(50, 20), 4)),
    "text": lambda e, r, i: _quote_text(" ".join(r.choice(_WORDS) for _ in range(r.randrange(1, 6)))),
    "varchar": lambda e, r, i: _quote_text(r.choice(_WORDS)[: r.randrange(1, 6)]),
    "bool": lambda e, r, i: r.choice(("TRUE", "FALSE")) if e != "sqlite" else r.choice(("1", "0")),
    "date": lambda e, r, i: _quote_text(_date(r).isoformat()),
    "timestamp": lambda e, r, i: _quote_text(f"{_date(r).isoformat()} {r.randrange(24):02d}:{r.randrange(60):02d}:00"),
    "json": lambda e, r, i: _quote_text(json.dumps({"kind": r.choice(_WORDS), "n": r.randrange(9)})),
    "bytes": lambda e, r, i: ("'\\x" if e == "postgresql" else "X'") + r.randbytes(r.randrange(1, 6)).hex() + "'",
    "uuid": lambda e, r, i: _quote_text(str(__import__("uuid").UUID(int=r.getrandbits(128), version=4))),
    "enum": lambda e, r, i: _quote_text(r.choice(("new", "paid", "sent"))),
    "time": lambda e, r, i: _quote_text(f"{r.randrange(24):02d}:{r.randrange(60):02d}:{r.randrange(60):02d}"),
    "point": lambda e, r, i: _quote_text(f"({r.uniform(-10, 10):.3f},{r.uniform(40, 50):.3f})"),
    "int4range": lambda e, r, i: (lambda lo: _quote_text(f"[{lo},{lo + r.randrange(1, 30)})"))(r.randrange(100)),
    "inet": lambda e, r, i: _quote_text(f"10.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"),
    "macaddr": lambda e, r, i: _quote_text(":".join(f"{r.randrange(256):02x}" for _ in range(6))),
    "money": lambda e, r, i: _quote_text(f"{r.uniform(0, 500):.2f}"),
    "interval": lambda e, r, i: _quote_text(f"{r.randrange(1, 90)} days {r.randrange(24)} hours"),
    "varbit": lambda e, r, i: _quote_text("".join(r.choice("01") for _ in range(r.randrange(1, 9)))),
    "xml": lambda e, r, i: _quote_text(f"<item><kind>{r.choice(_WORDS)}</kind></item>"),
    "tsvector": lambda e, r, i: _quote_text(" ".join(r.sample(_WORDS, 2))),
    "int_array": lambda e, r, i: _quote_text("{" + ",".join(str(r.randrange(9)) for _ in range(r.randrange(4))) + "}"),
    "year": lambda e, r, i: str(r.randrange(1990, 2030)),
    "set": lambda e, r, i: _quote_text(",".join(sorted(r.sample(("a", "b", "c"), r.randrange(1, 3))))),
    "bit": lambda e, r, i: f"b'{r.randrange(16):04b}'",
    "untyped": lambda e, r, i: str(r.randrange(100)) if r.random() < 0.5 else _quote_text(r.choice(_WORDS)),
}

_COMMON = {
    "int": {"postgresql": "INTEGER", "mysql": "INT", "sqlite": "INTEGER"},
    "bigint": {"postgresql": "BIGINT", "mysql": "BIGINT", "sqlite": "BIGINT"},
    "numeric": {"postgresql": "NUMERIC(10,2)", "mysql": "DECIMAL(10,2)", "sqlite": "NUMERIC(10,2)"},
    "float": {"postgresql": "DOUBLE PRECISION", "mysql": "DOUBLE", "sqlite": "REAL"},
    "text": {"postgresql": "TEXT", "mysql": "TEXT", "sqlite": "TEXT"},
    "varchar": {"postgresql": "VARCHAR(12)", "mysql": "VARCHAR(12)", "sqlite": "VARCHAR(12)"},
    "bool": {"postgresql": "BOOLEAN", "mysql": "BOOLEAN", "sqlite": "BOOLEAN"},
    "date": {"postgresql": "DATE", "mysql": "DATE", "sqlite": "DATE"},
    "timestamp": {"postgresql": "TIMESTAMP", "mysql": "DATETIME", "sqlite": "DATETIME"},
    "json": {"postgresql": "JSONB", "mysql": "JSON", "sqlite": "TEXT"},
    "bytes": {"postgresql": "BYTEA", "mysql": "BLOB", "sqlite": "BLOB"},
    "enum": {"postgresql": "corpus_status", "mysql": "ENUM('new','paid','sent')", "sqlite": "TEXT"},
    "time": {"postgresql": "TIME", "mysql": "TIME", "sqlite": "TIME"},
}
_OWN = {
    "postgresql": {
        "uuid": "UUID", "point": "POINT", "int4range": "INT4RANGE", "inet": "INET", "macaddr": "MACADDR",
        "money": "MONEY", "interval": "INTERVAL", "varbit": "BIT VARYING(8)", "xml": "XML", "tsvector": "TSVECTOR",
        "int_array": "INTEGER[]",
    },
    "mysql": {"uuid": "UUID", "year": "YEAR", "set": "SET('a','b','c')", "bit": "BIT(4)"},
    "sqlite": {"untyped": ""},
}


def families(engine: str) -> list[Family]:
    common = [Family(name, {engine: ddl[engine]}) for name, ddl in _COMMON.items()]
    return common + [Family(name, {engine: ddl}) for name, ddl in _OWN[engine].items()]


@dataclass
class Column:
    name: str
    family: Family
    nullable: bool = True
    null_only: bool = False


@dataclass
class Table:
    name: str
    columns: list[Column]
    primary_key: list[str] = field(default_factory=list)
    unique: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # "{q:column}" stands for the quoted column name
    ordered: tuple[str, str] | None = None  # two int columns with CHECK (low >= 0 AND low <= high)
    foreign_keys: list[tuple[list[str], str, list[str]]] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)
    updates: list[tuple[dict[str, str], dict[str, str]]] = field(default_factory=list)  # cycles: set, where


@dataclass
class Database:
    tables: list[Table]

    def script(self, engine: str) -> list[str]:
        """Statements creating and filling the database on ``engine``, in order."""
        q = _quoter(engine)
        statements = []
        if engine == "postgresql" and any(c.family.name == "enum" for t in self.tables for c in t.columns):
            statements.append("CREATE TYPE corpus_status AS ENUM ('new', 'paid', 'sent')")
        for table in self.tables:
            statements.append(_create_table(table, engine, q))
        for table in self.tables:
            for row in table.rows:
                names = ", ".join(q(c) for c in row)
                statements.append(f"INSERT INTO {q(table.name)} ({names}) VALUES ({', '.join(row.values())})")
        for table in self.tables:
            for values, where in table.updates:
                sets = ", ".join(f"{q(c)} = {v}" for c, v in values.items())
                condition = " AND ".join(f"{q(c)} = {v}" for c, v in where.items())
                statements.append(f"UPDATE {q(table.name)} SET {sets} WHERE {condition}")
        if engine != "sqlite":  # SQLite declares FKs inline; the others add them once rows are in
            for table in self.tables:
                for index, (columns, parent, parent_columns) in enumerate(table.foreign_keys):
                    statements.append(
                        f"ALTER TABLE {q(table.name)} ADD CONSTRAINT {q(f'fk_{index}_{_digest(table.name)}')} "
                        f"FOREIGN KEY ({', '.join(map(q, columns))}) REFERENCES {q(parent)} ({', '.join(map(q, parent_columns))})"
                    )
        return statements


def _digest(text: str) -> str:
    return format(zlib.crc32(text.encode()), "08x")


def _quoter(engine: str):  # type: ignore[no-untyped-def]
    if engine == "mysql":
        return lambda name: "`" + name.replace("`", "``") + "`"
    return lambda name: '"' + name.replace('"', '""') + '"'


def _create_table(table: Table, engine: str, q) -> str:  # type: ignore[no-untyped-def]
    parts = []
    for column in table.columns:
        ddl = column.family.ddl[engine]
        check = " CHECK (" + q(column.name) + " IN ('new', 'paid', 'sent'))" if engine == "sqlite" and column.family.name == "enum" else ""
        parts.append(f"{q(column.name)} {ddl}{'' if column.nullable else ' NOT NULL'}{check}".replace("  ", " "))
    if table.primary_key:
        parts.append(f"PRIMARY KEY ({', '.join(map(q, table.primary_key))})")
    if table.unique:
        parts.append(f"UNIQUE ({', '.join(map(q, table.unique))})")
    parts += [f"CHECK ({_fill(check, q)})" for check in table.checks]
    if engine == "sqlite":
        parts += [
            f"FOREIGN KEY ({', '.join(map(q, cols))}) REFERENCES {q(parent)} ({', '.join(map(q, pcols))})"
            for cols, parent, pcols in table.foreign_keys
        ]
    return f"CREATE TABLE {q(table.name)} ({', '.join(parts)})"


def _fill(template: str, q) -> str:  # type: ignore[no-untyped-def]
    """``{q:name}`` in a CHECK template becomes the quoted column name."""
    out, rest = [], template
    while "{q:" in rest:
        head, _, tail = rest.partition("{q:")
        name, _, rest = tail.partition("}")
        out += [head, q(name)]
    return "".join(out) + rest


@st.composite
def databases(draw: st.DrawFn, engine: str) -> Database:
    """One random database for ``engine`` (see the module docstring)."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    names = draw(st.permutations(NAMES))
    kinds = families(engine)
    tables: list[Table] = []
    for index in range(draw(st.integers(1, 4))):
        column_names = iter(draw(st.permutations(NAMES)))
        key_style = draw(st.sampled_from(("surrogate", "composite", "none")))
        columns, key = _key_columns(key_style, column_names, kinds)
        picked = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=4, unique_by=lambda f: f.name))
        columns += [Column(next(column_names), family, null_only=draw(st.booleans()) and rng.random() < 0.2) for family in picked]
        table = Table(names[index], columns, primary_key=key)
        n_rows = draw(st.sampled_from((0, 1, 12, 40)))
        _add_constraints(table, draw, column_names, kinds, n_rows)
        parents = [t for t in tables if t.primary_key]
        if parents and draw(st.booleans()):
            _add_foreign_key(table, draw(st.sampled_from(parents)), draw(st.booleans()), column_names)
        if key_style == "surrogate" and draw(st.booleans()):
            _add_foreign_key(table, table, True, column_names)
        _fill_rows(table, n_rows, engine, rng, tables)
        tables.append(table)
    _close_cycle(tables, draw, rng)
    return Database(tables)


def _key_columns(style, names, kinds):  # type: ignore[no-untyped-def]
    by_name = {f.name: f for f in kinds}
    if style == "surrogate":
        name = next(names)
        return [Column(name, by_name["int"], nullable=False)], [name]
    if style == "composite":
        first, second = next(names), next(names)
        return [Column(first, by_name["int"], nullable=False), Column(second, by_name["varchar"], nullable=False)], [first, second]
    return [], []


def _add_constraints(table: Table, draw: st.DrawFn, names, kinds, n_rows: int) -> None:  # type: ignore[no-untyped-def]
    by_name = {f.name: f for f in kinds}
    if draw(st.booleans()):
        low, high = next(names), next(names)
        table.columns += [Column(low, by_name["int"]), Column(high, by_name["int"])]
        table.checks += [f"{{q:{low}}} >= 0", f"{{q:{low}}} <= {{q:{high}}}"]
        table.ordered = (low, high)
    if draw(st.booleans()):
        code = next(names)
        table.columns.append(Column(code, by_name["varchar"], nullable=False))
        table.unique = [code]


def _add_foreign_key(child: Table, parent: Table, nullable: bool, names) -> None:  # type: ignore[no-untyped-def]
    key_columns = {c.name: c for c in parent.columns}
    local = [next(names) for _ in parent.primary_key]
    child.columns += [Column(n, key_columns[k].family, nullable=nullable) for n, k in zip(local, parent.primary_key, strict=True)]
    child.foreign_keys.append((local, parent.name, list(parent.primary_key)))


def _fill_rows(table: Table, n_rows: int, engine: str, rng: random.Random, earlier: list[Table]) -> None:
    by_name = {t.name: t for t in earlier}
    for i in range(n_rows):
        row: dict[str, str] = {}
        for column in table.columns:
            row[column.name] = "NULL" if column.null_only and column.nullable else column.family.literal(engine, rng, i)
        _fill_keys(table, row, i, rng)
        for local, parent_name, parent_columns in table.foreign_keys:
            parent = table if parent_name == table.name else by_name[parent_name]
            candidates = parent.rows[:i] if parent is table else parent.rows
            nullable = all(c.nullable for c in table.columns if c.name in local)
            if candidates and not (nullable and rng.random() < 0.3):
                chosen = rng.choice(candidates)
                row.update({n: chosen[p] for n, p in zip(local, parent_columns, strict=True)})
            elif nullable:
                row.update({n: "NULL" for n in local})
            else:
                return  # a NOT NULL key to an empty parent: this table stays as far as it got
        table.rows.append(row)


def _fill_keys(table: Table, row: dict[str, str], i: int, rng: random.Random) -> None:
    if len(table.primary_key) == 1:
        row[table.primary_key[0]] = str(i + 1)
    elif len(table.primary_key) == 2:
        row[table.primary_key[0]], row[table.primary_key[1]] = str(i // 3), _quote_text(f"k{i % 3}")
    if table.unique:
        row[table.unique[0]] = _quote_text(f"u{i}")
    if table.ordered:
        low, high = table.ordered
        value = rng.randrange(0, 100)
        row[low], row[high] = str(value), str(value + rng.randrange(0, 50))


def _close_cycle(tables: list[Table], draw: st.DrawFn, rng: random.Random) -> None:
    """The first table gets a nullable key to the last one, set after both are filled."""
    first, last = tables[0], tables[-1]
    if len(tables) < 2 or len(first.primary_key) != 1 or len(last.primary_key) != 1 or not draw(st.booleans()):
        return
    key = next(c for c in last.columns if c.name == last.primary_key[0])
    name = next(n for n in NAMES if n.casefold() not in {c.name.casefold() for c in first.columns})
    first.columns.append(Column(name, key.family))
    first.foreign_keys.append(([name], last.name, list(last.primary_key)))
    for row in first.rows:
        row[name] = "NULL"
        if last.rows and rng.random() < 0.6:
            target = rng.choice(last.rows)[last.primary_key[0]]
            first.updates.append(({name: target}, {first.primary_key[0]: row[first.primary_key[0]]}))


@dataclass(frozen=True)
class Outcome:
    """``cloned``, ``refused`` or ``broken``.

    Refused: a clear one-line error about the input (the schema, a type, the configuration) and
    an unchanged target. A failure to generate, load or create a constraint is never a refusal:
    the rows are relsynth's own, so the user could do nothing about it.
    """

    kind: str
    detail: str = ""

    @property
    def held(self) -> bool:
        return self.kind != "broken"


def create(database: Database, engine: str, url: str) -> None:
    """Create and fill ``database`` at ``url`` (an empty database on ``engine``)."""
    sql_engine = sa.create_engine(url)
    try:
        with sql_engine.begin() as connection:
            for statement in database.script(engine):
                connection.exec_driver_sql(statement.replace("%", "%%") if engine != "sqlite" else statement)
    finally:
        sql_engine.dispose()


def table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def try_clone(database: Database, source_url: str, target_url: str) -> Outcome:
    """Clone with tiny models (ended by epochs, never by the clock) and judge what happened."""
    from relsynth.api import clone
    from relsynth.config import RelsynthConfig
    from relsynth.errors import GenerationError, LoadError, RelsynthError, SchemaCreationError, TrainingError
    from relsynth.modeling import ModelConfig

    config = RelsynthConfig(seed=1, holdout_fraction=0.0, model=ModelConfig(epochs=2))
    try:
        clone(source_url, target_url, config=config)
    except (GenerationError, LoadError, SchemaCreationError, TrainingError) as error:
        return Outcome("broken", f"{type(error).__name__}: {error}")
    except RelsynthError as error:
        left = table_names(target_url)
        if left:
            return Outcome("broken", f"refused ({error}) but left tables behind: {sorted(left)}")
        if "\n" in str(error).strip() or "Traceback" in str(error):
            return Outcome("broken", f"refused with a message of several lines: {error}")
        return Outcome("refused", str(error))
    except Exception as error:  # anything else is a defect: the user sees no clear message
        return Outcome("broken", f"{type(error).__name__}: {error}")
    missing = {t.name for t in database.tables} - table_names(target_url)
    if missing:
        return Outcome("broken", f"cloned, but tables are missing from the target: {sorted(missing)}")
    return Outcome("cloned")
