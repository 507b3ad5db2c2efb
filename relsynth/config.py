"""Typed configuration.

One precedence: command-line flag > config file (TOML) > default. A config file looks like::

    seed = 7
    scale = 0.5
    locale = "en_US"

    [model]
    max_training_seconds = 30

    [tables."public.country"]
    mode = "copy"            # synthesize | copy | empty | exclude (default: synthesize,
                             # or copy for small lookup tables, see reference_max_rows)

    [tables."public.customer".columns.email]
    role = "identifying"     # model | identifying | text | keep_out

    [report]
    fail_under = { quality = 0.85 }
    fail_over = { detection = 0.7 }

Unknown keys are errors, so a typo never silently does nothing.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from pathlib import Path
from typing import Any

from relsynth.errors import ConfigurationError
from relsynth.modeling import ModelConfig
from relsynth.privacy.config import PrivacyConfig


class TableMode(str, Enum):
    SYNTHESIZE = "synthesize"  # learn and generate (default)
    COPY = "copy"  # copy rows as they are: public reference data such as countries or currencies
    EMPTY = "empty"  # create the table, leave it empty
    EXCLUDE = "exclude"  # not even created (foreign keys to it are dropped with a warning)


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
    # Share of each table's rows (tables of 300 rows or more) kept out of training, so that the
    # report can measure distance to closest record and membership inference; 0 keeps none.
    holdout_fraction: float = 0.1
    report_fail_under: dict[str, float] = field(default_factory=dict)  # [report] fail_under = {quality = 0.85}
    report_fail_over: dict[str, float] = field(default_factory=dict)  # [report] fail_over = {detection = 0.7}
    model: ModelConfig = field(default_factory=ModelConfig)
    tables: dict[str, TableOverride] = field(default_factory=dict)  # keyed by "schema.table" or "table"
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)  # [privacy]: epsilon, delta, unit, ...

    def override_for(self, table: str) -> TableOverride:
        """The override for a table given as ``schema.table`` (or its bare name in the default schema)."""
        return self.tables.get(table) or self.tables.get(table.rsplit(".", 1)[-1]) or TableOverride()

    def validated(self) -> RelsynthConfig:
        if not 0.01 <= self.scale <= 100:
            raise ConfigurationError(f"scale {self.scale} is out of range: use a value from 0.01 to 100")
        if not 0 <= self.holdout_fraction <= 0.5:
            raise ConfigurationError(f"holdout_fraction {self.holdout_fraction} is out of range: use 0 to 0.5")
        if self.max_training_rows < 1:
            raise ConfigurationError("max_training_rows must be at least 1")
        return self


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
    top = {f.name for f in fields(RelsynthConfig)} - {"report_fail_under", "report_fail_over"} | {"report"}
    _check_keys("top level", data, top)
    report = data.pop("report", {})
    _check_keys("report", report, {"fail_under", "fail_over"})
    data["report_fail_under"] = {k: float(v) for k, v in report.get("fail_under", {}).items()}
    data["report_fail_over"] = {k: float(v) for k, v in report.get("fail_over", {}).items()}
    model_data = data.pop("model", {})
    privacy = PrivacyConfig.from_dict(data.pop("privacy", {}))
    _check_keys("model", model_data, {f.name for f in fields(ModelConfig)})
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
    config = replace(config, **{key: value for key, value in flags.items() if value is not None})
    return config.validated()
