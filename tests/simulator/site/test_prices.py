"""Prices: flat, hourly, run start offset, step means."""

from __future__ import annotations

import pytest

from simulator.site.prices import TariffPrices

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
