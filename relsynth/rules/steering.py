"""Steering: the config's ``[rules]`` section adds, changes or switches off rules.

::

    [rules]
    enforce_at = 0.99   # rules holding on at least this share of the source are true by construction
    margin = 0.01       # the report fails a rule whose share in the clone is more than this below the source's

    [[rules.rule]]      # switch a discovered rule off
    kind = "equal"
    table = "invoice"
    column = "billing_address"
    enabled = false

    [[rules.rule]]      # add one (or change the discovered rule of that kind on that column)
    kind = "order"
    table = "rental"
    column = "return_date"
    op = "ge"
    inputs = ["rental_date"]

An entry is matched to discovered rules by ``Rule.key()``, its table written ``schema.table`` or
bare. ``enabled = false`` switches off the rule of that key, or every rule of that kind on that
column when the entry names no ``op``, ``inputs``, ``child`` or ``via``. An enabled entry replaces
the discovered rule it changes (derivations and codes: one per column; orders, dependencies and
sequences: the one with the same inputs and ``via``) or is added; it holds with support 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from relsynth.errors import ConfigurationError
from relsynth.rules.model import OPS, Rule, RuleKind
from relsynth.schema.elements import QualifiedName

ENTRY_KEYS = frozenset({"kind", "table", "column", "op", "inputs", "child", "via", "enabled"})
INPUTS_NEEDED = {"mul": 2, "add": 2, "year": 1, "lower": 1, "ge": 1, "gt": 1}
ONE_PER_COLUMN = frozenset({RuleKind.EQUAL, RuleKind.FORMULA, RuleKind.AGGREGATE, RuleKind.CATEGORY})


@dataclass(frozen=True)
class RulesConfig:
    enforce_at: float = 0.99  # support at or above which a rule is enforced by construction
    margin: float = 0.01  # the report's tolerance: clone share >= source share - margin
    rules: tuple[Rule, ...] = field(default=())  # the [[rules.rule]] entries, origin "config"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RulesConfig:
        unknown = sorted(set(data) - {"enforce_at", "margin", "rule"})
        if unknown:
            raise ConfigurationError(
                f"unknown key(s) {', '.join(unknown)} in [rules] of the config file; allowed: enforce_at, margin, rule"
            )
        config = cls(
            enforce_at=float(data.get("enforce_at", cls.enforce_at)),
            margin=float(data.get("margin", cls.margin)),
            rules=tuple(_entry(i, entry) for i, entry in enumerate(data.get("rule", ()))),
        )
        if not 0 < config.enforce_at <= 1 or not 0 <= config.margin < 1:
            raise ConfigurationError("[rules] enforce_at must be in (0, 1] and margin in [0, 1)")
        return config

    def to_dict(self) -> dict[str, Any]:
        """The TOML shape ``from_dict`` reads, so a saved run's config round-trips."""
        entries = []
        for rule in self.rules:
            entry = {"kind": rule.kind.value, "table": str(rule.table), "column": rule.column, "op": rule.op,
                     "inputs": list(rule.inputs), "via": list(rule.via), "enabled": rule.enabled}
            if rule.child is not None:
                entry["child"] = str(rule.child)
            entries.append(entry)
        return {"enforce_at": self.enforce_at, "margin": self.margin, "rule": entries}


def _name(text: str) -> QualifiedName:
    schema, dot, name = text.rpartition(".")
    return QualifiedName(schema if dot else None, name)


