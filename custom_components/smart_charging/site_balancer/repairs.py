"""The site's repair issues: the grid meter unavailable, a connector drawing more than allowed."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from ..balancing import LimitReason, Result
from ..const import DOMAIN
from ..meter import SiteMeter

if TYPE_CHECKING:
    from ..coordinator import SmartChargingHub

_LOGGER = logging.getLogger(__name__)


class SiteRepairs:
    """Raises and clears the site's repair issues after each allocation."""

    def __init__(self, hass: HomeAssistant, hub: SmartChargingHub) -> None:
        """Start with no issue raised."""
        self.hass = hass
        self.hub = hub
        self._meter_issue = False
        self._non_compliant: set[str] = set()

    def set_meter_issue(self, failsafe: bool, meter: SiteMeter) -> None:
        """Raise the meter issue when the engine fell back to failsafe, clear it when back."""
        if failsafe == self._meter_issue:
            return
        self._meter_issue = failsafe
        issue_id = f"meter_unavailable_{self.hub.entry.entry_id}"
        if failsafe:
            _LOGGER.warning("Grid meter unavailable: every connector at its failsafe current")
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="meter_unavailable",
                translation_placeholders={"entities": ", ".join(meter.entities)},
            )
        else:
            _LOGGER.info("Grid meter back: balancing against it again")
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def update_compliance(self, result: Result) -> None:
        """Raise an issue for each connector newly non-compliant, clear those compliant again."""
        flagged = {
            key
            for key, allocation in result.allocations.items()
            if allocation.reason is LimitReason.NON_COMPLIANT
        }
        for key in flagged - self._non_compliant:
            _LOGGER.warning("%s draws more than allocated: treated as fixed load", key)
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                f"non_compliant_{key}",
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="non_compliant",
                translation_placeholders={"connector": key},
            )
        for key in self._non_compliant - flagged:
            ir.async_delete_issue(self.hass, DOMAIN, f"non_compliant_{key}")
        self._non_compliant = flagged
