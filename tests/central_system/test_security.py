"""Security profiles 1-3 over real connections: passwords installed, required, refused."""

from __future__ import annotations

import logging
from pathlib import Path
import ssl
from typing import Any

import aiohttp
import pytest

from custom_components.smart_charging.central_system.errors import ChargerRejectedError
from custom_components.smart_charging.central_system.policy import (
    AccessPolicy,
    UnknownChargerPolicy,
)
from custom_components.smart_charging.central_system.security.credentials import PasswordState
from custom_components.smart_charging.central_system.security.guard import GuardLimits
from custom_components.smart_charging.central_system.security.profile import SecurityProfile
from custom_components.smart_charging.central_system.security.settings import SecuritySettings
from custom_components.smart_charging.central_system.security.tls import TlsFiles
from custom_components.smart_charging.central_system.server import TRANSPORT_MAX_FRAME
from simulator.pki import Pki
from simulator.uplink import basic_authorization

from .conftest import (
    ChargerFactory,
    Server,
    ServerFactory,
    StationFactory,
    connected_charger,
    fast_settings,
    wait_until,
)

SUBPROTOCOL = "ocpp1.6"


def _installing() -> Any:
    return fast_settings(install_passwords=True)


async def _status(url: str, authorization: str | None = None, **kwargs: Any) -> int:
    """HTTP status of a WebSocket handshake (101 when it opened)."""
    headers = {} if authorization is None else {"Authorization": authorization}
    async with aiohttp.ClientSession() as client:
        try:
            ws = await client.ws_connect(url, protocols=(SUBPROTOCOL,), headers=headers, **kwargs)
        except aiohttp.WSServerHandshakeError as error:
            return error.status
        await ws.close()
        return 101


async def _installed(server: Server, make_charger: ChargerFactory, charger_id: str) -> str:
    """Connect a charger without a password; return the password it was given."""
    charger, _session = await connected_charger(server, make_charger, charger_id)
    key = await charger.wait_for_call(
        "ChangeConfiguration", predicate=lambda p: p["key"] == "AuthorizationKey"
    )
    await charger.wait_for_call(
        "ChangeConfiguration", predicate=lambda p: p["key"] == "SecurityProfile"
    )
    credentials = server.system.credentials.get(charger_id)
    assert credentials is not None
    await wait_until(lambda: credentials.state is PasswordState.INSTALLED)
    assert key["value"] == credentials.password
    assert charger.config.authorization_key == credentials.password
    assert charger.config.value("SecurityProfile") == "1"
    await charger.close()
    return credentials.password


