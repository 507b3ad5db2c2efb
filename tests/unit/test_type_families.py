"""Value models of the type families: valid values, learned from the source, no rare value copied."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.dialects import mysql, postgresql

from relsynth.schema.elements import CheckConstraint, ColumnType, Domain, QualifiedName, TypeKind
from relsynth.schema.type_mapping import map_type
from relsynth.values import families
from relsynth.values.arrays import parse_literal


def _other(sql: str) -> ColumnType:
    return ColumnType(TypeKind.OTHER, sql)


def _roundtrip(family: str, values: list, column_type: ColumnType, n: int = 400, seed: int = 1) -> pd.Series:
    """Fit, save as JSON, load and sample, as a run does."""
    state = json.loads(json.dumps(families.fit(family, pd.Series(values, dtype=object), column_type, seed=seed)))
    return families.sample(family, state, n, np.random.default_rng(seed))


def test_families_are_found_through_domains_and_arrays() -> None:
    domain = QualifiedName(None, "host_address")
    domains = {domain: Domain(domain, _other("inet"))}
    assert families.family_of(ColumnType(TypeKind.OTHER, "host_address", domain=domain), domains) == "inet"
    assert families.family_of(_other("bit varying(16)")) == "bit"
    assert families.family_of(_other("SET('a','b')")) == "mysql_set"
    assert families.family_of(ColumnType(TypeKind.ARRAY, "macaddr[]", item=_other("macaddr"))) == "array"
    assert families.family_of(ColumnType(TypeKind.ARRAY, "integer[]", item=ColumnType(TypeKind.INTEGER, "integer"))) is None
    assert families.family_of(ColumnType(TypeKind.TEXT, "text")) is None


def test_inet_keeps_families_prefixes_and_shared_networks_but_no_host() -> None:
    real = [f"10.1.{i % 7}.{i % 250 + 1}/24" for i in range(300)] + [f"2001:db8::{i:x}" for i in range(100)]
    fake = _roundtrip("inet", real, _other("inet"))
    parsed = [ipaddress.ip_interface(v) for v in fake]
    assert 0.15 < np.mean([p.version == 6 for p in parsed]) < 0.35
    assert {p.network.prefixlen for p in parsed if p.version == 4} == {24}
    assert all(p.ip in ipaddress.ip_network("10.1.0.0/16") for p in parsed if p.version == 4)
    assert all(p.ip in ipaddress.ip_network("2001:db8::/48") for p in parsed if p.version == 6)


def test_cidr_has_no_host_bits_and_rare_networks_stay_private() -> None:
    real = [f"{20 + i}.{i}.0.0/16" for i in range(50)]  # every network seen once
    fake = _roundtrip("cidr", real, _other("cidr"))
    for value in fake:
        network = ipaddress.ip_network(value, strict=True)
        assert network.prefixlen == 16 and network.is_private


def test_mac_keeps_a_shared_vendor_and_invents_the_rest() -> None:
    real = [f"00:1a:2b:{i % 256:02x}:{i // 256:02x}:01" for i in range(300)]
    fake = _roundtrip("macaddr", real, _other("macaddr"))
    assert fake.str.fullmatch(r"00:1a:2b(:[0-9a-f]{2}){3}").all() and not set(fake) >= set(real[:5])
    rare = _roundtrip("macaddr8", [f"{i:02x}:00:00:00:00:00:00:01" for i in range(50)], _other("macaddr8"))
    assert all(int(v[:2], 16) & 0x03 == 0x02 for v in rare)  # locally administered, unicast


def test_bits_keep_their_length_from_text_or_mysql_bytes() -> None:
    fixed = _roundtrip("bit", [format(i * 37 % 256, "08b") for i in range(300)], _other("bit(8)"))
    assert fixed.str.fullmatch(r"[01]{8}").all()
    varying = _roundtrip("bit", ["1" * (3 + i % 5) for i in range(300)], _other("bit varying(16)"))
    assert varying.str.len().between(3, 7).all()
    mysql_bits = _roundtrip("bit", [bytes([i % 64]) for i in range(300)], _other("BIT(6)"))
    assert mysql_bits.str.fullmatch(r"[01]{6}").all()


def test_set_values_are_declared_labels() -> None:
    column = _other("SET('red','green','blue')")
    fake = _roundtrip("mysql_set", ["red,blue", "green", None, {"red"}] * 80, column)
    assert fake.isna().mean() > 0.1
    assert all(set(v.split(",")) <= {"red", "green", "blue"} for v in fake.dropna() if v)


def test_xml_keeps_the_shape_and_synthesises_the_text() -> None:
    real = [f'<order id="{i}"><line sku="A{i % 3}">note {i} for {i * 7}</line><line sku="B">x</line></order>' for i in range(200)]
    fake = _roundtrip("xml", real, _other("xml"))
    for document in fake:
        root = ET.fromstring(document)
        assert root.tag == "order" and {c.tag for c in root} <= {"line"}
        assert re.fullmatch(r"-?\d+", root.get("id", "0"))  # a number stays a number
    texts = {line.text for d in fake for line in ET.fromstring(d)}
    assert not texts & {f"note {i} for {i * 7}" for i in range(200)}


def test_tsvector_and_tsquery_use_frequent_lexemes_only() -> None:
    real = [f"'cat':1 'dog':2 'id{i}':3" for i in range(100)]
    fake = _roundtrip("tsvector", real, _other("tsvector"))
    lexemes = {w for v in fake for w in re.findall(r"'([^']*)'", v)}
    assert lexemes == {"cat", "dog"}
    queries = _roundtrip("tsquery", ["'cat' & 'dog'", "'cat' | 'fish'", "'rare'"] * 10 + ["'once'"], _other("tsquery"))
    assert {w for q in queries for w in re.findall(r"'([^']*)'", q)} <= {"cat", "dog", "fish", "rare"}


def test_arrays_keep_lengths_and_valid_elements() -> None:
    assert parse_literal('{red,"a b",NULL,"NULL"}') == ["red", "a b", None, "NULL"]
    inet_array = ColumnType(TypeKind.ARRAY, "inet[]", item=_other("inet"), dimensions=1)
    real = [[f"10.0.0.{k + i % 9}" for k in range(1 + i % 3)] for i in range(300)]
    fake = _roundtrip("array", real, inet_array)
    assert fake.map(len).between(1, 3).all()
    assert all(ipaddress.ip_address(a).version == 4 for value in fake for a in value)
    color = ColumnType(TypeKind.ENUM, "color", enum_values=("red", "green", "blue"))
    enums = _roundtrip("array", ["{red,blue}"] * 50 + ["{green}"] * 50, ColumnType(TypeKind.ARRAY, "color[]", item=color))
    assert {tuple(v) for v in enums} == {("red", "blue"), ("green",)}  # shared whole arrays come back


def test_spatial_points_stay_in_the_source_extent() -> None:
    def internal(x: float, y: float) -> bytes:  # MySQL's storage: SRID, then WKB
        return struct.pack("<I", 0) + struct.pack("<BIdd", 1, 1, x, y)

    real = [internal(2 + (i % 10) / 10, 48 + (i % 7) / 10) for i in range(300)]
    fake = _roundtrip("spatial", real, _other("POINT"))
    for value in fake:
        x, y = map(float, re.fullmatch(r"POINT\((\S+) (\S+)\)", value).groups())
        assert 1.9 <= x <= 3.0 and 47.9 <= y <= 48.7


def test_sampling_is_reproducible() -> None:
    real = [f"10.1.{i % 7}.{i % 250}" for i in range(100)]
    assert _roundtrip("inet", real, _other("inet")).equals(_roundtrip("inet", real, _other("inet")))


@pytest.mark.parametrize(
    ("sql", "target", "expected"),
    [("bit(8)", "mysql", mysql.BIT), ("BIT(6)", "postgresql", postgresql.BIT), ("inet", "mysql", type(None))],
)
def test_families_map_to_their_nearest_type(sql: str, target: str, expected: type) -> None:
    source = "mysql" if sql.isupper() else "postgresql"
    mapped = map_type(_other(sql), source=source, target=target)
    if expected is type(None):
        assert mapped.type.length == 43 and not mapped.warnings
    else:
        assert isinstance(mapped.type, expected)


def test_a_domain_over_an_enum_keeps_its_check_without_the_cast() -> None:
    name = QualifiedName(None, "warm")
    base = ColumnType(TypeKind.ENUM, "color", enum=QualifiedName(None, "color"), enum_values=("red", "blue"))
    domains = {name: Domain(name, base, checks=(CheckConstraint("c", "VALUE <> 'blue'::color"),))}
    mapped = map_type(ColumnType(TypeKind.ENUM, "warm", domain=name), source="postgresql", target="mysql", domains=domains)
    assert mapped.checks == ("VALUE <> 'blue'",)
    assert isinstance(mapped.type, mysql.ENUM)


def test_a_tsvector_model_does_not_depend_on_the_processs_string_hashing() -> None:
    """Equally frequent lexemes (here 600, above the 500 kept) rank the same in every process:
    ``--seed`` promises the same clone, and str hashing differs per process (PYTHONHASHSEED)."""
    code = (
        "import json, pandas as pd\n"
        "from relsynth.schema.elements import ColumnType, TypeKind\n"
        "from relsynth.values import families\n"
        "values = [' '.join(f\"'w{(i + k) % 600}':{k + 1}\" for k in range(3)) for i in range(600)]\n"
        "state = families.fit('tsvector', pd.Series(values, dtype=object), ColumnType(TypeKind.OTHER, 'tsvector'), seed=1)\n"
        "print(json.dumps(state, sort_keys=True))\n"
    )
    states = {
        subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": hash_seed},
                       capture_output=True, text=True, check=True).stdout
        for hash_seed in ("1", "2", "3")
    }
    assert len(states) == 1 and '"w0"' in states.pop()
