r"""Helpers for scripts/develop: prepare a Home Assistant config dir and wait for it to come up.

Run with the project's .venv Python (it imports Home Assistant):

    python scripts/develop_helper.py prepare --config config --username dev --password dev \\
        [--listen 127.0.0.1] [--set-ocpp-host] [--ocpp-port 9000] [--http-port 8123] \\
        [--scenario home --speed 60]
    python scripts/develop_helper.py wait --pid 1234 --url http://127.0.0.1:8123 \\
        --username dev --password dev --ocpp-host 127.0.0.1 --ocpp-port 9000

`prepare` (HA must not be running) uses Home Assistant's own auth manager and storage classes, the
way onboarding and `hass --script auth` do, so the files it writes are exactly what HA would write:
- an owner/admin user with Home Assistant credentials (password re-set if it changed),
- onboarding marked done (no onboarding wizard),
- a smart_charging config entry in core.config_entries, unless one exists (others are kept):
  its OCPP server listens on the `--listen` address (default 127.0.0.1) and `--ocpp-port`; an
  existing entry keeps its host and port, unless `--set-ocpp-host` moves it to `--listen`,
- on HA 2026.11 and newer, HA's HTTP settings in its storage: serve on `--listen`:`--http-port`
  (older HA reads them from the `http:` block scripts/develop writes into configuration.yaml).
It prints the OCPP host and port of the smart_charging entry on stdout ("HOST PORT").

With `--scenario NAME` (benchmarks/scenarios/NAME.toml, for `python -m simulator.live`) it also
- writes a long-lived access token of the user (client "demo") to <config>/.demo_token (0600),
  replacing the previous one,
- sets the entry's options to balance against the demo sensors the live runner publishes (grid
  limit, safety margin, voltage, max import of the scenario; meter sensor.demo_grid_current_l1-3;
  PV and battery sensors; every charger and idTag accepted),
- stores each scenario charger's settings in the integration's store (phase rotation, station
  maximum, each connector's maximum; other settings are kept),
- for a V2X scenario (v2h): the entry's V2X options too (the objective, export of the cars'
  energy, wear cost), and on each bidirectional connector what its driver sets: Allow discharging
  on, the SoC reserve, a charging mode that lets the car wait (solar, price),
- installs the storage-mode dashboard "Smart charging demo" (/smart-charging-demo, in the
  sidebar), rewritten on every run: edits made in the UI do not survive a prepare.
Without `--scenario`, an entry still balancing against the demo sensors gets the default site
options back (no balancing), so the default simulators run as before.

`wait` polls the running HA: the HTTP API, then a real login (login flow + token), the core state
and the smart_charging config entry state, and the OCPP port (on `--ocpp-host`). Exit codes: 0 the OCPP port accepts
connections; 3 HA is running but the integration did not open its port (reason printed); 1 HA
exited or the timeout expired.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
import importlib
import ipaddress
import json
import logging
import os
from pathlib import Path
import socket
import sys
import time
from typing import Any, cast
import urllib.error
import urllib.parse
import urllib.request

from homeassistant import runner
from homeassistant.auth import auth_manager_from_config
from homeassistant.auth.const import GROUP_ID_ADMIN
from homeassistant.auth.models import TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN, User
from homeassistant.auth.providers import homeassistant as hass_auth
from homeassistant.components.onboarding import STORAGE_KEY, STORAGE_VERSION, OnboardingStorage
from homeassistant.components.onboarding.const import STEPS
from homeassistant.config_entries import ConfigEntryStore
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.storage import Store
from homeassistant.util.ulid import ulid_now

# The repo root is on sys.path (scripts/develop sets PYTHONPATH; running the file directly puts
# scripts/ first, so add the root here too).
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
from custom_components.smart_charging.site_options import default_site_options
from custom_components.smart_charging.v2x_options import default_v2x_options
from scripts.develop_secure import prepare_secure_chargers
from simulator import live
from simulator.site.model import ScenarioDay
from simulator.site.v2x_live import stored_connector_settings

DOMAIN = "smart_charging"
DEFAULT_OCPP_PORT = 9000
DEFAULT_LISTEN = "127.0.0.1"  # HA and the OCPP server: this machine only, unless asked otherwise
CLIENT_ID = "http://localhost:8123/"

ENTRY_DATA: dict[str, Any] = {
    "host": DEFAULT_LISTEN,
    "port": DEFAULT_OCPP_PORT,
    "approved_chargers": [],
}
ENTRY_OPTIONS: dict[str, Any] = {
    "unknown_chargers": "accept_all",
    "id_tag_policy": "accept_all",
    "allowed_id_tags": [],
    "meter_interval": 10,
    "heartbeat_interval": 300,
}

TOKEN_FILE = ".demo_token"  # noqa: S105 (a file name)
TOKEN_CLIENT = "demo"  # noqa: S105 (the token's client name)
TOKEN_LIFETIME = timedelta(days=3650)
DASHBOARDS_KEY = "lovelace_dashboards"
DASHBOARD_ID = "smart_charging_demo"  # HA's slug of the url path, as the UI would create it
DASHBOARD_SITE_HOURS = 6.0  # site hours the demo charts show

# How long the OCPP port may stay closed once HA runs and the config entry is loaded.
LOADED_GRACE = 60

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NO_OCPP = 3


def log(message: str) -> None:
    """Print a progress message on stderr (stdout is kept for machine-readable results)."""
    print(f"develop: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# prepare
# --------------------------------------------------------------------------------------------------
async def _ensure_owner(hass: HomeAssistant, username: str, password: str) -> User:
    """Create (or repair) an owner/admin user with Home Assistant credentials; return it."""
    hass.auth = await auth_manager_from_config(hass, [{"type": "homeassistant"}], [])
    provider = cast("hass_auth.HassAuthProvider", hass.auth.auth_providers[0])
    await provider.async_initialize()
    assert provider.data is not None  # noqa: S101 (set by async_initialize)
    username = provider.data.normalize_username(username)

    known = {provider.data.normalize_username(u["username"]) for u in provider.data.users}
    if username not in known:
        await provider.async_add_auth(username, password)
        log(f"created login '{username}'")
    else:
        try:
            provider.data.validate_login(username, password)
        except hass_auth.InvalidAuth:
            await provider.async_change_password(username, password)
            log(f"password of '{username}' reset to the configured one")

    credentials = await provider.async_get_or_create_credentials({"username": username})
    if credentials.is_new:
        # Same as onboarding's user step: the first user created this way becomes the owner.
        user = await hass.auth.async_create_user(username, group_ids=[GROUP_ID_ADMIN])
        await hass.auth.async_link_user(user, credentials)
        log(f"created user '{username}' (owner: {user.is_owner}, group {GROUP_ID_ADMIN})")
        return user
    existing = await hass.auth.async_get_user_by_credentials(credentials)
    if existing is None:
        raise RuntimeError(f"the credentials of '{username}' belong to no user")
    if not existing.is_admin:
        await hass.auth.async_update_user(existing, group_ids=[GROUP_ID_ADMIN])
        log(f"user '{username}' added to {GROUP_ID_ADMIN}")
    return existing


async def _ensure_onboarded(hass: HomeAssistant) -> None:
    """Mark every onboarding step done."""
    store = OnboardingStorage(hass, STORAGE_VERSION, STORAGE_KEY, private=True)
    data = await store.async_load() or {"done": []}
    if missing := [step for step in STEPS if step not in data["done"]]:
        data["done"] = [*data["done"], *missing]
        await store.async_save(data)
        log(f"onboarding marked done ({', '.join(missing)})")


# Optional V2X options a scenario may have set (v2x_options.py): a reset drops them.
V2X_OPTIONAL = ("import_cap", "import_cap_entity", "export_limit", "grid_signal_entity")


def _demo_options(options: dict[str, Any], day: ScenarioDay | None) -> dict[str, Any]:
    """The entry's options for the scenario; without one, undo a previous scenario's.

    A V2X day's options replace the V2X options (objective, export, wear) as a whole.
    """
    if day is not None:
        if day.v2x is not None:
            kept = {key: value for key, value in options.items() if key not in V2X_OPTIONAL}
            options = {**kept, **default_v2x_options()}
        return {**default_site_options(), **options, **live.demo_site_options(day)}
    if options.get("meter_entities") == list(live.GRID_SENSORS):
        log("the entry balanced against the demo sensors: site options reset (no balancing)")
        optional = ("pv_power_entity", "battery_power_entity", "max_import_power", *V2X_OPTIONAL)
        kept = {key: value for key, value in options.items() if key not in optional}
        return {**kept, **default_site_options(), **default_v2x_options()}
    return options


async def _ensure_config_entry(
    hass: HomeAssistant, day: ScenarioDay | None, new_port: int, host: str, *, set_host: bool
) -> tuple[str, int, str]:
    """Add the smart_charging config entry (on host:new_port) unless one exists.

    An existing entry keeps its host and port; with `set_host` its host becomes `host`.
    Return the entry's host, port and id.
    """
    store = ConfigEntryStore(hass)
    data = await store.async_load() or {"entries": []}
    entries: list[dict[str, Any]] = data["entries"]
    for entry in entries:
        if entry["domain"] == DOMAIN and entry.get("source") != "ignore":
            changed = False
            options = _demo_options(entry.get("options", {}), day)
            if options != entry.get("options"):
                entry["options"] = options
                changed = True
                if day is not None:
                    log(f"{DOMAIN} options set for the {day.name} scenario")
            entry_data: dict[str, Any] = entry.setdefault("data", {})
            if set_host and entry_data.get("host") != host:
                log(f"{DOMAIN} OCPP host: {entry_data.get('host')} -> {host} (--listen)")
                entry_data["host"] = host
                changed = True
            if changed:
                entry["modified_at"] = datetime.now(UTC).isoformat()
                await store.async_save(data)
            entry_host = str(entry_data.get("host", ENTRY_DATA["host"]))
            port = int(entry_data.get("port", DEFAULT_OCPP_PORT))
            return entry_host, port, str(entry["entry_id"])

    now = datetime.now(UTC).isoformat()
    entry_id = ulid_now()
    entries.append(
        {
            "created_at": now,
            "data": {**ENTRY_DATA, "host": host, "port": new_port},
            "discovery_keys": {},
            "disabled_by": None,
            "domain": DOMAIN,
            "entry_id": entry_id,
            "minor_version": 1,
            "modified_at": now,
            "options": _demo_options(ENTRY_OPTIONS, day),
            "pref_disable_new_entities": False,
            "pref_disable_polling": False,
            "source": "user",
            "subentries": [],
            "title": f"OCPP central system :{new_port}",
            "unique_id": str(new_port),
            "version": 1,
        }
    )
    await store.async_save(data)
    log(f"added the {DOMAIN} config entry (OCPP on {host} port {new_port})")
    return host, new_port, entry_id


async def _write_token(hass: HomeAssistant, user: User, path: Path) -> None:
    """Replace the user's "demo" long-lived access token; write it to `path` (mode 0600)."""
    for token in list(user.refresh_tokens.values()):
        if (
            token.client_name == TOKEN_CLIENT
            and token.token_type == TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN
        ):
            hass.auth.async_remove_refresh_token(token)
    refresh_token = await hass.auth.async_create_refresh_token(
        user,
        client_name=TOKEN_CLIENT,
        token_type=TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN,
        access_token_expiration=TOKEN_LIFETIME,
    )
    access_token = hass.auth.async_create_access_token(refresh_token)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(access_token + "\n")
    log(f"long-lived access token '{TOKEN_CLIENT}' written to {path}")


