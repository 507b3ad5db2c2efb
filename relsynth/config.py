"""Typed configuration.

One precedence: command-line flag > config file (TOML) > default. A config file looks like::

    seed = 7
    scale = 0.5
    locale = "en_US"

    [model]
    max_training_work = 4000

    [tables."public.country"]
    mode = "copy"            # synthesize | copy | empty | exclude (default: synthesize,
                             # or copy for small lookup tables, see reference_max_rows)

    [tables."public.customer".columns.email]
    role = "identifying"     # model | identifying | text | keep_out

    [report]
    sample_rows = 10000      # rows read per table for the report's figures
    fail_under = { quality = 0.85, utility = 0.9 }
    utility_targets = ["invoice.total"]
    fail_over = { detection = 0.7 }

Unknown keys are errors, so a typo never silently does nothing.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from pathlib import Path
from typing import Any

from relsynth.errors import ConfigurationError
from relsynth.modeling.config import ModelConfig
from relsynth.privacy.config import PrivacyConfig
from relsynth.rules.steering import RulesConfig
from relsynth.schema.elements import Schema, Table


class TableMode(str, Enum):
    SYNTHESIZE = "synthesize"  # learn and generate (default)
    COPY = "copy"  # copy rows as they are: public reference data such as countries or currencies
    EMPTY = "empty"  # create the table, leave it empty
    EXCLUDE = "exclude"  # not even created (foreign keys to it are dropped with a warning)


class ExecutorKind(str, Enum):
    LOCAL = "local"  # this machine: inline for one job, else a pool of worker processes
    RAY = "ray"  # a Ray cluster (the ray extra): RAY_ADDRESS's, else a local one


class ColumnRole(str, Enum):
    MODEL = "model"  # learned by the table's generative model
    IDENTIFYING = "identifying"  # replaced by realistic fake values (names, emails, ...)
    TEXT = "text"  # free text, synthesized from frequent words
    KEEP_OUT = "keep_out"  # never read: NULL (or the column default) in the clone


@dataclass(frozen=True)
class TableOverride:
    mode: TableMode | None = None  # None: synthesize, or copy when the table looks like reference data
    columns: dict[str, ColumnRole] = field(default_factory=dict)


@dataclass(frozen=True)
class RelsynthConfig:
    seed: int = 0
    scale: float = 1.0  # rows in the clone per row in the source, 0.01 to 100
    locale: str = "en_US"  # locale of generated identifying values
    max_training_rows: int = 200_000  # per table; larger tables are sampled for training
    # A table with no foreign keys, at most this many rows, only categorical columns and nothing
    # identifying (genres, media types, languages) is copied as reference data; 0 turns this off.
    reference_max_rows: int = 100
    # Share of each table's rows (tables of holdout_min_rows or more) kept out of training, so that the
    # report can measure distance to closest record and membership inference; 0 keeps none.
    holdout_fraction: float = 0.1
    report_fail_under: dict[str, float] = field(default_factory=dict)  # [report] fail_under = {quality = 0.85}
    report_fail_over: dict[str, float] = field(default_factory=dict)  # [report] fail_over = {detection = 0.7}
    report_utility_targets: tuple[str, ...] = ()  # [report] utility_targets = ["invoice.total"]
    # [report] sample_rows: rows read per table (source and clone) for the report's figures;
    # a larger table is sampled, seeded.
    report_sample_rows: int = 10_000
    # Smallest table (in rows) that keeps a holdout: 300 x holdout_fraction 0.1 = 30 held-out
    # rows, below which the distance and membership figures are noise.
    holdout_min_rows: int = 300
    # Redraws of generated rows that violate a CHECK or repeat a rare source combination, before
    # such a row is moved off the combination or dropped.
    check_redraws: int = 8
    # Redraws of fake identifying values that happen to equal real ones, before generation fails.
    identifying_redraws: int = 50
    # Rows generated, held and loaded at a time per table (relsynth.chunks): peak memory follows
    # it, not the table's size. Chunks are cut between parents and seeded apart.
    chunk_rows: int = 200_000
    # Tables trained at once, and where (relsynth.executors). How a run is computed, not what it
    # holds: the same seed gives the same run and clone whatever these are, and a run does not
    # store them. Under differential privacy tables train one at a time in this process. Default 1:
    # on a shared 2-core machine two jobs trained TPC-H slower than one (README, "Parallel training").
    jobs: int = 1
    executor: ExecutorKind = ExecutorKind.LOCAL
    model: ModelConfig = field(default_factory=ModelConfig)
    tables: dict[str, TableOverride] = field(default_factory=dict)  # keyed by "schema.table" or "table"
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)  # [privacy]: epsilon, delta, unit, ...
    rules: RulesConfig = field(default_factory=RulesConfig)  # [rules] and [[rules.rule]] (relsynth.rules.steering)

    def __post_init__(self) -> None:
        if not isinstance(self.executor, ExecutorKind):  # RelsynthConfig(executor="ray") from Python
            object.__setattr__(self, "executor", _enum(ExecutorKind, self.executor, "executor"))

    def override_for(self, table: str) -> TableOverride:
        """The override for a table named as ``str(QualifiedName)``: ``schema.table``, or the bare
        name in the default schema. Keys are in that form once ``resolve_table_names`` has run."""
        return self.tables.get(table) or TableOverride()

    def validated(self) -> RelsynthConfig:
        if not 0.01 <= self.scale <= 100:
            raise ConfigurationError(f"scale {self.scale} is out of range: use a value from 0.01 to 100")
        if not 0 <= self.holdout_fraction <= 0.5:
            raise ConfigurationError(f"holdout_fraction {self.holdout_fraction} is out of range: use 0 to 0.5")
        if self.max_training_rows < 1:
            raise ConfigurationError("max_training_rows must be at least 1")
        for name, (low, high) in _RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                where = "[report] sample_rows" if name == "report_sample_rows" else name
                raise ConfigurationError(f"{where} {value!r} is out of range: use a whole number from {low} to {high}")
        return self


# Whole-number settings of RelsynthConfig -> (low, high), inclusive.
_RANGES: dict[str, tuple[int, int]] = {
    "report_sample_rows": (100, 10_000_000),
    "holdout_min_rows": (10, 1_000_000_000),
    "check_redraws": (0, 1_000),
    "identifying_redraws": (1, 10_000),
    "chunk_rows": (100, 100_000_000),
    "jobs": (1, 4096),
}


def _check_keys(section: str, given: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise ConfigurationError(
            f"unknown key(s) {', '.join(unknown)} in [{section}] of the config file; allowed: {', '.join(sorted(allowed))}"
        )


def _enum(kind: type[Enum], value: Any, where: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ConfigurationError(f"{where}: {value!r} is not one of {allowed}") from None


def load_config(path: Path | None, **flags: Any) -> RelsynthConfig:
    """Read ``path`` (TOML) if given, then apply the flags that are not None."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigurationError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"config file {path} is not valid TOML: {exc}") from None
    report_keys = {"fail_under", "fail_over", "utility_targets", "sample_rows"}
    top = {f.name for f in fields(RelsynthConfig)} - {f"report_{key}" for key in report_keys} | {"report"}
    _check_keys("top level", data, top)
    report = data.pop("report", {})
    _check_keys("report", report, report_keys)
    if "sample_rows" in report:
        data["report_sample_rows"] = report["sample_rows"]
    data["report_utility_targets"] = tuple(str(t) for t in report.get("utility_targets", ()))
    data["report_fail_under"] = {k: float(v) for k, v in report.get("fail_under", {}).items()}
    data["report_fail_over"] = {k: float(v) for k, v in report.get("fail_over", {}).items()}
    model_data = data.pop("model", {})
    privacy = PrivacyConfig.from_dict(data.pop("privacy", {}))
    data["rules"] = RulesConfig.from_dict(data.pop("rules", {}))
    _check_keys("model", model_data, {f.name for f in fields(ModelConfig)})
    if "executor" in data:
        data["executor"] = _enum(ExecutorKind, data["executor"], "executor")
    tables: dict[str, TableOverride] = {}
    for name, spec in data.pop("tables", {}).items():
        _check_keys(f"tables.{name}", spec, {"mode", "columns"})
        columns = {}
        for column, column_spec in spec.get("columns", {}).items():
            _check_keys(f"tables.{name}.columns.{column}", column_spec, {"role"})
            columns[column] = _enum(ColumnRole, column_spec.get("role", "model"), f"tables.{name}.columns.{column}.role")
        mode = _enum(TableMode, spec["mode"], f"tables.{name}.mode") if "mode" in spec else None
        tables[name] = TableOverride(mode=mode, columns=columns)
    try:
        config = RelsynthConfig(model=replace(ModelConfig(), **model_data), tables=tables, privacy=privacy, **data)
    except TypeError as exc:
        raise ConfigurationError(f"config file {path}: {exc}") from None
    if flags.get("executor") is not None:
        flags["executor"] = _enum(ExecutorKind, flags["executor"], "--executor")
    config = replace(config, **{key: value for key, value in flags.items() if value is not None})
    return config.validated()


