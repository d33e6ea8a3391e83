"""Transactions and energy survive HA restarts and reconnects, counted exactly once."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.const import DOMAIN
from simulator.spec import ChargerSpec
from tests.helpers import connect_charger, hub_of, uid, wait_for


async def _restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload and set the entry up again: a new hub reads everything back from the store."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_transaction_survives_restart_and_stops_once(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """A StopTransaction for a session started before a restart is accounted once."""
    charger, coordinator = await connect_charger(
        hass, init_integration, ChargerSpec("CP-PERSIST", meter_interval=0)
    )
    try:
        charger.connector(1).register_wh = 5000.0
        transaction_id, _ = await charger.start_transaction(1)
        assert transaction_id is not None
        charger.advance(600)  # ten simulated minutes of charging
        await charger.send_meter_values(1)
        await wait_for(hass, lambda: (coordinator.data.connector(1).session_energy or 0) > 0)
        energy_before = coordinator.data.connector(1).energy
        assert energy_before is not None

        await _restart(hass, init_integration)
        hub = hub_of(init_integration)
        assert hub.coordinators["CP-PERSIST"] is not coordinator
        restored = hub.coordinators["CP-PERSIST"].data.connector(1)
        # Before the charger is back, HA already shows the open session and the register.
        assert restored.transaction_id == transaction_id
        assert restored.energy == energy_before
        energy_entity = entity_registry.async_get_entity_id(
            "sensor", DOMAIN, uid("CP-PERSIST", 1, "energy")
        )
        assert energy_entity is not None

        await wait_for(
            hass,
            lambda: charger.connected and hub.coordinators["CP-PERSIST"].data.configured,
            timeout=10,
        )
        charger.advance(600)
        meter_stop = int(charger.energy_wh(1))
        await charger.stop_transaction(1)
        await wait_for(hass, lambda: restored.transaction_id is None)
        assert restored.session_energy == meter_stop - 5000
        assert restored.energy is not None
        assert restored.energy >= energy_before

        # The same StopTransaction again (a charger resending after a lost answer).
        frame = [
            2,
            "dup-stop",
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "meterStop": meter_stop,
                "timestamp": "2030-01-01T00:00:00Z",
            },
        ]
        await charger.send_raw(json.dumps(frame))
        answer = json.loads(await charger.next_raw_incoming())
        assert answer[0] == 3
        finished = hub.central.ledger.get(transaction_id)
        assert finished is not None
        assert finished.energy == meter_stop - 5000
        assert restored.session_energy == meter_stop - 5000

        # Ids never repeat across restarts.
        new_id, _ = await charger.start_transaction(1)
        assert new_id is not None
        assert new_id > transaction_id
    finally:
        await charger.close()


async def test_energy_register_guard_survives_restart(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A register reset before a restart keeps its offset after it: the total never drops."""
    charger, coordinator = await connect_charger(
        hass, init_integration, ChargerSpec("CP-REG", meter_interval=0)
    )
    try:
        for message_id, value in (("a", "10000"), ("b", "50"), ("c", "60")):
            payload = {
                "connectorId": 1,
                "meterValue": [
                    {
                        "timestamp": f"2026-01-01T00:0{ord(message_id) - 96}:00Z",
                        "sampledValue": [{"value": value, "unit": "Wh"}],
                    }
                ],
            }
            await charger.send_raw(json.dumps([2, message_id, "MeterValues", payload]))
            await charger.next_raw_incoming()
        await wait_for(hass, lambda: coordinator.data.connector(1).energy == 10010.0)
        await _restart(hass, init_integration)
        assert hub_of(init_integration).coordinators["CP-REG"].data.connector(1).energy == 10010.0
    finally:
        await charger.close()
