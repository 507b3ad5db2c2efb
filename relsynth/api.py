"""The public verbs, re-exported by ``relsynth/__init__.py``; each takes values and returns values.

    schema = introspect(source_url)                       # Schema
    generation_plan = plan(schema)                        # GenerationPlan
    run = train(source_url, schema=schema, plan=generation_plan, workspace="runs/shop")
    rows = generate(run, scale=1.0, seed=7)               # stream of (table, rows) batches
    load(rows, target_url)                                # tables, rows, keys, indexes
    result = report(source_url, target_url, run=run)      # integrity, fidelity, privacy, rules
    rules = discover_rules(source_url, schema)            # the rules the data obeys, with support
    clone(source_url, target_url)                         # all of the above

Each verb is imported from its stage on first use, so a command that only reads a schema never
imports torch or scikit-learn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from relsynth.pipeline import clone, generate, generate_into, load, report, train
    from relsynth.planning import plan
    from relsynth.rules.discovery import discover_at as discover_rules
    from relsynth.runs import load_run
    from relsynth.schema.ddl import clone_schema
    from relsynth.schema.introspection import introspect

__all__ = ["clone", "clone_schema", "discover_rules", "generate", "generate_into", "introspect", "load", "load_run", "plan", "report", "train"]

_PIPELINE = {"clone", "generate", "generate_into", "load", "report", "train"}


def __getattr__(name: str) -> Any:
    if name in _PIPELINE:
        from relsynth import pipeline as home
    elif name == "plan":
        from relsynth import planning as home
    elif name == "load_run":
        from relsynth import runs as home
    elif name == "clone_schema":
        from relsynth.schema import ddl as home
    elif name == "discover_rules":  # the rules the data obeys, with their support (relsynth.rules)
        from relsynth.rules.discovery import discover_at

        return discover_at
    elif name == "introspect":
        from relsynth.schema import introspection as home
    else:
        raise AttributeError(f"module 'relsynth.api' has no attribute {name!r}")
    return getattr(home, name)
