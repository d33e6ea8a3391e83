"""The security page of the options flow: the minimum profile, passwords, TLS files and port."""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import UTC, datetime, timedelta
from pathlib import Path
import socket
from types import SimpleNamespace
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.smart_charging.central_system.security.profile import SecurityProfile
from custom_components.smart_charging.central_system.security.tls import TlsFiles
from custom_components.smart_charging.const import (
    CONF_HOST,
    CONF_INSTALL_PASSWORDS,
    CONF_METER_INTERVAL,
    CONF_MINIMUM_SECURITY_PROFILE,
    CONF_PORT,
    CONF_TLS_CERTIFICATE,
    CONF_TLS_CLIENT_CA,
    CONF_TLS_KEY,
    CONF_TLS_PORT,
    CONF_USE_HA_CERTIFICATE,
    DEFAULT_TLS_PORT,
)
from custom_components.smart_charging.security_options import (
    NO_CERTIFICATE,
    default_security_options,
    describe_certificate,
    security_settings,
)
from tests.ha.tls_files import Authority, Issued, issue, make_authority
from tests.helpers import hub_of

SERVER_NAME = "ocpp.example"


@pytest.fixture
def authority(tmp_path: Path) -> Authority:
    """A CA in the test's folder."""
    return make_authority(tmp_path)


@pytest.fixture
def server(authority: Authority, tmp_path: Path) -> Issued:
    """A valid server certificate for 127.0.0.1 and its key."""
    return issue(authority, tmp_path, SERVER_NAME)


@pytest.fixture
def tls_port(unused_tcp_port_factory: Callable[[], int]) -> int:
    """A free port for the wss:// listener."""
    return unused_tcp_port_factory()


@pytest.fixture
def ha_http(hass: HomeAssistant) -> Generator[SimpleNamespace]:
    """Home Assistant's http integration, as far as its certificate goes (none at first)."""
    before = hass.http
    http = SimpleNamespace(ssl_certificate=None, ssl_key=None)
    hass.http = http  # type: ignore[assignment]
    yield http
    hass.http = before


def _form(**changes: Any) -> dict[str, Any]:
    """What the form sends: the defaults (no HA certificate offered), changed."""
    options = default_security_options()
    options.pop(CONF_USE_HA_CERTIFICATE)
    return {**options, **changes}


