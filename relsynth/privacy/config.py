"""PrivacyConfig: the (epsilon, delta) of a whole clone, the privacy unit and how the budget is used."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from relsynth.errors import ConfigurationError


@dataclass(frozen=True)
class PrivacyConfig:
    """Differential privacy for one clone; ``epsilon=None`` means no formal guarantee.

    The guarantee is (epsilon, delta)-DP for the add/remove-one-unit relation: a unit is one row of
    ``unit`` and every row that descends from it through foreign keys (after contribution bounding).
    """

    epsilon: float | None = None
    """Total epsilon of the clone (> 0); None turns formal DP off (default protections still apply)."""
    delta: float = 1e-6
    """Total delta of the clone (0 < delta < 1); keep it well below 1 / number of units."""
    unit: str | None = None
    """The privacy unit's table, "schema.table" or "table"; None: relsynth proposes one."""
    max_children: int = 64
    """Most child rows kept per parent row along every foreign key below the unit (1-100000)."""
    statistics_share: float = 0.5
    """Share of epsilon for the statistics (row counts, vocabularies, bins); the rest trains the models.
    Measured on berka at epsilon 8: 0.2 gave quality 0.818, 0.35 0.832, 0.5 0.846 (the models start
    from the noisy marginals, so better statistics help them too)."""
    selection_delta_share: float = 0.1
    """Share of delta spent by noisy-threshold suppression of vocabularies (0-0.5)."""
    max_grad_norm: float = 1.0
    """Clipping bound of one unit's gradient in DP-SGD (> 0)."""
    epochs: int = 8
    """Passes over the units in DP-SGD (each pass is 1 / sample_rate Poisson-sampled steps)."""
    batch_rows: int = 1024
    """Expected rows per DP-SGD step; the unit sampling rate follows from it (>= 16)."""
    max_sample_rate: float = 0.25
    """Most units sampled per DP-SGD step (0-1]: sampling well below 1 amplifies privacy."""
    learning_rate: float = 1e-2
    """Adam's learning rate under DP-SGD (noisy gradients favour a larger step than without DP)."""
    max_noise_multiplier: float = 20.0
    """Above this noise multiplier a model would learn nothing: the budget is refused before training."""
    time_factor: float = 3.0
    """When the model's optional max_training_seconds is set, DP training of a table stops at this
    many times it (off by default: all the planned DP-SGD steps run)."""
    min_count: int = 3
    """k, with or without epsilon: no single value (category, number, date, word of free text, JSON
    key) seen fewer than k times in the source is emitted, and a generated row repeating a value
    combination seen fewer than k times is redrawn, else dropped. 1 turns this off."""

    def __post_init__(self) -> None:
        checks = {
            "epsilon": self.epsilon is None or (math.isfinite(self.epsilon) and self.epsilon > 0),
            "delta": 0 < self.delta < 1,
            "max_children": 1 <= self.max_children <= 100_000,
            "statistics_share": 0 < self.statistics_share < 1,
            "selection_delta_share": 0 < self.selection_delta_share <= 0.5,
            "max_grad_norm": self.max_grad_norm > 0,
            "epochs": self.epochs >= 1,
            "batch_rows": self.batch_rows >= 16,
            "learning_rate": 0 < self.learning_rate <= 1,
            "max_sample_rate": 0 < self.max_sample_rate <= 1,
            "max_noise_multiplier": self.max_noise_multiplier > 0,
            "time_factor": self.time_factor > 0,
            "min_count": isinstance(self.min_count, int) and 1 <= self.min_count <= 1000,
        }
        for name, ok in checks.items():
            if not ok:
                raise ConfigurationError(
                    f"privacy.{name}={getattr(self, name)!r} is out of range; see PrivacyConfig.{name} for its range"
                )

    @property
    def enabled(self) -> bool:
        return self.epsilon is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PrivacyConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigurationError(f"unknown privacy setting(s) {unknown}; allowed: {sorted(known)}")
        return cls(**data)
