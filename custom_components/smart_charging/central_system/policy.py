"""Who may connect and which idTags are authorised."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class UnknownChargerPolicy(StrEnum):
    """What to do with a charge point id that is not approved yet."""

    ASK = "ask"
    ACCEPT_ALL = "accept_all"
    REJECT = "reject"


class IdTagPolicy(StrEnum):
    """Which idTags the central system authorises."""

    ACCEPT_ALL = "accept_all"
    ALLOW_LIST = "allow_list"


class Admission(StrEnum):
    """The answer to a charger's BootNotification."""

    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


@dataclass(slots=True)
class AccessPolicy:
    """Approved chargers and idTag rules; changed live by the HA options flow."""

    unknown_chargers: UnknownChargerPolicy = UnknownChargerPolicy.ASK
    id_tags: IdTagPolicy = IdTagPolicy.ACCEPT_ALL
    allowed_id_tags: frozenset[str] = frozenset()
    approved: set[str] = field(default_factory=set)
    ignored: set[str] = field(default_factory=set)

    def admission(self, charger_id: str) -> Admission:
        """Decide how a charger's BootNotification is answered."""
        if charger_id in self.approved:
            return Admission.ACCEPTED
        if charger_id in self.ignored:
            return Admission.REJECTED
        match self.unknown_chargers:
            case UnknownChargerPolicy.ACCEPT_ALL:
                return Admission.ACCEPTED
            case UnknownChargerPolicy.ASK:
                return Admission.PENDING
            case UnknownChargerPolicy.REJECT:
                return Admission.REJECTED

    def authorize(self, id_tag: str) -> str:
        """Return the idTagInfo status for a tag (Accepted or Invalid)."""
        if self.id_tags is IdTagPolicy.ACCEPT_ALL:
            return "Accepted"
        return "Accepted" if id_tag.casefold() in self.allowed_id_tags else "Invalid"

    def set_allowed_id_tags(self, tags: Iterable[str]) -> None:
        """Replace the allow list (tags compare case-insensitively, as readers differ)."""
        self.allowed_id_tags = frozenset(tag.strip().casefold() for tag in tags if tag.strip())
