"""The writer that tests/ha/test_store_kill.py kills: HA's atomic JSON write of our store file.

Run as `python -m tests.ha.store_writer PATH KEY VERSION MINOR_VERSION`: once imported it
prints `ready` and reads the first generation from stdin (so a test can start it ahead of
time), then writes generation after generation of the integration's store file to PATH, each
the way `Store._write_data` writes a store created with `atomic_writes=True` (as
`storage.HubStore` does): `homeassistant.helpers.json.save_json(..., atomic_writes=True)`,
which serialises with orjson and hands the bytes to
`homeassistant.util.file.write_utf8_file_atomic`. Before each write it prints `begin N <time>`,
after it `done N <time>`, so the test knows which generations may be on disk when it kills
the process. It imports nothing of the integration.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from homeassistant.helpers.json import save_json

# Realistic, and large for a store: the ledger keeps 1000 finished transactions.
CHARGERS = 200
FINISHED = 1000


def payload(generation: int) -> dict[str, Any]:
    """The store's data (what HubStore keeps) at `generation`: every value depends on it."""
    chargers = [f"CP-{index:03d}" for index in range(CHARGERS)]
    next_id = 1 + FINISHED + CHARGERS + generation
    started = f"2030-01-01T00:00:{generation % 60:02d}+00:00"
    finished = [
        {
            "transaction_id": 1 + index,
            "charger_id": chargers[index % CHARGERS],
            "connector_id": 1,
            "id_tag": f"TAG-{index:04d}",
            "meter_start": 1000.0 * index,
            "started_at": started,
            "last_meter": 1000.0 * index + generation,
            "meter_stop": 1000.0 * index + generation,
            "stopped_at": started,
            "stop_reason": "EVDisconnected",
            "external_id": None,
            "last_seq_no": None,
            "register": {"offset": 0.0, "last_raw": 1000.0 * index + generation, "last_time": None},
        }
        for index in range(FINISHED)
    ]
    open_transactions = [
        {
            "transaction_id": 1 + FINISHED + index,
            "charger_id": charger_id,
            "connector_id": 1,
            "id_tag": "TAG-OPEN",
            "meter_start": 5000.0,
            "started_at": started,
            "last_meter": 5000.0 + generation,
            "meter_stop": None,
            "stopped_at": None,
            "stop_reason": None,
            "external_id": None,
            "last_seq_no": None,
            "register": {"offset": 0.0, "last_raw": 5000.0 + generation, "last_time": None},
        }
        for index, charger_id in enumerate(chargers)
    ]
    return {
        "central": {
            "ledger": {"next_id": next_id, "open": open_transactions, "finished": finished},
            "chargers": {
                charger_id: {
                    "boot": None,
                    "capabilities": None,
                    "registers": {
                        "1": {"offset": 0.0, "last_raw": 5000.0 + generation, "last_time": None}
                    },
                    "export_registers": {},
                    "limit_purposes": {"tx": "TxProfile"},
                    "available": True,
                    "safe_default_limit": None,
                    "ever_limited": True,
                    "offered_maximum": {},
                }
                for charger_id in chargers
            },
        },
        "settings": {
            charger_id: {
                "1": {"max_current": float(6 + (generation + index) % 26), "priority": index % 3},
                "charger": {"phase_rotation": index % 3},
            }
            for index, charger_id in enumerate(chargers)
        },
    }


def envelope(key: str, version: int, minor_version: int, generation: int) -> dict[str, Any]:
    """The file's content: HA's Store wraps the data with its key and versions."""
    return {
        "version": version,
        "minor_version": minor_version,
        "key": key,
        "data": payload(generation),
    }


def say(line: str) -> None:
    """Tell the test, at once: it may kill this process the next moment."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> None:
    """Write generations until killed."""
    path, key, version, minor_version = argv
    say("ready")
    generation = int(sys.stdin.readline())
    while True:
        content = envelope(key, int(version), int(minor_version), generation)
        say(f"begin {generation} {time.monotonic()}")
        # Store._write_data's call, for a store without an encoder and not private.
        save_json(path, content, False, encoder=None, atomic_writes=True)
        say(f"done {generation} {time.monotonic()}")
        generation += 1


if __name__ == "__main__":
    main(sys.argv[1:])
