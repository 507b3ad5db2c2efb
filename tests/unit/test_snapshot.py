"""Schema snapshots: versioned JSON that round-trips every field."""

from __future__ import annotations

import dataclasses
import json

import pytest

from relsynth.errors import ArtifactError
from relsynth.schema import elements as el
from relsynth.schema.snapshot import from_dict, from_json, to_dict, to_json

Q = el.QualifiedName


def _full_schema() -> el.Schema:
    mood = Q(None, "mood")
    enum_type = el.ColumnType(el.TypeKind.ENUM, "mood", enum=mood, enum_values=("sad", "ok", "happy"))
    columns = (
        el.Column("id", el.ColumnType(el.TypeKind.INTEGER, "integer", precision=32), nullable=False,
                  identity=el.Identity(always=True, start=10, increment=2)),
        el.Column("serial_no", el.ColumnType(el.TypeKind.INTEGER, "integer", precision=32), nullable=False,
                  default="nextval('zoo_serial_no_seq'::regclass)", sequence=Q("sales", "zoo_serial_no_seq")),
        el.Column("feeling", enum_type, default="'ok'::mood"),
        el.Column("grid", el.ColumnType(el.TypeKind.ARRAY, "integer[]", item=el.ColumnType(el.TypeKind.INTEGER, "integer"),
                                        dimensions=2)),
        el.Column("legs", el.ColumnType(el.TypeKind.INTEGER, "positive_int", domain=Q("sales", "positive_int"))),
        el.Column("price", el.ColumnType(el.TypeKind.DECIMAL, "numeric(12,3)", precision=12, scale=3), comment="in €"),
        el.Column("code", el.ColumnType(el.TypeKind.TEXT, "character varying(10)", length=10), collation="C"),
        el.Column("seen", el.ColumnType(el.TypeKind.TIMESTAMP, "timestamp with time zone", timezone=True)),
        el.Column("tax", el.ColumnType(el.TypeKind.DECIMAL, "numeric"), computed="(price * 1.2)", computed_stored=False),
    )
    zoo = Q(None, "zoo")
    table = el.Table(
        name=zoo,
        columns=columns,
        primary_key=el.PrimaryKey("zoo_pkey", ("id",)),
        unique_constraints=(el.UniqueConstraint("zoo_code_key", ("code",)),),
        check_constraints=(el.CheckConstraint("zoo_check", "price > 0"),),
        indexes=(el.Index("zoo_idx", ("lower(code)", "seen"), unique=True, method="btree", where="price > 1",
                          definition="CREATE UNIQUE INDEX zoo_idx ON public.zoo (lower(code), seen) WHERE price > 1",
                          on_partitions=True),),
        foreign_keys=(
            el.ForeignKey("zoo_self_fkey", zoo, ("legs", "id"), Q("sales", "parent"), ("a", "b"),
                          deferrable=el.Deferrability.INITIALLY_DEFERRED, on_delete="CASCADE", on_update="SET NULL",
                          match="FULL", validated=False, on_partitions=True),
        ),
        comment="every field once",
        partitioning=el.Partitioning("RANGE", "seen", (el.Partition(
            Q(None, "zoo_2024"), "FOR VALUES FROM (1) TO (2)",
            foreign_keys=(el.ForeignKey("zoo_2024_fkey", Q(None, "zoo_2024"), ("legs",), Q("sales", "parent"), ("a",)),),
            indexes=(el.Index("zoo_2024_idx", ("seen",), definition="CREATE INDEX zoo_2024_idx ON zoo_2024 (seen)"),),
        ),)),
        exclusion_constraints=(el.ExclusionConstraint("zoo_excl", "EXCLUDE USING gist (legs WITH =, seen WITH &&)",
                                                      (("legs", "pg_catalog.="), ("seen", "pg_catalog.&&")), ("btree_gist",)),),
    )
    return el.Schema(
        dialect="postgresql",
        tables=(table, el.Table(Q("sales", "parent"), (el.Column("a", columns[0].type),))),
        views=(el.View(Q(None, "v"), "SELECT 1", materialized=True, comment="a view",
                       indexes=(el.Index("v_idx", (), unique=True, definition="CREATE UNIQUE INDEX v_idx ON v (x)"),)),),
        enums=(el.EnumType(mood, ("sad", "ok", "happy")),),
        domains=(el.Domain(Q("sales", "positive_int"), el.ColumnType(el.TypeKind.INTEGER, "integer"), nullable=False,
                           default="1", checks=(el.CheckConstraint("positive", "VALUE > 0"),)),),
        sequences=(el.Sequence(Q(None, "s"), start=100, increment=5, owned_by=(zoo, "serial_no")),),
        routines=(el.Routine(Q(None, "f"), "function", "(integer)", "CREATE OR REPLACE FUNCTION f(integer) ..."),),
        triggers=(el.Trigger("t", zoo, "CREATE TRIGGER t BEFORE UPDATE ON zoo ..."),),
        namespaces=("sales",),
        server_version="15.2",
        warnings=("trigger public.zoo: t is not carried to the target",),
    )


