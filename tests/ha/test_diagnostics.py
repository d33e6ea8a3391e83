"""Diagnostics: configuration, stored and live state of every charger, secrets redacted."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime
import json
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.smart_charging.central_system.limits import ChargingLimit
from custom_components.smart_charging.central_system.model import BootInfo, ConnectorStatus
from custom_components.smart_charging.central_system.security.credentials import PasswordState
from custom_components.smart_charging.central_system.v16.setup import WANTED_MEASURANDS
from custom_components.smart_charging.const import (
    CONF_ALLOWED_ID_TAGS,
    CONF_APPROVED_CHARGERS,
    CONF_HEARTBEAT_INTERVAL,
    CONF_ID_TAG_POLICY,
    CONF_INSTALL_PASSWORDS,
    CONF_METER_INTERVAL,
    CONF_UNKNOWN_CHARGERS,
    DOMAIN,
)
from custom_components.smart_charging.diagnostics import json_safe
from custom_components.smart_charging.site_options import default_site_options
from simulator.spec import ChargerSpec
from tests.helpers import connect_charger, hub_of, wait_for

ID_TAG = "SECRET-TAG-0042"
SERIAL = "SN-SECRET-9876"
REDACTED = "**REDACTED**"

# Values that differ from run to run, replaced before the snapshot.
VOLATILE_KEYS = frozenset(
    {
        "port",
        "last_seen",
        "last_heartbeat",
        "status_timestamp",
        "meter_timestamp",
        "session_start",
        "started_at",
        "stopped_at",
        "last_time",
        "allocated_at",
    }
)
METER = ["sensor.grid_l1", "sensor.grid_l2", "sensor.grid_l3"]


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """An allow list holding the tag the car uses."""
    return {
        CONF_UNKNOWN_CHARGERS: "accept_all",
        CONF_ID_TAG_POLICY: "allow_list",
        CONF_ALLOWED_ID_TAGS: [ID_TAG, "ANOTHER-TAG"],
        CONF_METER_INTERVAL: 10,
        CONF_HEARTBEAT_INTERVAL: 300,
    }


def normalise(value: Any) -> Any:
    """Replace volatile values (times, ports) by a marker; None stays None."""
    if isinstance(value, dict):
        return {
            key: "<volatile>" if key in VOLATILE_KEYS and item is not None else normalise(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [normalise(item) for item in value]
    return value


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """A charger paused at 0 A during a transaction: all of it is there, no secret is."""
    charger, coordinator = await connect_charger(
        hass,
        init_integration,
        ChargerSpec(
            "CP-DIAG",
            vendor="Acme",
            model="Wallbox 11",
            serial_number=SERIAL,
            heartbeat_interval=60,
        ),
    )
    try:
        await charger.wait_for_call(
            "ChangeConfiguration", predicate=lambda p: p["key"] == "MeterValuesSampledData"
        )
        # 0 A: the car draws nothing, so the meter stands still and the snapshot is stable.
        await coordinator.session.apply_limit(ChargingLimit(connector_id=0, value=0))
        _, status = await charger.start_transaction(1, ID_TAG)
        assert status == "Accepted"
        await charger.send_meter_values(1)
        await wait_for(
            hass,
            lambda: coordinator.data.connector(1).status is ConnectorStatus.SUSPENDED_EVSE
            and coordinator.data.connector(1).current_offered is not None,
        )

        diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
            hass, hass_client, init_integration
        )
    finally:
        await charger.close()

    text = json.dumps(diagnostics)
    assert ID_TAG not in text
    assert "ANOTHER-TAG" not in text
    assert SERIAL not in text
    live = diagnostics["chargers"]["CP-DIAG"]["state"]
    assert live["connectors"]["1"]["id_tag"] == REDACTED
    assert live["boot"]["serial_number"] == REDACTED
    assert live["connectors"]["1"]["applied_limit"] == 0.0
    assert diagnostics["balancer"]["enabled"] is False
    assert diagnostics["balancer"]["last_result"] is None
    assert normalise(diagnostics) == snapshot


class Clock:
    """The balancer's clock, moved by the test."""

    def __init__(self) -> None:
        """Start at an arbitrary monotonic time."""
        self.now = 1000.0

    def __call__(self) -> float:
        """Return the time."""
        return self.now


