"""Sampled values to normalised connector readings: units, phases, locations, order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from custom_components.smart_charging.central_system.meter_values import (
    ENERGY_IMPORT,
    MeterReading,
    Sample,
    apply_reading,
    parse_meter_values,
    parse_sample,
)
from custom_components.smart_charging.central_system.model import ConnectorState, PhaseValues

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
T1 = datetime(2025, 3, 1, 12, 0, 10, tzinfo=UTC)
T2 = datetime(2025, 3, 1, 12, 0, 20, tzinfo=UTC)


def sample(value: object, measurand: str | None = None, **extra: Any) -> dict[str, Any]:
    """A snake_case sampledValue as the `ocpp` library hands it over."""
    raw: dict[str, Any] = {"value": value, **extra}
    if measurand is not None:
        raw["measurand"] = measurand
    return raw


def reading(*samples: dict[str, Any], timestamp: datetime | None = T0) -> MeterReading:
    """Parse one meterValue element."""
    element: dict[str, Any] = {"sampled_value": list(samples)}
    if timestamp is not None:
        element["timestamp"] = timestamp.isoformat()
    (parsed,) = parse_meter_values([element])
    return parsed


# --- one sampled value --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measurand", "value", "unit", "expected", "base_unit"),
    [
        ("Energy.Active.Import.Register", "1234.5", "Wh", 1234.5, "Wh"),
        ("Energy.Active.Import.Register", "12.345", "kWh", 12345.0, "Wh"),
        ("Power.Active.Import", "7400", "W", 7400.0, "W"),
        ("Power.Active.Import", "7.4", "kW", 7400.0, "W"),
        ("Current.Import", "15.9", "A", 15.9, "A"),
        ("Voltage", "231.2", "V", 231.2, "V"),
        ("SoC", "81", "Percent", 81.0, "Percent"),
        ("Temperature", "25.5", "Celsius", 25.5, "Celsius"),
        ("Temperature", "298.15", "K", 25.0, "Celsius"),
        ("Temperature", "212", "Fahrenheit", 100.0, "Celsius"),
        ("Temperature", "32", "Fahrenheit", 0.0, "Celsius"),
        ("Energy.Reactive.Import.Register", "2", "kvarh", 2000.0, "varh"),
        ("Power.Reactive.Import", "1.5", "kvar", 1500.0, "var"),
        ("Power.Reactive.Import", "120", "var", 120.0, "var"),
        ("Energy.Reactive.Import.Register", "77", "varh", 77.0, "varh"),
    ],
)
def test_every_unit_is_converted_to_its_base_unit(
    measurand: str, value: str, unit: str, expected: float, base_unit: str
) -> None:
    """Wh, kWh, W, kW, A, V, Percent, Celsius, K, Fahrenheit (and reactive units)."""
    parsed = parse_sample(sample(value, measurand, unit=unit))
    assert parsed == Sample(measurand, expected, base_unit, None, None, None)


def test_fahrenheit_body_temperature() -> None:
    """98.6 °F is 37 °C (float arithmetic aside)."""
    parsed = parse_sample(sample("98.6", "Temperature", unit="Fahrenheit"))
    assert parsed is not None
    assert parsed.value == pytest.approx(37.0, abs=1e-9)
    assert parsed.unit == "Celsius"


@pytest.mark.parametrize(
    ("measurand", "unit"),
    [
        (None, "Wh"),  # no measurand: the energy register
        ("Energy.Active.Import.Register", "Wh"),
        ("Energy.Active.Export.Register", "Wh"),
        ("Power.Active.Import", "W"),
        ("Power.Offered", "W"),
        ("Current.Import", "A"),
        ("Current.Offered", "A"),
        ("Voltage", "V"),
        ("SoC", "Percent"),
        ("Temperature", "Celsius"),
        ("Frequency", ""),
    ],
)
def test_missing_unit_uses_the_measurands_default(measurand: str | None, unit: str) -> None:
    """1.6 defaults: measurand Energy.Active.Import.Register, unit per measurand."""
    parsed = parse_sample(sample("50", measurand))
    assert parsed == Sample(measurand or ENERGY_IMPORT, 50.0, unit, None, None, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7400", 7400.0), ("7400.5", 7400.5), (" 16 ", 16.0), (7400, 7400.0), (7.5, 7.5), (0, 0.0)],
)
def test_values_as_strings_and_numbers(value: object, expected: float) -> None:
    """1.6 sends strings, 2.x numbers; both parse."""
    parsed = parse_sample(sample(value, "Power.Active.Import", unit="W"))
    assert parsed is not None
    assert parsed.value == expected


@pytest.mark.parametrize("value", ["abc", "", "12,5", None, [], {}])
def test_non_numeric_values_are_skipped(value: object) -> None:
    """A value that is not a number yields no sample."""
    assert parse_sample(sample(value, "Power.Active.Import")) is None


def test_missing_value_is_skipped() -> None:
    """A sampledValue without value yields no sample."""
    assert parse_sample({"measurand": "Power.Active.Import"}) is None


def test_signed_data_is_skipped() -> None:
    """A SignedData value is a signature blob, never a number (even if it looks like one)."""
    assert parse_sample(sample("1234", ENERGY_IMPORT, format="SignedData")) is None
    assert parse_sample(sample("1234", ENERGY_IMPORT, format="Raw")) is not None


def test_phase_location_and_context_are_kept() -> None:
    """The sample remembers where and why it was measured."""
    parsed = parse_sample(
        sample("16", "Current.Import", unit="A", phase="L2", location="Outlet", context="Trigger")
    )
    assert parsed == Sample("Current.Import", 16.0, "A", "L2", "Outlet", "Trigger")


# --- one meterValue element ---------------------------------------------------------------


def test_per_phase_power_is_summed() -> None:
    """Power per phase and no total: the total is the sum (kW converted first)."""
    parsed = reading(
        sample("2.3", "Power.Active.Import", unit="kW", phase="L1"),
        sample("2.3", "Power.Active.Import", unit="kW", phase="L2"),
        sample("2.4", "Power.Active.Import", unit="kW", phase="L3"),
    )
    assert parsed.total("Power.Active.Import") == 7000.0


def test_unphased_total_wins_over_phase_sum() -> None:
    """A reported total is taken as is, wherever it is in the list."""
    parsed = reading(
        sample("2300", "Power.Active.Import", phase="L1"),
        sample("2300", "Power.Active.Import", phase="L2"),
        sample("7000", "Power.Active.Import"),
    )
    assert parsed.total("Power.Active.Import") == 7000.0


@pytest.mark.parametrize(("l1", "l2"), [("L1", "L2"), ("L1-N", "L2-N")])
def test_phase_spellings(l1: str, l2: str) -> None:
    """Phases spelled "L1" and "L1-N" are the same phase."""
    parsed = reading(
        sample("10", "Current.Import", phase=l1),
        sample("11", "Current.Import", phase=l2),
    )
    assert parsed.phases("Current.Import") == PhaseValues(10.0, 11.0, None)
    assert parsed.total("Current.Import") == 21.0


def test_neutral_and_line_to_line_are_not_phases() -> None:
    """Phase "N" (neutral current) and "L1-L2" (line voltage) are neither summed nor averaged."""
    parsed = reading(
        sample("16", "Current.Import", phase="L1"),
        sample("0.4", "Current.Import", phase="N"),
        sample("400", "Voltage", phase="L1-L2"),
    )
    assert parsed.phases("Current.Import") == PhaseValues(16.0, None, None)
    assert parsed.total("Current.Import") == 16.0
    assert parsed.phases("Voltage") is None
    assert parsed.total("Voltage") is None


def test_outlet_is_preferred_over_ev() -> None:
    """The same measurand at the outlet and in the EV: the outlet's."""
    parsed = reading(
        sample("11000", "Power.Active.Import", location="EV"),
        sample("7000", "Power.Active.Import", location="Outlet"),
        sample("10", "Current.Import", phase="L1", location="EV"),
        sample("10", "Current.Import", phase="L2", location="EV"),
        sample("16", "Current.Import", phase="L1", location="Outlet"),
    )
    assert parsed.total("Power.Active.Import") == 7000.0
    assert parsed.phases("Current.Import") == PhaseValues(16.0, None, None)


