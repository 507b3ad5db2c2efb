"""Benchmark: whole clones, PostgreSQL -> a fresh PostgreSQL database, timed and memory-measured.

For each dataset (a database of that name on the server), clone it into a scratch database that
this script creates and drops, in a child process of its own, and print: seconds per stage (train,
generate, load), the clone's wall time, rows generated, rows/s for generation and for loading, and
the child's peak RSS. Targets: chinook < 60 s, pagila < 120 s, peak memory < 2 GB.

Usage:
  python benchmarks/bench_clone.py [chinook pagila ...] [--scale 1] [--seed 0]
  python benchmarks/bench_clone.py chinook --memory-scales 1,10   # peak memory side by side

Server: RELSYNTH_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/postgres.
The sources are only read. Clones run one at a time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    CloneRun,
    database_url,
    run_clone,
    scratch_database,
    server_url,
    source_rows,
)

from relsynth.connections import redact

TIME_TARGETS = {"chinook": 60.0, "pagila": 120.0}  # seconds for the whole clone at scale 1
MEMORY_TARGET_MB = 2048.0


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def clone_once(dataset: str, *, scale: float, seed: int, timeout: float) -> CloneRun:
    with scratch_database("rs_bench_clone") as target:
        return run_clone(database_url(dataset), target, dataset=dataset, scale=scale, seed=seed, timeout=timeout)


def print_run(run: CloneRun) -> None:
    print(f"\n== {run.dataset} (scale {run.scale:g})")
    try:
        expected = round(sum(source_rows(database_url(run.dataset)).values()) * run.scale)
    except Exception as exc:  # noqa: BLE001 - the count is context, not the measurement
        expected, reason = None, str(exc).splitlines()[0]
        print(f"  (cannot count the source's rows: {reason})")
    if not run.ok:
        print(f"  FAILED after {run.process_seconds:.1f} s (peak RSS {run.peak_rss_mb:,.0f} MB):")
        for line in run.error.splitlines():
            print(f"    {line}")
        return
    stages = "  ".join(f"{stage} {seconds:.1f}s" for stage, seconds in run.seconds.items())
    print(f"  stages:        {stages}")
    print(f"  wall time:     {run.wall_seconds:.1f} s (clone call); {run.process_seconds:.1f} s with interpreter start and imports")
    wanted = f" (source x scale: {expected:,})" if expected is not None else ""
    print(f"  rows:          {run.total_rows:,} in {len(run.rows)} tables{wanted}")
    for stage in ("generate", "load"):
        seconds = run.seconds.get(stage)
        if seconds:
            print(f"  {stage + ' rate:':<14} {run.total_rows / seconds:,.0f} rows/s")
    print(f"  peak RSS:      {run.peak_rss_mb:,.0f} MB (after imports, before cloning: {run.baseline_rss_mb:,.0f} MB)")
    target = TIME_TARGETS.get(run.dataset)
    if target is not None and run.scale == 1:
        print(f"  target wall < {target:.0f} s: {_verdict(run.wall_seconds < target)} ({run.wall_seconds:.1f} s)")
    print(f"  target memory < 2 GB: {_verdict(run.peak_rss_mb < MEMORY_TARGET_MB)} ({run.peak_rss_mb:,.0f} MB)")
    if run.warnings:
        print(f"  warnings ({len(run.warnings)}):")
        for warning in run.warnings[:10]:
            print(f"    {warning}")
        if len(run.warnings) > 10:
            print(f"    ... and {len(run.warnings) - 10} more")


def memory_comparison(dataset: str, scales: list[float], *, seed: int, timeout: float) -> None:
    runs = []
    for scale in scales:
        run = clone_once(dataset, scale=scale, seed=seed, timeout=timeout)
        print_run(run)
        runs.append(run)
    print(f"\n== peak memory of {dataset} by scale (each clone in its own child process)")
    print(f"  {'scale':>6} {'rows':>11} {'peak RSS MB':>12} {'above baseline MB':>18} {'wall s':>8}")
    for run in runs:
        if run.ok:
            above = run.peak_rss_mb - run.baseline_rss_mb
            print(f"  {run.scale:>6g} {run.total_rows:>11,} {run.peak_rss_mb:>12,.0f} {above:>18,.0f} {run.wall_seconds:>8.1f}")
        else:
            print(f"  {run.scale:>6g} {'FAILED':>11} {run.peak_rss_mb:>12,.0f}")
    ok = [r for r in runs if r.ok]
    if len(ok) >= 2:
        low, high = ok[0], ok[-1]
        ratio = high.peak_rss_mb / low.peak_rss_mb
        print(
            f"  target: scale {high.scale:g} uses no more memory than scale {low.scale:g}: "
            f"{_verdict(high.peak_rss_mb <= low.peak_rss_mb * 1.05)} "
            f"(x{ratio:.2f}; within 5% counts as no more)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="*", default=["chinook", "pagila"], help="source database names")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-scales", help="comma-separated scales, e.g. 1,10: compare peak memory")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds before a clone is killed")
    args = parser.parse_args()

    print(f"server {redact(server_url())}; each clone runs alone in a child process; targets are dropped after")
    if args.memory_scales:
        scales = [float(s) for s in args.memory_scales.split(",") if s.strip()]
        for dataset in args.datasets:
            memory_comparison(dataset, scales, seed=args.seed, timeout=args.timeout)
        return
    runs = []
    for dataset in args.datasets:
        run = clone_once(dataset, scale=args.scale, seed=args.seed, timeout=args.timeout)
        print_run(run)
        runs.append(run)
    print(f"\n== summary (scale {args.scale:g}, seed {args.seed})")
    print(f"  {'dataset':<10} {'train':>7} {'gen':>6} {'load':>6} {'wall':>7} {'rows':>10} {'gen r/s':>10} {'load r/s':>10} {'RSS MB':>8}")
    for run in runs:
        if not run.ok:
            print(f"  {run.dataset:<10} FAILED (see above)")
            continue
        s = run.seconds
        gen = run.total_rows / s["generate"] if s.get("generate") else float("nan")
        load = run.total_rows / s["load"] if s.get("load") else float("nan")
        print(
            f"  {run.dataset:<10} {s.get('train', 0):>7.1f} {s.get('generate', 0):>6.1f} {s.get('load', 0):>6.1f} "
            f"{run.wall_seconds:>7.1f} {run.total_rows:>10,} {gen:>10,.0f} {load:>10,.0f} {run.peak_rss_mb:>8,.0f}"
        )


if __name__ == "__main__":
    main()
