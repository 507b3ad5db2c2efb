"""One private training: the unit, contribution bounding, the budget plan and every DP mechanism.

``learning.train`` makes one ``PrivacySession`` after reading the tables and asks it, at each
place where data would otherwise be used as it is: bounded frames, children counts, clusters of
private parents, the encoders and the DP-SGD of private tables. Public tables (not below the unit)
are learned as before, except that counts of private children attached to them are noised.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from relsynth.checks import allowed_values
from relsynth.clustering import MAX_CLUSTERS
from relsynth.config import TableMode
from relsynth.errors import ConfigurationError, PrivacyBudgetError
from relsynth.graph import is_one_to_one
from relsynth.modeling.encoding import ColumnSpec, Encoder, to_numbers
from relsynth.privacy import entropy
from relsynth.privacy.accountant import (
    BudgetPlan,
    PrivacyAccountant,
    SgdComponent,
    plan_budget,
)
from relsynth.privacy.config import PrivacyConfig
from relsynth.privacy.mechanisms import Noise, dp_encoder, mechanisms_for, noisy_count
from relsynth.privacy.units import (
    UnitTree,
    bound_contributions,
    propose_unit,
    resolve_table,
    unit_tree,
)
from relsynth.roles import Role
from relsynth.schema.elements import ForeignKey, QualifiedName, Schema, TypeKind

log = logging.getLogger(__name__)


@dataclass
class ComponentBudget:
    """The privacy hook that ``TableModel.fit`` takes for one private table."""

    session: PrivacySession
    table: QualifiedName
    units: np.ndarray  # unit id of each training row

    def _noise(self) -> Noise:
        s = self.session
        _, inverse, rows = np.unique(self.units, return_inverse=True, return_counts=True)
        weights = 1.0 / rows[inverse] if self.units.size else np.zeros(0)
        return Noise(s.accountant, f"{self.table}/statistics", s.plan.statistics_noise, s.plan.selection_delta, s.bounds[self.table], weights)

    def fit_encoder(self, series: pd.Series, spec: ColumnSpec, *, max_bins: int, max_categories: int, spike_fraction: float) -> Encoder:
        # cluster labels of a secondary parent: a public domain (c0 .. c<MAX_CLUSTERS - 1>)
        domain = [f"c{i}" for i in range(MAX_CLUSTERS)] if spec.name.startswith("__ref__") else self.session.public_domain(self.table, spec)
        spec = self.session.public_bounds(self.table, spec)
        return dp_encoder(series, spec, self._noise(), max_bins=max_bins, max_categories=max_categories, domain=domain)

    def train(self, network, codes, context_codes, *, config, seed: int, started: float, on_epoch) -> tuple[int, int, float, str]:
        """DP-SGD for the planned steps; returns (rows to report: the noisy count, epochs, seconds, stopped_by).

        ``seed`` (the model's, for its initial weights) is deliberately not passed on: the units
        sampled and the noise come from OS entropy, so nobody holding the run can replay them."""
        from relsynth.privacy.dpsgd import train_units

        s = self.session
        planned = s.sgd.get(self.table)
        rows = s.noisy_rows.get(self.table, 0) if codes.shape[0] else 0
        if planned is None or codes.shape[0] == 0 or codes.shape[1] == 0:
            return rows, 0, time.monotonic() - started, "no_rows" if codes.shape[0] == 0 else "no_columns"
        p = s.config
        result = train_units(
            network, codes, context_codes, self.units,
            noise_multiplier=s.plan.sgd_noise, sample_rate=planned.sample_rate, steps=planned.steps,
            bound=s.bounds[self.table], max_grad_norm=p.max_grad_norm, learning_rate=p.learning_rate,
            deadline=_deadline(started, p.time_factor, config.max_training_seconds), on_epoch=on_epoch,
        )
        s.accountant.dpsgd(f"{self.table}/model", noise_multiplier=s.plan.sgd_noise, sample_rate=planned.sample_rate, steps=result.steps)
        return max(rows, 1), result.epochs, result.seconds, result.stopped_by


def _deadline(started: float, time_factor: float, max_training_seconds: float | None) -> float | None:
    """DP-SGD's optional wall-clock cap: none by default, so the planned steps all run."""
    return None if max_training_seconds is None else started + time_factor * max_training_seconds


class PrivacySession:
    """Everything private about one ``train`` call; its accountant is saved with the run."""

    def __init__(
        self,
        *,
        schema: Schema,
        config: PrivacyConfig,
        frames: dict[QualifiedName, pd.DataFrame],
        artifacts: dict[QualifiedName, Any],
        context_fks: dict[QualifiedName, ForeignKey | None],
        assigned_fks: list[ForeignKey],
        seed: int,
        explicit_copy: set[QualifiedName] = frozenset(),
    ) -> None:
        self.schema, self.config, self.context_fks = schema, config, context_fks
        self.accountant = PrivacyAccountant(delta=config.delta, target_epsilon=config.epsilon)
        unit = _chosen_unit(schema, config, artifacts)
        self.accountant.notes.append(f"privacy unit {unit} chosen by the user")
        self.tree: UnitTree = unit_tree(schema, unit, max_children=config.max_children)
        self.accountant.notes.append(self.tree.explain(schema))
        log.info("%s", self.tree.explain(schema))
        self.private_models = self._synthesize_private_tables(artifacts, explicit_copy)
        # Count every statistics mechanism first: their noise is fixed before any runs.
        n_stats, n_vocab = self._count_mechanisms(artifacts, assigned_fks)
        self._plan_args = dict(
            epsilon=config.epsilon, delta=config.delta, statistics_mechanisms=n_stats, vocabulary_mechanisms=n_vocab,
            statistics_share=config.statistics_share, selection_delta_share=config.selection_delta_share,
            max_noise_multiplier=config.max_noise_multiplier,
        )
        placeholder = [SgdComponent("planning", 1.0, 1)] if self.private_models else []  # only fixes the statistics noise
        self.plan: BudgetPlan = plan_budget(sgd=placeholder, statistics_only=True, **self._plan_args)
        self._bound_contributions(frames, seed)
        # Row counts of private tables: the generator's targets and DP-SGD's sampling rates.
        self.noisy_rows: dict[QualifiedName, int] = {}
        for name in self.private_models:
            self.noisy_rows[name] = noisy_count(len(frames[name]), self._noise(name))
            artifacts[name].source_rows = self.noisy_rows[name]
        units = max(self.noisy_rows.get(unit, len(frames[unit])), 1)
        self.sgd: dict[QualifiedName, SgdComponent] = self._plan_sgd(artifacts, assigned_fks, units)
        self.plan = plan_budget(sgd=list(self.sgd.values()), **self._plan_args)  # raises when impossible
        self.accountant.notes.append(
            f"budget split: statistics {self.plan.shares['statistics']:.0%} of epsilon ({n_stats} Gaussian mechanisms, "
            f"noise multiplier {self.plan.statistics_noise:.3g}), models the rest (DP-SGD noise multiplier "
            f"{self.plan.sgd_noise:.3g}, clipping {config.max_grad_norm:g} per unit); planned total epsilon {self.plan.epsilon:.4g}"
        )

    # -------------------------------------------------------------------------------- planning

    def _synthesize_private_tables(self, artifacts: dict[QualifiedName, Any], explicit_copy: set[QualifiedName]) -> list[QualifiedName]:
        """The private tables to model: a private table is never copied as reference data."""
        for name in self.tree.tables:
            if artifacts[name].mode is TableMode.COPY:
                if name in explicit_copy:
                    raise ConfigurationError(
                        f"{name} is below the privacy unit {self.tree.unit} but set to mode copy, which would copy private rows; "
                        "use synthesize, empty or exclude for it, or choose another unit"
                    )
                artifacts[name].mode = TableMode.SYNTHESIZE  # never copy private rows as reference data
        return [n for n in self.tree.tables if artifacts[n].mode is TableMode.SYNTHESIZE]

    def _count_mechanisms(self, artifacts: dict[QualifiedName, Any], assigned_fks: list[ForeignKey]) -> tuple[int, int]:
        """(statistics mechanisms, vocabulary selections) the run will spend budget on."""
        schema, context_fks = self.schema, self.context_fks
        # one cap per private FK, but none where a key of the child makes it one child per parent
        n_stats = sum(1 for n in self.tree.tables for fk in self.tree.foreign_keys[n] if not _one_child_per_parent(schema, fk))
        n_vocab = 0
        for name in self.private_models:
            table = schema.table(name)
            fk = context_fks.get(name)
            nullable = fk is not None and any(table.column(c).nullable for c in fk.constrained_columns)
            n_stats += 1 + (1 if nullable else 0)  # rows, rows without a parent
            kinds = [table.column(c.name).type.kind for c in artifacts[name].columns if c.role is Role.MODEL]
            helpers = [fk for fk in context_fks.values() if fk is not None and fk.referred_table == name]
            helpers += [fk for fk in assigned_fks if fk.referred_table == name]
            capped = [fk for fk in helpers if fk in self.tree.foreign_keys.get(fk.table, ())]  # public [0, cap]: no bounds
            kinds += [TypeKind.INTEGER for _ in helpers]
            n_stats += sum(mechanisms_for(k) for k in kinds) - len(capped) + sum(1 for fk in assigned_fks if fk.table == name)
            n_vocab += sum(1 for k in kinds if mechanisms_for(k) == 1 and k is not TypeKind.BOOLEAN)
        for fk in [f for f in context_fks.values() if f is not None] + assigned_fks:
            if self.tree.is_private(fk.table) and not self.tree.is_private(fk.referred_table):
                n_stats += 1  # noisy children/degree histogram on a public parent
        return n_stats, n_vocab

    def _bound_contributions(self, frames: dict[QualifiedName, pd.DataFrame], seed: int) -> None:
        """Each unit's rows capped (``frames`` updated in place); sets ``units``, ``bounds`` and ``caps``."""
        bounded = bound_contributions({n: frames[n] for n in frames}, self.tree, seed=seed, choose_cap=self._choose_cap)
        for name, count in bounded.dropped.items():
            if count:
                self.accountant.notes.append(f"{name}: {count} row(s) dropped by contribution bounding")
        frames.update(bounded.frames)
        self.units = bounded.units

        self.bounds, self.caps = bounded.bounds, bounded.caps
        self.accountant.notes.append(
            "children kept per parent row (chosen by a DP histogram, at most "
            f"{self.config.max_children}): " + ", ".join(f"{fk.label}: {cap}" for fk, cap in self.caps.items())
        )

    def _plan_sgd(self, artifacts: dict[QualifiedName, Any], assigned_fks: list[ForeignKey], units: int) -> dict[QualifiedName, SgdComponent]:
        """DP-SGD's sampling rate and steps for each private table with something to train."""
        config, fks = self.config, [fk for fk in list(self.context_fks.values()) + assigned_fks if fk is not None]
        sgd: dict[QualifiedName, SgdComponent] = {}
        for name in self.private_models:
            if not [c for c in artifacts[name].columns if c.role is Role.MODEL] and name not in {
                fk.referred_table for fk in fks
            } and name not in {fk.table for fk in assigned_fks}:
                continue  # no model columns at all: nothing to train
            per_unit = max(self.noisy_rows[name] / units, 1e-3)
            sample_rate = min(config.max_sample_rate, max(config.batch_rows / per_unit, 1.0) / units)
            steps = max(1, int(np.rint(config.epochs / sample_rate)))
            sgd[name] = SgdComponent(f"{name}/model", sample_rate, steps)
        return sgd

    # -------------------------------------------------------------------------------- hooks

    def _noise(self, name: QualifiedName) -> Noise:
        return Noise(self.accountant, f"{name}/statistics", self.plan.statistics_noise, self.plan.selection_delta, self.bounds[name])

    def _choose_cap(self, fk: ForeignKey, children: np.ndarray, weights: np.ndarray) -> int:
        """The 98th percentile of children per parent row, from a noisy histogram over public cells.

        Each parent row weighs 1 / (its unit's rows in the parent table), so one unit changes the
        histogram by at most 1 in L2. A foreign key whose columns hold a key of the child (a loan
        per account) has one child per parent by the schema alone: cap 1, no budget. Cells whose
        noisy count is within 2 sigma of 0 are dropped before the percentile (post-processing):
        otherwise the noise of the many empty cells above the real maximum inflates the cap."""
        if _one_child_per_parent(self.schema, fk):
            return 1
        cells = np.array(sorted({0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512}
                                | {self.config.max_children}))
        cells = cells[cells <= self.config.max_children]
        index = np.minimum(np.searchsorted(cells, np.minimum(children, cells[-1]), side="left"), cells.size - 1)
        noise = Noise(self.accountant, f"{fk.table}/statistics", self.plan.statistics_noise, 0.0, 1, weights)
        noisy = noise.add(noise.bincount(index, cells.size))
        noise.record("cap")
        noisy = np.where(noisy > 2 * noise.sigma, noisy, 0.0)
        total = noisy.sum()
        if total <= 0:
            return int(cells[-1])
        return int(cells[min(np.searchsorted(np.cumsum(noisy) / total, 0.98), cells.size - 1)])

    def public_domain(self, table: QualifiedName, spec: ColumnSpec) -> list[str] | None:
        """The values the schema alone allows a column (an enum's labels, a CHECK's IN list): its
        vocabulary then needs no selection, and a budget too small to select one still yields
        valid values."""
        element = self.schema.table(table)
        if spec.name not in element.column_names:
            return None
        column = element.column(spec.name)
        if column.type.enum_values:
            return list(column.type.enum_values)
        for check in element.check_constraints:
            allowed = allowed_values(check.sqltext, dialect=self.schema.dialect).get(spec.name)
            if allowed:
                return allowed
        return None

    def public_bounds(self, table: QualifiedName, spec: ColumnSpec) -> ColumnSpec:
        """``spec`` with the bounds the schema and the caps already fix, so no budget finds them:
        children/degree counts lie in [0, cap]; a RANGE partition key lies within its partitions."""
        if spec.name.startswith(("__children__", "__degree__")):
            fk = self.schema.foreign_keys[int(spec.name.rsplit("__", 1)[1])]
            if fk in self.caps:
                return replace(spec, low=0, high=self.caps[fk])
            return spec
        parts = self.schema.table(table).partitioning
        if parts is None or parts.strategy.upper() != "RANGE" or parts.key.strip('"') != spec.name:
            return spec
        found = [re.match(r"FOR VALUES FROM \('?([^')]*)'?\) TO \('?([^')]*)'?\)", p.bound) for p in parts.partitions]
        if not found or any(m is None for m in found):
            return spec  # a DEFAULT partition (or a bound not understood): no public range
        try:
            edges = to_numbers(pd.Series([v for m in found for v in m.groups()]).map(_parse_bound(spec.kind)), spec.kind)
        except (TypeError, ValueError):
            return spec
        if np.isnan(edges).any():
            return spec
        step = 1_000_000.0 if spec.kind is TypeKind.TIMESTAMP else 1.0
        return replace(spec, low=float(edges.min()), high=float(edges.max()) - step)

    def is_private(self, name: QualifiedName) -> bool:
        return self.tree.is_private(name)

    def children_counts(self, frames: dict[QualifiedName, pd.DataFrame], child: QualifiedName, fk: ForeignKey) -> pd.DataFrame | None:
        """Children per parent key from the bounded rows of a private child; None for a public one."""
        if not self.is_private(child):
            return None
        columns = list(fk.constrained_columns)
        frame = frames[child]
        if frame.empty:
            return pd.DataFrame({**{c: pd.Series(dtype=object) for c in columns}, "__count": pd.Series(dtype=np.int64)})
        counts = frame.groupby(columns, dropna=False).size().rename("__count").reset_index()
        counts["__count"] = counts["__count"].astype(np.int64)
        return counts

    def noisy_null_rows(self, child: QualifiedName, value: int) -> int:
        """Rows of a private child without a context parent; 0 when the key cannot be NULL."""
        if child not in self.private_models:
            return value
        fk = self.context_fks.get(child)
        table = self.schema.table(child)
        if fk is None or not any(table.column(c).nullable for c in fk.constrained_columns):
            return 0
        return noisy_count(value, self._noise(child), "count")

    def helper_counts(self, child: QualifiedName, parent: QualifiedName, counts: np.ndarray) -> np.ndarray:
        """Counts of a private child's rows per row of a public parent, by one Gaussian mechanism.

        When the child's (noisy) rows per parent row stand above the noise, each parent row's count
        is noised (the counts keep their link to the parent's columns). Otherwise per-row noise
        would drown them: the mechanism is a noisy histogram of the counts instead (cells 0 ..
        max_children, the last one "or more"; one unit moves at most ``bound`` parent rows by one
        cell each: L2 sensitivity sqrt(2) * bound), and each parent row draws its count from it."""
        if not self.is_private(child) or self.is_private(parent):
            return counts
        bound = self.bounds[child]
        per_row = Noise(self.accountant, f"{parent}/statistics", self.plan.statistics_noise, 0.0, bound)
        mean = self.noisy_rows.get(child, 0) / max(len(counts), 1)  # DP count over a public row count
        if mean >= 2 * per_row.sigma or len(counts) == 0:
            per_row.record("histogram")
            return np.clip(np.round(per_row.add(counts)), 0, None).astype(np.int64)
        top = self.config.max_children
        cells = np.minimum(np.asarray(counts, dtype=np.int64), top)
        sigma = self.plan.statistics_noise * np.sqrt(2.0) * bound
        self.accountant.gaussian(f"{parent}/statistics", "histogram", noise_multiplier=self.plan.statistics_noise)  # L2 sensitivity sqrt(2) * bound
        noisy = np.bincount(cells, minlength=top + 1).astype(np.float64) + entropy.gaussian(sigma, top + 1)
        noisy = np.where(noisy > 2 * sigma, noisy, 0.0)  # post-processing: cells within noise of 0 dropped
        if noisy.sum() <= 0:
            return np.zeros(len(counts), dtype=np.int64)
        return entropy.generator().choice(top + 1, size=len(counts), p=noisy / noisy.sum()).astype(np.int64)

    def component(self, name: QualifiedName, keep: np.ndarray | None) -> ComponentBudget | None:
        if name not in self.private_models:
            return None
        units = self.units[name] if keep is None else self.units[name][keep]
        return ComponentBudget(self, name, units)

    def summary(self) -> dict[str, Any]:
        state = self.accountant.to_dict()
        if self.config.epsilon is not None and state["epsilon"] > self.config.epsilon * (1 + 1e-6):
            log.warning("spent epsilon %.4g exceeds the target %.4g: a mechanism ran unplanned", state["epsilon"], self.config.epsilon)
        state["unit"] = str(self.tree.unit)
        state["bounds"] = {str(t): b for t, b in self.bounds.items()}
        state["caps"] = {fk.label: cap for fk, cap in self.caps.items()}
        state["summary"] = self.accountant.summary()
        return state


def _chosen_unit(schema: Schema, config: PrivacyConfig, artifacts: dict[QualifiedName, Any]) -> QualifiedName:
    """The user's privacy unit; without one, an error that proposes one."""
    if config.unit is not None:
        return resolve_table(schema, config.unit)
    # The proposal reads row counts: made part of the private run it would escape the
    # accountant. So it is only proposed, and the user's choice is what the run uses.
    rows = {name: int(a.source_rows) for name, a in artifacts.items()}
    personal = {"first_name", "last_name", "full_name", "email", "username"}
    identifying = {
        n for n, a in artifacts.items()
        if any(c.role is Role.IDENTIFYING and c.identifying_kind is not None and c.identifying_kind.value in personal for c in a.columns)
    }
    proposal = propose_unit(schema, rows, identifying=identifying, max_children=config.max_children)
    raise PrivacyBudgetError(
        f"differential privacy needs a privacy unit: pass --privacy-unit {proposal.table} "
        f"(or [privacy] unit); {proposal.reason}"
    )


def _one_child_per_parent(schema: Schema, fk: ForeignKey) -> bool:
    """True when a primary key or unique constraint of the child lies within ``fk``'s columns."""
    return is_one_to_one(fk, schema.table(fk.table))


def _parse_bound(kind: TypeKind):
    """How a partition bound's literal becomes a value of ``kind``."""
    if kind is TypeKind.TIMESTAMP:
        return lambda text: pd.Timestamp(text)
    if kind is TypeKind.DATE:
        return lambda text: pd.Timestamp(text).date()
    return float
