"""What the simulated charger does with the central system's calls."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from simulator.charger import SimulatedCharger
from simulator.ocpp16 import call, enums
from simulator.spec import (
    CURRENT_ONLY,
    IGNORE_LIMITS,
    POWER_ONLY,
    REJECT_CHARGE_POINT_MAX,
    REJECT_TX_PROFILE,
    STACK_LEVEL_ZERO_ONLY,
)
from simulator.timeutil import to_iso, utcnow

from .central_system import CentralSystem, CentralSystemChargePoint, ChargerFactory


async def online(
    central_system: CentralSystem, make_charger: ChargerFactory, **spec: Any
) -> tuple[SimulatedCharger, CentralSystemChargePoint]:
    """Connect a charger and wait for its boot to be accepted."""
    charger = make_charger(**spec)
    await charger.connect()
    await charger.wait_accepted()
    return charger, await central_system.wait_connected()


def status_is(connector_id: int, status: str) -> Any:
    """Match a StatusNotification payload."""
    return lambda payload: payload["connectorId"] == connector_id and payload["status"] == status


def charging_profile(
    purpose: str = "TxProfile",
    limit: float = 10,
    *,
    stack_level: int = 0,
    unit: str = "A",
    profile_id: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    """A one-period Relative profile."""
    return {
        "chargingProfileId": profile_id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
        },
        **extra,
    }


async def set_profile(
    cs: CentralSystemChargePoint, connector_id: int, profile: dict[str, Any]
) -> str:
    """Send SetChargingProfile; return the status."""
    result = await cs.send(
        call.SetChargingProfile(connector_id=connector_id, cs_charging_profiles=profile)
    )
    return str(result.status)


async def test_set_charging_profile_changes_the_draw(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """A TxProfile sets the draw; below 6 A the car pauses, and resumes above."""
    charger, cs = await online(central_system, make_charger)
    transaction_id, _ = await charger.start_transaction(1)
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "Charging"))

    assert (
        await set_profile(cs, 1, charging_profile(limit=10, transactionId=transaction_id))
        == "Accepted"
    )
    assert charger.effective_limit(1) == 10
    assert charger.draw(1) == 10
    assert await charger.wait_for_call("SetChargingProfile")

    assert await set_profile(cs, 1, charging_profile(limit=4)) == "Accepted"
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "SuspendedEVSE"))
    assert charger.draw(1) == 0
    assert charger.offered(1) == 0

    assert await set_profile(cs, 1, charging_profile(limit=7360, unit="W")) == "Accepted"
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "Charging"))
    assert charger.draw(1) == pytest.approx(7360 / 690)

    await charger.stop_transaction(1)
    assert charger.profiles.profiles() == []  # the TxProfile ended with its transaction


async def test_charge_point_max_caps_tx_default(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """The station maximum caps the default profile of every connector."""
    charger, cs = await online(central_system, make_charger, connectors=2, max_current=32)
    assert await set_profile(cs, 0, charging_profile("TxDefaultProfile", 20)) == "Accepted"
    assert (
        await set_profile(cs, 0, charging_profile("ChargePointMaxProfile", 12, profile_id=2))
        == "Accepted"
    )
    await charger.start_transaction(2)
    assert charger.draw(2) == 12
    assert charger.effective_limit(1) == 12


@pytest.mark.parametrize(
    ("quirk", "connector_id", "profile"),
    [
        (REJECT_CHARGE_POINT_MAX, 0, charging_profile("ChargePointMaxProfile")),
        (REJECT_TX_PROFILE, 1, charging_profile("TxProfile")),
        (STACK_LEVEL_ZERO_ONLY, 1, charging_profile("TxDefaultProfile", stack_level=1)),
        (CURRENT_ONLY, 1, charging_profile("TxDefaultProfile", 7000, unit="W")),
        (POWER_ONLY, 1, charging_profile("TxDefaultProfile", 10)),
        (None, 1, charging_profile("TxDefaultProfile", stack_level=9)),  # > max_stack_level
        (None, 2, charging_profile("TxDefaultProfile")),  # no such connector
        (None, 1, charging_profile("TxProfile", transactionId=1)),  # not running
        (None, 1, charging_profile("ChargePointMaxProfile")),  # connector 0 only
        (
            None,
            1,
            {
                **charging_profile("TxDefaultProfile"),
                "chargingSchedule": {
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [
                        {"startPeriod": 60 * n, "limit": 16} for n in range(25)
                    ],
                },
            },
        ),  # more than ChargingScheduleMaxPeriods
    ],
)
async def test_profiles_a_charger_rejects(
    central_system: CentralSystem,
    make_charger: ChargerFactory,
    quirk: str | None,
    connector_id: int,
    profile: dict[str, Any],
) -> None:
    """Each quirk or rule turns its profile into Rejected, and nothing is installed."""
    charger, cs = await online(
        central_system, make_charger, quirks=frozenset({quirk} if quirk else set())
    )
    await charger.start_transaction(1)
    assert await set_profile(cs, connector_id, profile) == "Rejected"
    assert charger.profiles.profiles() == []


async def test_tx_profile_needs_a_transaction(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """Without a running transaction a TxProfile is rejected."""
    _, cs = await online(central_system, make_charger)
    assert await set_profile(cs, 1, charging_profile("TxProfile")) == "Rejected"


async def test_ignore_limits_accepts_but_keeps_drawing(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """A charger that ignores limits says Accepted and draws its maximum anyway."""
    charger, cs = await online(central_system, make_charger, quirks=frozenset({IGNORE_LIMITS}))
    await charger.start_transaction(1)
    assert await set_profile(cs, 1, charging_profile(limit=6)) == "Accepted"
    assert charger.effective_limit(1) == 6
    assert charger.draw(1) == 16
    assert charger.offered(1) == 16


async def test_clear_charging_profile(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """Clearing restores the previous limit; nothing to clear is Unknown."""
    charger, cs = await online(central_system, make_charger)
    assert (
        await set_profile(cs, 1, charging_profile("TxDefaultProfile", 8, profile_id=3))
        == "Accepted"
    )
    assert charger.effective_limit(1) == 8
    cleared = await cs.send(call.ClearChargingProfile(id=3))
    assert cleared.status == "Accepted"
    assert charger.effective_limit(1) is None
    again = await cs.send(
        call.ClearChargingProfile(
            charging_profile_purpose=enums.ChargingProfilePurposeType.tx_default_profile
        )
    )
    assert again.status == "Unknown"


async def test_get_composite_schedule(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """The composite schedule shows the limits ahead, in A or W."""
    charger, cs = await online(central_system, make_charger)
    later = charger.now() + timedelta(seconds=600)
    expiring = charging_profile(
        "TxDefaultProfile", 7000, unit="W", stack_level=1, validTo=to_iso(later)
    )
    assert await set_profile(cs, 1, expiring) == "Accepted"

    result = await cs.send(call.GetCompositeSchedule(connector_id=1, duration=3600))
    assert result.status == "Accepted"
    assert result.connector_id == 1
    schedule = result.charging_schedule  # the library hands it over in snake_case
    assert schedule["charging_rate_unit"] == "A"
    assert schedule["duration"] == 3600
    periods = [(p["start_period"], float(p["limit"])) for p in schedule["charging_schedule_period"]]
    assert periods[0] == (0, 10.1)  # 7000 W / 690 V = 10.14 A, rounded down to 0.1
    assert periods[1][1] == 16.0  # then the hardware maximum
    assert 598 <= periods[1][0] <= 600

    in_watts = await cs.send(
        call.GetCompositeSchedule(
            connector_id=0, duration=60, charging_rate_unit=enums.ChargingRateUnitType.watts
        )
    )
    assert in_watts.charging_schedule["charging_schedule_period"] == [
        {"start_period": 0, "limit": 11040.0, "number_phases": 3}
    ]
    unknown = await cs.send(call.GetCompositeSchedule(connector_id=5, duration=60))
    assert unknown.status == "Rejected"


async def test_get_configuration(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """Every key, or the asked ones with the unknown ones named."""
    _, cs = await online(central_system, make_charger, connectors=2, rate_unit_keys=None)
    everything = await cs.send(call.GetConfiguration())
    keys = {entry["key"]: entry for entry in everything.configuration_key}
    assert keys["NumberOfConnectors"] == {
        "key": "NumberOfConnectors",
        "readonly": True,
        "value": "2",
    }
    assert keys["SupportedFeatureProfiles"]["value"].split(",") == [
        "Core",
        "FirmwareManagement",
        "LocalAuthListManagement",
        "Reservation",
        "SmartCharging",
        "RemoteTrigger",
    ]
    assert keys["ChargeProfileMaxStackLevel"]["value"] == "8"
    assert keys["MeterValueSampleInterval"]["readonly"] is False
    assert "ChargingScheduleAllowedChargingRateUnit" not in keys  # like a Teison
    assert "AuthorizationKey" not in keys
    assert everything.unknown_key is None

    some = await cs.send(
        call.GetConfiguration(
            key=["MeterValuesSampledData", "ChargingScheduleAllowedChargingRateUnit"]
        )
    )
    assert [entry["key"] for entry in some.configuration_key] == ["MeterValuesSampledData"]
    assert some.unknown_key == ["ChargingScheduleAllowedChargingRateUnit"]


@pytest.mark.parametrize(
    ("key", "value", "status"),
    [
        ("MeterValuesSampledData", "Energy.Active.Import.Register,SoC", "Accepted"),
        ("MeterValuesSampledData", "Energy.Active.Import.Register,RPM", "Rejected"),
        ("MeterValueSampleInterval", "30", "Accepted"),
        ("MeterValueSampleInterval", "-1", "Rejected"),
        ("AuthorizeRemoteTxRequests", "true", "Accepted"),
        ("AuthorizeRemoteTxRequests", "yes", "Rejected"),
        ("NumberOfConnectors", "3", "Rejected"),
        ("WebSocketPingInterval", "0", "Accepted"),
        ("SomethingElse", "1", "NotSupported"),
        ("ConnectionTimeOut", "x", "Rejected"),
    ],
)
async def test_change_configuration(
    central_system: CentralSystem,
    make_charger: ChargerFactory,
    key: str,
    value: str,
    status: str,
) -> None:
    """Writable keys change, read-only and invalid values are Rejected, others NotSupported."""
    charger, cs = await online(central_system, make_charger)
    result = await cs.send(call.ChangeConfiguration(key=key, value=value))
    assert result.status == status
    if status == "Accepted":
        assert charger.config.value(key) == value


async def test_remote_start_with_profile_and_remote_stop(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """RemoteStart starts (no Authorize by default) with its TxProfile; RemoteStop stops."""
    charger, cs = await online(central_system, make_charger, connectors=2)
    await charger.start_transaction(1)
    result = await cs.send(
        call.RemoteStartTransaction(id_tag="REMOTE", charging_profile=charging_profile(limit=8))
    )
    assert result.status == "Accepted"
    start = await cs.log.wait_for("StartTransaction", predicate=lambda p: p["idTag"] == "REMOTE")
    assert start["connectorId"] == 2  # the first idle one
    await cs.log.wait_for("StatusNotification", predicate=status_is(2, "Charging"))
    assert charger.draw(2) == 8
    assert cs.log.actions().count("Authorize") == 1  # only the local start

    transaction_id = charger.connector(2).transaction_id
    assert transaction_id is not None
    busy = await cs.send(call.RemoteStartTransaction(id_tag="REMOTE", connector_id=2))
    assert busy.status == "Rejected"
    stopped = await cs.send(call.RemoteStopTransaction(transaction_id=transaction_id))
    assert stopped.status == "Accepted"
    stop = await cs.log.wait_for("StopTransaction")
    assert (stop["transactionId"], stop["reason"]) == (transaction_id, "Remote")
    unknown = await cs.send(call.RemoteStopTransaction(transaction_id=transaction_id))
    assert unknown.status == "Rejected"


async def test_remote_start_when_the_profile_does_not_fit(
    central_system: CentralSystem, make_charger: ChargerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """MaxChargingProfilesInstalled reached: the transaction starts without its TxProfile."""
    charger, cs = await online(central_system, make_charger, max_profiles=1)
    assert await set_profile(cs, 0, charging_profile("TxDefaultProfile", 12)) == "Accepted"
    result = await cs.send(
        call.RemoteStartTransaction(
            id_tag="R", connector_id=1, charging_profile=charging_profile(profile_id=2)
        )
    )
    assert result.status == "Accepted"
    await cs.log.wait_for("StartTransaction")
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "Charging"))
    assert charger.draw(1) == 12
    assert "TxProfile not installed" in caplog.text


@pytest.mark.parametrize(
    "profile",
    [
        charging_profile("TxDefaultProfile"),
        charging_profile("TxProfile", transactionId=5),
        charging_profile("TxProfile", stack_level=99),
        {
            **charging_profile("TxProfile"),
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 5, "limit": 6}],
            },
        },
    ],
)
async def test_remote_start_rejects_bad_profiles(
    central_system: CentralSystem, make_charger: ChargerFactory, profile: dict[str, Any]
) -> None:
    """The profile inside RemoteStartTransaction must be a TxProfile the charger takes."""
    charger, cs = await online(central_system, make_charger)
    result = await cs.send(
        call.RemoteStartTransaction(id_tag="T", connector_id=1, charging_profile=profile)
    )
    assert result.status == "Rejected"
    assert charger.connector(1).transaction_id is None


async def test_remote_start_authorizes_when_configured(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """With AuthorizeRemoteTxRequests the charger asks before starting."""
    _, cs = await online(central_system, make_charger)
    await cs.send(call.ChangeConfiguration(key="AuthorizeRemoteTxRequests", value="true"))
    await cs.send(call.RemoteStartTransaction(id_tag="REMOTE", connector_id=1))
    assert await cs.log.wait_for("Authorize") == {"idTag": "REMOTE"}
    await cs.log.wait_for("StartTransaction")


async def test_change_availability(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """Idle connectors change at once, busy ones after their transaction."""
    charger, cs = await online(central_system, make_charger, connectors=2)
    await charger.start_transaction(1)
    cs.log.consume_all()
    whole = await cs.send(
        call.ChangeAvailability(connector_id=0, type=enums.AvailabilityType.inoperative)
    )
    assert whole.status == "Scheduled"
    await cs.log.wait_for("StatusNotification", predicate=status_is(2, "Unavailable"))
    assert charger.connector(1).status == "Charging"
    rejected = await cs.send(call.RemoteStartTransaction(id_tag="T", connector_id=2))
    assert rejected.status == "Rejected"

    await charger.stop_transaction(1)
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "Unavailable"))

    back = await cs.send(
        call.ChangeAvailability(connector_id=0, type=enums.AvailabilityType.operative)
    )
    assert back.status == "Accepted"
    for connector_id in (0, 1, 2):
        await cs.log.wait_for("StatusNotification", predicate=status_is(connector_id, "Available"))

    one = await cs.send(
        call.ChangeAvailability(connector_id=2, type=enums.AvailabilityType.inoperative)
    )
    assert one.status == "Accepted"
    await cs.log.wait_for("StatusNotification", predicate=status_is(2, "Unavailable"))
    unknown = await cs.send(
        call.ChangeAvailability(connector_id=3, type=enums.AvailabilityType.inoperative)
    )
    assert unknown.status == "Rejected"


async def test_soft_reset_stops_transactions_and_boots_again(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """Reset: StopTransaction (SoftReset), a new connection, a new BootNotification."""
    charger, cs = await online(central_system, make_charger)
    await charger.start_transaction(1)
    result = await cs.send(call.Reset(type=enums.ResetType.soft))
    assert result.status == "Accepted"
    stop = await cs.log.wait_for("StopTransaction")
    assert stop["reason"] == "SoftReset"
    await central_system.wait_connected(count=2)
    await cs.log.wait_for("BootNotification")
    await cs.log.wait_for("BootNotification")
    await charger.wait_accepted()
    assert charger.connector(1).status == "Available"


async def test_unlock_connector(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """Unlocking stops the transaction; an idle car just leaves."""
    charger, cs = await online(central_system, make_charger, connectors=2)
    await charger.start_transaction(1)
    await charger.plug_in(2)
    cs.log.consume_all()
    for connector_id in (1, 2):
        result = await cs.send(call.UnlockConnector(connector_id=connector_id))
        assert result.status == "Unlocked"
    stop = await cs.log.wait_for("StopTransaction")
    assert stop["reason"] == "UnlockCommand"
    await cs.log.wait_for("StatusNotification", predicate=status_is(2, "Available"))
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "Available"))
    assert not charger.connector(2).plugged
    failed = await cs.send(call.UnlockConnector(connector_id=7))
    assert failed.status == "UnlockFailed"


async def test_trigger_message(central_system: CentralSystem, make_charger: ChargerFactory) -> None:
    """Each triggered message is answered Accepted, then sent."""
    charger, cs = await online(central_system, make_charger, connectors=2)
    await charger.start_transaction(2)
    cs.log.consume_all()
    before = len(cs.log.calls)

    async def trigger(message: str, connector_id: int | None = None) -> str:
        requested = enums.MessageTrigger(message)
        result = await cs.send(
            call.TriggerMessage(requested_message=requested, connector_id=connector_id)
        )
        return str(result.status)

    assert await trigger("Heartbeat") == "Accepted"
    await cs.log.wait_for("Heartbeat")
    assert await trigger("MeterValues", 2) == "Accepted"
    values = await cs.log.wait_for("MeterValues")
    assert values["connectorId"] == 2
    assert values["transactionId"] == charger.connector(2).transaction_id
    assert values["meterValue"][0]["sampledValue"][0]["context"] == "Trigger"
    assert await trigger("MeterValues") == "Accepted"  # every connector
    await cs.log.wait_for("MeterValues", predicate=lambda p: p["connectorId"] == 1)
    await cs.log.wait_for("MeterValues", predicate=lambda p: p["connectorId"] == 2)

    assert await trigger("StatusNotification", 2) == "Accepted"
    await cs.log.wait_for("StatusNotification", predicate=status_is(2, "Charging"))
    assert await trigger("StatusNotification", 0) == "Accepted"
    await cs.log.wait_for("StatusNotification", predicate=status_is(0, "Available"))
    assert await trigger("StatusNotification") == "Accepted"  # 0, 1 and 2
    await cs.log.wait_for("StatusNotification", predicate=status_is(0, "Available"))
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "Available"))
    await cs.log.wait_for("StatusNotification", predicate=status_is(2, "Charging"))
    assert cs.log.actions()[before:].count("StatusNotification") == 5

    assert await trigger("BootNotification") == "Accepted"
    await cs.log.wait_for("BootNotification")
    assert await trigger("DiagnosticsStatusNotification") == "NotImplemented"
    assert await trigger("Heartbeat", 9) == "Rejected"


async def test_data_transfer_and_small_features(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """DataTransfer echoes; cache, local list and reservations have stock answers."""
    _, cs = await online(central_system, make_charger)
    echo = await cs.send(call.DataTransfer(vendor_id="acme", message_id="m", data="hello"))
    assert (echo.status, echo.data) == ("Accepted", "hello")
    unknown = await cs.send(call.DataTransfer(vendor_id="unknown"))
    assert unknown.status == "UnknownVendorId"
    assert (await cs.send(call.ClearCache())).status == "Accepted"
    assert (await cs.send(call.GetLocalListVersion())).list_version == 0
    expiry = to_iso(utcnow() + timedelta(hours=1))
    reservation = call.ReserveNow(connector_id=1, expiry_date=expiry, id_tag="T", reservation_id=1)
    assert (await cs.send(reservation)).status == "Rejected"
