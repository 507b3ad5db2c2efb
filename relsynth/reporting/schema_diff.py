"""Every difference between the source's and the target's catalog, as readable lines (pure)."""

from __future__ import annotations

from relsynth.schema.elements import Schema, Table


def _fk_set(table: Table) -> set[tuple]:
    return {(fk.constrained_columns, str(fk.referred_table), fk.referred_columns) for fk in table.foreign_keys}


def _key_set(table: Table) -> set[frozenset[str]]:
    keys = {frozenset(u.columns) for u in table.unique_constraints}
    keys |= {frozenset(ix.expressions) for ix in table.indexes if ix.unique and ix.where is None}
    return keys


def diff_schemas(source: Schema, target: Schema) -> tuple[str, ...]:
    """Missing/extra tables and columns, type, nullability, key, FK and CHECK differences.

    Types are compared by ``sql`` on the same engine and by logical kind across engines, where
    the target necessarily writes them differently.
    """
    out: list[str] = []
    same_engine = source.dialect == target.dialect
    src = {str(t.name): t for t in source.tables}
    tgt = {str(t.name): t for t in target.tables}
    out += [f"table {n} missing in target" for n in sorted(src.keys() - tgt.keys())]
    out += [f"table {n} only in target" for n in sorted(tgt.keys() - src.keys())]
    for name in sorted(src.keys() & tgt.keys()):
        s, t = src[name], tgt[name]
        s_cols = {c.name: c for c in s.columns}
        t_cols = {c.name: c for c in t.columns}
        out += [f"{name}.{c}: column missing in target" for c in s_cols if c not in t_cols]
        out += [f"{name}.{c}: column only in target" for c in t_cols if c not in s_cols]
        for c in (c for c in s_cols if c in t_cols):
            a, b = s_cols[c], t_cols[c]
            if (a.type.sql != b.type.sql) if same_engine else (a.type.kind != b.type.kind):
                out.append(f"{name}.{c}: type {a.type.sql} in source, {b.type.sql} in target")
            if a.nullable != b.nullable:
                out.append(f"{name}.{c}: {'NULL' if a.nullable else 'NOT NULL'} in source, "
                           f"{'NULL' if b.nullable else 'NOT NULL'} in target")
        spk = s.primary_key.constrained_columns if s.primary_key else ()
        tpk = t.primary_key.constrained_columns if t.primary_key else ()
        if spk != tpk:
            out.append(f"{name}: primary key ({', '.join(spk)}) in source, ({', '.join(tpk)}) in target")
        for key in _key_set(s) - _key_set(t):
            out.append(f"{name}: unique ({', '.join(sorted(key))}) missing in target")
        for key in _key_set(t) - _key_set(s):
            out.append(f"{name}: unique ({', '.join(sorted(key))}) only in target")
        for fk in sorted(_fk_set(s) - _fk_set(t), key=str):
            out.append(f"{name}: foreign key ({', '.join(fk[0])}) -> {fk[1]} missing in target")
        for fk in sorted(_fk_set(t) - _fk_set(s), key=str):
            out.append(f"{name}: foreign key ({', '.join(fk[0])}) -> {fk[1]} only in target")
        if len(s.check_constraints) != len(t.check_constraints):
            out.append(f"{name}: {len(s.check_constraints)} CHECK constraints in source, {len(t.check_constraints)} in target")
    if same_engine:
        for kind, a, b in (("view", source.views, target.views), ("enum", source.enums, target.enums),
                           ("sequence", source.sequences, target.sequences)):
            an, bn = {str(x.name) for x in a}, {str(x.name) for x in b}
            out += [f"{kind} {n} missing in target" for n in sorted(an - bn)]
            out += [f"{kind} {n} only in target" for n in sorted(bn - an)]
    return tuple(out)
