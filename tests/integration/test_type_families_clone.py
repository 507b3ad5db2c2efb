"""Engine types with a syntax of their own, cloned end to end: every value loads as its type and
follows the source (address families, prefix and bit lengths, array lengths, XML shapes, lexemes,
ranges), in the same engine and across engines. Fixtures: ``schemas/**/types_families.sql``.
"""

from __future__ import annotations

import ipaddress
import json
import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from fixtures import load_fixture

from relsynth.config import RelsynthConfig
from relsynth.connections import create_engine
from relsynth.modeling import ModelConfig
from relsynth.pipeline import clone

pytestmark = pytest.mark.slow  # every test clones

FAST = RelsynthConfig(model=ModelConfig(max_training_seconds=2.0))
ROWS = 240


def _frame(url: str, sql: str) -> pd.DataFrame:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return pd.DataFrame(connection.exec_driver_sql(sql).mappings().all())
    finally:
        engine.dispose()


def _set(url: str, sql: str) -> set:
    frame = _frame(url, sql)
    return set(frame.iloc[:, 0].dropna().tolist())


_PG_SQL = """
SELECT price::numeric AS price, spec::text AS spec, host(ip) AS host, family(ip) AS fam, masklen(ip) AS ip_len,
       subnet = network(subnet) AS subnet_ok, masklen(subnet) AS subnet_len, host(gateway) AS gateway, mac::text AS mac,
       mac8::text AS mac8, length(flags) AS flags_len, length(history) AS history_len, cardinality(seen_from) AS seen_len,
       colors::text[] AS colors, shade::text AS shade, cardinality(fees) AS fees_len
FROM device
"""


@pytest.fixture
def pg_source(make_database) -> str:
    return load_fixture(make_database("postgresql"), "types_families")


def test_postgresql_types_clone_into_postgresql_valid_and_learned(pg_source: str, make_database) -> None:
    target = make_database("postgresql")
    clone(pg_source, target, config=FAST)
    real, fake = _frame(pg_source, _PG_SQL), _frame(target, _PG_SQL)
    assert len(fake) == ROWS
    # money: a number within the source's range
    assert real.price.min() <= fake.price.min() and fake.price.max() <= real.price.max()
    # inet: the same address families in about the same shares, the source's prefix lengths, not its hosts
    assert abs((fake.fam == 6).mean() - (real.fam == 6).mean()) < 0.12
    assert set(fake.ip_len) <= set(real.ip_len)
    assert fake.host.isin(set(real.host)).mean() < 0.2
    assert all(ipaddress.ip_address(h).is_private for h in fake.host[fake.fam == 4])
    # cidr: host bits zero, learned prefix lengths; a domain over inet is an inet
    assert fake.subnet_ok.dropna().all() and set(fake.subnet_len.dropna()) <= {24, 28}
    assert all(ipaddress.ip_address(g) in ipaddress.ip_network("192.168.0.0/16") for g in fake.gateway.dropna())
    # macaddr/macaddr8: the shared vendor prefix, random device bytes
    assert fake.mac.str.startswith("00:1a:2b:").all() and fake.mac8.str.startswith("00:1a:2b:").all()
    assert fake.mac.isin(set(real.mac)).mean() < 0.2
    # bit(8) is 8 bits; bit varying keeps the source's lengths
    assert set(fake["flags_len"]) == {8}
    assert set(fake.history_len.dropna()) <= set(range(4, 16))
    # arrays: the source's lengths (or NULL), enum elements from the labels, a domain's CHECK kept
    assert set(fake.seen_len.dropna()) <= set(real.seen_len.dropna())
    assert {c for colors in fake.colors for c in colors} <= {"red", "green", "blue"}
    assert "blue" not in set(fake.shade.dropna())
    assert set(fake.fees_len.dropna()) == {2}
    owners = "SELECT DISTINCT unnest(owners)::text FROM device"
    fake_owners = _set(target, owners)
    assert len(fake_owners) > ROWS and not fake_owners & _set(pg_source, owners)  # fresh uuids
    # xml: the source's elements and attributes, text synthesised
    for document in fake.spec.dropna():
        root = ET.fromstring(document)
        assert root.tag == "device" and {child.tag for child in root} <= {"port", "note"}
        assert set(root.attrib) <= {"model", "rev"}
    assert not set(fake.spec.dropna()) & set(real.spec)
    # tsvector/tsquery: frequent lexemes only (never "unit17", seen once)
    lexemes = "SELECT DISTINCT unnest(tsvector_to_array(search)) FROM device"
    real_lexemes, fake_lexemes = _set(pg_source, lexemes), _set(target, lexemes)
    assert fake_lexemes and fake_lexemes <= real_lexemes and not any(re.fullmatch(r"unit\d+", w) for w in fake_lexemes)
    query_lexemes = "SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('simple', replace(querytree(query), '''', ' ')))) FROM device"
    assert _set(target, query_lexemes) <= _set(pg_source, query_lexemes)


