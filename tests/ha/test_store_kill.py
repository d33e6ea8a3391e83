"""HA killed hard (SIGKILL) while it writes the store: the file is never torn, the next start resumes.

The store (`storage.HubStore`) is an HA `Store` with `atomic_writes=True`. A writer process
(`tests/ha/store_writer.py`) writes generation after generation of a realistic, large store file
(900 kB: the ledger's 1000 finished transactions, 200 chargers) with HA's own atomic JSON write,
and is killed with SIGKILL at random moments (seeded), most of them inside a write. After each
kill the file must be the last generation written or the one being written, complete, and the
integration's loader (`HubStore.async_load`, HA's `Store` reading the file from disk) must read
exactly that generation. Then the integration starts from that file and resumes: ids go on
from the ledger, the open sessions, registers and user settings are back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
import os
from pathlib import Path
import random
import signal
import statistics
import sys
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util.json import load_json
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.const import DOMAIN
from custom_components.smart_charging.storage import (
    STORAGE_MINOR_VERSION,
    STORAGE_VERSION,
    HubStore,
)
from tests.ha.store_writer import CHARGERS, FINISHED, envelope, payload
from tests.helpers import TEST_ENTRY_ID, hub_of

# HA's own loader, before pytest-homeassistant-custom-component replaces it with its in-memory
# store for each test: this module reads the file from disk, as HA does at startup.
_DISK_LOAD = Store._async_load

KILLS = 12
AHEAD = 2  # writers started ahead of their turn
SEED = 20260607
REPOSITORY = Path(__file__).resolve().parents[2]
KEY = f"{DOMAIN}.{TEST_ENTRY_ID}"
# Without pytest-cov's variables: a writer is no code of ours, and measuring it makes its
# start (repeated a dozen times) slow.
WRITER_ENVIRONMENT = {
    **{name: value for name, value in os.environ.items() if not name.startswith("COV_CORE_")},
    "PYTHONPATH": str(REPOSITORY),
}


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Iterator[Path]:
    """A config dir of this test's own: stores created now keep their file in its `.storage`."""
    shared = hass.config.config_dir
    hass.config.config_dir = str(tmp_path)
    (tmp_path / ".storage").mkdir()
    yield tmp_path
    hass.config.config_dir = shared


@pytest.fixture
def approved_chargers() -> list[str]:
    """Two chargers of the store file are known to the entry, so they get coordinators."""
    return ["CP-000", "CP-001"]


@contextmanager
def store_reads_from_disk() -> Iterator[None]:
    """Stores load their file from disk (the test harness keeps them in memory otherwise)."""
    with patch.object(Store, "_async_load", _DISK_LOAD):
        yield


def generation_of(content: dict[str, Any]) -> int:
    """The generation a store file holds (its ledger's next id counts them)."""
    next_id: int = content["data"]["central"]["ledger"]["next_id"]
    return next_id - (1 + FINISHED + CHARGERS)


@dataclass
class Kill:
    """What the writer said before it was killed."""

    begun: list[int]
    done: list[int]
    durations: list[float]

    @property
    def inside_a_write(self) -> bool:
        """Killed between the start and the end of a write."""
        return bool(self.begun) and (not self.done or self.begun[-1] > self.done[-1])


