"""Fixtures of the end-to-end tests: snapshots per HA release, the integration set up.

The config entry on a free port (`mock_config_entry` and what it is built from) and the autouse
fixtures stay in tests/conftest.py: the benchmarks that run a real Home Assistant borrow them too.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from pathlib import Path
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation


class SnapshotPerHomeAssistant(HomeAssistantSnapshotExtension):
    """HA's snapshot format, one folder per HA release (tests/ha/snapshots/ha<major>.<minor>).

    Registry entries are serialised with other fields on other HA releases (2026.10 lists
    aliases, adds fields); each release we test against keeps its own complete snapshots.
    """

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """Return this HA release's folder for the snapshot files."""
        folder = Path(super().dirname(test_location=test_location))
        return str(folder / f"ha{MAJOR_VERSION}.{MINOR_VERSION}")


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in HA's format, per HA release."""
    return snapshot.use_extension(SnapshotPerHomeAssistant)


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create entities that are disabled by default as enabled (copied from HA core)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
    ):
        yield


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncGenerator[MockConfigEntry]:
    """Set the integration up; unload it at the end so the port is released."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    yield mock_config_entry
    if (
        hass.config_entries.async_get_entry(mock_config_entry.entry_id) is not None
        and mock_config_entry.state is ConfigEntryState.LOADED
    ):
        await hass.config_entries.async_unload(mock_config_entry.entry_id)
        await hass.async_block_till_done()
