"""DDL on real engines from hand-made schemas: odd names, composite and cyclic keys, safety, rollback."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from relsynth.errors import SchemaCreationError, TargetNotEmpty
from relsynth.schema.ddl import (
    SchemaWriter,
    apply_post_data,
    apply_pre_data,
    clone_schema,
)
from relsynth.schema.elements import (
    CheckConstraint,
    Column,
    ColumnType,
    Deferrability,
    EnumType,
    ForeignKey,
    Index,
    PrimaryKey,
    QualifiedName,
    Schema,
    Sequence,
    Table,
    TypeKind,
    UniqueConstraint,
)

INT = ColumnType(TypeKind.INTEGER, "integer", precision=32)
TEXT = ColumnType(TypeKind.TEXT, "text")
VARCHAR = ColumnType(TypeKind.TEXT, "character varying(40)", length=40)
MONEY = ColumnType(TypeKind.DECIMAL, "numeric(10,2)", precision=10, scale=2)
STATUS = ColumnType(TypeKind.ENUM, '"Stätus"', enum=QualifiedName(None, "Stätus"), enum_values=("new", "it's done"))

GROUP = QualifiedName(None, "group")
ORDER = QualifiedName(None, "order")
LINE = QualifiedName(None, "Line Item")
SHIPMENT = QualifiedName(None, 'Ship"ment')
CAFE = QualifiedName(None, "café_ñ")
A = QualifiedName(None, "cycle_a")
B = QualifiedName(None, "cycle_b")


def _fk(name, table, cols, parent, parent_cols, **kw) -> ForeignKey:
    return ForeignKey(name, table, tuple(cols), parent, tuple(parent_cols), **kw)


def odd_schema(*, bad_check: str | None = None) -> Schema:
    """Reserved words, spaces, quotes, mixed case, unicode; composite FK; self-ref; NOT NULL cycle."""
    tables = (
        Table(
            GROUP,
            (
                Column("id", INT, nullable=False, default="nextval('group_id_seq'::regclass)"),
                Column("Name", VARCHAR, nullable=False),
                Column("parent id", INT),
                Column("select", TEXT, comment="a reserved word's column"),
            ),
            primary_key=PrimaryKey("group_pkey", ("id",)),
            unique_constraints=(UniqueConstraint("group Name key", ("Name",)),),
            foreign_keys=(_fk("group_parent_fkey", GROUP, ["parent id"], GROUP, ["id"]),),
            comment="groups, self-referencing",
        ),
        Table(
            ORDER,
            (
                Column("id", INT, nullable=False),
                Column("group id", INT, nullable=False),
                Column('Mixed"Case', VARCHAR, default="'it''s'::character varying"),
                Column("prix_€", MONEY, nullable=False, default="0"),
                Column("status", STATUS, nullable=False, default="'new'::\"Stätus\""),
            ),
            primary_key=PrimaryKey("order_pkey", ("id",)),
            check_constraints=(CheckConstraint("order price positive", '"prix_€" >= (0)::numeric'),)
            + ((CheckConstraint("bad", bad_check),) if bad_check else ()),
            indexes=(Index("order group idx", ("group id",)),),
            foreign_keys=(
                _fk("order_group_fkey", ORDER, ["group id"], GROUP, ["id"], on_delete="CASCADE"),
            ),
        ),
        Table(
            LINE,
            (Column("order", INT, nullable=False), Column("line no", INT, nullable=False), Column("qty", INT)),
            primary_key=PrimaryKey("line_pkey", ("order", "line no")),
            foreign_keys=(_fk("line_order_fkey", LINE, ["order"], ORDER, ["id"]),),
        ),
        Table(
            SHIPMENT,
            (
                Column("id", INT, nullable=False),
                Column("order", INT, nullable=False),
                Column("line no", INT, nullable=False),
            ),
            primary_key=PrimaryKey(None, ("id",)),
            foreign_keys=(
                _fk("shipment_line_fkey", SHIPMENT, ["order", "line no"], LINE, ["order", "line no"], match="FULL"),
            ),
        ),
        Table(CAFE, (Column("ñ", TEXT, nullable=False),), primary_key=PrimaryKey(None, ("ñ",))),
        Table(
            A,
            (Column("id", INT, nullable=False), Column("b_id", INT, nullable=False)),
            primary_key=PrimaryKey("cycle_a_pkey", ("id",)),
            foreign_keys=(_fk("a_b_fkey", A, ["b_id"], B, ["id"]),),
        ),
        Table(
            B,
            (Column("id", INT, nullable=False), Column("a_id", INT, nullable=False)),
            primary_key=PrimaryKey("cycle_b_pkey", ("id",)),
            foreign_keys=(
                _fk("b_a_fkey", B, ["a_id"], A, ["id"], deferrable=Deferrability.INITIALLY_DEFERRED),
            ),
        ),
    )
    return Schema(
        dialect="postgresql",
        tables=tables,
        enums=(EnumType(QualifiedName(None, "Stätus"), ("new", "it's done")),),
        sequences=(Sequence(QualifiedName(None, "group_id_seq"), owned_by=(GROUP, "id")),),
    )


def _inspect(url: str):
    engine = sa.create_engine(url)
    return engine, sa.inspect(engine)


@pytest.mark.parametrize("engine", ["postgresql", "mysql", "sqlite"])
def test_odd_schema_is_created_with_every_key(make_database, engine: str) -> None:
    url = make_database(engine)
    result = clone_schema(odd_schema(), url)
    assert result.statements
    eng, inspector = _inspect(url)
    try:
        assert set(inspector.get_table_names()) == {
            "group", "order", "Line Item", 'Ship"ment', "café_ñ", "cycle_a", "cycle_b"
        }
        assert [c["name"] for c in inspector.get_columns("order")] == [
            "id", "group id", 'Mixed"Case', "prix_€", "status"
        ]
        assert inspector.get_pk_constraint("Line Item")["constrained_columns"] == ["order", "line no"]
        composite = inspector.get_foreign_keys('Ship"ment')
        assert [(fk["constrained_columns"], fk["referred_table"], fk["referred_columns"]) for fk in composite] == [
            (["order", "line no"], "Line Item", ["order", "line no"])
        ]
        self_ref = inspector.get_foreign_keys("group")
        assert [(fk["constrained_columns"], fk["referred_table"]) for fk in self_ref] == [(["parent id"], "group")]
        assert {u["column_names"][0] for u in inspector.get_unique_constraints("group")} == {"Name"}
        assert "order group idx" in {ix["name"] for ix in inspector.get_indexes("order")}
    finally:
        eng.dispose()


@pytest.mark.parametrize("engine", ["postgresql", "mysql", "sqlite"])
def test_rows_of_a_not_null_cycle_load_between_pre_and_post_data(make_database, engine: str) -> None:
    url = make_database(engine)
    writer = SchemaWriter(odd_schema(), engine)
    eng = sa.create_engine(url)
    try:
        with eng.begin() as connection:
            apply_pre_data(connection, writer)
            # each row points at the other: impossible with the FKs present and immediate
            connection.exec_driver_sql("INSERT INTO cycle_a (id, b_id) VALUES (1, 1)")
            connection.exec_driver_sql("INSERT INTO cycle_b (id, a_id) VALUES (1, 1)")
            apply_post_data(connection, writer)
        with eng.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM cycle_b").scalar() == 1
            if engine != "sqlite":  # SQLite has FKs in CREATE TABLE, enforced only with a pragma
                with pytest.raises(sa.exc.IntegrityError):
                    connection.exec_driver_sql("INSERT INTO cycle_a (id, b_id) VALUES (2, 99)")
    finally:
        eng.dispose()


def test_postgresql_keeps_deferrable_match_enum_sequence_owner_and_comments(make_database) -> None:
    url = make_database("postgresql")
    clone_schema(odd_schema(), url)
    eng = sa.create_engine(url)
    try:
        with eng.connect() as connection:
            deferrable = connection.exec_driver_sql(
                "SELECT condeferrable, condeferred FROM pg_constraint WHERE conname = 'b_a_fkey'"
            ).one()
            assert tuple(deferrable) == (True, True)
            match = connection.exec_driver_sql(
                "SELECT confmatchtype FROM pg_constraint WHERE conname = 'shipment_line_fkey'"
            ).scalar()
            assert match == "f"
            owner = connection.exec_driver_sql("SELECT pg_get_serial_sequence('\"group\"', 'id')").scalar()
            assert owner == "public.group_id_seq"
            labels = connection.exec_driver_sql(
                "SELECT enum_range(NULL::\"Stätus\")::text"
            ).scalar()
            assert labels == '{new,"it\'s done"}'
            comment = connection.exec_driver_sql("SELECT obj_description('\"group\"'::regclass)").scalar()
            assert comment == "groups, self-referencing"
            default = connection.exec_driver_sql(
                "INSERT INTO \"group\" (\"Name\") VALUES ('x') RETURNING id"
            ).scalar()
            assert default == 1
    finally:
        eng.dispose()


def test_not_valid_foreign_keys_are_validated_unless_asked() -> None:
    schema = odd_schema()
    table = schema.table("order")
    fk = table.foreign_keys[0]
    from dataclasses import replace

    not_valid = replace(table, foreign_keys=(replace(fk, validated=False),))
    schema = replace(schema, tables=tuple(not_valid if t is table else t for t in schema.tables))
    assert not any("NOT VALID" in s for s in SchemaWriter(schema, "postgresql").post_data())
    kept = SchemaWriter(schema, "postgresql", validate_not_valid=False).post_data()
    assert any(s.endswith("NOT VALID") and "order_group_fkey" in s for s in kept)


def test_postgresql_adds_keys_after_the_data_sqlite_at_create() -> None:
    pg = SchemaWriter(odd_schema(), "postgresql")
    assert not any("PRIMARY KEY" in s or "FOREIGN KEY" in s for s in pg.pre_data())
    assert any("FOREIGN KEY" in s for s in pg.post_data())
    lite = SchemaWriter(odd_schema(), "sqlite")
    assert any("FOREIGN KEY" in s for s in lite.pre_data())
    assert not any("FOREIGN KEY" in s for s in lite.post_data())
    my = SchemaWriter(odd_schema(), "mysql")
    assert any("PRIMARY KEY" in s for s in my.pre_data())
    assert "foreign key cycle_b(a_id) -> cycle_a(id) is not DEFERRABLE on mysql" in my.warnings


def _create_unrelated(url: str, *, clash: bool) -> None:
    eng = sa.create_engine(url)
    try:
        with eng.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE keep_me (x integer)")
            connection.exec_driver_sql("INSERT INTO keep_me VALUES (42)")
            if clash:
                connection.exec_driver_sql("CREATE TABLE cycle_a (old integer)")
    finally:
        eng.dispose()


def _tables_and_keep_me(url: str) -> tuple[set[str], list[int]]:
    eng = sa.create_engine(url)
    try:
        names = set(sa.inspect(eng).get_table_names())
        with eng.connect() as connection:
            rows = [r[0] for r in connection.exec_driver_sql("SELECT x FROM keep_me")]
        return names, rows
    finally:
        eng.dispose()


@pytest.mark.parametrize("engine", ["postgresql", "mysql", "sqlite"])
def test_refuses_a_target_holding_its_tables_and_replace_drops_only_those(make_database, engine: str) -> None:
    url = make_database(engine)
    _create_unrelated(url, clash=True)
    with pytest.raises(TargetNotEmpty) as refused:
        clone_schema(odd_schema(), url)
    assert "cycle_a" in str(refused.value) and "--replace" in str(refused.value)
    assert _tables_and_keep_me(url) == ({"keep_me", "cycle_a"}, [42])

    clone_schema(odd_schema(), url, replace=True)
    names, rows = _tables_and_keep_me(url)
    assert rows == [42] and "keep_me" in names and "group" in names
    eng = sa.create_engine(url)
    try:
        assert [c["name"] for c in sa.inspect(eng).get_columns("cycle_a")] == ["id", "b_id"]
    finally:
        eng.dispose()
    # a second clone over its own result needs --replace too, and then works
    with pytest.raises(TargetNotEmpty):
        clone_schema(odd_schema(), url)
    clone_schema(odd_schema(), url, replace=True)


@pytest.mark.parametrize("engine", ["postgresql", "mysql"])
def test_a_failing_statement_leaves_the_target_as_it_was(make_database, engine: str) -> None:
    url = make_database(engine)
    _create_unrelated(url, clash=False)
    # same-engine SQL that the target refuses, in post_data (after every table exists)
    bad = odd_schema(bad_check="no_such_function(id) > 0")
    if engine == "mysql":
        from dataclasses import replace

        bad = replace(bad, dialect="mysql", enums=(), sequences=())
        bad = replace(
            bad,
            tables=tuple(
                replace(
                    t,
                    check_constraints=tuple(c for c in t.check_constraints if c.name == "bad"),
                    columns=tuple(
                        replace(c, type=ColumnType(c.type.kind, "varchar(40)" if c.type.kind is not TypeKind.INTEGER
                                                   else "int"), default=None)
                        for c in t.columns
                    ),
                )
                for t in bad.tables
            ),
        )
    with pytest.raises(SchemaCreationError) as failed:
        clone_schema(bad, url)
    message = str(failed.value)
    assert "no_such_function" in message and "\n" not in message
    assert _tables_and_keep_me(url) == ({"keep_me"}, [42])
    if engine == "postgresql":
        eng = sa.create_engine(url)
        try:
            with eng.connect() as connection:
                assert connection.exec_driver_sql("SELECT count(*) FROM pg_type WHERE typname = 'Stätus'").scalar() == 0
        finally:
            eng.dispose()


def test_drop_statements_remove_exactly_what_was_created(make_database) -> None:
    url = make_database("mysql")
    _create_unrelated(url, clash=False)
    writer = SchemaWriter(odd_schema(), "mysql")
    clone_schema(odd_schema(), url)
    eng = sa.create_engine(url)
    try:
        with eng.begin() as connection:
            for statement in writer.drop_statements():
                connection.exec_driver_sql(statement)
    finally:
        eng.dispose()
    assert _tables_and_keep_me(url) == ({"keep_me"}, [42])
