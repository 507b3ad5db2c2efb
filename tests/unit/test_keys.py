"""Keys owned by the generator, and opaque values (binary, UUID, JSON)."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pandas as pd
import pytest

from relsynth.errors import ArtifactError, GenerationError
from relsynth.values.identifying import shape_of
from relsynth.values.keys import KeyGenerator, KeyKind, drop_duplicate_keys
from relsynth.values.opaque import BinaryModel, JsonModel, UuidModel

NORTHWIND_CUSTOMER_IDS = ["ALFKI", "ANATR", "ANTON", "AROUT", "BERGS", "BLAUS", "BLONP", "BOLID"]


def test_integer_keys_are_consecutive_across_chunks() -> None:
    keys = KeyGenerator.integer(seed=0)
    first, second = keys.generate(3), keys.generate(4)
    assert first.tolist() == [1, 2, 3]
    assert second.tolist() == [4, 5, 6, 7]
    assert second.dtype == "int64"


def test_integer_keys_learn_start_and_increment() -> None:
    # hr.departments: 10, 20, ... ; an identity's start/increment wins over what is learned.
    keys = KeyGenerator.fit(pd.Series([10, 20, 30, 50, 270]), seed=0)
    assert keys.kind is KeyKind.INTEGER
    assert keys.generate(3).tolist() == [10, 20, 30]
    given = KeyGenerator.fit(pd.Series([10, 20, 30]), seed=0, start=100, increment=1)
    assert given.generate(2).tolist() == [100, 101]


def test_integer_keys_resume_from_saved_state() -> None:
    keys = KeyGenerator.integer(start=5, increment=2, seed=0)
    keys.generate(3)
    restored = KeyGenerator.from_dict(json.loads(json.dumps(keys.to_dict())))
    assert restored.generate(2).tolist() == [11, 13]


def test_integer_keys_stop_at_the_type_maximum() -> None:
    keys = KeyGenerator.integer(max_value=32767, start=32760, seed=0)
    with pytest.raises(GenerationError, match="maximum 32767"):
        keys.generate(10)


def test_text_keys_follow_the_source_shape_unique_across_chunks_never_real() -> None:
    keys = KeyGenerator.fit(pd.Series(NORTHWIND_CUSTOMER_IDS), seed=3)
    assert keys.kind is KeyKind.TEXT
    chunks = [keys.generate(500) for _ in range(4)]
    values = pd.concat(chunks, ignore_index=True)
    assert values.is_unique
    assert set(values.map(shape_of)) == {"AAAAA"}
    assert not values.isin(NORTHWIND_CUSTOMER_IDS).any()


def test_text_keys_never_equal_real_keys_even_when_the_rng_would_draw_them() -> None:
    # Forbid exactly what an unconstrained generator with this seed draws first.
    probe = KeyGenerator.text(["AA-999"], seed=4).generate(300).tolist()
    keys = KeyGenerator.text(["AA-999"], real=probe, seed=4)
    values = keys.generate(300)
    assert not values.isin(probe).any()
    assert set(values.map(shape_of)) == {"AA-999"}


def test_mixed_shapes_and_max_length() -> None:
    source = pd.Series(["AB-123", "CD-456", "EF-789", "XYZ-1234"])
    keys = KeyGenerator.fit(source, seed=0, max_length=5)
    values = keys.generate(200)
    assert values.str.len().max() <= 5
    assert values.is_unique


def test_tiny_key_space_allows_real_values_and_refuses_overflow() -> None:
    # Two-digit codes: 100 values. 60 keys cannot avoid 50 real ones, so real ones may recur.
    real = [f"{i:02d}" for i in range(50)]
    keys = KeyGenerator.text(["99"], real=real, seed=0)
    values = keys.generate(60)
    assert values.is_unique and len(values) == 60
    with pytest.raises(GenerationError, match="admit only 100"):
        keys.generate(41)


def test_text_key_state_is_json_and_holds_no_real_key() -> None:
    keys = KeyGenerator.fit(pd.Series(NORTHWIND_CUSTOMER_IDS), seed=1)
    state = json.dumps(keys.to_dict())
    assert not any(real in state for real in NORTHWIND_CUSTOMER_IDS)
    restored = KeyGenerator.from_dict(json.loads(state))
    pd.testing.assert_series_equal(
        restored.generate(20),
        KeyGenerator.fit(pd.Series(NORTHWIND_CUSTOMER_IDS), seed=1).generate(20),
    )
    with pytest.raises(ArtifactError):
        KeyGenerator.from_dict({"format_version": 0})


def test_uuid_keys() -> None:
    keys = KeyGenerator.fit(pd.Series([str(uuid.uuid4()) for _ in range(5)]), seed=2)
    assert keys.kind is KeyKind.UUID
    values = pd.concat([keys.generate(100), keys.generate(100)])
    assert values.is_unique
    assert all(uuid.UUID(v).version == 4 for v in values)
    assert KeyGenerator.uuid(seed=2).generate(3).tolist() == values.iloc[:3].tolist()  # seeded


def test_drop_duplicate_keys_keeps_first_and_rows_with_nulls() -> None:
    frame = pd.DataFrame(
        {"film_id": [1, 1, 2, 1, None, None], "actor_id": [7, 7, 7, 8, 7, 7], "x": list("abcdef")}
    )
    kept = drop_duplicate_keys(frame, ["film_id", "actor_id"])
    assert kept["x"].tolist() == ["a", "c", "d", "e", "f"]
    with pytest.raises(GenerationError, match="not in the frame"):
        drop_duplicate_keys(frame, ["film_id", "category_id"])


# -- opaque values ------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n"


def test_binary_keeps_lengths_and_shared_signature_not_content() -> None:
    rng = np.random.default_rng(0)
    blobs = [PNG + rng.bytes(int(n)) for n in rng.integers(20, 40, size=50)]
    source = pd.Series(blobs + [None] * 10, dtype=object)
    model = BinaryModel.fit(source)
    sample = model.sample(600, seed=1)
    present = sample.dropna()
    assert abs(sample.isna().mean() - 10 / 60) < 0.05
    assert all(b.startswith(PNG) for b in present)
    assert set(present.map(len)) <= {len(b) for b in blobs}
    assert not present.isin(blobs).any()
    restored = BinaryModel.from_dict(json.loads(json.dumps(model.to_dict())))
    pd.testing.assert_series_equal(restored.sample(20, seed=3), model.sample(20, seed=3))


def test_binary_without_a_shared_prefix_keeps_none() -> None:
    model = BinaryModel.fit(pd.Series([b"secret-one", b"other"]))
    assert model.prefix == b""


def test_uuid_model() -> None:
    model = UuidModel.fit(pd.Series([uuid.uuid4(), None], dtype=object))
    sample = model.sample(200, seed=0)
    assert 0.4 < sample.isna().mean() < 0.6
    assert all(isinstance(v, uuid.UUID) for v in sample.dropna())
    assert UuidModel.from_dict(json.loads(json.dumps(model.to_dict()))) == model
    with pytest.raises(GenerationError, match="seed"):
        model.sample(1)


def test_json_keeps_structure_synthesises_values_and_drops_rare_keys() -> None:
    rows = [
        {
            "rating": i % 5,
            "tags": ["new", "sale"][: 1 + i % 2],
            "meta": {"ok": i % 3 == 0, "note": f"order {i}"},
        }
        for i in range(40)
    ]
    rows[0]["ssn"] = "123-45-6789"  # one row's key: must not survive
    source = pd.Series([json.dumps(r) for r in rows] + [None] * 10)
    model = JsonModel.fit(source, seed=1)
    state = json.dumps(model.to_dict())
    assert "ssn" not in state and "123-45-6789" not in state and "order 7" not in state
    sample = model.sample(200, seed=2)
    parsed = [json.loads(v) for v in sample.dropna()]
    assert abs(sample.isna().mean() - 0.2) < 0.08
    assert all(set(p) <= {"rating", "tags", "meta"} for p in parsed)
    assert all(isinstance(p["rating"], int) and 0 <= p["rating"] <= 4 for p in parsed)
    assert all(set(p["tags"]) <= {"new", "sale"} for p in parsed)  # categorical strings kept
    notes = {p["meta"]["note"] for p in parsed if "note" in p.get("meta", {})}
    assert notes and not notes & {f"order {i}" for i in range(40)}  # unique strings synthesised
    restored = JsonModel.from_dict(json.loads(state))
    pd.testing.assert_series_equal(restored.sample(30, seed=5), model.sample(30, seed=5))
