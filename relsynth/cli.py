"""The command line: a thin layer over the public verbs. One command per verb."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from relsynth.errors import ConfigurationError, RelsynthError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, help="Synthetic, referentially intact clones of relational databases.")
console = Console(stderr=True)
out = Console()
_state = {"debug": False}

SchemaOption = Annotated[list[str] | None, typer.Option("--schema", help="Namespace(s) to read; repeat for several.")]
ConfigOption = Annotated[Path | None, typer.Option("--config", help="TOML config file (see README).")]
SeedOption = Annotated[int | None, typer.Option("--seed", help="Seed: the same seed gives the same clone.")]
ScaleOption = Annotated[float | None, typer.Option("--scale", help="Rows per source row, 0.01 to 100.")]
EpsilonOption = Annotated[float | None, typer.Option("--epsilon", help="Differential privacy: total epsilon of the clone.")]
DeltaOption = Annotated[float | None, typer.Option("--delta", help="Differential privacy: total delta (default 1e-6).")]
ReplaceWorkspaceOption = Annotated[bool, typer.Option("--replace-workspace", help="Overwrite the run the workspace already holds.")]
CreateTargetOption = Annotated[bool, typer.Option("--create-target", help="Create the target database (or SQLite folder) when it does not exist.")]
JobsOption = Annotated[int | None, typer.Option("--jobs", help="Tables trained at once (default: the number of cores); the clone is the same whatever the number.")]
ExecutorOption = Annotated[str | None, typer.Option("--executor", help="Where tables train: local (this machine) or ray (RAY_ADDRESS's cluster, else a local one; pip install 'relsynth[ray]').")]
UnitOption = Annotated[str | None, typer.Option("--privacy-unit", help="Table whose rows (with their descendants) are the privacy unit.")]


class StageProgress:
    """Renders the library's progress callbacks as one rich bar per stage and table."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.fields[stage]:>8}"), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
            console=console, transient=False,
        )
        self.tasks: dict[tuple[str, str], TaskID] = {}

    def __enter__(self) -> StageProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)

    def __call__(self, stage: str, table: str, fraction: float) -> None:
        key = (stage, table)
        if key not in self.tasks:
            self.tasks[key] = self.progress.add_task(table, total=1.0, stage=stage)
        self.progress.update(self.tasks[key], completed=fraction)


def _config(path: Path | None, **flags):
    from relsynth.config import load_config

    return load_config(path, **flags)


def _with_privacy(settings, epsilon: float | None, delta: float | None, unit: str | None):
    """Apply --epsilon/--delta/--privacy-unit over the config file's [privacy] section."""
    from dataclasses import replace as replaced

    flags = {k: v for k, v in {"epsilon": epsilon, "delta": delta, "unit": unit}.items() if v is not None}
    return replaced(settings, privacy=replaced(settings.privacy, **flags)) if flags else settings


@contextmanager
def _interrupts_reported() -> Iterator[None]:
    """Ctrl-C or SIGTERM during a load as one line and exit 130 / 143 (Typer would exit silently)."""
    from relsynth.errors import Interrupted
    from relsynth.interrupts import Terminated

    try:
        yield
    except KeyboardInterrupt as interrupt:
        terminated = isinstance(interrupt, Terminated)
        error = Interrupted(f"aborted by {'SIGTERM' if terminated else 'Ctrl-C'}: the target was left as it was")
        error.exit_code = 143 if terminated else 130
        raise error from interrupt


