"""The run's clock: local wall time of each run second, and per-step means of per-second arrays."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from .model import DAY

SECONDS = int(DAY)

type FloatArray = NDArray[np.float64]


def run_start(day: date, timezone: str, start_offset: float) -> datetime:
    """The aware instant at which the run starts (local midnight of `day` + `start_offset`)."""
    midnight = datetime.combine(day, time(), tzinfo=ZoneInfo(timezone))
    # Elapsed time, not wall time: on a DST day a noon start is still 12 h after midnight.
    return (midnight.astimezone(ZoneInfo("UTC")) + timedelta(seconds=start_offset)).astimezone(
        ZoneInfo(timezone)
    )


def wall_seconds(day: date, timezone: str, start_offset: float, t: FloatArray) -> FloatArray:
    """Local wall-clock seconds after `day`'s midnight for run times `t` (DST shifts included)."""
    start = run_start(day, timezone, start_offset)
    zone = ZoneInfo(timezone)
    base = start.timestamp()
    offset0 = start.utcoffset() or timedelta()
    end = datetime.fromtimestamp(base + float(t[-1]), tz=zone)
    offset1 = end.utcoffset() or timedelta()
    naive_start = start.replace(tzinfo=None) - datetime.combine(day, time())
    wall = t + naive_start.total_seconds()
    if offset1 != offset0:
        # The clocks change during the run: find the instant by bisection on the sorted times.
        lo, hi = 0, len(t) - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            here = datetime.fromtimestamp(base + float(t[mid]), tz=zone).utcoffset()
            lo, hi = (mid, hi) if here == offset0 else (lo, mid)
        wall[hi:] += (offset1 - offset0).total_seconds()
    return wall


def step_means(per_second: FloatArray, step_s: float) -> FloatArray:
    """Means of a per-second array (first axis: run seconds) over consecutive `step_s` steps."""
    if step_s <= 0:
        raise ValueError(f"step_s must be positive, got {step_s}")
    n = len(per_second)
    starts = np.floor(np.arange(0.0, n, step_s)).astype(np.int64)
    starts = np.unique(starts[starts < n])
    sums = np.add.reduceat(per_second, starts, axis=0)
    counts = np.diff(np.append(starts, n)).astype(np.float64)
    if per_second.ndim > 1:
        counts = counts[:, None]
    means: FloatArray = sums / counts
    return means


def parse_clock(text: str) -> float:
    """Seconds after midnight of "HH:MM" (hours >= 24 mean the next day: "30:00" = 06:00 + 1)."""
    hours, sep, minutes = text.strip().partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == len("MM")):
        raise ValueError(f"expected a time as 'HH:MM', got {text!r}")
    h, m = int(hours), int(minutes)
    if m >= 60 or h >= 48:  # noqa: PLR2004
        raise ValueError(f"expected a time as 'HH:MM', got {text!r}")
    return h * 3600.0 + m * 60.0


def format_clock(seconds: float) -> str:
    """Format seconds after midnight as "HH:MM" (with "+1" for the next day)."""
    days, rest = divmod(round(seconds / 60.0), 24 * 60)
    suffix = f"+{days}" if days else ""
    return f"{rest // 60:02d}:{rest % 60:02d}{suffix}"


class SecondlySeries:
    """A run's values, one row per second (W); subclasses set `_w` once, read-only."""

    _w: FloatArray

    def series(self, step_s: float) -> FloatArray:
        """Mean W of each `step_s` step of the run (rows as in `per_second`)."""
        return step_means(self._w, step_s)

    @property
    def per_second(self) -> FloatArray:
        """W of each second of the run, 86400 rows (read-only)."""
        return self._w

    @property
    def energy_wh(self) -> float:
        """Wh over the run (every column together)."""
        return float(self._w.sum()) / 3600.0
