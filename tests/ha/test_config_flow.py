"""Tests of the config flow: setup, reconfigure, charger discovery and the options flow."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Generator
import contextlib
import errno
import ipaddress
import json
import socket
from typing import Any
from unittest.mock import AsyncMock, patch

import aiohttp
from homeassistant.config_entries import (
    SOURCE_IGNORE,
    SOURCE_INTEGRATION_DISCOVERY,
    SOURCE_USER,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.balancing import Mode
from custom_components.smart_charging.central_system.model import BootInfo
from custom_components.smart_charging.central_system.policy import (
    Admission,
    IdTagPolicy,
    UnknownChargerPolicy,
)
from custom_components.smart_charging.config_flow import OPTIONS_SCHEMA, check_bind
from custom_components.smart_charging.const import (
    CONF_ALLOWED_ID_TAGS,
    CONF_APPROVED_CHARGERS,
    CONF_HEARTBEAT_INTERVAL,
    CONF_HOST,
    CONF_ID_TAG_POLICY,
    CONF_METER_INTERVAL,
    CONF_PORT,
    CONF_PRICE_ENTITY,
    CONF_UNKNOWN_CHARGERS,
    DOMAIN,
    MeterSource,
)
from custom_components.smart_charging.coordinator import SmartChargingHub, discovery_unique_id
from custom_components.smart_charging.site_options import SITE_SCHEMA

# Every test binds on 127.0.0.1 (pytest-socket allows no other host): the free port of the
# test entry, the flow's own bind check, the central system of a loaded entry.
pytestmark = pytest.mark.usefixtures("socket_enabled")

HOST = "127.0.0.1"
CHARGER = "CP-1"


@pytest.fixture(autouse=True)
def no_platforms() -> Generator[None]:
    """The flow is under test here, not the entities: set entries up without platforms."""
    with patch("custom_components.smart_charging.PLATFORMS", []):
        yield


@pytest.fixture(autouse=True)
def resolver_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names that are no address fail to resolve, as on a machine whose resolver knows none.

    Newer pytest-homeassistant-custom-component raises RuntimeError on any name lookup.
    """
    resolve = socket.getaddrinfo

    def getaddrinfo(host: str | None, *args: Any, **kwargs: Any) -> Any:
        try:
            ipaddress.ip_address(host or "")
        except ValueError as error:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from error
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Skip starting the central system of an entry the user flow creates."""
    with patch(
        "custom_components.smart_charging.async_setup_entry", return_value=True
    ) as mock_setup:
        yield mock_setup


@pytest.fixture
def entry_options(entry_options: dict[str, Any]) -> dict[str, Any]:
    """Pending chargers wait for approval (the policy discovery is for)."""
    return {**entry_options, CONF_UNKNOWN_CHARGERS: "ask"}


@contextlib.contextmanager
def occupied(port: int) -> Generator[socket.socket]:
    """Listen on 127.0.0.1:port with another socket, as another program would."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, port))
        sock.listen()
        yield sock


def hub_of(entry: MockConfigEntry) -> SmartChargingHub:
    """Return the hub of a loaded entry."""
    hub: SmartChargingHub = entry.runtime_data
    return hub


def discovery_data(entry_id: str, charger_id: str = CHARGER) -> dict[str, Any]:
    """What a hub passes when a charger asks to be admitted."""
    return {
        "entry_id": entry_id,
        "charger_id": charger_id,
        "vendor": "Acme",
        "model": "Wallbox 22",
        "serial_number": "SN-0042",
    }


async def start_discovery(hass: HomeAssistant, entry_id: str) -> ConfigFlowResult:
    """Start the discovery flow of CHARGER on the entry `entry_id`."""
    return await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data=discovery_data(entry_id),
    )


# --- user step -------------------------------------------------------------------------