async def test_password_installed_then_required(
    make_server: ServerFactory, make_charger: ChargerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """An approved charger gets a password over OCPP; from then on nothing passes without it."""
    caplog.set_level(logging.INFO)
    server = await make_server(settings=_installing())
    password = await _installed(server, make_charger, "CP-1")
    url = f"{server.url}/CP-1"
    assert await _status(url) == 401
    assert await _status(url, basic_authorization("CP-1", "0" * 40)) == 401
    assert await _status(url, basic_authorization("CP-2", password)) == 401
    assert await _status(url, "Bearer x") == 401
    # The charger itself reconnects with it: profile 1, and the password is in use.
    charger, session = await connected_charger(server, make_charger, "CP-1", password=password)
    assert session.state.security_profile == SecurityProfile.BASIC
    credentials = server.system.credentials.get("CP-1")
    assert credentials is not None
    assert credentials.state is PasswordState.ACTIVE
    # Nowhere in our log, although the library logs the frame that carried it (the simulated
    # charger's own log is not ours).
    ours = [
        record.getMessage()
        for record in caplog.records
        if record.name == "ocpp" or record.name.startswith("custom_components")
    ]
    assert not [text for text in ours if password in text]
    assert any("**REDACTED**" in text for text in ours)
    await charger.close()


async def test_a_201_station_gets_its_password(
    make_server: ServerFactory, make_station: StationFactory
) -> None:
    """SetVariables SecurityCtrlr.BasicAuthPassword; required once the station sends it."""
    server = await make_server(settings=_installing())
    station = make_station(server, "CS-1")
    assert await station.connect() == "Accepted"
    credentials = server.system.credentials.get("CS-1")
    assert credentials is not None
    await wait_until(lambda: credentials.state is PasswordState.STORED)
    # It connected without a password: required from its first use, not before.
    assert station.model.value(("SecurityCtrlr", "BasicAuthPassword")) == credentials.password
    assert not credentials.required
    await station.reboot()
    await wait_until(lambda: credentials.state is PasswordState.ACTIVE)
    assert server.session("CS-1").state.security_profile == SecurityProfile.BASIC
    assert await _status(f"{server.url}/CS-1") == 401


async def test_password_survives_a_restart(
    make_server: ServerFactory, make_charger: ChargerFactory
) -> None:
    """The password is saved before it is needed: a restarted central system knows it."""
    server = await make_server(settings=_installing())
    password = await _installed(server, make_charger, "CP-1")
    saved = server.persistence
    await server.system.stop()
    again = await make_server(
        settings=_installing(),
        persistence=saved,
        policy=AccessPolicy(approved={"CP-1"}),
    )
    assert await _status(f"{again.url}/CP-1") == 401
    assert await _status(f"{again.url}/CP-1", basic_authorization("CP-1", password)) == 101


async def test_a_charger_that_cannot_take_its_password(
    make_server: ServerFactory, make_charger: ChargerFactory
) -> None:
    """A charger without the security keys, its installer's password set.

    The owner is shown ours to enter; it is required once the charger uses it.
    """
    server = await make_server(settings=_installing())
    charger, session = await connected_charger(
        server, make_charger, "CP-1", password="x" * 16, quirks=frozenset({"no_security_keys"})
    )
    # A password where none is expected yet is taken as none.
    assert session.state.security_profile == SecurityProfile.NONE
    await wait_until(lambda: server.listener.count("password_needed", "CP-1") == 1)
    credentials = server.system.credentials.get("CP-1")
    assert credentials is not None
    assert credentials.state is PasswordState.MANUAL
    assert not credentials.required
    await charger.close()
    url = f"{server.url}/CP-1"
    assert await _status(url, basic_authorization("CP-1", credentials.password)) == 101
    assert credentials.state is PasswordState.ACTIVE
    assert await _status(url, basic_authorization("CP-1", "x" * 16)) == 401


async def test_wrong_credentials_where_a_password_is_expected(
    make_server: ServerFactory,
) -> None:
    """With a minimum of 1, an unknown password is refused and nothing is created."""
    server = await make_server(security=SecuritySettings(minimum=SecurityProfile.BASIC))
    assert await _status(f"{server.url}/NEW", basic_authorization("NEW", "a" * 20)) == 401
    assert "NEW" not in server.system.sessions
    assert await _status(f"{server.url}/NEW", "Basic !!!") == 401


async def test_minimum_profile_one_refuses_the_unauthenticated(
    make_server: ServerFactory,
) -> None:
    """With a minimum of 1 an id without a password is refused before the WebSocket opens."""
    server = await make_server(security=SecuritySettings(minimum=SecurityProfile.BASIC))
    assert await _status(f"{server.url}/NEW") == 401
    assert "NEW" not in server.system.sessions
    server.system.security.minimum = SecurityProfile.NONE  # applied live
    assert await _status(f"{server.url}/NEW") == 101


async def test_repeated_failures_rate_limited_and_reported(make_server: ServerFactory) -> None:
    """Failures are logged once a minute per id, reported after 5, and block the address."""
    limits = GuardLimits(failures_per_address=8, repair_after=5)
    server = await make_server(
        security=SecuritySettings(minimum=SecurityProfile.BASIC, limits=limits)
    )
    bad = basic_authorization("CP-9", "b" * 20)
    statuses = [await _status(f"{server.url}/CP-9", bad) for _ in range(9)]
    assert statuses == [401] * 8 + [429]
    assert server.listener.count("authentication_failed", "CP-9") == 1
    # A blocked address is refused even with nothing wrong in its request.
    assert await _status(f"{server.url}/OTHER") == 429


async def test_a_good_connection_after_failures_is_reported(make_server: ServerFactory) -> None:
    """The owner's repair goes away once the charger gets in."""
    server = await make_server(security=SecuritySettings(limits=GuardLimits(repair_after=2)))
    server.system.approve("CP-1")
    credentials = server.system.credentials.get("CP-1")
    assert credentials is not None
    credentials.state = PasswordState.INSTALLED
    bad = basic_authorization("CP-1", "c" * 20)
    for _ in range(2):
        assert await _status(f"{server.url}/CP-1", bad) == 401
    assert server.listener.count("authentication_recovered", "CP-1") == 0
    good = basic_authorization("CP-1", credentials.password)
    assert await _status(f"{server.url}/CP-1", good) == 101
    assert server.listener.count("authentication_recovered", "CP-1") == 1


async def test_rotation_keeps_the_old_password_until_the_new_is_used(
    make_server: ServerFactory, make_charger: ChargerFactory
) -> None:
    """A rotated password is sent at once; the old one works until the charger uses the new."""
    server = await make_server(settings=_installing())
    old = await _installed(server, make_charger, "CP-1")
    charger, _session = await connected_charger(server, make_charger, "CP-1", password=old)
    server.system.rotate_password("CP-1")
    credentials = server.system.credentials.get("CP-1")
    assert credentials is not None
    new = credentials.password
    assert new != old
    await charger.wait_for_call(
        "ChangeConfiguration", predicate=lambda p: p == {"key": "AuthorizationKey", "value": new}
    )
    await wait_until(lambda: credentials.state is PasswordState.INSTALLED)
    url = f"{server.url}/CP-1"
    assert await _status(url, basic_authorization("CP-1", old)) == 101
    assert await _status(url, basic_authorization("CP-1", new)) == 101
    assert await _status(url, basic_authorization("CP-1", old)) == 401
    with pytest.raises(KeyError):
        server.system.rotate_password("NOT-APPROVED")
    await charger.close()


async def test_a_second_connection_replaces_only_with_credentials(
    make_server: ServerFactory, make_charger: ChargerFactory
) -> None:
    """Someone with the id but not the password cannot push the charger off."""
    server = await make_server(settings=_installing())
    password = await _installed(server, make_charger, "CP-1")
    charger, session = await connected_charger(server, make_charger, "CP-1", password=password)
    adapter = session.adapter
    assert await _status(f"{server.url}/CP-1") == 401
    assert session.adapter is adapter
    await charger.close()


async def test_unapproved_ids_are_capped(make_server: ServerFactory) -> None:
    """Beyond the limit of ids waiting for approval, new ones are turned away (503)."""
    server = await make_server(
        policy=AccessPolicy(unknown_chargers=UnknownChargerPolicy.ASK),
        security=SecuritySettings(limits=GuardLimits(max_pending=1)),
    )
    async with aiohttp.ClientSession() as client:
        first = await client.ws_connect(f"{server.url}/P-1", protocols=(SUBPROTOCOL,))
        await wait_until(lambda: "P-1" in server.system.sessions)
        assert await _status(f"{server.url}/P-2") == 503
        await first.close()


async def test_connections_are_capped(make_server: ServerFactory) -> None:
    """Beyond the limit of open connections, new ones are turned away (503)."""
    server = await make_server(security=SecuritySettings(limits=GuardLimits(max_connections=1)))
    async with aiohttp.ClientSession() as client:
        first = await client.ws_connect(f"{server.url}/C-1", protocols=(SUBPROTOCOL,))
        await wait_until(lambda: len(server.system.sessions) == 1)
        assert await _status(f"{server.url}/C-2") == 503
        await first.close()


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    """A CA with a certificate for a server on 127.0.0.1."""
    return Pki(tmp_path)


async def _tls_server(make_server: ServerFactory, pki: Pki, **security: Any) -> Server:
    pem = pki.issue("server", "127.0.0.1", server=True)
    tls = TlsFiles(certificate=pem.certificate, key=pem.key, client_ca=pki.ca)
    return await make_server(
        settings=_installing(), security=SecuritySettings(tls=tls, tls_port=0, **security)
    )


def _tls_url(server: Server, charger_id: str) -> str:
    return f"wss://127.0.0.1:{server.system.tls_port}/{charger_id}"


async def test_profile_2_raises_a_16_chargers_profile(
    make_server: ServerFactory, make_charger: ChargerFactory, pki: Pki
) -> None:
    """Over TLS with its password a charger reaches profile 2, and is kept there."""
    server = await _tls_server(make_server, pki, minimum=SecurityProfile.TLS_BASIC)
    assert server.system.tls_port not in (None, server.system.port)
    # Below the minimum: plain ws:// is refused even with nothing else wrong.
    assert await _status(f"{server.url}/CP-1") == 401
    charger = make_charger(server, "CP-1", password="p" * 20, tls_ca=pki.ca)
    charger.url = f"wss://127.0.0.1:{server.system.tls_port}"
    server.system.credentials.ensure("CP-1").password = "p" * 20
    server.system.approve("CP-1")
    assert await charger.connect() == "Accepted"
    session = server.session("CP-1")
    await charger.wait_for_call(
        "ChangeConfiguration", predicate=lambda p: p == {"key": "SecurityProfile", "value": "2"}
    )
    assert session.state.security_profile == SecurityProfile.TLS_BASIC
    assert charger.config.value("SecurityProfile") == "2"
    await charger.close()


async def test_profile_3_client_certificate(
    make_server: ServerFactory, make_charger: ChargerFactory, pki: Pki
) -> None:
    """A certificate from the CA whose common name is the id is enough; another id's is not."""
    server = await _tls_server(make_server, pki, minimum=SecurityProfile.TLS_CLIENT_CERTIFICATE)
    own = pki.issue("cp3", "CP-3")
    other = pki.issue("cp4", "CP-4")
    server.system.approve("CP-3")
    charger = make_charger(
        server, "CP-3", tls_ca=pki.ca, client_certificate=own.certificate, client_key=own.key
    )
    charger.url = f"wss://127.0.0.1:{server.system.tls_port}"
    assert await charger.connect() == "Accepted"
    assert server.session("CP-3").state.security_profile == SecurityProfile.TLS_CLIENT_CERTIFICATE
    await charger.close()
    context = ssl.create_default_context(cafile=pki.ca)
    context.load_cert_chain(other.certificate, other.key)
    assert await _status(_tls_url(server, "CP-3"), ssl=context) == 401
    # Profile 2 on the same port is below this minimum.
    plain = ssl.create_default_context(cafile=pki.ca)
    assert await _status(_tls_url(server, "CP-3"), ssl=plain) == 401


async def test_a_rotation_the_charger_refuses_and_one_for_an_offline_charger(
    make_server: ServerFactory, make_charger: ChargerFactory
) -> None:
    """Refused over OCPP: the owner is shown it; offline: it waits for the next setup."""
    server = await make_server(settings=_installing())
    server.system.approve("OFF")
    server.system.rotate_password("OFF")  # not connected: nothing sent now
    offline = server.system.credentials.get("OFF")
    assert offline is not None
    assert offline.state is PasswordState.INSTALLING
    charger, _session = await connected_charger(
        server, make_charger, "CP-1", quirks=frozenset({"no_security_keys"})
    )
    await wait_until(lambda: server.listener.count("password_needed", "CP-1") == 1)
    server.system.rotate_password("CP-1")
    await wait_until(lambda: server.listener.count("password_needed", "CP-1") == 2)
    await charger.close()


async def test_a_flooding_charger_is_slowed_not_cut(
    make_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Beyond its burst a charger's frames wait for their share of the rate; all answered."""
    limits = GuardLimits(messages_per_second=100.0, message_burst=5)
    server = await make_server(security=SecuritySettings(limits=limits))
    async with aiohttp.ClientSession() as client:
        ws = await client.ws_connect(f"{server.url}/FLOOD", protocols=(SUBPROTOCOL,))
        for i in range(30):
            await ws.send_str(f'[2,"h{i}","Heartbeat",{{}}]')
        answers = [await ws.receive_json(timeout=5) for _ in range(30)]
        await ws.close()
    assert [answer[1] for answer in answers] == [f"h{i}" for i in range(30)]
    assert [r.getMessage() for r in caplog.records].count(
        "FLOOD: more than 100 messages a second: reading slowed down"
    ) == 1


async def test_keeping_a_16_profile(
    make_server: ServerFactory, make_charger: ChargerFactory, pki: Pki
) -> None:
    """A charger already at the profile is left alone; one without the key stays as it is."""
    server = await _tls_server(make_server, pki)
    for charger_id, options in (
        ("AT-2", {"security_profile": 2}),
        ("NO-KEYS", {"quirks": frozenset({"no_security_keys"})}),
    ):
        password = server.system.credentials.ensure(charger_id).password
        server.system.approve(charger_id)
        charger = make_charger(server, charger_id, password=password, tls_ca=pki.ca, **options)
        charger.url = f"wss://127.0.0.1:{server.system.tls_port}"
        assert await charger.connect() == "Accepted"
        session = server.session(charger_id)
        await wait_until(lambda session=session: session.state.configured)  # type: ignore[misc]
        assert not [
            payload
            for action, payload in charger.call_log.calls
            if action == "ChangeConfiguration" and payload["key"] == "SecurityProfile"
        ]
        await charger.close()


async def test_a_201_station_refusing_a_password(
    make_server: ServerFactory, make_station: StationFactory
) -> None:
    """A SetVariables refusal is a ChargerRejectedError, as every refusal."""
    server = await make_server()
    station = make_station(server, "CS-1")
    assert await station.connect() == "Accepted"
    adapter = server.session("CS-1").adapter
    assert adapter is not None
    with pytest.raises(ChargerRejectedError):
        await adapter.install_password("short", 0)
    await adapter.keep_security_profile(3)  # read-only on 2.x: nothing is sent


async def test_a_frame_above_the_transport_limit_closes_with_a_log_line(
    make_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Aiohttp closes a connection whose frame is above 1 MiB (1009); we say so once."""
    server = await make_server()
    async with aiohttp.ClientSession() as client:
        ws = await client.ws_connect(f"{server.url}/BIG", protocols=(SUBPROTOCOL,))
        await ws.send_str("x" * (TRANSPORT_MAX_FRAME + 1))
        closing = await ws.receive(timeout=5)
        assert closing.type is aiohttp.WSMsgType.CLOSE
        assert closing.data == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    await wait_until(lambda: "BIG" not in server.system.sessions)  # it never booted
    assert any("BIG: connection closed" in r.getMessage() for r in caplog.records)


async def test_waiting_passwords_go_out_when_installs_are_turned_on(
    make_server: ServerFactory, make_charger: ChargerFactory
) -> None:
    """Installs off: the password waits; turned on, connected chargers get it at once."""
    server = await make_server()  # installs off
    charger, _session = await connected_charger(server, make_charger, "CP-1")
    credentials = server.system.credentials.get("CP-1")
    assert credentials is not None
    assert credentials.state is PasswordState.INSTALLING
    server.system.settings.install_passwords = True
    server.system.install_waiting_passwords()
    await charger.wait_for_call(
        "ChangeConfiguration", predicate=lambda p: p["key"] == "AuthorizationKey"
    )
    await wait_until(lambda: credentials.state is PasswordState.INSTALLED)
    await charger.close()


async def test_rotating_a_password_only_stored_keeps_the_charger_in(
    make_server: ServerFactory,
) -> None:
    """A charger that may use its stored password is not locked out by a rotation offline."""
    server = await make_server()
    server.system.approve("CP-1")
    stored = server.system.credentials.get("CP-1")
    assert stored is not None
    stored.state = PasswordState.STORED
    server.system.rotate_password("CP-1")
    rotated = server.system.credentials.get("CP-1")
    assert rotated is not None
    assert not rotated.required  # it was never seen in use: none is required yet
    url = f"{server.url}/CP-1"
    assert await _status(url, basic_authorization("CP-1", stored.password)) == 101
    assert await _status(url) == 101
