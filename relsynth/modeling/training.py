"""TableModel: fit one table's autoregressive model, sample from it, save and load it.

Training uses teacher forcing (the true previous columns feed each head), the per-row sum of the
columns' cross-entropies, Adam on mini-batches, a validation split for early stopping and a
budget of work (optimiser steps weighted by the columns); the best epoch's weights are kept.
Every random choice comes from generators seeded from ``seed`` (torch's global RNG is forked and
restored, so nothing leaks to the caller). Training is bounded by work, never by the clock, so
results are identical for the same seed on any machine, unless the optional
``max_training_seconds`` safety cap is set and cuts training short.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from relsynth.errors import ArtifactError, GenerationError, TrainingError
from relsynth.modeling.artifacts import read_model, write_model
from relsynth.modeling.config import ModelConfig
from relsynth.modeling.copula import BinCopula
from relsynth.modeling.encoding import ColumnSpec, Encoder, encoder_from_dict, fit_encoder
from relsynth.modeling.network import TabularNetwork

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingSummary:
    """How training went: rows seen, epochs run, the best monitored loss and why it stopped."""

    rows: int
    epochs: int
    best_loss: float | None  # mean per-row negative log-likelihood (nats); None for 0 rows
    seconds: float
    stopped_by: str  # "early_stopping", "work_budget", "epochs", "time_limit" (only with a
    # max_training_seconds cap), "no_rows" or "no_columns"


@contextmanager
def _torch_threads(threads: int) -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _check_columns(frame: pd.DataFrame, specs: Sequence[ColumnSpec], what: str) -> None:
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise TrainingError(f"{what} specs name a column twice: {names}; give each column once")
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise TrainingError(
            f"{what} frame lacks the columns {missing} named in its specs; "
            f"it has {list(frame.columns)}"
        )


def _encode(encoders: Sequence[Encoder], frame: pd.DataFrame) -> torch.Tensor:
    if not encoders:
        return torch.zeros(len(frame), 0, dtype=torch.long)
    columns = [torch.from_numpy(enc.encode(frame[enc.spec.name])) for enc in encoders]
    return torch.stack(columns, dim=1)


class TableModel:
    """One table's generative model: learns the non-key columns given an optional parent context."""

    def __init__(
        self,
        *,
        specs: Sequence[ColumnSpec],
        context_specs: Sequence[ColumnSpec],
        config: ModelConfig,
        encoders: Sequence[Encoder],
        context_encoders: Sequence[Encoder],
        network: TabularNetwork,
        summary: TrainingSummary,
        copula: BinCopula | None = None,
    ) -> None:
        self.specs = tuple(specs)
        self.context_specs = tuple(context_specs)
        self.config = config
        self.encoders = tuple(encoders)
        self.context_encoders = tuple(context_encoders)
        self.network = network
        self.summary = summary
        self.copula = copula  # within-bin correlation of numeric columns (None under DP)

    # ---------------------------------------------------------------------------- fit

    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        *,
        specs: Sequence[ColumnSpec],
        context: pd.DataFrame | None = None,
        context_specs: Sequence[ColumnSpec] = (),
        config: ModelConfig = ModelConfig(),  # noqa: B008 - frozen, so sharing it is safe
        seed: int = 0,
        on_epoch: Callable[[int, float], None] | None = None,
        privacy: Any | None = None,
        parent_encoders: Mapping[str, Encoder] | None = None,
        parent_frame: pd.DataFrame | None = None,
        min_count: int | None = None,
        encoders: FittedEncoders | None = None,
    ) -> TableModel:
        """Learn ``frame``'s ``specs`` columns, row i conditioned on row i of ``context``.

        ``parent_encoders`` (the parent model's encoders, by column) and ``parent_frame`` (the
        parent's rows, once each) give the context its codes: generation re-encodes a synthetic
        parent with them, so they must be the parent's own bins. Bins fitted on the context rows
        instead would turn every parent with three children into an exact code that a synthetic
        parent, drawn within a bin, never hits.

        ``privacy`` (a ``relsynth.privacy.session.ComponentBudget``), when given, fits the encoders
        through DP mechanisms and trains with DP-SGD for a fixed number of steps (no early
        stopping on private data).

        ``min_count`` (k): categories and exact numbers seen fewer times are not kept as such
        (None: see ``fit_encoder``).

        ``encoders``: fitted beforehand by ``fit_encoders`` (with the same arguments), so that a
        child's training need not wait for its parent's: then ``parent_encoders``,
        ``parent_frame`` and ``min_count`` are not read.
        """
        frame, context = _aligned(frame, specs, context, context_specs)
        started = time.monotonic()
        if encoders is None:
            encoders = fit_encoders(
                frame, specs=specs, context=context, context_specs=context_specs, config=config, privacy=privacy,
                parent_encoders=parent_encoders, parent_frame=parent_frame, min_count=min_count,
            )
        encoders, context_encoders = list(encoders.encoders), list(encoders.context_encoders)
        network, summary = _fit_network(
            encoders, context_encoders, frame, context,
            config=config, seed=seed, started=started, on_epoch=on_epoch, privacy=privacy,
        )
        logger.debug("trained table model: %s", summary)
        return cls(
            specs=specs,
            context_specs=context_specs,
            config=config,
            encoders=encoders,
            context_encoders=context_encoders,
            network=network,
            summary=summary,
            copula=BinCopula.fit(encoders, frame) if privacy is None else None,  # reads rows: not under DP
        )

    # ---------------------------------------------------------------------------- sample

    def sample(
        self, *, n: int | None = None, context: pd.DataFrame | None = None, seed: int = 0
    ) -> pd.DataFrame:
        """New rows: one per ``context`` row (row i belongs to context row i) or ``n`` rows.

        Columns are the specs' names in order; the index is a RangeIndex. Sampling runs in
        chunks of ``config.sample_batch_size`` rows, so memory stays bounded.
        """
        if context is not None:
            if n is not None and n != len(context):
                raise GenerationError(
                    f"asked for n={n} rows with a context of {len(context)} rows; "
                    "pass one of them (with a context, one row is made per context row)"
                )
            n = len(context)
        elif self.context_specs:
            raise GenerationError(
                "this table model is conditioned on parent columns "
                f"{[s.name for s in self.context_specs]}; pass their rows as context"
            )
        if n is None or n < 0:
            raise GenerationError(f"n must be a count of rows >= 0 (got {n!r}), or pass a context")
        if context is not None and self.context_specs:
            _check_columns(context, self.context_specs, "context")
            context_codes = _encode(self.context_encoders, context.reset_index(drop=True))
        else:
            context_codes = torch.zeros(n, 0, dtype=torch.long)
        rng = np.random.default_rng(seed)
        if self.summary.rows == 0:
            codes = np.zeros((n, len(self.specs)), dtype=np.int64)  # all NULL
            required = [s.name for s in self.specs if not s.nullable]
            if n and required:
                raise GenerationError(
                    f"the table model was trained on 0 rows, so it cannot fill the NOT NULL "
                    f"columns {required}; ask for 0 rows of this table"
                )
        else:
            codes = self._sample_codes(context_codes, seed)
        placed = self.copula.uniforms(n, rng) if self.copula is not None else {}
        columns = {
            enc.spec.name: (enc.decode(codes[:, i], rng, placed[i]) if i in placed else enc.decode(codes[:, i], rng)).reset_index(drop=True)
            for i, enc in enumerate(self.encoders)
        }
        return pd.DataFrame(columns, index=pd.RangeIndex(n), columns=[s.name for s in self.specs])

    def _sample_codes(self, context_codes: torch.Tensor, seed: int) -> np.ndarray:
        generator = torch.Generator().manual_seed(seed)
        allowed = [torch.from_numpy(enc.allowed()) for enc in self.encoders]
        self.network.eval()
        with _torch_threads(self.config.threads):
            codes = self.network.sample(context_codes, allowed, generator, batch_size=self.config.sample_batch_size)
        return codes.numpy()

    # ---------------------------------------------------------------------------- artifacts

    def save(self, directory: Path) -> None:
        """Write ``model.json`` and ``weights.pt`` into ``directory`` (created if missing)."""
        metadata = {
            "specs": [s.to_dict() for s in self.specs],
            "context_specs": [s.to_dict() for s in self.context_specs],
            "config": self.config.to_dict(),
            "encoders": [e.to_dict() for e in self.encoders],
            "context_encoders": [e.to_dict() for e in self.context_encoders],
            "summary": asdict(self.summary),
            "copula": self.copula.to_dict() if self.copula is not None else None,
        }
        write_model(Path(directory), metadata=metadata, weights=self.network.state_dict())

    @classmethod
    def load(cls, directory: Path) -> TableModel:
        """Read a model written by ``save``; raises ArtifactError when it is missing or foreign."""
        stored = read_model(Path(directory))
        meta = stored.metadata
        try:
            config = ModelConfig.from_dict(meta["config"])
            encoders = [encoder_from_dict(d) for d in meta["encoders"]]
            context_encoders = [encoder_from_dict(d) for d in meta["context_encoders"]]
            network = _network(config, encoders, context_encoders)
            network.load_state_dict(stored.weights)
            model = cls(
                specs=[ColumnSpec.from_dict(d) for d in meta["specs"]],
                context_specs=[ColumnSpec.from_dict(d) for d in meta["context_specs"]],
                config=config,
                encoders=encoders,
                context_encoders=context_encoders,
                network=network,
                summary=TrainingSummary(**meta["summary"]),
                copula=BinCopula.from_dict(meta.get("copula")),
            )
        except ArtifactError:
            raise
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ArtifactError(
                f"table model at {directory} is damaged ({exc!r}); retrain the table"
            ) from exc
        network.eval()
        return model