async def _store_charger_settings(hass: HomeAssistant, entry_id: str, day: ScenarioDay) -> None:
    """Put each scenario charger's wiring and maxima in the integration's store.

    A bidirectional connector also gets what its first car's driver sets: discharging allowed,
    the SoC reserve, a mode in which the car waits (`v2x_live.stored_connector_settings`).
    """
    store: Store[dict[str, Any]] = Store(hass, 1, f"{DOMAIN}.{entry_id}", atomic_writes=True)
    data = await store.async_load() or {}
    settings: dict[str, Any] = data.setdefault("settings", {})
    for plan in day.chargers:
        charger: dict[str, Any] = settings.setdefault(plan.charger_id, {})
        charger["charger"] = {
            **charger.get("charger", {}),
            "phase_rotation": plan.phase_rotation,
            "station_max_current": plan.station_max_current,
        }
        for connector_id in range(1, plan.connectors + 1):
            maximum = plan.max_current[min(connector_id, len(plan.max_current)) - 1]
            key = str(connector_id)
            charger[key] = {**charger.get(key, {}), "max_current": maximum}
    for (charger_id, connector_id), stored in stored_connector_settings(day).items():
        connector: dict[str, Any] = settings[charger_id][str(connector_id)]
        connector.update(stored)
        log(f"{charger_id}/{connector_id}: {', '.join(f'{k} {v}' for k, v in stored.items())}")
    await store.async_save(data)


