"""Import and export prices: flat, or one value per local hour (24 values, EUR/kWh)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .timeline import SECONDS, FloatArray, step_means

HOURS = 24


def _hourly(name: str, value: float | Sequence[float]) -> tuple[float, ...]:
    """24 hourly prices from a flat price or a list of 24."""
    values = (float(value),) * HOURS if isinstance(value, int | float) else tuple(map(float, value))
    if len(values) != HOURS:
        raise ValueError(f"{name}: expected one price or {HOURS} hourly prices, got {len(values)}")
    return values


class TariffPrices:
    """Prices by local hour of day (the hour of `start_offset + t`; DST is not shifted)."""

    def __init__(
        self,
        import_eur: float | Sequence[float],
        export_eur: float | Sequence[float] = 0.0,
        *,
        start_offset: float = 0.0,
    ) -> None:
        """Flat prices (a number) or hourly ones (24 numbers, 00:00-01:00 first)."""
        self.import_hourly = _hourly("import", import_eur)
        self.export_hourly = _hourly("export", export_eur)
        self.start_offset = start_offset

    def _hour(self, t: float) -> int:
        return int((self.start_offset + t) // 3600.0) % HOURS

    def import_price(self, t: float) -> float:
        """EUR per kWh bought at `t` s after the run start."""
        return self.import_hourly[self._hour(t)]

    def export_price(self, t: float) -> float:
        """EUR per kWh sold at `t` s after the run start."""
        return self.export_hourly[self._hour(t)]

    def series(self, step_s: float) -> FloatArray:
        """Mean import and export price of each `step_s` step of the run, shape (n, 2)."""
        hours = ((self.start_offset + np.arange(SECONDS)) // 3600.0).astype(np.int64) % HOURS
        table = np.column_stack([self.import_hourly, self.export_hourly])
        return step_means(table[hours], step_s)

    def describe(self) -> str:
        """Provenance of these prices, for `ScenarioDay.notes`."""

        def one(values: tuple[float, ...]) -> str:
            if len(set(values)) == 1:
                return f"flat {values[0]:g}"
            low, high = min(values), max(values)
            cheap = [h for h, v in enumerate(values) if v == low]
            return f"hourly {low:g}-{high:g} ({low:g} in {len(cheap)} h)"

        return f"import {one(self.import_hourly)} EUR/kWh, export {one(self.export_hourly)} EUR/kWh"
