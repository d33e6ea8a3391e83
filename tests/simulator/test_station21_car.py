"""The 2.1 station's parts without a connection: the V2X car, operation modes, needs, refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from simulator.v21 import V2XCar
from simulator.v21.needs import Evse, charging_needs
from simulator.v21.operation import Operation, Rating, command, operation
from simulator.v21.profiles import refusal

AC = Rating(phases=3, voltage=230, charge=3680, discharge=11_000 / 3, min_charge=6 * 230)
DC = Rating(phases=1, voltage=400, charge=22_000, discharge=22_000)


def test_grid_energy_is_not_battery_energy() -> None:
    """Charging stores 90 % of the import; discharging drains 1/0.8 of the export."""
    car = V2XCar(capacity_kwh=50, soc=50, charge_efficiency=0.9, discharge_efficiency=0.8)
    assert car.transfer(10_000, 690, 3600) == (10_000, 0)
    assert car.soc == pytest.approx(68)  # 9 kWh into 50 kWh
    assert car.transfer(-8_000, 690, 3600) == (0, 8_000)
    assert car.soc == pytest.approx(48)  # 10 kWh out of the battery


def test_the_car_stops_at_its_limits() -> None:
    """Down to min_v2x_soc, up to full_soc, within its maxima; no discharge without BPT."""
    car = V2XCar(capacity_kwh=10, soc=32, min_v2x_soc=30, max_discharge_power=2_000)
    car.discharge_efficiency = 1.0
    assert car.accepted(-5_000, 690) == -2_000
    assert car.transfer(-5_000, 690, 3600) == (0, pytest.approx(200))  # 2 % of 10 kWh
    assert (car.soc, car.empty, car.accepted(-5_000, 690)) == (30, True, 0)
    assert car.accepted(5_000, 690) == 5_000  # charging is still fine
    full = V2XCar(capacity_kwh=10, soc=99, charge_efficiency=1.0)
    assert full.transfer(11_000, 690, 3600) == (pytest.approx(100), 0)
    assert (full.soc, full.full, full.accepted(1_000, 690)) == (100, True, 0)
    assert V2XCar(max_current=10).accepted(11_000, 690) == 6_900  # 10 A x 230 V x 3
    assert V2XCar(bidirectional=False).accepted(-1_000, 690) == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"charge_efficiency": 0},
        {"discharge_efficiency": 1.2},
        {"min_v2x_soc": 95, "max_v2x_soc": 90},
        {"target_soc": 101},
        {"max_discharge_power": -1},
        {"response_delay": -1},
        {"control_mode": "Manual"},
        {"soc": 120},
    ],
)
def test_bad_cars_are_refused(bad: dict[str, Any]) -> None:
    """A car that could not work is a ValueError."""
    with pytest.raises(ValueError, match="."):
        V2XCar(**bad)


def test_operation_modes() -> None:
    """Each mode's command; caps from the profile and the station maximum; no permission: 0."""
    cap = Operation("ExternalLimits", (2000.0,) * 3, (1000.0,) * 3)
    assert command(cap, AC, may_discharge=True, local=None) == (2000,) * 3  # at the cap
    assert command(cap, AC, may_discharge=True, local=-6000) == (-1000,) * 3
    assert command(cap, AC, may_discharge=False, local=-6000) == (0,) * 3
    assert command(cap, AC, may_discharge=True, local=3000) == (1000,) * 3
    external = Operation("ExternalSetpoint", (2000.0,) * 3, (1000.0,) * 3)
    assert command(external, AC, may_discharge=True, local=None) == (0,) * 3
    idle = Operation("Idle", (2000.0,) * 3, (1000.0,) * 3)
    assert command(idle, AC, may_discharge=True, local=3000) == (0,) * 3
    low = Operation("ChargingOnly", (1000.0,) * 3, (0.0,) * 3)  # 4.3 A: an AC car cannot
    assert command(low, AC, may_discharge=True, local=None) == (0,) * 3
    period: dict[str, Any] = {
        "operation_mode": "CentralSetpoint",
        "setpoint": -9000,
        "discharge_limit": -6000,
    }
    station = {"limit": 6000, "discharge_limit": -3000}
    op = operation((period, "W"), (station, "W"), AC)
    assert (op.charge_cap, op.discharge_cap) == ((2000,) * 3, (1000,) * 3)
    assert command(op, AC, may_discharge=True, local=None) == (-1000,) * 3
    amps = operation(({"operation_mode": "CentralSetpoint", "setpoint": -10}, "A"), None, AC)
    assert amps.setpoint == (-2300,) * 3  # A is per phase
    single = operation(({"limit": 16, "number_phases": 1}, "A"), None, AC)
    assert command(single, AC, may_discharge=True, local=None) == (3680, 0, 0)
    dc = operation(({"operation_mode": "CentralSetpoint", "setpoint": -30_000}, "W"), None, DC)
    assert command(dc, DC, may_discharge=True, local=None) == (-22_000,)


