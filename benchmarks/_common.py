"""Shared helpers of the benchmarks: the server, scratch databases, and clones run in a child.

Each clone runs in its own child process (``python benchmarks/_common.py`` in worker mode) so
that its peak memory is its own: the parent reads the child's resource usage with ``os.wait4``,
which reports exactly that child (``RUSAGE_CHILDREN`` would give the largest child so far, so a
scale-10 run would leak into the scale-1 figure printed after it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
REPO_ROOT = Path(__file__).resolve().parent.parent
# The checkout first: a stale editable install can resolve ``relsynth`` as a namespace package
# (no __init__, so no verbs) when Python does not start in the repository root.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def server_url() -> str:
    """The PostgreSQL server holding the datasets: RELSYNTH_BENCH_POSTGRES_URL or the local one."""
    return os.environ.get("RELSYNTH_BENCH_POSTGRES_URL", DEFAULT_SERVER)


def database_url(database: str) -> str:
    from relsynth.connections import parse_url

    return parse_url(server_url()).set(database=database).render_as_string(hide_password=False)


def _admin():  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from relsynth.connections import parse_url

    return sa.create_engine(parse_url(server_url()), isolation_level="AUTOCOMMIT")


@contextmanager
def scratch_database(prefix: str = "rs_bench") -> Iterator[str]:
    """A fresh empty database on the server, dropped on exit; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = _admin()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(name)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def source_rows(url: str) -> dict[str, int]:
    """Exact row counts of every table in the source (read-only)."""
    from relsynth.connections import create_engine
    from relsynth.schema.introspection import introspect

    schema = introspect(url)
    engine = create_engine(url)
    counts: dict[str, int] = {}
    try:
        with engine.connect() as connection:
            quote = connection.dialect.identifier_preparer.quote
            for table in schema.tables:
                qualified = ".".join(quote(p) for p in (table.name.schema, table.name.name) if p)
                counts[str(table.name)] = connection.exec_driver_sql(f"SELECT count(*) FROM {qualified}").scalar_one()
    finally:
        engine.dispose()
    return counts


@dataclass
class CloneRun:
    """What one clone in a child process did."""

    dataset: str
    scale: float
    ok: bool
    wall_seconds: float  # the clone call itself, imports excluded
    process_seconds: float  # the whole child, interpreter start and imports included
    seconds: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    copied_tables: list[str] = field(default_factory=list)  # copied as reference data, not synthesized
    peak_rss_mb: float = 0.0  # the child's RSS high-water mark
    baseline_rss_mb: float = 0.0  # the child's RSS after importing relsynth and torch, before cloning
    error: str = ""  # the last lines of the traceback when not ok

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def run_clone(
    source_url: str,
    target_url: str,
    *,
    dataset: str,
    scale: float = 1.0,
    seed: int = 0,
    model: dict[str, Any] | None = None,
    timeout: float | None = None,
) -> CloneRun:
    """Clone in a child process and measure it; never raises for a failed clone."""
    spec = {"source": source_url, "target": target_url, "scale": scale, "seed": seed, "model": model or {}}
    with tempfile.TemporaryDirectory(prefix="rs_bench_") as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec), str(out)]
        log = Path(tmp) / "stderr.txt"
        started = time.perf_counter()
        with log.open("w") as stderr_file:
            child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr_file, cwd=REPO_ROOT)
            timer = threading.Timer(timeout, child.kill) if timeout else None
            if timer is not None:
                timer.start()
            # wait4 reaps this one child and returns its own rusage: its RSS high-water mark,
            # untouched by earlier children (RUSAGE_CHILDREN keeps the largest child so far).
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
            if timer is not None:
                timer.cancel()
        elapsed = time.perf_counter() - started
        stderr = log.read_text(errors="replace")
        if timeout and elapsed >= timeout:
            stderr = f"killed: timed out after {timeout} s\n{stderr}"
        result: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    if not result:
        tail = "\n".join((stderr or "").strip().splitlines()[-15:])
        error = tail or f"child exited with {child.returncode}"
        return CloneRun(dataset, scale, False, 0.0, elapsed, peak_rss_mb=usage.ru_maxrss / 1024, error=error)
    return CloneRun(
        dataset=dataset,
        scale=scale,
        ok=result["ok"],
        wall_seconds=result["wall"],
        process_seconds=elapsed,
        seconds=result.get("seconds", {}),
        rows=result.get("rows", {}),
        warnings=result.get("warnings", []),
        copied_tables=result.get("copied_tables", []),
        peak_rss_mb=usage.ru_maxrss / 1024,  # Linux: kilobytes
        baseline_rss_mb=result["baseline_rss_kb"] / 1024,
        error=result.get("error", ""),
    )


def _worker(spec_json: str, out: str) -> None:
    import resource
    from dataclasses import replace

    import relsynth
    from relsynth.config import RelsynthConfig
    from relsynth.modeling import ModelConfig
    from relsynth.pipeline import clone  # noqa: F401  (import torch & co. before the baseline)

    spec = json.loads(spec_json)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    config = RelsynthConfig(seed=spec["seed"], scale=spec["scale"], model=replace(ModelConfig(), **spec["model"]))
    started = time.perf_counter()
    result: dict[str, Any] = {"baseline_rss_kb": baseline}
    try:
        clone_result = relsynth.clone(spec["source"], spec["target"], config=config, replace=True, progress=None)
        result.update(ok=True, seconds=clone_result.seconds, rows=clone_result.rows, warnings=list(clone_result.warnings),
                      copied_tables=[str(name) for name in clone_result.run.copied])
    except BaseException:  # noqa: BLE001 - the benchmark reports every failure and goes on
        lines = traceback.format_exc().strip().splitlines()
        result.update(ok=False, error="\n".join(lines[-12:]))
    result["wall"] = time.perf_counter() - started
    Path(out).write_text(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="internal: run one clone (used by the benchmarks)")
    parser.add_argument("--worker", nargs=2, metavar=("SPEC", "OUT"), required=True)
    args = parser.parse_args()
    _worker(*args.worker)
