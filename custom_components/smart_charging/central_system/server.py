"""The OCPP central system: a WebSocket server at `/<charge point id>`.

It owns the chargers' sessions, the transaction ledger and the access policy, and
tells a listener (the HA glue) about every change. Persistence is delegated too, so
this package stays free of Home Assistant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
from typing import Any, Protocol
from urllib.parse import unquote

from aiohttp import WSCloseCode, hdrs, web

from .adapter import AdapterType, ChargerAdapter
from .connection import WebSocketConnection
from .errors import ChargerError
from .policy import AccessPolicy, Admission
from .rejection import refuse
from .rpc import preload_validators
from .security.authentication import Attempt, Verdict, authenticate
from .security.credentials import CredentialBook, PasswordState
from .security.guard import ConnectionGuard
from .security.log_redaction import PasswordRedaction, install
from .security.message_rate import MessageRate
from .security.settings import SecuritySettings
from .security.tls import client_name, server_context
from .session import ChargerSession, SessionSettings
from .text_limits import widest
from .transactions import TransactionLedger
from .trigger import Trigger
from .v16.adapter import V16Adapter
from .v21.adapter import V21Adapter
from .v201.adapter import V201Adapter

_LOGGER = logging.getLogger(__name__)

# One adapter per OCPP version, by WebSocket subprotocol, newest first: a charger that
# offers several gets the newest.
ADAPTERS: dict[str, AdapterType] = {
    "ocpp2.1": V21Adapter,
    "ocpp2.0.1": V201Adapter,
    "ocpp1.6": V16Adapter,
}
SUBPROTOCOLS = tuple(ADAPTERS)
# What a text may hold for some supported version; each version's schema checks its own.
TEXT_LIMITS = widest(adapter.text_limits for adapter in ADAPTERS.values())
# WebSocket ping interval (s): finds dead links that TCP would keep for hours.
PING_INTERVAL = 30.0
# aiohttp refuses (and closes on) frames above this; smaller oversized frames are
# answered with a CALLERROR by the routing layer instead.
TRANSPORT_MAX_FRAME = 1024 * 1024


class CentralSystemListener(Protocol):
    """What the central system tells its owner."""

    def charger_updated(self, session: ChargerSession) -> None:
        """A charger's state changed (message, connection, command)."""

    def charger_approved(self, session: ChargerSession) -> None:
        """A charger was admitted for the first time (policy accept all, at its boot)."""

    def admission_requested(self, session: ChargerSession) -> None:
        """An unknown charger asks to be admitted (policy ask)."""

    def password_needed(self, charger_id: str, password: str) -> None:
        """A charger cannot take its password over OCPP: show it to the owner to enter."""

    def authentication_failed(self, charger_id: str, in_a_row: int) -> None:
        """Connections with this id failed to authenticate `in_a_row` times (repair)."""

    def authentication_recovered(self, charger_id: str) -> None:
        """A connection with this id authenticated after failures."""


class Persistence(Protocol):
    """Where the central system keeps what must survive a restart."""

    async def load(self) -> dict[str, Any] | None:
        """Return the saved data, if any."""

    async def save_now(self, data: dict[str, Any]) -> None:
        """Save at once."""

    def save_later(self, data_fn: Callable[[], dict[str, Any]]) -> None:
        """Save soon; `data_fn` is called when the save happens."""


