"""Executors run tasks and hand back their results in the inputs' order, wherever they ran."""

from __future__ import annotations

import os
import sys
from dataclasses import replace

import pytest

from relsynth.config import ExecutorKind, RelsynthConfig, load_config
from relsynth.errors import ConfigurationError
from relsynth.executors import executor_for
from relsynth.executors.local import LocalExecutor
from relsynth.runs import _config_from_dict, _config_to_dict


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_come_in_the_inputs_order(jobs: int) -> None:
    with executor_for(ExecutorKind.LOCAL, jobs=jobs) as executor:
        assert list(executor.map(abs, [-3, 1, -2, 5, -8])) == [3, 1, 2, 5, 8]
        assert list(executor.map(abs, [])) == []


def test_one_job_runs_in_this_process() -> None:
    with LocalExecutor(1) as executor:
        assert list(executor.map(lambda _: os.getpid(), [None])) == [os.getpid()]  # inline: even a lambda runs


def test_two_jobs_run_in_other_processes() -> None:
    with LocalExecutor(2) as executor:
        pids = set(executor.map(_pid, range(4)))
    assert os.getpid() not in pids


def _pid(_: int) -> int:
    return os.getpid()


def test_a_task_error_reaches_the_caller_as_it_was_raised() -> None:
    with LocalExecutor(2) as executor, pytest.raises(ValueError, match="invalid literal"):
        list(executor.map(int, ["1", "x", "3"]))


def test_ray_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets where Ray is not installed
    with pytest.raises(ConfigurationError, match=r"pip install 'relsynth\[ray\]'"):
        executor_for(ExecutorKind.RAY, jobs=2)


def test_jobs_default_to_one_and_are_checked() -> None:
    assert RelsynthConfig().jobs == 1
    assert load_config(None, jobs=3, executor="ray").executor is ExecutorKind.RAY
    with pytest.raises(ConfigurationError, match="jobs 0 is out of range"):
        load_config(None, jobs=0)
    with pytest.raises(ConfigurationError, match="'spark' is not one of local, ray"):
        load_config(None, executor="spark")
    assert RelsynthConfig(executor="ray").executor is ExecutorKind.RAY  # from Python, as a string


def test_the_config_file_sets_jobs_and_executor(tmp_path) -> None:
    path = tmp_path / "relsynth.toml"
    path.write_text('jobs = 4\nexecutor = "ray"\n', encoding="utf-8")
    assert (load_config(path).jobs, load_config(path).executor) == (4, ExecutorKind.RAY)
    path.write_text('executor = "dask"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match="executor: 'dask'"):
        load_config(path)


def test_a_run_does_not_store_how_it_was_computed() -> None:
    config = replace(RelsynthConfig(seed=4), jobs=7, executor=ExecutorKind.RAY)
    stored = _config_to_dict(config)
    assert "jobs" not in stored and "executor" not in stored
    assert _config_from_dict(stored).seed == 4


def test_an_error_in_the_caller_stops_the_workers() -> None:
    executor = LocalExecutor(2)
    with pytest.raises(KeyError), executor:
        pool = executor._pool
        assert pool is not None and next(iter(executor.map(abs, [-1, 2]))) == 1
        processes = list(pool._processes.values())
        raise KeyError("the caller failed")
    assert processes and not any(process.is_alive() for process in processes)
