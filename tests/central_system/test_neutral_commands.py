"""Version-neutral commands over real WebSockets: intervals, triggers, text limits."""

from __future__ import annotations

import pytest

from custom_components.smart_charging.central_system.errors import (
    ChargerOfflineError,
    ChargerRejectedError,
)
from custom_components.smart_charging.central_system.server import TEXT_LIMITS
from custom_components.smart_charging.central_system.trigger import Trigger
from custom_components.smart_charging.central_system.v16.adapter import V16Adapter
from custom_components.smart_charging.central_system.v16.vocabulary import (
    HEARTBEAT_INTERVAL,
    SAMPLE_INTERVAL,
)
from custom_components.smart_charging.central_system.v201.adapter import V201Adapter
from simulator.charger import SimulatedCharger

from .conftest import ChargerFactory, Server, connected_charger, wait_until


def interval_changes(charger: SimulatedCharger, after: int) -> list[dict[str, str]]:
    """The interval ChangeConfigurations the charger got after its first `after` calls."""
    return [
        payload
        for action, payload in charger.calls[after:]
        if action == "ChangeConfiguration"
        and payload["key"] in (SAMPLE_INTERVAL, HEARTBEAT_INTERVAL)
    ]


async def test_set_intervals(server: Server, make_charger: ChargerFactory) -> None:
    """Both intervals become the charger's configuration; nothing is reported."""
    charger, session = await connected_charger(server, make_charger)
    before = len(charger.calls)
    assert await session.require_adapter().set_intervals(30, 120) == {}
    assert interval_changes(charger, before) == [
        {"key": SAMPLE_INTERVAL, "value": "30"},
        {"key": HEARTBEAT_INTERVAL, "value": "120"},
    ]
    assert charger.config.value(SAMPLE_INTERVAL) == "30"
    assert charger.config.value(HEARTBEAT_INTERVAL) == "120"


async def test_set_intervals_skips_a_refused_key(
    server: Server, make_charger: ChargerFactory
) -> None:
    """A key the charger refused is not asked again; the other one is still set."""
    charger, session = await connected_charger(server, make_charger)
    session.state.refused_configuration[SAMPLE_INTERVAL] = "NotSupported"
    before = len(charger.calls)
    assert await session.require_adapter().set_intervals(30, 120) == {}
    assert interval_changes(charger, before) == [{"key": HEARTBEAT_INTERVAL, "value": "120"}]
    assert charger.config.value(SAMPLE_INTERVAL) == "10"
    assert charger.config.value(HEARTBEAT_INTERVAL) == "120"


async def test_set_intervals_reports_what_failed(
    server: Server, make_charger: ChargerFactory
) -> None:
    """A rejected key is reported, not raised, and does not stop the next one."""
    charger, session = await connected_charger(server, make_charger)
    failed = await session.require_adapter().set_intervals(-1, 120)
    assert list(failed) == [SAMPLE_INTERVAL]
    error = failed[SAMPLE_INTERVAL]
    assert isinstance(error, ChargerRejectedError)
    assert (error.action, error.status) == ("ChangeConfiguration", "Rejected")
    assert charger.config.value(HEARTBEAT_INTERVAL) == "120"


async def test_set_intervals_on_a_closed_connection(
    server: Server, make_charger: ChargerFactory
) -> None:
    """Offline: every key is reported offline, nothing raised."""
    charger, session = await connected_charger(server, make_charger)
    adapter = session.require_adapter()
    await charger.close()
    await wait_until(lambda: session.adapter is None)
    failed = await adapter.set_intervals(30, 120)
    assert list(failed) == [SAMPLE_INTERVAL, HEARTBEAT_INTERVAL]
    assert all(isinstance(error, ChargerOfflineError) for error in failed.values())


@pytest.mark.parametrize(
    ("trigger", "requested", "status"),
    [
        (Trigger.BOOT, "BootNotification", "Accepted"),
        (Trigger.HEARTBEAT, "Heartbeat", "Accepted"),
        (Trigger.METER_VALUES, "MeterValues", "Accepted"),
        (Trigger.STATUS, "StatusNotification", "Accepted"),
        # The simulator implements neither: its answer is a rejection.
        (Trigger.DIAGNOSTICS_STATUS, "DiagnosticsStatusNotification", "NotImplemented"),
        (Trigger.FIRMWARE_STATUS, "FirmwareStatusNotification", "NotImplemented"),
    ],
)
async def test_trigger_maps_to_the_16_message(
    server: Server, make_charger: ChargerFactory, trigger: Trigger, requested: str, status: str
) -> None:
    """Each version-neutral trigger becomes its OCPP 1.6 TriggerMessage."""
    charger, session = await connected_charger(server, make_charger)
    adapter = session.require_adapter()
    if status == "Accepted":
        assert await adapter.trigger(trigger, None) == "Accepted"
    else:
        with pytest.raises(ChargerRejectedError) as caught:
            await adapter.trigger(trigger, None)
        assert caught.value.status == status
    assert await charger.wait_for_call("TriggerMessage") == {"requestedMessage": requested}


def test_every_trigger_has_a_16_message() -> None:
    """No neutral trigger is left without its 1.6 name."""
    from custom_components.smart_charging.central_system.v16.vocabulary import MESSAGE_TRIGGERS

    assert set(MESSAGE_TRIGGERS) == set(Trigger)


async def test_text_limits_are_the_16_schema_lengths(
    server: Server, make_charger: ChargerFactory
) -> None:
    """The adapter's limits pass the 1.6 schemas exactly: one character more is refused."""
    charger, session = await connected_charger(server, make_charger)
    adapter = session.require_adapter()
    limits = adapter.text_limits
    assert limits == V16Adapter.text_limits
    # The services check the widest of every version's (2.0.1's values are longer).
    assert TEXT_LIMITS.configuration_value == V201Adapter.text_limits.configuration_value
    # At the limit the charger gets the call (and answers as it likes).
    with pytest.raises(ChargerRejectedError) as caught:
        await adapter.change_configuration(
            "K" * limits.configuration_key, "V" * limits.configuration_value
        )
    assert caught.value.status == "NotSupported"
    answer = await adapter.data_transfer("v" * limits.vendor_id, "m" * limits.message_id, None)
    assert answer["status"] == "Accepted"
    # One more and our own schema check refuses before sending.
    sent = len(charger.calls)
    for key, value in (
        ("K" * (limits.configuration_key + 1), "V"),
        ("K", "V" * (limits.configuration_value + 1)),
    ):
        with pytest.raises(ChargerRejectedError):
            await adapter.change_configuration(key, value)
    for vendor_id, message_id in (
        ("v" * (limits.vendor_id + 1), None),
        ("v", "m" * (limits.message_id + 1)),
    ):
        with pytest.raises(ChargerRejectedError):
            await adapter.data_transfer(vendor_id, message_id, None)
    assert len(charger.calls) == sent