def test_per_phase_values() -> None:
    """With L2 and L3 a W value is phase L1's; otherwise the sum of the phases."""
    period = {
        "operation_mode": "CentralSetpoint",
        "setpoint": -2000,
        "setpoint_l2": -1000,
        "setpoint_l3": 0,
        "limit": 9000,
    }
    op = operation((period, "W"), None, AC)
    assert op.setpoint == (-2000, -1000, 0)
    assert op.charge_cap == (3000,) * 3
    assert command(op, AC, may_discharge=True, local=None) == (-2000, -1000, 0)


@pytest.mark.parametrize(
    ("period", "reason"),
    [
        ({"operation_mode": "LocalFrequency"}, "operationMode LocalFrequency not supported"),
        ({"operation_mode": "ChargingOnly"}, "ChargingOnly needs a limit"),
        ({"operation_mode": "CentralSetpoint", "limit": 5}, "CentralSetpoint needs a setpoint"),
        ({"operation_mode": "CentralSetpoint", "setpoint": 9, "limit": 5}, "setpoint above limit"),
        (
            {"operation_mode": "CentralSetpoint", "setpoint": -9, "discharge_limit": -5},
            "setpoint below dischargeLimit",
        ),
        ({"limit": 5, "limit_l2": 5}, "per-phase values need both L2 and L3"),
    ],
)
def test_refused_periods(period: dict[str, Any], reason: str) -> None:
    """Periods the station cannot follow are refused with a reason."""
    assert refusal(_profile("TxDefaultProfile", period), dc=False) == reason


def test_refused_profiles() -> None:
    """No setpoint in a station maximum, no per-phase values on DC; the rest is fine."""
    setpoint = {"operation_mode": "CentralSetpoint", "setpoint": -5}
    assert refusal(_profile("ChargingStationMaxProfile", setpoint), dc=False) == (
        "ChargingStationMaxProfile takes limits only"
    )
    phased = {"limit": 5, "limit_l2": 5, "limit_l3": 5}
    assert refusal(_profile("TxDefaultProfile", phased), dc=True) == (
        "no per-phase values on a DC EVSE"
    )
    assert refusal(_profile("TxDefaultProfile", phased), dc=False) is None
    assert refusal(_profile("TxProfile", {"operation_mode": "Idle"}), dc=True) is None


def test_needs_per_phase() -> None:
    """Per-phase needs: the plain fields are L1's; DC has currents and voltage instead."""
    car = V2XCar(soc=40, per_phase_needs=True)
    evse = Evse(dc=False, phases=3, voltage=230, max_charge=11_040, max_discharge=11_000)
    departure = datetime(2030, 1, 1, 13, 0, tzinfo=UTC)
    params = charging_needs(car, evse, departure)["v2x_charging_parameters"]
    assert {k: v for k, v in params.items() if "power" in k} == {
        "max_charge_power": 3667,
        "max_charge_power_l2": 3667,
        "max_charge_power_l3": 3667,
        "max_discharge_power": 3667,
        "max_discharge_power_l2": 3667,
        "max_discharge_power_l3": 3667,
        "min_charge_power": 1380,
        "min_charge_power_l2": 1380,
        "min_charge_power_l3": 1380,
    }
    dc = Evse(dc=True, phases=1, voltage=400, max_charge=22_000, max_discharge=22_000)
    needs = charging_needs(V2XCar(bidirectional=False, max_current=100), dc, departure)
    assert needs["requested_energy_transfer"] == "DC"
    assert needs["available_energy_transfer"] == ["DC"]
    assert "max_discharge_power" not in needs["v2x_charging_parameters"]
    assert needs["v2x_charging_parameters"]["max_charge_current"] == 100


def _profile(purpose: str, period: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": 1,
        "stack_level": 0,
        "charging_profile_purpose": purpose,
        "charging_profile_kind": "Relative",
        "charging_schedule": [
            {"id": 1, "charging_rate_unit": "W", "charging_schedule_period": [period]}
        ],
    }
