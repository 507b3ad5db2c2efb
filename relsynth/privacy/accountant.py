"""The one accountant of a clone: every mechanism that reads private data is recorded here.

Everything is a (subsampled) Gaussian mechanism, so the whole clone composes in Rényi DP through
Opacus' RDP accountant: a Gaussian mechanism of sensitivity D and noise sigma is recorded as one
step of noise multiplier sigma / D at sampling rate 1; DP-SGD as its own (noise multiplier,
sampling rate, steps). Noisy-threshold suppression of vocabularies (unknown domains) also spends an
additive delta, kept apart: the RDP part is converted at ``delta - selection_delta``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from relsynth.errors import PrivacyBudgetError

STATE_FORMAT = "relsynth.privacy.accountant/1"


@dataclass(frozen=True)
class Entry:
    """One mechanism: ``steps`` runs of a Gaussian with ``noise_multiplier`` at ``sample_rate``."""

    component: str  # e.g. "public.customer/model", "public.customer/statistics"
    mechanism: str  # "dp-sgd", "count", "histogram", "vocabulary"
    noise_multiplier: float
    sample_rate: float
    steps: int
    selection_delta: float = 0.0


def _rdp_epsilon(history: list[tuple[float, float, int]], delta: float) -> float:
    """Opacus' RDP accountant's epsilon (its default orders), each mechanism's curve cached."""
    from relsynth.privacy.dpsgd import fast_epsilon

    return fast_epsilon(history, delta) if history else 0.0


def _fast_epsilon(history: list[tuple[float, float, int]], delta: float) -> float:
    """An upper bound of ``_rdp_epsilon`` over the integer orders only: for searches."""
    from relsynth.privacy.dpsgd import fast_epsilon

    return fast_epsilon(history, delta, integer_orders=True) if history else 0.0


