"""Primary and unique key values, owned by the generator.

Three kinds: integers (``start``, ``start + increment``, ... continuing across chunks), text keys
that follow the shapes of the source's keys (northwind's ``ALFKI`` -> five random capitals,
``AB-123`` -> two letters, a dash, three digits), and UUIDs drawn from the seeded generator.

Real keys: integer keys are surrogates and *are* reused (1..n says nothing about anyone). Text
keys never equal a real key, as long as the shapes leave room: when a shape's space is less than
``_ROOM`` times the keys it must hold (real plus generated, e.g. two-letter codes), avoiding real
keys would exhaust it, so real values are then allowed and a log line says so. Real keys are kept
only as salted hashes, so the saved state holds none of them.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd

from relsynth.errors import ArtifactError, GenerationError
from relsynth.values.identifying import random_like, shape_of, shape_space

log = logging.getLogger(__name__)

__all__ = ["KeyGenerator", "KeyKind", "drop_duplicate_keys"]

FORMAT_VERSION = 1
_ROOM = 4  # a shape space this many times the keys it holds can avoid every real key
_MAX_SHAPES = 50


class KeyKind(str, Enum):
    INTEGER = "integer"
    TEXT = "text"
    UUID = "uuid"


def _hash(value: str, salt: str) -> str:
    return hashlib.blake2b(f"{salt}\x00{value}".encode(), digest_size=10).hexdigest()


@dataclass
class KeyGenerator:
    """Unique key values for one column; stateful: each ``generate`` continues the last.

    Build it with ``fit`` (from a sample of the real keys) or the ``integer``/``text``/``uuid``
    constructors. ``to_dict`` saves the learned configuration and the integer counter; the set
    of text keys emitted in this process is not saved.
    """

    kind: KeyKind
    seed: int = 0
    start: int = 1
    increment: int = 1
    max_value: int | None = None
    shapes: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()
    max_length: int | None = None
    salt: str = ""
    real: frozenset[str] = frozenset()  # salted hashes of the real keys
    real_count: int = 0
    next_value: int | None = None
    _rng: np.random.Generator = field(init=False, repr=False, compare=False)
    _emitted: set[str] = field(init=False, repr=False, compare=False, default_factory=set)

    def __post_init__(self) -> None:
        self.kind = KeyKind(self.kind)
        if self.increment == 0:
            raise GenerationError("an integer key's increment is 0; keys would repeat; use 1")
        if self.kind is KeyKind.TEXT and not self.shapes:
            raise GenerationError("a text key generator needs at least one shape, e.g. 'AAAAA'")
        if self.max_length is not None:
            self.shapes = tuple(s[: self.max_length] for s in self.shapes)
        if self.next_value is None:
            self.next_value = self.start
        self._rng = np.random.default_rng(self.seed)

    # -- constructors ---------------------------------------------------------------------------

    @classmethod
    def integer(
        cls, *, start: int = 1, increment: int = 1, max_value: int | None = None, seed: int = 0
    ) -> KeyGenerator:
        return cls(
            KeyKind.INTEGER, seed=seed, start=start, increment=increment, max_value=max_value
        )

    @classmethod
    def text(
        cls,
        shapes: Sequence[str],
        *,
        weights: Sequence[float] | None = None,
        max_length: int | None = None,
        real: Iterable[str] = (),
        seed: int = 0,
    ) -> KeyGenerator:
        salt = f"{int(np.random.default_rng(seed).integers(2**62)):x}"
        reals = {str(v) for v in real}
        weights = tuple(weights) if weights is not None else (1.0,) * len(shapes)
        return cls(
            KeyKind.TEXT,
            seed=seed,
            shapes=tuple(shapes),
            weights=tuple(float(w) for w in weights),
            max_length=max_length,
            salt=salt,
            real=frozenset(_hash(v, salt) for v in reals),
            real_count=len(reals),
        )

    @classmethod
    def uuid(cls, *, seed: int = 0) -> KeyGenerator:
        return cls(KeyKind.UUID, seed=seed)

    @classmethod
    def fit(
        cls,
        values: pd.Series,
        *,
        seed: int,
        kind: KeyKind | None = None,
        max_length: int | None = None,
        start: int | None = None,
        increment: int | None = None,
        max_value: int | None = None,
    ) -> KeyGenerator:
        """Learn a key column's kind and format from a sample of its real values.

        Integers start at the smallest real key and step by the common difference of the sorted
        keys (``10, 20, 30`` -> 10), unless ``start``/``increment`` (an identity's) are given.
        """
        present = values.dropna()
        if kind is None:
            kind = _kind_of(present)
        if kind is KeyKind.INTEGER:
            ints = np.unique(present.astype("int64").to_numpy()) if len(present) else np.array([])
            learned_start = int(ints[0]) if len(ints) else 1
            learned_step = 1
            if len(ints) > 2:
                learned_step = max(int(np.gcd.reduce(np.diff(ints))), 1)
            return cls.integer(
                start=learned_start if start is None else start,
                increment=learned_step if increment is None else increment,
                max_value=max_value,
                seed=seed,
            )
        if kind is KeyKind.UUID:
            return cls.uuid(seed=seed)
        texts = [str(v) for v in present]
        counts = Counter(shape_of(v) for v in texts).most_common(_MAX_SHAPES)
        if not counts:
            counts = [("AAAAAAAA", 1)]
        total = sum(c for _, c in counts)
        return cls.text(
            [s for s, _ in counts],
            weights=[c / total for _, c in counts],
            max_length=max_length,
            real=texts,
            seed=seed,
        )

    # -- generation -----------------------------------------------------------------------------

    def generate(self, n: int) -> pd.Series:
        """``n`` new keys, unique among themselves and all keys this generator gave before."""
        if n < 0:
            raise GenerationError(f"asked for {n} keys; ask for zero or more")
        if self.kind is KeyKind.INTEGER:
            return self._integers(n)
        if self.kind is KeyKind.UUID:
            raw = self._rng.bytes(16 * n)
            return pd.Series(
                [str(uuid.UUID(bytes=raw[16 * i : 16 * i + 16], version=4)) for i in range(n)],
                dtype=object,
            )
        return self._texts(n)

    def for_chunk(self, chunk: int, first_row: int) -> KeyGenerator:
        """This generator as it starts chunk ``chunk`` of a table, whose first planned row is
        ``first_row``: integers from that row's key on, UUIDs from a seed of the chunk's own, so
        chunks made apart never share a key. Text keys are drawn at random: such a table is
        generated in one piece (relsynth.chunks)."""
        if chunk == 0:
            return self
        if self.kind is KeyKind.INTEGER:
            assert self.next_value is not None
            self.next_value += self.increment * first_row
        elif self.kind is KeyKind.UUID:
            self._rng = np.random.default_rng([self.seed, chunk])
        else:
            raise GenerationError("text keys are unique only within one piece; generate the table whole")
        return self

    def _integers(self, n: int) -> pd.Series:
        assert self.next_value is not None
        values = self.next_value + self.increment * np.arange(n, dtype=np.int64)
        if n and self.max_value is not None and int(values.max()) > self.max_value:
            raise GenerationError(
                f"integer keys would pass the column's maximum {self.max_value} "
                f"(asked for {n} more from {self.next_value}); use a wider integer type or "
                "generate fewer rows"
            )
        self.next_value += self.increment * n
        return pd.Series(values, dtype="int64")

    @property
    def capacity(self) -> int:
        """How many distinct text keys the shapes admit."""
        return sum(shape_space(s) for s in set(self.shapes))

    def _texts(self, n: int) -> pd.Series:
        needed = len(self._emitted) + n
        capacity = self.capacity
        avoid_real = capacity >= _ROOM * (needed + self.real_count)
        if not avoid_real and self.real_count:
            log.info(
                "text key shapes %s hold only %d values for %d keys: real key values may recur",
                list(self.shapes[:3]),
                capacity,
                needed,
            )
        if needed > capacity:
            raise GenerationError(
                f"cannot make {needed} unique keys of shapes {list(self.shapes[:3])}: they admit "
                f"only {capacity}; widen the key column or generate fewer rows"
            )
        probs = np.asarray(self.weights, dtype=float)
        probs = probs / probs.sum()
        out: list[str] = []
        misses = 0
        while len(out) < n:
            want = n - len(out)
            picks = self._rng.choice(len(self.shapes), size=want, p=probs)
            for shape_index in picks:
                value = random_like(self.shapes[shape_index], self._rng)
                if value in self._emitted or (avoid_real and _hash(value, self.salt) in self.real):
                    misses += 1
                    continue
                self._emitted.add(value)
                out.append(value)
            if misses > 50 * (n + 100):
                # Rare shapes may be full while common ones are not: spread over all shapes.
                probs = np.full(len(self.shapes), 1 / len(self.shapes))
                if misses > 500 * (n + 100):
                    raise GenerationError(
                        f"text keys of shapes {list(self.shapes[:3])} collide too often; "
                        "widen the key column"
                    )
        return pd.Series(out, dtype=object)

    # -- state ----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "kind": self.kind.value,
            "seed": self.seed,
            "start": self.start,
            "increment": self.increment,
            "max_value": self.max_value,
            "shapes": list(self.shapes),
            "weights": list(self.weights),
            "max_length": self.max_length,
            "salt": self.salt,
            "real": sorted(self.real),
            "real_count": self.real_count,
            "next_value": self.next_value,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KeyGenerator:
        if data.get("format_version") != FORMAT_VERSION:
            raise ArtifactError(
                f"key generator state has format version {data.get('format_version')!r}, this "
                f"relsynth reads {FORMAT_VERSION}; train the run again with this version"
            )
        try:
            return cls(
                KeyKind(data["kind"]),
                seed=int(data["seed"]),
                start=int(data["start"]),
                increment=int(data["increment"]),
                max_value=data["max_value"],
                shapes=tuple(data["shapes"]),
                weights=tuple(float(w) for w in data["weights"]),
                max_length=data["max_length"],
                salt=str(data["salt"]),
                real=frozenset(data["real"]),
                real_count=int(data["real_count"]),
                next_value=data["next_value"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(f"key generator state is damaged ({exc!r}); train again") from exc


def _kind_of(values: pd.Series) -> KeyKind:
    if pd.api.types.is_integer_dtype(values) or (
        pd.api.types.is_float_dtype(values) and bool((values == values.round()).all())
    ):
        return KeyKind.INTEGER
    sample = [v for v in values.iloc[:200]]
    if sample and all(isinstance(v, uuid.UUID) for v in sample):
        return KeyKind.UUID
    texts = [str(v) for v in sample]
    if texts and all(_is_uuid(v) for v in texts):
        return KeyKind.UUID
    return KeyKind.TEXT


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text) in (32, 36)


def drop_duplicate_keys(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` without rows that repeat an earlier row's composite key in ``columns``.

    Rows with a NULL in any key column are kept: SQL treats NULLs as distinct in a UNIQUE key.
    The index is kept, so the caller can see which rows went.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise GenerationError(
            f"composite key columns {missing} are not in the frame (it has {list(frame.columns)})"
        )
    keys = frame[list(columns)]
    has_null = keys.isna().any(axis=1)
    duplicated = keys.duplicated(keep="first") & ~has_null
    return frame.loc[~duplicated]