def resolve_table_names(config: RelsynthConfig, schema: Schema, default_namespace: str | None) -> RelsynthConfig:
    """``config`` with each ``[tables]`` key named as relsynth names the table (``str(QualifiedName)``).

    A key is ``schema.table`` (``public.customer``, or the default schema written out), or a bare
    name: the table of that name in the default schema, else the only table of that name in the
    schemas read. An unknown or ambiguous table, or an unknown column, is an error that names the
    closest match, so that a table a user asked to leave out is never synthesised by mistake.
    """
    resolved: dict[str, TableOverride] = {}
    spelled: dict[str, str] = {}
    for key, override in config.tables.items():
        table = _table_for_key(key, schema, default_namespace)
        label = str(table.name)
        if label in resolved:
            raise ConfigurationError(f"the config names table {label} twice ([tables.{spelled[label]!r}] and [tables.{key!r}]); keep one")
        unknown = [c for c in override.columns if c not in table.column_names]
        if unknown:
            raise ConfigurationError(f"[tables.{key!r}]: table {label} has no column {unknown[0]!r}{_closest(unknown[0], table.column_names)}")
        resolved[label], spelled[label] = override, key
    return replace(config, tables=resolved)


def _table_for_key(key: str, schema: Schema, default_namespace: str | None) -> Table:
    by_label = {str(t.name): t for t in schema.tables}
    if key in by_label:
        return by_label[key]
    namespace, dot, name = key.partition(".")
    if dot and default_namespace is not None and namespace == default_namespace and name in by_label:
        return by_label[name]
    same_name = [t for t in schema.tables if t.name.name == key]
    if len(same_name) == 1:
        return same_name[0]
    if same_name:
        names = ", ".join(str(t.name) for t in same_name)
        raise ConfigurationError(f"the config's table {key!r} is ambiguous: it could be {names}; write it as schema.table")
    spellings = list(by_label) + [
        f"{default_namespace}.{label}" for label, t in by_label.items() if default_namespace and t.name.schema is None
    ]
    raise ConfigurationError(f"the config names table {key!r}, which the source does not have{_closest(key, spellings)}")


def _closest(name: str, candidates: list[str] | tuple[str, ...]) -> str:
    found = difflib.get_close_matches(name, list(candidates), n=1)
    if found:
        return f"; did you mean {found[0]!r}?"
    shown = ", ".join(sorted(candidates)[:10]) + (", ..." if len(candidates) > 10 else "")
    return f" (it has {shown})" if candidates else ""
