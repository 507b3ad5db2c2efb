"""Recreating a schema in a target database (see ``writer``)."""

from relsynth.schema.ddl.writer import (
    CloneSchemaResult,
    SchemaWriter,
    Staging,
    _any_array_to_in,
    apply_post_data,
    apply_pre_data,
    check_target,
    clone_schema,
    drop_created,
    drop_statements,
    post_data,
    pre_data,
    refuse_clashes,
)

__all__ = [
    "CloneSchemaResult",
    "SchemaWriter",
    "Staging",
    "_any_array_to_in",
    "apply_post_data",
    "apply_pre_data",
    "check_target",
    "clone_schema",
    "drop_created",
    "drop_statements",
    "post_data",
    "pre_data",
    "refuse_clashes",
]
