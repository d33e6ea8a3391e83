"""Each charger's HTTP Basic password: generated here, installed over OCPP, kept in storage.

A password is required once the charger uses it: from its first connection with it, or
at once where the charger said it will (a 2.x station's BasicAuthPassword, a 1.6 charger
that took the key on a profile 1 connection or its SecurityProfile 1). One it only stored
(a 1.6 charger without the security extension, one the user types in) is required from
its first use, so no charger is locked out by a password it never sends. A rotation keeps
the old password valid until the new one is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import hmac
import secrets
from typing import Any

# 20 random bytes as 40 hex digits: within 1.6's AuthorizationKey and 2.x's BasicAuthPassword
# (16-40 characters), and valid whether a charger takes the key as text or as hex.
PASSWORD_BYTES = 20


class PasswordState(StrEnum):
    """Where a charger's password is."""

    INSTALLING = "installing"  # generated; goes to the charger at its next setup
    INSTALLED = "installed"  # it took it and will use it from its next connection
    STORED = "stored"  # it took it, but may not send it yet
    MANUAL = "manual"  # it cannot take it over OCPP: the user enters it
    ACTIVE = "active"  # a connection used it


_REQUIRED = frozenset({PasswordState.INSTALLED, PasswordState.ACTIVE})


def new_password() -> str:
    """A fresh password."""
    return secrets.token_hex(PASSWORD_BYTES)


def _same(given: bytes, password: str) -> bool:
    """`given` is the password, as text or (a charger that took the key as hex) its bytes."""
    text = hmac.compare_digest(given, password.encode())
    raw = hmac.compare_digest(given, bytes.fromhex(password)) if _is_hex(password) else False
    return text or raw


def _is_hex(password: str) -> bool:
    try:
        bytes.fromhex(password)
    except ValueError:
        return False
    return True


@dataclass(slots=True)
class ChargerCredentials:
    """One charger's password, where it is, and the one before a rotation."""

    password: str
    state: PasswordState = PasswordState.INSTALLING
    previous: str | None = None
    # The previous one was in use: a password stays required while it is valid.
    previous_required: bool = False

    @property
    def required(self) -> bool:
        """A connection must present a password (the charger has one)."""
        return self.state in _REQUIRED or (self.previous is not None and self.previous_required)

    def used(self, which: str) -> None:
        """A connection authenticated with `which` ("current" or "previous")."""
        if which == "current":
            self.state = PasswordState.ACTIVE
            self.previous = None
            self.previous_required = False

    def match(self, given: bytes) -> str | None:
        """Which password `given` is: "current", "previous" or None."""
        if _same(given, self.password):
            return "current"
        if self.previous is not None and _same(given, self.previous):
            return "previous"
        return None

    def as_dict(self) -> dict[str, Any]:
        """What is stored."""
        return {
            "password": self.password,
            "state": self.state.value,
            "previous": self.previous,
            "previous_required": self.previous_required,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChargerCredentials:
        """Restore what `as_dict` stored."""
        return cls(
            password=str(data["password"]),
            state=PasswordState(data.get("state", PasswordState.INSTALLING)),
            previous=data.get("previous"),
            previous_required=bool(data.get("previous_required", data.get("previous"))),
        )


class CredentialBook:
    """Every charger's credentials, by charge point id."""

    def __init__(self) -> None:
        """Start empty; `load` restores."""
        self._by_id: dict[str, ChargerCredentials] = {}

    def get(self, charger_id: str) -> ChargerCredentials | None:
        """A charger's credentials, if it has any."""
        return self._by_id.get(charger_id)

    def issue(self, charger_id: str) -> ChargerCredentials:
        """A new password to install; the one the charger may use stays valid until then.

        That is the old one, unless it never left here (INSTALLING): then the one before.
        """
        old = self._by_id.get(charger_id)
        credentials = ChargerCredentials(password=new_password())
        if old is not None:
            if old.state is PasswordState.INSTALLING:
                credentials.previous, credentials.previous_required = (
                    old.previous,
                    old.previous_required,
                )
            else:
                credentials.previous = old.password
                credentials.previous_required = old.state in _REQUIRED
        self._by_id[charger_id] = credentials
        return credentials

    def ensure(self, charger_id: str) -> ChargerCredentials:
        """The charger's credentials, issued now if it has none."""
        return self._by_id.get(charger_id) or self.issue(charger_id)

    def secrets(self) -> list[str]:
        """Every password known, current and previous (for the log's redaction)."""
        found: list[str] = []
        for credentials in self._by_id.values():
            found.append(credentials.password)
            if credentials.previous:
                found.append(credentials.previous)
        return found

    def forget(self, charger_id: str) -> None:
        """Drop a removed charger's password."""
        self._by_id.pop(charger_id, None)

    def as_dict(self) -> dict[str, Any]:
        """What is stored, by charge point id."""
        return {charger_id: c.as_dict() for charger_id, c in sorted(self._by_id.items())}

    def load(self, data: dict[str, Any]) -> None:
        """Restore what `as_dict` stored."""
        self._by_id = {
            charger_id: ChargerCredentials.from_dict(saved) for charger_id, saved in data.items()
        }
