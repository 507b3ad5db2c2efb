"""The autoregressive network: p(row | context) = prod_i p(column_i | context, columns < i).

Each column's codes get an embedding; the context columns' embeddings are concatenated and mapped
to one context vector (a table without context gets a learned constant one). The head of column i
sees [context vector, embeddings of columns 0..i-1] (cumulative concatenation) and outputs logits
over column i's codes. Only nn.Embedding, nn.Linear, ReLU and Dropout are used, so Opacus'
GradSampleModule can compute per-sample gradients for DP-SGD.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class _Head(nn.Module):
    def __init__(self, in_dim: int, hidden_dim: int, n_codes: int, dropout: float) -> None:
        super().__init__()
        self.hidden = nn.Linear(in_dim, hidden_dim)
        self.activation = nn.ReLU()
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_dim, n_codes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(self.activation(self.hidden(x))))


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
    ) -> None:
        super().__init__()
        self.column_codes = [int(n) for n in column_codes]
        self.context_codes = [int(n) for n in context_codes]
        dims = [min(embedding_dim, n) for n in self.column_codes]
        context_dims = [min(embedding_dim, n) for n in self.context_codes]
        self.embeddings = nn.ModuleList(
            nn.Embedding(n, d) for n, d in zip(self.column_codes, dims, strict=True)
        )
        self.context_embeddings = nn.ModuleList(
            nn.Embedding(n, d) for n, d in zip(self.context_codes, context_dims, strict=True)
        )
        if self.context_codes:
            self.context_projection: nn.Module = nn.Sequential(
                nn.Linear(sum(context_dims), hidden_dim), nn.ReLU()
            )
        else:  # a learned constant, looked up so that Opacus sees a supported layer
            self.context_projection = nn.Embedding(1, hidden_dim)
        offsets = [0]
        for d in dims:
            offsets.append(offsets[-1] + d)
        self.heads = nn.ModuleList(
            _Head(hidden_dim + offsets[i], hidden_dim, n, dropout)
            for i, n in enumerate(self.column_codes)
        )

    def context_vector(self, context: torch.Tensor) -> torch.Tensor:
        """``context``: (batch, n_context_columns) codes; a (batch, 0) tensor when there is none."""
        if not self.context_codes:
            return self.context_projection(
                torch.zeros(context.shape[0], dtype=torch.long, device=context.device)
            )
        parts = [emb(context[:, j]) for j, emb in enumerate(self.context_embeddings)]
        return self.context_projection(torch.cat(parts, dim=1))

    def forward(self, context: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits of all columns, concatenated: (batch, sum of codes)."""
        inputs = [self.context_vector(context)]
        logits = []
        for i, head in enumerate(self.heads):
            logits.append(head(torch.cat(inputs, dim=1)))
            inputs.append(self.embeddings[i](codes[:, i]))
        if not logits:
            return torch.zeros(codes.shape[0], 0)
        return torch.cat(logits, dim=1)

    def loss(self, logits: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Per-row sum over columns of the cross-entropies: (batch,)."""
        total = torch.zeros(codes.shape[0])
        for i, part in enumerate(torch.split(logits, self.column_codes, dim=1)):
            total = total + nn.functional.cross_entropy(part, codes[:, i], reduction="none")
        return total

    @torch.no_grad()
    def sample(
        self,
        context: torch.Tensor,
        allowed: Sequence[torch.Tensor],
        generator: torch.Generator,
    ) -> torch.Tensor:
        """Draw codes column by column: (batch, n_columns). ``allowed[i]`` masks column i's codes."""
        inputs = [self.context_vector(context)]
        drawn = []
        for i, head in enumerate(self.heads):
            logits = head(torch.cat(inputs, dim=1))
            logits = logits.masked_fill(~allowed[i], float("-inf"))
            # inverse-CDF draw: several times faster than torch.multinomial on wide batches
            cdf = torch.cumsum(torch.softmax(logits.double(), dim=1), dim=1)
            draw = torch.rand(cdf.shape[0], 1, generator=generator, dtype=torch.float64)
            codes = torch.searchsorted(cdf, draw * cdf[:, -1:], right=True)[:, 0]
            codes = codes.clamp_(max=cdf.shape[1] - 1)
            drawn.append(codes)
            inputs.append(self.embeddings[i](codes))
        if not drawn:
            return torch.zeros(context.shape[0], 0, dtype=torch.long)
        return torch.stack(drawn, dim=1)
