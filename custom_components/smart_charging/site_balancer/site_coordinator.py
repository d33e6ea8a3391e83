"""The push-only coordinator the site entities listen to."""

from __future__ import annotations

from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from ..balancing import Result


class SiteCoordinator(DataUpdateCoordinator[Result | None]):
    """Push-only coordinator of the site entities: updated after every allocation."""
