"""Random streams: one :class:`numpy.random.Generator` per named model component.

Each component (``"areas"``, ``"duration/round2"``, ...) gets its own
:class:`numpy.random.SeedSequence`, keyed by the seed and a stable hash of the
component's name. So a component's draws do not depend on how many numbers other
components used, changing one part of the model leaves the others' draws alone, and the
global NumPy RNG is never touched.
"""

from __future__ import annotations

import zlib

import numpy as np


class Streams:
    """Named, independent random generators derived from one seed.

    Parameters
    ----------
    seed : int
        Non-negative integer seed of the whole world.
    """

    def __init__(self, seed: int) -> None:
        if int(seed) < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        self.seed = int(seed)

    def get(self, name: str) -> np.random.Generator:
        """The generator of component ``name`` (a fresh one on every call)."""
        key = zlib.crc32(name.encode("utf-8"))
        sequence = np.random.SeedSequence(entropy=self.seed, spawn_key=(key,))
        return np.random.Generator(np.random.PCG64(sequence))