@pytest.mark.parametrize(
    ("locations", "chosen"),
    [
        (["EV", "Inlet"], "Inlet"),
        (["Cable", "Body"], "Body"),
        (["EV", None], None),
        (["Inlet", "Outlet", None], "Outlet"),
    ],
)
def test_location_order(locations: list[str | None], chosen: str | None) -> None:
    """Outlet, then no location, then Inlet, Body, EV, Cable."""
    samples = [
        sample(str(index + 1), "Power.Active.Import", **({"location": loc} if loc else {}))
        for index, loc in enumerate(locations)
    ]
    parsed = reading(*samples)
    assert parsed.total("Power.Active.Import") == float(locations.index(chosen) + 1)


def test_only_ev_location_is_used() -> None:
    """SoC comes from the EV: with nothing better, any location counts."""
    parsed = reading(sample("55", "SoC", location="EV"), sample("13", "SoC", location="Nowhere"))
    assert parsed.total("SoC") == 55.0


@pytest.mark.parametrize(
    "context",
    [
        "Transaction.Begin",
        "Transaction.End",
        "Sample.Periodic",
        "Sample.Clock",
        "Trigger",
        "Interruption.Begin",
        "Interruption.End",
        "Other",
    ],
)
def test_every_context_is_applied(context: str) -> None:
    """The context does not decide whether a reading counts."""
    connector = ConnectorState(1)
    parsed = reading(
        sample("1000", ENERGY_IMPORT, context=context),
        sample("3680", "Power.Active.Import", context=context),
    )
    assert parsed.samples[0].context == context
    assert apply_reading(connector, parsed) == 1000.0
    assert connector.power == 3680.0


