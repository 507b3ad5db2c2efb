"""Thresholds: which report figures are on the wrong side of their limits.

Some limits hold by default, because a clone that breaks them is not a usable clone whatever the
user asked: a missing or empty table, row counts far from the expected scale, a broken constraint,
and the privacy figures (an attack that tells training rows apart, exact copies beyond the
source's own duplicates, a real identifying value). The user's limits (``--fail-under``,
``--fail-over``, the config's ``[report]``) are added to them and replace a default of the same
name and direction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from relsynth.errors import ConfigurationError
from relsynth.reporting.report import Report

KNOWN = (
    "quality", "column_shapes", "column_pair_trends", "cardinality", "intertable_trends", "detection",
    "integrity_violations", "orphans", "schema_differences", "missing_tables", "empty_tables",
    "tables_off_scale", "row_count_difference", "exact_match_share", "source_duplicate_share",
    "exact_match_excess", "verbatim_identifiers", "rare_rows_redrawn", "rare_rows_dropped", "dcr_share",
    "mia_advantage", "epsilon", "utility", "rules_broken",
)

# Fail when the figure is above the limit, unless the user sets another.
DEFAULT_FAIL_OVER: dict[str, float] = {
    "missing_tables": 0,
    "empty_tables": 0,
    "tables_off_scale": 0,
    "row_count_difference": 0.25,
    "integrity_violations": 0,
    # An advantage of 0.3 is 2 standard deviations of chance on the smallest holdout scored (30
    # rows); a model that memorised its rows scores far above it.
    "mia_advantage": 0.3,
    # The share of a table's synthetic rows equal to a source row, beyond the share of source
    # rows that repeat another (what an independent sample of the same data matches anyway).
    "exact_match_excess": 0.1,
    "verbatim_identifiers": 0,
    # "rules_broken" (rules the clone keeps on a share more than [rules] margin below the source's)
    # joins these once generation enforces the rules; until then every clone would fail it.
}
DEFAULT_FAIL_UNDER: dict[str, float] = {}


@dataclass(frozen=True)
class Verdict:
    name: str
    value: float | None
    limit: float
    fails_when: str  # "under" | "over"
    default: bool  # a default limit, not one the user set

    @property
    def passed(self) -> bool | None:
        """False when on the wrong side; None when the figure is missing and the limit a default."""
        if self.value is None:
            return None if self.default else False  # a limit the user set must not pass by default
        return self.value >= self.limit if self.fails_when == "under" else self.value <= self.limit

    @property
    def sign(self) -> str:
        return ">=" if self.fails_when == "under" else "<="

    def describe(self) -> str:
        if self.value is None:
            return f"{self.name} not available (limit {self.sign} {self.limit:g})"
        op = "<" if self.fails_when == "under" else ">"
        return f"{self.name} {self.value:.4g} {op} {self.limit:g}"


@dataclass(frozen=True)
class Gate:
    verdicts: tuple[Verdict, ...]

    @property
    def failures(self) -> list[str]:
        return [v.describe() for v in self.verdicts if v.passed is False]

    @property
    def passed(self) -> bool:
        return not self.failures

    def status(self, name: str) -> str | None:
        """``"fail"``, ``"pass"`` or None (no limit, or not available) for figure ``name``."""
        found = [v.passed for v in self.verdicts if v.name == name]
        if any(p is False for p in found):
            return "fail"
        return "pass" if any(p for p in found) else None

    def limit_text(self, name: str) -> str:
        return ", ".join(f"{v.sign} {v.limit:g}" for v in self.verdicts if v.name == name)


def parse_threshold(text: str) -> tuple[str, float]:
    """``"quality=0.85"`` -> ``("quality", 0.85)``, for flags such as ``--fail-under``."""
    name, sep, value = text.partition("=")
    try:
        if not sep:
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise ConfigurationError(f"invalid threshold {text!r}: write NAME=NUMBER, e.g. quality=0.85") from None


def evaluate(
    report: Report,
    *,
    fail_under: Mapping[str, float] | None = None,
    fail_over: Mapping[str, float] | None = None,
    defaults: bool = True,
) -> Gate:
    """Every limit (defaults, then the user's over them) with the report's figure."""
    fail_under, fail_over = dict(fail_under or {}), dict(fail_over or {})
    unknown = sorted((set(fail_under) | set(fail_over)) - set(KNOWN))
    if unknown:
        raise ConfigurationError(
            f"unknown report figure(s) {', '.join(unknown)} in thresholds; known figures: {', '.join(KNOWN)}"
        )
    figures = report.figures
    verdicts = []
    for fails_when, user, default in (("under", fail_under, DEFAULT_FAIL_UNDER), ("over", fail_over, DEFAULT_FAIL_OVER)):
        limits = {**(default if defaults else {}), **user}
        for name, limit in limits.items():
            verdicts.append(Verdict(name, figures[name], float(limit), fails_when, name not in user))
    return Gate(tuple(verdicts))


def check_thresholds(
    report: Report,
    *,
    fail_under: Mapping[str, float] | None = None,
    fail_over: Mapping[str, float] | None = None,
    defaults: bool = True,
) -> list[str]:
    """The failing figures, each named with its value and limit; empty when every limit holds.

    A figure the report could not compute (``dcr_share`` without a holdout) fails a limit the
    user set; a default limit on it is left unjudged.
    """
    return evaluate(report, fail_under=fail_under, fail_over=fail_over, defaults=defaults).failures
