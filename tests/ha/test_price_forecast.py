"""The price forecast: every attribute layout, missing ends, naive times, bad entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.util import dt as dt_util
import pytest

from custom_components.smart_charging.price_forecast import (
    PriceForecast,
    PriceInterval,
    parse_entries,
    parse_price_state,
)

ENTITY = "sensor.price"
T0 = datetime(2026, 1, 10, 0, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
QUARTER = timedelta(minutes=15)


def at(hours: float) -> datetime:
    """T0 plus some hours (UTC)."""
    return T0 + timedelta(hours=hours)


def iso(hours: float) -> str:
    """T0 plus some hours, as ISO text with an offset (+01:00, like most price APIs)."""
    return at(hours).astimezone(dt_util.get_time_zone("Europe/Berlin")).isoformat()


def state(attributes: dict[str, Any], value: str = "0.25") -> State:
    """A state of the price entity."""
    return State(ENTITY, value, attributes)


def test_nord_pool_today_and_tomorrow() -> None:
    """raw_today + raw_tomorrow win over Nord Pool's bare `today` prices; sorted by start."""
    parsed = parse_price_state(
        state(
            {
                "today": [0.3, 0.2],
                "raw_today": [
                    {"start": at(1), "end": at(2), "value": 0.2},
                    {"start": at(0), "end": at(1), "value": 0.3},
                ],
                "raw_tomorrow": [{"start": iso(24), "end": iso(25), "value": "0.1"}],
            }
        )
    )
    assert parsed.layout == "raw_today"
    assert parsed.skipped == 0
    assert parsed.intervals == (
        PriceInterval(at(0), at(1), 0.3),
        PriceInterval(at(1), at(2), 0.2),
        PriceInterval(at(24), at(25), 0.1),
    )
    assert all(interval.start.tzinfo is UTC for interval in parsed.intervals)


def test_nord_pool_before_tomorrow_is_published() -> None:
    """No prices for tomorrow yet (None or an empty list): today's only."""
    tomorrows: tuple[list[object] | None, ...] = (None, [])
    for tomorrow in tomorrows:
        parsed = parse_price_state(
            state(
                {
                    "raw_today": [{"start": at(0), "end": at(1), "value": 0.3}],
                    "raw_tomorrow": tomorrow,
                }
            )
        )
        assert parsed.intervals == (PriceInterval(at(0), at(1), 0.3),)


@pytest.mark.parametrize("key", ["price_eur_per_mwh", "price_ct_per_kwh", "price_per_kwh"])
def test_epex_spot(key: str) -> None:
    """EPEX Spot: `data` entries with start_time, end_time and a price in any unit."""
    parsed = parse_price_state(
        state(
            {
                "data": [
                    {"start_time": iso(0), "end_time": iso(0.25), key: 95.5},
                    {"start_time": iso(0.25), "end_time": iso(0.5), key: -3},
                ]
            }
        )
    )
    assert parsed.layout == "data"
    assert parsed.intervals == (
        PriceInterval(at(0), at(0.25), 95.5),
        PriceInterval(at(0.25), at(0.5), -3.0),
    )


def test_tibber_without_ends() -> None:
    """Tibber: startsAt and total; an entry lasts until the next, the last as long as before."""
    parsed = parse_price_state(
        state(
            {
                "today": [
                    {"startsAt": iso(23), "total": 0.21},
                    {"startsAt": iso(22), "total": 0.22},
                ],
                "tomorrow": [{"startsAt": iso(24), "total": 0.19}],
            }
        )
    )
    assert parsed.layout == "today"
    assert parsed.intervals == (
        PriceInterval(at(22), at(23), 0.22),
        PriceInterval(at(23), at(24), 0.21),
        PriceInterval(at(24), at(25), 0.19),
    )


def test_generic_forecast_and_prices() -> None:
    """`forecast` (from/till) and `prices` (start/price, quarter hours, no ends)."""
    parsed = parse_price_state(
        state({"forecast": [{"from": iso(0), "till": iso(2), "price": 0.3}]})
    )
    assert parsed.layout == "forecast"
    assert parsed.intervals == (PriceInterval(at(0), at(2), 0.3),)

    parsed = parse_price_state(
        state(
            {
                "prices": [
                    {"start": iso(0), "price": 1},
                    {"start": iso(0.25), "price": 2},
                    {"start": iso(0.5), "to": iso(1), "price": 3},
                ]
            }
        )
    )
    assert parsed.layout == "prices"
    assert parsed.intervals == (
        PriceInterval(at(0), at(0) + QUARTER, 1.0),
        PriceInterval(at(0.25), at(0.25) + QUARTER, 2.0),
        PriceInterval(at(0.5), at(1), 3.0),
    )