@pytest.mark.parametrize("engine", ["sqlite", "mysql"])
def test_postgresql_types_clone_into_other_engines_as_valid_text(pg_source: str, engine: str, make_database) -> None:
    target = make_database(engine)
    clone(pg_source, target, config=FAST)
    fake = _frame(target, "SELECT * FROM device")
    assert len(fake) == ROWS
    real_prices = _frame(pg_source, "SELECT price::numeric AS price FROM device").price
    prices = fake.price.astype(float)
    assert real_prices.min() <= prices.min() and prices.max() <= real_prices.max()
    for value in fake.ip:
        ipaddress.ip_interface(value)
    for value in fake.subnet.dropna():
        ipaddress.ip_network(value, strict=True)
    for value in fake.mac.dropna():
        assert re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", value)
    flags = [format(int.from_bytes(v, "big"), "08b") if isinstance(v, bytes) else v for v in fake["flags"]]
    assert all(re.fullmatch(r"[01]{8}", f) for f in flags)  # BIT(8) on MariaDB, text of bits on SQLite
    assert all(re.fullmatch(r"[01]{4,15}", h) for h in fake.history.dropna())
    for document in fake.spec.dropna():
        assert ET.fromstring(document).tag == "device"
    for value in fake.seen_from.dropna():
        addresses = json.loads(value)
        assert 1 <= len(addresses) <= 4 and all(ipaddress.ip_address(a).version == 4 for a in addresses)
    assert {c for value in fake.colors.dropna() for c in json.loads(value)} <= {"red", "green", "blue"}
    assert set(fake.shade.dropna()) <= {"red", "green"}


_MARIADB_SQL = """
SELECT status, tags, made, CAST(mask AS UNSIGNED) AS mask, CAST(lit AS UNSIGNED) AS lit, attrs, duration, happened,
       amount, views, counter, level, active, LENGTH(photo) AS photo_len, HEX(LEFT(photo, 4)) AS photo_head,
       LENGTH(token) AS token_len, LENGTH(code) AS code_len, ST_X(place) AS x, ST_Y(place) AS y,
       ST_GeometryType(area) AS area_type
FROM gadget
"""


def test_mariadb_types_clone_into_mariadb_valid_and_learned(make_database) -> None:
    source = load_fixture(make_database("mysql"), "types_families")
    target = make_database("mysql")
    clone(source, target, config=FAST)
    real, fake = _frame(source, _MARIADB_SQL), _frame(target, _MARIADB_SQL)
    assert len(fake) == ROWS
    assert set(fake.status) <= {"new", "paid", "shipped"}
    labels = {"red", "green", "blue", "big"}
    assert all(set(t.split(",")) <= labels for t in fake.tags.dropna())
    assert fake.made.between(real.made.min(), real.made.max()).all()
    assert fake["mask"].between(0, 63).all() and set(fake.lit.dropna()) <= {0, 1}
    for value in fake["attrs"].dropna():
        assert set(json.loads(value)) <= {"size", "qty", "gift"}
    assert fake.amount.between(real.amount.min(), real.amount.max()).all()
    assert (fake.views >= 3_000_000_000).all() and (fake.counter.dropna() >= 2**63).all()
    # every level (1..240) is seen once, so under k none comes back: a level is moved off within
    # TINYINT UNSIGNED's range (0, 241..255) or, a nullable column, left NULL; never out of range
    levels = fake.level.dropna()
    assert levels.between(0, 255).all() and not set(levels) & set(real.level) and set(fake.active) <= {0, 1}
    assert (fake.photo_head.dropna() == "89504E47").all()  # the shared file signature
    assert set(fake.token_len.dropna()) == {4} and fake.code_len.dropna().between(1, 12).all()
    assert fake.x.dropna().between(real.x.min(), real.x.max()).all()
    assert fake.y.dropna().between(real.y.min(), real.y.max()).all()
    assert set(fake.area_type.dropna()) == {"POLYGON"}


def test_mariadb_types_clone_into_postgresql(make_database) -> None:
    source = load_fixture(make_database("mysql"), "types_families")
    target = make_database("postgresql")
    clone(source, target, config=FAST)
    fake = _frame(target, "SELECT mask::text AS mask, counter, views, attrs::text AS attrs, place FROM gadget")
    assert len(fake) == ROWS
    assert all(re.fullmatch(r"[01]{6}", m) for m in fake["mask"])  # bit(6) there too
    assert (fake.counter.dropna() >= 2**63).all() and (fake.views >= 3_000_000_000).all()
    assert all(isinstance(json.loads(a), dict) for a in fake["attrs"].dropna())
    assert all(re.fullmatch(r"POINT\(\S+ \S+\)", p) for p in fake.place.dropna())


_SQLITE_SQL = "SELECT *, typeof(anything) AS anything_type, typeof(counted) AS counted_type FROM reading"


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_sqlite_declared_types_clone_as_their_values(engine: str, make_database) -> None:
    source = load_fixture(make_database("sqlite"), "types_families")
    target = make_database(engine)
    clone(source, target, config=FAST)
    real = _frame(source, _SQLITE_SQL)
    fake = _frame(target, _SQLITE_SQL if engine == "sqlite" else "SELECT * FROM reading")
    assert len(fake) == ROWS
    # a column without a type holds numbers in the source, so it does in the clone
    numbers = pd.to_numeric(fake.counted, errors="raise")
    assert numbers.between(real.counted.min(), real.counted.max()).all()
    pd.to_numeric(fake.anything, errors="raise")
    if engine == "sqlite":
        assert set(fake.counted_type) == {"integer"} and set(fake.anything_type) <= {"integer", "real"}
    assert set(fake.code) <= set(real.code) and set(fake.label) <= set(real.label)
    assert fake.quantity.between(1, 50).all()
    pd.to_datetime(fake.taken)
    pd.to_datetime(fake.born)
    assert set(fake.ok.map(int)) <= {0, 1}
