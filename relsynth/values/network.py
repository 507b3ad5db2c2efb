"""Network addresses: PostgreSQL's inet, cidr, macaddr and macaddr8.

Learned: the address family's share, each family's prefix lengths, and the network heads (an
IPv4 address's first two octets, or its first one, an IPv6 address's first 48 bits, a MAC's
vendor prefix) shared by at least ``min_count`` rows. The rest of every address is random, so no
real address is copied, and a cidr's host bits are zero as the type requires.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from relsynth.schema.elements import ColumnType
from relsynth.values.families import base_name, draw, null_rate

_BITS = {4: 32, 6: 128}
_HEADS = {4: (16, 8), 6: (48, 32)}  # head lengths tried, longest first


def _parse(value: Any) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface | None:
    try:
        if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
            return ipaddress.ip_interface(f"{value.network_address}/{value.prefixlen}")
        return ipaddress.ip_interface(str(value).strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class InetModel:
    """inet (``10.0.3.7/24``, or a bare host) and cidr (``10.0.3.0/24``) values."""

    cidr: bool
    versions: dict[str, int]  # "4"/"6" -> rows
    prefixes: dict[str, dict[str, int]]  # version -> prefix length -> rows
    heads: dict[str, dict[str, int]]  # version -> "address/length" head -> rows
    null_rate: float

    @classmethod
    def fit(cls, values: pd.Series, column_type: ColumnType, *, seed: int, min_count: int = 3, domains=None) -> InetModel:
        addresses = [a for a in (_parse(v) for v in values.dropna()) if a is not None]
        versions = Counter(str(a.version) for a in addresses)
        prefixes: dict[str, Counter] = {v: Counter() for v in versions}
        heads: dict[str, Counter] = {v: Counter() for v in versions}
        for address in addresses:
            prefixes[str(address.version)][str(address.network.prefixlen)] += 1
        for version in versions:
            of_version = [a for a in addresses if str(a.version) == version]
            for length in _HEADS[int(version)]:
                found = Counter(str(ipaddress.ip_network(f"{a.ip}/{length}", strict=False)) for a in of_version)
                frequent = {h: c for h, c in found.items() if c >= min_count}
                if sum(frequent.values()) >= 0.5 * len(of_version):
                    heads[version] = Counter(frequent)
                    break
        return cls(
            cidr=base_name(column_type.sql) == "cidr",
            versions=dict(versions),
            prefixes={v: dict(c) for v, c in prefixes.items()},
            heads={v: dict(c) for v, c in heads.items()},
            null_rate=null_rate(values),
        )

    def sample(self, n: int, *, rng: np.random.Generator) -> pd.Series:
        nulls = rng.random(n) < self.null_rate
        versions = np.asarray(draw(list(self.versions), list(self.versions.values()), n, rng) if self.versions else ["4"] * n)
        out = np.full(n, None, dtype=object)
        for version in sorted(set(versions.tolist())):
            rows = np.flatnonzero((versions == version) & ~nulls)
            out[rows] = self._addresses(version, rows.size, rng)
        return pd.Series(out, dtype=object)

    def _addresses(self, version: str, n: int, rng: np.random.Generator) -> list[str]:
        bits = _BITS[int(version)]
        lengths = self.prefixes.get(version) or {str(bits): 1}
        prefixes = draw(list(lengths), list(lengths.values()), n, rng)
        # no shared network: a private range keeps the clone off real public hosts
        heads = self.heads.get(version) or {"10.0.0.0/8" if version == "4" else "fd00::/8": 1}
        networks = [ipaddress.ip_network(h) for h in draw(list(heads), list(heads.values()), n, rng)]
        raw = rng.bytes(16 * n)
        return [self._one(bits, int(p), h, int.from_bytes(raw[16 * i : 16 * i + 16], "big")) for i, (p, h) in enumerate(zip(prefixes, networks, strict=True))]

    def _one(self, bits: int, prefix: int, head, noise: int) -> str:
        free = bits - head.prefixlen
        number = int(head.network_address) | noise % (1 << free)
        if bits == 32 and prefix == bits and number & 0xFF in (0, 255):
            number ^= 1  # no network or broadcast address as a host
        if self.cidr:
            return str(ipaddress.ip_network(f"{ipaddress.ip_address(number)}/{prefix}", strict=False))
        address = ipaddress.ip_address(number)
        return str(address) if prefix == bits else f"{address}/{prefix}"

    def to_dict(self) -> dict[str, Any]:
        return {"cidr": self.cidr, "versions": self.versions, "prefixes": self.prefixes, "heads": self.heads, "null_rate": self.null_rate}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InetModel:
        return cls(**data)


def _mac_bytes(value: Any) -> bytes | None:
    digits = "".join(ch for ch in str(value) if ch in "0123456789abcdefABCDEF")
    return bytes.fromhex(digits) if len(digits) in (12, 16) else None


@dataclass(frozen=True)
class MacModel:
    """macaddr (6 bytes) and macaddr8 (8 bytes): shared vendor prefixes, random device bytes."""

    size: int
    vendors: dict[str, int]  # hex vendor prefix (3 bytes) -> rows
    null_rate: float

    @classmethod
    def fit(cls, values: pd.Series, column_type: ColumnType, *, seed: int, min_count: int = 3, domains=None) -> MacModel:
        size = 8 if base_name(column_type.sql) == "macaddr8" else 6
        macs = [m for m in (_mac_bytes(v) for v in values.dropna()) if m is not None]
        vendors = Counter(m[:3].hex() for m in macs)
        return cls(size=size, vendors={v: c for v, c in vendors.items() if c >= min_count}, null_rate=null_rate(values))

    def sample(self, n: int, *, rng: np.random.Generator) -> pd.Series:
        nulls = rng.random(n) < self.null_rate
        vendors = draw(list(self.vendors), list(self.vendors.values()), n, rng) if self.vendors else [None] * n
        out = []
        for vendor, null in zip(vendors, nulls, strict=True):
            if null:
                out.append(None)
                continue
            raw = bytearray(rng.bytes(self.size))
            if vendor is None:  # a locally administered unicast address: never a real vendor's
                raw[0] = (raw[0] | 0x02) & 0xFE
            else:
                raw[:3] = bytes.fromhex(vendor)
            out.append(":".join(f"{b:02x}" for b in raw))
        return pd.Series(out, dtype=object)

    def to_dict(self) -> dict[str, Any]:
        return {"size": self.size, "vendors": self.vendors, "null_rate": self.null_rate}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MacModel:
        return cls(**data)