def _summary(result) -> None:
    if not result.rows:  # --schema-only
        out.print("schema created; time per stage: " + ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in result.seconds.items()))
        for warning in dict.fromkeys(result.warnings):
            console.print(f"[yellow]warning:[/] {warning}", highlight=False)
        return
    table = RichTable(title="relsynth clone")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in result.rows.items():
        table.add_row(name, f"{rows:,}")
    out.print(table)
    out.print("time per stage: " + ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in result.seconds.items()))
    for warning in dict.fromkeys(result.warnings):
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    _state["debug"] = debug
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@app.command()
def inspect(
    url: str,
    json_output: Annotated[bool, typer.Option("--json", help="Print the schema as versioned JSON.")] = False,
    schema: SchemaOption = None,
    rules: Annotated[bool, typer.Option("--rules", help="Also discover the rules the data obeys, with their support.")] = False,
) -> None:
    """Introspect a database: tables, columns, keys, the FK graph and warnings."""
    from relsynth.api import introspect
    from relsynth.api import plan as make_plan
    from relsynth.schema import snapshot

    found = introspect(url, schemas=schema)
    discovered = _discover_rules(url, found) if rules else None
    if json_output:
        text = snapshot.to_json(found)
        if discovered is not None:
            text = _with_rules_json(text, discovered)
        out.print_json(text) if sys.stdout.isatty() else print(text)
        return
    table = RichTable(title=f"{len(found.tables)} tables, {len(found.foreign_keys)} foreign keys ({found.dialect} {found.server_version or ''})")
    for heading in ("table", "columns", "primary key", "foreign keys"):
        table.add_column(heading)
    for element in found.tables:
        pk = ", ".join(element.primary_key.constrained_columns) if element.primary_key else "-"
        fks = "\n".join(f"({', '.join(fk.constrained_columns)}) -> {fk.referred_table}" for fk in element.foreign_keys) or "-"
        table.add_row(str(element.name), str(len(element.columns)), pk, fks)
    out.print(table)
    cycles = make_plan(found).cycles
    if cycles:
        out.print("cycles: " + "; ".join(" <-> ".join(str(n) for n in sorted(c, key=str)) for c in cycles))
    for view in found.views:
        out.print(f"view {view.name}")
    for warning in found.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    if not found.tables:
        console.print("[yellow]warning:[/] this database holds no tables (check the database name and --schema): there is nothing to clone", highlight=False)
    if discovered is not None:
        _print_rules(discovered)


def _discover_rules(url: str, schema):  # type: ignore[no-untyped-def]
    from relsynth.api import discover_rules

    return discover_rules(url, schema)


def _with_rules_json(schema_json: str, rules) -> str:  # type: ignore[no-untyped-def]
    import json

    data = json.loads(schema_json)
    data["rules"] = [{**rule.to_dict(), "description": rule.describe()} for rule in rules]
    return json.dumps(data, indent=2)


def _print_rules(rules) -> None:  # type: ignore[no-untyped-def]
    table = RichTable(title=f"{len(rules)} rules the data obeys (share of rows where the inputs are not NULL)")
    for heading in ("support", "kind", "rule"):
        table.add_column(heading)
    for rule in rules:
        table.add_row(f"{rule.support:.2%}", rule.kind.value, rule.describe())
    out.print(table)


@app.command()
def plan(
    url: str,
    json_output: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    schema: SchemaOption = None,
) -> None:
    """Show the generation order, each table's context parent and every deferred FK with its reason."""
    from relsynth.api import introspect
    from relsynth.api import plan as make_plan

    generation_plan = make_plan(introspect(url, schemas=schema))
    print(generation_plan.to_json() if json_output else generation_plan.render())


