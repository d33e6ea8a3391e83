"""GetChargingProfiles on 2.0.1: the answer first, then the reports in parts (tbc)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from custom_components.smart_charging.central_system.errors import (
    ChargerRejectedError,
    ChargerTimeoutError,
    ChargerWrongVersionError,
)
from custom_components.smart_charging.central_system.profile_criteria import ProfileCriteria

from .conftest import RawClientFactory, Server, ServerFactory, fast_settings
from .test_v201 import CALL, CALL_RESULT, booted

PROFILE: dict[str, Any] = {
    "id": 7,
    "stackLevel": 2,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Absolute",
    "chargingSchedule": [
        {
            "id": 1,
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
        }
    ],
}


def report(request_id: int, evse_id: int, source: str, *, tbc: bool) -> dict[str, Any]:
    """A ReportChargingProfiles part with PROFILE."""
    return {
        "requestId": request_id,
        "chargingLimitSource": source,
        "evseId": evse_id,
        "chargingProfile": [PROFILE],
        "tbc": tbc,
    }


async def test_the_reports_come_in_parts(server: Server, raw_client: RawClientFactory) -> None:
    """Parts gathered until one without tbc (the first may overtake the answer); unasked ones not.

    A part nobody asked for is acknowledged and left out.
    """
    client, session = await booted(server, raw_client)
    criteria = ProfileCriteria(purpose="TxDefaultProfile", stack_level=2, sources=("CSO", "EMS"))
    task = asyncio.ensure_future(session.require_adapter().charging_profiles(None, criteria))
    frame = await client.receive()
    assert frame[:3] == [CALL, frame[1], "GetChargingProfiles"]
    request = frame[3]
    assert "evseId" not in request  # the whole station
    assert request["chargingProfile"] == {
        "chargingProfilePurpose": "TxDefaultProfile",
        "stackLevel": 2,
        "chargingLimitSource": ["CSO", "EMS"],
    }
    request_id = request["requestId"]
    assert (
        await client.call("r-1", "ReportChargingProfiles", report(request_id, 1, "CSO", tbc=True))
    )[0] == CALL_RESULT
    await client.send([CALL_RESULT, frame[1], {"status": "Accepted"}])
    unasked = await client.call(
        "r-2", "ReportChargingProfiles", report(request_id + 50, 1, "SO", tbc=False)
    )
    assert unasked == [CALL_RESULT, "r-2", {}]
    assert not task.done()
    await client.call("r-3", "ReportChargingProfiles", report(request_id, 0, "EMS", tbc=False))
    parts = await task
    assert [(part["evse_id"], part["charging_limit_source"]) for part in parts] == [
        (1, "CSO"),
        (0, "EMS"),
    ]
    profile = parts[0]["charging_profile"][0]
    assert (profile["id"], profile["stack_level"]) == (7, 2)
    assert profile["charging_schedule"][0]["charging_schedule_period"] == [
        {"start_period": 0, "limit": 16.0}
    ]


async def test_no_profiles_and_a_refusal(server: Server, raw_client: RawClientFactory) -> None:
    """NoProfiles is an empty list; a later report for that request is no longer awaited."""
    client, session = await booted(server, raw_client)
    adapter = session.require_adapter()
    task = asyncio.ensure_future(adapter.charging_profiles(1, ProfileCriteria()))
    frame = await client.receive()
    assert frame[3]["evseId"] == 1
    assert frame[3]["chargingProfile"] == {}
    await client.send([CALL_RESULT, frame[1], {"status": "NoProfiles"}])
    assert await task == []
    late = await client.call(
        "r-1", "ReportChargingProfiles", report(frame[3]["requestId"], 1, "CSO", tbc=False)
    )
    assert late == [CALL_RESULT, "r-1", {}]

    task = asyncio.ensure_future(adapter.charging_profiles(1, ProfileCriteria()))
    frame = await client.receive()
    await client.send([4, frame[1], "NotSupported", "", {}])
    with pytest.raises(ChargerRejectedError):
        await task


async def test_reports_that_never_end(
    make_server: ServerFactory, raw_client: RawClientFactory
) -> None:
    """Accepted but the last part never comes: ChargerTimeoutError after the response timeout."""
    server = await make_server(settings=fast_settings(response_timeout=0.3))
    client, session = await booted(server, raw_client)
    task = asyncio.ensure_future(
        session.require_adapter().charging_profiles(None, ProfileCriteria())
    )
    frame = await client.receive()
    await client.send([CALL_RESULT, frame[1], {"status": "Accepted"}])
    await client.call(
        "r-1", "ReportChargingProfiles", report(frame[3]["requestId"], 1, "CSO", tbc=True)
    )
    with pytest.raises(ChargerTimeoutError) as caught:
        await task
    assert caught.value.action == "ReportChargingProfiles"


async def test_a_16_charger_names_the_action_to_use(
    server: Server, raw_client: RawClientFactory
) -> None:
    """1.6 has no GetChargingProfiles: the error names get_composite_schedule."""
    client = await raw_client(server, "CP-16")
    await client.call(
        "b-1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}
    )
    session = server.session("CP-16")
    with pytest.raises(ChargerWrongVersionError) as caught:
        await session.require_adapter().charging_profiles(None, ProfileCriteria())
    assert caught.value.instead == "get_composite_schedule"
