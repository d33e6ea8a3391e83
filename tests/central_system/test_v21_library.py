"""The `ocpp` 2.1.0 library's v21 defects that v21/library_fixes wraps.

Each test asserts the defect is still there: when one fails, the library was fixed and
its wrap (and the test) can go.
"""

from __future__ import annotations

import json
from pathlib import Path

import ocpp
from ocpp.charge_point import _raise_key_error, snake_to_camel_case
from ocpp.exceptions import PropertyConstraintViolationError
from ocpp.messages import unpack
from ocpp.v21 import enums as enums21
from ocpp.v201 import enums as enums201
import pytest

from custom_components.smart_charging.central_system.v21.library_fixes import (
    PHASE_FIELD_BASES,
    fix_phase_keys,
    fix_phase_keys_in_frame,
    message_type_of,
    unpack_send,
)

SCHEMAS = Path(ocpp.__file__).parent / "v21" / "schemas"


def _schema_phase_fields() -> set[str]:
    """Every per-phase property name in the library's 2.1 schemas."""
    names: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key in node.get("properties") or {}:
                if key.endswith(("_L2", "_L3")):
                    names.add(key)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in SCHEMAS.glob("*.json"):
        walk(json.loads(path.read_text(encoding="utf-8-sig")))
    return names


def test_library_still_camel_cases_phase_fields_wrongly() -> None:
    """Defect: `limit_l2` becomes `limitL2`; the schema wants `limit_L2`."""
    assert snake_to_camel_case({"limit_l2": 1, "setpoint_l3": 2}) == {"limitL2": 1, "setpointL3": 2}


def test_every_schema_phase_field_is_mended() -> None:
    """The wrap knows every per-phase field the schemas have, and only those."""
    fields = _schema_phase_fields()
    assert fields == {f"{base}_L{phase}" for base in PHASE_FIELD_BASES for phase in (2, 3)}
    for field in fields:
        snake = field.replace("_L", "_l")
        wrong = snake_to_camel_case({snake: 1})
        assert fix_phase_keys(wrong) == {field: 1}
        assert json.loads(fix_phase_keys_in_frame(json.dumps(wrong))) == {field: 1}


def test_mending_leaves_values_and_other_keys_alone() -> None:
    """Only keys change: a value that looks like a key stays, nested lists are mended."""
    frame = json.dumps(
        [2, "1", "SetChargingProfile", {"note": "limitL2", "periods": [{"limitL2": 3}]}]
    )
    mended = json.loads(fix_phase_keys_in_frame(frame))
    assert mended[3] == {"note": "limitL2", "periods": [{"limit_L2": 3}]}
    assert fix_phase_keys({"a": [{"setpointL2": 1}], "limit": 2}) == {
        "a": [{"setpoint_L2": 1}],
        "limit": 2,
    }


@pytest.mark.parametrize("frame", ['[6,"1","NotifyPeriodicEventStream",{}]', '[5,"1","E","d",{}]'])
def test_library_still_rejects_the_21_message_types(frame: str) -> None:
    """Defect: SEND (6) and CALLRESULTERROR (5) are unknown message types to the library."""
    with pytest.raises(PropertyConstraintViolationError):
        unpack(frame)
    assert message_type_of(frame) in {5, 6}


def test_send_frames_read() -> None:
    """A SEND's parts; anything else is no SEND."""
    assert unpack_send('[6, "7", "NotifyPeriodicEventStream", {"id": 1}]') == (
        "7",
        "NotifyPeriodicEventStream",
        {"id": 1},
    )
    for frame in ('[6, "7"]', "[6, 7, 8, 9]", '[2, "1", "Heartbeat", {}]', "nope"):
        assert unpack_send(frame) is None
    assert message_type_of("nope") is None


def test_library_still_leaves_unhandled_21_actions_unanswered() -> None:
    """Defect: for 2.1 the library raises nothing for an action without a handler."""
    assert _raise_key_error("VatNumberValidation", "2.1") is None


def test_library_still_lacks_the_21_component_and_variable_names() -> None:
    """Defect: v21 has only the schemas' enums, no component or variable names.

    v201 has them; `v21.inventory` spells the 2.1 controllers (V2XChargingCtrlr) itself.
    """
    assert hasattr(enums201, "ControllerComponentName")
    assert not hasattr(enums21, "ControllerComponentName")
    assert not [name for name in dir(enums21) if name.endswith("VariableName")]
