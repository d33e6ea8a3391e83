"""The security repairs: a password to enter on a charger, a charger failing to authenticate.

Driven at the hub (the central system's listener calls and the credentials set directly);
tests/ha/test_security.py has them end to end with simulated chargers.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.central_system.security.credentials import (
    ChargerCredentials,
    PasswordState,
)
from custom_components.smart_charging.const import (
    CONF_INSTALL_PASSWORDS,
    CONF_MINIMUM_SECURITY_PROFILE,
    DOMAIN,
)
from custom_components.smart_charging.hub import SmartChargingHub
from tests.helpers import TEST_ENTRY_ID, hub_of

CHARGER = "CP-1"
PASSWORD_ISSUE = f"password_needed_{TEST_ENTRY_ID}_{CHARGER}"
FAILED_ISSUE = f"authentication_failed_{TEST_ENTRY_ID}_{CHARGER}"


@pytest.fixture
def approved_chargers() -> list[str]:
    """One approved charger (it gets its password to install at start)."""
    return [CHARGER]


def _issue(hass: HomeAssistant, issue_id: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id)


def _credentials(hub: SmartChargingHub) -> ChargerCredentials:
    credentials = hub.central.credentials.get(CHARGER)
    assert credentials is not None
    return credentials


async def _set_options(hass: HomeAssistant, entry: MockConfigEntry, **changes: Any) -> None:
    hass.config_entries.async_update_entry(entry, options={**entry.options, **changes})
    await hass.async_block_till_done()


async def test_password_shown_once_it_matters(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A refused password is shown when the minimum asks for one, until the charger uses it."""
    entry = init_integration
    hub = hub_of(entry)
    credentials = _credentials(hub)
    assert credentials.state is PasswordState.INSTALLING

    # Refused over OCPP while chargers may connect without: nothing to do yet.
    credentials.state = PasswordState.MANUAL
    hub.password_needed(CHARGER, credentials.password)
    assert _issue(hass, PASSWORD_ISSUE) is None

    await _set_options(hass, entry, **{CONF_MINIMUM_SECURITY_PROFILE: "basic"})
    issue = _issue(hass, PASSWORD_ISSUE)
    assert issue is not None
    assert issue.translation_key == "password_needed"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert issue.translation_placeholders == {
        "charger_id": CHARGER,
        "user": CHARGER,
        "password": credentials.password,
    }
    # Never written to the issue registry's file.
    assert not issue.is_persistent
    assert credentials.password not in str(issue.to_json())

    # The charger connected with it.
    credentials.state = PasswordState.ACTIVE
    hub.charger_updated(hub.central.session(CHARGER))
    assert _issue(hass, PASSWORD_ISSUE) is None