def test_lone_entry_without_end_lasts_an_hour() -> None:
    """One entry and no end: an hour."""
    intervals, skipped = parse_entries([{"start": at(5), "value": 0.1}])
    assert intervals == (PriceInterval(at(5), at(6), 0.1),)
    assert skipped == 0


def test_naive_times_are_local() -> None:
    """Naive datetimes and naive ISO text are in Home Assistant's time zone."""
    zone = dt_util.get_default_time_zone()
    local = datetime(2026, 1, 10, 8, 0)  # noqa: DTZ001 - naive on purpose
    intervals, _ = parse_entries(
        [
            {"start": local, "end": local + HOUR, "value": 1},
            {"start": "2026-01-10T09:00:00", "end": "2026-01-10T10:00:00", "value": 2},
        ]
    )
    expected = local.replace(tzinfo=zone).astimezone(UTC)
    assert [interval.start for interval in intervals] == [expected, expected + HOUR]
    assert intervals[1].end == expected + 2 * HOUR


def test_malformed_entries_are_skipped() -> None:
    """Bad entries are left out and counted; the good ones are kept."""
    good = {"start": iso(0), "end": iso(1), "value": 0.3}
    entries: list[Any] = [
        good,
        "not a mapping",
        {"end": iso(1), "value": 0.3},  # no start
        {"start": "yesterday", "end": iso(1), "value": 0.3},
        {"start": "2026-02-30T00:00:00", "value": 0.3},  # well formed, but no such day
        {"start": 1736467200, "end": iso(1), "value": 0.3},  # a number: no time
        {"start": iso(1), "end": iso(2)},  # no price
        {"start": iso(1), "end": iso(2), "value": None},
        {"start": iso(1), "end": iso(2), "value": "n/a"},
        {"start": iso(1), "end": iso(2), "value": True},
        {"start": iso(1), "end": iso(2), "value": [0.3]},
        {"start": iso(1), "end": iso(2), "value": float("nan")},
        {"start": iso(1), "end": "later", "value": 0.3},
        {"start": iso(2), "end": iso(1), "value": 0.3},  # ends before it starts
    ]
    intervals, skipped = parse_entries(entries)
    assert intervals == (PriceInterval(at(0), at(1), 0.3),)
    assert skipped == len(entries) - 1


@pytest.mark.parametrize(
    "price_state",
    [
        None,
        state({"raw_today": [{"start": at(0), "end": at(1), "value": 1}]}, STATE_UNAVAILABLE),
        state({"unit_of_measurement": "EUR/kWh"}),
        state({"data": "not a list"}),
    ],
)
def test_no_forecast(price_state: State | None) -> None:
    """No state, an unavailable one, or no known layout: no forecast."""
    parsed = parse_price_state(price_state)
    assert parsed.intervals == ()
    assert parsed.layout is None


async def test_parsed_once_per_state(hass: HomeAssistant) -> None:
    """A state is parsed once, however often the balancer reads it; a new state again."""
    forecast = PriceForecast(hass, ENTITY)
    assert forecast.read() == ()
    hass.states.async_set(
        ENTITY, "0.3", {"raw_today": [{"start": iso(0), "end": iso(1), "value": 0.3}]}
    )
    with patch(
        "custom_components.smart_charging.price_forecast.parse_price_state",
        wraps=parse_price_state,
    ) as parse:
        first = forecast.read()
        assert forecast.read() is first
        assert parse.call_count == 1
        hass.states.async_set(
            ENTITY, "0.2", {"raw_today": [{"start": iso(1), "end": iso(2), "value": 0.2}]}
        )
        assert forecast.read() == (PriceInterval(at(1), at(2), 0.2),)
        assert parse.call_count == 2
    assert first == (PriceInterval(at(0), at(1), 0.3),)


async def test_problems_logged_once(hass: HomeAssistant, caplog: pytest.LogCaptureFixture) -> None:
    """Malformed entries or an unknown layout: one warning, then debug only."""
    caplog.set_level(logging.DEBUG, logger="custom_components.smart_charging.price_forecast")
    forecast = PriceForecast(hass, ENTITY)
    hass.states.async_set(ENTITY, STATE_UNKNOWN, {})
    assert forecast.read() == ()
    hass.states.async_set(ENTITY, STATE_UNAVAILABLE, {})
    assert forecast.read() == ()
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]

    hass.states.async_set(
        ENTITY, "0.3", {"raw_today": [{"start": iso(0), "value": 0.3}, {"value": 1}]}
    )
    assert len(forecast.read()) == 1
    hass.states.async_set(ENTITY, "0.3", {"price_level": "cheap"})
    assert forecast.read() == ()
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "1 malformed price forecast entries" in warnings[0].getMessage()
    assert "has no price forecast attribute" in caplog.records[-1].getMessage()
    assert caplog.records[-1].levelno == logging.DEBUG
