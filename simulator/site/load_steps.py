"""A house load with steps on top: a machine that runs for a while (a kiln, a compressor).

The steps are what a fuse test needs: a known load, at a known time, on known phases, that
no profile averages away.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np

from .model import HouseLoad, PhaseWatts
from .timeline import SECONDS, FloatArray, step_means


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadStep:
    """`watts` per phase added from `start` to `end` (s after the run start)."""

    name: str = "load step"
    start: float
    end: float
    watts: PhaseWatts

    def __post_init__(self) -> None:
        """Reject an empty or backwards step."""
        if not self.end > self.start:
            raise ValueError(f"{self.name}: end must be after start")

    def at(self, t: float) -> PhaseWatts:
        """What the step adds at `t`."""
        return self.watts if self.start <= t < self.end else (0.0, 0.0, 0.0)


class SteppedLoad:
    """`base` plus every step, per phase."""

    def __init__(self, base: HouseLoad, steps: tuple[LoadStep, ...]) -> None:
        """Add `steps` to `base`."""
        self.base = base
        self.steps = steps

    def at(self, t: float) -> PhaseWatts:
        """W per phase at `t` s after the run start."""
        a, b, c = self.base.at(t)
        for step in self.steps:
            if step.start <= t < step.end:
                a, b, c = a + step.watts[0], b + step.watts[1], c + step.watts[2]
        return (a, b, c)

    def series(self, step_s: float) -> FloatArray:
        """Mean W per phase of each `step_s` step (the base's exact series, if it has one)."""
        series = getattr(self.base, "series", None)
        if callable(series):
            base = np.array(series(step_s), dtype=np.float64)
        else:
            every = np.array([self.base.at(t + 0.5) for t in range(SECONDS)], dtype=np.float64)
            base = step_means(every, step_s)
        n = len(base)
        seconds = np.zeros((math.ceil(n * step_s), 3))
        for step in self.steps:
            lo, hi = max(0, math.floor(step.start)), min(len(seconds), math.ceil(step.end))
            if hi > lo:
                seconds[lo:hi] += np.asarray(step.watts)
        added: FloatArray = step_means(seconds, step_s)[:n]
        result: FloatArray = base + added
        return result

    def describe(self) -> str:
        """The steps, for `ScenarioDay.notes`."""
        parts = [
            f"{s.name} {'/'.join(f'{w / 1000:g}' for w in s.watts)} kW per phase "
            f"from +{s.start / 3600:.2f} h to +{s.end / 3600:.2f} h"
            for s in self.steps
        ]
        return "; ".join(parts)
