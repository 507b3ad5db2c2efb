"""Reporting: integrity, schema, fidelity, detection and privacy of a clone -> Report.

``build_report`` reads both databases; ``compute_fidelity``, ``compute_detection`` and
``compute_privacy`` are the pure layers, testable on DataFrames.
"""

from __future__ import annotations

from relsynth.reporting.detection import Detection, augment, compute_detection
from relsynth.reporting.fidelity import Fidelity, compute_fidelity
from relsynth.reporting.integrity import IntegrityIssue
from relsynth.reporting.privacy import Privacy, compute_privacy
from relsynth.reporting.render_html import render_html
from relsynth.reporting.render_terminal import render_terminal
from relsynth.reporting.report import Report, TableReport, assemble, build_report
from relsynth.reporting.thresholds import KNOWN, Gate, check_thresholds, evaluate, parse_threshold

__all__ = [
    "KNOWN",
    "Detection",
    "Fidelity",
    "Gate",
    "IntegrityIssue",
    "Privacy",
    "Report",
    "TableReport",
    "assemble",
    "augment",
    "build_report",
    "check_thresholds",
    "compute_detection",
    "compute_fidelity",
    "compute_privacy",
    "evaluate",
    "parse_threshold",
    "render_html",
    "render_terminal",
]
