"""Writing generated rows into a target database, fast and correctly.

``load_frame`` writes one table's rows inside the caller's transaction: PostgreSQL through COPY,
other engines through batched inserts, chosen by the engine's declared ``Capabilities``.
``reset_sequences`` then moves every serial, identity and auto-increment counter past the loaded
keys so that the application's next insert does not collide.
"""

from __future__ import annotations

import logging
import time

import pandas as pd
from sqlalchemy.engine import Connection

from relsynth.engines import Capabilities, SequenceReset, capabilities_for
from relsynth.loaders.generic import insert_frame, writable_columns
from relsynth.loaders.postgres import copy_frame
from relsynth.loaders.sequences import reset_sequences
from relsynth.schema.elements import QualifiedName, Table

__all__ = ["Capabilities", "SequenceReset", "capabilities_for", "load_frame", "reset_sequences"]

logger = logging.getLogger(__name__)


def load_frame(
    connection: Connection,
    table: Table,
    frame: pd.DataFrame,
    *,
    target_name: QualifiedName | None = None,
) -> int:
    """Write ``frame``'s rows into ``table`` (or ``target_name``) and return how many were written.

    The frame's columns are named as the table's; columns it lacks are left to their defaults and
    generated columns must not be among them. Runs inside the caller's transaction: the caller
    commits, or rolls back after a ``LoadError``.
    """
    target = target_name or table.name
    columns = writable_columns(table.columns, frame, target)
    if frame.empty or not columns:
        return 0
    caps = capabilities_for(connection.dialect.name)
    started = time.perf_counter()
    if caps.copy:
        written = copy_frame(connection, columns, frame, target)
    else:
        written = insert_frame(connection, columns, frame, target, caps)
    elapsed = time.perf_counter() - started
    logger.debug("loaded %d rows into %s in %.2fs", written, target, elapsed)
    return written
