"""Prices: flat, hourly, run start offset, step means, the forecast a price sensor shows."""

from __future__ import annotations

from datetime import date, datetime
import itertools

import pytest

from simulator.site.prices import FORECAST_HOURS, HOURS, TariffPrices, import_forecast
from simulator.site.timeline import run_start

NIGHT_DAY = [0.17] * 6 + [0.22] * 16 + [0.17] * 2


def test_flat_prices() -> None:
    """One number: the same price all day."""
    prices = TariffPrices(0.32, 0.08)
    assert prices.import_price(0.0) == 0.32
    assert prices.export_price(86_399.0) == 0.08
    assert prices.series(3600).shape == (24, 2)
    assert "flat 0.32" in prices.describe()


def test_hourly_prices_follow_the_local_hour_from_the_run_start() -> None:
    """With a noon start, t = 0 is 12:00 and t = 12 h is midnight."""
    prices = TariffPrices(NIGHT_DAY, 0.06, start_offset=43_200.0)
    assert prices.import_price(0.0) == 0.22
    assert prices.import_price(10 * 3600.0) == 0.17  # 22:00
    assert prices.import_price(18 * 3600.0 - 1) == 0.17  # 05:59
    assert prices.import_price(18 * 3600.0) == 0.22  # 06:00
    series = prices.series(1800)
    assert series.shape == (48, 2)
    assert series[20, 0] == pytest.approx(0.17)
    assert series[:, 1] == pytest.approx([0.06] * 48)
    assert prices.series(5400)[6, 0] == pytest.approx((0.22 + 0.17 * 0.5) / 1.5)  # 21:00-22:30
    assert "hourly 0.17-0.22" in prices.describe()


def test_a_list_needs_24_values() -> None:
    """23 hourly prices are a mistake."""
    with pytest.raises(ValueError, match="import"):
        TariffPrices([0.3] * 23)


def _parse(slot: dict[str, str | float], key: str) -> datetime:
    value = slot[key]
    assert isinstance(value, str)
    moment = datetime.fromisoformat(value)
    assert moment.tzinfo is not None
    return moment


def _check_contiguous_hours(slots: list[dict[str, str | float]]) -> None:
    """Every slot lasts one elapsed hour and the next begins where it ends."""
    for slot, after in itertools.pairwise(slots):
        assert slot["end"] == after["start"]
    for slot in slots:
        assert (_parse(slot, "end") - _parse(slot, "start")).total_seconds() == 3600.0


def test_forecast_from_a_noon_start_runs_across_midnight() -> None:
    """36 hourly slots from the run start, local times, the night price from 22:00 to 06:00."""
    prices = TariffPrices(NIGHT_DAY, start_offset=43_200.0)
    start = run_start(date(2025, 10, 14), "Europe/Berlin", 43_200.0)
    slots = import_forecast(prices, start, 43_200.0, 0.0)
    assert len(slots) == FORECAST_HOURS
    _check_contiguous_hours(slots)
    assert slots[0] == {
        "start": "2025-10-14T12:00:00+02:00",
        "end": "2025-10-14T13:00:00+02:00",
        "price": 0.22,
    }
    assert (slots[9]["start"], slots[9]["price"]) == ("2025-10-14T21:00:00+02:00", 0.22)
    assert (slots[10]["start"], slots[10]["price"]) == ("2025-10-14T22:00:00+02:00", 0.17)
    assert (slots[12]["start"], slots[12]["price"]) == ("2025-10-15T00:00:00+02:00", 0.17)
    assert (slots[18]["start"], slots[18]["price"]) == ("2025-10-15T06:00:00+02:00", 0.22)
    assert slots[-1]["end"] == "2025-10-16T00:00:00+02:00"  # past the run: the tariff repeats
    assert [slot["price"] for slot in slots[:24]] == [
        prices.import_price(k * 3600.0) for k in range(24)
    ]


def test_forecast_begins_with_the_current_slot() -> None:
    """Mid-hour, the slot holding `t` comes first (it began before `t`)."""
    prices = TariffPrices(NIGHT_DAY, start_offset=43_200.0)
    start = run_start(date(2025, 10, 14), "Europe/Berlin", 43_200.0)
    slots = import_forecast(prices, start, 43_200.0, 10.5 * 3600.0, hours=3)
    assert [slot["start"] for slot in slots] == [
        "2025-10-14T22:00:00+02:00",
        "2025-10-14T23:00:00+02:00",
        "2025-10-15T00:00:00+02:00",
    ]
    assert [slot["price"] for slot in slots] == [0.17] * 3


def test_forecast_of_a_run_starting_off_the_hour() -> None:
    """A 12:30 start: the first slot began half an hour before the run."""
    prices = TariffPrices(NIGHT_DAY, start_offset=45_000.0)
    start = run_start(date(2025, 10, 14), "Europe/Berlin", 45_000.0)
    (slot,) = import_forecast(prices, start, 45_000.0, 0.0, hours=1)
    assert slot == {
        "start": "2025-10-14T12:00:00+02:00",
        "end": "2025-10-14T13:00:00+02:00",
        "price": 0.22,
    }


@pytest.mark.parametrize(
    ("day", "starts"),
    [
        # Spring forward: 02:00 CET is 03:00 CEST; the night has 23 hours.
        (
            date(2025, 3, 29),
            ["2025-03-30T01:00:00+01:00", "2025-03-30T03:00:00+02:00", "2025-03-30T04:00:00+02:00"],
        ),
        # Fall back: 03:00 CEST is 02:00 CET; the night has 25 hours, 02:00 comes twice.
        (
            date(2025, 10, 25),
            ["2025-10-26T01:00:00+02:00", "2025-10-26T02:00:00+02:00", "2025-10-26T02:00:00+01:00"],
        ),
    ],
)
def test_forecast_across_dst(day: date, starts: list[str]) -> None:
    """Slots are elapsed hours (as the tariff bills them), written in the local time of day."""
    hourly = [0.1 * (h + 1) for h in range(HOURS)]
    prices = TariffPrices(hourly, start_offset=43_200.0)
    start = run_start(day, "Europe/Berlin", 43_200.0)
    slots = import_forecast(prices, start, 43_200.0, 0.0)
    _check_contiguous_hours(slots)
    assert [slot["start"] for slot in slots[13:16]] == starts
    for k, slot in enumerate(slots):
        elapsed = (_parse(slot, "start") - start).total_seconds()
        assert elapsed == k * 3600.0
        # The price the run is billed at during the slot.
        assert slot["price"] == prices.import_price(elapsed) == prices.import_price(elapsed + 3599)


def test_forecast_needs_an_aware_start() -> None:
    """A naive run start has no timezone to write the slots in."""
    naive = datetime(2025, 1, 1, 12)  # noqa: DTZ001 - what is tested
    with pytest.raises(ValueError, match="timezone"):
        import_forecast(TariffPrices(0.3), naive, 43_200.0, 0.0)
