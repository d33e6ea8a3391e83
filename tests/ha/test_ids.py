"""Id formats (ids.py) and the migration of entries made before them (migration.py)."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.const import (
    CONF_APPROVED_CHARGERS,
    CONF_HOST,
    CONF_PORT,
    DOMAIN,
    ENTRY_MINOR_VERSION,
)
from custom_components.smart_charging.ids import (
    charger_identifier,
    connector_identifier,
    entity_unique_id,
    parse_device_identifier,
    site_identifier,
    site_unique_id,
)
from custom_components.smart_charging.migration import new_identifier, new_unique_id
from simulator.spec import ChargerSpec
from tests.helpers import connect_charger, find_device, uid

ENTRY = "01JTESTSMARTCHARGINGENTRY0"


def test_a_charger_and_another_chargers_connector_never_share_an_id() -> None:
    """Charger "CP-1" and connector 1 of charger "CP": distinct devices and entities."""
    assert charger_identifier(ENTRY, "CP-1") != connector_identifier(ENTRY, "CP", 1)
    assert entity_unique_id(ENTRY, "CP-1", 0, "status") != entity_unique_id(
        ENTRY, "CP", 1, "status"
    )
    # Another central system's charger of the same id is another device.
    assert charger_identifier(ENTRY, "CP") != charger_identifier("OTHER", "CP")
    # A charger named like the site is not the site.
    assert site_unique_id(ENTRY, "budget") != entity_unique_id(ENTRY, "site", 0, "budget")
    assert site_identifier(ENTRY) != charger_identifier(ENTRY, "site")


@pytest.mark.parametrize("charger_id", ["CP", "CP-1", "a/b", "50%", "Säule 3", "x/1"])
@pytest.mark.parametrize("connector_id", [0, 1, 12])
def test_device_identifiers_parse_back(charger_id: str, connector_id: int) -> None:
    """Any charger id (the URL allows "/" and "%") reads back from its device identifier."""
    _, identifier = (
        charger_identifier(ENTRY, charger_id)
        if connector_id == 0
        else connector_identifier(ENTRY, charger_id, connector_id)
    )
    assert parse_device_identifier(ENTRY, identifier) == (charger_id, connector_id)
    assert parse_device_identifier("OTHER", identifier) is None


@pytest.mark.parametrize("identifier", [ENTRY, f"{ENTRY}/CP/0", f"{ENTRY}/CP/x", f"{ENTRY}/a/1/2"])
def test_foreign_identifiers_do_not_parse(identifier: str) -> None:
    """The site, connector 0 and malformed identifiers are no charger or connector."""
    assert parse_device_identifier(ENTRY, identifier) is None


def test_old_ids_map_to_their_owner() -> None:
    """1.1 ids: the longest known charger id wins where a shorter one is its prefix."""
    chargers = ["WB-1", "WB"]  # longest first, as the migration sorts them
    assert new_unique_id(ENTRY, "WB-1-status", chargers) == entity_unique_id(
        ENTRY, "WB-1", 0, "status"
    )
    assert new_unique_id(ENTRY, "WB-1-2-power", chargers) == entity_unique_id(
        ENTRY, "WB-1", 2, "power"
    )
    assert new_unique_id(ENTRY, "WB-3-power", chargers) == entity_unique_id(ENTRY, "WB", 3, "power")
    assert new_unique_id(ENTRY, f"{ENTRY}-site-budget", chargers) == site_unique_id(ENTRY, "budget")
    assert new_unique_id(ENTRY, "GONE-1-power", chargers) is None
    assert new_identifier(ENTRY, "WB-1", chargers) == charger_identifier(ENTRY, "WB-1")
    assert new_identifier(ENTRY, "WB-1-2", chargers) == connector_identifier(ENTRY, "WB-1", 2)
    assert new_identifier(ENTRY, "WB-3", chargers) == connector_identifier(ENTRY, "WB", 3)
    assert new_identifier(ENTRY, f"{ENTRY}-site", chargers) == site_identifier(ENTRY)
    assert new_identifier(ENTRY, "GONE", chargers) is None


@pytest.fixture
def old_entry(hass: HomeAssistant, ocpp_port: int) -> MockConfigEntry:
    """An entry of version 1.1 with the registry entries its chargers had then."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY,
        minor_version=1,
        title="OCPP",
        unique_id=str(ocpp_port),
        data={CONF_HOST: "127.0.0.1", CONF_PORT: ocpp_port, CONF_APPROVED_CHARGERS: ["WB-1"]},
        options={"unknown_chargers": "reject"},
    )
    entry.add_to_hass(hass)
    devices = dr.async_get(hass)
    charger = devices.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "WB-1")}, name="WB-1"
    )
    connector = devices.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "WB-1-1")}, name="WB-1 connector 1"
    )
    entities = er.async_get(hass)
    for unique_id, object_id, device in (
        ("WB-1-status", "garage_wallbox_status", charger),
        ("WB-1-1-energy", "garage_car_energy", connector),
    ):
        entities.async_get_or_create(
            "sensor",
            DOMAIN,
            unique_id,
            suggested_object_id=object_id,
            config_entry=entry,
            device_id=device.id,
        )
    return entry


async def test_migration_keeps_entity_ids(hass: HomeAssistant, old_entry: MockConfigEntry) -> None:
    """After the upgrade the charger's entities come back under the entity ids users had."""
    assert await hass.config_entries.async_setup(old_entry.entry_id)
    assert old_entry.minor_version == ENTRY_MINOR_VERSION
    entities = er.async_get(hass)
    assert entities.async_get_entity_id("sensor", DOMAIN, uid("WB-1", 0, "status")) == (
        "sensor.garage_wallbox_status"
    )
    assert entities.async_get_entity_id("sensor", DOMAIN, uid("WB-1", 1, "energy")) == (
        "sensor.garage_car_energy"
    )
    connector = find_device(hass, old_entry, "WB-1", 1)
    assert connector is not None
    assert connector.name == "WB-1 connector 1"

    charger, _ = await connect_charger(hass, old_entry, ChargerSpec("WB-1", meter_interval=0))
    try:
        await hass.async_block_till_done()
        assert hass.states.get("sensor.garage_car_energy") is not None
        assert hass.states.get("sensor.garage_wallbox_status") is not None
        # No second entity for the same value.
        energy = [
            entry.entity_id
            for entry in er.async_entries_for_config_entry(entities, old_entry.entry_id)
            if entry.unique_id.endswith("/energy")
        ]
        assert energy == ["sensor.garage_car_energy"]
    finally:
        await charger.close()
        assert await hass.config_entries.async_unload(old_entry.entry_id)
