"""Identifying text (PII): realistic fake values in place of the real ones.

Which columns are identifying is decided by ``relsynth.values.detection`` (re-exported here).

Generation never looks at a real value: Faker supplies names, streets, cities and companies; phone
numbers and postal codes follow the *shapes* of the source (``+9 (999) 999-9999``), which carry
its format but none of its digits. Values are consistent within a row (an email is built from
that row's names), unique where asked (across successive ``generate`` calls), never equal to a
forbidden real value, and no longer than the column allows. Everything follows from one seed.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from faker import Faker

from relsynth.errors import GenerationError
from relsynth.values.detection import IdentifyingKind, _strings, detect, tokens

K = IdentifyingKind

log = logging.getLogger(__name__)

__all__ = [
    "IdentifyingGenerator",
    "IdentifyingKind",
    "ValueProfile",
    "detect",
    "detect_locale",
    "random_like",
    "shape_of",
    "tokens",
]


# ---------------------------------------------------------------------------------------------
# Shapes: the format of a value without its content.

_UPPER, _LOWER, _DIGIT = "A", "a", "9"
_UPPER_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
_LOWER_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))
_DIGITS = np.array(list("0123456789"))


def shape_of(value: str) -> str:
    """The format of ``value``: upper-case letters become ``A``, lower-case ``a``, digits ``9``.

    Everything else (spaces, ``+``, brackets, dashes) is kept, so ``"+1 (604) 555-3255"`` has the
    shape ``"+9 (999) 999-9999"`` and ``"H2G 1A7"`` the shape ``"A9A 9A9"``.
    """
    out = []
    for char in str(value):
        if char.isdigit():
            out.append(_DIGIT)
        elif char.isalpha():
            out.append(_LOWER if char.islower() else _UPPER)
        else:
            out.append(char)
    return "".join(out)


def random_like(shape: str, rng: np.random.Generator) -> str:
    """A random value of ``shape`` (see ``shape_of``): new letters and digits, same punctuation."""
    chars = list(shape)
    for i, char in enumerate(chars):
        if char == _DIGIT:
            chars[i] = str(_DIGITS[rng.integers(10)])
        elif char == _UPPER:
            chars[i] = str(_UPPER_LETTERS[rng.integers(26)])
        elif char == _LOWER:
            chars[i] = str(_LOWER_LETTERS[rng.integers(26)])
    return "".join(chars)


def shape_space(shape: str) -> int:
    """How many distinct values ``shape`` admits."""
    size = 1
    for char in shape:
        size *= 10 if char == _DIGIT else 26 if char in (_UPPER, _LOWER) else 1
    return size



# Characters that betray a language, with the Faker locale they suggest.
_LOCALE_HINTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"[\u3040-\u30ff]"), "ja_JP"),
    (re.compile(r"[\uac00-\ud7af]"), "ko_KR"),
    (re.compile(r"[\u4e00-\u9fff]"), "zh_CN"),
    (re.compile(r"[\u0400-\u04ff]"), "ru_RU"),
    (re.compile(r"[\u0370-\u03ff]"), "el_GR"),
    (re.compile(r"[äöüßÄÖÜ]"), "de_DE"),
    (re.compile(r"[ñáíóú¿¡]"), "es_ES"),
    (re.compile(r"[çéèêëàâîôûœ]"), "fr_FR"),
    (re.compile(r"[åøæÅØÆ]"), "no_NO"),
    (re.compile(r"[ąćęłńśźżŁŚŻ]"), "pl_PL"),
]


def detect_locale(values: pd.Series, *, default: str = "en_US") -> str:
    """A Faker locale suggested by the characters of ``values``; ``default`` when unclear.

    Only a clear majority counts: a column of mixed nationalities stays on ``default``.
    """
    texts = _strings(values, limit=1000)
    if not texts:
        return default
    counts: Counter[str] = Counter()
    for value in texts:
        for pattern, locale in _LOCALE_HINTS:
            if pattern.search(value):
                counts[locale] += 1
                break
    if counts:
        locale, hits = counts.most_common(1)[0]
        if hits >= 0.5 * len(texts):
            return locale
    return default


# ---------------------------------------------------------------------------------------------
# Profiles: format facts learned from a column, safe to store (no value is kept).


@dataclass(frozen=True)
class ValueProfile:
    """The formats of a column: its value shapes with weights, and its letter case.

    Shapes are kept only for kinds whose format matters and whose shape says nothing about a
    person (phone numbers, postal codes); ``case`` is ``upper``, ``lower``, ``title`` or ``mixed``.
    """

    shapes: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()
    case: str = "mixed"
    ipv6: bool = False

    @classmethod
    def fit(cls, values: pd.Series, kind: IdentifyingKind, *, max_shapes: int = 50) -> ValueProfile:
        texts = _strings(values) or []
        shapes: tuple[str, ...] = ()
        weights: tuple[float, ...] = ()
        if kind in _SHAPED and texts:
            counts = Counter(shape_of(v) for v in texts).most_common(max_shapes)
            total = sum(c for _, c in counts)
            shapes = tuple(s for s, _ in counts)
            weights = tuple(c / total for _, c in counts)
        ipv6 = kind is K.IP_ADDRESS and sum(":" in v for v in texts) > 0.5 * max(len(texts), 1)
        return cls(shapes=shapes, weights=weights, case=case_of(texts), ipv6=ipv6)

    def to_dict(self) -> dict[str, Any]:
        return {
            "shapes": list(self.shapes),
            "weights": list(self.weights),
            "case": self.case,
            "ipv6": self.ipv6,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValueProfile:
        return cls(
            shapes=tuple(data.get("shapes", ())),
            weights=tuple(float(w) for w in data.get("weights", ())),
            case=str(data.get("case", "mixed")),
            ipv6=bool(data.get("ipv6", False)),
        )


def case_of(texts: Sequence[str]) -> str:
    """``upper``, ``lower``, ``title`` when 90% of the lettered values are so, else ``mixed``."""
    letters = [v for v in texts if any(ch.isalpha() for ch in v)]
    if not letters:
        return "mixed"
    for name, test in (("upper", str.isupper), ("lower", str.islower), ("title", str.istitle)):
        if sum(test(v) for v in letters) >= 0.9 * len(letters):
            return name
    return "mixed"


def apply_case(value: str, case: str) -> str:
    if case == "upper":
        return value.upper()
    if case == "lower":
        return value.lower()
    if case == "title":
        return value.title()
    return value


# ---------------------------------------------------------------------------------------------
# Generation

_FAKER_METHOD = {
    K.FIRST_NAME: "first_name",
    K.LAST_NAME: "last_name",
    K.FULL_NAME: "name",
    K.STREET_ADDRESS: "street_address",
    K.SECONDARY_ADDRESS: "secondary_address",
    K.CITY: "city",
    K.POSTAL_CODE: "postcode",
    K.PHONE: "phone_number",
    K.URL: "url",
    K.COMPANY: "company",
    K.IBAN: "iban",
    K.CARD_NUMBER: "credit_card_number",
    K.NATIONAL_ID: "ssn",
}
# Kinds whose values follow the source's shapes (its format, none of its characters).
_SHAPED = (K.PHONE, K.POSTAL_CODE, K.NATIONAL_ID)
_MAX_TRIES = 50
# Names first, then what is built from them.
_ORDER = {K.FIRST_NAME: 0, K.LAST_NAME: 0, K.FULL_NAME: 0, K.EMAIL: 2, K.USERNAME: 2}


def _slug(text: str) -> str:
    """An email/login-safe form of a name: ``"Jean-Luc O'Neil"`` -> ``"jeanluconeil"``."""
    decomposed = unicodedata.normalize("NFKD", str(text).lower().replace("ß", "ss"))
    lowered = decomposed.replace("ø", "o").replace("æ", "ae").replace("ł", "l")
    return re.sub(r"[^a-z0-9]", "", lowered)


@dataclass
class _Column:
    name: str
    kind: IdentifyingKind
    profile: ValueProfile
    unique: bool
    max_length: int | None
    null_rate: float
    forbidden: frozenset[str]  # casefolded
    emitted: set[str] = field(default_factory=set)  # casefolded, for unique columns


class IdentifyingGenerator:
    """Fake identifying values for one table's identifying columns, row-consistent and stateful.

    ``kinds`` maps column -> kind. ``unique`` names columns whose values must never repeat, also
    across calls; ``forbidden`` holds real values never to emit (compared case-insensitively);
    ``max_lengths`` are VARCHAR limits; ``null_rates`` the share of NULLs to emit per column (the
    caller passes 0, or nothing, for NOT NULL columns); ``profiles`` carry source formats
    (``ValueProfile.fit``). ``pool_size`` bounds Faker calls per column and call: larger
    requests draw from a pool of that many Faker values, which keeps a million rows fast.
    """

    def __init__(
        self,
        kinds: Mapping[str, IdentifyingKind],
        *,
        seed: int,
        locale: str = "en_US",
        unique: set[str] | frozenset[str] = frozenset(),
        forbidden: Mapping[str, set[Any]] | None = None,
        max_lengths: Mapping[str, int] | None = None,
        null_rates: Mapping[str, float] | None = None,
        profiles: Mapping[str, ValueProfile] | None = None,
        pool_size: int = 5000,
    ) -> None:
        forbidden = forbidden or {}
        max_lengths = max_lengths or {}
        null_rates = null_rates or {}
        profiles = profiles or {}
        unknown = (set(unique) | set(forbidden) | set(max_lengths) | set(null_rates)) - set(kinds)
        if unknown:
            raise GenerationError(
                f"identifying generator got options for columns {sorted(unknown)} that have no "
                "kind; pass a kind for each of them, or drop the options"
            )
        seeds = np.random.SeedSequence(seed).generate_state(3)
        self._rng = np.random.default_rng(int(seeds[0]))
        self._faker = Faker(locale)
        self._faker.seed_instance(int(seeds[1]))
        self._fallback = Faker("en_US")  # for methods a locale lacks (secondary_address, ...)
        self._fallback.seed_instance(int(seeds[2]))
        self.locale = locale
        self._columns = [
            _Column(
                name=name,
                kind=IdentifyingKind(kind),
                profile=profiles.get(name, ValueProfile()),
                unique=name in unique,
                max_length=max_lengths.get(name),
                null_rate=float(null_rates.get(name, 0.0)),
                forbidden=frozenset(
                    str(v).casefold() for v in forbidden.get(name, ()) if v is not None
                ),
            )
            for name, kind in kinds.items()
        ]
        self._pool_size = pool_size
        self._from_parts = False

    # -- Faker plumbing ---------------------------------------------------------------------

    def _fake(self, method: str) -> str:
        try:
            return str(getattr(self._faker, method)())
        except AttributeError:
            return str(getattr(self._fallback, method)())

    def _draw(self, method: str, n: int) -> list[str]:
        """``n`` Faker values, from a pool when ``n`` is large (Faker costs ~50 µs a value)."""
        if n <= self._pool_size:
            return [self._fake(method) for _ in range(n)]
        pool = np.array([self._fake(method) for _ in range(self._pool_size)], dtype=object)
        return list(pool[self._rng.integers(self._pool_size, size=n)])

    # -- one value per kind -------------------------------------------------------------------

    def _one(self, col: _Column, row: dict[str, Any], attempt: int) -> str:
        kind = col.kind
        if kind in _SHAPED and col.profile.shapes:
            return random_like(self._pick_shape(col), self._rng)
        if kind is K.EMAIL:
            return self._email(col, row, attempt)
        if kind is K.USERNAME:
            return apply_case(self._username(col, row, attempt), col.profile.case)
        if kind is K.FULL_NAME:
            if not self._from_parts:  # a fresh person, so that the row's email follows
                row["__first"], row["__last"] = self._fake("first_name"), self._fake("last_name")
            return apply_case(
                f"{row['__first']} {row['__last']}" if attempt < 3 else self._fake("name"),
                col.profile.case,
            )
        if kind is K.IP_ADDRESS:
            return self._fake("ipv6" if col.profile.ipv6 else "ipv4_public")
        value = self._fake(_FAKER_METHOD[kind])
        if kind in (K.FIRST_NAME, K.LAST_NAME, K.FULL_NAME, K.CITY, K.COMPANY):
            value = apply_case(value, col.profile.case)
        return value

    def _pick_shape(self, col: _Column) -> str:
        shapes = col.profile.shapes
        weights = np.asarray(col.profile.weights, dtype=float)
        return shapes[int(self._rng.choice(len(shapes), p=weights / weights.sum()))]

    def _names(self, row: Mapping[str, str]) -> tuple[str, str]:
        first = row.get("__first") or self._fake("first_name")
        last = row.get("__last") or self._fake("last_name")
        return _slug(first) or "user", _slug(last) or "name"

    def _local_part(self, row: Mapping[str, Any], attempt: int, room: int | None) -> str:
        """A login built from the row's names, with digits on collisions; at most ``room`` long."""
        first, last = self._names(row)
        patterns = (
            f"{first}.{last}",
            f"{first[0]}{last}",
            f"{first}{last[0]}",
            f"{first}_{last}",
            f"{first}{last}",
        )
        stem = patterns[int(self._rng.integers(len(patterns)))]
        digits = ""
        # Later attempts (collisions, forbidden values) add digits, then more of them.
        if attempt > 0 or self._rng.random() < 0.2:
            width = 2 if attempt < 5 else 4 if attempt < 20 else 6
            digits = str(int(self._rng.integers(10 ** (width - 1), 10**width)))
        if room is not None and len(stem) + len(digits) > room:
            # Shorten the name, never the digits that make it unique.
            stem = stem[: max(room - len(digits), 1)].rstrip("._")
            digits = digits[: max(room - len(stem), 0)]
        return stem + digits

    def _email(self, col: _Column, row: Mapping[str, Any], attempt: int) -> str:
        domain = self._fake("free_email_domain")
        room = None
        if col.max_length is not None:
            if len(domain) + 3 > col.max_length:
                domain = "x.io"
            room = max(col.max_length - len(domain) - 1, 1)
        return f"{self._local_part(row, attempt, room)}@{domain}"

    def _username(self, col: _Column, row: Mapping[str, Any], attempt: int) -> str:
        return self._local_part(row, attempt, col.max_length).replace(".", "")

    # -- fitting one value to the column's rules ------------------------------------------------

    def _fit_length(self, col: _Column, value: str) -> str:
        limit = col.max_length
        if limit is None or len(value) <= limit:
            return value
        return value[:limit].rstrip()

    def _acceptable(self, col: _Column, value: str) -> bool:
        key = value.casefold()
        if key in col.forbidden:
            return False
        return not (col.unique and key in col.emitted)

    def _settle(self, col: _Column, value: str, row: dict[str, Any]) -> str:
        """``value`` if allowed, else a regenerated one; raises when the rules leave no room."""
        value = self._fit_length(col, value)
        attempt = 0
        while not self._acceptable(col, value):
            attempt += 1
            if attempt > _MAX_TRIES:
                raise GenerationError(
                    f"could not find a new {col.kind.value} value for column {col.name!r} after "
                    f"{_MAX_TRIES} tries: its format (max length {col.max_length}, "
                    f"{len(col.emitted)} values used, {len(col.forbidden)} real values forbidden) "
                    "leaves no room; widen the column or drop its UNIQUE constraint"
                )
            value = self._one(col, row, attempt)
            if attempt > 10 and col.kind not in (K.EMAIL, K.USERNAME, *_SHAPED, K.IBAN, K.CARD_NUMBER):
                value = f"{value} {int(self._rng.integers(2, 10 ** (1 + attempt // 10)))}"
            value = self._fit_length(col, value)
        if col.unique:
            col.emitted.add(value.casefold())
        return value

    # -- public ---------------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(col.name for col in self._columns)

    def generate(self, n: int) -> pd.DataFrame:
        """``n`` more rows; successive calls continue (unique values never repeat across them)."""
        if n < 0:
            raise GenerationError(f"asked for {n} identifying rows; ask for zero or more")
        kinds = {col.kind for col in self._columns}
        # Hidden names shared by the row: full names, emails and logins are built from them.
        needs_names = bool(kinds & {K.FIRST_NAME, K.LAST_NAME, K.FULL_NAME, K.EMAIL, K.USERNAME})
        first = self._draw("first_name", n) if needs_names else [None] * n
        last = self._draw("last_name", n) if needs_names else [None] * n
        self._from_parts = bool(kinds & {K.FIRST_NAME, K.LAST_NAME})
        out: dict[str, list[Any]] = {}
        for col in self._columns:
            if col.kind is K.FIRST_NAME:
                values = first
            elif col.kind is K.LAST_NAME:
                values = last
            elif col.kind in _SHAPED and col.profile.shapes:
                weights = np.asarray(col.profile.weights, dtype=float)
                picks = self._rng.choice(len(weights), size=n, p=weights / weights.sum())
                values = [random_like(col.profile.shapes[int(i)], self._rng) for i in picks]
            elif col.kind in _FAKER_METHOD and col.kind is not K.FULL_NAME:
                values = self._draw(_FAKER_METHOD[col.kind], n)
            else:
                values = [None] * n  # built per row below
            out[col.name] = list(values)
        ordered = sorted(self._columns, key=lambda col: _ORDER.get(col.kind, 1))
        for i in range(n):
            row: dict[str, Any] = {"__first": first[i], "__last": last[i]}
            for col in ordered:
                value = out[col.name][i]
                if col.kind is K.FULL_NAME:
                    value = f"{row['__first']} {row['__last']}"
                if value is None:
                    value = self._one(col, row, 0)
                elif col.kind in (K.FIRST_NAME, K.LAST_NAME, K.FULL_NAME, K.CITY, K.COMPANY):
                    value = apply_case(value, col.profile.case)
                value = self._settle(col, value, row)
                out[col.name][i] = value
                # Later columns of the row (full name, email, login) follow the settled names.
                if col.kind is K.FIRST_NAME:
                    row["__first"] = value
                elif col.kind is K.LAST_NAME:
                    row["__last"] = value
        frame = pd.DataFrame({name: pd.Series(vals, dtype=object) for name, vals in out.items()})
        for col in self._columns:
            if col.null_rate > 0 and n:
                mask = self._rng.random(n) < col.null_rate
                if col.unique:  # a NULL frees its value for later rows
                    for value in frame.loc[mask, col.name]:
                        col.emitted.discard(str(value).casefold())
                frame.loc[mask, col.name] = None
        return frame
