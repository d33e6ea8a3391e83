"""The `ocpp` 2.1.0 library's v21 defects, and the workarounds in simulator.v21.wire.

Each `test_the_library_*` asserts a defect as it is: when one fails, the library has been
fixed, and the workaround it documents can go.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from ocpp.charge_point import snake_to_camel_case
from ocpp.exceptions import NotImplementedError as OcppNotImplemented, OCPPError
from ocpp.messages import Call, unpack, validate_payload
from ocpp.v21 import ChargePoint, call
import pytest

from simulator.v21.wire import ChargePoint21, fix_frame, fix_phase_keys, has_phase_keys
from simulator.v201.payload import build

PERIOD = {
    "start_period": 0,
    "operation_mode": "CentralSetpoint",
    "setpoint": -3000,
    "setpoint_l2": -1000,
    "setpoint_l3": -1000,
    "discharge_limit": -3000,
    "discharge_limit_l2": -3000,
    "discharge_limit_l3": -3000,
}
PROFILE = {
    "id": 7,
    "stack_level": 1,
    "charging_profile_purpose": "TxDefaultProfile",
    "charging_profile_kind": "Relative",
    "charging_schedule": [
        {"id": 7, "charging_rate_unit": "W", "charging_schedule_period": [PERIOD]}
    ],
}


class Wire:
    """A connection that keeps what is sent and answers calls with `answer`."""

    def __init__(self, answer: dict[str, Any] | None = None) -> None:
        """Answer every call with `answer` (None: never)."""
        self.sent: list[str] = []
        self.answer = answer
        self.charge_point: Any = None

    async def send(self, message: str) -> None:
        """Keep the frame; answer a call."""
        self.sent.append(message)
        frame = json.loads(message)
        if frame[0] == 2 and self.answer is not None:
            reply = json.dumps([3, frame[1], self.answer])
            asyncio.get_running_loop().call_soon(
                lambda: asyncio.ensure_future(self.charge_point.route_message(reply))
            )

    async def recv(self) -> str:
        """Nothing comes in by itself."""
        await asyncio.Event().wait()
        return ""


def test_the_library_camel_cases_per_phase_keys_wrongly() -> None:
    """`limit_L2` comes out as `limitL2`, which the 2.1 schemas do not allow."""
    assert snake_to_camel_case(
        {"limit_l2": 1, "limit_L3": 1, "discharge_limit_l2": -1, "max_charge_power_l3": 5}
    ) == {"limitL2": 1, "limitL3": 1, "dischargeLimitL2": -1, "maxChargePowerL3": 5}


async def test_the_library_rejects_its_own_per_phase_frame() -> None:
    """A SetChargingProfile with per-phase fields fails the library's own schema check."""
    payload = snake_to_camel_case({"evse_id": 1, "charging_profile": PROFILE})
    with pytest.raises(OCPPError):
        await validate_payload(Call("1", "SetChargingProfile", payload), "2.1")
    await validate_payload(Call("1", "SetChargingProfile", fix_phase_keys(payload)), "2.1")


async def test_the_library_leaves_unhandled_calls_unanswered() -> None:
    """A v21 ChargePoint without a handler for an action sends nothing back."""
    wire = Wire()
    charge_point = ChargePoint("CS", wire)
    await charge_point.route_message('[2,"1","Reset",{"type":"Immediate"}]')
    assert wire.sent == []


def test_the_library_cannot_read_send_frames() -> None:
    """OCPP-J 2.1's SEND (6) is unknown to the library: the station never sends one."""
    with pytest.raises(OCPPError):
        unpack('[6,"1","NotifyPeriodicEventStream",{"id":1,"pending":0,"basetime":"x"}]')


def test_the_library_swaps_two_error_descriptions() -> None:
    """NotImplemented says what NotSupported means: the station gives OCPP-J's texts."""
    assert OcppNotImplemented().description == (
        "Request Action is recognized but not supported by the receiver"
    )


def test_fixing_keys() -> None:
    """`limitL2` -> `limit_L2` at any depth; other keys and values stay; frames as text."""
    wrong = snake_to_camel_case({"charging_profile": PROFILE, "evse_id": 1})
    fixed = fix_phase_keys(wrong)
    period = fixed["chargingProfile"]["chargingSchedule"][0]["chargingSchedulePeriod"][0]
    assert set(period) == {
        "startPeriod",
        "operationMode",
        "setpoint",
        "setpoint_L2",
        "setpoint_L3",
        "dischargeLimit",
        "dischargeLimit_L2",
        "dischargeLimit_L3",
    }
    assert fix_phase_keys({"evseId": 1, "L2": 2, "phaseL1": 3}) == {
        "evseId": 1,
        "L2": 2,
        "phaseL1": 3,
    }
    frame = json.dumps([2, "9", "SetChargingProfile", wrong])
    assert json.loads(fix_frame(frame))[3] == fixed
    assert fix_frame('[3,"9",{"status":"Accepted"}]') == '[3,"9",{"status":"Accepted"}]'
    assert has_phase_keys({"a": [{"limit_l2": 1}]})
    assert not has_phase_keys({"a": [{"limit": 1}], "b": "limit_l2"})


async def test_a_per_phase_call_goes_out_fixed_and_checked() -> None:
    """The call is sent with `_L2` keys and answered; a bad one still fails its check."""
    wire = Wire({"status": "Accepted"})
    charge_point = ChargePoint21("CSMS", wire, response_timeout=1)
    wire.charge_point = charge_point
    result = await charge_point.call(
        build(call.SetChargingProfile, evse_id=1, charging_profile=PROFILE)
    )
    assert result.status == "Accepted"
    assert '"setpoint_L2":-1000' in wire.sent[0]
    bad = {**PERIOD, "discharge_limit_l2": 5}  # must be <= 0
    schedule = {"id": 7, "charging_rate_unit": "W", "charging_schedule_period": [bad]}
    with pytest.raises(OCPPError):
        await charge_point.call(
            build(
                call.SetChargingProfile,
                evse_id=1,
                charging_profile={**PROFILE, "charging_schedule": [schedule]},
            )
        )
    assert len(wire.sent) == 1
    unchecked = await charge_point.call(
        build(call.SetChargingProfile, evse_id=1, charging_profile=PROFILE),
        skip_schema_validation=True,
    )
    assert unchecked.status == "Accepted"


async def test_unhandled_calls_get_a_call_error() -> None:
    """NotSupported for a 2.1 action without handler, NotImplemented for an unknown one."""
    wire = Wire()
    charge_point = ChargePoint21("CS", wire)
    await charge_point.route_message('[2,"1","UpdateDynamicSchedule",{}]')
    await charge_point.route_message('[2,"2","Teleport",{}]')
    await charge_point.route_message("not json")
    answers = [json.loads(frame) for frame in wire.sent]
    assert [(a[0], a[1], a[2]) for a in answers] == [
        (4, "1", "NotSupported"),
        (4, "2", "NotImplemented"),
    ]
    assert answers[0][3] == "Requested Action is recognized but not supported by the receiver"
    assert answers[1][3] == "Requested Action is not known by receiver"
