"""Clock-aligned meter data (AlignedDataCtrlr) of SimulatedStation201 against the CSMS stub."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from simulator.calllog import CallLog
from simulator.timeutil import SimClock
from simulator.v201 import SimulatedStation201
from simulator.v201.quirks import NO_TX_METER_VALUES

from .conftest import StationFactory
from .csms201 import Csms, CsmsChargePoint
from .test_station201 import get_variables, samples, set_variables, variable

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
ALIGNED = "AlignedDataCtrlr"
START = datetime(2030, 1, 1, 12, 0, 30, tzinfo=UTC)


@pytest.fixture
def make_station(make_station: StationFactory) -> StationFactory:
    """Build the station AL201 for the CSMS."""

    def build_station(**options: Any) -> SimulatedStation201:
        return make_station("AL201", **options)

    return build_station


class Watch:
    """What a station sends the CSMS stub, bit by bit (Heartbeats left out)."""

    def __init__(self, station: SimulatedStation201, log: CallLog) -> None:
        """Watch from now on."""
        self.station = station
        self.log = log
        self.seen = len(log.calls)

    def _new(self) -> list[tuple[str, dict[str, Any]]]:
        return [(a, p) for a, p in self.log.calls[self.seen :] if a != "Heartbeat"]

    async def sent(self, count: int = 0) -> list[tuple[str, dict[str, Any]]]:
        """Wait for `count` calls, let the station send what else is due; return them all."""
        for _ in range(500):  # 5 s at most
            if len(self._new()) >= count:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        await self.station.send_heartbeat()  # queued behind whatever is on its way
        new = self._new()
        self.seen = len(self.log.calls)
        return new


async def online(
    csms: Csms, make_station: StationFactory, *, start: datetime | None = START, **options: Any
) -> tuple[SimulatedStation201, CsmsChargePoint, Watch]:
    """A booted station on a virtual clock at `start` (None: real time), watched from now."""
    station = make_station(clock=SimClock(start), **options)
    assert await station.connect() == "Accepted"
    await station.wait_accepted()
    cp = await csms.wait_connected()
    watch = Watch(station, csms.log("AL201"))
    await watch.sent()
    return station, cp, watch


async def set_aligned(cp: CsmsChargePoint, name: str, value: str) -> str:
    """SetVariables on AlignedDataCtrlr; the status."""
    [status] = await set_variables(cp, variable(ALIGNED, name, attribute_value=value))
    return status


def clock_samples(payload: dict[str, Any]) -> dict[tuple[str, str | None], Any]:
    """The sampled values, each checked to be a Sample.Clock."""
    values = samples(payload)
    assert {value["context"] for value in values.values()} == {"Sample.Clock"}
    return values


async def test_the_device_model_has_aligned_data(csms: Csms, make_station: StationFactory) -> None:
    """Interval 900, Measurands (the energy register), Enabled: readable and settable."""
    _, cp, _ = await online(csms, make_station)
    results = await get_variables(
        cp,
        variable(ALIGNED, "Interval"),
        variable(ALIGNED, "Measurands"),
        variable(ALIGNED, "Enabled"),
    )
    assert [r["attribute_value"] for r in results] == ["900", ENERGY, "true"]
    assert await set_aligned(cp, "Measurands", f"{ENERGY},{POWER}") == "Accepted"
    assert await set_aligned(cp, "Measurands", "Nonsense") == "Rejected"
    assert await set_aligned(cp, "Measurands", "SoC") == "Rejected"  # an AC station
    assert await set_aligned(cp, "Enabled", "maybe") == "Rejected"
    assert await set_aligned(cp, "Interval", "-5") == "Rejected"
    [measurands] = await get_variables(cp, variable(ALIGNED, "Measurands"))
    assert measurands["attribute_value"] == f"{ENERGY},{POWER}"


async def test_aligned_to_the_clock(csms: Csms, make_station: StationFactory) -> None:
    """Interval 60 at 12:00:30: the first whole minute is 12:01-12:02; then every minute."""
    station, cp, watch = await online(csms, make_station, evses=2)
    assert await set_aligned(cp, "Interval", "60") == "Accepted"
    station.advance(89)  # 12:01:59
    assert await watch.sent() == []
    station.advance(1)  # 12:02:00
    sent = await watch.sent(2)
    assert [(action, payload["evse_id"]) for action, payload in sent] == [
        ("MeterValues", 1),
        ("MeterValues", 2),
    ]
    for _, payload in sent:
        assert payload["meter_value"][0]["timestamp"] == "2030-01-01T12:02:00.000Z"
        assert set(clock_samples(payload)) == {(ENERGY, None)}

    station.advance(30)  # 12:02:30
    assert await watch.sent() == []
    station.advance(30)  # 12:03:00
    assert [action for action, _ in await watch.sent(2)] == ["MeterValues"] * 2


async def test_transaction_event_during_a_transaction(
    csms: Csms, make_station: StationFactory
) -> None:
    """In a transaction: TransactionEvent Updated MeterValueClock; the other EVSE MeterValues."""
    station, cp, watch = await online(csms, make_station, evses=2)
    assert await set_aligned(cp, "Measurands", f"{ENERGY},{POWER}") == "Accepted"
    assert await set_aligned(cp, "Interval", "60") == "Accepted"
    transaction_id = await station.start_transaction(1)
    await watch.sent()
    station.advance(90)  # 12:02:00
    sent = await watch.sent(2)
    assert [action for action, _ in sent] == ["TransactionEvent", "MeterValues"]
    event, meter = sent[0][1], sent[1][1]
    assert (event["event_type"], event["trigger_reason"], event["seq_no"]) == (
        "Updated",
        "MeterValueClock",
        1,
    )
    assert event["transaction_info"]["transaction_id"] == transaction_id
    assert event["evse"] == {"id": 1, "connector_id": 1}
    values = clock_samples(event)
    assert set(values) == {(ENERGY, None), (POWER, None)}
    assert values[(POWER, None)]["value"] == 16 * 230 * 3
    assert values[(ENERGY, None)]["value"] == pytest.approx(16 * 230 * 3 * 90 / 3600)
    assert meter["evse_id"] == 2
    assert clock_samples(meter)[(POWER, None)]["value"] == 0

    await station.stop_transaction(1)
    await watch.sent()
    station.advance(60)
    assert [action for action, _ in await watch.sent(2)] == ["MeterValues"] * 2


async def test_interval_zero_and_disabled_send_nothing(
    csms: Csms, make_station: StationFactory
) -> None:
    """Interval 0, Enabled false or no Measurands: no aligned data, however long."""
    station, cp, watch = await online(csms, make_station)
    await station.start_transaction(1)
    assert await set_aligned(cp, "Interval", "0") == "Accepted"
    await watch.sent()
    station.advance(7200)
    assert await watch.sent() == []

    assert await set_aligned(cp, "Interval", "60") == "Accepted"
    assert await set_aligned(cp, "Enabled", "false") == "Accepted"
    station.advance(7200)
    assert await watch.sent() == []
    assert await set_aligned(cp, "Enabled", "true") == "Accepted"
    station.advance(120)
    sent = await watch.sent(1)
    assert [payload["trigger_reason"] for _, payload in sent] == ["MeterValueClock"]

    assert await set_aligned(cp, "Measurands", "") == "Accepted"
    station.advance(120)
    assert await watch.sent() == []


async def test_the_default_waits_a_whole_interval(csms: Csms, make_station: StationFactory) -> None:
    """Interval 900 from 12:00:30: nothing at 12:15 (no whole quarter yet), then 12:30, 12:45."""
    station, _, watch = await online(csms, make_station)
    station.advance(1769)  # 12:29:59
    assert await watch.sent() == []
    station.advance(1)  # 12:30:00
    [(action, payload)] = await watch.sent(1)
    assert action == "MeterValues"
    assert payload["meter_value"][0]["timestamp"] == "2030-01-01T12:30:00.000Z"
    station.advance(899)
    assert await watch.sent() == []
    station.advance(1)  # 12:45:00
    assert [action for action, _ in await watch.sent(1)] == ["MeterValues"]


async def test_a_new_day_starts_afresh(csms: Csms, make_station: StationFactory) -> None:
    """An interval that does not divide a day (7 h): 21:00, then midnight, then 07:00."""
    station, cp, watch = await online(
        csms, make_station, start=datetime(2030, 1, 1, 13, 30, tzinfo=UTC)
    )
    assert await set_aligned(cp, "Interval", str(7 * 3600)) == "Accepted"
    stamps: list[str] = []
    for hours in (7.5, 3, 7):  # 21:00, 00:00, 07:00
        station.advance(hours * 3600 - 1)
        assert await watch.sent() == []
        station.advance(1)
        [(_, payload)] = await watch.sent(1)
        stamps.append(payload["meter_value"][0]["timestamp"])
    assert stamps == [
        "2030-01-01T21:00:00.000Z",
        "2030-01-02T00:00:00.000Z",
        "2030-01-02T07:00:00.000Z",
    ]


async def test_no_tx_meter_values_sends_meter_values(
    csms: Csms, make_station: StationFactory
) -> None:
    """no_tx_meter_values: aligned data of a transaction go out as MeterValues too."""
    station, cp, watch = await online(csms, make_station, quirks=frozenset({NO_TX_METER_VALUES}))
    assert await set_aligned(cp, "Interval", "60") == "Accepted"
    await station.start_transaction(1)
    await watch.sent()
    station.advance(120)
    [(action, payload)] = await watch.sent(1)
    assert action == "MeterValues"
    assert clock_samples(payload)[(ENERGY, None)]["value"] > 0


async def test_on_real_time_and_after_a_reboot(csms: Csms, make_station: StationFactory) -> None:
    """A station on real time sends aligned data too; a reboot waits a whole interval again."""
    station, cp, watch = await online(csms, make_station, start=None)
    assert await set_aligned(cp, "Interval", "60") == "Accepted"
    station.advance(120)  # at least one whole minute has passed
    [(action, payload)] = await watch.sent(1)
    assert action == "MeterValues"
    assert set(clock_samples(payload)) == {(ENERGY, None)}
    await station.reboot()
    await station.wait_accepted()
    await watch.sent()
    station.advance(30)
    assert await watch.sent() == []
    station.advance(90)
    assert [action for action, _ in await watch.sent(1)] == ["MeterValues"]


async def test_a_dc_stations_soc_only_in_a_transaction(
    csms: Csms, make_station: StationFactory
) -> None:
    """Measurands SoC on a DC station: no empty MeterValues while idle; the SoC while charging."""
    station, cp, watch = await online(csms, make_station, dc=True)
    assert await set_aligned(cp, "Measurands", "SoC") == "Accepted"
    assert await set_aligned(cp, "Interval", "60") == "Accepted"
    station.advance(120)
    assert await watch.sent() == []
    await station.start_transaction(1)
    started = await watch.sent(3)
    assert [action for action, _ in started] == [
        "StatusNotification",
        "TransactionEvent",
        "NotifyEVChargingNeeds",
    ]
    station.advance(60)
    [(action, payload)] = await watch.sent(1)
    assert (action, payload["trigger_reason"]) == ("TransactionEvent", "MeterValueClock")
    soc = clock_samples(payload)[("SoC", None)]
    assert soc["value"] > 20
    assert soc["unit_of_measure"] == {"unit": "Percent"}
