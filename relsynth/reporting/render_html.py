"""The report as one self-contained HTML page (inline SVG and CSS; no scripts, no network)."""

from __future__ import annotations

from html import escape

from relsynth.reporting import svg
from relsynth.reporting.glossary import GLOSSARY
from relsynth.reporting.membership import Attack
from relsynth.reporting.report import Report
from relsynth.reporting.thresholds import Gate, evaluate

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:130px}
.card b{display:block;font-size:22px}.card.pass{border-color:#1a7f37;background:#f0faf2}
.card.fail{border-color:#c62828;background:#fdf0f0}.pass{color:#1a7f37}.fail{color:#c62828}
.card small{display:block;color:#555}dt{font-weight:600;margin-top:6px}dd{margin-left:16px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #e3e3e3;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:8px}
svg .t{font-size:11px;font-weight:600}svg .a{font-size:9px;fill:#555}svg .n{font-size:11px}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
details{margin:6px 0}
"""


def _f(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _card(name: str, value: str, hint: str = "", status: str = "", key: str = "") -> str:
    meaning = f' title="{escape(GLOSSARY[key])}"' if key in GLOSSARY else ""
    return (f'<div class="card {status}"{meaning}><span>{escape(name)}</span><b>{escape(value)}</b>'
            f'<small>{escape(hint)}</small></div>')


def _interval(attack: Attack | None) -> str:
    return "" if attack is None else f" [{attack.low:.3f}, {attack.high:.3f}]"


def _attack_hint(attack: Attack | None) -> str:
    """0 ideal, and the strongest attack's 95% interval with what it says."""
    return "0 ideal" if attack is None else f"0 ideal; {attack.name}, 95%{_interval(attack)}: {attack.verdict()}"


def render_html(report: Report, *, gate: Gate | None = None) -> str:
    """The whole report with its verdict; ``gate`` (from ``evaluate``) else the default limits."""
    gate = gate if gate is not None else evaluate(report)
    fig = report.figures
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>relsynth report</title>"
           f"<style>{_CSS}</style></head><body>",
           f"<h1>relsynth report</h1><p>target <code>{escape(report.target)}</code> against source "
           f"<code>{escape(report.source)}</code>; seed {report.seed}, up to {report.sample_rows} rows per table, "
           f"{report.seconds:.1f} s.</p>"]
    verdict = "PASS" if gate.passed else "FAIL"
    out.append(f'<p class="{verdict.lower()}"><b>{verdict}</b> {escape("; ".join(gate.failures))}</p>')
    cards = [
        ("quality", _f(fig["quality"]), "1 = same distributions"),
        ("column shapes", _f(fig["column_shapes"]), ""),
        ("pair trends", _f(fig["column_pair_trends"]), ""),
        ("cardinality", _f(fig["cardinality"]), ""),
        ("intertable trends", _f(fig["intertable_trends"]), ""),
        ("detection", _f(fig["detection"]), "0.5 = indistinguishable"),
        ("integrity violations", str(report.integrity_violations), "0 expected"),
        ("missing tables", _f(fig["missing_tables"], 0), ""),
        ("empty tables", _f(fig["empty_tables"], 0), ""),
        ("tables off scale", _f(fig["tables_off_scale"], 0), ""),
        ("row-count difference", _f(fig["row_count_difference"]), "0 = expected rows"),
        ("schema differences", "n/a" if report.schema_differences is None else str(len(report.schema_differences)), ""),
        ("exact matches", _f(fig["exact_match_share"]), f"source duplicates {_f(fig['source_duplicate_share'])}"),
        ("exact-match excess", _f(fig["exact_match_excess"]), "largest table's, 0 ideal"),
        ("verbatim identifiers", str(int(fig["verbatim_identifiers"] or 0)), ""),
        ("DCR share", _f(fig["dcr_share"]), "0.5 ideal"),
        ("MIA advantage", _f(fig["mia_advantage"]), _attack_hint(report.privacy.mia_attack)),
        ("epsilon", _f(fig["epsilon"], 2), "differential privacy"),
        ("utility", _f(fig["utility"]), "worst TSTR / TRTR, 1 ideal"),
    ]
    keys = ["quality", "column_shapes", "column_pair_trends", "cardinality", "intertable_trends", "detection",
            "integrity_violations", "missing_tables", "empty_tables", "tables_off_scale", "row_count_difference",
            "schema_differences", "exact_match_share", "exact_match_excess", "verbatim_identifiers", "dcr_share",
            "mia_advantage", "epsilon", "utility"]
    out.append('<h2>Summary</h2><div class="cards">')
    for key, (name, value, hint) in zip(keys, cards, strict=True):
        limit = gate.limit_text(key)
        out.append(_card(name, value, f"{hint}; limit {limit}" if hint and limit else hint or (f"limit {limit}" if limit else ""),
                         gate.status(key) or "", key))
    out.append("</div>")
    out.append(f'<p class="legend">legend:<span style="background:{svg.REAL}"></span>real<span style="background:{svg.SYNTH}"></span>synthetic</p>')
    out.append(_tables(report))
    nodes = [str(t.name) for t in report.tables]
    if nodes:
        out.append("<h2>Foreign-key graph</h2>" + svg.graph(nodes, report.foreign_keys))
    out.append(_integrity(report))
    out.append(_utility(report))
    out.append(_rules(report))
    for t in report.tables:
        out.append(_table_section(report, t))
    if report.notes:
        out.append("<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in report.notes) + "</ul>")
    out.append(_glossary(fig))
    out.append("</body></html>")
    return "".join(out)


def _utility(report: Report) -> str:
    """Each target's score trained on real rows (TRTR) against trained on the clone (TSTR)."""
    if not report.utility:
        return ""
    rows = "".join(
        f"<tr><td>{escape(u.table)}.{escape(u.target)}</td><td>{escape(u.metric)}</td><td>{_f(u.real)}</td>"
        f"<td>{_f(u.synthetic)}</td><td>{_f(u.ratio)}</td><td>{_utility_interval(u)}</td>"
        f"<td>{_f(u.importance_correlation, 2)}</td><td>{u.test_rows}</td></tr>"
        for u in report.utility
    )
    chart = svg.bars([f"{u.table}.{u.target}" for u in report.utility], [max(u.real, 0.0) for u in report.utility],
                     [max(u.synthetic, 0.0) for u in report.utility], title="utility: trained on real vs on the clone",
                     width=max(300, 90 * len(report.utility)))
    return ("<h2>Utility (train synthetic, test real)</h2><table><tr><th>target</th><th>metric</th><th>real (TRTR)</th>"
            "<th>clone (TSTR)</th><th>ratio</th><th>95% interval</th><th>importance rho</th><th>test rows</th></tr>"
            f"{rows}</table><div class='charts'>{chart}</div>")


def _rules(report: Report) -> str:
    """Each rule's share in the source next to the clone's; failing where the clone drops it by more than the margin."""
    if not report.rules:
        return ""
    rows = "".join(
        f"<tr class='{'fail' if r.broken else ''}'><td>{escape(r.rule)}</td><td>{escape(r.kind)}</td>"
        f"<td>{_f(r.source)}</td><td>{_f(r.clone)}</td><td>{'fail' if r.broken else 'pass'}</td></tr>"
        for r in report.rules
    )
    margin = report.rules[0].margin
    return (f"<h2 id='rules'>Rules</h2><p>Share of the rows (where the rule's inputs are not NULL) that obey each rule; "
            f"a rule fails when the clone's share is more than {margin:g} below the source's.</p>"
            "<table><tr><th>rule</th><th>kind</th><th>source</th><th>clone</th><th>verdict</th></tr>"
            f"{rows}</table>")


def _utility_interval(u) -> str:  # type: ignore[no-untyped-def]
    return "n/a" if u.ci_low is None else f"{_f(u.ci_low, 2)} to {_f(u.ci_high, 2)}"


def _glossary(figures) -> str:
    """What each figure on the page means, and which way is good."""
    items = "".join(f"<dt id='g-{escape(name)}'>{escape(name)}</dt><dd>{escape(GLOSSARY[name])}</dd>" for name in figures)
    return f"<h2>Glossary</h2><dl class='glossary'>{items}</dl>"


def _tables(report: Report) -> str:
    out = ["<h2>Tables</h2><table><tr><th>table</th><th>rows source</th><th>rows target</th><th>rows expected</th><th>sampled</th>"
               "<th>shapes</th><th>pairs</th><th>detection</th><th>violations</th><th>exact match</th><th>DCR</th>"
               "<th>MIA</th><th>verbatim ids</th></tr>"]
    for t in report.tables:
        rows_class = " class='fail'" if t.row_status in ("empty", "off_scale") else ""
        expected = "n/a" if t.expected_rows is None else f"{t.expected_rows:.0f}"
        out.append(f"<tr><td><a href='#t-{escape(str(t.name))}'>{escape(str(t.name))}</a></td><td>{t.source_rows}</td>"
                   f"<td{rows_class}>{t.target_rows}</td><td>{expected}</td><td>{t.source_sample}/{t.target_sample}</td><td>{_f(t.column_shapes)}</td>"
                   f"<td>{_f(t.column_pair_trends)}</td><td>{_f(t.detection)}</td><td>{t.integrity_violations}</td>"
                   f"<td>{_f(t.exact_match_share)}</td><td>{_f(t.dcr_share)}</td><td>{_f(t.mia_advantage)}{_interval(t.mia_attack)}</td>"
                   f"<td>{t.verbatim_identifiers}</td></tr>")
    missing = [c for c in report.completeness.tables if c.status == "missing"] if report.completeness else []
    for c in missing:
        out.append(f"<tr><td>{escape(str(c.table))}</td><td>{c.source_rows}</td><td class='fail'>missing</td>"
                   f"<td>{c.expected_rows:.0f}</td>" + "<td></td>" * 8 + "</tr>")
    out.append("</table>")
    return "".join(out)


def _integrity(report: Report) -> str:
    out = ["<h2>Integrity and schema</h2>"]
    if report.integrity:
        out.append("<table><tr><th>table</th><th>kind</th><th>constraint</th><th>count</th><th>detail</th></tr>")
        for i in report.integrity:
            out.append(f"<tr><td>{escape(str(i.table))}</td><td>{escape(i.kind)}</td><td>{escape(i.constraint)}</td>"
                       f"<td>{i.count}</td><td>{escape(i.detail)}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p class='pass'>No integrity violations.</p>")
    if report.schema_differences is None:
        out.append("<p>Schema comparison not available.</p>")
    elif report.schema_differences:
        out.append("<details open><summary>schema differences</summary><ul>"
                   + "".join(f"<li>{escape(d)}</li>" for d in report.schema_differences) + "</ul></details>")
    else:
        out.append("<p class='pass'>The target's catalog matches the source's.</p>")
    return "".join(out)


def _table_section(report: Report, t) -> str:
    name = str(t.name)
    out = [f"<h2 id='t-{escape(name)}'>{escape(name)}</h2>",
           f"<p>column shapes {_f(t.column_shapes)}, pair trends {_f(t.column_pair_trends)}, detection {_f(t.detection)}; "
           f"{t.source_sample} of {t.source_rows} source rows and {t.target_sample} of {t.target_rows} target rows seen.</p>"]
    shapes = [s for s in report.fidelity.column_shapes if s.table == t.name]
    if shapes:
        out.append('<div class="charts">')
        for s in shapes:
            h = s.histogram
            out.append(svg.bars(h.labels, h.real, h.synthetic, title=f"{s.column} ({s.metric} {s.score:.3f})"))
        out.append("</div>")
    pairs = [p for p in report.fidelity.pair_trends if p.table == t.name]
    if pairs:
        names = list(dict.fromkeys([c for p in pairs for c in (p.column_1, p.column_2)]))
        out.append('<div class="charts">')
        out.append(svg.heatmap(names, {(p.column_1, p.column_2): p.real for p in pairs}, title="real association", signed=True))
        out.append(svg.heatmap(names, {(p.column_1, p.column_2): p.synthetic for p in pairs}, title="synthetic association", signed=True))
        out.append(svg.heatmap(names, {(p.column_1, p.column_2): p.score for p in pairs}, title="pair trend score"))
        out.append("</div>")
    cards = [c for c in report.fidelity.cardinality if c.parent == t.name]
    if cards:
        out.append('<div class="charts">')
        for c in cards:
            values = sorted({v for v, _ in c.real} | {v for v, _ in c.synthetic})
            if len(values) > 30:  # bucket the long tail so the plot stays readable
                values = values[:29] + [values[29]]
            tr, ts = sum(n for _, n in c.real) or 1, sum(n for _, n in c.synthetic) or 1
            dr, ds = dict(c.real), dict(c.synthetic)
            last = values[-1] if values else 0
            rv = [dr.get(v, 0) / tr if v != last else sum(n for k, n in c.real if k >= v) / tr for v in values]
            sv = [ds.get(v, 0) / ts if v != last else sum(n for k, n in c.synthetic if k >= v) / ts for v in values]
            labels = [str(v) for v in values]
            out.append(svg.bars(labels, rv, sv, title=f"children per parent: {c.child} ({c.score:.3f})", width=340))
        out.append("</div>")
    issues = [i for i in report.integrity if i.table == t.name]
    if issues:
        out.append("<ul>" + "".join(f"<li class='fail'>{escape(i.kind)} {escape(i.constraint)}: {escape(i.detail)}</li>"
                                    for i in issues) + "</ul>")
    return "".join(out)