@dataclass
class PrivacyAccountant:
    """Composes every recorded mechanism into one (epsilon, delta); JSON state via to_dict."""

    delta: float
    target_epsilon: float | None = None
    entries: list[Entry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def gaussian(self, component: str, mechanism: str, *, noise_multiplier: float, selection_delta: float = 0.0) -> None:
        """A Gaussian mechanism of noise ``sigma = noise_multiplier * sensitivity``. The multiplier is
        recorded as given (not as sigma / sensitivity, whose last digit depends on the sensitivity),
        so that the accounting is the same whichever mechanism a noisy statistic chose."""
        if noise_multiplier <= 0:
            raise ValueError(f"a Gaussian mechanism needs a noise multiplier > 0, got {noise_multiplier}")
        self.entries.append(Entry(component, mechanism, float(noise_multiplier), 1.0, 1, selection_delta))

    def dpsgd(self, component: str, *, noise_multiplier: float, sample_rate: float, steps: int) -> None:
        if steps > 0:
            self.entries.append(Entry(component, "dp-sgd", noise_multiplier, sample_rate, steps))

    @property
    def selection_delta(self) -> float:
        return sum(e.selection_delta for e in self.entries)

    @property
    def rdp_delta(self) -> float:
        """The delta left for converting the Rényi DP part to (epsilon, delta)."""
        return self.delta - self.selection_delta

    def history(self, component: str | None = None) -> list[tuple[float, float, int]]:
        """Opacus RDPAccountant history: (noise_multiplier, sample_rate, steps) per mechanism."""
        return [(e.noise_multiplier, e.sample_rate, e.steps) for e in self.entries if component is None or e.component == component]

    def epsilon(self) -> float:
        """The total epsilon of everything recorded, at this accountant's delta."""
        if self.rdp_delta <= 0:
            raise PrivacyBudgetError(
                f"suppression spent delta {self.selection_delta:.3g} of {self.delta:.3g}; raise delta"
            )
        return _rdp_epsilon(self.history(), self.rdp_delta)

    def breakdown(self) -> dict[str, float]:
        """Each component's epsilon on its own (at the same delta); their sum bounds the total."""
        components = sorted({e.component for e in self.entries})
        return {c: round(_rdp_epsilon(self.history(c), self.rdp_delta), 6) for c in components}

    def summary(self) -> dict[str, Any]:
        return {
            "epsilon": self.epsilon() if self.entries else 0.0,
            "delta": self.delta,
            "target_epsilon": self.target_epsilon,
            "selection_delta": self.selection_delta,
            "components": self.breakdown(),
            "notes": list(self.notes),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "delta": self.delta,
            "target_epsilon": self.target_epsilon,
            "entries": [asdict(e) for e in self.entries],
            "notes": list(self.notes),
            "epsilon": self.epsilon() if self.entries else 0.0,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PrivacyAccountant:
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"accountant state has format {data.get('format')!r}, expected {STATE_FORMAT}")
        return cls(
            delta=float(data["delta"]),
            target_epsilon=data.get("target_epsilon"),
            entries=[Entry(**e) for e in data["entries"]],
            notes=list(data.get("notes", [])),
        )


@dataclass(frozen=True)
class SgdComponent:
    """A DP-SGD training planned before it runs."""

    component: str
    sample_rate: float
    steps: int


@dataclass(frozen=True)
class BudgetPlan:
    """The noise of every mechanism, fixed before any of them runs."""

    statistics_noise: float  # noise multiplier (sigma / sensitivity) of each statistics mechanism
    selection_delta: float  # delta each vocabulary mechanism may spend on suppression
    sgd_noise: float  # noise multiplier of every DP-SGD step (per-unit clipping bound = 1)
    statistics_mechanisms: int
    sgd: tuple[SgdComponent, ...]
    epsilon: float  # the total the plan composes to
    shares: dict[str, float]


def _search(f, low: float, high: float, target: float, iterations: int = 16) -> float:
    """The smallest x in [low, high] with f(x) <= target, f decreasing (bisection)."""
    for _ in range(iterations):
        middle = math.sqrt(low * high)
        if f(middle) <= target:
            high = middle
        else:
            low = middle
    return high


def plan_budget(
    *,
    epsilon: float,
    delta: float,
    statistics_mechanisms: int,
    vocabulary_mechanisms: int,
    sgd: list[SgdComponent],
    statistics_share: float,
    selection_delta_share: float,
    max_noise_multiplier: float,
    statistics_only: bool = False,
) -> BudgetPlan:
    """Split ``epsilon`` between the statistics and DP-SGD; raise when no split can work.

    The statistics get noise so that they alone cost ``statistics_share * epsilon``; DP-SGD then
    gets the smallest common noise multiplier for which the composition of everything stays within
    ``epsilon`` (composition in RDP is cheaper than the sum, so the models get more than the rest).
    """
    selection = delta * selection_delta_share if vocabulary_mechanisms else 0.0
    rdp_delta = delta - selection
    per_selection = selection / vocabulary_mechanisms if vocabulary_mechanisms else 0.0
    n = max(statistics_mechanisms, 0)
    sgd = [s for s in sgd if s.steps > 0]
    stats_target = epsilon * (statistics_share if sgd else 1.0)  # statistics_only keeps the models' share
    stats_noise = 0.0
    stats_history: list[tuple[float, float, int]] = []
    if n:
        stats_noise = _search(lambda z: _fast_epsilon([(z, 1.0, n)], rdp_delta), 1e-3, 1e6, stats_target)
        stats_history = [(stats_noise, 1.0, n)]

    def total(z: float) -> float:
        return _fast_epsilon(stats_history + [(z, s.sample_rate, s.steps) for s in sgd], rdp_delta)

    sgd_noise = 0.0
    if sgd and statistics_only:  # the statistics' noise only, as if models would follow
        sgd = []
    if sgd:
        if total(max_noise_multiplier) > epsilon:
            raise PrivacyBudgetError(
                f"epsilon={epsilon:g} (delta={delta:g}) cannot pay for training {len(sgd)} table model(s): even a noise "
                f"multiplier of {max_noise_multiplier:g}, beyond which nothing is learned, spends more. Raise --epsilon, "
                "lower privacy.epochs, or lower privacy.statistics_share"
            )
        sgd_noise = _search(total, 0.05, max_noise_multiplier, epsilon)
    final = _rdp_epsilon(stats_history + [(sgd_noise, s.sample_rate, s.steps) for s in sgd], rdp_delta)
    return BudgetPlan(
        statistics_noise=stats_noise,
        selection_delta=per_selection,
        sgd_noise=sgd_noise,
        statistics_mechanisms=n,
        sgd=tuple(sgd),
        epsilon=final,
        shares={"statistics": statistics_share if sgd else 1.0, "models": 1 - statistics_share if sgd else 0.0},
    )


def describe(state: dict[str, Any] | None) -> list[str]:
    """Lines for a report: the total epsilon, each component's, the unit and the notes.

    ``state`` is ``Run.privacy`` (what ``PrivacySession.summary`` saved); None: trained without DP.
    """
    if not state:
        return [
            "privacy: no formal guarantee (trained without --epsilon). Default protections only: identifying "
            "values are replaced by fakes never equal to a real one, rare categories and words are suppressed."
        ]
    summary = state.get("summary", {})
    lines = [f"differential privacy: epsilon {state['epsilon']:.4g}, delta {state['delta']:.3g} per unit ({state.get('unit')})"]
    for component, value in summary.get("components", {}).items():
        lines.append(f"  {component}: epsilon {value:.4g} alone")
    lines += [f"  {note}" for note in state.get("notes", [])]
    return lines


def read_state(workspace) -> dict[str, Any] | None:
    """The accountant state saved in a run's ``run.json`` (None when trained without DP)."""
    import json
    from pathlib import Path

    path = Path(workspace) / "run.json"
    if not path.exists():
        raise FileNotFoundError(f"{workspace} holds no run.json; pass the --workspace of a trained run")
    return json.loads(path.read_text(encoding="utf-8")).get("privacy")
