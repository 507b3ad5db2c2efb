"""Where the training sample starts: the pure choice, on a TPC-H-shaped plan."""

from __future__ import annotations

from test_planning import fk, q, schema, table

from relsynth.planning import plan
from relsynth.training_sample import SampleChoice, choose_samples

# region -> nation -> customer -> orders -> lineitem, at TPC-H scale factor 0.1's sizes
PLAN = plan(schema(
    table("region"),
    table("nation", fk("nation", ("region_id",), "region")),
    table("customer", fk("customer", ("nation_id",), "nation")),
    table("orders", fk("orders", ("customer_id",), "customer")),
    table("lineitem", fk("lineitem", ("order_id",), "orders")),
))
ROWS = {q("region"): 5, q("nation"): 25, q("customer"): 15_000, q("orders"): 150_000, q("lineitem"): 600_000}


def test_the_highest_table_with_enough_units_is_sampled_and_its_descendants_follow() -> None:
    choices = choose_samples(PLAN, ROWS, set(ROWS), max_rows=200_000)
    assert all(not choices[q(n)].sampled for n in ("region", "nation", "customer"))  # too few units
    assert choices[q("orders")] == SampleChoice(fraction=200_000 / 600_000)
    assert choices[q("lineitem")].family_of == PLAN.table("lineitem").context_fk
    assert choices[q("lineitem")].fraction == choices[q("orders")].fraction


def test_nothing_is_sampled_within_the_limit() -> None:
    choices = choose_samples(PLAN, ROWS, set(ROWS), max_rows=600_000)
    assert not any(choice.sampled for choice in choices.values())


def test_a_table_that_is_not_synthesized_breaks_the_family() -> None:
    # lineitem copied (read whole): orders alone is within the limit, so nothing is sampled
    choices = choose_samples(PLAN, ROWS, set(ROWS) - {q("lineitem")}, max_rows=200_000)
    assert not any(choice.sampled for choice in choices.values())