async def test_user_flow_creates_entry(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, ocpp_port: int
) -> None:
    """The form has the defaults; submitting creates one central system with default options."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    assert result["data_schema"] is not None
    assert result["data_schema"]({}) == {CONF_HOST: "0.0.0.0", CONF_PORT: 9000}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: float(ocpp_port)}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"OCPP central system :{ocpp_port}"
    assert result["data"] == {
        CONF_HOST: HOST,
        CONF_PORT: ocpp_port,
        CONF_APPROVED_CHARGERS: [],
    }
    assert type(result["data"][CONF_PORT]) is int
    assert result["options"] == {
        CONF_UNKNOWN_CHARGERS: UnknownChargerPolicy.ASK,
        CONF_ID_TAG_POLICY: IdTagPolicy.ACCEPT_ALL,
        CONF_ALLOWED_ID_TAGS: [],
        CONF_METER_INTERVAL: 10,
        CONF_HEARTBEAT_INTERVAL: 300,
    }
    assert result["result"].unique_id == str(ocpp_port)
    assert len(mock_setup_entry.mock_calls) == 1


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        ({CONF_HOST: HOST, CONF_PORT: 9000.5}, {CONF_PORT: "invalid_port"}),
        ({CONF_HOST: "   ", CONF_PORT: 9000}, {CONF_HOST: "invalid_host"}),
        ({CONF_HOST: "no..such..host", CONF_PORT: 9000}, {CONF_HOST: "invalid_host"}),
    ],
    ids=["fractional_port", "blank_host", "malformed_host"],
)
async def test_user_flow_errors_and_recovery(
    hass: HomeAssistant,
    mock_setup_entry: AsyncMock,
    ocpp_port: int,
    user_input: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """A bad host or port shows a translated error; correcting it creates the entry."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == errors
    assert not mock_setup_entry.mock_calls

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: ocpp_port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PORT] == ocpp_port


@pytest.mark.parametrize("port", [0, 65536, -1])
async def test_user_flow_port_out_of_range(hass: HomeAssistant, port: int) -> None:
    """The port selector itself refuses ports outside 1..65535."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    with pytest.raises(InvalidData):
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: HOST, CONF_PORT: port}
        )


async def test_user_flow_port_in_use(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, ocpp_port: int
) -> None:
    """A port another program listens on is refused until it is free again."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    with occupied(ocpp_port):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: HOST, CONF_PORT: ocpp_port}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_PORT: "port_in_use"}
    # The form keeps what the user typed.
    assert result["data_schema"] is not None
    assert result["data_schema"]({}) == {CONF_HOST: HOST, CONF_PORT: ocpp_port}

    # The other program is gone (the check closed its own socket: the port is free).
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: ocpp_port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(mock_setup_entry.mock_calls) == 1


async def test_user_flow_address_not_local(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, ocpp_port: int
) -> None:
    """An address the machine does not have (bind fails with EADDRNOTAVAIL) is invalid_host."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    with patch.object(
        socket.socket,
        "bind",
        side_effect=OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: HOST, CONF_PORT: ocpp_port}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOST: "invalid_host"}


async def test_user_flow_port_already_configured(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, mock_config_entry: MockConfigEntry
) -> None:
    """One central system per port."""
    mock_config_entry.add_to_hass(hass)
    port = mock_config_entry.data[CONF_PORT]

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "0.0.0.0", CONF_PORT: port}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    assert not mock_setup_entry.mock_calls


# --- reconfigure -----------------------------------------------------------------------


async def test_reconfigure_moves_server(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    unused_tcp_port_factory: Callable[[], int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A new port: entry data, unique id and title updated, server restarted on it.

    The entry's update listener schedules the reload: HA 2026.6+ warns about (and 2026.12
    drops) a flow that reloads an entry which has an update listener.
    """
    entry = init_integration
    old_port = entry.data[CONF_PORT]
    old_hub = hub_of(entry)
    new_port = unused_tcp_port_factory()

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["data_schema"] is not None
    assert result["data_schema"]({}) == {CONF_HOST: HOST, CONF_PORT: old_port}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: new_port}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_HOST: HOST, CONF_PORT: new_port, CONF_APPROVED_CHARGERS: []}
    assert entry.unique_id == str(new_port)
    assert entry.title == f"OCPP central system :{new_port}"
    # Reloaded: a new hub listens on the new port; the old port is free.
    assert entry.state is ConfigEntryState.LOADED
    assert hub_of(entry) is not old_hub
    assert hub_of(entry).central.port == new_port
    assert check_bind(HOST, new_port) == {CONF_PORT: "port_in_use"}
    assert check_bind(HOST, old_port) == {}
    assert "update listener" not in caplog.text


