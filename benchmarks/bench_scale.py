"""Benchmark: TPC-H at growing scale factors, cloned end to end, timed and memory-measured.

For each scale factor (the PostgreSQL database load.sh writes: ``tpch`` for 1, else ``tpch_sf<SF>``
with dots as underscores, ``tpch_sf0_1``),
clone it into a scratch database in a child process of its own (its run saved to a temporary
workspace), then print: seconds per stage (introspect+train, generate, load), rows per second
for generation and for loading, the child's peak RSS, and the clone's quality and mean detection
accuracy from relsynth's own report. With ``--generate-scale N[,M...]``, generation alone
(``generate --scale N`` from the saved run, no source access) is measured the same way at each
scale, so the peaks show whether memory follows the rows generated (it should not: chunks).
``--from-run DIR`` skips the clone and measures generation from a run trained before.

Usage:
  python benchmarks/bench_scale.py [SF ...] [--seed 0] [--generate-scale 1,10] [--load] [--no-report] [--keep-run DIR] [--jobs N]
  python benchmarks/bench_scale.py --from-run DIR --generate-scale 1,3,10
  SF defaults to 0.1 (database tpch_sf0_1). ``--load`` first loads a missing scale factor with
  ../shared/datasets/tpch/load.sh (SF 1: about 2 minutes and 1.5 GB); without it a missing
  database is reported and skipped.

Server: RELSYNTH_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/postgres.
The sources are only read. Runs go one at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, database_url, scratch_database, server_url

LOAD_SCRIPT = REPO_ROOT.parent / "shared" / "datasets" / "tpch" / "load.sh"


@dataclass
class StageRun:
    """One child process: a clone (train, generate, load) or a generation from a saved run."""

    label: str
    ok: bool = False
    seconds: dict[str, float] = field(default_factory=dict)
    rows: int = 0
    peak_rss_mb: float = 0.0
    quality: float | None = None
    detection: float | None = None
    error: str = ""


def database_for(scale_factor: str) -> str:
    """The database load.sh writes: ``tpch`` for scale factor 1, else ``tpch_sf0_1`` and the like."""
    return "tpch" if scale_factor == "1" else "tpch_sf" + scale_factor.replace(".", "_")


def exists(database: str) -> bool:
    import sqlalchemy as sa

    from relsynth.connections import parse_url

    engine = sa.create_engine(parse_url(server_url()))
    try:
        with engine.connect() as connection:
            found = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database}).first()
        return found is not None
    finally:
        engine.dispose()


def load_dataset(scale_factor: str) -> None:
    from relsynth.connections import parse_url

    url = parse_url(server_url())
    env = dict(os.environ, PGHOST=url.host or "127.0.0.1", PGPORT=str(url.port or 5432), PGUSER=url.username or "postgres")
    subprocess.run(["bash", str(LOAD_SCRIPT), scale_factor], check=True, env=env)


def run_child(spec: dict[str, Any], label: str, timeout: float) -> StageRun:
    """Run one stage in a child; its peak RSS is its own (os.wait4 reports exactly that child)."""
    with tempfile.TemporaryDirectory(prefix="rs_bench_scale_") as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec), str(out)]
        with (Path(tmp) / "stderr.txt").open("w+") as stderr:
            child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, cwd=REPO_ROOT)
            started = time.perf_counter()
            while (pid_status := os.wait4(child.pid, os.WNOHANG))[0] == 0:
                if time.perf_counter() - started > timeout:
                    child.kill()
                time.sleep(0.5)
            _, _, usage = pid_status
            stderr.seek(0)
            tail = "\n".join(stderr.read().strip().splitlines()[-12:])
        result: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    run = StageRun(label, peak_rss_mb=usage.ru_maxrss / 1024)
    if not result.get("ok"):
        run.error = result.get("error") or tail or "the child left no result"
        return run
    run.ok, run.seconds, run.rows = True, result["seconds"], result["rows"]
    return run


def _worker(spec_json: str, out: str) -> None:
    from relsynth.config import RelsynthConfig
    from relsynth.pipeline import clone, generate_into

    spec = json.loads(spec_json)
    result: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        if spec["mode"] == "clone":
            config = RelsynthConfig(seed=spec["seed"], **({"jobs": spec["jobs"]} if spec.get("jobs") else {}))
            done = clone(spec["source"], spec["target"], config=config, workspace=spec["workspace"], replace=True)
        else:
            done = generate_into(spec["workspace"], spec["target"], scale=spec["scale"], seed=spec["seed"], replace=True)
        seconds = dict(done.seconds)
        seconds["total"] = round(time.perf_counter() - started, 3)
        result.update(ok=True, seconds=seconds, rows=sum(done.rows.values()))
    except BaseException:  # noqa: BLE001 - the benchmark reports every failure and goes on
        result.update(ok=False, error="\n".join(traceback.format_exc().strip().splitlines()[-12:]))
    Path(out).write_text(json.dumps(result))


def measure_quality(run: StageRun, source: str, target: str, seed: int) -> None:
    from relsynth.reporting import build_report

    try:
        report = build_report(source, target, sample_rows=10_000, seed=seed)
        run.quality, run.detection = report.fidelity.quality, report.detection_score
    except Exception as exc:  # noqa: BLE001 - a failed report is a figure, not a crash
        run.error = f"report failed: {type(exc).__name__}: {exc}"


def bench(scale_factor: str, args: argparse.Namespace) -> list[StageRun]:
    database = database_for(scale_factor)
    if not exists(database):
        if not args.load:
            print(f"SF {scale_factor}: database {database} is missing (pass --load to load it)")
            return []
        load_dataset(scale_factor)
    source = database_url(database)
    runs = []
    with tempfile.TemporaryDirectory(prefix="rs_bench_scale_run_") as workspace, scratch_database("rs_bench_scale") as target:
        run_dir = str(Path(args.keep_run) / database) if args.keep_run else f"{workspace}/run"
        spec = {"mode": "clone", "source": source, "target": target, "workspace": run_dir, "seed": args.seed, "jobs": args.jobs}
        run = run_child(spec, f"SF {scale_factor} clone", args.timeout)
        if run.ok and not args.no_report:
            measure_quality(run, source, target, args.seed)
        runs.append(run)
        if run.ok:
            runs += generations(run_dir, target, f"SF {scale_factor}", args)
    return runs


def generations(run_dir: str, target: str, label: str, args: argparse.Namespace) -> list[StageRun]:
    """``generate --scale N`` from ``run_dir`` into ``target`` for each N of ``--generate-scale``."""
    runs = []
    for scale in args.generate_scale:
        spec = {"mode": "generate", "target": target, "workspace": run_dir, "seed": args.seed, "scale": scale}
        runs.append(run_child(spec, f"{label} generate x{scale:g}", args.timeout))
    return runs


def _scales(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


def _rate(rows: int, seconds: float | None) -> str:
    return f"{rows / seconds:,.0f}" if seconds else "-"


def print_table(runs: list[StageRun]) -> None:
    header = f"{'run':<28} {'train s':>8} {'gen s':>8} {'load s':>8} {'total s':>8} {'rows':>11} {'gen rows/s':>11} {'load rows/s':>11} {'peak MB':>8} {'quality':>8} {'detect':>7}"
    print(header)
    print("-" * len(header))
    for run in runs:
        if not run.ok:
            print(f"{run.label:<28} FAILED (peak {run.peak_rss_mb:,.0f} MB): {run.error.splitlines()[-1] if run.error else ''}")
            continue
        s = run.seconds
        quality = f"{run.quality:.3f}" if run.quality is not None else "-"
        detection = f"{run.detection:.3f}" if run.detection is not None else "-"
        print(f"{run.label:<28} {s.get('train', 0):>8.1f} {s.get('generate', 0):>8.1f} {s.get('load', 0):>8.1f} {s.get('total', 0):>8.1f} "
              f"{run.rows:>11,} {_rate(run.rows, s.get('generate')):>11} {_rate(run.rows, s.get('load')):>11} "
              f"{run.peak_rss_mb:>8,.0f} {quality:>8} {detection:>7}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scale_factors", nargs="*", default=["0.1"], help="TPC-H scale factors (default 0.1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generate-scale", type=_scales, default=[], help="also time generate --scale N (comma-separated) from the run")
    parser.add_argument("--from-run", metavar="DIR", help="no clone: time generation from this trained run")
    parser.add_argument("--load", action="store_true", help="load a missing scale factor with the shared load.sh")
    parser.add_argument("--no-report", action="store_true", help="skip the quality report")
    parser.add_argument("--keep-run", metavar="DIR", help="keep each trained run in DIR/<database> (for profiling)")
    parser.add_argument("--jobs", type=int, default=None, help="tables trained at once (default: the number of cores)")
    parser.add_argument("--timeout", type=float, default=7200.0, help="seconds per child before it is killed")
    parser.add_argument("--worker", nargs=2, metavar=("SPEC", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(*args.worker)
        return
    if args.from_run:
        with scratch_database("rs_bench_scale") as target:
            runs = generations(args.from_run, target, Path(args.from_run).name, args)
    else:
        runs = [run for scale_factor in args.scale_factors for run in bench(scale_factor, args)]
    print()
    print_table(runs)


if __name__ == "__main__":
    main()
