"""DP-SGD for a table model, at the level of privacy units: the only module that imports Opacus.

Each step Poisson-samples *units* (each with probability ``sample_rate``) and takes all their rows.
Opacus' ghost clipping (GradSampleModuleFastGradientClipping: per-row gradient norms without
materialising per-row gradients, the fastest memory-safe mode it offers) gives every row's gradient
norm; a row of a unit with ``k`` rows in this table is clipped to ``max_grad_norm / k`` (``k`` is
the unit's own, so one unit's clipping never depends on another's rows); a unit's summed gradient
therefore has norm <= ``max_grad_norm``, and Gaussian noise of ``noise_multiplier * max_grad_norm``
is added to the sum. That is the sampled Gaussian mechanism over units, so Opacus' RDP accountant
with (noise_multiplier, sample_rate, steps) is exact for it. (Clipping every row to
``max_grad_norm / bound``, the table's worst case, would shrink the signal of the many units with
one row by ``bound`` against the same noise.) Embeddings looked up with one index per row get their
per-row norm directly (the norm of the row's backpropagated vector), not by Opacus' general
sequence algorithm, which sorts indices per call and dominated the training time.

The units sampled at each step and the noise come from ``relsynth.privacy.entropy`` (the OS's
CSPRNG), never from a seed: DP training is not reproducible, by design.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from relsynth.privacy import entropy


def opacus_epsilon(history: list[tuple[float, float, int]], delta: float) -> float:
    """Opacus' RDP accountant's epsilon for a history of (noise multiplier, sample rate, steps)."""
    from opacus.accountants import RDPAccountant

    accountant = RDPAccountant()
    accountant.history = list(history)
    with warnings.catch_warnings():  # "optimal order is the largest alpha": the bound stays valid
        warnings.filterwarnings("ignore", message="Optimal order is the largest alpha")
        return float(accountant.get_epsilon(delta))


def _orders(integer_only: bool) -> list[float]:
    from opacus.accountants import RDPAccountant

    alphas = RDPAccountant.DEFAULT_ALPHAS
    return [a for a in alphas if float(a).is_integer()] if integer_only else list(alphas)


@functools.lru_cache(maxsize=4096)
def _rdp_per_step(noise_multiplier: float, sample_rate: float, integer_only: bool = False) -> tuple[float, ...]:
    from opacus.accountants.analysis.rdp import compute_rdp

    return tuple(compute_rdp(q=sample_rate, noise_multiplier=noise_multiplier, steps=1, orders=_orders(integer_only)))


def fast_epsilon(history: list[tuple[float, float, int]], delta: float, *, integer_orders: bool = False) -> float:
    """``opacus_epsilon`` with each step's RDP curve cached (RDP is linear in the steps, so this is
    the same sum Opacus' accountant computes). ``integer_orders``: only the integer Rényi orders of
    Opacus' default list, 10-20x faster under subsampling (fractional orders need a series) and
    never below the full list's epsilon (a minimum over fewer orders): for searching noise levels,
    whose result then still meets the target under the full list."""
    from opacus.accountants.analysis.rdp import get_privacy_spent

    orders = _orders(integer_orders)
    rdp = np.zeros(len(orders))
    for noise_multiplier, sample_rate, steps in history:
        rdp += steps * np.asarray(_rdp_per_step(float(noise_multiplier), float(sample_rate), integer_orders))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Optimal order is the largest alpha")
        epsilon, _ = get_privacy_spent(orders=orders, rdp=rdp, delta=delta)
    return float(epsilon)


def _embedding_norm_sample(layer, activations, backprops):
    """Per-row gradient norm of an embedding: with one index per row (a 1-D input), the row's
    gradient is its backpropagated vector placed in one row of the table, so the norm is that
    vector's; other inputs fall back to Opacus' own algorithm."""
    from opacus.grad_sample.embedding_norm_sample import compute_embedding_norm_sample

    if activations[0].dim() == 1:
        return {layer.weight: backprops.reshape(backprops.shape[0], -1).norm(2, dim=1)}
    return compute_embedding_norm_sample(layer, activations, backprops)


@functools.lru_cache(maxsize=1)
def _ghost_clipping_module():
    """GradSampleModuleFastGradientClipping with the fast embedding norm (its own class: Opacus'
    registry is left as it is)."""
    from opacus.grad_sample import GradSampleModuleFastGradientClipping

    class _GhostClipping(GradSampleModuleFastGradientClipping):
        NORM_SAMPLERS = {**GradSampleModuleFastGradientClipping.NORM_SAMPLERS, torch.nn.Embedding: _embedding_norm_sample}

    return _GhostClipping


@dataclass(frozen=True)
class DpSgdResult:
    steps: int
    epochs: int
    seconds: float
    stopped_by: str  # "privacy_budget" (all planned steps) or "time_limit"


def train_units(
    network: torch.nn.Module,
    codes: torch.Tensor,
    context_codes: torch.Tensor,
    units: np.ndarray,
    *,
    noise_multiplier: float,
    sample_rate: float,
    steps: int,
    bound: int,
    max_grad_norm: float,
    learning_rate: float,
    deadline: float,
    on_epoch: Callable[[int, float], None] | None = None,
) -> DpSgdResult:
    """Run at most ``steps`` DP-SGD steps on ``network``'s per-row loss (sum of column losses).

    ``bound`` (the most rows one unit has in this table) only checks the input: each row is clipped
    by its own unit's row count."""
    started = time.monotonic()
    units_rows = _UnitRows.of(units, bound=bound, max_grad_norm=max_grad_norm)
    n_units = units_rows.n_units
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ff]ull backward hook.*")
        module = _ghost_clipping_module()(
            network, batch_first=True, loss_reduction="sum", max_grad_norm=max_grad_norm, use_ghost_clipping=True,
            strict=False,  # fixed buffers (code positions from the DP encoders) are no data of their own
        )
    params = [p for p in network.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=learning_rate)
    expected = max(sample_rate * n_units, 1.0)
    steps_per_epoch = max(1, round(1 / sample_rate))
    done, stopped_by, running = 0, "privacy_budget", 0.0
    try:
        module.train()
        for step in range(steps):
            # the sample is secret too: amplification by subsampling assumes nobody knows it
            chosen = np.nonzero(entropy.uniforms(n_units) < sample_rate)[0]
            rows = units_rows.rows_of(chosen)
            optimizer.zero_grad(set_to_none=True)
            if rows.size:
                loss = _clipped_backward(module, network, params, codes, context_codes, rows, units_rows.row_limit)
                running = 0.9 * running + 0.1 * loss if step else loss
            _add_noise(params, noise_multiplier * max_grad_norm, expected)
            optimizer.step()
            done = step + 1
            if on_epoch is not None and done % steps_per_epoch == 0:
                on_epoch(done // steps_per_epoch, running)
            if time.monotonic() > deadline:
                stopped_by = "time_limit" if done < steps else stopped_by
                break
    finally:
        _release(module, params)
    network.eval()
    return DpSgdResult(done, math.ceil(done / steps_per_epoch), time.monotonic() - started, stopped_by)


@dataclass(frozen=True)
class _UnitRows:
    """The training rows grouped by unit, and each row's clipping norm (C / its unit's rows)."""

    n_units: int
    order: np.ndarray  # row indices sorted by unit
    starts: np.ndarray  # unit u's rows are order[starts[u] : starts[u + 1]]
    row_limit: torch.Tensor

    @classmethod
    def of(cls, units: np.ndarray, *, bound: int, max_grad_norm: float) -> _UnitRows:
        _, unit_index, unit_rows = np.unique(units, return_inverse=True, return_counts=True)
        n_units = int(unit_index.max()) + 1 if unit_index.size else 0
        if unit_rows.size and int(unit_rows.max()) > bound:
            raise ValueError(f"a unit has {int(unit_rows.max())} rows, above its bound {bound}: contribution bounding did not run")
        row_limit = torch.as_tensor(max_grad_norm / unit_rows[unit_index], dtype=torch.float32)  # per row: C / its unit's rows
        order = np.argsort(unit_index, kind="stable")
        starts = np.searchsorted(unit_index[order], np.arange(n_units + 1))
        return cls(n_units, order, starts, row_limit)

    def rows_of(self, chosen: np.ndarray) -> np.ndarray:
        if not chosen.size:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([self.order[self.starts[u] : self.starts[u + 1]] for u in chosen])


def _clipped_backward(module, network, params, codes, context_codes, rows: np.ndarray, row_limit: torch.Tensor) -> float:  # type: ignore[no-untyped-def]
    """Gradients of the rows' summed loss, each row clipped to its limit; returns the mean loss."""
    idx = torch.from_numpy(rows)
    batch, batch_context = codes[idx], context_codes[idx]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ff]ull backward hook.*")
        logits = module(batch_context, batch)
        per_row = network.column_losses(logits, batch).sum(dim=1)
        per_row.sum().backward(retain_graph=True)
        # clipping of each row to C / (its unit's rows): a unit's sum stays within C
        coefficients = (row_limit[idx] / (module.get_norm_sample() + 1e-6)).clamp(max=1.0)
        for p in params:
            p.grad = None
        module.disable_hooks()
        (coefficients * per_row).sum().backward()
        module.enable_hooks()
    return float(per_row.mean().detach())


def _add_noise(params: list[torch.nn.Parameter], std: float, expected: float) -> None:
    """Gaussian noise on the summed gradients, scaled by the expected units per step; added
    even when no unit was sampled, one draw for all parameters."""
    sizes = [p.numel() for p in params]
    noise = entropy.gaussian(std, sum(sizes))
    for p, part in zip(params, torch.from_numpy(noise).split(sizes), strict=True):
        grad = p.grad if p.grad is not None else torch.zeros_like(p)
        p.grad = (grad + part.view_as(grad).to(grad.dtype)) / expected


def _release(module, params: list[torch.nn.Parameter]) -> None:  # type: ignore[no-untyped-def]
    """Opacus' hooks and per-sample state off the network, which goes on without them."""
    module._close() if hasattr(module, "_close") else module.remove_hooks()
    for p in params:
        for attr in ("grad_sample", "_norm_sample", "_forward_counter", "_current_grad_sample"):
            if hasattr(p, attr):
                try:
                    delattr(p, attr)
                except AttributeError:
                    pass