def test_readings_are_sorted_by_timestamp_missing_last() -> None:
    """A StopTransaction's transactionData may come in any order."""
    elements: list[dict[str, Any]] = [
        {"timestamp": T2.isoformat(), "sampled_value": [sample("300")]},
        {"sampled_value": [sample("999")]},
        {"timestamp": "not a time", "sampled_value": [sample("998")]},
        {"timestamp": T0.isoformat(), "sampled_value": [sample("100")]},
        {"timestamp": T1.isoformat(), "sampled_value": [sample("200")]},
    ]
    parsed = parse_meter_values(elements)
    assert [item.timestamp for item in parsed] == [T0, T1, T2, None, None]
    assert [item.total(ENERGY_IMPORT) for item in parsed[:3]] == [100.0, 200.0, 300.0]


def test_element_without_sampled_values() -> None:
    """An empty or missing sampledValue list is a reading with nothing in it."""
    parsed = parse_meter_values([{"timestamp": T0.isoformat(), "sampled_value": []}, {}])
    assert [item.samples for item in parsed] == [[], []]
    assert parsed[0].total(ENERGY_IMPORT) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-01T12:00:00Z", T0),
        ("2025-03-01T12:00:00+00:00", T0),
        ("2025-03-01T12:00:00.123456+00:00", T0.replace(microsecond=123456)),
        ("2025-03-01T13:00:00.5+01:00", T0.replace(microsecond=500000)),
        ("2025-03-01T12:00:00", T0),  # naive: UTC
    ],
)
def test_timestamp_spellings(text: str, expected: datetime) -> None:
    """Timestamps with "Z", "+00:00", microseconds, offsets, or naive."""
    (parsed,) = parse_meter_values([{"timestamp": text, "sampled_value": [sample("1")]}])
    assert parsed.timestamp == expected


# --- applying readings to a connector -------------------------------------------------------


def full_reading(timestamp: datetime | None = T0) -> MeterReading:
    """A three-phase charger's typical MeterValues."""
    return reading(
        sample("12.5", ENERGY_IMPORT, unit="kWh", context="Sample.Periodic"),
        sample("1.25", "Energy.Active.Export.Register", unit="kWh"),
        sample("10", "Current.Import", unit="A", phase="L1", location="Outlet"),
        sample("16", "Current.Import", unit="A", phase="L2", location="Outlet"),
        sample("12", "Current.Import", unit="A", phase="L3", location="Outlet"),
        sample("38", "Current.Import", unit="A", location="Outlet"),  # a sum, as some send
        sample("16", "Current.Offered", unit="A"),
        sample("11", "Power.Offered", unit="kW"),
        sample("230", "Voltage", unit="V", phase="L1-N"),
        sample("232", "Voltage", unit="V", phase="L2-N"),
        sample("228", "Voltage", unit="V", phase="L3-N"),
        sample("401", "Voltage", unit="V", phase="L1-L2"),
        sample("8.5", "Power.Active.Import", unit="kW"),
        sample("61", "SoC", unit="Percent", location="EV"),
        sample("77", "Temperature", unit="Fahrenheit", location="Body"),
        sample("50.01", "Frequency"),
        timestamp=timestamp,
    )


def test_apply_reading_sets_every_live_value() -> None:
    """Headline current = highest phase, voltage = average of phase-to-neutral."""
    connector = ConnectorState(1)
    assert apply_reading(connector, full_reading()) == 12500.0
    assert connector.meter_timestamp == T0
    assert connector.power == 8500.0
    assert connector.current_import == 16.0
    assert connector.current_phases == PhaseValues(10.0, 16.0, 12.0)
    assert connector.voltage == 230.0
    assert connector.voltage_phases == PhaseValues(230.0, 232.0, 228.0)
    assert connector.current_offered == 16.0
    assert connector.power_offered == 11000.0
    assert connector.soc == 61.0
    assert connector.temperature == 25.0
    assert connector.frequency == 50.01
    # The energy registers themselves go through the register guard, not here.
    assert connector.energy is None
    assert connector.energy_export is None
    assert connector.raw_measurements["Current.Import/L2/Outlet"] == "16 A"
    assert connector.raw_measurements["Energy.Active.Import.Register/-/-"] == "12500 Wh"
    assert connector.raw_measurements["Voltage/L1-L2/-"] == "401 V"
    assert connector.raw_measurements["Frequency/-/-"] == "50.01"
    assert len(connector.raw_measurements) == 16