@app.command()
def clone(
    source: str,
    target: str,
    schema_only: Annotated[bool, typer.Option("--schema-only", help="Create an empty copy of the schema.")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Drop the target's tables that relsynth would create.")] = False,
    create_target: CreateTargetOption = False,
    scale: ScaleOption = None,
    seed: SeedOption = None,
    config: ConfigOption = None,
    workspace: Annotated[Path | None, typer.Option("--workspace", help="Keep the trained run here.")] = None,
    replace_workspace: ReplaceWorkspaceOption = False,
    report: Annotated[Path | None, typer.Option("--report", help="Write an HTML report of the clone here.")] = None,
    schema: SchemaOption = None,
    epsilon: EpsilonOption = None,
    delta: DeltaOption = None,
    privacy_unit: UnitOption = None,
    jobs: JobsOption = None,
    executor: ExecutorOption = None,
) -> None:
    """Learn SOURCE and write a synthetic clone into TARGET."""
    from relsynth.api import clone as run_clone

    settings = _with_privacy(_config(config, scale=scale, seed=seed, jobs=jobs, executor=executor), epsilon, delta, privacy_unit)
    with _interrupts_reported(), StageProgress() as progress:
        result = run_clone(source, target, config=settings, workspace=workspace, schemas=schema, replace=replace, schema_only=schema_only,
                           create_target=create_target, progress=progress, replace_workspace=replace_workspace)
    _summary(result)
    if report is not None:
        _write_report(source, target, html=report, json_path=None, settings=settings, run=result.run, scale=settings.scale,
                      rare_rows=result.rare_rows)


@app.command()
def train(
    source: str,
    workspace: Annotated[Path, typer.Option("--workspace", help="Directory for the trained run.")],
    replace_workspace: ReplaceWorkspaceOption = False,
    seed: SeedOption = None,
    config: ConfigOption = None,
    schema: SchemaOption = None,
    epsilon: EpsilonOption = None,
    delta: DeltaOption = None,
    privacy_unit: UnitOption = None,
    jobs: JobsOption = None,
    executor: ExecutorOption = None,
) -> None:
    """Learn SOURCE once; generate many times later with `relsynth generate`."""
    from relsynth.api import train as run_train

    settings = _with_privacy(_config(config, seed=seed, jobs=jobs, executor=executor), epsilon, delta, privacy_unit)
    with StageProgress() as progress:
        run = run_train(source, workspace=workspace, config=settings, schemas=schema, progress=progress, replace_workspace=replace_workspace)
    out.print(f"trained {len(run.tables)} tables into {workspace} in {sum(run.training_seconds.values()):.1f}s")


@app.command()
def generate(
    workspace: Path,
    target: str,
    scale: ScaleOption = None,
    seed: SeedOption = None,
    replace: Annotated[bool, typer.Option("--replace", help="Drop the target's tables that relsynth would create.")] = False,
    create_target: CreateTargetOption = False,
) -> None:
    """Generate from a trained run (no access to the source needed) into TARGET."""
    from relsynth.api import generate_into

    with _interrupts_reported(), StageProgress() as progress:
        result = generate_into(workspace, target, scale=scale, seed=seed, replace=replace, create_target=create_target, progress=progress)
    _summary(result)


def _parse_thresholds(items: list[str] | None, flag: str) -> dict[str, float]:
    thresholds = {}
    for item in items or []:
        name, _, value = item.partition("=")
        try:
            thresholds[name.strip()] = float(value)
        except ValueError:
            raise ConfigurationError(f"{flag} {item!r}: expected NAME=NUMBER, e.g. {flag} quality=0.85") from None
    return thresholds


def _write_report(source: str, target: str, *, html: Path | None, json_path: Path | None, settings=None, run=None,
                  fail_under: dict[str, float] | None = None, fail_over: dict[str, float] | None = None,
                  scale: float | None = None, utility_targets: list[str] | None = None,
                  rare_rows: dict[str, dict[str, int]] | None = None) -> None:
    """Build, show and write the report (``relsynth.report``); raise ThresholdFailed when a threshold is not met."""
    from relsynth.api import report as measure
    from relsynth.errors import ThresholdFailed

    result = measure(source, target, run=run, config=settings or _config(None), scale=scale, utility_targets=utility_targets,
                     rare_rows=rare_rows, fail_under=fail_under, fail_over=fail_over)
    out.print(result.terminal())
    for line in result.privacy:
        out.print(line, highlight=False)
    if html is not None:
        html.write_text(result.html(), encoding="utf-8")
        out.print(f"HTML report: {html}")
    if json_path is not None:
        json_path.write_text(result.to_json(), encoding="utf-8")
    if result.failures:
        raise ThresholdFailed("report thresholds not met: " + "; ".join(result.failures))


@app.command()
def report(
    source: str,
    target: str,
    html: Annotated[Path | None, typer.Option("--html", help="Write a self-contained HTML report.")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the figures as JSON.")] = None,
    fail_under: Annotated[list[str] | None, typer.Option("--fail-under", help="NAME=VALUE: fail when the figure is lower.")] = None,
    fail_over: Annotated[list[str] | None, typer.Option("--fail-over", help="NAME=VALUE: fail when the figure is higher.")] = None,
    seed: SeedOption = None,
    config: ConfigOption = None,
    workspace: Annotated[Path | None, typer.Option("--workspace", help="The run that made the clone: its holdout and its epsilon per component.")] = None,
    scale: Annotated[float | None, typer.Option("--scale", help="The scale the clone was made at (default: the workspace's, else inferred from the clone).")] = None,
    utility_target: Annotated[list[str] | None, typer.Option("--utility-target", help="TABLE.COLUMN to predict (train on the clone, test on the held-out rows); repeat for several.")] = None,
) -> None:
    """Measure a clone's integrity, fidelity, privacy and utility against its source."""
    from relsynth.api import load_run

    if scale is not None and not 0.01 <= scale <= 100:
        raise ConfigurationError(f"--scale {scale} is out of range: use the value the clone was made with, 0.01 to 100")

    _write_report(
        source, target, html=html, json_path=json_path, settings=_config(config, seed=seed),
        run=load_run(workspace, models=False) if workspace is not None else None,
        fail_under=_parse_thresholds(fail_under, "--fail-under"), fail_over=_parse_thresholds(fail_over, "--fail-over"),
        scale=scale, utility_targets=utility_target,
    )


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Where the demo databases and report go.")] = Path("relsynth-demo"),
    seed: SeedOption = None,
) -> None:
    """Build a demo shop database in SQLite, clone it, and show the result."""
    from relsynth.api import clone as run_clone
    from relsynth.demo import build_demo_database

    directory.mkdir(parents=True, exist_ok=True)
    source = build_demo_database(directory / "source.sqlite")
    target_path = directory / "clone.sqlite"
    target_path.unlink(missing_ok=True)
    target = f"sqlite:///{target_path}"
    out.print(f"source: {source}\nclone:  {target}")
    settings = _config(None, seed=seed)
    with StageProgress() as progress:
        result = run_clone(source, target, config=settings, progress=progress)
    _summary(result)
    _show_rows(source, target, "customer")
    _write_report(source, target, html=directory / "report.html", json_path=directory / "report.json", settings=settings,
                  run=result.run, scale=settings.scale, rare_rows=result.rare_rows)


def _show_rows(source: str, target: str, table_name: str) -> None:
    import sqlalchemy as sa

    for label, url in (("source", source), ("clone", target)):
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            result = connection.exec_driver_sql(f'SELECT * FROM "{table_name}" LIMIT 3')
            table = RichTable(title=f"{label}: first rows of {table_name}")
            for column in result.keys():
                table.add_column(column)
            for row in result:
                table.add_row(*("NULL" if v is None else str(v) for v in row))
        engine.dispose()
        out.print(table)


def main() -> None:
    """Entry point: one clear line and an exit code for every error, a traceback only with --debug."""
    try:
        app()
    except RelsynthError as error:
        if _state["debug"]:
            raise
        console.print(f"[red]error:[/] {error}", highlight=False)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        console.print("aborted")
        sys.exit(130)
    except Exception as error:
        if _state["debug"]:
            raise
        console.print(f"[red]unexpected error:[/] {type(error).__name__}: {error} (rerun with --debug for the traceback)", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