async def _install_dashboard(hass: HomeAssistant, day: ScenarioDay, speed: float) -> None:
    """Add (or rewrite) the demo dashboard: a storage-mode Lovelace dashboard in the sidebar."""
    dashboards: Store[dict[str, Any]] = Store(hass, 1, DASHBOARDS_KEY)
    data = await dashboards.async_load() or {"items": []}
    items = [item for item in data["items"] if item.get("url_path") != live.DASHBOARD_URL_PATH]
    items.append(
        {
            "id": DASHBOARD_ID,
            "icon": "mdi:ev-station",
            "mode": "storage",
            "require_admin": False,
            "show_in_sidebar": True,
            "title": live.DASHBOARD_TITLE,
            "url_path": live.DASHBOARD_URL_PATH,
        }
    )
    await dashboards.async_save({"items": items})
    hours = round(max(DASHBOARD_SITE_HOURS / speed, 0.05), 3)
    config: Store[dict[str, Any]] = Store(hass, 1, f"lovelace.{DASHBOARD_ID}")
    await config.async_save({"config": live.dashboard_config(day, hours, speed)})
    log(f"dashboard '{live.DASHBOARD_TITLE}' at /{live.DASHBOARD_URL_PATH} (charts: {hours} h)")


async def _ensure_http(hass: HomeAssistant, host: str, port: int) -> None:
    """Serve on host:port: HA 2026.11+ keeps this in its HTTP store, as confirmed settings.

    Written as the UI does (pending, then confirmed): an `http:` block in YAML would only be a
    trial that HA reverts after 5 minutes. Older HA reads the YAML block scripts/develop writes.
    """
    try:
        http_config: Any = importlib.import_module("homeassistant.components.http.config")
    except ModuleNotFoundError:
        return
    store_class: Any = getattr(http_config, "HTTPConfigStore", None)
    if store_class is None or not hasattr(store_class, "async_promote_pending"):
        return
    store = store_class(hass)
    await store.async_load()
    wanted = http_config.HTTP_STORAGE_SCHEMA({"server_host": [host], "server_port": port})
    stable = store.stable
    if any(stable.get(key) != value for key, value in wanted.items()):
        await store.async_set_pending(wanted)
        await store.async_promote_pending()
    if not store.yaml_migration_done:
        await store.async_mark_yaml_migration_done()
    log(f"HTTP settings in HA's storage: {host} port {port}")


