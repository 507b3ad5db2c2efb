"""The values of one generated table's columns, each from its own generator: the model's columns
decoded, keys, fake identifying values (never a real one), text and opaque values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.errors import GenerationError
from relsynth.modeling.encoding.base import per_distinct
from relsynth.roles import Role
from relsynth.runs import TableArtifact
from relsynth.schema.elements import Table
from relsynth.values import families, identifying, keys, opaque, pgtypes, text
from relsynth.values.rarity import calendar_day, fingerprint


def column_values(
    table: Table, artifact: TableArtifact, model: pd.DataFrame, rng: np.random.Generator, *, locale: str, redraws: int,
    chunk: int = 0, first_row: int = 0, text_models: dict[str, text.TextModel] | None = None,
) -> pd.DataFrame:
    """Every column of ``model``'s rows: model columns decoded (ranges and shapes joined), keys,
    fake identifying values, text and opaque values from their generators; foreign keys empty.
    ``chunk`` and ``first_row`` place the rows in their table (relsynth.chunks): keys start there.
    ``text_models`` keeps the table's text models read from the run between its chunks (reading
    one costs about a quarter of sampling a chunk's texts)."""
    text_models = {} if text_models is None else text_models
    n = len(model)
    columns: dict[str, pd.Series] = {}
    states = artifact.values
    seed = int(rng.integers(2**31))
    kinds = {c: identifying.IdentifyingKind(s["kind"]) for c, s in states.get("identifying", {}).items()}
    fake = None
    if kinds:
        specs = states["identifying"]
        generator = identifying.IdentifyingGenerator(
            kinds,
            seed=seed,
            locale=locale,
            unique={c for c, s in specs.items() if s["unique"]},
            max_lengths={c: s["max_length"] for c, s in specs.items() if s["max_length"]},
            null_rates={c: s["null_rate"] for c, s in specs.items()},
            profiles={c: identifying.ValueProfile.from_dict(s["profile"]) for c, s in specs.items()},
        )
        fake = _without_real_values(generator, n, states.get("forbidden", {}), states.get("forbidden_pairs"), redraws=redraws)
    for column in artifact.columns:
        name = column.name
        if column.role is Role.MODEL and (joined := pgtypes.join_column(table, name, model, rng)) is not None:
            columns[name] = joined
        elif column.role is Role.MODEL:
            columns[name] = model[name].reset_index(drop=True)
            if name in states.get("forbidden", {}):
                columns[name] = _moved_off_real_dates(columns[name], set(states["forbidden"][name]), rng)
        elif column.role is Role.KEY:
            columns[name] = keys.KeyGenerator.from_dict(states["keys"][name]).for_chunk(chunk, first_row).generate(n)
        elif column.role is Role.IDENTIFYING and fake is not None:
            columns[name] = fake[name].reset_index(drop=True)
        elif column.role is Role.TEXT:
            if name not in text_models:
                text_models[name] = text.TextModel.from_dict(states["text"][name])
            model_text = text_models[name]
            columns[name] = model_text.sample(n, seed=int(rng.integers(2**31)), max_length=table.column(name).type.length)
        elif column.role is Role.OPAQUE:
            state = states["opaque"][name]
            if state["kind"] in families.FAMILY_NAMES:
                columns[name] = families.sample(state["kind"], state["state"], n, rng, unique=column.unique)
                continue
            model_class = {"binary": opaque.BinaryModel, "uuid": opaque.UuidModel}.get(state["kind"], opaque.JsonModel)
            columns[name] = model_class.from_dict(state["state"]).sample(n, seed=int(rng.integers(2**31)))
        elif column.role is Role.FOREIGN_KEY:
            columns[name] = pd.Series([None] * n, dtype=object)
    return pd.DataFrame(columns, index=pd.RangeIndex(n))

def _without_real_values(generator, n: int, forbidden: dict[str, list[str]], pairs: dict | None, *, redraws: int) -> pd.DataFrame:
    """Generate identifying values, redrawing rows with a real value or real (first, last) name."""
    frame = generator.generate(n)
    known = {column: set(prints) for column, prints in forbidden.items() if column in frame.columns and prints}
    known_pairs = set(pairs["prints"]) if pairs else set()
    for _ in range(redraws):
        bad = np.zeros(n, dtype=bool)
        for column, prints in known.items():
            bad |= np.fromiter((v is not None and fingerprint(v) in prints for v in frame[column].tolist()), dtype=bool, count=n)
        if known_pairs:
            first, last = pairs["columns"]
            bad |= np.array(
                [fingerprint(f"{a}\x00{b}") in known_pairs for a, b in zip(frame[first], frame[last], strict=True)], dtype=bool
            )
        if not bad.any():
            return frame
        redraw = generator.generate(int(bad.sum()))
        frame.loc[bad, list(redraw.columns)] = redraw.to_numpy()
    raise GenerationError(
        f"{int(bad.sum())} generated identifying value(s) kept matching real ones after {redraws} redraws; "
        "set a different locale, or give the column another role in the config"
    )


def _moved_off_real_dates(values: pd.Series, forbidden: set[str], rng: np.random.Generator) -> pd.Series:
    """Shift every generated date that equals a real one (a birth date, say) by a few days."""
    values = values.copy()
    for _ in range(10):
        # each distinct date hashed once (an aware timestamp row by row: its day depends on its zone)
        hits = per_distinct(values, lambda v: v is not None and v == v and fingerprint(calendar_day(v)) in forbidden,
                            alike=lambda v: getattr(v, "tzinfo", None) is None).astype(bool)
        if not hits.any():
            break
        shifts = pd.to_timedelta(rng.choice([-1, 1], hits.sum()) * rng.integers(1, 15, hits.sum()), unit="D")
        values[hits] = [v + shift.to_pytimedelta() if hasattr(v, "toordinal") and not isinstance(v, pd.Timestamp) else v + shift
                        for v, shift in zip(values[hits], shifts, strict=True)]
    return values
