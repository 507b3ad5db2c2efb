"""Parent clusters do not depend on how many threads the machine gives k-means (a clone's bytes would)."""

from __future__ import annotations

import os
import subprocess
import sys

PROGRAM = """
import hashlib
import numpy as np, pandas as pd
from relsynth.clustering import fit_clusters
rng = np.random.default_rng(0)
frame = pd.DataFrame({"a": rng.normal(size=20000), "b": rng.gamma(2.0, size=20000), "c": rng.choice(list("xyzw"), 20000)})
print(hashlib.sha256(repr(fit_clusters(frame, seed=3).to_dict()).encode()).hexdigest())
"""


def _centres_with(threads: int) -> str:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    done = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_same_centres_with_one_thread_or_several() -> None:
    # sklearn's k-means sums in chunks per OpenMP thread: 1 and 2 threads gave other centres before
    assert _centres_with(1) == _centres_with(2) == _centres_with(4)
