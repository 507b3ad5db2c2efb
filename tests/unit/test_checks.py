"""CHECK constraints turned into bounds that decoded values are clipped into."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.checks import column_bounds
from relsynth.modeling.encoding import ColumnSpec, NumericEncoder
from relsynth.schema.elements import TypeKind


def test_a_strict_bound_keeps_clipped_values_off_the_excluded_value() -> None:
    bounds = column_bounds("amount > 0 AND duration >= 1 AND payments > 0::numeric AND rate < 5", dialect="postgresql")
    assert bounds["duration"] == (1.0, None)
    low, _ = bounds["amount"]
    assert 0 < low < 1e-6
    assert bounds["rate"][1] < 5
    # A noisy range (differential privacy) can reach below the bound; clipping must not give 0.
    for kind, values in ((TypeKind.INTEGER, [1, 2, 3, 5, 8]), (TypeKind.DECIMAL, [0.01, 0.5, 1.25, 2.0, 3.5])):
        spec = ColumnSpec("amount", kind, scale=2 if kind is TypeKind.DECIMAL else None, low=low)
        encoder = NumericEncoder.fit(pd.Series(values), spec, max_bins=8, spike_fraction=0.5)
        clipped = encoder._bounded(np.array([-3.0, 0.0, 0.004]))
        assert (clipped > 0).all(), (kind, clipped)


def test_allowed_values_come_from_in_lists_that_must_hold() -> None:
    from relsynth.checks import allowed_values

    assert allowed_values("status = ANY (ARRAY['A'::text, 'B'::text])", dialect="postgresql") == {"status": ["A", "B"]}
    assert allowed_values("segment IN ('consumer', 'business') AND total > 0", dialect="sqlite") == {"segment": ["consumer", "business"]}
    assert allowed_values("a IN ('x') OR b IN ('y')") == {}  # neither list must hold on its own