def _entry(index: int, entry: Mapping[str, Any]) -> Rule:
    where = f"[[rules.rule]] number {index + 1}"
    unknown = sorted(set(entry) - ENTRY_KEYS)
    if unknown:
        raise ConfigurationError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(ENTRY_KEYS))}")
    missing = [k for k in ("kind", "table", "column") if k not in entry]
    if missing:
        raise ConfigurationError(f"{where}: give {', '.join(missing)} (kind, table and column name the rule)")
    try:
        kind = RuleKind(entry["kind"])
    except ValueError:
        raise ConfigurationError(f"{where}: kind {entry['kind']!r} is not one of {', '.join(k.value for k in RuleKind)}") from None
    rule = Rule(
        kind, _name(str(entry["table"])), str(entry["column"]), str(entry.get("op", "")),
        tuple(str(i) for i in entry.get("inputs", ())),
        None if entry.get("child") is None else _name(str(entry["child"])),
        tuple(str(v) for v in entry.get("via", ())), origin="config", enabled=bool(entry.get("enabled", True)),
    )
    if rule.enabled or not _wildcard(rule):
        _validate(rule, where)
    return rule


def _validate(rule: Rule, where: str) -> None:
    if rule.op not in OPS[rule.kind]:
        allowed = ", ".join(sorted(o or '""' for o in OPS[rule.kind]))
        raise ConfigurationError(f"{where}: op {rule.op!r} is not one of {allowed} for a {rule.kind.value} rule")
    needed = INPUTS_NEEDED.get(rule.op, 1 if rule.kind is RuleKind.EQUAL else None)
    if needed is not None and len(rule.inputs) != needed:
        raise ConfigurationError(f"{where}: a {rule.kind.value} {rule.op} rule takes {needed} input(s), got {len(rule.inputs)}")
    if rule.kind is RuleKind.AGGREGATE and (rule.child is None or not rule.via):
        raise ConfigurationError(f"{where}: an aggregate names its child table and the child's FK columns (child, via)")
    if rule.kind is RuleKind.SEQUENCE and not rule.via:
        raise ConfigurationError(f"{where}: a sequence names the FK columns of the parent it numbers under (via)")


def _wildcard(entry: Rule) -> bool:
    return not entry.op and not entry.inputs and entry.child is None and not entry.via


def _same_table(entry: QualifiedName, table: QualifiedName) -> bool:
    """``public.invoice`` in the config names ``invoice`` of the default schema too."""
    return entry == table or (table.schema is None and entry.name == table.name)


def _matches(entry: Rule, rule: Rule, *, changes: bool) -> bool:
    if entry.kind is not rule.kind or entry.column != rule.column or not _same_table(entry.table, rule.table):
        return False
    if not entry.enabled and _wildcard(entry):
        return True
    if changes and entry.kind in ONE_PER_COLUMN:
        return True
    same_child = entry.child is None and rule.child is None or (
        entry.child is not None and rule.child is not None and _same_table(entry.child, rule.child)
    )
    if changes:
        return entry.inputs == rule.inputs and entry.via == rule.via and same_child
    return entry.op == rule.op and entry.inputs == rule.inputs and entry.via == rule.via and same_child


def _settings(config: Any) -> RulesConfig:
    return config if isinstance(config, RulesConfig) else config.rules


def effective_rules(discovered: Iterable[Rule], config: Any) -> tuple[Rule, ...]:
    """The rules generation honours: the discovered ones as the config changes them, plus its own.

    ``config`` is a ``RelsynthConfig`` (its ``rules``) or a ``RulesConfig``. Switched-off rules are
    left out; a config rule keeps the table name of the discovered rule it replaces.
    """
    settings = _settings(config)
    rules = list(discovered)
    added: list[Rule] = []
    for entry in settings.rules:
        hits = [r for r in rules if _matches(entry, r, changes=entry.enabled)]
        rules = [r for r in rules if r not in hits]
        if entry.enabled:
            table = hits[0].table if hits else entry.table
            added.append(replace(entry, table=table, support=1.0))
    return tuple(rules + added)


def enforced(rules: Iterable[Rule], config: Any) -> tuple[Rule, ...]:
    """The rules strong enough to be true by construction (support >= ``enforce_at``); the rest are learned."""
    settings = _settings(config)
    return tuple(r for r in rules if r.enabled and r.support >= settings.enforce_at)