def _aligned(
    frame: pd.DataFrame, specs: Sequence[ColumnSpec], context: pd.DataFrame | None, context_specs: Sequence[ColumnSpec]
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The table and its context checked against their specs, both with a fresh RangeIndex."""
    _check_columns(frame, specs, "table")
    if context_specs and context is None:
        raise TrainingError(
            "context_specs were given without a context frame; pass the parent rows as "
            "context (one per table row) or drop context_specs"
        )
    if context is not None:
        _check_columns(context, context_specs, "context")
        if len(context) != len(frame):
            raise TrainingError(
                f"context has {len(context)} rows but the table has {len(frame)}; pass "
                "exactly one parent row per table row, in the same order"
            )
        context = context.reset_index(drop=True)
    return frame.reset_index(drop=True), context


@dataclass(frozen=True)
class FittedEncoders:
    """A table model's encoders (one per spec) and its context's (one per context spec)."""

    encoders: tuple[Encoder, ...]
    context_encoders: tuple[Encoder, ...]

    def by_column(self) -> dict[str, Encoder]:
        """The table's own encoders by column: what a child's context reads its codes with."""
        return {encoder.spec.name: encoder for encoder in self.encoders}


def fit_encoders(
    frame: pd.DataFrame,
    *,
    specs: Sequence[ColumnSpec],
    context: pd.DataFrame | None = None,
    context_specs: Sequence[ColumnSpec] = (),
    config: ModelConfig = ModelConfig(),  # noqa: B008 - frozen, so sharing it is safe
    privacy: Any | None = None,
    parent_encoders: Mapping[str, Encoder] | None = None,
    parent_frame: pd.DataFrame | None = None,
    min_count: int | None = None,
) -> FittedEncoders:
    """The table's encoders (through DP mechanisms under ``privacy``) and its context's, as
    ``TableModel.fit`` fits them (see there for the arguments)."""
    frame, context = _aligned(frame, specs, context, context_specs)
    options = {
        "max_bins": config.max_bins,
        "max_categories": config.max_categories,
        "spike_fraction": config.spike_fraction,
    }
    if privacy is None:
        encoders = [fit_encoder(frame[s.name], s, **options, min_count=min_count) for s in specs]
    else:
        encoders = [privacy.fit_encoder(frame[s.name], s, **options) for s in specs]
    context_encoders = []
    if context is not None:
        own = parent_encoders or {}
        # without the parent's rows, the context rows; never under DP, where they are private
        rows = parent_frame if parent_frame is not None else context if privacy is None else context.iloc[:0]
        context_encoders = [
            own[s.name] if s.name in own else fit_encoder(rows[s.name], s, **options) for s in context_specs
        ]
    return FittedEncoders(tuple(encoders), tuple(context_encoders))


def _fit_network(
    encoders: Sequence[Encoder],
    context_encoders: Sequence[Encoder],
    frame: pd.DataFrame,
    context: pd.DataFrame | None,
    *,
    config: ModelConfig,
    seed: int,
    started: float,
    on_epoch: Callable[[int, float], None] | None,
    privacy: Any | None,
) -> tuple[TabularNetwork, TrainingSummary]:
    """A network trained on the encoded rows (DP-SGD under ``privacy``), in eval mode."""
    with _torch_threads(config.threads), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        network = _network(config, encoders, context_encoders)
        network.start_from_counts([e.counts for e in encoders])  # DP encoders: noisy counts already
        codes = _encode(encoders, frame)
        context_codes = (
            _encode(context_encoders, context)
            if context is not None
            else torch.zeros(len(frame), 0, dtype=torch.long)
        )
        if privacy is None:
            summary = _train(
                network,
                codes,
                context_codes,
                config=config,
                seed=seed,
                started=started,
                on_epoch=on_epoch,
            )
            network.eval()
            sample = torch.randperm(codes.shape[0])[: config.marginal_rows]  # under torch.manual_seed(seed)
            network.match_marginals(context_codes[sample], codes[sample], [e.counts for e in encoders])
        else:  # no validation loss: a figure from private rows would leak
            rows, epochs, seconds, stopped_by = privacy.train(
                network, codes, context_codes, config=config, seed=seed, started=started, on_epoch=on_epoch
            )
            summary = TrainingSummary(rows, epochs, None, seconds, stopped_by)
    network.eval()
    return network, summary


# -------------------------------------------------------------------------------- training loop


STEP_OVERHEAD = 2  # a step costs about n_columns + 2 column-steps of work (see max_training_work)


def _train(
    network: TabularNetwork,
    codes: torch.Tensor,
    context_codes: torch.Tensor,
    *,
    config: ModelConfig,
    seed: int,
    started: float,
    on_epoch: Callable[[int, float], None] | None,
) -> TrainingSummary:
    """Train every column's head; each head stops at, and keeps, its own best epoch."""
    rows, n_columns = codes.shape
    if rows == 0 or n_columns == 0:
        reason = "no_rows" if rows == 0 else "no_columns"
        return TrainingSummary(rows, 0, None, time.monotonic() - started, reason)
    generator = torch.Generator().manual_seed(seed)
    val_idx, train_idx = _validation_split(rows, config, generator)
    n_val = val_idx.numel()
    batch_size = min(config.batch_size, train_idx.numel())
    # foreach: the same updates, computed tensor list by tensor list (a third less time per step)
    optimizer = torch.optim.Adam(
        network.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay, foreach=True
    )
    cap = config.max_training_seconds  # optional, off by default: it makes results machine-dependent
    deadline = None if cap is None else started + cap
    # A small table makes one batch per epoch, so epochs are few steps: count the cap and the
    # patience in steps too, else a 90-row table stops after a few dozen noisy steps.
    batches = math.ceil(train_idx.numel() / batch_size)
    epochs = max(config.epochs, math.ceil(config.min_steps / batches))
    heads = _HeadStopping(network, n_columns=n_columns, patience=max(config.early_stopping_patience, math.ceil(config.min_patience_steps / batches)))
    stopped_by, epoch, steps_left = "epochs", 0, _step_budget(config, n_columns)
    for epoch in range(1, epochs + 1):
        network.train()
        shuffled = train_idx[torch.randperm(train_idx.numel(), generator=generator)]
        # the work budget cuts the epoch short: a deterministic stop, the same on every machine
        shuffled = shuffled[: steps_left * batch_size]
        steps_left -= math.ceil(shuffled.numel() / batch_size)
        totals, seen, out_of_time = _train_epoch(
            network, optimizer, codes, context_codes, shuffled, batch_size=batch_size, active=heads.active, deadline=deadline
        )
        if n_val:
            monitored = _column_losses(network, codes[val_idx], context_codes[val_idx])
        else:
            monitored = (totals / max(seen, 1)).tolist()
        heads.update(monitored)
        if on_epoch is not None:
            on_epoch(epoch, float(sum(min(b, m) for b, m in zip(heads.best, monitored, strict=True))))
        if out_of_time:
            stopped_by = "time_limit"
            break
        if not heads.active:
            stopped_by = "early_stopping"
            break
        if steps_left <= 0:
            stopped_by = "work_budget"
            break
    heads.restore_best()
    total = sum(heads.best)
    return TrainingSummary(
        rows, epoch, total if math.isfinite(total) else None, time.monotonic() - started, stopped_by
    )


def _step_budget(config: ModelConfig, n_columns: int) -> int:
    """Optimiser steps that ``max_training_work`` buys a table of ``n_columns``: a step's cost grows
    with the columns (one head each), so a wide table gets fewer steps; at least one."""
    return max(1, config.max_training_work // (n_columns + STEP_OVERHEAD))


def _validation_split(rows: int, config: ModelConfig, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(validation rows, training rows); no validation rows when too few to judge by."""
    order = torch.randperm(rows, generator=generator)
    n_val = int(rows * config.validation_fraction)
    if n_val < config.min_validation_rows:
        n_val = 0  # too few to judge: the training loss decides
    return order[:n_val], order[n_val:]


def _train_epoch(
    network: TabularNetwork,
    optimizer: torch.optim.Optimizer,
    codes: torch.Tensor,
    context_codes: torch.Tensor,
    shuffled: torch.Tensor,
    *,
    batch_size: int,
    active: list[int],
    deadline: float | None,
) -> tuple[torch.Tensor, int, bool]:
    """One pass over ``shuffled`` training the ``active`` heads: (loss totals per column, rows
    seen, whether the optional deadline cut it short)."""
    totals, seen = torch.zeros(codes.shape[1]), 0
    for start in range(0, shuffled.numel(), batch_size):
        idx = shuffled[start : start + batch_size]
        batch, batch_context = codes[idx], context_codes[idx]
        losses = [
            nn.functional.cross_entropy(
                network.head_logits(i, batch_context, batch), batch[:, i]
            )
            for i in active
        ]
        stacked = torch.stack(losses)
        optimizer.zero_grad(set_to_none=True)
        stacked.sum().backward()
        optimizer.step()
        totals[active] += stacked.detach() * idx.numel()
        seen += idx.numel()
        if deadline is not None and time.monotonic() > deadline:
            return totals, seen, True
    return totals, seen, False


class _HeadStopping:
    """Early stopping per column head: each keeps its best epoch's weights and stops training
    after ``patience`` epochs without improvement."""

    def __init__(self, network: TabularNetwork, *, n_columns: int, patience: int) -> None:
        self.network, self.patience = network, patience
        self.best = [math.inf] * n_columns
        self.best_states = [copy.deepcopy(head.state_dict()) for head in network.heads]
        self.stale = [0] * n_columns
        self.active = list(range(n_columns))

    def update(self, monitored: list[float]) -> None:
        for i in list(self.active):
            if monitored[i] < self.best[i] - 1e-4:
                self.best[i], self.best_states[i], self.stale[i] = (
                    monitored[i],
                    copy.deepcopy(self.network.heads[i].state_dict()),
                    0,
                )
            else:
                self.stale[i] += 1
                if self.stale[i] >= self.patience:
                    self.active.remove(i)

    def restore_best(self) -> None:
        for head, state in zip(self.network.heads, self.best_states, strict=True):
            head.load_state_dict(state)


@torch.no_grad()
def _column_losses(
    network: TabularNetwork, codes: torch.Tensor, context_codes: torch.Tensor
) -> list[float]:
    """Mean cross-entropy of each column on held-out rows."""
    network.eval()
    total = torch.zeros(codes.shape[1], dtype=torch.float64)
    for start in range(0, codes.shape[0], 8192):
        batch = codes[start : start + 8192]
        logits = network(context_codes[start : start + 8192], batch)
        total += network.column_losses(logits, batch).sum(dim=0).double()
    return (total / codes.shape[0]).tolist()


def _network(config: ModelConfig, encoders: Sequence, context_encoders: Sequence) -> TabularNetwork:
    """The network for these encoders (fresh weights; ``load`` then restores saved ones)."""
    return TabularNetwork(
        column_codes=[e.n_codes for e in encoders],
        context_codes=[e.n_codes for e in context_encoders],
        embedding_dim=config.embedding_dim,
        hidden_dim=config.hidden_dim,
        dropout=config.dropout,
        column_positions=[e.positions() for e in encoders],
        context_positions=[e.positions() for e in context_encoders],
    )
