"""One sentence per report figure: what it measures and which way is good (for the HTML page)."""

from __future__ import annotations

GLOSSARY: dict[str, str] = {
    "quality": "Mean of the four fidelity properties below, as SDMetrics' multi-table quality report scores it; "
               "1 means the clone's distributions match the source's.",
    "column_shapes": "How closely each column's distribution matches the source's (1 - Kolmogorov-Smirnov statistic "
                     "for numbers and dates, 1 - total variation for categories), averaged per table then over tables.",
    "column_pair_trends": "How closely each pair of columns moves together as in the source (correlation or "
                          "contingency similarity); 1 is ideal.",
    "cardinality": "How closely the number of children per parent row follows the source's, per foreign key; 1 is ideal.",
    "intertable_trends": "Pair trends between a parent's column and its child's column, joined along the foreign key; "
                         "1 is ideal.",
    "detection": "Cross-validated accuracy of a classifier telling real rows from synthetic ones, averaged over tables; "
                 "0.5 means it cannot tell them apart.",
    "integrity_violations": "Rows that break a constraint in the clone: orphan foreign keys, duplicate keys, NULLs in "
                            "NOT NULL columns, failed CHECKs, sequences behind their column; 0 expected.",
    "orphans": "Child rows whose foreign key refers to no parent row; 0 expected.",
    "schema_differences": "Differences between the clone's catalog and the source's (tables, columns, keys, "
                          "constraints, indexes).",
    "missing_tables": "Source tables absent from the clone (tables the run excluded on purpose are not counted).",
    "empty_tables": "Tables of the clone with no rows although the source's table has rows and the run did not "
                    "leave them empty on purpose.",
    "tables_off_scale": "Tables whose row count is more than 25% (and more than two standard deviations of a count) "
                        "away from source rows x scale; copied reference tables are expected at the source's size.",
    "row_count_difference": "Sum over tables of |clone rows - expected rows| divided by the expected rows: 0 when every "
                            "table has its expected size, 1 for an empty clone.",
    "exact_match_share": "Share of synthetic rows whose non-key values equal some source row, averaged over tables "
                         "(reference tables copied on purpose left out).",
    "source_duplicate_share": "Share of source rows equal to another source row: the exact matches an independent "
                              "sample of the same data would reach anyway.",
    "exact_match_excess": "The largest, over tables of 30 rows or more, of exact-match share minus source duplicate "
                          "share; above 0 the clone repeats source rows more than chance would.",
    "verbatim_identifiers": "Distinct values of identifying columns (e-mail, phone, full name, address, ...) that appear "
                            "in the clone exactly as in the source; 0 expected.",
    "dcr_share": "Share of synthetic rows closer to a training row than to a held-out row (distance to closest "
                 "record); 0.5 is ideal, above it the model memorised.",
    "mia_advantage": "Membership inference: 2 x AUC - 1 of the stronger of two attacks telling training rows from "
                     "held-out rows, worst table; 0 is ideal, 1 means every training row is exposed.",
    "epsilon": "The differential-privacy budget of the clone when trained with --epsilon; lower is more private.",
    "utility": "Train synthetic, test real: for each target column a boosted-tree model trained on the clone, scored "
               "on real rows the run held out, divided by the same model trained on the real training rows (AUC, "
               "macro-F1 or R²); features include parents' columns and children's counts, means and distinct counts. "
               "The worst target's ratio; 1 means the clone teaches as much as the real data.",
    "rare_rows_redrawn": "Generated rows that repeated a combination of values seen fewer than k times in the source "
                         "(privacy.min_count) and were drawn again; known when the report is made with the clone.",
    "rules_broken": "Rules the source's data obeys (discovered, or the run's) that the clone keeps on a share of rows "
                    "more than the margin ([rules] margin, 0.01) below the source's; 0 ideal (--fail-over rules_broken=0). The rules section "
                    "lists each rule's share in both.",
    "rare_rows_dropped": "Of those, rows still rare after the redraws and dropped (only rows no child row refers to).",
}