async def start_writer(path: Path) -> asyncio.subprocess.Process:
    """Start a writer; it imports HA's JSON helpers, then waits for its first generation."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.ha.store_writer",
        str(path),
        KEY,
        str(STORAGE_VERSION),
        str(STORAGE_MINOR_VERSION),
        cwd=REPOSITORY,
        env=WRITER_ENVIRONMENT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )


async def write_and_kill(
    process: asyncio.subprocess.Process, first: int, rng: random.Random, typical: float
) -> Kill:
    """Let the writer go from generation `first`; SIGKILL it at a random moment."""
    assert process.stdin is not None
    assert process.stdout is not None
    # Kill during the write of generation first + 0..3: some after a start from nothing.
    target = first + rng.randint(0, 3)
    lines: list[str] = []
    try:
        async with asyncio.timeout(20):
            assert (await process.stdout.readline()).decode() == "ready\n"
            process.stdin.write(f"{first}\n".encode())
            await process.stdin.drain()
            while True:
                line = (await process.stdout.readline()).decode()
                assert line, "the writer stopped by itself"
                lines.append(line)
                if line.split()[:2] == ["begin", str(target)]:
                    break
        # A random moment within about one write: most kills land inside it.
        await asyncio.sleep(rng.uniform(0, 1.3 * typical))
    finally:
        await kill(process)
    lines.extend((await process.stdout.read()).decode().splitlines())
    assert process.returncode == -signal.SIGKILL
    begun: dict[int, float] = {}
    done: dict[int, float] = {}
    for line in lines:
        event, generation, at = line.split()
        (begun if event == "begin" else done)[int(generation)] = float(at)
    return Kill(
        begun=sorted(begun),
        done=sorted(done),
        durations=[done[generation] - begun[generation] for generation in done],
    )


async def kill(process: asyncio.subprocess.Process) -> None:
    """SIGKILL, as the OOM killer or `kill -9` would; wait until it is gone."""
    if process.returncode is None:
        process.kill()
    await process.wait()


async def check_file(hass: HomeAssistant, path: Path, before: int | None, kill: Kill) -> int | None:
    """The file after a kill; return the generation it holds (None: no file yet)."""
    # Either what was there before the write that was cut, or that write, complete.
    last_done = kill.done[-1] if kill.done else before
    possible = {last_done, *kill.begun[-1:]} - {None}
    if not path.exists():
        assert before is None
        assert not kill.done
        return None
    content = await hass.async_add_executor_job(load_json, path)  # never a decode error
    assert isinstance(content, dict)
    generation = generation_of(content)
    assert generation in possible, (generation, possible)
    assert content == envelope(KEY, STORAGE_VERSION, STORAGE_MINOR_VERSION, generation)

    # The integration's loader reads it: HubStore over HA's Store, from disk.
    store = HubStore(hass, TEST_ENTRY_ID)
    with store_reads_from_disk():
        await store.async_load()
    expected = payload(generation)
    assert await store.load() == expected["central"]
    assert store.settings == expected["settings"]
    return generation


async def test_store_survives_sigkill_during_writes_and_resumes(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, config_dir: Path
) -> None:
    """Killed at random moments: always the previous or the new file, complete; then it resumes."""
    storage = config_dir / ".storage"
    path = storage / KEY
    assert Path(hass.config.path(".storage", KEY)) == path  # where HubStore looks
    rng = random.Random(SEED)  # noqa: S311 - reproducible moments, not a secret
    on_disk: int | None = None  # the generation in the file (None: no file yet)
    durations: list[float] = []
    kills: list[Kill] = []
    # Writers start ahead and import meanwhile (HA's helpers take a second on Python 3.14).
    writers = [await start_writer(path) for _ in range(AHEAD)]
    try:
        for index in range(KILLS):
            if index + AHEAD < KILLS:
                writers.append(await start_writer(path))
            first = 0 if on_disk is None else on_disk + 1
            typical = statistics.median(durations) if durations else 0.01
            kills.append(await write_and_kill(writers[index], first, rng, typical))
            durations.extend(kills[-1].durations)
            on_disk = await check_file(hass, path, on_disk, kills[-1])
    finally:
        for writer in writers:
            await kill(writer)

    assert on_disk is not None
    # The random moments did hit writes in progress, or this test proved nothing.
    assert any(cut.inside_a_write for cut in kills)
    # HA moves a file it cannot decode aside as `.corrupt.<time>`: it never had to.
    assert not [file.name for file in storage.iterdir() if ".corrupt." in file.name]

    # The next start: the integration sets up from that file and goes on where it stopped.
    expected = payload(on_disk)
    mock_config_entry.add_to_hass(hass)
    with store_reads_from_disk():
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    try:
        assert mock_config_entry.state is ConfigEntryState.LOADED
        hub = hub_of(mock_config_entry)
        assert hub.central.ledger.next_id == expected["central"]["ledger"]["next_id"]
        assert len(hub.central.ledger.open_transactions()) == CHARGERS
        connector = hub.coordinators["CP-001"].data.connector(1)
        open_on_cp001 = expected["central"]["ledger"]["open"][1]
        assert connector.transaction_id == open_on_cp001["transaction_id"]
        assert connector.energy == 5000.0 + on_disk
        settings = hub.connector_settings("CP-001", 1)
        assert settings.max_current == expected["settings"]["CP-001"]["1"]["max_current"]
        assert settings.priority == 1
        assert hub.charger_settings("CP-001").phase_rotation == 1
    finally:
        await hass.config_entries.async_unload(mock_config_entry.entry_id)
        await hass.async_block_till_done()
