"""What a bidirectional car and the user's settings become for the engine, and set_discharge's expiry."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.smart_charging.balancing import (
    Allocation,
    ConnectorInput,
    DischargeObjective,
    LimitReason,
    V2XInput,
)
from custom_components.smart_charging.central_system.model import (
    Capabilities,
    ChargerState,
    ConnectorState,
    PhaseValues,
    V2XSupport,
)
from custom_components.smart_charging.settings import ConnectorSettings
from custom_components.smart_charging.site_balancer.discharge_requests import DischargeRequests
from custom_components.smart_charging.site_balancer.engine_input import ConnectorHistory
from custom_components.smart_charging.site_balancer.v2x_input import connector_v2x, energy_to_target
from custom_components.smart_charging.v2x_battery import (
    battery_capacity,
    car_floor,
    energy_above_reserve,
    max_discharge_power,
)
from custom_components.smart_charging.v2x_sensors import _setpoint

VOLTAGE = 230.0


def bidirectional_station(
    mode: str = "AC_BPT", connector_type: str = "cType2"
) -> tuple[ChargerState, ConnectorState]:
    """A 2.1 station whose EVSE 1 discharges, a car on it that asked for `mode`."""
    charger = ChargerState(
        "CS-V2X",
        capabilities=Capabilities(
            v2x={1: V2XSupport(enabled=True, transfer_modes=frozenset({mode}))},
            connector_types={1: {1: connector_type}},
        ),
    )
    connector = charger.connector(1)
    connector.transaction_id = 7
    connector.ev_transfer_mode = mode
    connector.allowed_transfer = (mode,)
    connector.soc = 60.0
    connector.ev_max_energy = 24000.0  # to full at 60 %: a 60 kWh battery
    connector.ev_max_discharge_power = 6900.0
    connector.ev_target_soc = 80.0
    return charger, connector


def test_a_bidirectional_car_becomes_v2x_input() -> None:
    """Range, battery, reserve and permission reach the engine; the site's objective by default."""
    charger, connector = bidirectional_station()
    settings = ConnectorSettings(max_current=16, discharge_allowed=True, soc_reserve=40)
    v2x = connector_v2x(charger, connector, settings, VOLTAGE, None)
    assert v2x is not None
    assert v2x.max_discharge_current == pytest.approx(6900 / 690)
    assert v2x.capacity == pytest.approx(60000)
    assert (v2x.soc, v2x.reserve_soc, v2x.target_soc) == (60.0, 40, 80.0)
    # The car's own V2X floor (here 45 %: 9 kWh below its 60 %) wins over a lower reserve.
    connector.ev_min_v2x_energy = -9000.0
    assert car_floor(connector) == pytest.approx(45)
    v2x = connector_v2x(charger, connector, settings, VOLTAGE, None)
    assert v2x is not None
    assert v2x.reserve_soc == pytest.approx(45)
    assert v2x.allowed
    assert v2x.objective is None
    assert not v2x.dc
    assert v2x.requested is None


def test_own_mode_request_and_dc() -> None:
    """A connector's own mode wins; a request in W is A per phase; DC by mode or connector type."""
    charger, connector = bidirectional_station("DC_BPT")
    settings = ConnectorSettings(
        max_current=8, discharge_allowed=True, discharge_mode="peak_shaving"
    )
    v2x = connector_v2x(charger, connector, settings, VOLTAGE, 2070.0)
    assert v2x is not None
    assert v2x.objective is DischargeObjective.PEAK_SHAVING
    assert v2x.requested == pytest.approx(3.0)
    assert v2x.max_discharge_current == 8  # the user's maximum is the lower one
    capabilities = charger.capabilities
    assert capabilities is not None
    capabilities.v2x[1] = V2XSupport(
        enabled=True, transfer_modes=frozenset({"DC_BPT"}), max_discharge_power=4140
    )
    v2x = connector_v2x(charger, connector, settings, VOLTAGE, None)
    assert v2x is not None
    assert v2x.max_discharge_current == pytest.approx(6)  # the EVSE's DischargePower
    assert v2x.dc
    charger, connector = bidirectional_station("AC_BPT", connector_type="cCCS2")
    v2x = connector_v2x(charger, connector, settings, VOLTAGE, None)
    assert v2x is not None
    assert v2x.dc


def test_no_permission_no_discharge() -> None:
    """The switch off, or the station not told yet, or a one-way car: nothing to discharge."""
    charger, connector = bidirectional_station()
    v2x = connector_v2x(charger, connector, ConnectorSettings(), VOLTAGE, None)
    assert v2x is not None
    assert not v2x.allowed
    connector.allowed_transfer = ("AC_three_phase",)  # the station holds the one-way mode
    v2x = connector_v2x(
        charger, connector, ConnectorSettings(discharge_allowed=True), VOLTAGE, None
    )
    assert v2x is not None
    assert not v2x.allowed
    connector.ev_transfer_mode = "AC_three_phase"
    assert connector_v2x(charger, connector, ConnectorSettings(), VOLTAGE, None) is None
    one_way = ChargerState("CS-1")
    assert connector_v2x(one_way, one_way.connector(1), ConnectorSettings(), VOLTAGE, None) is None


