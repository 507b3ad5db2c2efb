"""A run carries its rules: saved in run.json and read back; a run saved before rules reads as none.
A code column the heuristics took for free text is learned as a category when a rule says so."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from relsynth.config import ColumnRole, RelsynthConfig, TableOverride
from relsynth.planning import plan
from relsynth.roles import ColumnPlan, Role
from relsynth.rules import Rule, RuleKind
from relsynth.rules.categories import as_categories
from relsynth.runs import Run, load_run, save_run
from relsynth.schema.elements import Column, ColumnType, PrimaryKey, QualifiedName, Schema, Table, TypeKind

CUSTOMER = QualifiedName(None, "customer")
SCHEMA = Schema("sqlite", (Table(CUSTOMER, (Column("id", ColumnType(TypeKind.INTEGER, "integer")),), primary_key=PrimaryKey(None, ("id",))),))
RULES = (
    Rule(RuleKind.CATEGORY, CUSTOMER, "state", support=0.998),
    Rule(RuleKind.AGGREGATE, CUSTOMER, "total", op="sum", inputs=("price", "qty"), child=QualifiedName("s", "line"), via=("customer_id",),
         origin="config", enabled=False),
)


def test_a_runs_rules_survive_save_and_load_and_an_older_run_reads_as_having_none(tmp_path: Path) -> None:
    run = Run(schema=SCHEMA, plan=plan(SCHEMA), config=RelsynthConfig(), tables={}, rules=RULES)
    save_run(run, tmp_path / "run")
    assert load_run(tmp_path / "run").rules == RULES
    document = json.loads((tmp_path / "run" / "run.json").read_text())
    del document["rules"]
    (tmp_path / "run" / "run.json").write_text(json.dumps(document))
    assert load_run(tmp_path / "run").rules == ()


def test_a_code_column_taken_for_free_text_is_learned_as_a_category_unless_the_config_says_otherwise() -> None:
    columns = (ColumnPlan("state", Role.TEXT), ColumnPlan("notes", Role.TEXT), ColumnPlan("city", Role.IDENTIFYING))
    rules = (*RULES, Rule(RuleKind.CATEGORY, CUSTOMER, "city"), Rule(RuleKind.CATEGORY, CUSTOMER, "notes", support=0.96, enabled=False))
    roles = [c.role for c in as_categories(columns, CUSTOMER, rules, TableOverride())]
    assert roles == [Role.MODEL, Role.TEXT, Role.IDENTIFYING]  # switched off: text; identifying stays fake
    asked = TableOverride(columns={"state": ColumnRole.TEXT})
    assert [c.role for c in as_categories(columns, CUSTOMER, rules, asked)][0] is Role.TEXT


def test_a_code_column_whose_every_code_is_rare_stays_text_so_it_never_comes_out_empty() -> None:
    columns = (ColumnPlan("state", Role.TEXT), ColumnPlan("sku", Role.TEXT))
    rules = (Rule(RuleKind.CATEGORY, CUSTOMER, "state"), Rule(RuleKind.CATEGORY, CUSTOMER, "sku"))
    frame = pd.DataFrame({"state": ["CA", "CA", "CA", "SP", None], "sku": ["A-1", "A-2", "B-9", "C-3", "D-4"]})
    roles = [c.role for c in as_categories(columns, CUSTOMER, rules, TableOverride(), frame=frame, min_count=3)]
    assert roles == [Role.MODEL, Role.TEXT]  # a category emits no code seen fewer than k times
