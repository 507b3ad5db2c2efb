"""The autoregressive network: p(row | context) = prod_i p(column_i | context, columns < i).

Column i has its own head: embeddings of the context columns' codes and of columns 0..i-1's
codes (cumulative concatenation, plus a learned constant input), one hidden ReLU layer, and logits
over column i's codes. Heads share no parameters, so each column can stop training at its own best
epoch: a column that depends strongly on earlier ones keeps learning while a column of noise
would already overfit (measured: one shared set of embeddings made the best joint epoch far too
early for the dependent column). Only nn.Embedding, nn.Linear, ReLU and Dropout are used, so
Opacus' GradSampleModule can compute per-sample gradients for DP-SGD.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


class ColumnHead(nn.Module):
    """p(column | context, previous columns) for one column."""

    def __init__(
        self,
        *,
        input_codes: Sequence[int],
        n_codes: int,
        embedding_dim: int,
        hidden_dim: int,
        dropout: float,
        input_positions: Sequence[np.ndarray] | None = None,
    ) -> None:
        super().__init__()
        dims = [min(embedding_dim, n) for n in input_codes]
        self.constant = nn.Embedding(1, embedding_dim)  # lets a head without inputs learn a prior
        self.embeddings = nn.ModuleList(
            nn.Embedding(n, d) for n, d in zip(input_codes, dims, strict=True)
        )
        # Each input code's place on its column's scale (a fixed buffer, not a parameter).
        positions = input_positions or [np.zeros(n) for n in input_codes]
        for j, places in enumerate(positions):
            self.register_buffer(f"positions_{j}", torch.as_tensor(np.asarray(places), dtype=torch.float32))
        # Where input j's positions start once they are laid end to end: one lookup for all inputs.
        sizes = torch.as_tensor([len(places) for places in positions], dtype=torch.long)
        self.register_buffer("position_offsets", torch.cumsum(sizes, 0) - sizes, persistent=False)
        self.hidden = nn.Linear(embedding_dim + sum(dims) + len(dims), hidden_dim)
        self.activation = nn.ReLU()
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_dim, n_codes)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """``inputs``: (batch, >= number of input columns) codes; extra columns are ignored."""
        return self.out(self.hidden_state(inputs))

    def hidden_state(self, inputs: torch.Tensor) -> torch.Tensor:
        """The hidden layer's output (after activation and dropout), which ``out`` turns into logits."""
        zeros = torch.zeros(inputs.shape[0], dtype=torch.long, device=inputs.device)
        parts = [self.constant(zeros)]
        parts += [emb(inputs[:, j]) for j, emb in enumerate(self.embeddings)]
        if self.embeddings:  # every input's position in one lookup: the same columns as one by one
            places = torch.cat([getattr(self, f"positions_{j}") for j in range(len(self.embeddings))])
            parts.append(places[inputs[:, : len(self.embeddings)] + self.position_offsets])
        return self.dropout(self.activation(self.hidden(torch.cat(parts, dim=1))))

    @torch.no_grad()
    def projection(self) -> Projection:
        """The hidden layer's input, folded into per-code rows for sampling (eval mode).

        The hidden layer is linear in its input, and each input column's part of it (embedding
        and position) depends only on that column's code: one row of ``hidden_dim`` per code
        then replaces the lookups, the concatenation and most of the matrix product.
        """
        weight = self.hidden.weight
        width = self.constant.embedding_dim
        bias = self.hidden.bias + weight[:, :width] @ self.constant.weight[0]
        dims = [emb.embedding_dim for emb in self.embeddings]
        start, position = width, width + sum(dims)
        rows = []
        for j, emb in enumerate(self.embeddings):
            places = getattr(self, f"positions_{j}")
            rows.append(emb.weight @ weight[:, start : start + dims[j]].T + places[:, None] * weight[:, position + j])
            start += dims[j]
        sizes = torch.tensor([r.shape[0] for r in rows], dtype=torch.long)
        table = torch.cat(rows) if rows else weight.new_zeros(0, weight.shape[0])
        return Projection(table=table, offsets=torch.cumsum(sizes, 0) - sizes, bias=bias)

    def sampled_logits(self, inputs: torch.Tensor, projection: Projection, out_bias: torch.Tensor | None = None) -> torch.Tensor:
        """``forward`` in eval mode through ``projection`` (equal up to float rounding);
        ``out_bias`` replaces the output layer's bias (-inf: a code never drawn)."""
        used = projection.offsets.numel()
        if used:
            hidden = nn.functional.embedding_bag(inputs[:, :used] + projection.offsets, projection.table, mode="sum")
            hidden.add_(projection.bias)
        else:
            hidden = projection.bias.expand(inputs.shape[0], -1).clone()
        return nn.functional.linear(hidden.relu_(), self.out.weight, self.out.bias if out_bias is None else out_bias)


