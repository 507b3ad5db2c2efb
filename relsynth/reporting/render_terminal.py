"""A short terminal summary of a Report (rich)."""

from __future__ import annotations

from rich.table import Table as RichTable

from relsynth.reporting.report import Report


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def render_terminal(report: Report, *, failures: list[str] | None = None) -> RichTable:
    """Headline figures, then one line per table; failing figures in red when ``failures`` given."""
    failing = {f.split(" ", 1)[0] for f in failures or []}
    summary = RichTable(title=f"relsynth report: {report.target} against {report.source}", show_lines=False)
    summary.add_column("table")
    for heading in ("rows src/tgt", "shapes", "pairs", "detection", "violations", "exact match", "DCR"):
        summary.add_column(heading, justify="right")
    for t in report.tables:
        summary.add_row(
            str(t.name), f"{t.source_rows}/{t.target_rows}", _fmt(t.column_shapes), _fmt(t.column_pair_trends),
            _fmt(t.detection), str(t.integrity_violations), _fmt(t.exact_match_share), _fmt(t.dcr_share),
        )
    summary.add_section()
    for name, value in report.figures.items():
        style = "bold red" if name in failing else "bold"
        summary.add_row(f"[{style}]{name}[/]", "", "", "", "", "", "", f"[{style}]{_fmt(value)}[/]")
    attack = report.privacy.mia_attack
    if attack is not None:
        summary.caption = f"mia_advantage: {attack.name}, 95% interval [{attack.low:.3f}, {attack.high:.3f}]: {attack.verdict()}"
    return summary
