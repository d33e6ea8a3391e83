"""A sampled value whose unit does not fit its measurand is dropped and logged once."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from custom_components.smart_charging.central_system.meter_values import (
    ENERGY_IMPORT,
    Sample,
    parse_meter_values,
    parse_sample,
)
from custom_components.smart_charging.central_system.units import unit_fits

from .conftest import ChargerFactory, Server, connected_charger, warnings_of


@pytest.mark.parametrize(
    ("measurand", "unit"),
    [
        ("Power.Active.Import", "Wh"),
        ("Power.Active.Import", "kWh"),
        ("Power.Active.Import", "A"),
        ("Power.Offered", "kvar"),
        (ENERGY_IMPORT, "W"),
        (ENERGY_IMPORT, "kW"),
        ("Energy.Active.Import.Interval", "varh"),
        ("Energy.Reactive.Import.Register", "kWh"),
        ("Power.Reactive.Import", "W"),
        ("Current.Import", "W"),
        ("Current.Offered", "kW"),
        ("Voltage", "A"),
        ("SoC", "Wh"),
        ("Temperature", "Percent"),
        ("Frequency", "V"),
        ("Power.Factor", "Percent"),
        ("Power.Active.Import", "VA"),
    ],
)
def test_unfit_units_are_dropped(measurand: str, unit: str) -> None:
    """Power in Wh, energy in W, current in W, ...: no sample."""
    assert not unit_fits(measurand, unit)
    assert parse_sample({"value": "5000", "measurand": measurand, "unit": unit}) is None


@pytest.mark.parametrize(
    ("measurand", "unit", "expected"),
    [
        ("Energy.Active.Import.Interval", "kWh", Sample("Energy.Active.Import.Interval", 2000.0, "Wh", None, None, None)),
        ("Energy.Reactive.Export.Interval", "varh", Sample("Energy.Reactive.Export.Interval", 2.0, "varh", None, None, None)),
        ("Power.Active.Export", "kW", Sample("Power.Active.Export", 2000.0, "W", None, None, None)),
        ("Current.Export", "A", Sample("Current.Export", 2.0, "A", None, None, None)),
        ("Temperature", "Celcius", Sample("Temperature", 2.0, "Celsius", None, None, None)),
        ("Frequency", "Hertz", Sample("Frequency", 2.0, "Hertz", None, None, None)),
        ("Power.Factor", None, Sample("Power.Factor", 2.0, "", None, None, None)),
        ("RPM", None, Sample("RPM", 2.0, "", None, None, None)),
        ("Vendor.Specific", "Wh", Sample("Vendor.Specific", 2.0, "Wh", None, None, None)),
    ],
)  # fmt: skip
def test_fitting_units_are_taken(measurand: str, unit: str | None, expected: Sample) -> None:
    """Every unit the spec pairs with the measurand (and the schema's "Celcius") is converted."""
    raw: dict[str, Any] = {"value": "2", "measurand": measurand}
    if unit is not None:
        raw["unit"] = unit
    assert parse_sample(raw) == expected


def test_unfit_values_are_kept_apart_as_sent() -> None:
    """The reading carries the dropped value, unconverted, for the diagnostics and the log."""
    (reading,) = parse_meter_values(
        [
            {
                "sampled_value": [
                    {"value": "5000", "measurand": "Power.Active.Import", "unit": "Wh"},
                    {"value": "12.5", "unit": "kWh"},
                ]
            }
        ]
    )
    assert reading.total("Power.Active.Import") is None
    assert reading.total(ENERGY_IMPORT) == 12500.0
    assert reading.unfit == [Sample("Power.Active.Import", 5000.0, "Wh", None, None, None)]


def _meter_values(message_id: str, minute: int, power: str, unit: str) -> str:
    payload = {
        "connectorId": 1,
        "meterValue": [
            {
                "timestamp": f"2025-03-01T12:{minute:02d}:00Z",
                "sampledValue": [
                    {"value": str(1000 + minute), "unit": "Wh"},
                    {"value": power, "measurand": "Power.Active.Import", "unit": unit},
                    {
                        "value": power,
                        "measurand": "Power.Active.Import",
                        "unit": unit,
                        "phase": "L1",
                    },
                    {"value": "16", "measurand": "Current.Import", "unit": "W"},
                ],
            }
        ],
    }
    return json.dumps([2, message_id, "MeterValues", payload])


async def test_unfit_power_is_ignored_and_logged_once(
    server: Server, make_charger: ChargerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Power.Active.Import in Wh over the wire: never shown as W; one warning per misfit."""
    caplog.set_level(logging.WARNING)
    charger, session = await connected_charger(server, make_charger, "CP-UNIT")
    connector = session.state.connector(1)
    for minute in range(3):
        await charger.send_raw(_meter_values(f"m-{minute}", minute, "5000", "Wh"))
        assert json.loads(await charger.next_raw_incoming())[0] == 3
    assert connector.power is None
    assert connector.current_import is None
    assert connector.energy == 1002.0
    assert connector.raw_measurements["Power.Active.Import/-/-"] == (
        "5000 Wh (unit does not fit: ignored)"
    )
    warnings = [line for line in warnings_of(caplog) if "does not fit" in line]
    assert len(warnings) == 2, warnings
    assert "Power.Active.Import" in warnings[0]
    assert " Wh" in warnings[0]
    assert "Current.Import" in warnings[1]
    # The same measurand in a fitting unit is taken again.
    await charger.send_raw(_meter_values("m-ok", 5, "5", "kW"))
    await charger.next_raw_incoming()
    assert connector.power == 5000.0
    assert connector.raw_measurements["Power.Active.Import/-/-"] == "5000 W"
