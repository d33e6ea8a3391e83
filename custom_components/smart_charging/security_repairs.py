"""The chargers' security repair issues: a password to enter, failed authentications.

A charger that cannot take its password over OCPP (it refused it, installing over OCPP is
off, or it has no password yet to connect with under a minimum of 1 or more) gets an issue
that shows the password for the owner to enter on it. It is raised only where the password
matters: the minimum profile asks for one, or the charger already has to present one. It
goes once the charger connected with it, or the charger is removed.

The issues are not persistent: the password is never written to the issue registry's
file; they are raised again from the stored passwords when the central system starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers import issue_registry as ir

from .central_system.security.credentials import PasswordState
from .central_system.security.profile import SecurityProfile
from .const import DOMAIN

if TYPE_CHECKING:
    from .hub import SmartChargingHub

DOCS_URL = "https://github.com/smart-charging/smart-charging-ocpp/blob/main/docs/security.md"
PASSWORD_NEEDED = "password_needed"  # noqa: S105 - an issue kind, not a password
AUTHENTICATION_FAILED = "authentication_failed"


class SecurityRepairs:
    """Raises and clears the security issues of one central system."""

    def __init__(self, hub: SmartChargingHub) -> None:
        """Start with no issue raised."""
        self.hass = hub.hass
        self.hub = hub
        # The password each password issue shows, by charger id.
        self._shown: dict[str, str] = {}
        self._failing: set[str] = set()

    def _issue_id(self, kind: str, charger_id: str) -> str:
        return f"{kind}_{self.hub.entry.entry_id}_{charger_id}"

    # --- a password to enter -------------------------------------------------------------

    def _password_to_show(self, charger_id: str) -> str | None:
        """The password the owner must enter on the charger, if there is one that matters."""
        central = self.hub.central
        credentials = central.credentials.get(charger_id)
        if credentials is None or charger_id not in central.policy.approved:
            return None
        minimum = central.security.minimum
        if credentials.state is PasswordState.MANUAL:
            by_hand = True
        elif credentials.state is PasswordState.INSTALLING:
            # Not sent over OCPP: installing is off, or the charger has no password to
            # connect with (not even its previous one) under a minimum that asks for one.
            by_hand = not central.settings.install_passwords or (
                minimum >= SecurityProfile.BASIC and credentials.previous is None
            )
        else:
            by_hand = False
        if not by_hand:
            return None
        if minimum < SecurityProfile.BASIC and not credentials.required:
            return None  # The charger may connect without: nothing to do yet.
        return credentials.password

    def update(self, charger_id: str) -> None:
        """Raise, change or clear the charger's password issue as its credentials are."""
        password = self._password_to_show(charger_id)
        shown = self._shown.get(charger_id)
        if password == shown:
            return
        issue_id = self._issue_id(PASSWORD_NEEDED, charger_id)
        # Deleted first: a new password must show even where the owner dismissed the old.
        ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        if password is None:
            del self._shown[charger_id]
            return
        self._shown[charger_id] = password
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            is_persistent=False,
            learn_more_url=DOCS_URL,
            severity=ir.IssueSeverity.WARNING,
            translation_key=PASSWORD_NEEDED,
            translation_placeholders={
                "charger_id": charger_id,
                "user": charger_id,  # HTTP Basic's user name is the charge point id
                "password": password,
            },
        )

    def refresh(self) -> None:
        """Bring every charger's password issue up to date (start, options changed)."""
        for charger_id in sorted(set(self.hub.central.policy.approved) | set(self._shown)):
            self.update(charger_id)

    def password_needed(self, charger_id: str, password: str) -> None:
        """The charger refused its password over OCPP (`password` is in its credentials)."""
        self.update(charger_id)

    # --- failed authentications ----------------------------------------------------------

    def authentication_failed(self, charger_id: str, in_a_row: int) -> None:
        """Tell the owner when one of their chargers keeps failing (not any id a scan tries)."""
        if charger_id not in self.hub.central.policy.approved:
            return
        self._failing.add(charger_id)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id(AUTHENTICATION_FAILED, charger_id),
            is_fixable=False,
            is_persistent=False,
            learn_more_url=DOCS_URL,
            severity=ir.IssueSeverity.WARNING,
            translation_key=AUTHENTICATION_FAILED,
            translation_placeholders={"charger_id": charger_id, "count": str(in_a_row)},
        )

    def authentication_recovered(self, charger_id: str) -> None:
        """The charger authenticated again."""
        if charger_id in self._failing:
            self._failing.discard(charger_id)
            ir.async_delete_issue(
                self.hass, DOMAIN, self._issue_id(AUTHENTICATION_FAILED, charger_id)
            )

    # --- lifecycle -----------------------------------------------------------------------

    def charger_removed(self, charger_id: str) -> None:
        """A removed charger's issues go with it."""
        self.update(charger_id)
        self.authentication_recovered(charger_id)

    def clear(self) -> None:
        """Remove every issue (the central system stopped)."""
        for charger_id in list(self._shown):
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(PASSWORD_NEEDED, charger_id))
        for charger_id in self._failing:
            ir.async_delete_issue(
                self.hass, DOMAIN, self._issue_id(AUTHENTICATION_FAILED, charger_id)
            )
        self._shown.clear()
        self._failing.clear()
