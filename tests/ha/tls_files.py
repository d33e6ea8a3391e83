"""The HA tests' certificates: a CA and what it signs, made by `simulator.pki`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

from simulator.pki import Pki

ONE_DAY = timedelta(days=1)
_SERIAL = count()


@dataclass(frozen=True)
class Authority:
    """A CA and its certificate's file."""

    pki: Pki
    path: Path


@dataclass(frozen=True)
class Issued:
    """A certificate and its key, as files."""

    certificate: Path
    key: Path


def make_authority(directory: Path) -> Authority:
    """A CA in `directory`."""
    pki = Pki(directory)
    return Authority(pki, Path(pki.ca))


def issue(
    authority: Authority,
    directory: Path,
    common_name: str,
    *,
    server: bool = True,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> Issued:
    """A certificate the CA signs (in its directory): a server's, or a charger's."""
    assert directory == authority.pki.directory
    now = datetime.now(UTC)
    start = not_before or now - ONE_DAY
    end = not_after or now + 30 * ONE_DAY
    pem = authority.pki.issue(
        f"issued-{next(_SERIAL)}",
        common_name,
        server=server,
        valid_days=(end - now) / ONE_DAY,
        starts_in_days=(start - now) / ONE_DAY,
    )
    return Issued(Path(pem.certificate), Path(pem.key))