async def test_password_shown_at_once_where_the_charger_needs_one(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A rotation refused by a charger that uses a password: shown whatever the minimum."""
    hub = hub_of(init_integration)
    credentials = _credentials(hub)
    credentials.state = PasswordState.MANUAL
    credentials.previous = "0" * 40  # the one it still uses
    credentials.previous_required = True
    assert credentials.required
    hub.password_needed(CHARGER, credentials.password)
    issue = _issue(hass, PASSWORD_ISSUE)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["password"] == credentials.password

    # Lowering nothing changes it: the charger must present a password anyway.
    hub.security_repairs.refresh()
    assert _issue(hass, PASSWORD_ISSUE) is not None


async def test_installing_off_shows_the_password(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Installing over OCPP off and a minimum of 1: the owner enters each password by hand.

    With installing on, too, where the charger has no password yet to connect with.
    """
    entry = init_integration
    await _set_options(
        hass,
        entry,
        **{CONF_MINIMUM_SECURITY_PROFILE: "basic", CONF_INSTALL_PASSWORDS: False},
    )
    issue = _issue(hass, PASSWORD_ISSUE)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["password"] == _credentials(hub_of(entry)).password

    # On again: still shown while the charger has no password to connect with ...
    await _set_options(hass, entry, **{CONF_INSTALL_PASSWORDS: True})
    assert _issue(hass, PASSWORD_ISSUE) is not None
    # ... but not where it connects with its old one and gets the new one over OCPP.
    credentials = _credentials(hub_of(entry))
    credentials.previous = "0" * 40
    hub_of(entry).security_repairs.refresh()
    assert _issue(hass, PASSWORD_ISSUE) is None
    credentials.previous = None

    # Back to no minimum: it does not matter any more.
    await _set_options(hass, entry, **{CONF_INSTALL_PASSWORDS: False})
    assert _issue(hass, PASSWORD_ISSUE) is not None
    await _set_options(hass, entry, **{CONF_MINIMUM_SECURITY_PROFILE: "none"})
    assert _issue(hass, PASSWORD_ISSUE) is None


async def test_rotated_password_replaces_the_shown_one(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A new password shows even where the owner dismissed the notice of the old one."""
    entry = init_integration
    hub = hub_of(entry)
    await _set_options(
        hass,
        entry,
        **{CONF_MINIMUM_SECURITY_PROFILE: "basic", CONF_INSTALL_PASSWORDS: False},
    )
    old = _credentials(hub).password
    ir.async_get(hass).async_ignore(DOMAIN, PASSWORD_ISSUE, True)
    issue = _issue(hass, PASSWORD_ISSUE)
    assert issue is not None
    assert issue.dismissed_version is not None

    hub.rotate_password(CHARGER)
    new = _credentials(hub).password
    assert new != old
    issue = _issue(hass, PASSWORD_ISSUE)
    assert issue is not None
    assert issue.dismissed_version is None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["password"] == new


async def test_failed_authentication(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A known charger failing in a row is told (no password in it); any other id is not."""
    hub = hub_of(init_integration)
    hub.authentication_failed("CP-SCAN", 5)
    assert not [
        issue for (domain, _), issue in ir.async_get(hass).issues.items() if domain == DOMAIN
    ]

    hub.authentication_failed(CHARGER, 5)
    issue = _issue(hass, FAILED_ISSUE)
    assert issue is not None
    assert issue.translation_key == "authentication_failed"
    assert issue.translation_placeholders == {"charger_id": CHARGER, "count": "5"}
    assert _credentials(hub).password not in str(issue.translation_placeholders)

    hub.authentication_recovered("CP-SCAN")
    hub.authentication_recovered(CHARGER)
    assert _issue(hass, FAILED_ISSUE) is None


async def test_removed_charger_takes_its_issues(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Deleting a charger's device clears its notices."""
    entry = init_integration
    hub = hub_of(entry)
    await _set_options(
        hass,
        entry,
        **{CONF_MINIMUM_SECURITY_PROFILE: "basic", CONF_INSTALL_PASSWORDS: False},
    )
    hub.authentication_failed(CHARGER, 5)
    assert _issue(hass, PASSWORD_ISSUE) is not None
    assert _issue(hass, FAILED_ISSUE) is not None

    await hub.async_remove_charger(CHARGER)
    assert _issue(hass, PASSWORD_ISSUE) is None
    assert _issue(hass, FAILED_ISSUE) is None
    assert hub.central.credentials.get(CHARGER) is None


async def test_issues_follow_a_restart(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Unloaded: gone; loaded again: the password notice is back from the stored password."""
    entry = init_integration
    await _set_options(
        hass,
        entry,
        **{CONF_MINIMUM_SECURITY_PROFILE: "basic", CONF_INSTALL_PASSWORDS: False},
    )
    password = _credentials(hub_of(entry)).password
    hub_of(entry).authentication_failed(CHARGER, 5)

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, PASSWORD_ISSUE) is None
    assert _issue(hass, FAILED_ISSUE) is None

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    issue = _issue(hass, PASSWORD_ISSUE)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["password"] == password
    assert _issue(hass, FAILED_ISSUE) is None
