"""Randomness of every DP mechanism, read from the operating system's CSPRNG and never stored.

A guarantee holds against someone who holds the output only if the noise cannot be replayed: noise
drawn from a generator seeded with ``--seed`` (saved in ``run.json``) could be regenerated and
subtracted. So no DP draw here takes a seed. Every one reads fresh bytes from ``os.urandom``
(getrandom(2): the kernel's ChaCha20 CSPRNG), turns them into 53-bit uniforms in (0, 1] and, for
Gaussians, into standard normals by the Box-Muller transform.

Opacus' ``secure_mode`` needs torchcsprng, last released in 2021 for torch 1.8 (pip finds no
version for this torch and Python), so relsynth does the same two things itself: the bytes come from
the OS, and each Gaussian is the sum of four draws halved (Holohan and Braghin, "Secure random
sampling in differential privacy", 2021; Opacus' ``_generate_noise``), which makes the
floating-point attacks on a single Box-Muller draw (Jin et al. 2022) cost about 2^159 instead of
2^53. Limits: the noise is still continuous floating-point Gaussian noise, not a discrete Gaussian
(Canonne, Kamath and Steinke 2020), and DP-SGD adds it in float32 as Opacus does. Cost: 32 bytes
of OS randomness per parameter and DP-SGD step (about 30 ms a step for 150k parameters on a busy
2-core machine). ``generator`` (a numpy PCG64 from 256 fresh bits, not a CSPRNG) serves only
post-processing, draws from an already noisy histogram, whose randomness need not be secret.
"""

from __future__ import annotations

import math
import os

import numpy as np

_TERMS = 4  # Gaussians summed per draw (sum / sqrt(_TERMS) keeps the variance)


def uniforms(n: int) -> np.ndarray:
    """``n`` independent uniforms in (0, 1] with 53 random bits each, from os.urandom."""
    bits = np.frombuffer(os.urandom(8 * n), dtype=np.uint64) >> np.uint64(11)
    return (bits.astype(np.float64) + 1.0) * 2.0**-53


def _standard_normals(n: int) -> np.ndarray:
    """``n`` standard normals from OS uniforms by Box-Muller (both outputs of each pair used)."""
    pairs = (n + 1) // 2
    radius = np.sqrt(-2.0 * np.log(uniforms(pairs)))
    angle = 2.0 * math.pi * uniforms(pairs)
    return np.concatenate([radius * np.cos(angle), radius * np.sin(angle)])[:n]


def gaussian(sigma: float, shape: int | tuple[int, ...]) -> np.ndarray:
    """N(0, sigma^2) noise of ``shape`` that no seed reproduces (see the module docstring)."""
    size = int(np.prod(shape))
    terms = _standard_normals(_TERMS * size).reshape(_TERMS, size).sum(axis=0) / math.sqrt(_TERMS)
    return (float(sigma) * terms).reshape(shape)


def generator() -> np.random.Generator:
    """A numpy Generator from 256 fresh bits of OS entropy, for post-processing draws (a cell
    from a noisy histogram) that need numpy's distributions; its seed is kept nowhere."""
    return np.random.default_rng(np.random.SeedSequence(int.from_bytes(os.urandom(32), "little")))


__all__ = ["gaussian", "generator", "uniforms"]
