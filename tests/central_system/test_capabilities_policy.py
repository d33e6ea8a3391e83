"""Capabilities from GetConfiguration, and the access policy."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.smart_charging.central_system.capabilities import (
    CAPABILITY_KEYS,
    capabilities_as_dict,
    capabilities_from_dict,
    parse_capabilities,
)
from custom_components.smart_charging.central_system.model import Capabilities, V2XSupport
from custom_components.smart_charging.central_system.policy import (
    AccessPolicy,
    Admission,
    IdTagPolicy,
    UnknownChargerPolicy,
)


def keys(**values: str | None) -> list[dict[str, Any]]:
    """A GetConfiguration configuration_key list (snake_case items)."""
    return [{"key": key, "readonly": True, "value": value} for key, value in values.items()]


FULL = keys(
    SupportedFeatureProfiles="Core,FirmwareManagement,SmartCharging,RemoteTrigger",
    NumberOfConnectors="2",
    ChargingScheduleAllowedChargingRateUnit="Current,Power",
    ChargeProfileMaxStackLevel="8",
    ChargingScheduleMaxPeriods="24",
    MaxChargingProfilesInstalled="16",
    ConnectorSwitch3to1PhaseSupported="true",
    MeterValuesSampledData="Energy.Active.Import.Register, Power.Active.Import,",
    MeterValuesSampledDataMaxLength="10",
    HeartbeatInterval="300",
    MeterValueSampleInterval="10",
)


def test_capability_keys_read() -> None:
    """Every key the parser uses is asked for."""
    assert CAPABILITY_KEYS == (
        "SupportedFeatureProfiles",
        "NumberOfConnectors",
        "ChargingScheduleAllowedChargingRateUnit",
        "ChargeProfileMaxStackLevel",
        "ChargingScheduleMaxPeriods",
        "MaxChargingProfilesInstalled",
        "ConnectorSwitch3to1PhaseSupported",
        "MeterValuesSampledData",
        "MeterValuesSampledDataMaxLength",
        "HeartbeatInterval",
        "MeterValueSampleInterval",
    )


def test_full_answer() -> None:
    """A complete, well-formed answer."""
    assert parse_capabilities(FULL) == Capabilities(
        smart_charging=True,
        remote_trigger=True,
        number_of_connectors=2,
        rate_units=frozenset({"A", "W"}),
        max_stack_level=8,
        max_periods=24,
        max_profiles=16,
        switch_3_to_1_phase=True,
        supported_measurands=("Energy.Active.Import.Register", "Power.Active.Import"),
        heartbeat_interval=300,
        meter_interval=10,
    )


@pytest.mark.parametrize(
    ("value", "units"),
    [
        ("Current", {"A"}),
        ("A", {"A"}),
        ("Power", {"W"}),
        ("W", {"W"}),
        ("current, power", {"A", "W"}),
        ("Current,Kilowatt", {"A"}),
        ("Kilowatt", {"A", "W"}),  # nothing understood: assume both
        ("", {"A", "W"}),
        (None, {"A", "W"}),
    ],
)
def test_rate_unit_spellings(value: str | None, units: set[str]) -> None:
    """Rate units "Current"/"A"/"Power"/"W" in any case; unknown spellings ignored."""
    parsed = parse_capabilities(keys(ChargingScheduleAllowedChargingRateUnit=value))
    assert parsed.rate_units == frozenset(units)


def test_missing_keys() -> None:
    """A charger that answers nothing: profiles assumed, numbers unknown."""
    assert parse_capabilities([]) == Capabilities(
        smart_charging=True,
        remote_trigger=True,
        rate_units=frozenset({"A", "W"}),
    )


def test_profiles_without_smart_charging() -> None:
    """SupportedFeatureProfiles without SmartCharging (or RemoteTrigger) says so."""
    parsed = parse_capabilities(keys(SupportedFeatureProfiles="Core, FirmwareManagement"))
    assert parsed.smart_charging is False
    assert parsed.remote_trigger is False
    parsed = parse_capabilities(keys(SupportedFeatureProfiles="core,smartcharging"))
    assert parsed.smart_charging is True
    assert parsed.remote_trigger is False


@pytest.mark.parametrize(
    ("value", "expected"), [("5", 5), (" 7 ", 7), ("0", 0), ("abc", None), ("", None), (None, None)]
)
def test_integer_keys(value: str | None, expected: int | None) -> None:
    """Numbers with blanks parse; anything else is unknown."""
    parsed = parse_capabilities(keys(ChargeProfileMaxStackLevel=value))
    assert parsed.max_stack_level == expected


@pytest.mark.parametrize(
    ("value", "expected"), [("true", True), ("TRUE", True), (" True ", True), ("false", False)]
)
def test_phase_switch(value: str, expected: bool) -> None:
    """ConnectorSwitch3to1PhaseSupported is a boolean string."""
    assert parse_capabilities(
        keys(ConnectorSwitch3to1PhaseSupported=value)
    ).switch_3_to_1_phase is (expected)


def test_dict_round_trip() -> None:
    """Capabilities survive storage as JSON-friendly data."""
    capabilities = parse_capabilities(FULL)
    capabilities.vendor_max_current = {0: 32.0, 2: 16.0}
    capabilities.connector_types = {1: {1: "cCCS2", 2: "cG105"}}
    capabilities.v2x = {
        1: V2XSupport(
            enabled=True,
            operation_modes=frozenset({"ChargingOnly", "CentralSetpoint"}),
            transfer_modes=frozenset({"DC", "DC_BPT"}),
            max_discharge_power=50000.0,
            iso15118=True,
        )
    }
    data = capabilities_as_dict(capabilities)
    assert data == {
        "smart_charging": True,
        "remote_trigger": True,
        "number_of_connectors": 2,
        "rate_units": ["A", "W"],
        "max_stack_level": 8,
        "max_periods": 24,
        "max_profiles": 16,
        "switch_3_to_1_phase": True,
        "supported_measurands": ["Energy.Active.Import.Register", "Power.Active.Import"],
        "heartbeat_interval": 300,
        "meter_interval": 10,
        "vendor_max_current": {"0": 32.0, "2": 16.0},
        "connector_types": {"1": {"1": "cCCS2", "2": "cG105"}},
        "v2x": {
            "1": {
                "enabled": True,
                "operation_modes": ["CentralSetpoint", "ChargingOnly"],
                "transfer_modes": ["DC", "DC_BPT"],
                "max_discharge_power": 50000.0,
                "iso15118": True,
            }
        },
    }
    assert capabilities_from_dict(data) == capabilities
    # Stored before the vendor keys were read: asked on the next connection.
    del data["vendor_max_current"]
    assert capabilities_from_dict(data).vendor_max_current is None


def test_from_empty_dict() -> None:
    """Old or partial storage restores with defaults."""
    assert capabilities_from_dict({}) == Capabilities(
        smart_charging=True, remote_trigger=True, rate_units=frozenset({"A", "W"})
    )


# --- access policy --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unknown", "expected"),
    [
        (UnknownChargerPolicy.ASK, Admission.PENDING),
        (UnknownChargerPolicy.ACCEPT_ALL, Admission.ACCEPTED),
        (UnknownChargerPolicy.REJECT, Admission.REJECTED),
    ],
)
def test_admission_of_unknown_chargers(unknown: UnknownChargerPolicy, expected: Admission) -> None:
    """The unknown-charger policy decides for chargers neither approved nor ignored."""
    policy = AccessPolicy(unknown_chargers=unknown)
    assert policy.admission("new") is expected


@pytest.mark.parametrize("unknown", list(UnknownChargerPolicy))
def test_approved_and_ignored_override_the_policy(unknown: UnknownChargerPolicy) -> None:
    """Approved chargers are accepted, ignored ones rejected, whatever the policy."""
    policy = AccessPolicy(unknown_chargers=unknown, approved={"ok", "both"}, ignored={"no", "both"})
    assert policy.admission("ok") is Admission.ACCEPTED
    assert policy.admission("no") is Admission.REJECTED
    assert policy.admission("both") is Admission.ACCEPTED
    # Charge point ids are compared exactly: "OK" is another, unknown charger.
    assert policy.admission("OK") is AccessPolicy(unknown_chargers=unknown).admission("OK")


def test_default_policy() -> None:
    """By default unknown chargers wait for approval and every idTag is accepted."""
    policy = AccessPolicy()
    assert policy.admission("x") is Admission.PENDING
    assert policy.authorize("anything") == "Accepted"


def test_id_tags_accept_all() -> None:
    """Accept all: every tag, even with an allow list set."""
    policy = AccessPolicy(id_tags=IdTagPolicy.ACCEPT_ALL)
    policy.set_allowed_id_tags(["only"])
    assert policy.authorize("other") == "Accepted"


def test_id_tag_allow_list_is_case_insensitive() -> None:
    """Readers differ in case; blanks and empty entries are dropped."""
    policy = AccessPolicy(id_tags=IdTagPolicy.ALLOW_LIST)
    policy.set_allowed_id_tags([" Tag-1 ", "abc", "", "  ", "Straße"])
    assert policy.allowed_id_tags == frozenset({"tag-1", "abc", "strasse"})
    assert policy.authorize("TAG-1") == "Accepted"
    assert policy.authorize("ABC") == "Accepted"
    assert policy.authorize("STRASSE") == "Accepted"
    assert policy.authorize("tag-2") == "Invalid"
    assert policy.authorize("") == "Invalid"
    policy.set_allowed_id_tags([])
    assert policy.authorize("abc") == "Invalid"
