"""relsynth: synthetic, referentially intact clones of relational databases.

Glossary: a *parent* table is referred to by a foreign key of a *child* table. Each child has at
most one *context parent*, the parent it is generated under (conditioned on that parent's
synthetic row); its other foreign keys are *secondary* and assigned by a learned model. A
*deferred* foreign key (a self-reference or an edge that breaks a cycle) is filled after the rows
it points at exist. A *run* is what training leaves on disk: enough to generate without the source.

The verbs (``introspect``, ``plan``, ``train``, ``generate``, ``load``, ``report``, ``clone``, ...) are
imported on first use, so ``import relsynth`` stays cheap.
"""

from __future__ import annotations

from typing import Any

from relsynth.errors import RelsynthError

__all__ = [
    "RelsynthError",
    "clone",
    "clone_schema",
    "discover_rules",
    "generate",
    "generate_into",
    "introspect",
    "load",
    "load_run",
    "plan",
    "report",
    "train",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in __all__:
        from relsynth import api

        return getattr(api, name)
    raise AttributeError(f"module 'relsynth' has no attribute {name!r}")
