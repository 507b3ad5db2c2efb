"""Discovery keeps what says something new: the pruning of rules that others already imply."""

from __future__ import annotations

from relsynth.rules.discovery import prune
from relsynth.rules.model import Rule, RuleKind
from relsynth.schema.elements import QualifiedName

T, LINE, PART = QualifiedName(None, "t"), QualifiedName(None, "line"), QualifiedName(None, "part")


def _texts(rules: list[Rule]) -> list[str]:
    return [r.describe() for r in rules]


def test_orders_between_equal_columns_and_ge_beside_gt_are_dropped() -> None:
    rules = [
        Rule(RuleKind.EQUAL, T, "b", inputs=("a",)),
        Rule(RuleKind.ORDER, T, "b", "ge", ("a",)),
        Rule(RuleKind.ORDER, T, "a", "ge", ("b",)),
        Rule(RuleKind.ORDER, T, "d", "gt", ("c",)),
        Rule(RuleKind.ORDER, T, "d", "ge", ("c",)),
        Rule(RuleKind.ORDER, T, "e", "ge", ("c",)),
    ]
    assert _texts(prune(rules)) == ["t.b = a", "t.d > c", "t.e >= c"]


def test_each_column_keeps_its_best_derivation() -> None:
    weaker = Rule(RuleKind.FORMULA, T, "total", "add", ("x", "y"), support=0.97)
    plain = Rule(RuleKind.AGGREGATE, T, "total", "sum", ("price",), LINE, ("t_id",), support=1.0)
    product = Rule(RuleKind.AGGREGATE, T, "total", "sum", ("price", "quantity"), LINE, ("t_id",), support=1.0)
    assert prune([weaker, plain, product]) == [product]  # equal support: the one with more inputs


def test_an_aggregate_of_values_the_children_compute_from_the_parent_is_dropped() -> None:
    copy = Rule(RuleKind.EQUAL, LINE, "price", inputs=("part_id->price",))
    smallest = Rule(RuleKind.AGGREGATE, PART, "price", "min", ("price",), LINE, ("part_id",))
    amount = Rule(RuleKind.FORMULA, LINE, "amount", "mul", ("quantity", "part_id->price"))
    least = Rule(RuleKind.AGGREGATE, PART, "price", "min", ("amount",), LINE, ("part_id",))
    weaker = Rule(RuleKind.AGGREGATE, PART, "price", "max", ("cost",), LINE, ("part_id",), support=0.96)
    # The children follow the parent, not the reverse: the weaker but genuine derivation is kept.
    assert prune([copy, smallest, amount, least, weaker]) == [copy, amount, weaker]
