"""PostgreSQL's structured built-in types cloned end to end: geometry, ranges, multiranges,
intervals and times, and an exclusion constraint (room bookings).

The source is ``schemas/pg_structured.sql``. Each family is checked on a PostgreSQL clone (the
values load into their own types, and their learned numbers stay within the source's span and
near its medians), and the same source clones into SQLite and MariaDB as literal text that
PostgreSQL reads back as the original types.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pandas as pd
import pytest
import sqlalchemy as sa
from fixtures import load_fixture
from sqlalchemy.engine import URL, make_url

from relsynth.config import RelsynthConfig
from relsynth.connections import create_engine
from relsynth.modeling import ModelConfig
from relsynth.pipeline import clone
from relsynth.schema.introspection import introspect

pytestmark = pytest.mark.slow  # every test reads a trained clone

FAST = RelsynthConfig(model=ModelConfig(max_training_seconds=2.0))
# The PostgreSQL clone trains by epochs (no clock), long enough to learn how the parts relate.
LEARNED = RelsynthConfig(model=ModelConfig(epochs=60, max_training_seconds=300.0))
STRUCTURED = {
    "site": ("location", "footprint", "coverage", "boundary", "route", "frontage", "axis"),
    "rate_plan": ("nights", "guests", "price", "season", "checkin", "promo"),
    "schedule": ("slots", "closures"),
    "booking": ("during",),
}
TYPES = {"location": "point", "footprint": "box", "coverage": "circle", "boundary": "polygon", "route": "path",
         "frontage": "lseg", "axis": "line", "nights": "int4range", "guests": "int8range", "price": "numrange",
         "season": "daterange", "checkin": "tsrange", "promo": "tstzrange", "slots": "int4multirange",
         "closures": "datemultirange", "during": "tstzrange"}


def _database(server: URL, admin: sa.Engine) -> str:
    name = f"rs_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return server.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def pg_clone(postgres_server: URL) -> Iterator[tuple[str, str]]:
    """(source, PostgreSQL clone), made once for the module."""
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    source, target = _database(postgres_server, admin), _database(postgres_server, admin)
    try:
        load_fixture(source, "pg_structured")
        clone(source, target, config=LEARNED)
        yield source, target
    finally:
        with admin.connect() as connection:
            for url in (source, target):
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
        admin.dispose()


def _frame(url: str, sql: str) -> pd.DataFrame:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return pd.DataFrame(connection.exec_driver_sql(sql).mappings().all())
    finally:
        engine.dispose()


def _both(pg_clone: tuple[str, str], sql: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    source, target = pg_clone
    return _frame(source, sql), _frame(target, sql)


def _within(real: pd.Series, fake: pd.Series, slack: float = 0.0) -> bool:
    real, fake = real.dropna().astype(float), fake.dropna().astype(float)
    span = real.max() - real.min()
    return fake.min() >= real.min() - slack * span and fake.max() <= real.max() + slack * span


def _near_median(real: pd.Series, fake: pd.Series, factor: float = 2.0) -> bool:
    a, b = real.dropna().astype(float).median(), fake.dropna().astype(float).median()
    return a / factor <= b <= a * factor


def test_geometric_values_load_as_shapes_near_the_source(pg_clone) -> None:
    sql = """SELECT location[0] AS x, location[1] AS y, width(footprint) AS w, height(footprint) AS h,
                    radius(coverage) AS r, coverage IS NULL AS no_coverage, npoints(boundary) AS corners,
                    area(box(boundary)) AS area, isclosed(route) AS closed, length(frontage) AS frontage,
                    (axis <-> point(0, 0)) IS NOT NULL AS has_axis FROM site"""
    real, fake = _both(pg_clone, sql)
    assert len(fake) == len(real)
    assert _within(real["x"], fake["x"]) and _within(real["y"], fake["y"])  # in the source's bounding box
    for column in ("w", "h", "r", "frontage", "area"):
        assert (fake[column].dropna() >= 0).all()
        assert _near_median(real[column], fake[column]), column
    assert 0 < fake["no_coverage"].mean() < 0.3  # NULLs at about the source's 10 %
    assert set(fake["corners"]) <= set(real["corners"])
    assert 0.1 < fake["closed"].mean() < 0.6 and fake["has_axis"].all()
    # A site's footprint starts at its location, as in the source: the model keeps the correlation.
    corner = _frame(pg_clone[1], "SELECT corr(location[0], (footprint[1])[0]) AS c FROM site")["c"][0]
    assert corner > 0.8


def test_ranges_keep_bounds_widths_empties_and_inclusivity(pg_clone) -> None:
    sql = """SELECT lower(nights) AS lo, upper(nights) - lower(nights) AS nights_width,
                    upper_inf(guests) AS open_guests, lower(price) AS price_lo, upper(price) - lower(price) AS price_width,
                    lower_inc(price) AND upper_inc(price) AS closed_price, isempty(season) AS empty_season,
                    upper_inf(season) AS open_season, lower(season) - date '2024-01-01' AS season_day,
                    upper(season) - lower(season) AS season_days,
                    extract(epoch FROM upper(checkin) - lower(checkin)) AS checkin_seconds,
                    extract(epoch FROM lower(checkin)) AS checkin_at, promo IS NULL AS no_promo, upper_inf(promo) AS open_promo
             FROM rate_plan"""
    real, fake = _both(pg_clone, sql)
    for column in ("lo", "price_lo", "season_day", "checkin_at"):
        assert _within(real[column], fake[column]), column
    for column in ("nights_width", "price_width", "season_days", "checkin_seconds"):
        assert (fake[column].dropna() > 0).all() and _near_median(real[column], fake[column]), column
    assert fake["closed_price"].all()  # numrange(..., '[]') keeps both ends inclusive
    assert 0.03 < fake["empty_season"].mean() < 0.3 and fake["open_season"].any()
    assert 0.05 < fake["open_guests"].mean() < 0.4
    assert 0.1 < fake["no_promo"].mean() < 0.45 and fake["open_promo"].dropna().all()


def test_multiranges_stay_in_their_span(pg_clone) -> None:
    sql = """SELECT lower(slots) AS lo, upper(slots) - lower(slots) AS span,
                    isempty(closures) AS no_closures, lower(closures) - date '2024-01-01' AS closed_from,
                    upper(closures) - lower(closures) AS closed_span FROM schedule"""
    real, fake = _both(pg_clone, sql)
    assert _within(real["lo"], fake["lo"]) and _within(real["closed_from"], fake["closed_from"])
    assert _near_median(real["span"], fake["span"]) and _near_median(real["closed_span"], fake["closed_span"])
    assert 0.03 < fake["no_closures"].mean() < 0.35


def test_intervals_and_times_keep_their_shape(pg_clone) -> None:
    sql = """SELECT extract(epoch FROM stay) AS stay, extract(epoch FROM opens) AS opens,
                    extract(hour FROM closes) AS closes_hour FROM timing"""
    real, fake = _both(pg_clone, sql)
    assert _within(real["stay"], fake["stay"]) and _near_median(real["stay"], fake["stay"], 1.5)
    assert _within(real["opens"], fake["opens"])
    assert fake["closes_hour"].notna().all()


def test_no_part_seen_fewer_than_k_times_comes_out(pg_clone) -> None:
    # a season's start is a day among 300: most are seen once or twice, none of those may come out
    sql = "SELECT lower(season) AS day, count(*) AS n FROM rate_plan WHERE lower(season) IS NOT NULL GROUP BY 1"
    real, fake = _both(pg_clone, sql)
    rare = set(real.loc[real["n"] < 3, "day"])
    assert len(rare) > 50 and len(fake) > 20
    assert not rare & set(fake["day"])


def test_bookings_clone_with_their_exclusion_constraints(pg_clone) -> None:
    source, target = pg_clone
    constraint = introspect(target).table("booking").exclusion_constraints
    assert [c.definition for c in constraint] == ["EXCLUDE USING gist (room_id WITH =, during WITH &&)"]
    real, fake = _both(pg_clone, "SELECT room_id, extract(epoch FROM upper(during) - lower(during)) AS seconds FROM booking")
    assert abs(len(fake) - len(real)) <= 0.25 * len(real)
    assert fake["room_id"].nunique() > 6 and _near_median(real["seconds"], fake["seconds"])
    desks = introspect(target).table("desk_booking").exclusion_constraints
    assert [c.definition for c in desks] == ["EXCLUDE USING gist (desk WITH =, tsrange(starts_at, ends_at, '[]'::text) WITH &&)"]
    assert not [w for w in introspect(source).warnings if "recognize" in w]  # the shapes are known types
    # The target enforces it: an overlapping booking is refused.
    engine = create_engine(target)
    try:
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO booking (room_id, guests, during) SELECT room_id, guests, during FROM booking LIMIT 1"
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("engine", ["sqlite", "mysql"])
def test_structured_values_clone_to_other_engines_as_valid_literals(engine: str, pg_clone, make_database) -> None:
    source, _ = pg_clone
    target = make_database(engine)
    result = clone(source, target, config=FAST)
    assert result.rows["site"] == 160 and result.rows["timing"] == 160
    assert f"exclusion constraint booking_no_overlap on booking is not carried to {engine}" in result.warnings
    checker = create_engine(source)
    try:
        with checker.connect() as connection:
            for table, columns in STRUCTURED.items():
                for column in columns:
                    texts = _frame(target, f"SELECT {column} AS v FROM {table}")["v"].dropna().astype(str).tolist()
                    assert texts, (table, column)
                    # PostgreSQL reads every literal back as the source's type (a bad one raises)
                    cast = f"SELECT count(CAST(v AS {TYPES[column]})) FROM unnest(CAST(:texts AS text[])) v"
                    assert connection.execute(sa.text(cast), {"texts": texts}).scalar_one() == len(texts)
    finally:
        checker.dispose()
