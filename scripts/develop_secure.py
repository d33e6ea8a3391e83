"""`scripts/develop`'s chargers on security profiles 1 and 2 (used by develop_helper prepare).

SEC-P1 connects over ws:// with its HTTP Basic password (profile 1), SEC-P2 over wss:// with
a throw-away certificate made here (profile 2). Both are approved and their passwords put in
the integration's store, so they are in use from the first connection on. The rest of the
demo stays on profile 0: the simulator keeps no password across its restarts, so the demo
installs none (the option) and forgets any it installed before.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import hashlib
from pathlib import Path
from typing import Any

from cryptography import x509
from homeassistant.config_entries import ConfigEntryStore
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from custom_components.smart_charging.const import (
    CONF_APPROVED_CHARGERS,
    CONF_INSTALL_PASSWORDS,
    CONF_TLS_CERTIFICATE,
    CONF_TLS_KEY,
    CONF_TLS_PORT,
    DEFAULT_TLS_PORT,
    DOMAIN,
)
from simulator.pki import Pki

PROFILE_1 = "SEC-P1"
PROFILE_2 = "SEC-P2"
TLS_DIR = "ocpp-tls"  # in the config dir
ARGS_FILE = ".secure_simulators"  # in the config dir: the simulator's arguments, one a line


def dev_password(charger_id: str) -> str:
    """The same 40 hex digits on every run: a development password, nothing secret."""
    return hashlib.sha256(f"smart-charging-develop:{charger_id}".encode()).hexdigest()[:40]


def _tls_files(config_dir: Path) -> tuple[str, str, str]:
    """The CA, the server certificate and its key; made again when gone or near expiry."""
    directory = config_dir / TLS_DIR
    ca, certificate, key = (directory / name for name in ("ca.crt", "server.crt", "server.key"))
    if certificate.is_file() and ca.is_file() and key.is_file():
        expires = x509.load_pem_x509_certificate(certificate.read_bytes()).not_valid_after_utc
        if expires > datetime.now(UTC) + timedelta(days=1):
            return str(ca), str(certificate), str(key)
    directory.mkdir(parents=True, exist_ok=True)
    pki = Pki(directory)
    issued = pki.issue("server", "localhost", server=True, valid_days=365)
    return pki.ca, issued.certificate, issued.key


def _url_host(listen: str) -> str:
    """Where the simulator reaches a server listening on `listen` (IPv6 in brackets)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(listen, listen)
    return f"[{host}]" if ":" in host else host


async def prepare_secure_chargers(
    hass: HomeAssistant, config_dir: Path, entry_id: str, listen: str
) -> None:
    """TLS in the entry's options, the two chargers approved with their passwords stored.

    Writes the simulator's `--secure-charger` arguments to ARGS_FILE.
    """
    ca, certificate, key = _tls_files(config_dir)
    entries = ConfigEntryStore(hass)
    data = await entries.async_load() or {"entries": []}
    tls_port = DEFAULT_TLS_PORT
    for entry in data["entries"]:
        if entry["entry_id"] != entry_id:
            continue
        options: dict[str, Any] = entry.setdefault("options", {})
        options[CONF_INSTALL_PASSWORDS] = False
        options.setdefault(CONF_TLS_CERTIFICATE, certificate)
        options.setdefault(CONF_TLS_KEY, key)
        tls_port = int(options.setdefault(CONF_TLS_PORT, DEFAULT_TLS_PORT))
        approved: list[str] = entry["data"].setdefault(CONF_APPROVED_CHARGERS, [])
        approved.extend(cid for cid in (PROFILE_1, PROFILE_2) if cid not in approved)
    await entries.async_save(data)
    store: Store[dict[str, Any]] = Store(hass, 1, f"{DOMAIN}.{entry_id}", atomic_writes=True)
    stored = await store.async_load() or {}
    credentials: dict[str, Any] = {}
    stored.setdefault("central", {})["credentials"] = credentials
    for charger_id in (PROFILE_1, PROFILE_2):
        credentials[charger_id] = {
            "password": dev_password(charger_id),
            "state": "active",
            "previous": None,
        }
    await store.async_save(stored)
    lines = [
        "--secure-charger",
        f"{PROFILE_1}:1:3:16,password={dev_password(PROFILE_1)}",
        "--secure-charger",
        f"{PROFILE_2}:1:3:16,password={dev_password(PROFILE_2)},"
        f"url=wss://{_url_host(listen)}:{tls_port},ca={ca}",
    ]
    (config_dir / ARGS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