async def _prepare(args: argparse.Namespace, day: ScenarioDay | None) -> tuple[str, int]:
    config_dir = Path(args.config)
    hass = HomeAssistant(str(config_dir.resolve()))
    try:
        await _ensure_http(hass, args.listen, args.http_port)
        # HA 2026's auth store reads the device registry, which it sets up first.
        setup_registry: Any = getattr(dr, "async_setup", None)
        if setup_registry is not None:
            setup_registry(hass)
        await dr.async_load(hass)
        user = await _ensure_owner(hass, args.username, args.password)
        await _ensure_onboarded(hass)
        host, port, entry_id = await _ensure_config_entry(
            hass, day, args.ocpp_port, args.listen, set_host=args.set_ocpp_host
        )
        if day is None:
            await prepare_secure_chargers(hass, config_dir, entry_id, host)
        else:
            await _write_token(hass, user, config_dir / TOKEN_FILE)
            await _store_charger_settings(hass, entry_id, day)
            await _install_dashboard(hass, day, args.speed)
    finally:
        # The auth store saves with a delay, flushed by the final-write stage of a stop, which a
        # never-started HA skips: mark it running so that async_stop runs the full shutdown.
        logging.getLogger("homeassistant.core").setLevel(logging.WARNING)
        hass.set_state(CoreState.running)
        await hass.async_stop()
    return host, port