async def _open(hass: HomeAssistant, entry_id: str) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry_id)
    assert result["type"] is FlowResultType.MENU
    assert "security" in result["menu_options"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "security"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "security"
    return dict(result)


async def _submit(hass: HomeAssistant, entry_id: str, form: dict[str, Any]) -> dict[str, Any]:
    flow = await _open(hass, entry_id)
    result = await hass.config_entries.options.async_configure(flow["flow_id"], form)
    await hass.async_block_till_done()
    return dict(result)


def _suggested(schema: vol.Schema) -> dict[str, Any]:
    """The values a form shows, by field."""
    return {str(key): (key.description or {}).get("suggested_value") for key in schema.schema}


async def test_form_defaults(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """No minimum, passwords installed, TLS on 9443 once a certificate is set.

    Home Assistant's own certificate is not offered while it has none.
    """
    flow = await _open(hass, init_integration.entry_id)
    assert _suggested(flow["data_schema"]) == {
        CONF_MINIMUM_SECURITY_PROFILE: "none",
        CONF_INSTALL_PASSWORDS: True,
        CONF_TLS_PORT: DEFAULT_TLS_PORT,
        CONF_TLS_CERTIFICATE: None,
        CONF_TLS_KEY: None,
        CONF_TLS_CLIENT_CA: None,
    }
    assert flow["description_placeholders"] == {
        "port": str(init_integration.data[CONF_PORT]),
        "certificate": NO_CERTIFICATE,
    }
    hass.config_entries.options.async_abort(flow["flow_id"])


async def test_tls_saved_and_the_server_restarts_with_it(
    hass: HomeAssistant, init_integration: MockConfigEntry, server: Issued, tls_port: int
) -> None:
    """A valid certificate: saved beside the other options, the server listens on wss:// too."""
    entry = init_integration
    old_hub = hub_of(entry)
    result = await _submit(
        hass,
        entry.entry_id,
        _form(
            **{
                CONF_MINIMUM_SECURITY_PROFILE: "tls_basic",
                CONF_TLS_PORT: tls_port,
                CONF_TLS_CERTIFICATE: f"  {server.certificate}  ",
                CONF_TLS_KEY: str(server.key),
                CONF_TLS_CLIENT_CA: "",
            }
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_METER_INTERVAL] == 10  # the other pages' options stay
    assert entry.options[CONF_TLS_CERTIFICATE] == str(server.certificate)  # stripped
    assert CONF_TLS_CLIENT_CA not in entry.options  # empty: left out
    assert entry.state is ConfigEntryState.LOADED
    hub = hub_of(entry)
    assert hub is not old_hub  # TLS is read at start: reloaded
    assert hub.central.tls_port == tls_port
    assert hub.central.security.minimum is SecurityProfile.TLS_BASIC
    assert hub.central.security.tls == TlsFiles(
        certificate=str(server.certificate), key=str(server.key)
    )

    # The form shows the certificate in use; the same TLS again is no restart.
    flow = await _open(hass, entry.entry_id)
    assert flow["description_placeholders"]["certificate"] == SERVER_NAME
    configured = await hass.config_entries.options.async_configure(
        flow["flow_id"],
        _form(
            **{
                CONF_MINIMUM_SECURITY_PROFILE: "basic",
                CONF_TLS_PORT: tls_port,  # held by our own server: not "in use"
                CONF_TLS_CERTIFICATE: str(server.certificate),
                CONF_TLS_KEY: str(server.key),
            }
        ),
    )
    await hass.async_block_till_done()
    assert configured["type"] is FlowResultType.CREATE_ENTRY
    assert hub_of(entry) is hub
    assert hub.central.security.minimum is SecurityProfile.BASIC


async def test_minimum_and_passwords_apply_live(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Without TLS changes nothing restarts: the running server takes the new settings."""
    entry = init_integration
    hub = hub_of(entry)
    result = await _submit(
        hass,
        entry.entry_id,
        _form(**{CONF_MINIMUM_SECURITY_PROFILE: "basic", CONF_INSTALL_PASSWORDS: False}),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert hub_of(entry) is hub
    assert hub.central.security.minimum is SecurityProfile.BASIC
    assert hub.central.settings.install_passwords is False
    assert hub.central.tls_port is None


def _expired(authority: Authority, tmp_path: Path) -> Issued:
    now = datetime.now(UTC)
    return issue(
        authority,
        tmp_path,
        "expired",
        not_before=now - timedelta(days=30),
        not_after=now - timedelta(days=1),
    )


def _not_yet_valid(authority: Authority, tmp_path: Path) -> Issued:
    now = datetime.now(UTC)
    return issue(authority, tmp_path, "future", not_before=now + timedelta(days=1))


@pytest.mark.parametrize(
    ("case", "field", "error"),
    [
        ("certificate_missing", CONF_TLS_CERTIFICATE, "certificate_unreadable"),
        ("certificate_not_pem", CONF_TLS_CERTIFICATE, "certificate_unreadable"),
        ("key_missing", CONF_TLS_KEY, "key_unreadable"),
        ("key_of_another", CONF_TLS_KEY, "key_mismatch"),
        ("expired", CONF_TLS_CERTIFICATE, "certificate_expired"),
        ("not_yet_valid", CONF_TLS_CERTIFICATE, "certificate_not_yet_valid"),
        ("ca_not_pem", CONF_TLS_CLIENT_CA, "ca_unreadable"),
        ("profile_2_without_certificate", CONF_TLS_CERTIFICATE, "certificate_required"),
        ("key_without_certificate", CONF_TLS_CERTIFICATE, "certificate_required"),
        ("certificate_without_key", CONF_TLS_KEY, "key_required"),
        ("profile_3_without_ca", CONF_TLS_CLIENT_CA, "client_ca_required"),
        ("same_port", CONF_TLS_PORT, "tls_port_same"),
        ("fraction_port", CONF_TLS_PORT, "invalid_port"),
        ("port_in_use", CONF_TLS_PORT, "port_in_use"),
    ],
)
async def test_errors_and_recovery(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    authority: Authority,
    server: Issued,
    tls_port: int,
    tmp_path: Path,
    unused_tcp_port_factory: Callable[[], int],
    case: str,
    field: str,
    error: str,
) -> None:
    """Each problem is named on its field; correcting it saves the options."""
    entry = init_integration
    good = _form(
        **{
            CONF_MINIMUM_SECURITY_PROFILE: "tls_basic",
            CONF_TLS_PORT: tls_port,
            CONF_TLS_CERTIFICATE: str(server.certificate),
            CONF_TLS_KEY: str(server.key),
        }
    )
    busy = unused_tcp_port_factory()
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello")
    other = issue(authority, tmp_path, "other")
    bad: dict[str, Any] = {
        "certificate_missing": {CONF_TLS_CERTIFICATE: str(tmp_path / "missing.pem")},
        "certificate_not_pem": {CONF_TLS_CERTIFICATE: str(not_pem)},
        "key_missing": {CONF_TLS_KEY: str(tmp_path / "missing.key")},
        "key_of_another": {CONF_TLS_KEY: str(other.key)},
        "expired": {
            CONF_TLS_CERTIFICATE: str((expired := _expired(authority, tmp_path)).certificate),
            CONF_TLS_KEY: str(expired.key),
        },
        "not_yet_valid": {
            CONF_TLS_CERTIFICATE: str((future := _not_yet_valid(authority, tmp_path)).certificate),
            CONF_TLS_KEY: str(future.key),
        },
        "ca_not_pem": {CONF_TLS_CLIENT_CA: str(not_pem)},
        "profile_2_without_certificate": {CONF_TLS_CERTIFICATE: "", CONF_TLS_KEY: ""},
        "key_without_certificate": {
            CONF_MINIMUM_SECURITY_PROFILE: "basic",
            CONF_TLS_CERTIFICATE: "",
        },
        "certificate_without_key": {CONF_TLS_KEY: " "},
        "profile_3_without_ca": {CONF_MINIMUM_SECURITY_PROFILE: "tls_client_certificate"},
        "same_port": {CONF_TLS_PORT: entry.data[CONF_PORT]},
        "fraction_port": {CONF_TLS_PORT: 9443.5},
        "port_in_use": {CONF_TLS_PORT: busy},
    }[case]
    flow = await _open(hass, entry.entry_id)
    blocker = socket.create_server(("127.0.0.1", busy)) if case == "port_in_use" else None
    try:
        result = await hass.config_entries.options.async_configure(flow["flow_id"], {**good, **bad})
    finally:
        if blocker is not None:
            blocker.close()
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert not entry.options.get(CONF_TLS_CERTIFICATE)

    result = await hass.config_entries.options.async_configure(flow["flow_id"], good)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert hub_of(entry).central.tls_port == tls_port


async def test_profile_3_with_a_client_ca(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    authority: Authority,
    server: Issued,
    tls_port: int,
) -> None:
    """Profile 3: the CA of the chargers' certificates goes to the server's TLS files."""
    entry = init_integration
    result = await _submit(
        hass,
        entry.entry_id,
        _form(
            **{
                CONF_MINIMUM_SECURITY_PROFILE: "tls_client_certificate",
                CONF_TLS_PORT: tls_port,
                CONF_TLS_CERTIFICATE: str(server.certificate),
                CONF_TLS_KEY: str(server.key),
                CONF_TLS_CLIENT_CA: str(authority.path),
            }
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    security = hub_of(entry).central.security
    assert security.minimum is SecurityProfile.TLS_CLIENT_CERTIFICATE
    assert security.tls is not None
    assert security.tls.client_ca == str(authority.path)


async def test_home_assistant_certificate(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    server: Issued,
    tls_port: int,
    ha_http: SimpleNamespace,
) -> None:
    """HA's own certificate is offered where HA has one, and its files are used."""
    entry = init_integration
    ha_http.ssl_certificate, ha_http.ssl_key = str(server.certificate), str(server.key)
    flow = await _open(hass, entry.entry_id)
    assert _suggested(flow["data_schema"])[CONF_USE_HA_CERTIFICATE] is False
    result = await hass.config_entries.options.async_configure(
        flow["flow_id"],
        _form(
            **{
                CONF_MINIMUM_SECURITY_PROFILE: "tls_basic",
                CONF_TLS_PORT: tls_port,
                CONF_USE_HA_CERTIFICATE: True,
            }
        ),
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_USE_HA_CERTIFICATE] is True
    assert entry.options[CONF_TLS_CERTIFICATE] == str(server.certificate)
    assert entry.options[CONF_TLS_KEY] == str(server.key)
    assert hub_of(entry).central.tls_port == tls_port


async def test_home_assistant_certificate_gone(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    server: Issued,
    tls_port: int,
    ha_http: SimpleNamespace,
) -> None:
    """HA's certificate removed while the form is open: the choice is refused."""
    ha_http.ssl_certificate, ha_http.ssl_key = str(server.certificate), str(server.key)
    flow = await _open(hass, init_integration.entry_id)
    ha_http.ssl_certificate = None
    result = await hass.config_entries.options.async_configure(
        flow["flow_id"],
        _form(**{CONF_TLS_PORT: tls_port, CONF_USE_HA_CERTIFICATE: True}),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_USE_HA_CERTIFICATE: "no_ha_certificate"}


async def test_unreadable_files_at_start_retry_setup(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    server: Issued,
    tls_port: int,
) -> None:
    """A certificate deleted after it was chosen: the entry is not ready and says why."""
    entry = MockConfigEntry(
        domain=mock_config_entry.domain,
        data=dict(mock_config_entry.data),
        options={
            **mock_config_entry.options,
            CONF_TLS_PORT: tls_port,
            CONF_TLS_CERTIFICATE: str(server.certificate),
            CONF_TLS_KEY: str(server.key) + ".gone",
        },
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert f"{tls_port} (TLS)" in str(entry.reason)


def test_security_settings_from_options(server: Issued) -> None:
    """No certificate: no TLS and no TLS port, whatever the port option says."""
    assert security_settings({}).tls is None
    assert security_settings({CONF_TLS_PORT: 1234}).tls_port is None
    settings = security_settings(
        {
            CONF_MINIMUM_SECURITY_PROFILE: "tls_basic",
            CONF_TLS_CERTIFICATE: str(server.certificate),
            CONF_TLS_KEY: str(server.key),
        }
    )
    assert settings.minimum is SecurityProfile.TLS_BASIC
    assert settings.tls_port == DEFAULT_TLS_PORT
    assert security_settings({CONF_MINIMUM_SECURITY_PROFILE: "bogus"}).minimum is (
        SecurityProfile.NONE
    )


def test_describe_certificate(server: Issued, tmp_path: Path) -> None:
    """The common name, or a dash when there is no readable certificate."""
    assert describe_certificate({CONF_TLS_CERTIFICATE: str(server.certificate)}) == SERVER_NAME
    assert describe_certificate({}) == NO_CERTIFICATE
    junk = tmp_path / "junk.pem"
    junk.write_text("junk")
    assert describe_certificate({CONF_TLS_CERTIFICATE: str(junk)}) == NO_CERTIFICATE


async def test_reconfigure_refuses_the_tls_port(
    hass: HomeAssistant, init_integration: MockConfigEntry, server: Issued, tls_port: int
) -> None:
    """The OCPP port cannot move onto the TLS port."""
    entry = init_integration
    result = await _submit(
        hass,
        entry.entry_id,
        _form(
            **{
                CONF_TLS_PORT: tls_port,
                CONF_TLS_CERTIFICATE: str(server.certificate),
                CONF_TLS_KEY: str(server.key),
            }
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    flow = await entry.start_reconfigure_flow(hass)
    configured = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: tls_port}
    )
    assert configured["type"] is FlowResultType.FORM
    assert configured["errors"] == {CONF_PORT: "tls_port_same"}