@pytest.fixture
async def balanced_entry(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncGenerator[MockConfigEntry]:
    """Balancing on: a 25 A fuse, a meter showing 5 A of house load, the engine's clock fixed."""
    for entity_id in METER:
        hass.states.async_set(entity_id, "5", {"unit_of_measurement": "A"})
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=dict(mock_config_entry.data),
        options={
            **mock_config_entry.options,
            **default_site_options(),
            "grid_limit": 25,
            "meter_source": "phase_currents",
            "meter_entities": METER,
            "failsafe_current": 8.0,
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    hub_of(entry).balancer.clock = Clock()
    yield entry
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_diagnostics_of_the_balancer(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    balanced_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """A charging car held by the fuse: its allocation, why, the budgets and the settings."""
    hub = hub_of(balanced_entry)
    charger, coordinator = await connect_charger(
        hass, balanced_entry, ChargerSpec("CP-BAL", meter_interval=0, heartbeat_interval=60)
    )
    try:
        await charger.start_transaction(1, ID_TAG)
        await wait_for(hass, lambda: coordinator.data.connector(1).transaction_id is not None)
        hub.update_connector_settings("CP-BAL", 1, max_current=32.0)
        clock = hub.balancer.clock
        assert isinstance(clock, Clock)
        clock.now += 30  # past the ramp
        hub.balancer.recompute()
        await wait_for(hass, lambda: hub.balancer.idle and charger.effective_limit(1) == 19.0)

        diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
            hass, hass_client, balanced_entry
        )
    finally:
        await charger.close()

    assert ID_TAG not in json.dumps(diagnostics)
    balancer = diagnostics["balancer"]
    assert balancer["enabled"] is True
    assert balancer["site_options"]["grid_limit"] == 25
    assert balancer["site_options"]["meter_entities"] == METER
    assert balancer["engine_settings"]["safety_margin"] == 1.0
    assert balancer["engine_settings"]["failsafe_current"] == 8.0
    result = balancer["last_result"]
    assert result["allocations"]["CP-BAL/1"] == {
        "connector_id": "CP-BAL/1",
        "current": 19.0,  # 25 A fuse - 5 A house - 1 A margin
        "phases": 3,
        "reason": "grid_limit",
        "constraint": "grid L1",
        "changed": True,  # the allocation that took it from the ramp to the fuse
        "deadline": False,
        "planned_start": None,
        "discharge": 0.0,
    }
    assert result["phases"]["l1"] == {
        "non_ev_load": 5.0,
        "ev_budget": 19.0,
        "allocated": 19.0,
        "headroom": 0.0,
    }
    assert result["input"]["grid_current"] == [5.0, 5.0, 5.0]
    # Only the charger's part of the diagnostics depends on when its messages came.
    assert normalise(balancer) == snapshot


async def test_diagnostics_show_what_the_charger_refused(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
) -> None:
    """Measurands the charger refused during its setup are listed with its answer."""
    energy = "Energy.Active.Import.Register"
    charger, coordinator = await connect_charger(
        hass,
        init_integration,
        ChargerSpec(
            "CP-FEW", supported_measurands=(energy,), sampled_data=(energy,), heartbeat_interval=60
        ),
    )
    try:
        await wait_for(hass, lambda: bool(coordinator.data.refused_configuration))
        diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
            hass, hass_client, init_integration
        )
    finally:
        await charger.close()

    refused = diagnostics["chargers"]["CP-FEW"]["state"]["refused_configuration"]
    assert refused == {
        f"MeterValuesSampledData[{measurand}]": "Rejected"
        for measurand in WANTED_MEASURANDS
        if measurand != energy
    }


async def test_diagnostics_redacts_every_secret(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """SIM and meter identities, and any credential-like key, whatever its spelling."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={
            **mock_config_entry.data,
            CONF_APPROVED_CHARGERS: ["CP-X"],
            "charger_passwords": {"CP-X": "hunter2-secret"},
            "AuthorizationKey": "0123456789abcdef-secret",
        },
        options={**mock_config_entry.options, CONF_ALLOWED_ID_TAGS: []},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    try:
        # What a charger with a modem and a certified meter reports, and a car's tag.
        state = entry.runtime_data.coordinators["CP-X"].data
        state.boot = BootInfo(
            vendor="Acme",
            model="Wallbox",
            serial_number="SN-secret",
            iccid="8931-secret",
            imsi="2620-secret",
            meter_serial_number="MSN-secret",
        )
        connector = state.connector(1)
        connector.id_tag = "TAG-secret"
        connector.session_start = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)

        diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
            hass, hass_client, entry
        )
    finally:
        assert await hass.config_entries.async_unload(entry.entry_id)

    assert "secret" not in json.dumps(diagnostics)
    boot = diagnostics["chargers"]["CP-X"]["state"]["boot"]
    for key in ("serial_number", "iccid", "imsi", "meter_serial_number"):
        assert boot[key] == REDACTED
    assert diagnostics["chargers"]["CP-X"]["state"]["connectors"]["1"]["id_tag"] == REDACTED
    assert diagnostics["entry"]["data"]["charger_passwords"] == REDACTED
    assert diagnostics["entry"]["data"]["AuthorizationKey"] == REDACTED
    # An empty allow list is redacted too; harmless values are kept.
    assert diagnostics["entry"]["options"][CONF_ALLOWED_ID_TAGS] == REDACTED
    assert diagnostics["entry"]["data"][CONF_APPROVED_CHARGERS] == ["CP-X"]
    assert boot["vendor"] == "Acme"
    assert diagnostics["chargers"]["CP-X"]["state"]["connectors"]["1"]["session_start"] == (
        "2025-01-02T03:04:05+00:00"
    )


async def test_diagnostics_never_show_passwords(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Neither a charger's password nor the one before a rotation; only where each is."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={**mock_config_entry.data, CONF_APPROVED_CHARGERS: ["CP-P"]},
        options={**mock_config_entry.options, CONF_INSTALL_PASSWORDS: True},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    try:
        hub = hub_of(entry)
        credentials = hub.central.credentials.get("CP-P")
        assert credentials is not None
        credentials.state = PasswordState.ACTIVE
        old = credentials.password
        hub.rotate_password("CP-P")
        new = hub.central.credentials.get("CP-P")
        assert new is not None
        assert new.previous == old

        diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
            hass, hass_client, entry
        )
    finally:
        assert await hass.config_entries.async_unload(entry.entry_id)

    text = json.dumps(diagnostics)
    assert old not in text
    assert new.password not in text
    assert "credentials" not in diagnostics["hub"]["stored"]
    assert diagnostics["hub"]["credential_states"] == {
        "CP-P": {"state": "installing", "rotating": True}
    }
    assert diagnostics["hub"]["security"] == {
        "minimum": "none",
        "install_over_ocpp": True,
        "tls": False,
        "client_ca": False,
    }
    # A yes/no named after passwords is no secret.
    assert diagnostics["entry"]["options"][CONF_INSTALL_PASSWORDS] is True


def test_json_safe() -> None:
    """Only JSON types remain: keys as text, sets sorted, tuples as lists, enums as values."""
    assert json_safe(
        {
            1: frozenset({"W", "A"}),
            "tuple": (1, 2.5, None),
            "status": ConnectorStatus.CHARGING,
            "when": datetime(2025, 1, 1, tzinfo=UTC),
        }
    ) == {
        "1": ["A", "W"],
        "tuple": [1, 2.5, None],
        "status": "charging",
        "when": "2025-01-01T00:00:00+00:00",
    }