@dataclass(frozen=True)
class Projection:
    """A head's hidden pre-activation as ``bias`` plus one row of ``table`` per input code
    (input j's codes start at ``offsets[j]``)."""

    table: torch.Tensor
    offsets: torch.Tensor
    bias: torch.Tensor


class TabularNetwork(nn.Module):
    """Logits for every column's codes given the context codes and the previous columns' codes."""

    def __init__(
        self,
        *,
        column_codes: Sequence[int],
        context_codes: Sequence[int],
        embedding_dim: int,
        hidden_dim: int,
        dropout: float,
        column_positions: Sequence[np.ndarray] | None = None,
        context_positions: Sequence[np.ndarray] | None = None,
    ) -> None:
        super().__init__()
        self.column_codes = [int(n) for n in column_codes]
        self.context_codes = [int(n) for n in context_codes]
        columns = list(column_positions or [np.zeros(n) for n in self.column_codes])
        context = list(context_positions or [np.zeros(n) for n in self.context_codes])
        self.heads = nn.ModuleList(
            ColumnHead(
                input_codes=self.context_codes + self.column_codes[:i],
                n_codes=n,
                embedding_dim=embedding_dim,
                hidden_dim=hidden_dim,
                dropout=dropout,
                input_positions=context + columns[:i],
            )
            for i, n in enumerate(self.column_codes)
        )

    @torch.no_grad()
    def start_from_counts(self, counts: Sequence[np.ndarray]) -> None:
        """Set each column head's output bias to the log of that column's code counts, so training
        starts from every column's marginal and spends its steps on the dependencies (a small
        table gets few steps; under DP each one is noisy)."""
        for head, found in zip(self.heads, counts, strict=True):
            found = np.clip(np.asarray(found, dtype=np.float64), 0, None)
            if found.size != head.out.bias.shape[0] or found.sum() <= 0:
                continue
            prior = np.log((found + 0.5) / (found.sum() + 0.5 * found.size))
            head.out.bias.copy_(torch.as_tensor(prior - prior.mean(), dtype=head.out.bias.dtype))

    @torch.no_grad()
    def match_marginals(
        self, context: torch.Tensor, codes: torch.Tensor, counts: Sequence[np.ndarray], *, rounds: int = 3
    ) -> None:
        """Shift each head's output bias so that its prediction, averaged over the given rows,
        has the column's own code counts as its marginal. Early stopping and weight decay leave
        a small table's marginals smoothed (a category off by a few rows in 90); the shift keeps
        what the head learned about the dependencies and restores the counts it was fitted on."""
        if codes.shape[0] == 0:
            return
        for i, head in enumerate(self.heads):
            found = np.asarray(counts[i], dtype=np.float64)
            if found.size != head.out.bias.shape[0] or found.sum() <= 0:
                continue
            seen = torch.as_tensor(found > 0)
            target = torch.as_tensor(np.log(np.where(found > 0, found, 1.0) / found.sum()), dtype=torch.float32)
            hidden = head.hidden_state(torch.cat([context, codes[:, :i]], dim=1))  # the bias moves only the output
            for _ in range(rounds):
                predicted = torch.softmax(head.out(hidden), dim=1).mean(dim=0)
                shift = torch.where(seen, target - torch.log(predicted.clamp_min(1e-12)), torch.zeros_like(target))
                head.out.bias.add_(shift)

    def head_logits(self, i: int, context: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Column i's logits: (batch, codes of column i). ``codes`` needs columns 0..i-1."""
        return self.heads[i](torch.cat([context, codes[:, :i]], dim=1))

    def forward(self, context: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits of all columns, concatenated: (batch, sum of codes)."""
        if not self.heads:
            return torch.zeros(codes.shape[0], 0)
        return torch.cat(
            [self.head_logits(i, context, codes) for i in range(len(self.heads))], dim=1
        )

    def column_losses(self, logits: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of every row and column: (batch, n_columns)."""
        parts = torch.split(logits, self.column_codes, dim=1)
        return torch.stack(
            [
                nn.functional.cross_entropy(part, codes[:, i], reduction="none")
                for i, part in enumerate(parts)
            ],
            dim=1,
        )

    @torch.inference_mode()
    def sample(
        self,
        context: torch.Tensor,
        allowed: Sequence[torch.Tensor],
        generator: torch.Generator,
        *,
        batch_size: int | None = None,
    ) -> torch.Tensor:
        """Draw codes column by column: (rows, n_columns); ``allowed[i]`` masks column i.

        Rows are drawn ``batch_size`` at a time (all at once: None); the draws depend on it.
        """
        projections = [head.projection() for head in self.heads]
        # a code that may not be drawn gets a bias of -inf: the logits come out masked
        biases = [head.out.bias.masked_fill(~mask, float("-inf")) for head, mask in zip(self.heads, allowed, strict=True)]
        step = max(batch_size or context.shape[0], 1)
        parts = [
            self._sample_batch(context[start : start + step], projections, biases, generator)
            for start in range(0, context.shape[0], step)
        ]
        return torch.cat(parts) if parts else torch.zeros(0, len(self.heads), dtype=torch.long)

    def _sample_batch(
        self, context: torch.Tensor, projections: Sequence[Projection], biases: Sequence[torch.Tensor], generator: torch.Generator
    ) -> torch.Tensor:
        width = context.shape[1]
        inputs = torch.cat([context, torch.zeros(context.shape[0], len(self.heads), dtype=torch.long)], dim=1)
        # Rows with the same inputs (the same parent and the same codes so far) have the same
        # distribution for the next column, so they share its strata: each such group's histogram,
        # and the column's marginal, lose most of their sampling noise.
        rows = context.shape[0]
        groups = torch.zeros(rows, dtype=torch.long)
        # Once every row is a group of its own, splitting the groups leaves them as they are.
        singletons = rows == 1
        for j, n_codes in enumerate(self.context_codes):
            if not singletons:
                # a column at a time: the same lexicographic ranks as torch.unique(context, dim=0),
                # whose row-by-row comparisons took a fifth of the sampling
                found, groups = torch.unique(groups * n_codes + context[:, j], return_inverse=True)
                singletons = found.numel() == rows
        for i, head in enumerate(self.heads):
            if i and not singletons:  # split the groups by the column just drawn
                found, groups = torch.unique(groups * self.column_codes[i - 1] + inputs[:, width + i - 1], return_inverse=True)
                singletons = found.numel() == rows
            logits = head.sampled_logits(inputs, projections[i], biases[i])
            # inverse-CDF draw: several times faster than torch.multinomial on wide batches
            cdf = torch.cumsum(torch.softmax(logits, dim=1), dim=1)  # float32: half the memory of a pass
            draw = _stratified_uniforms(groups, generator, singletons=singletons)[:, None]
            drawn = torch.searchsorted(cdf, draw * cdf[:, -1:], right=True)[:, 0]
            inputs[:, width + i] = drawn.clamp_(max=cdf.shape[1] - 1)
        return inputs[:, width:]


def _stratified_uniforms(groups: torch.Tensor, generator: torch.Generator, *, singletons: bool = False) -> torch.Tensor:
    """One uniform draw per row, stratified within each group of rows and across the groups.

    A group of k rows gets the k evenly spaced points ``offset + j / k`` (mod 1), in random
    order, and the groups' offsets are themselves one draw in each of the G strata of [0, 1). Each
    row's draw is still exactly uniform, so every row keeps its own conditional distribution, but
    a group's histogram (the children of one parent) loses most of its i.i.d. sampling noise, and
    so does the whole table's, even when most parents have a single child.
    """
    n = groups.shape[0]
    if n == 0:
        return torch.zeros(0, dtype=torch.float64)
    shuffle = torch.randperm(n, generator=generator)
    if singletons:  # ``groups`` ranks n groups of one row: each row is its group's offset
        return _offsets(n, generator)[groups].float().clamp_(max=1.0 - 2.0**-24)  # (the shuffle is drawn all the same)
    order = shuffle[torch.argsort(groups[shuffle], stable=True)]  # by group, random within
    sorted_groups = groups[order]
    first = torch.searchsorted(sorted_groups, sorted_groups, right=False)
    rank = torch.arange(n) - first
    counts = torch.bincount(groups)
    n_groups = counts.numel()  # groups come from torch.unique: 0 .. G-1, all present
    spaced = _offsets(n_groups, generator)[sorted_groups] + rank.double() / counts[sorted_groups].double()
    draws = torch.empty(n, dtype=torch.float32)
    draws[order] = torch.frac(spaced).float()
    return draws.clamp_(max=1.0 - 2.0**-24)  # float32 must not round up to 1: it would pick past the last code


def _offsets(n_groups: int, generator: torch.Generator) -> torch.Tensor:
    """Each group's offset: one draw in each of the ``n_groups`` strata of [0, 1), in random order."""
    jitter = torch.rand(n_groups, generator=generator, dtype=torch.float64)
    return (torch.randperm(n_groups, generator=generator).double() + jitter) / n_groups