async def test_reconfigure_keeps_renamed_title(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    unused_tcp_port_factory: Callable[[], int],
) -> None:
    """A title the user chose is not replaced by the default one."""
    entry = init_integration
    hass.config_entries.async_update_entry(entry, title="Garage")
    new_port = unused_tcp_port_factory()

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: new_port}
    )
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert entry.title == "Garage"
    assert entry.data[CONF_PORT] == new_port


async def test_reconfigure_same_port(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The entry's own server holds its port: keeping it is no error, and nothing reloads."""
    entry = init_integration
    port = entry.data[CONF_PORT]
    assert check_bind(HOST, port) == {CONF_PORT: "port_in_use"}
    old_hub = hub_of(entry)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: port}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_PORT] == port
    assert entry.unique_id == str(port)
    assert entry.state is ConfigEntryState.LOADED
    assert hub_of(entry) is old_hub


async def test_reconfigure_errors_and_recovery(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    unused_tcp_port_factory: Callable[[], int],
) -> None:
    """Each error keeps the entry as it is; a valid answer then succeeds."""
    entry = init_integration
    port = entry.data[CONF_PORT]
    busy_port = unused_tcp_port_factory()

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: 1.5}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_PORT: "invalid_port"}

    with occupied(busy_port):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: HOST, CONF_PORT: busy_port}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {CONF_PORT: "port_in_use"}

        # Same port, new host: the host alone is checked (and fails).
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "bad..host", CONF_PORT: port}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {CONF_HOST: "invalid_host"}

    assert entry.data[CONF_PORT] == port
    assert entry.unique_id == str(port)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: busy_port}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_PORT] == busy_port
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_to_port_of_other_entry(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    unused_tcp_port_factory: Callable[[], int],
) -> None:
    """Moving onto the port of another central system aborts; nothing changes."""
    entry = init_integration
    port = entry.data[CONF_PORT]
    other_port = unused_tcp_port_factory()
    MockConfigEntry(
        domain=DOMAIN,
        unique_id=str(other_port),
        data={CONF_HOST: HOST, CONF_PORT: other_port, CONF_APPROVED_CHARGERS: []},
    ).add_to_hass(hass)
    hub = hub_of(entry)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: other_port}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_PORT] == port
    assert entry.unique_id == str(port)
    assert hub_of(entry) is hub


# --- charger discovery -----------------------------------------------------------------


