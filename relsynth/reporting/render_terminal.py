"""A short terminal summary of a Report (rich), 80 columns wide.

Each figure is coloured by its limit: red when it fails, green when it passes, plain when it
has none (or could not be computed). Names wrap rather than being cut.
"""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table as RichTable
from rich.text import Text

from relsynth.reporting.report import MIN_EXCESS_ROWS, Report, TableReport
from relsynth.reporting.thresholds import DEFAULT_FAIL_OVER, Gate, evaluate

_STYLE = {"pass": "green", "fail": "bold red", None: ""}
_COUNTS = {"integrity_violations", "orphans", "schema_differences", "missing_tables", "empty_tables", "tables_off_scale",
           "verbatim_identifiers"}


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _figure(name: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f}" if name in _COUNTS else f"{value:.3f}"


def _over(value: float | None, limit: float | None) -> str | None:
    if value is None or limit is None:
        return None
    return "fail" if value > limit else "pass"


def _limits(gate: Gate) -> dict[str, float]:
    """The over-limits in force (the user's, else the defaults), for colouring per-table cells."""
    return {v.name: v.limit for v in gate.verdicts if v.fails_when == "over"} or dict(DEFAULT_FAIL_OVER)


def _table_row(t: TableReport, limits: dict[str, float]) -> list[Text]:
    rows_status = "fail" if t.row_status in ("empty", "off_scale") else None
    expected = "" if t.expected_rows is None else f"/{t.expected_rows:.0f}"
    excess = None  # judged as the gate judges it: on tables large enough for a share to mean something
    if t.exact_match_share is not None and t.target_sample >= MIN_EXCESS_ROWS:
        excess = t.exact_match_share - (t.source_duplicate_share or 0.0)
    cells = [
        (str(t.name), None),
        (f"{t.target_rows}{expected}", rows_status),
        (_fmt(t.column_shapes), None),
        (_fmt(t.column_pair_trends), None),
        (_fmt(t.detection, 2), None),
        (str(t.integrity_violations), _over(t.integrity_violations, limits.get("integrity_violations"))),
        (_fmt(t.exact_match_share, 2), _over(excess, limits.get("exact_match_excess"))),
        (_fmt(t.mia_advantage, 2), _over(t.mia_advantage, limits.get("mia_advantage"))),
    ]
    return [Text(text, style=_STYLE[status]) for text, status in cells]


def render_terminal(report: Report, *, gate: Gate | None = None) -> Group:
    """Per-table figures, the headline figures with their limits, and the verdict.

    ``gate`` (from ``evaluate``) sets the colours; without it the default limits apply.
    """
    gate = gate if gate is not None else evaluate(report)
    limits = _limits(gate)
    tables = RichTable(title=f"relsynth report: {report.target}\nagainst {report.source}", box=box.SIMPLE_HEAD,
                       padding=(0, 1), collapse_padding=True, title_justify="left")
    tables.add_column("table", overflow="fold", ratio=1)
    for heading in ("rows/exp.", "shapes", "pairs", "detect", "errors", "exact", "MIA"):
        tables.add_column(heading, justify="right", no_wrap=True)
    for t in report.tables:
        tables.add_row(*_table_row(t, limits))
    if report.completeness is not None:
        for count in report.completeness.tables:
            if count.status == "missing":
                tables.add_row(Text(str(count.table)), Text(f"absent/{count.expected_rows:.0f}", style=_STYLE["fail"]))
    figures = RichTable(box=box.SIMPLE_HEAD, padding=(0, 1), collapse_padding=True)
    figures.add_column("figure", overflow="fold")
    figures.add_column("value", justify="right", no_wrap=True)
    figures.add_column("limit", no_wrap=True)
    for name, value in report.figures.items():
        style = _STYLE[gate.status(name)]
        figures.add_row(Text(name, style=style), Text(_figure(name, value), style=style), gate.limit_text(name))
    attack = report.privacy.mia_attack
    if attack is not None:
        figures.caption = f"mia_advantage: {attack.name}, 95% interval [{attack.low:.3f}, {attack.high:.3f}]: {attack.verdict()}"
    parts: list = [tables, figures]
    if report.utility:
        parts.append(_utility_table(report))
    if report.rules:
        parts.append(_rules_table(report))
    parts += [Text(note) for note in report.notes if "utility" in note]  # which targets, or why there are none
    verdict = Text("PASS", style="bold green") if gate.passed else Text("FAIL: ", style="bold red") + Text("; ".join(gate.failures))
    return Group(*parts, verdict)


def _utility_table(report: Report) -> RichTable:
    """Train on real (TRTR) against train on the clone (TSTR), both tested on held-out real rows."""
    table = RichTable(title="utility (train synthetic, test real)", box=box.SIMPLE_HEAD, padding=(0, 1),
                      collapse_padding=True, title_justify="left")
    table.add_column("target", overflow="fold", ratio=1)
    for heading in ("metric", "TRTR", "TSTR", "ratio", "95% interval"):
        table.add_column(heading, justify="right", no_wrap=True)
    for u in report.utility:
        table.add_row(f"{u.table}.{u.target}", u.metric, _fmt(u.real), _fmt(u.synthetic), _fmt(u.ratio),
                      "n/a" if u.ci_low is None else f"{_fmt(u.ci_low, 2)}-{_fmt(u.ci_high, 2)}")
    return table


def _rules_table(report: Report) -> RichTable:
    """Each rule's share in the source and the clone; red where the clone drops it by more than the margin."""
    table = RichTable(title="rules (share of rows that obey them)", box=box.SIMPLE_HEAD, padding=(0, 1),
                      collapse_padding=True, title_justify="left")
    table.add_column("rule", overflow="fold", ratio=1)
    for heading in ("source", "clone"):
        table.add_column(heading, justify="right", no_wrap=True)
    for r in report.rules:
        style = _STYLE["fail" if r.broken else None]
        table.add_row(Text(r.rule, style=style), _fmt(r.source), Text(_fmt(r.clone), style=style))
    return table
