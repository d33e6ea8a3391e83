"""Whether an opening WebSocket may become a charger's connection, and at which profile.

Decided from the HTTP request alone, before the WebSocket opens: a refused charger gets
HTTP 401 and nothing is created for it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from enum import StrEnum

from .credentials import ChargerCredentials
from .profile import SecurityProfile

BASIC = "basic"


class Refusal(StrEnum):
    """Why a connection was refused (for the log and the repair)."""

    MALFORMED = "malformed Authorization header"
    WRONG_USER = "user name is not the charge point id"
    WRONG_PASSWORD = "wrong password"  # noqa: S105 - a reason, not a password
    NO_PASSWORD = "no password, but the charger has one"  # noqa: S105
    CERTIFICATE_MISMATCH = "client certificate is not the charger's"
    PROFILE_TOO_LOW = "below the minimum security profile"


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    """What a connection shows: its id (the URL), its credentials and its transport."""

    charger_id: str
    authorization: str | None  # the Authorization header
    tls: bool
    # The common name of a client certificate the TLS layer verified, if any.
    client_name: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """A connection's profile, or why it is refused; which password it used."""

    profile: SecurityProfile | None
    refusal: Refusal | None = None
    password: str | None = None  # "current" or "previous"

    @property
    def accepted(self) -> bool:
        """It may connect."""
        return self.profile is not None


def parse_basic(header: str) -> tuple[str, bytes] | None:
    """(user, password) of an HTTP Basic Authorization header; None when malformed."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != BASIC or not token.strip():
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    user, colon, password = decoded.partition(b":")
    if not colon:
        return None
    # RFC 7617: the user name is UTF-8 where the client says so, else commonly Latin-1.
    return user.decode("utf-8", errors="replace"), password


def authenticate(
    attempt: Attempt, credentials: ChargerCredentials | None, minimum: SecurityProfile
) -> Verdict:
    """Decide a connection.

    A wrong password never passes where one is expected: the charger's is in use, or
    the minimum asks for one. Before that, a charger may bring one its installer set.
    """
    certified = False
    if attempt.client_name is not None:
        if attempt.client_name != attempt.charger_id:
            return Verdict(None, Refusal.CERTIFICATE_MISMATCH)
        certified = attempt.tls
    used = None
    if attempt.authorization is not None:
        basic = parse_basic(attempt.authorization)
        if basic is None:
            return Verdict(None, Refusal.MALFORMED)
        user, password = basic
        if user != attempt.charger_id:
            return Verdict(None, Refusal.WRONG_USER)
        used = credentials.match(password) if credentials is not None else None
        if used is None and (_required(credentials) or minimum >= SecurityProfile.BASIC):
            return Verdict(None, Refusal.WRONG_PASSWORD)
        # Else: a password where none is expected yet (one the installer set), taken as none.
    profile = _reached(attempt.tls, certified=certified, password=used is not None)
    if _required(credentials) and profile is SecurityProfile.NONE:
        return Verdict(None, Refusal.NO_PASSWORD)
    if profile < minimum:
        return Verdict(None, Refusal.PROFILE_TOO_LOW)
    return Verdict(profile, password=used)


def _required(credentials: ChargerCredentials | None) -> bool:
    return credentials is not None and credentials.required


def _reached(tls: bool, *, certified: bool, password: bool) -> SecurityProfile:
    if certified:
        return SecurityProfile.TLS_CLIENT_CERTIFICATE
    if password:
        return SecurityProfile.TLS_BASIC if tls else SecurityProfile.BASIC
    return SecurityProfile.NONE