def test_battery_figures() -> None:
    """Capacity from a DC car's report, else from the energy to full; above the reserve."""
    _, connector = bidirectional_station()
    assert battery_capacity(connector) == pytest.approx(60000)
    assert energy_above_reserve(connector, 30) == pytest.approx(18000)
    assert energy_above_reserve(connector, 70) == 0
    connector.ev_energy_capacity = 50000.0
    assert battery_capacity(connector) == 50000
    connector.ev_energy_capacity = None
    connector.soc = 97.0  # too full to tell the size from the energy to full
    assert battery_capacity(connector) is None
    assert energy_above_reserve(connector, 30) is None
    connector.ev_max_energy = None
    connector.soc, connector.ev_energy_amount = 50.0, 18000.0  # 30 % to its 80 % target
    assert battery_capacity(connector) == pytest.approx(60000)
    connector.soc = 78.0  # too close to the target to tell
    assert battery_capacity(connector) is None
    assert max_discharge_power(connector, VOLTAGE) == 6900
    connector.ev_max_discharge_power = None
    connector.ev_max_discharge_current = 10.0
    assert max_discharge_power(connector, VOLTAGE) == 6900
    connector.ev_max_discharge_current = None
    assert max_discharge_power(connector, VOLTAGE) is None


async def test_discharge_requests_expire(hass: HomeAssistant) -> None:
    """A request holds for its duration, then ends by itself and the balancer allocates again."""
    now = [1000.0]
    expired: list[bool] = []
    requests = DischargeRequests(hass, lambda: now[0], lambda: expired.append(True))
    requests.set("CS/1", 5000, 600)
    assert requests.power("CS/1") == 5000
    now[0] += 600
    assert requests.power("CS/1") is None  # past its end even before the timer fired
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=601))
    await hass.async_block_till_done()
    assert expired == [True]
    requests.set("CS/1", 3000, 600)
    requests.set("CS/1", 0, 600)  # 0 W ends it
    assert requests.power("CS/1") is None
    requests.set("CS/2", 3000, 600)
    requests.cancel_all()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=1300))
    await hass.async_block_till_done()
    assert expired == [True]  # cancelled timers never fire


def test_a_discharge_reads_negative() -> None:
    """Currents keep their sign where the EVSE discharges; from power where only it shows."""
    _, connector = bidirectional_station()
    history = ConnectorHistory()
    connector.current_phases = PhaseValues(-10.0, -10.0, -10.0)
    measured, phases, known = history.session_phases_of("CS-V2X/1", connector, rotation=1)
    assert measured == (-10.0, -10.0, -10.0)
    assert (phases, known) == ((0, 1, 2), True)
    # Only Power.Active.Export came (currents 0): the power, spread over the phases.
    connector.current_phases = PhaseValues(0.0, 0.0, 0.0)
    connector.power, connector.voltage = -6900.0, 230.0
    measured, _, _ = history.session_phases_of("CS-V2X/1", connector, rotation=0)
    assert measured == pytest.approx((-10.0, -10.0, -10.0))
    # A one-way EVSE's negative reading is a sign error: 0.
    connector.discharge_capable = False
    connector.current_phases = PhaseValues(-3.0, 8.0, 8.0)
    measured, _, _ = history.session_phases_of("CS-V2X/1", connector, rotation=0)
    assert measured == (0.0, 8.0, 8.0)


def test_energy_to_target_from_the_soc() -> None:
    """A bidirectional car needs what brings its SoC to its target, at the charging losses."""
    _, connector = bidirectional_station()  # 60 kWh at 60 %, to 80 %
    assert energy_to_target(connector, 0.9) == pytest.approx(12000 / 0.9)
    connector.soc = 85.0
    assert energy_to_target(connector, 0.9) == 0
    connector.ev_target_soc = None
    assert energy_to_target(connector, 0.9) is None
    connector.ev_target_soc = 80.0
    connector.ev_transfer_mode = "AC_three_phase"  # a one-way car: its energy amount counts
    assert energy_to_target(connector, 0.9) is None


@pytest.mark.parametrize(
    ("phases", "dc", "current", "discharge", "expected"),
    [
        ((0,), False, 16.0, 0.0, 16 * 230),  # a 1-phase car on a 3-phase charger
        ((0,), False, 0.0, 10.0, -10 * 230),  # it discharges on its own phase only
        ((0, 1, 2), False, 16.0, 0.0, 16 * 690),
        ((0,), True, 0.0, 10.0, -10 * 690),  # a DC station feeds all three phases
    ],
)
def test_setpoint_power_on_the_phases_used(
    phases: tuple[int, ...], dc: bool, current: float, discharge: float, expected: float
) -> None:
    """The setpoint sensor counts the phases the car uses, not the charger's."""
    v2x = V2XInput(max_discharge_current=16, capacity=60000, soc=60, dc=dc)
    connector = ConnectorInput(connector_id="CS/1", station_id="CS", phases=phases, v2x=v2x)
    balancer = SimpleNamespace(
        connector_input={"CS/1": connector}.get, meter=SimpleNamespace(voltage=VOLTAGE)
    )
    allocation = Allocation(
        connector_id="CS/1",
        current=current,
        phases=3,
        reason=LimitReason.USER_MAXIMUM,
        changed=False,
        discharge=discharge,
    )
    assert _setpoint(balancer, allocation) == expected  # type: ignore[arg-type]
    assert _setpoint(balancer, None) is None  # type: ignore[arg-type]
