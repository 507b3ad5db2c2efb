"""A trained run on disk: everything needed to generate without access to the source.

Layout of a workspace::

    run.json             format version, config, per-table artifacts (JSON)
    schema.json          the introspected schema (relsynth.schema.snapshot)
    plan.json            the generation plan
    models/<n>/          one TableModel per synthesized table (weights + JSON)
    copied/<n>.parquet   rows of tables in ``copy`` mode (public reference data by the user's choice)
    holdout/<n>.parquet  real rows kept out of training, for the report's privacy figures; delete
                         the folder before sharing a run outside the team that owns the source

Nothing is pickled.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from relsynth.config import RelsynthConfig, TableMode, TableOverride
from relsynth.errors import ArtifactError, ConfigurationError
from relsynth.modeling.config import ModelConfig
from relsynth.planning import GenerationPlan
from relsynth.roles import ColumnPlan, Role
from relsynth.rules.model import Rule
from relsynth.schema import snapshot
from relsynth.schema.elements import QualifiedName, Schema
from relsynth.values.identifying import IdentifyingKind

if TYPE_CHECKING:
    from relsynth.modeling.training import TableModel

RUN_FORMAT = "relsynth.run"
RUN_VERSION = 1


@dataclass
class TableArtifact:
    """What was learned about one table, as JSON-serialisable state."""

    table: QualifiedName
    mode: TableMode
    source_rows: int
    columns: tuple[ColumnPlan, ...]
    model_columns: tuple[str, ...] = ()  # model frame columns, helpers (__children__ ...) included
    children: dict[int, str] = field(default_factory=dict)  # context FK id -> count column here
    degrees: dict[int, str] = field(default_factory=dict)  # secondary/deferred FK id -> degree column here
    refs: dict[int, str] = field(default_factory=dict)  # secondary/deferred FK id -> wanted-cluster column here
    clusters: dict[str, Any] | None = None  # ParentClusters state, when other tables point here
    null_context_rows: int = 0  # source rows whose context foreign key is NULL
    checks: tuple[str, ...] = ()  # CHECK expressions over this table's columns (domains' included)
    derived: dict[str, str] = field(default_factory=dict)  # column -> context column it copies (denormalised)
    values: dict[str, Any] = field(default_factory=dict)  # generator states: keys, identifying, text, opaque
    model: TableModel | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": {"schema": self.table.schema, "name": self.table.name},
            "mode": self.mode.value,
            "source_rows": self.source_rows,
            "columns": [
                {
                    "name": c.name,
                    "role": c.role.value,
                    "identifying_kind": c.identifying_kind.value if c.identifying_kind else None,
                    "unique": c.unique,
                }
                for c in self.columns
            ],
            "model_columns": list(self.model_columns),
            "children": {str(k): v for k, v in self.children.items()},
            "degrees": {str(k): v for k, v in self.degrees.items()},
            "refs": {str(k): v for k, v in self.refs.items()},
            "clusters": self.clusters,
            "null_context_rows": self.null_context_rows,
            "checks": list(self.checks),
            "derived": self.derived,
            "values": self.values,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableArtifact:
        return cls(
            table=QualifiedName(data["table"]["schema"], data["table"]["name"]),
            mode=TableMode(data["mode"]),
            source_rows=int(data["source_rows"]),
            columns=tuple(
                ColumnPlan(
                    c["name"],
                    Role(c["role"]),
                    IdentifyingKind(c["identifying_kind"]) if c["identifying_kind"] else None,
                    bool(c["unique"]),
                )
                for c in data["columns"]
            ),
            model_columns=tuple(data["model_columns"]),
            children={int(k): v for k, v in data["children"].items()},
            degrees={int(k): v for k, v in data["degrees"].items()},
            refs={int(k): v for k, v in data["refs"].items()},
            clusters=data["clusters"],
            null_context_rows=int(data["null_context_rows"]),
            checks=tuple(data["checks"]),
            derived=dict(data.get("derived", {})),
            values=data["values"],
        )


@dataclass
class Run:
    """A trained run: the schema, the plan, and one artifact per table, in plan order."""

    schema: Schema
    plan: GenerationPlan
    config: RelsynthConfig
    tables: dict[QualifiedName, TableArtifact]
    workspace: Path | None = None
    copied: dict[QualifiedName, pd.DataFrame] = field(default_factory=dict)
    holdout: dict[QualifiedName, pd.DataFrame] = field(default_factory=dict)  # real rows kept out of training
    training_seconds: dict[str, float] = field(default_factory=dict)
    privacy: dict[str, Any] | None = None  # the DP accountant's state (relsynth.privacy), when trained with DP
    source: dict[str, Any] | None = None  # the source's identity (relsynth.identity): never a target
    rules: tuple[Rule, ...] = ()  # relational rules of the source (relsynth.rules), each with its support

    def fk_id(self, fk: Any) -> int:
        return self.schema.foreign_keys.index(fk)

    def identifying_columns(self) -> dict[QualifiedName, tuple[str, ...]]:
        """The columns generated as identifying whose single values point at a person (not a
        first name or a city alone), plus birth dates: what the report's verbatim check reads."""
        from relsynth.roles import Role
        from relsynth.values.detection import COMMON_VALUE_KINDS

        return {
            name: tuple(
                c.name for c in artifact.columns
                if c.role is Role.IDENTIFYING and c.identifying_kind not in COMMON_VALUE_KINDS
                or c.name in artifact.values.get("forbidden", {}) and c.role is Role.MODEL
            )
            for name, artifact in self.tables.items()
        }


