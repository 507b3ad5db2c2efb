"""ModelConfig: every hyperparameter of a per-table model, with its range and meaning.

Defaults suit a laptop CPU: a table of 10k rows x 10 columns trains in a few seconds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from relsynth.errors import ArtifactError, ConfigurationError

# name -> (low, high) inclusive; None means unbounded on that side
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "embedding_dim": (2, 256),
    "hidden_dim": (8, 2048),
    "max_bins": (4, 1024),
    "max_categories": (2, 1_000_000),
    "spike_fraction": (0.0, 1.0),
    "epochs": (1, 100_000),
    "max_training_seconds": (0.0, None),
    "batch_size": (1, 1_000_000),
    "learning_rate": (1e-6, 1.0),
    "weight_decay": (0.0, 1.0),
    "dropout": (0.0, 0.9),
    "validation_fraction": (0.0, 0.5),
    "min_validation_rows": (1, None),
    "early_stopping_patience": (1, 10_000),
    "sample_batch_size": (1, None),
    "threads": (1, 1024),
    "min_steps": (0, 1_000_000),
    "min_patience_steps": (0, 100_000),
    "marginal_rows": (1, None),
}


@dataclass(frozen=True)
class ModelConfig:
    """Hyperparameters of one table's autoregressive model (see ``relsynth.modeling``)."""

    embedding_dim: int = 8
    """Width of each column's code embedding (2-256); capped per column at its number of codes."""
    hidden_dim: int = 64
    """Width of the context vector and of each column head's hidden layer (8-2048)."""
    max_bins: int = 64
    """Most codes for a numeric/temporal column (4-1024): columns with at most this many distinct
    values are kept exact, others get quantile bins plus spike codes for frequent exact values."""
    max_categories: int = 1000
    """Most categories kept for a categorical column (2-1e6); rarer ones share one rare code,
    which decodes to a kept category drawn by frequency (no rare value is stored)."""
    spike_fraction: float = 0.01
    """A numeric value at least this share of the non-NULL rows gets its own exact code (0-1)."""
    epochs: int = 100
    """Most passes over the training rows (1-100000); early stopping usually ends sooner."""
    max_training_seconds: float = 20.0
    """Wall-clock cap on one table's training in seconds (>= 0); the best epoch so far is kept."""
    batch_size: int = 256
    """Rows per optimisation step (1-1e6); smaller tables use one batch of all rows."""
    learning_rate: float = 1e-2
    """Adam's learning rate (1e-6-1)."""
    weight_decay: float = 0.0
    """Adam's L2 penalty (0-1)."""
    dropout: float = 0.1
    """Dropout after each hidden layer while training (0-0.9)."""
    validation_fraction: float = 0.1
    """Share of rows held out for early stopping (0-0.5)."""
    min_validation_rows: int = 20
    """Below this many held-out rows there is no validation split; the training loss decides
    early stopping instead (>= 1). Not higher: judged on its training loss, a table of a few
    hundred rows is learned by heart (measured at 100: the membership attack's advantage on
    pagila's film went from 0.07 to 0.36, on berka's loan from 0.16 to 0.38)."""
    early_stopping_patience: int = 10
    """Epochs without improvement of the monitored loss before training stops (1-10000)."""
    sample_batch_size: int = 4_096
    """Rows generated per forward pass while sampling (>= 1): a pass holds rows x codes x 8 bytes
    of probabilities, so this bounds memory whatever the number of rows generated."""
    threads: int = 1
    """torch intra-op threads while training and sampling (1-1024); the previous setting is
    restored afterwards. 1 suits these small matrices best and stays fast when several tables
    train at once (more threads on a busy CPU were measured up to 6x slower)."""
    min_steps: int = 500
    """Fewest optimisation steps (0-1e6): a small table makes one batch per epoch, so ``epochs``
    is raised until it reaches this many steps, else a 90-row table stops after a few noisy steps."""
    min_patience_steps: int = 50
    """``early_stopping_patience`` counted in steps too (0-1e5): it is raised to cover at least
    this many steps when an epoch has few batches."""
    marginal_rows: int = 50_000
    """Training rows (>= 1) sampled to estimate the marginals that the model's sampling is matched to."""

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            low, high = _RANGES[item.name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigurationError(
                    f"ModelConfig.{item.name} is {value!r}, but it must be a number; "
                    "pass a value in its documented range"
                )
            if (low is not None and value < low) or (high is not None and value > high):
                raise ConfigurationError(
                    f"ModelConfig.{item.name}={value!r} is outside its range "
                    f"[{low}, {'inf' if high is None else high}]; pick a value inside it"
                )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ArtifactError(
                f"saved model config has unknown fields {unknown}; it was written by a newer "
                "relsynth: upgrade relsynth or retrain"
            )
        return cls(**data)