def _hass_event_loop() -> asyncio.AbstractEventLoop:
    """An event loop set up as HA's own (its executor, exception handler)."""
    create: Any = getattr(runner, "create_event_loop", None)  # HA 2026.10+
    if create is not None:
        loop: asyncio.AbstractEventLoop = create(debug=False)
        return loop
    # HA < 2026.10 (its policy is gone since).
    policy: Any = getattr(runner, "HassEventLoopPolicy")  # noqa: B009
    return cast("asyncio.AbstractEventLoop", policy(debug=False).new_event_loop())


def cmd_prepare(args: argparse.Namespace) -> int:
    """Prepare the config dir; print the OCPP host and port ("HOST PORT")."""
    day = None
    if args.scenario:
        days = live.load_days(args.scenario)
        day = days[args.day % len(days)]
    host, port = asyncio.run(_prepare(args, day), loop_factory=_hass_event_loop)
    print(host, port)
    return EXIT_OK


# --------------------------------------------------------------------------------------------------
# wait
# --------------------------------------------------------------------------------------------------
class HttpError(Exception):
    """A request to Home Assistant failed."""


def _request(
    url: str,
    *,
    data: dict[str, Any] | None = None,
    form: dict[str, str] | None = None,
    token: str | None = None,
) -> Any:
    """Send a GET (or a POST with a JSON or form body) and decode the JSON answer."""
    headers = {"Accept": "application/json"}
    body = None
    if data is not None:
        body = json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        body = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if not url.startswith(("http://", "https://")):
        raise HttpError(f"not an http URL: {url}")
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 (checked above)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read() or b"null")
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise HttpError(f"{url}: {err}") from err


def login(base_url: str, username: str, password: str) -> str:
    """Log in like the frontend does (login flow, then token); return an access token."""
    flow = _request(
        f"{base_url}/auth/login_flow",
        data={
            "client_id": CLIENT_ID,
            "handler": ["homeassistant", None],
            "redirect_uri": f"{CLIENT_ID}?auth_callback=1",
        },
    )
    result = _request(
        f"{base_url}/auth/login_flow/{flow['flow_id']}",
        data={"username": username, "password": password, "client_id": CLIENT_ID},
    )
    if result.get("type") != "create_entry":
        raise HttpError(f"login refused: {result.get('errors') or result}")
    tokens = _request(
        f"{base_url}/auth/token",
        form={"grant_type": "authorization_code", "code": result["result"], "client_id": CLIENT_ID},
    )
    return str(tokens["access_token"])


def onboarding_status(base_url: str) -> str:
    """Describe the onboarding state; HA serves /api/onboarding only while steps are pending."""
    try:
        steps = _request(f"{base_url}/api/onboarding")
    except HttpError as err:
        if "404" in str(err):
            return "done (no wizard)"
        return f"unknown ({err})"
    pending = [step["step"] for step in steps if not step["done"]]
    return f"NOT done: {pending}" if pending else "done (no wizard)"


