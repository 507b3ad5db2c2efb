"""Which encoder learns which column kind; fitting one, and loading a saved one."""

from __future__ import annotations

from typing import Any

import pandas as pd

from relsynth.errors import ArtifactError, TrainingError
from relsynth.modeling.encoding.base import ColumnSpec, Encoder
from relsynth.modeling.encoding.categorical import CategoricalEncoder
from relsynth.modeling.encoding.numeric import MIN_EXACT_COUNT, NumericEncoder
from relsynth.modeling.encoding.quantities import QUANTITY_KINDS
from relsynth.modeling.encoding.structured import STRUCTURED_KINDS
from relsynth.modeling.encoding.temporal import TEMPORAL_KINDS
from relsynth.schema.elements import TypeKind

NUMERIC_KINDS = QUANTITY_KINDS | TEMPORAL_KINDS
CATEGORICAL_KINDS = frozenset({TypeKind.BOOLEAN, TypeKind.TEXT, TypeKind.ENUM, TypeKind.OTHER}) | STRUCTURED_KINDS


def fit_encoder(
    series: pd.Series,
    spec: ColumnSpec,
    *,
    max_bins: int,
    max_categories: int,
    spike_fraction: float,
    min_count: int | None = None,
) -> Encoder:
    """Fit the encoder for ``spec.kind`` on ``series``; ``min_count`` is the privacy k (None:
    exact numbers need MIN_EXACT_COUNT occurrences, and every category is kept)."""
    if spec.kind in NUMERIC_KINDS:
        try:
            return NumericEncoder.fit(
                series, spec, max_bins=max_bins, spike_fraction=spike_fraction,
                min_count=MIN_EXACT_COUNT if min_count is None else min_count,
            )
        except (TypeError, ValueError, OverflowError) as exc:
            raise TrainingError(
                f"column {spec.name!r} is declared {spec.kind.value} but holds values that are "
                f"not: {exc}; fix the column's ColumnSpec kind"
            ) from exc
    if spec.kind in CATEGORICAL_KINDS:
        return CategoricalEncoder.fit(series, spec, max_categories=max_categories, min_count=min_count or 1)
    raise TrainingError(
        f"column {spec.name!r} has kind {spec.kind.value}, which the table model does not learn "
        "(keys, UUIDs and binary columns are generated elsewhere); leave it out of the specs"
    )


def encoder_from_dict(data: dict[str, Any]) -> Encoder:
    kind = data.get("type")
    if kind == "numeric":
        return NumericEncoder.from_dict(data)
    if kind == "categorical":
        return CategoricalEncoder.from_dict(data)
    raise ArtifactError(f"saved encoder has unknown type {kind!r}; the artifact is damaged")