def _table_dir(index: int) -> str:
    return f"{index:04d}"


RUNTIME_SETTINGS = ("jobs", "executor")  # how a run was computed, not what it holds: not stored


def _config_to_dict(config: RelsynthConfig) -> dict[str, Any]:
    data = {key: value for key, value in asdict(config).items() if key not in RUNTIME_SETTINGS}
    data["model"] = config.model.to_dict()
    data["tables"] = {
        name: {"mode": o.mode.value if o.mode else None, "columns": {c: r.value for c, r in o.columns.items()}}
        for name, o in config.tables.items()
    }
    data["rules"] = config.rules.to_dict()
    return data


def _config_from_dict(data: dict[str, Any]) -> RelsynthConfig:
    from relsynth.config import ColumnRole

    tables = {
        name: TableOverride(mode=TableMode(o["mode"]) if o["mode"] else None, columns={c: ColumnRole(r) for c, r in o["columns"].items()})
        for name, o in data.pop("tables").items()
    }
    from relsynth.privacy.config import PrivacyConfig

    privacy = PrivacyConfig.from_dict(data.pop("privacy", None) or {})
    from relsynth.rules.steering import RulesConfig

    rules = RulesConfig.from_dict(data.pop("rules", None) or {})
    data = {key: tuple(value) if isinstance(value, list) else value for key, value in data.items()}  # JSON has no tuples
    return RelsynthConfig(model=ModelConfig.from_dict(data.pop("model")), tables=tables, privacy=privacy, rules=rules, **data)


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every column Parquet cannot type (mixed JSON, say) turned into text."""
    import pyarrow as pa

    safe = frame.copy()
    for column in safe.columns:
        try:
            pa.array(safe[column], from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError):
            safe[column] = safe[column].map(lambda v: v if v is None else str(v))
    return safe


_RUN_FILES = ("run.json", "schema.json", "plan.json", "models", "copied", "holdout")  # run.json first: it marks a run


def check_workspace(workspace: Path, *, replace: bool) -> None:
    """Refuse a workspace that already holds a run, unless ``replace``."""
    if (Path(workspace) / "run.json").exists() and not replace:
        raise ConfigurationError(
            f"{workspace} already holds a trained run; pass --replace-workspace to overwrite it, "
            "or choose another directory"
        )


def _remove_run(workspace: Path) -> None:
    """Remove a previous run's files (and only those), so none of its models or rows linger."""
    for name in _RUN_FILES:
        path = workspace / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def save_run(run: Run, workspace: Path, *, replace: bool = False) -> None:
    """Write ``run`` under ``workspace`` (created if needed); see ``check_workspace`` for ``replace``."""
    workspace = Path(workspace)
    check_workspace(workspace, replace=replace)
    _remove_run(workspace)
    (workspace / "models").mkdir(parents=True, exist_ok=True)
    (workspace / "schema.json").write_text(snapshot.to_json(run.schema), encoding="utf-8")
    (workspace / "plan.json").write_text(run.plan.to_json(), encoding="utf-8")
    artifacts = []
    for index, (name, artifact) in enumerate(run.tables.items()):
        entry = artifact.to_dict()
        if artifact.model is not None:
            entry["model_dir"] = f"models/{_table_dir(index)}"
            artifact.model.save(workspace / entry["model_dir"])
        if name in run.copied:
            (workspace / "copied").mkdir(exist_ok=True)
            entry["copied_file"] = f"copied/{_table_dir(index)}.parquet"
            _parquet_safe(run.copied[name]).to_parquet(workspace / entry["copied_file"], index=False)
        if name in run.holdout:
            (workspace / "holdout").mkdir(exist_ok=True)
            entry["holdout_file"] = f"holdout/{_table_dir(index)}.parquet"
            _parquet_safe(run.holdout[name]).to_parquet(workspace / entry["holdout_file"], index=False)
        artifacts.append(entry)
    document = {
        "format": RUN_FORMAT,
        "version": RUN_VERSION,
        "config": _config_to_dict(run.config),
        "training_seconds": run.training_seconds,
        "privacy": run.privacy,
        "source": run.source,
        "rules": [rule.to_dict() for rule in run.rules],
        "tables": artifacts,
    }
    # compact: the C encoder, several times faster than an indented document of long lists
    (workspace / "run.json").write_text(json.dumps(document, default=str), encoding="utf-8")
    run.workspace = workspace