def port_open(host: str, port: int) -> bool:
    """Return whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    """Return whether the process exists (and is not a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def cmd_wait(args: argparse.Namespace) -> int:
    """Wait for HA, log in, then wait for the OCPP port (see the module docstring)."""
    started = time.monotonic()
    deadline = started + args.timeout
    token: str | None = None
    http_up = False
    last_state = None
    loaded_since: float | None = None

    def elapsed() -> str:
        return f"{time.monotonic() - started:.0f} s"

    while time.monotonic() < deadline:
        if not pid_alive(args.pid):
            log(
                f"Home Assistant exited after {elapsed()} (see the log above / config/home-assistant.log)"
            )
            return EXIT_FAILED
        if not http_up:
            try:
                _request(f"{args.url}/auth/providers")
            except HttpError:
                time.sleep(1)
                continue
            http_up = True
            log(f"HTTP up after {elapsed()}; onboarding {onboarding_status(args.url)}")
        if token is None:
            try:
                token = login(args.url, args.username, args.password)
            except HttpError as err:
                log(f"login as '{args.username}' failed: {err}")
                return EXIT_FAILED
            log(f"login as '{args.username}' works")

        if port_open(args.ocpp_host, args.ocpp_port):
            log(f"OCPP central system listening on port {args.ocpp_port} after {elapsed()}")
            return EXIT_OK

        try:
            core = _request(f"{args.url}/api/config", token=token)
            entries = _request(
                f"{args.url}/api/config/config_entries/entry?domain={DOMAIN}", token=token
            )
        except HttpError:
            time.sleep(1)
            continue
        state = entries[0]["state"] if entries else "missing"
        reason = entries[0].get("reason") if entries else None
        if (state, reason) != last_state:
            last_state = (state, reason)
            log(f"{DOMAIN} config entry: {state}" + (f" ({reason})" if reason else ""))
        running = core.get("state") == "RUNNING"
        if running and state == "loaded" and loaded_since is None:
            loaded_since = time.monotonic()
        if (
            state in {"setup_error", "migration_error", "failed_unload", "missing"}
            or (running and state == "not_loaded")
            or (loaded_since is not None and time.monotonic() - loaded_since > LOADED_GRACE)
        ):
            log(
                f"the {DOMAIN} integration is not running (entry {state}); HA is up without the "
                f"OCPP server. Check the log (custom_components.{DOMAIN} logs at debug)."
            )
            return EXIT_NO_OCPP
        time.sleep(1)

    log(f"timed out after {elapsed()}")
    return EXIT_NO_OCPP if token else EXIT_FAILED


def ip_address(text: str) -> str:
    """An IPv4 or IPv6 address (argparse type), in its normal form."""
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not an IP address: {text!r}") from err


def main() -> int:
    """Parse the command line and run a sub-command."""
    parser = argparse.ArgumentParser(description="Helpers for scripts/develop.")
    sub = parser.add_subparsers(dest="command", required=True)

    prepare = sub.add_parser("prepare", help="prepare the config dir (HA must be stopped)")
    prepare.add_argument("--config", required=True)
    prepare.add_argument("--username", required=True)
    prepare.add_argument("--password", required=True)
    prepare.add_argument(
        "--ocpp-port",
        type=int,
        default=DEFAULT_OCPP_PORT,
        help=f"OCPP port of a new config entry (default {DEFAULT_OCPP_PORT})",
    )
    prepare.add_argument(
        "--http-port", type=int, default=8123, help="the port HA serves on (HA 2026.11+)"
    )
    prepare.add_argument(
        "--listen",
        type=ip_address,
        default=DEFAULT_LISTEN,
        help=f"the address HA (2026.11+) serves on and a new entry's OCPP host "
        f"(default {DEFAULT_LISTEN})",
    )
    prepare.add_argument(
        "--set-ocpp-host",
        action="store_true",
        help="also move an existing entry's OCPP host to --listen",
    )
    prepare.add_argument("--scenario", help="set up the live demo of this scenario")
    prepare.add_argument("--day", type=int, default=0, help="the scenario's day (default 0)")
    prepare.add_argument(
        "--speed",
        type=live.parse_speed,
        default=1.0,
        help="the live run's speed (sizes the charts)",
    )
    prepare.set_defaults(func=cmd_prepare)

    wait = sub.add_parser("wait", help="wait for HA and the OCPP port")
    wait.add_argument("--pid", type=int, required=True)
    wait.add_argument("--url", required=True)
    wait.add_argument("--username", required=True)
    wait.add_argument("--password", required=True)
    wait.add_argument("--ocpp-host", default="127.0.0.1", help="where to reach the OCPP server")
    wait.add_argument("--ocpp-port", type=int, default=DEFAULT_OCPP_PORT)
    wait.add_argument("--timeout", type=float, default=600)
    wait.set_defaults(func=cmd_wait)

    args = parser.parse_args()
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
