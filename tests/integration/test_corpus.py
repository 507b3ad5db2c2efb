"""Bad input, measured: random awkward databases either clone cleanly or stop with one clear line.

Each example (see ``corpus.databases``) is created on a real engine and cloned into an empty
database of the same engine. It holds when the clone loads with every constraint in place, or
when relsynth refuses with a ``RelsynthError`` of one line and leaves the target empty.
"""

from __future__ import annotations

import pytest
from corpus import create, databases, try_clone
from hypothesis import HealthCheck, Phase, given, note, settings

pytestmark = pytest.mark.slow  # clones random databases on every engine

ENGINES = ("sqlite", "postgresql", "mysql")


@pytest.mark.parametrize("engine", ENGINES)
def test_random_databases_clone_or_stop_with_one_clear_message(engine, make_database) -> None:
    @settings(
        max_examples=6, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
    )
    @given(database=databases(engine))
    def case(database) -> None:
        source, target = make_database(engine), make_database(engine)
        create(database, engine, source)
        note("\n".join(database.script(engine)))
        outcome = try_clone(database, source, target)
        assert outcome.held, outcome.detail

    case()
