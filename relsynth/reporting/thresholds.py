"""Thresholds: which report figures are on the wrong side of the limits a user set."""

from __future__ import annotations

from collections.abc import Mapping

from relsynth.errors import ConfigurationError
from relsynth.reporting.report import Report

KNOWN = (
    "quality", "column_shapes", "column_pair_trends", "cardinality", "intertable_trends", "detection",
    "integrity_violations", "orphans", "schema_differences", "row_count_difference", "exact_match_share",
    "source_duplicate_share", "verbatim_identifiers", "rare_rows_redrawn", "rare_rows_dropped", "dcr_share", "mia_advantage", "epsilon",
)


def parse_threshold(text: str) -> tuple[str, float]:
    """``"quality=0.85"`` -> ``("quality", 0.85)``, for flags such as ``--fail-under``."""
    name, sep, value = text.partition("=")
    try:
        if not sep:
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise ConfigurationError(f"invalid threshold {text!r}: write NAME=NUMBER, e.g. quality=0.85") from None


def check_thresholds(
    report: Report, *, fail_under: Mapping[str, float] | None = None, fail_over: Mapping[str, float] | None = None
) -> list[str]:
    """The failing figures, each named with its value and limit; empty when every limit holds.

    A figure the report could not compute (``dcr_share`` without a holdout) fails its threshold:
    a limit the user set must not pass by default.
    """
    fail_under, fail_over = dict(fail_under or {}), dict(fail_over or {})
    unknown = sorted((set(fail_under) | set(fail_over)) - set(KNOWN))
    if unknown:
        raise ConfigurationError(
            f"unknown report figure(s) {', '.join(unknown)} in thresholds; known figures: {', '.join(KNOWN)}"
        )
    figures = report.figures
    failures = []
    for name, limit in fail_under.items():
        value = figures[name]
        if value is None:
            failures.append(f"{name} not available (limit >= {limit:g})")
        elif value < limit:
            failures.append(f"{name} {value:.4g} < {limit:g}")
    for name, limit in fail_over.items():
        value = figures[name]
        if value is None:
            failures.append(f"{name} not available (limit <= {limit:g})")
        elif value > limit:
            failures.append(f"{name} {value:.4g} > {limit:g}")
    return failures