class CentralSystem:
    """The OCPP server and everything it knows."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        policy: AccessPolicy,
        settings: SessionSettings,
        listener: CentralSystemListener,
        persistence: Persistence,
        security: SecuritySettings | None = None,
    ) -> None:
        """Configure; nothing runs until `start`."""
        self.host = host
        self.port = port
        self.policy = policy
        self.settings = settings
        self.security = security or SecuritySettings()
        self.credentials = CredentialBook()
        self.guard = ConnectionGuard(self.security.limits)
        self.tls_port: int | None = None
        self._unredact: Callable[[], None] | None = None
        self.ledger = TransactionLedger()
        self.sessions: dict[str, ChargerSession] = {}
        self._listener = listener
        self._persistence = persistence
        self._saved_chargers: dict[str, Any] = {}
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._connections: set[WebSocketConnection] = set()
        self._stopping = False

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Restore saved state and start serving."""
        await asyncio.get_running_loop().run_in_executor(None, preload_validators)
        data = await self._persistence.load() or {}
        self.ledger.load(data.get("ledger") or {})
        self._saved_chargers = dict(data.get("chargers") or {})
        self.credentials.load(data.get("credentials") or {})
        self._unredact = install(PasswordRedaction(self.credentials.secrets))
        for charger_id in sorted(self.policy.approved):
            self.session(charger_id)
            self._issue_password(charger_id)
        app = web.Application()
        app.router.add_get("/{charger_id:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        # aiohttp's default backlog (128) drops part of a fleet reconnecting at once.
        backlog = max(1024, self.security.limits.max_connections)
        sites = [web.TCPSite(runner, self.host, self.port, reuse_address=True, backlog=backlog)]
        tls = self.security.tls
        if tls is not None and self.security.tls_port is not None:
            context = await asyncio.get_running_loop().run_in_executor(None, server_context, tls)
            sites.append(
                web.TCPSite(
                    runner,
                    self.host,
                    self.security.tls_port,
                    ssl_context=context,
                    reuse_address=True,
                    backlog=backlog,
                )
            )
        try:
            for site in sites:
                await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        ports = [address[1] for address in runner.addresses]
        if self.port == 0:
            self.port = ports[0]
        if len(sites) > 1:
            self.tls_port = ports[1]
        _LOGGER.info(
            "OCPP central system listening on %s:%s%s",
            self.host,
            self.port,
            f" and TLS {self.tls_port}" if self.tls_port else "",
        )

    async def stop(self) -> None:
        """Close every connection, save, and stop serving."""
        # No new connections from here on: chargers reconnect fast, even during a stop.
        self._stopping = True
        for connection in list(self._connections):
            await connection.close(WSCloseCode.GOING_AWAY)
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._persistence.save_now(self.dump())
        if self._unredact is not None:
            self._unredact()
            self._unredact = None

    @property
    def stopping(self) -> bool:
        """Return whether `stop` has begun (new connections are turned away)."""
        return self._stopping

    # --- chargers --------------------------------------------------------------------

    def session(self, charger_id: str) -> ChargerSession:
        """Return a charger's session, creating (and restoring) it on first use."""
        session = self.sessions.get(charger_id)
        if session is None:
            session = self.sessions[charger_id] = ChargerSession(self, charger_id)
            if saved := self._saved_chargers.get(charger_id):
                session.load(saved)
        return session

    def approve(self, charger_id: str) -> ChargerSession:
        """Admit a charger; a pending one is asked to boot again at once."""
        self.policy.approved.add(charger_id)
        self.policy.ignored.discard(charger_id)
        session = self.session(charger_id)
        self._issue_password(charger_id)
        if session.adapter is not None and session.admission is not Admission.ACCEPTED:
            self._spawn(self._retrigger_boot(session))
        self.save_later()
        return session

    async def forget(self, charger_id: str) -> None:
        """Remove a charger: disconnect it and drop what is known about it."""
        self.policy.approved.discard(charger_id)
        session = self.sessions.pop(charger_id, None)
        self._saved_chargers.pop(charger_id, None)
        self.credentials.forget(charger_id)
        if session is not None and session.adapter is not None:
            await session.adapter.close()
        self.save_later()

    def _issue_password(self, charger_id: str) -> None:
        """An approved charger gets a password to install, once (saved before it is sent)."""
        if self.credentials.get(charger_id) is None:
            self.credentials.issue(charger_id)
            self.save_later()

    def rotate_password(self, charger_id: str) -> None:
        """A new password for an approved charger, sent at once if it is connected."""
        if charger_id not in self.policy.approved:
            raise KeyError(charger_id)
        self.credentials.issue(charger_id)
        self.save_later()
        session = self.sessions.get(charger_id)
        if session is not None and session.adapter is not None:
            self._spawn(self._install_password(session))

    def install_waiting_passwords(self) -> None:
        """Send every connected charger the password waiting for it (installs turned on)."""
        for charger_id, session in self.sessions.items():
            credentials = self.credentials.get(charger_id)
            if (
                session.adapter is not None
                and credentials is not None
                and credentials.state is PasswordState.INSTALLING
            ):
                self._spawn(self._install_password(session))

    async def _install_password(self, session: ChargerSession) -> None:
        """Send a rotated password now; a failure leaves it to the next connection's setup."""
        try:
            await session.install_password()
        except ChargerError as error:
            _LOGGER.info("%s: password not installed yet: %s", session.charger_id, error)

    async def _retrigger_boot(self, session: ChargerSession) -> None:
        adapter = session.adapter
        if adapter is None:
            return
        try:
            await adapter.trigger(Trigger.BOOT, None)
        except ChargerError as error:  # The charger retries its boot by itself anyway.
            _LOGGER.debug("%s: boot trigger failed: %s", session.charger_id, error)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- the WebSocket endpoint --------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        charger_id = unquote(request.match_info["charger_id"]).strip("/").rsplit("/", 1)[-1]
        if not charger_id:
            raise web.HTTPNotFound
        if self._stopping:
            raise web.HTTPServiceUnavailable
        verdict = self._admit(charger_id, request)
        # A charger we refuse (no common subprotocol) gets no heartbeat: its timer would outlive it.
        offered = {
            protocol.strip()
            for protocol in request.headers.get(hdrs.SEC_WEBSOCKET_PROTOCOL, "").split(",")
        }
        # aiohttp would take the charger's first choice: offer only the newest in common.
        common = [protocol for protocol in SUBPROTOCOLS if protocol in offered][:1]
        websocket = web.WebSocketResponse(
            protocols=common or SUBPROTOCOLS,
            heartbeat=PING_INTERVAL if common else None,
            max_msg_size=TRANSPORT_MAX_FRAME,
        )
        await websocket.prepare(request)
        if self.stopping:  # The stop began during the handshake.
            await websocket.close(code=WSCloseCode.GOING_AWAY)
            return websocket
        limits = self.security.limits
        connection = WebSocketConnection(
            websocket, MessageRate(limits.messages_per_second, limits.message_burst), charger_id
        )
        self._connections.add(connection)
        try:
            await self._talk(charger_id, connection, websocket, request, verdict)
        finally:
            self._connections.discard(connection)
            if not websocket.closed:  # an error ended the talk: no ping timer left behind
                await connection.close()
        return websocket

    def _admit(self, charger_id: str, request: web.Request) -> Verdict:
        """Authenticate before the WebSocket opens; raise the HTTP refusal."""
        address = request.remote or "unknown"
        now = asyncio.get_running_loop().time()
        limits = self.security.limits
        if self.guard.blocked(address, now):
            raise web.HTTPTooManyRequests
        if len(self._connections) >= limits.max_connections:
            _LOGGER.warning(
                "%s: refused, %s connections open (the limit)", charger_id, len(self._connections)
            )
            raise web.HTTPServiceUnavailable
        ssl_object = request.transport.get_extra_info("ssl_object") if request.transport else None
        attempt = Attempt(
            charger_id=charger_id,
            authorization=request.headers.get(hdrs.AUTHORIZATION),
            tls=ssl_object is not None,
            client_name=client_name(ssl_object.getpeercert()) if ssl_object else None,
        )
        verdict = authenticate(attempt, self.credentials.get(charger_id), self.security.minimum)
        if not verdict.accepted:
            failure = self.guard.failed(address, charger_id, now)
            if failure.log:
                _LOGGER.warning(
                    "%s: refused from %s: %s (%s in a row)",
                    charger_id,
                    address,
                    verdict.refusal,
                    failure.in_a_row,
                )
            if failure.in_a_row == limits.repair_after:
                self._listener.authentication_failed(charger_id, failure.in_a_row)
            raise web.HTTPUnauthorized(headers={hdrs.WWW_AUTHENTICATE: 'Basic realm="OCPP"'})
        if self.guard.succeeded(charger_id):
            self._listener.authentication_recovered(charger_id)
        if self._pending_full(charger_id):
            _LOGGER.warning(
                "%s: refused, %s unapproved chargers already wait", charger_id, limits.max_pending
            )
            raise web.HTTPServiceUnavailable
        return verdict

    def _pending_full(self, charger_id: str) -> bool:
        """An unknown id would wait for approval, but the list of those is full."""
        if (
            charger_id in self.sessions
            or self.policy.admission(charger_id) is not Admission.PENDING
        ):
            return False
        waiting = sum(1 for known in self.sessions if known not in self.policy.approved)
        return waiting >= self.security.limits.max_pending

    async def _talk(
        self,
        charger_id: str,
        connection: WebSocketConnection,
        websocket: web.WebSocketResponse,
        request: web.Request,
        verdict: Verdict,
    ) -> None:
        if websocket.ws_protocol is None:
            _LOGGER.warning(
                "%s: refused, offers subprotocols %r; supported: %s",
                charger_id,
                request.headers.get("Sec-WebSocket-Protocol", ""),
                ", ".join(SUBPROTOCOLS),
            )
            await websocket.close()
            return
        if self.policy.admission(charger_id) is Admission.REJECTED:
            await refuse(charger_id, connection, self.settings.pending_retry_interval)
            return
        await self._serve(charger_id, connection, websocket.ws_protocol, verdict)

    async def _serve(
        self,
        charger_id: str,
        connection: WebSocketConnection,
        subprotocol: str,
        verdict: Verdict,
    ) -> None:
        session = self.session(charger_id)
        self._note_credentials_used(charger_id, verdict)
        session.state.security_profile = verdict.profile
        adapter = ADAPTERS[subprotocol](session, connection)
        previous = session.adapter
        if previous is not None:
            _LOGGER.info("%s: new connection replaces the previous one", charger_id)
            await previous.close()
        session.attach(adapter)
        _LOGGER.info("%s: connected (OCPP %s)", charger_id, adapter.ocpp_version)
        watchdog = asyncio.get_running_loop().call_later(
            self.settings.boot_timeout, self._boot_overdue, session, adapter
        )
        try:
            await adapter.run()
        finally:
            watchdog.cancel()
            session.detach(adapter)
            _LOGGER.info("%s: disconnected", charger_id)
            if charger_id not in self.policy.approved and session.adapter is None:
                # A pending charger that left: nothing of it is kept.
                self.sessions.pop(charger_id, None)

    def _note_credentials_used(self, charger_id: str, verdict: Verdict) -> None:
        credentials = self.credentials.get(charger_id)
        if credentials is None or verdict.password is None:
            return
        before = (credentials.state, credentials.previous)
        credentials.used(verdict.password)
        if (credentials.state, credentials.previous) != before:
            self.save_later()

    def _boot_overdue(self, session: ChargerSession, adapter: ChargerAdapter) -> None:
        # Any socket may open a session: one that never boots must not hold it.
        if session.adapter is adapter and not session.identified:
            _LOGGER.warning(
                "%s: no BootNotification within %s s: disconnected",
                session.charger_id,
                self.settings.boot_timeout,
            )
            self._spawn(adapter.close())

    # --- SessionHost -------------------------------------------------------------------

    def state_changed(self, session: ChargerSession) -> None:
        """Forward to the listener."""
        self._listener.charger_updated(session)

    def admission_requested(self, session: ChargerSession) -> None:
        """Forward to the listener."""
        self._listener.admission_requested(session)

    def charger_admitted(self, session: ChargerSession) -> None:
        """Accept all admitted the charger at its boot: from now on it is a known charger."""
        self.policy.approved.add(session.charger_id)
        self._issue_password(session.charger_id)
        self._listener.charger_approved(session)

    def password_needed(self, session: ChargerSession, password: str) -> None:
        """Forward to the listener."""
        self._listener.password_needed(session.charger_id, password)

    async def save_now(self) -> None:
        """Persist at once."""
        await self._persistence.save_now(self.dump())

    def save_later(self) -> None:
        """Persist soon."""
        self._persistence.save_later(self.dump)

    def dump(self) -> dict[str, Any]:
        """Everything that must survive a restart."""
        chargers = dict(self._saved_chargers)
        for charger_id, session in self.sessions.items():
            if charger_id in self.policy.approved:
                chargers[charger_id] = session.as_dict()
        return {
            "ledger": self.ledger.as_dict(),
            "chargers": chargers,
            "credentials": self.credentials.as_dict(),
        }