def test_unphased_current_and_voltage() -> None:
    """Without phases the totals are taken; the per-phase values stay untouched."""
    connector = ConnectorState(1)
    apply_reading(connector, reading(sample("15.5", "Current.Import"), sample("229.5", "Voltage")))
    assert connector.current_import == 15.5
    assert connector.voltage == 229.5
    assert connector.current_phases == PhaseValues()
    assert connector.voltage_phases == PhaseValues()


def test_stale_reading_does_not_override_live_values() -> None:
    """An older (queued) reading only reports its register; live values stay."""
    connector = ConnectorState(1)
    apply_reading(connector, full_reading(T2))
    before = (connector.power, connector.current_import, dict(connector.raw_measurements))
    old = reading(
        sample("9000", ENERGY_IMPORT),
        sample("100", "Power.Active.Import"),
        sample("6", "Current.Import", phase="L1"),
        timestamp=T1,
    )
    assert apply_reading(connector, old) == 9000.0
    assert (connector.power, connector.current_import, connector.raw_measurements) == before
    assert connector.meter_timestamp == T2


def test_newer_and_untimed_readings_override() -> None:
    """A newer reading replaces the values; one without timestamp too, keeping the time."""
    connector = ConnectorState(1)
    apply_reading(connector, full_reading(T1))
    apply_reading(connector, reading(sample("0", "Power.Active.Import"), timestamp=T2))
    assert (connector.power, connector.meter_timestamp) == (0.0, T2)
    apply_reading(connector, reading(sample("1500", "Power.Active.Import"), timestamp=None))
    assert (connector.power, connector.meter_timestamp) == (1500.0, T2)
    # Values the newer readings did not carry stay as they were.
    assert connector.current_import == 16.0


def test_reading_without_energy_returns_none() -> None:
    """Only the energy register is handed to the register guard."""
    connector = ConnectorState(1)
    assert apply_reading(connector, reading(sample("7", "Current.Offered"))) is None
    assert connector.current_offered == 7.0


@pytest.mark.parametrize(
    ("value", "unit", "measurand", "expected"),
    [
        ("7.36", "kW", "Power.Active.Import", 7360.0),  # not 7360.000000000001
        ("12.345", "kWh", ENERGY_IMPORT, 12345.0),
        ("1.005", "kWh", ENERGY_IMPORT, 1005.0),  # not 1004.9999999999999
        ("7.08089715999995", "A", "Current.Import", 7.08),  # a meter's A resolution at most
        ("230.06", "V", "Voltage", 230.1),
        ("300.15", "K", "Temperature", 27.0),
        (16, "A", "Current.Offered", 16.0),
    ],
)
def test_values_are_rounded_to_their_resolution(
    value: object, unit: str, measurand: str, expected: float
) -> None:
    """Conversions leave no float noise, and no value is finer than a meter resolves."""
    parsed = parse_sample(sample(value, measurand, unit=unit))
    assert parsed is not None
    assert repr(parsed.value) == repr(expected)


def test_phase_sums_and_voltage_mean_are_rounded() -> None:
    """0.1 + 0.2 + 0.3 A is 0.6 A, and three voltages average to a tenth of a volt."""
    parsed = reading(
        *(
            sample(value, "Power.Active.Import", unit="kW", phase=phase)
            for phase, value in (("L1", "2.4"), ("L2", "2.3"), ("L3", "2.5"))
        ),
        *(
            sample(value, "Voltage", unit="V", phase=phase)
            for phase, value in (("L1-N", "230.1"), ("L2-N", "229.9"), ("L3-N", "230.1"))
        ),
    )
    connector = ConnectorState(1)
    apply_reading(connector, parsed)
    assert repr(connector.power) == repr(7200.0)
    assert repr(connector.voltage) == repr(230.0)
    currents = reading(
        *(
            sample(value, "Current.Import", unit="A", phase=phase)
            for phase, value in (("L1", "0.1"), ("L2", "0.2"), ("L3", "0.3"))
        )
    )
    assert repr(currents.total("Current.Import")) == repr(0.6)
