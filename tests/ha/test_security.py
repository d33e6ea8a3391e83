"""Security profiles end to end: simulated chargers get passwords, connect with them, over TLS.

The password installed over OCPP, a refused one shown in a repair, failed logins, the
security profile sensor, the rotate_password action, and profiles 2 and 3 on wss://.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from dataclasses import replace
import logging
from pathlib import Path
from typing import Any

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.central_system.model import ChargerState
from custom_components.smart_charging.central_system.security.credentials import (
    ChargerCredentials,
    PasswordState,
)
from custom_components.smart_charging.const import (
    CONF_MINIMUM_SECURITY_PROFILE,
    CONF_TLS_CERTIFICATE,
    CONF_TLS_CLIENT_CA,
    CONF_TLS_KEY,
    CONF_TLS_PORT,
    DOMAIN,
)
from custom_components.smart_charging.sensor import CHARGER_SENSORS
from custom_components.smart_charging.service_schemas import SERVICE_ROTATE_PASSWORD
from simulator.charger import SimulatedCharger
from simulator.spec import NO_SECURITY_KEYS, ChargerSpec
from tests.ha.tls_files import Authority, issue, make_authority
from tests.helpers import TEST_ENTRY_ID, charger_url, find_device, hub_of, uid, wait_for

SPEC = ChargerSpec("CP-SEC", meter_interval=0, reconnect=False)
WRONG = "not-the-password-0123456789"


def _credentials(entry: MockConfigEntry, charger_id: str) -> ChargerCredentials:
    credentials = hub_of(entry).central.credentials.get(charger_id)
    assert credentials is not None
    return credentials


def _profile_sensor(hass: HomeAssistant, charger_id: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, uid(charger_id, 0, "security_profile")
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


def _password_issue(hass: HomeAssistant, charger_id: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"password_needed_{TEST_ENTRY_ID}_{charger_id}"
    )


def _failed_issue(hass: HomeAssistant, charger_id: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"authentication_failed_{TEST_ENTRY_ID}_{charger_id}"
    )


async def _connect(
    hass: HomeAssistant, entry: MockConfigEntry, spec: ChargerSpec, url: str | None = None
) -> SimulatedCharger:
    """Connect and wait until the charger's setup (its password included) is done."""
    charger = SimulatedCharger(spec, url or charger_url(entry))
    await charger.connect()
    hub = hub_of(entry)

    def set_up() -> bool:
        coordinator = hub.coordinators.get(spec.charge_point_id)
        return coordinator is not None and coordinator.data.configured

    await wait_for(hass, set_up)
    return charger


async def _refused(spec: ChargerSpec, url: str) -> int:
    """Try to connect; return the HTTP status the server refused the WebSocket with."""
    charger = SimulatedCharger(spec, url)
    try:
        with pytest.raises(aiohttp.WSServerHandshakeError) as error:
            await charger.connect()
    finally:
        await charger.close()
    return error.value.status


async def _set_options(hass: HomeAssistant, entry: MockConfigEntry, **changes: Any) -> None:
    hass.config_entries.async_update_entry(entry, options={**entry.options, **changes})
    await hass.async_block_till_done()


