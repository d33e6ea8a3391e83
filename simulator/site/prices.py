"""Import and export prices: flat, or one value per local hour (24 values, EUR/kWh)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from .model import Prices
from .timeline import SECONDS, FloatArray, step_means

HOURS = 24
FORECAST_HOURS = 36  # slots a price sensor's forecast lists, the current one first


def tariff_hour(start_offset: float, t: float) -> int:
    """Hours elapsed from the day's local midnight to `t` s after the run start."""
    return int((start_offset + t) // 3600.0)


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
        return tariff_hour(self.start_offset, t) % HOURS

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


def import_forecast(
    prices: Prices,
    run_start: datetime,
    start_offset: float,
    t: float,
    hours: int = FORECAST_HOURS,
) -> list[dict[str, str | float]]:
    """The import price forecast from `t` on, as a price sensor's `forecast` attribute.

    `hours` hourly slots ``{"start", "end", "price"}``, the one holding `t` first (it may have
    begun before `t`), with ISO datetimes in `run_start`'s timezone. The slots are the hours
    `TariffPrices` bills by: they begin where `start_offset + t` is a whole hour, counted in
    elapsed time from the day's local midnight (the run starts `start_offset` s after it at the
    aware instant `run_start`). Each slot's price is the import price at its middle.
    """
    if run_start.tzinfo is None:
        raise ValueError("run_start needs a timezone")
    zone = run_start.tzinfo
    start_utc = run_start.astimezone(UTC)
    first = tariff_hour(start_offset, t) * 3600.0 - start_offset
    slots: list[dict[str, str | float]] = []
    for k in range(hours):
        begin = first + k * 3600.0
        # Elapsed time in UTC: aware arithmetic in a local zone would add wall time across DST.
        slots.append(
            {
                "start": (start_utc + timedelta(seconds=begin)).astimezone(zone).isoformat(),
                "end": (start_utc + timedelta(seconds=begin + 3600.0)).astimezone(zone).isoformat(),
                "price": prices.import_price(begin + 1800.0),
            }
        )
    return slots
