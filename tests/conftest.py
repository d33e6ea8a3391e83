"""Fixtures shared by all tests and by the benchmarks: HA, a config entry on a free port.

The end-to-end tests' own fixtures (snapshots, the integration set up) are in
tests/ha/conftest.py; the packages that start no Home Assistant override
`auto_enable_custom_integrations`.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

# Import our package first, else HA finds phcc's own testing custom_components.
import custom_components.smart_charging  # noqa: F401
from custom_components.smart_charging.const import (
    CONF_ALLOWED_ID_TAGS,
    CONF_APPROVED_CHARGERS,
    CONF_HEARTBEAT_INTERVAL,
    CONF_HOST,
    CONF_ID_TAG_POLICY,
    CONF_METER_INTERVAL,
    CONF_PORT,
    CONF_UNKNOWN_CHARGERS,
    DOMAIN,
    ENTRY_MINOR_VERSION,
)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let HA load custom_components/smart_charging."""


@pytest.fixture(autouse=True)
def no_deprecated_home_assistant_use(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Fail a test in which HA reports our integration using an API it deprecated.

    HA only logs such uses by a custom integration (once per call site per run); on the newest
    HA this turns each of them into a failure.
    """
    yield
    reports = [
        record.getMessage()
        for when in ("setup", "call", "teardown")
        for record in caplog.get_records(when)  # type: ignore[arg-type]
        if record.name == "homeassistant.helpers.frame" and f"'{DOMAIN}'" in record.getMessage()
    ]
    assert not reports, reports


@pytest.fixture(autouse=True)
def auto_enable_sockets(socket_enabled: None) -> None:
    """Real websockets: pytest-socket still restricts every connection to 127.0.0.1."""


@pytest.fixture
def ocpp_port(auto_enable_sockets: None, unused_tcp_port: int) -> int:
    """A free port on 127.0.0.1 for the central system."""
    return unused_tcp_port


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Options of the test config entry; override in a module to change policies."""
    return {
        CONF_UNKNOWN_CHARGERS: "accept_all",
        CONF_ID_TAG_POLICY: "accept_all",
        CONF_ALLOWED_ID_TAGS: [],
        CONF_METER_INTERVAL: 10,
        CONF_HEARTBEAT_INTERVAL: 300,
    }


@pytest.fixture
def approved_chargers() -> list[str]:
    """Charge point ids approved before setup; override in a module."""
    return []


@pytest.fixture
def mock_config_entry(
    ocpp_port: int, entry_options: dict[str, Any], approved_chargers: list[str]
) -> MockConfigEntry:
    """A central system on 127.0.0.1 and a free port."""
    return MockConfigEntry(
        domain=DOMAIN,
        # Fixed, so unique ids built from it (the site's entities) snapshot stably.
        entry_id="01JTESTSMARTCHARGINGENTRY0",
        minor_version=ENTRY_MINOR_VERSION,
        title=f"OCPP central system :{ocpp_port}",
        unique_id=str(ocpp_port),
        data={
            CONF_HOST: "127.0.0.1",
            CONF_PORT: ocpp_port,
            CONF_APPROVED_CHARGERS: approved_chargers,
        },
        options=entry_options,
    )


@pytest.fixture
def entity_registry(hass: HomeAssistant) -> er.EntityRegistry:
    """The entity registry."""
    return er.async_get(hass)