async def test_password_installed_then_required(
    hass: HomeAssistant, init_integration: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """A new charger gets its password over OCPP and must send it from then on.

    A wrong one is refused (and told after five in a row); no password reaches the log.
    """
    caplog.set_level(logging.DEBUG)
    entry = init_integration
    charger = await _connect(hass, entry, SPEC)
    credentials = _credentials(entry, SPEC.charge_point_id)
    password = credentials.password
    assert charger.config.authorization_key == password
    # It took SecurityProfile 1 too: it sends the password from its next connection.
    assert charger.config.value("SecurityProfile") == "1"
    assert credentials.state is PasswordState.INSTALLED
    assert _profile_sensor(hass, SPEC.charge_point_id) == "none"
    await charger.close()

    url = charger_url(entry)
    assert await _refused(SPEC, url) == 401  # no password any more
    for _ in range(4):
        assert await _refused(replace(SPEC, password=WRONG), url) == 401
    # Five failures in a row: the owner is told.
    issue = _failed_issue(hass, SPEC.charge_point_id)
    assert issue is not None
    assert issue.translation_placeholders == {"charger_id": SPEC.charge_point_id, "count": "5"}
    # One log line per id and minute.
    refusals = [r for r in caplog.records if "refused from" in r.getMessage()]
    assert len(refusals) == 1

    charger = await _connect(hass, entry, replace(SPEC, password=password))
    try:
        assert credentials.state is PasswordState.ACTIVE
        assert _profile_sensor(hass, SPEC.charge_point_id) == "basic"
        assert _failed_issue(hass, SPEC.charge_point_id) is None
    finally:
        await charger.close()

    ours = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(("custom_components.smart_charging", "ocpp"))
    ]
    # The frame that carried it was logged, redacted.
    assert [message for message in ours if "**REDACTED**" in message]
    assert not [message for message in ours if password in message]


