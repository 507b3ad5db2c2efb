"""Person names recognised by their words: Faker's first and last names of every locale.

A value names a person when a capitalised first name is followed by a capitalised last name
("Angus Young, Malcolm Young"). A column holds people's names, whatever it is called
(``composer``, ``manager_name``), when enough of its distinct values do; a song title that
happens to be "Billie Jean" now and then does not make a column of titles one of names.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from faker.providers import person

_WORD_RE = re.compile(r"[^\W\d_][\w'\-]*")
_FIRST_ATTRS = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary")
_LAST_ATTRS = ("last_names", "last_names_male", "last_names_female")
# Words shorter than this are initials or particles ("Al", "Jo"), too common in titles to count.
_MIN_WORD = 3


def _listed(provider: type, attrs: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for attr in attrs:
        for base in provider.__mro__:  # class attributes only: some locales define properties
            if attr in base.__dict__:
                value = base.__dict__[attr]
                if isinstance(value, (list, tuple, set, frozenset, dict)) or hasattr(value, "keys"):
                    found.update(str(name).casefold() for name in value)
                break
    return found


@lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names) of every Faker locale, casefolded."""
    first: set[str] = set()
    last: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        first |= _listed(provider, _FIRST_ATTRS)
        last |= _listed(provider, _LAST_ATTRS)
    return frozenset(w for w in first if len(w) >= _MIN_WORD), frozenset(w for w in last if len(w) >= _MIN_WORD)


def names_a_person(value: str) -> bool:
    """``value`` holds a capitalised first name followed by a capitalised last name."""
    first, last = name_lists()
    words = _WORD_RE.findall(str(value))
    return any(
        a[:1].isupper() and b[:1].isupper() and a.casefold() in first and b.casefold() in last
        for a, b in zip(words, words[1:], strict=False)
    )


def person_name_share(values: Iterable[str]) -> float:
    """Share of the distinct ``values`` that name a person (0 when there are none)."""
    distinct = {str(v) for v in values}
    if not distinct:
        return 0.0
    return sum(names_a_person(v) for v in distinct) / len(distinct)