def load_run(workspace: Path, *, models: bool = True) -> Run:
    """Read a run written by ``save_run``; without ``models`` its table models (torch) are left
    unread, for what needs only the run's data (the report: holdout, modes, privacy)."""
    workspace = Path(workspace)
    path = workspace / "run.json"
    if not path.exists():
        raise ArtifactError(f"{workspace} holds no trained run (no run.json); train one with `relsynth train`")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{path} is damaged: {exc}") from exc
    if document.get("format") != RUN_FORMAT or document.get("version") != RUN_VERSION:
        raise ArtifactError(
            f"{path} is format {document.get('format')!r} version {document.get('version')!r}; this relsynth "
            f"reads {RUN_FORMAT} version {RUN_VERSION}: retrain with this version"
        )
    schema = snapshot.from_json((workspace / "schema.json").read_text(encoding="utf-8"))
    plan = GenerationPlan.from_json((workspace / "plan.json").read_text(encoding="utf-8"))
    tables: dict[QualifiedName, TableArtifact] = {}
    copied: dict[QualifiedName, pd.DataFrame] = {}
    holdout: dict[QualifiedName, pd.DataFrame] = {}
    for entry in document["tables"]:
        artifact = TableArtifact.from_dict(entry)
        if models and "model_dir" in entry:
            from relsynth.modeling.training import TableModel  # torch: only a run with models needs it

            artifact.model = TableModel.load(workspace / entry["model_dir"])
        if "copied_file" in entry:
            copied[artifact.table] = pd.read_parquet(workspace / entry["copied_file"])
        if "holdout_file" in entry:
            holdout[artifact.table] = pd.read_parquet(workspace / entry["holdout_file"])
        tables[artifact.table] = artifact
    return Run(
        schema=schema,
        plan=plan,
        config=_config_from_dict(document["config"]),
        tables=tables,
        workspace=workspace,
        copied=copied,
        holdout=holdout,
        training_seconds=document.get("training_seconds", {}),
        privacy=document.get("privacy"),
        source=document.get("source"),
        rules=tuple(Rule.from_dict(entry) for entry in document.get("rules", ())),  # older runs: none
    )
