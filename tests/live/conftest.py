"""Fixtures: a fake Home Assistant REST API, an OCPP central system, a small scenario."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
import pytest
import pytest_asyncio

from simulator.site.model import ScenarioDay
from simulator.site.scenario import load_scenario
from tests.simulator.conftest import central_system  # noqa: F401 - the same fixture

MINI = Path(__file__).with_name("mini.toml")
TOKEN = "secret-token"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the project-wide autouse fixture: these tests need no Home Assistant."""


@dataclass
class FakeHomeAssistant:
    """Records what the runner posts; answers 401 without the token, `status` otherwise."""

    url: str = ""
    status: int = 200
    config: dict[str, Any] = field(default_factory=lambda: {"time_zone": "Europe/Berlin"})
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    updated: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        """Record a POST /api/states/... or /api/services/..."""
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"message": "Unauthorized"}, status=401)
        body = await request.json()
        self.posts.append((request.path, body))
        if self.status >= 400:
            return web.json_response({"message": "nope"}, status=self.status)
        if request.path.startswith("/api/states/"):
            self.states[request.match_info["tail"]] = body
            self.updated.set()
        return web.json_response({})

    async def handle_config(self, request: web.Request) -> web.Response:
        """Answer GET /api/config (HA's core configuration, here only its time zone)."""
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"message": "Unauthorized"}, status=401)
        return web.json_response(self.config)

    async def wait_for_state(self, entity_id: str, predicate: Callable[[str], bool]) -> None:
        """Wait (5 s at most) until the entity's state satisfies `predicate`."""
        async with asyncio.timeout(5):
            while entity_id not in self.states or not predicate(self.states[entity_id]["state"]):
                self.updated.clear()
                await self.updated.wait()

    def service_calls(self) -> list[tuple[str, dict[str, Any]]]:
        """The services called, in order."""
        return [(path, body) for path, body in self.posts if path.startswith("/api/services/")]


@pytest_asyncio.fixture
async def fake_ha(socket_enabled: None) -> AsyncIterator[FakeHomeAssistant]:
    """A fake HA REST API on 127.0.0.1."""
    fake = FakeHomeAssistant()
    app = web.Application()
    app.router.add_post("/api/states/{tail}", fake.handle)
    app.router.add_post("/api/services/{domain}/{tail}", fake.handle)
    app.router.add_get("/api/config", fake.handle_config)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield fake
    await runner.cleanup()


@pytest.fixture(scope="session")
def mini_days() -> list[ScenarioDay]:
    """The days of tests/live/mini.toml: one wallbox, one car at 12:30, PV, no battery."""
    return load_scenario(MINI)


@pytest.fixture
def mini_day(mini_days: list[ScenarioDay]) -> ScenarioDay:
    """The one day of the small scenario."""
    return mini_days[0]