async def test_hub_starts_discovery(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """A charger asking for admission shows up as a discovered flow, once."""
    hub = hub_of(init_integration)
    session = hub.central.session(CHARGER)
    session.state.boot = BootInfo(vendor="Acme", model="Wallbox 22", serial_number="SN-0042")

    hub.admission_requested(session)
    hub.admission_requested(session)  # A second boot: no second flow.
    await hass.async_block_till_done()

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    flow = flows[0]
    assert flow["step_id"] == "confirm_charger"
    assert flow["context"]["source"] == SOURCE_INTEGRATION_DISCOVERY
    assert flow["context"]["unique_id"] == discovery_unique_id(init_integration.entry_id, CHARGER)
    assert flow["context"]["title_placeholders"] == {"name": CHARGER}
    assert flow["context"].get("confirm_only") is True  # No fields: the UI shows one button.
    assert flow in hass.config_entries.flow.async_progress()


async def test_discovery_confirm_approves_without_reload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Confirming approves the charger on its hub: no new entry, no reload."""
    entry = init_integration
    hub = hub_of(entry)

    result = await start_discovery(hass, entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm_charger"
    assert result["description_placeholders"] == {
        "charger_id": CHARGER,
        "vendor": "Acme",
        "model": "Wallbox 22",
        "serial_number": "SN-0042",
    }

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "charger_approved"
    assert result["description_placeholders"] == {"charger_id": CHARGER}
    assert entry.data[CONF_APPROVED_CHARGERS] == [CHARGER]
    assert CHARGER in hub.central.policy.approved
    assert CHARGER in hub.coordinators
    assert entry.state is ConfigEntryState.LOADED
    assert hub_of(entry) is hub
    assert hass.config_entries.async_entries(DOMAIN) == [entry]
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_discovery_without_boot_details(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A charger that did not tell its vendor/model still gets a readable form."""
    hub = hub_of(init_integration)
    hub.admission_requested(hub.central.session(CHARGER))
    await hass.async_block_till_done()

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["description_placeholders"] == {
        "charger_id": CHARGER,
        "vendor": "-",
        "model": "-",
        "serial_number": "-",
    }


@pytest.mark.parametrize("approved_chargers", [[CHARGER]])
async def test_discovery_already_approved(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An approved charger is not offered again."""
    result = await start_discovery(hass, init_integration.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_approved"


async def test_confirm_after_approval_elsewhere(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A charger approved while its form was open (e.g. by accept-all) is not approved twice."""
    hub = hub_of(init_integration)
    result = await start_discovery(hass, init_integration.entry_id)
    await hub.async_approve(CHARGER)

    with patch.object(SmartChargingHub, "async_approve") as approve:
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_approved"
    assert not approve.mock_calls


async def test_discovery_already_in_progress(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """One flow per pending charger."""
    result = await start_discovery(hass, init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await start_discovery(hass, init_integration.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_in_progress"


async def test_discovery_ignore(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Ignoring stores an ignored entry and the hub rejects the charger at once."""
    entry = init_integration
    hub = hub_of(entry)
    result = await start_discovery(hass, entry.entry_id)
    unique_id = discovery_unique_id(entry.entry_id, CHARGER)

    # What the frontend's "Ignore" does (config_entries/ignore_flow).
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_IGNORE},
        data={"unique_id": unique_id, "title": CHARGER},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    ignored = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, unique_id)
    assert ignored is not None
    assert ignored.source == SOURCE_IGNORE
    assert CHARGER in hub.central.policy.ignored
    assert hub.central.policy.admission(CHARGER) is Admission.REJECTED
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    # The hub was not reloaded for it.
    assert hub_of(entry) is hub
    assert entry.state is ConfigEntryState.LOADED

    # The charger asking again is not offered again.
    result = await start_discovery(hass, entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_ignore_without_loaded_hub(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Ignoring works while the hub is down; the hub rejects the charger once it starts."""
    entry = init_integration
    assert await hass.config_entries.async_unload(entry.entry_id)
    for unique_id in ("not-a-charger", discovery_unique_id(entry.entry_id, CHARGER)):
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_IGNORE},
            data={"unique_id": unique_id, "title": CHARGER},
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.state is ConfigEntryState.NOT_LOADED

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert hub_of(entry).central.policy.ignored == {CHARGER}


async def test_discovery_hub_not_loaded(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A charger of a central system that is not running (or gone) is not offered."""
    mock_config_entry.add_to_hass(hass)

    result = await start_discovery(hass, mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "hub_not_loaded"

    result = await start_discovery(hass, "no_such_entry")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "hub_not_loaded"


async def test_confirm_after_hub_unloaded(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The hub stopped while the form was open: nothing is approved."""
    entry = init_integration
    result = await start_discovery(hass, entry.entry_id)
    assert await hass.config_entries.async_unload(entry.entry_id)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "hub_not_loaded"
    assert entry.data[CONF_APPROVED_CHARGERS] == []


class OcppClient:
    """Just enough of an OCPP 1.6J charge point to boot and answer a call."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap a connected WebSocket."""
        self.websocket = websocket

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a CALL and return the CALLRESULT payload."""
        await self.websocket.send_str(json.dumps([2, action, action, payload]))
        message_type, message_id, result = json.loads(await self.websocket.receive_str())
        assert (message_type, message_id) == (3, action)
        answer: dict[str, Any] = result
        return answer

    async def receive_call(self) -> tuple[str, str, dict[str, Any]]:
        """Return the next CALL from the central system."""
        message_type, message_id, action, payload = json.loads(await self.websocket.receive_str())
        assert message_type == 2
        return message_id, action, payload

    async def boot(self) -> str:
        """Send a BootNotification; return the admission status."""
        answer = await self.call(
            "BootNotification",
            {
                "chargePointVendor": "Acme",
                "chargePointModel": "Wallbox 22",
                "chargePointSerialNumber": "SN-0042",
            },
        )
        status: str = answer["status"]
        return status


@pytest.fixture
async def pending_charger(
    init_integration: MockConfigEntry,
) -> AsyncGenerator[OcppClient]:
    """CHARGER connected to the hub and answered Pending."""
    port = init_integration.data[CONF_PORT]
    async with (
        aiohttp.ClientSession() as client_session,
        client_session.ws_connect(
            f"ws://{HOST}:{port}/{CHARGER}", protocols=("ocpp1.6",)
        ) as websocket,
    ):
        client = OcppClient(websocket)
        assert await client.boot() == "Pending"
        yield client


async def test_pending_charger_approved(
    hass: HomeAssistant, init_integration: MockConfigEntry, pending_charger: OcppClient
) -> None:
    """End to end: a real pending charger is discovered, confirmed and asked to boot again."""
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["title_placeholders"] == {"name": CHARGER}

    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "charger_approved"

    # Approval reaches the charger at once, on the same connection.
    message_id, action, payload = await pending_charger.receive_call()
    assert (action, payload) == ("TriggerMessage", {"requestedMessage": "BootNotification"})
    await pending_charger.websocket.send_str(json.dumps([3, message_id, {"status": "Accepted"}]))
    assert await pending_charger.boot() == "Accepted"
    assert init_integration.data[CONF_APPROVED_CHARGERS] == [CHARGER]
    assert hub_of(init_integration).central.sessions[CHARGER].accepted


async def test_pending_charger_ignored(
    hass: HomeAssistant, init_integration: MockConfigEntry, pending_charger: OcppClient
) -> None:
    """End to end: ignoring a real pending charger disconnects it."""
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1

    await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_IGNORE},
        data={"unique_id": flows[0]["context"]["unique_id"], "title": CHARGER},
    )

    message = await pending_charger.websocket.receive(timeout=5)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert init_integration.data[CONF_APPROVED_CHARGERS] == []


# --- options ---------------------------------------------------------------------------


async def _open_charger_options(hass: HomeAssistant, entry_id: str) -> ConfigFlowResult:
    """Open the options and pick the chargers page from the menu."""
    result = await hass.config_entries.options.async_init(entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["chargers", "site", "v2x", "security"]
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "chargers"}
    )


async def test_options_flow_applies_live(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """New options are stored cleaned up and reach the running hub without a reload."""
    entry = init_integration
    hub = hub_of(entry)

    result = await _open_charger_options(hass, entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "chargers"
    assert result["data_schema"] is not None
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested == dict(entry.options)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_UNKNOWN_CHARGERS: "reject",
            CONF_ID_TAG_POLICY: "allow_list",
            CONF_ALLOWED_ID_TAGS: [" Card-1 ", "", "card-2", "Card-1"],
            CONF_METER_INTERVAL: 30.0,
            CONF_HEARTBEAT_INTERVAL: 600.0,
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    expected = {
        CONF_UNKNOWN_CHARGERS: "reject",
        CONF_ID_TAG_POLICY: "allow_list",
        CONF_ALLOWED_ID_TAGS: ["Card-1", "card-2"],
        CONF_METER_INTERVAL: 30,
        CONF_HEARTBEAT_INTERVAL: 600,
    }
    assert result["data"] == expected
    assert entry.options == expected
    assert hub_of(entry) is hub
    assert entry.state is ConfigEntryState.LOADED
    policy = hub.central.policy
    assert policy.unknown_chargers is UnknownChargerPolicy.REJECT
    assert policy.id_tags is IdTagPolicy.ALLOW_LIST
    assert policy.authorize("CARD-1") == "Accepted"
    assert policy.authorize("card-3") == "Invalid"
    assert hub.central.settings.meter_interval == 30
    assert hub.central.settings.heartbeat_interval == 600


async def test_options_flow_allow_list_empty(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Allowing only listed idTags with no idTag listed is refused, then corrected."""
    entry = init_integration
    options = {
        CONF_UNKNOWN_CHARGERS: "ask",
        CONF_ID_TAG_POLICY: "allow_list",
        CONF_ALLOWED_ID_TAGS: ["  "],
        CONF_METER_INTERVAL: 10,
        CONF_HEARTBEAT_INTERVAL: 300,
    }
    result = await _open_charger_options(hass, entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], options)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_ALLOWED_ID_TAGS: "allowed_id_tags_empty"}
    assert entry.options[CONF_ID_TAG_POLICY] == "accept_all"
    assert hub_of(entry).central.policy.id_tags is IdTagPolicy.ACCEPT_ALL

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options | {CONF_ALLOWED_ID_TAGS: ["card-1"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_ALLOWED_ID_TAGS] == ["card-1"]
    assert hub_of(entry).central.policy.id_tags is IdTagPolicy.ALLOW_LIST


async def test_options_flow_list_may_stay_empty_when_accepting_all(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The allow list is only required by the allow-list policy; an omitted list is empty."""
    result = await _open_charger_options(hass, init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_UNKNOWN_CHARGERS: "accept_all",
            CONF_ID_TAG_POLICY: "accept_all",
            CONF_METER_INTERVAL: 10,
            CONF_HEARTBEAT_INTERVAL: 300,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_ALLOWED_ID_TAGS] == []
    assert hub_of(init_integration).central.policy.unknown_chargers is (
        UnknownChargerPolicy.ACCEPT_ALL
    )


# --- translations ----------------------------------------------------------------------


async def test_translations(hass: HomeAssistant) -> None:
    """Every step field, error, abort reason and select option the flows use is translated."""
    prefix = f"component.{DOMAIN}"
    config = await async_get_translations(hass, "en", "config", [DOMAIN])
    options = await async_get_translations(hass, "en", "options", [DOMAIN])
    selector = await async_get_translations(hass, "en", "selector", [DOMAIN])

    for step in ("user", "reconfigure", "confirm_charger"):
        assert f"{prefix}.config.step.{step}.title" in config
        assert f"{prefix}.config.step.{step}.description" in config
    for step in ("user", "reconfigure"):
        for field in (CONF_HOST, CONF_PORT):
            assert f"{prefix}.config.step.{step}.data.{field}" in config
            assert f"{prefix}.config.step.{step}.data_description.{field}" in config
    for error in ("invalid_port", "port_in_use", "invalid_host"):
        assert f"{prefix}.config.error.{error}" in config
    for reason in (
        "already_configured",
        "already_in_progress",
        "reconfigure_successful",
        "charger_approved",
        "already_approved",
        "hub_not_loaded",
    ):
        assert f"{prefix}.config.abort.{reason}" in config
    assert config[f"{prefix}.config.flow_title"] == "{name}"

    for field in OPTIONS_SCHEMA.schema:
        assert f"{prefix}.options.step.chargers.data.{field}" in options
        assert f"{prefix}.options.step.chargers.data_description.{field}" in options
    for field in SITE_SCHEMA.schema:
        assert f"{prefix}.options.step.site.data.{field}" in options
    for menu_option in ("chargers", "site"):
        assert f"{prefix}.options.step.init.menu_options.{menu_option}" in options
    assert f"{prefix}.options.error.allowed_id_tags_empty" in options
    for source in MeterSource:
        assert f"{prefix}.selector.meter_source.options.{source}" in selector
    # Price mode: the forecast sensor, its error, and the mode in the set_charging_mode action.
    assert f"{prefix}.options.step.site.data_description.{CONF_PRICE_ENTITY}" in options
    assert f"{prefix}.options.error.price_forecast" in options
    for mode in Mode:
        assert f"{prefix}.selector.charging_mode.options.{mode}" in selector

    for key, values in (
        (CONF_UNKNOWN_CHARGERS, UnknownChargerPolicy),
        (CONF_ID_TAG_POLICY, IdTagPolicy),
    ):
        for value in values:
            assert f"{prefix}.selector.{key}.options.{value}" in selector