async def test_refused_password_is_shown_to_enter(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A charger without the security keys: the owner enters its password, once it matters."""
    entry = init_integration
    spec = ChargerSpec(
        "CP-OLD", meter_interval=0, reconnect=False, quirks=frozenset({NO_SECURITY_KEYS})
    )
    charger = await _connect(hass, entry, spec)
    credentials = _credentials(entry, "CP-OLD")
    assert credentials.state is PasswordState.MANUAL
    assert charger.config.authorization_key is None
    # It may connect without a password: no notice yet.
    assert _password_issue(hass, "CP-OLD") is None

    await _set_options(hass, entry, **{CONF_MINIMUM_SECURITY_PROFILE: "basic"})
    issue = _password_issue(hass, "CP-OLD")
    assert issue is not None
    assert issue.translation_placeholders is not None
    shown = issue.translation_placeholders["password"]
    assert shown == credentials.password
    assert issue.translation_placeholders["user"] == "CP-OLD"
    await charger.close()

    # Entered on the charger: it connects with it, and the notice goes.
    assert await _refused(spec, charger_url(entry)) == 401
    charger = await _connect(hass, entry, replace(spec, password=shown))
    try:
        assert credentials.state is PasswordState.ACTIVE
        assert _password_issue(hass, "CP-OLD") is None
        assert _profile_sensor(hass, "CP-OLD") == "basic"
    finally:
        await charger.close()


async def test_rotate_password_action(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The action sends a connected charger a new password; the old stays valid meanwhile."""
    entry = init_integration
    charger = await _connect(hass, entry, SPEC)
    try:
        credentials = _credentials(entry, SPEC.charge_point_id)
        old = credentials.password
        device = find_device(hass, entry, SPEC.charge_point_id)
        assert device is not None
        await hass.services.async_call(
            DOMAIN, SERVICE_ROTATE_PASSWORD, {"device_id": device.id}, blocking=True
        )
        credentials = _credentials(entry, SPEC.charge_point_id)
        assert credentials.password != old
        assert credentials.previous == old
        await wait_for(hass, lambda: charger.config.authorization_key == credentials.password)
        await wait_for(hass, lambda: credentials.state is PasswordState.INSTALLED)

        connector = find_device(hass, entry, SPEC.charge_point_id, 1)
        assert connector is not None
        with pytest.raises(ServiceValidationError) as error:
            await hass.services.async_call(
                DOMAIN, SERVICE_ROTATE_PASSWORD, {"device_id": connector.id}, blocking=True
            )
        assert error.value.translation_key == "not_a_charger"
        assert error.value.translation_placeholders == {"device_id": connector.id}
        with pytest.raises(ServiceValidationError) as error:
            await hass.services.async_call(
                DOMAIN, SERVICE_ROTATE_PASSWORD, {"device_id": "no-such-device"}, blocking=True
            )
        assert error.value.translation_key == "device_not_found"

        # Forgotten by the central system meanwhile (its device not removed yet).
        hub_of(entry).central.policy.approved.discard(SPEC.charge_point_id)
        with pytest.raises(ServiceValidationError) as error:
            await hass.services.async_call(
                DOMAIN, SERVICE_ROTATE_PASSWORD, {"device_id": device.id}, blocking=True
            )
        assert error.value.translation_key == "device_not_found"
    finally:
        await charger.close()


@pytest.fixture
async def tls_entry(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    tmp_path: Path,
    unused_tcp_port_factory: Callable[[], int],
) -> AsyncGenerator[tuple[MockConfigEntry, Authority]]:
    """A central system with wss:// (a CA's server certificate, the same CA for chargers)."""
    authority = make_authority(tmp_path)
    server = issue(authority, tmp_path, "ocpp.test")
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id=mock_config_entry.entry_id,
        data=dict(mock_config_entry.data),
        options={
            **mock_config_entry.options,
            CONF_TLS_PORT: unused_tcp_port_factory(),
            CONF_TLS_CERTIFICATE: str(server.certificate),
            CONF_TLS_KEY: str(server.key),
            CONF_TLS_CLIENT_CA: str(authority.path),
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield entry, authority
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_profiles_2_and_3_over_tls(
    hass: HomeAssistant, tls_entry: tuple[MockConfigEntry, Authority], tmp_path: Path
) -> None:
    """wss:// with the password is profile 2, with the charger's certificate profile 3.

    A 1.6 charger's SecurityProfile is raised to what its TLS connection reached; a
    minimum of 3 then refuses a charger that only has its password.
    """
    entry, authority = tls_entry
    url = f"wss://127.0.0.1:{entry.options[CONF_TLS_PORT]}"
    assert hub_of(entry).central.tls_port == entry.options[CONF_TLS_PORT]
    ca = str(authority.path)

    # Profile 2: TLS, then the password it was given on its first connection.
    spec2 = ChargerSpec("CP-TLS2", meter_interval=0, reconnect=False, tls_ca=ca)
    charger = await _connect(hass, entry, spec2, url)
    password = _credentials(entry, "CP-TLS2").password
    await charger.close()
    spec2 = replace(spec2, password=password)
    charger = await _connect(hass, entry, spec2, url)
    try:
        assert _profile_sensor(hass, "CP-TLS2") == "tls_basic"
        await wait_for(hass, lambda: charger.config.value("SecurityProfile") == "2")
    finally:
        await charger.close()

    # Profile 3: a certificate of the chargers' CA that names the charge point id.
    own = issue(authority, tmp_path, "CP-TLS3", server=False)
    spec3 = ChargerSpec(
        "CP-TLS3",
        meter_interval=0,
        reconnect=False,
        tls_ca=ca,
        client_certificate=str(own.certificate),
        client_key=str(own.key),
    )
    charger = await _connect(hass, entry, spec3, url)
    try:
        assert _profile_sensor(hass, "CP-TLS3") == "tls_client_certificate"
        await wait_for(hass, lambda: charger.config.value("SecurityProfile") == "3")
        assert charger.config.authorization_key == _credentials(entry, "CP-TLS3").password
    finally:
        await charger.close()

    await _set_options(hass, entry, **{CONF_MINIMUM_SECURITY_PROFILE: "tls_client_certificate"})
    assert await _refused(spec2, url) == 401
    # Another charger's certificate is no way in either.
    assert await _refused(replace(spec3, charge_point_id="CP-TLS2"), url) == 401


@pytest.mark.parametrize(
    ("profile", "state"),
    [
        (None, None),
        (0, "none"),
        (1, "basic"),
        (2, "tls_basic"),
        (3, "tls_client_certificate"),
    ],
)
def test_security_profile_sensor_value(profile: int | None, state: str | None) -> None:
    """Each profile has its state; a charger never connected has none (unknown)."""
    (description,) = [d for d in CHARGER_SENSORS if d.key == "security_profile"]
    assert description.options is not None
    assert state is None or state in description.options
    assert description.value_fn(ChargerState("CP-X", security_profile=profile)) == state
