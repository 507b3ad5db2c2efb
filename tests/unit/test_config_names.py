"""Table and column names in the config resolve against the introspected schema, or fail with a suggestion."""

from __future__ import annotations

import pytest

from relsynth.config import ColumnRole, RelsynthConfig, TableMode, TableOverride, load_config, resolve_table_names
from relsynth.errors import ConfigurationError
from relsynth.schema import elements as el

Q = el.QualifiedName
_INT = el.ColumnType("integer", el.TypeKind.INTEGER)


def _table(name: Q, *columns: str) -> el.Table:
    return el.Table(name, tuple(el.Column(c, _INT) for c in columns))


SCHEMA = el.Schema(
    dialect="postgresql",
    tables=(
        _table(Q(None, "odd_types"), "id", "notes"),
        _table(Q(None, "product"), "product_id"),
        _table(Q("sales", "product"), "sales_product_id"),
        _table(Q("sales", "order_line"), "line_id"),
    ),
    namespaces=("sales",),
)


def _resolved(tables: dict[str, TableOverride], default: str | None = "public") -> dict[str, TableOverride]:
    return resolve_table_names(RelsynthConfig(tables=tables), SCHEMA, default).tables


def test_the_readme_form_with_the_default_schema_written_out_is_honoured(tmp_path) -> None:
    path = tmp_path / "relsynth.toml"
    path.write_text('[tables."public.odd_types"]\nmode = "exclude"\n\n[tables."public.odd_types".columns.notes]\nrole = "keep_out"\n')
    config = resolve_table_names(load_config(path), SCHEMA, "public")
    assert config.override_for("odd_types").mode is TableMode.EXCLUDE
    assert config.override_for("odd_types").columns == {"notes": ColumnRole.KEEP_OUT}


def test_bare_names_resolve_to_the_default_schema_first_then_to_the_only_match() -> None:
    exclude = TableOverride(mode=TableMode.EXCLUDE)
    assert set(_resolved({"odd_types": exclude, "order_line": exclude, "sales.product": exclude})) == {
        "odd_types", "sales.order_line", "sales.product",
    }
    assert set(_resolved({"product": exclude})) == {"product"}  # the default schema's, not sales'


def test_a_qualified_name_never_falls_back_to_another_schema() -> None:
    config = resolve_table_names(RelsynthConfig(tables={"product": TableOverride(mode=TableMode.EXCLUDE)}), SCHEMA, "public")
    assert config.override_for("sales.product").mode is None


def test_mysql_and_sqlite_default_schemas_are_their_database_and_main() -> None:
    assert set(_resolved({"shop.odd_types": TableOverride()}, default="shop")) == {"odd_types"}
    assert set(_resolved({"main.odd_types": TableOverride()}, default="main")) == {"odd_types"}
    with pytest.raises(ConfigurationError, match="does not have"):
        _resolved({"public.odd_types": TableOverride()}, default="main")


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("odd_type", "'odd_types'"), ("public.odd_typs", "'public.odd_types'"), ("sales.order_lines", "'sales.order_line'")],
)
def test_an_unknown_table_is_an_error_naming_the_closest_match(key: str, suggestion: str) -> None:
    with pytest.raises(ConfigurationError, match=f"did you mean {suggestion}"):
        _resolved({key: TableOverride(mode=TableMode.EXCLUDE)})


def test_an_unknown_column_is_an_error_naming_the_closest_match() -> None:
    with pytest.raises(ConfigurationError, match="no column 'note'; did you mean 'notes'"):
        _resolved({"odd_types": TableOverride(columns={"note": ColumnRole.KEEP_OUT})})


def test_one_table_named_twice_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="twice"):
        _resolved({"odd_types": TableOverride(), "public.odd_types": TableOverride()})


def test_an_ambiguous_bare_name_asks_for_the_schema() -> None:
    schema = el.Schema(dialect="postgresql", tables=(_table(Q("a", "t"), "x"), _table(Q("b", "t"), "x")), namespaces=("a", "b"))
    with pytest.raises(ConfigurationError, match="ambiguous.*a.t, b.t"):
        resolve_table_names(RelsynthConfig(tables={"t": TableOverride()}), schema, "public")