def test_round_trip_gives_an_equal_schema_including_warnings() -> None:
    schema = _full_schema()
    text = to_json(schema)
    back = from_json(text)
    assert back == schema
    assert back.warnings == schema.warnings  # not part of ==, but carried
    assert back.tables[0].foreign_keys[0].deferrable is el.Deferrability.INITIALLY_DEFERRED
    assert back.tables[0].columns[3].type.item == el.ColumnType(el.TypeKind.INTEGER, "integer")
    assert back.sequences[0].owned_by == (Q(None, "zoo"), "serial_no")
    assert to_json(back) == text


def test_every_dataclass_field_is_exercised() -> None:
    """Each field of every element appears with a non-default value in the fixture schema."""
    seen: dict[tuple[type, str], bool] = {}

    def walk(value: object) -> None:
        if dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                item = getattr(value, f.name)
                default = f.default if f.default is not dataclasses.MISSING else dataclasses.MISSING
                seen[(type(value), f.name)] = seen.get((type(value), f.name), False) or item != default
                walk(item)
        elif isinstance(value, tuple):
            for item in value:
                walk(item)

    walk(_full_schema())
    missing = sorted(f"{cls.__name__}.{name}" for (cls, name), set_ in seen.items() if not set_)
    assert missing == []
    classes = {cls for cls, _ in seen}
    element_classes = {
        obj for obj in vars(el).values() if isinstance(obj, type) and dataclasses.is_dataclass(obj)
    }
    assert classes == element_classes


def test_envelope_is_versioned() -> None:
    data = json.loads(to_json(_full_schema()))
    assert data["format"] == "relsynth.schema"
    assert data["version"] == 1
    assert data["schema"]["tables"][0]["name"] == {"schema": None, "name": "zoo"}


@pytest.mark.parametrize("version", [0, 2, "1", None])
def test_unknown_version_is_refused(version: object) -> None:
    data = to_dict(_full_schema())
    data["version"] = version
    with pytest.raises(ArtifactError, match="version"):
        from_dict(data)


def test_wrong_format_and_damaged_input_are_refused() -> None:
    data = to_dict(_full_schema())
    with pytest.raises(ArtifactError, match="not a relsynth schema"):
        from_dict({**data, "format": "something.else"})
    with pytest.raises(ArtifactError, match="not valid JSON"):
        from_json("{not json")
    damaged = to_dict(_full_schema())
    damaged["schema"]["tables"][0]["columns"][0]["type"]["kind"] = "no-such-kind"
    with pytest.raises(ArtifactError, match="damaged"):
        from_dict(damaged)
    extra = to_dict(_full_schema())
    extra["schema"]["tables"][0]["surprise"] = 1
    with pytest.raises(ArtifactError, match="surprise"):
        from_dict(extra)
