"""Generation by the rules, on small frames: each kind computed from its inputs, keys and CHECKs kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from relsynth.checks import compile_check
from relsynth.planning import plan
from relsynth.rules import Rule, RuleKind
from relsynth.rules.enforcement import ENFORCE_AT, Enforcement
from relsynth.rules.values import key_positions, key_text
from relsynth.schema.elements import (
    Column,
    ColumnType,
    ForeignKey,
    PrimaryKey,
    QualifiedName,
    Schema,
    Table,
    TypeKind,
    UniqueConstraint,
)

INT = ColumnType(TypeKind.INTEGER, "integer")
MONEY = ColumnType(TypeKind.DECIMAL, "numeric(10,2)", precision=10, scale=2)
DATE = ColumnType(TypeKind.DATE, "date")
STAMP = ColumnType(TypeKind.TIMESTAMP, "timestamptz", timezone=True)
TEXT = ColumnType(TypeKind.TEXT, "text")


def _name(table: str) -> QualifiedName:
    return QualifiedName(None, table)


def _table(name: str, columns: dict[str, ColumnType], *, fks=(), unique=(), nullable=True) -> Table:
    return Table(
        _name(name),
        tuple(Column(c, t, nullable=nullable or c == "id") for c, t in columns.items()),
        primary_key=PrimaryKey(None, ("id",)),
        unique_constraints=tuple(UniqueConstraint(None, u) for u in unique),
        foreign_keys=tuple(ForeignKey(None, _name(name), (c,), _name(p), ("id",)) for c, p in fks),
    )


SCHEMA = Schema("postgresql", (
    _table("customer", {"id": INT, "address": TEXT, "zip": TEXT, "city": TEXT}),
    _table("orders", {"id": INT, "customer_id": INT, "billing": TEXT, "ordered": DATE, "shipped": DATE, "year": INT,
                      "total": MONEY, "lines": INT, "code": TEXT, "label": TEXT}, fks=[("customer_id", "customer")],
           unique=[("code",)]),
    _table("line", {"id": INT, "order_id": INT, "n": INT, "qty": INT, "price": MONEY, "amount": MONEY, "at": STAMP},
           fks=[("order_id", "orders")]),
    _table("payment", {"id": INT, "order_id": INT, "customer_id": INT}, fks=[("order_id", "orders"), ("customer_id", "customer")]),
    _table("staff", {"id": INT, "boss_id": INT, "dept": TEXT, "hired": DATE}, fks=[("boss_id", "staff")]),
    Table(_name("visit"), (Column("customer_id", INT), Column("n", INT), Column("day", DATE)), primary_key=PrimaryKey(None, ("customer_id", "n")),
          unique_constraints=(UniqueConstraint(None, ("n", "day")),), foreign_keys=(ForeignKey(None, _name("visit"), ("customer_id",), _name("customer"), ("id",)),)),
))
PLAN = plan(SCHEMA)


def _enforcement(*rules: Rule) -> Enforcement:
    return Enforcement(rules, SCHEMA, PLAN, generated=set(SCHEMA.table_names))


def _apply(rules: Enforcement, table: str, rows: pd.DataFrame, others: dict[str, pd.DataFrame] | None = None, checks=()) -> pd.DataFrame:
    frames = {_name(name): frame for name, frame in (others or {}).items()} | {_name(table): rows}
    for rule in rules.early + rules.late:
        rules.apply([rule], frames[rule.table], frames.__getitem__, list(checks))
    return rows


CUSTOMERS = pd.DataFrame({"id": [1, 2, 3], "address": ["1 Elm St", "2 Oak Ave", None], "zip": ["A1", "A1", "B2"], "city": ["X", "X", "Y"]})


def test_a_diamond_copies_the_key_through_the_first_path_so_both_paths_reach_one_ancestor() -> None:
    orders = pd.DataFrame({"id": [10, 11, 12], "customer_id": [2, 3, 1]})
    payments = pd.DataFrame({"id": [1, 2, 3, 4], "order_id": [10, 10, 12, 11], "customer_id": [1, 3, 3, 2]})
    rule = Rule(RuleKind.EQUAL, _name("payment"), "customer_id", inputs=("order_id->customer_id",))
    _apply(_enforcement(rule), "payment", payments, {"orders": orders, "customer": CUSTOMERS})
    assert payments["customer_id"].tolist() == [2, 2, 1, 3]
    assert set(payments["customer_id"]) <= set(CUSTOMERS["id"])  # still a valid key of the ancestor


def test_an_attribute_is_copied_from_the_parent_and_a_null_parent_value_leaves_the_generated_one() -> None:
    orders = pd.DataFrame({"id": [1, 2, 3, 4], "customer_id": [1, 2, 3, None], "billing": ["a", "b", "c", "d"]})
    rule = Rule(RuleKind.EQUAL, _name("orders"), "billing", inputs=("customer_id->address",))
    _apply(_enforcement(rule), "orders", orders, {"customer": CUSTOMERS})
    assert orders["billing"].tolist() == ["1 Elm St", "2 Oak Ave", "c", "d"]


def test_an_order_reflects_only_the_negative_gaps_keeping_their_size_and_leaves_nulls() -> None:
    ordered = [dt.date(2024, 1, 10)] * 4
    shipped = [dt.date(2024, 1, 13), dt.date(2024, 1, 6), None, dt.date(2024, 1, 10)]
    orders = pd.DataFrame({"id": [1, 2, 3, 4], "ordered": ordered, "shipped": shipped})
    rule = Rule(RuleKind.ORDER, _name("orders"), "shipped", op="ge", inputs=("ordered",))
    _apply(_enforcement(rule), "orders", orders)
    assert orders["shipped"].tolist() == [dt.date(2024, 1, 13), dt.date(2024, 1, 14), None, dt.date(2024, 1, 10)]
    strict = pd.DataFrame({"id": [1], "ordered": [dt.date(2024, 1, 10)], "shipped": [dt.date(2024, 1, 10)]})
    _apply(_enforcement(Rule(RuleKind.ORDER, _name("orders"), "shipped", op="gt", inputs=("ordered",))), "orders", strict)
    assert strict["shipped"].tolist() == [dt.date(2024, 1, 11)]


def test_a_child_timestamp_follows_its_parents_date_in_its_own_timezone_aware_dtype() -> None:
    orders = pd.DataFrame({"id": [1, 2], "ordered": [dt.date(2024, 5, 1), dt.date(2024, 5, 9)]})
    at = pd.Series(pd.to_datetime(["2024-05-03 10:00", "2024-05-07 12:00", "2024-05-10 00:00"], utc=True)).astype("datetime64[us, UTC]")
    lines = pd.DataFrame({"id": [1, 2, 3], "order_id": [1, 2, 2], "at": at})
    rule = Rule(RuleKind.ORDER, _name("line"), "at", op="ge", inputs=("order_id->ordered",))
    _apply(_enforcement(rule), "line", lines, {"orders": orders})
    assert lines["at"].dtype == at.dtype
    assert lines["at"].tolist() == list(pd.to_datetime(["2024-05-03 10:00", "2024-05-10 12:00", "2024-05-10 00:00"], utc=True))


def test_formulas_are_computed_from_their_inputs_and_rounded_to_the_columns_scale() -> None:
    orders = pd.DataFrame({"id": [1, 2], "customer_id": [1, 2]})
    lines = pd.DataFrame({"id": [1, 2, 3], "order_id": [1, 1, 2], "qty": pd.array([3, 2, None], dtype="Int64"),
                          "price": [Decimal("0.99"), Decimal("1.333"), Decimal("5.00")], "amount": [Decimal("9")] * 3})
    rule = Rule(RuleKind.FORMULA, _name("line"), "amount", op="mul", inputs=("qty", "price"))
    _apply(_enforcement(rule), "line", lines, {"orders": orders})
    assert lines["amount"].tolist() == [Decimal("2.97"), Decimal("2.67"), Decimal("9")]  # NULL input: left as generated
    dated = pd.DataFrame({"id": [1, 2], "ordered": [dt.date(2021, 12, 31), None], "year": pd.array([1990, 1991], dtype="Int64"),
                          "code": ["x", "y"], "label": ["Mixed Case", None]})
    rules = _enforcement(Rule(RuleKind.FORMULA, _name("orders"), "year", op="year", inputs=("ordered",)),
                         Rule(RuleKind.FORMULA, _name("orders"), "code", op="lower", inputs=("label",)))
    _apply(rules, "orders", dated)
    assert dated["year"].tolist() == [2021, 1991]
    assert dated["code"].tolist() == ["mixed case", "y"]


def test_an_aggregate_is_computed_from_the_synthetic_children_and_a_count_is_zero_without_any() -> None:
    orders = pd.DataFrame({"id": [1, 2, 3], "total": [Decimal("1.00")] * 3, "lines": pd.array([7, 7, 7], dtype="Int64")})
    lines = pd.DataFrame({"id": [1, 2, 3], "order_id": [1, 1, 2], "qty": [3, 1, 2], "price": [Decimal("0.99"), Decimal("1.99"), Decimal("0.50")]})
    rules = _enforcement(
        Rule(RuleKind.AGGREGATE, _name("orders"), "total", op="sum", inputs=("qty", "price"), child=_name("line"), via=("order_id",)),
        Rule(RuleKind.AGGREGATE, _name("orders"), "lines", op="count", child=_name("line"), via=("order_id",)),
    )
    assert not rules.early and rules.waiting() == {_name("orders")}
    assert rules.kept(_name("line")) >= {"order_id", "qty", "price"}
    _apply(rules, "orders", orders, {"line": lines})
    assert orders["total"].tolist() == [Decimal("4.96"), Decimal("1.00"), Decimal("1.00")]  # childless: as generated
    assert orders["lines"].tolist() == [2, 1, 0]


def test_rules_run_after_the_rules_that_compute_their_inputs() -> None:
    total = Rule(RuleKind.AGGREGATE, _name("orders"), "total", op="max", inputs=("amount",), child=_name("line"), via=("order_id",))
    amount = Rule(RuleKind.FORMULA, _name("line"), "amount", op="mul", inputs=("qty", "price"))
    rules = _enforcement(total, amount)
    assert rules.early == [amount] and rules.late == [total]
    orders = pd.DataFrame({"id": [1], "total": [Decimal("0")]})
    lines = pd.DataFrame({"id": [1, 2], "order_id": [1, 1], "qty": [2, 5], "price": [Decimal("3.00"), Decimal("1.00")], "amount": [None, None]})
    _apply(rules, "line", lines, {"orders": orders})
    assert orders["total"].tolist() == [Decimal("6.00")]


def test_children_are_numbered_per_parent_in_key_order_and_their_keys_are_handed_out_in_time_order() -> None:
    at = pd.Series(pd.to_datetime(["2024-01-05", "2024-01-01", "2024-01-03", "2024-02-01", None, "2024-01-02"], utc=True))
    lines = pd.DataFrame({"id": range(10, 16), "order_id": [1, 1, 2, 1, 2, 2], "n": [9] * 6, "qty": range(6),
                          "at": at.astype("datetime64[us, UTC]")})
    before = lines.drop(columns=["id", "n"]).copy()
    rules = _enforcement(Rule(RuleKind.SEQUENCE, _name("line"), "n", op="number", via=("order_id",)),
                         Rule(RuleKind.SEQUENCE, _name("line"), "at", op="time", via=("order_id",)))
    assert [r.op for r in rules.early] == ["time", "number"]  # the numbers count the keys the time order gave
    _apply(rules, "line", lines)
    # whole rows keep their values; the keys (the row without a time keeps its own) follow the time
    assert lines.drop(columns=["id", "n"]).equals(before)
    assert lines["id"].tolist() == [13, 10, 12, 15, 14, 11]
    assert lines["n"].tolist() == [2, 1, 2, 3, 3, 1]


def test_a_key_numbering_each_parents_children_is_handed_out_in_time_order_within_its_parent() -> None:
    visits = pd.DataFrame({"customer_id": [1, 1, 2, 1, 2], "n": [7, 3, 1, 5, 4], "day": [dt.date(2024, 3, d) for d in (9, 2, 5, 4, 1)]})
    rules = _enforcement(Rule(RuleKind.SEQUENCE, _name("visit"), "n", op="number", via=("customer_id",)),
                         Rule(RuleKind.SEQUENCE, _name("visit"), "day", op="time", via=("customer_id",)))
    _apply(rules, "visit", visits)
    assert visits["n"].tolist() == [3, 1, 2, 2, 1]  # 1..k per customer, in the order of their days


def test_a_table_s_keys_follow_the_time_column_that_keeps_the_most_of_its_time_orders() -> None:
    ordered, shipped = (Rule(RuleKind.SEQUENCE, _name("orders"), c, op="time", via=("customer_id",)) for c in ("ordered", "shipped"))
    rules = _enforcement(shipped, ordered)
    assert rules.early == [shipped]  # one stands for the table's time orders
    days = [dt.date(2024, 1, d) for d in (1, 1, 2)]
    orders = pd.DataFrame({"id": [1, 2, 3], "customer_id": [1, 1, 1], "ordered": days, "shipped": [dt.date(2024, 1, d) for d in (5, 3, 6)]})
    _apply(rules, "orders", orders)
    assert orders["id"].tolist() == [2, 1, 3]  # by shipped both hold; by ordered (a tie first) shipped would not


def test_keys_in_time_order_over_the_whole_table_hold_for_a_self_reference_filled_later() -> None:
    rules = _enforcement(Rule(RuleKind.SEQUENCE, _name("staff"), "hired", op="time", via=("boss_id",)))
    assert [r.column for r in rules.early] == ["hired"]  # before the self-reference (deferred) points at any key
    staff = pd.DataFrame({"id": [1, 2, 3], "boss_id": [None] * 3, "hired": [dt.date(2024, 1, d) for d in (3, 1, 2)]})
    _apply(rules, "staff", staff)
    assert staff["id"].tolist() == [3, 1, 2]


def test_a_time_order_is_not_enforced_where_rows_point_at_the_keys() -> None:
    rules = _enforcement(Rule(RuleKind.SEQUENCE, _name("orders"), "ordered", op="time", via=("customer_id",)))
    orders = pd.DataFrame({"id": [1, 2], "customer_id": [1, 1], "ordered": [dt.date(2024, 1, 2), dt.date(2024, 1, 1)]})
    rules.apply(rules.early, orders, {}.__getitem__, [], frozen={"id"})  # late: children point at the ids already
    assert orders["id"].tolist() == [1, 2] and "child rows already point at id" in rules.notes[0]


def test_keys_stay_where_their_time_order_would_repeat_another_unique_key() -> None:
    visits = pd.DataFrame({"customer_id": [1, 1, 2], "n": [1, 2, 1], "day": [dt.date(2024, 3, d) for d in (5, 3, 3)]})
    rules = _enforcement(Rule(RuleKind.SEQUENCE, _name("visit"), "day", op="time", via=("customer_id",)))
    _apply(rules, "visit", visits)
    assert visits["n"].tolist() == [1, 2, 1]  # (n, day) = (1, March 3rd) would be there twice
    assert "would repeat a unique key" in rules.notes[0]


def test_a_dependency_gives_each_determinant_its_most_common_generated_value() -> None:
    customers = pd.DataFrame({"id": range(6), "zip": ["A1", "A1", "A1", "B2", "B2", None], "city": ["X", "Q", "X", "Y", "Z", "W"]})
    _apply(_enforcement(Rule(RuleKind.DEPENDENCY, _name("customer"), "city", inputs=("zip",))), "customer", customers)
    assert customers["city"].tolist() == ["X", "X", "X", "Y", "Y", "W"]  # a tie goes to the first generated


def test_a_dependency_keeps_its_choices_from_chunk_to_chunk() -> None:
    rules = _enforcement(Rule(RuleKind.DEPENDENCY, _name("customer"), "city", inputs=("zip",)))
    first = pd.DataFrame({"id": range(3), "zip": ["A1", "A1", "B2"], "city": ["X", "X", "Y"]})
    second = pd.DataFrame({"id": range(3, 7), "zip": ["A1", "A1", "C3", "B2"], "city": ["Q", "Q", "Z", "V"]})
    _apply(rules, "customer", first)
    _apply(rules, "customer", second)  # the next chunk of the same table: A1 is X, though Q is its majority here
    assert second["city"].tolist() == ["X", "X", "Z", "Y"]


def test_a_rule_that_would_repeat_a_unique_key_or_violate_a_check_leaves_those_rows_and_says_so() -> None:
    orders = pd.DataFrame({"id": [1, 2, 3], "code": ["a", "b", "c"], "label": ["Same", "SAME", "Other"]})
    rules = _enforcement(Rule(RuleKind.FORMULA, _name("orders"), "code", op="lower", inputs=("label",)))
    _apply(rules, "orders", orders)
    assert orders["code"].tolist() == ["same", "b", "other"]
    assert any("1 row(s) left as generated" in note for note in rules.notes)
    lines = pd.DataFrame({"id": [1, 2], "qty": [2, 50], "price": [Decimal("1.00"), Decimal("3.00")], "amount": [Decimal("5.00")] * 2})
    rules = _enforcement(Rule(RuleKind.FORMULA, _name("line"), "amount", op="mul", inputs=("qty", "price")))
    _apply(rules, "line", lines, checks=[compile_check("amount < 100", dialect="postgresql")])
    assert lines["amount"].tolist() == [Decimal("2.00"), Decimal("5.00")]  # 150.00 would break the CHECK
    assert any("1 row(s) left as generated" in note for note in rules.notes)


@pytest.mark.parametrize("support, enabled, enforced", [(ENFORCE_AT, True, True), (0.9, True, False), (1.0, False, False)])
def test_only_enabled_rules_at_or_above_the_threshold_are_enforced(support: float, enabled: bool, enforced: bool) -> None:
    rule = Rule(RuleKind.ORDER, _name("orders"), "shipped", op="ge", inputs=("ordered",), support=support, enabled=enabled)
    assert bool(_enforcement(rule).early) is enforced


def test_a_rule_naming_what_the_schema_lacks_is_not_enforced_and_says_why() -> None:
    rules = _enforcement(Rule(RuleKind.EQUAL, _name("orders"), "billing", inputs=("nope_id->address",)),
                         Rule(RuleKind.ORDER, _name("orders"), "shipped", op="ge", inputs=("ordered",)))
    assert [r.column for r in rules.early] == ["shipped"]
    assert len(rules.notes) == 1 and "nope_id" in rules.notes[0]


def test_rows_with_a_non_range_index_are_written_in_place() -> None:
    orders = pd.DataFrame({"id": [1, 2], "ordered": [dt.date(2024, 1, 10)] * 2, "shipped": [dt.date(2024, 1, 1), None]}, index=[5, 9])
    _apply(_enforcement(Rule(RuleKind.ORDER, _name("orders"), "shipped", op="ge", inputs=("ordered",))), "orders", orders)
    assert orders["shipped"].tolist() == [dt.date(2024, 1, 19), None]
    assert np.array_equal(orders.index, [5, 9])


@pytest.mark.parametrize("rule", [
    Rule(RuleKind.FORMULA, _name("line"), "amount", op="mul", inputs=("qty",)),
    Rule(RuleKind.ORDER, _name("orders"), "shipped", op="lt", inputs=("ordered",)),
    Rule(RuleKind.SEQUENCE, _name("line"), "n", op="number"),
    Rule(RuleKind.AGGREGATE, _name("orders"), "total", op="sum", inputs=("qty",), child=_name("line"), via=("customer_id",)),
], ids=["arity", "op", "no-via", "not-a-key"])
def test_a_malformed_rule_is_left_out_with_a_note(rule: Rule) -> None:
    rules = _enforcement(rule)
    assert not rules.early and not rules.late and len(rules.notes) == 1


def test_a_rule_through_a_self_reference_runs_late_and_reaches_down_the_whole_hierarchy() -> None:
    staff = pd.DataFrame({"id": [4, 3, 2, 1], "boss_id": [3, 2, 1, None], "dept": ["D", "C", "B", "A"]})
    rules = _enforcement(Rule(RuleKind.EQUAL, _name("staff"), "dept", inputs=("boss_id->dept",)))
    assert not rules.early and rules.waiting() == {_name("staff")}  # the self-reference is a deferred key
    _apply(rules, "staff", staff)
    assert staff["dept"].tolist() == ["A", "A", "A", "A"]


def test_a_derived_column_has_one_writer_so_a_dependency_cannot_undo_the_copy_from_the_parent() -> None:
    copy = Rule(RuleKind.EQUAL, _name("customer"), "city", inputs=("zip",))  # stands in for any derivation
    dependency = Rule(RuleKind.DEPENDENCY, _name("customer"), "city", inputs=("address",))
    rules = _enforcement(copy, dependency)
    assert rules.early == [copy]
    customers = CUSTOMERS.copy()
    _apply(rules, "customer", customers)
    assert customers["city"].tolist() == customers["zip"].tolist()


def test_a_dependency_among_columns_copied_from_one_parent_is_enforced_on_the_parent() -> None:
    copies = [Rule(RuleKind.EQUAL, _name("orders"), c, inputs=(f"customer_id->{p}",)) for c, p in (("billing", "address"), ("label", "city"))]
    dependency = Rule(RuleKind.DEPENDENCY, _name("orders"), "label", inputs=("billing",))
    rules = _enforcement(*copies, dependency)
    lifted = Rule(RuleKind.DEPENDENCY, _name("customer"), "city", inputs=("address",))
    assert lifted in rules.early and dependency not in rules.early + rules.late
    customers = pd.DataFrame({"id": [1, 2, 3], "address": ["a", "a", "b"], "city": ["X", "Y", "Z"]})
    orders = pd.DataFrame({"id": [1, 2, 3], "customer_id": [1, 2, 3], "billing": [None] * 3, "label": [None] * 3})
    _apply(rules, "orders", orders, {"customer": customers})  # every rule, in dependency order
    assert orders.groupby("billing")["label"].nunique().max() == 1  # the dependency holds in the child


def test_key_positions_match_rows_to_parents_as_their_key_texts_do() -> None:
    parent = pd.DataFrame({"id": [10, 20, 30, 40], "code": ["a", "b", "c", "d"], "f": [1.0, 2.0, 3.0, 4.0]})
    child = pd.DataFrame({
        "ints": pd.Series([20, None, 40, 99, 10], dtype=object),  # object ints, as foreign keys are filled
        "nullable": pd.array([30, None, 10, 10, 5], dtype="Int64"),
        "floats": [20.0, np.nan, 40.0, 10.0, 30.5],
        "decimals": [Decimal("20"), None, Decimal("40.0"), Decimal("1"), Decimal("10")],
        "code": ["b", None, "d", "z", "a"],
    })
    for parent_column, column in (("id", "ints"), ("id", "nullable"), ("id", "floats"), ("id", "decimals"), ("code", "code"), ("f", "floats")):
        by_text = pd.Index(key_text(parent, [parent_column])).get_indexer(key_text(child, [column]).fillna("\x01NULL"))
        assert key_positions(parent, [parent_column], child, [column]).tolist() == by_text.tolist(), column
