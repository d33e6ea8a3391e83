"""The central system's security settings (the HA options)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .guard import GuardLimits
from .profile import SecurityProfile
from .tls import TlsFiles


@dataclass(slots=True, kw_only=True)
class SecuritySettings:
    """The minimum profile (live), TLS and its port (at start), the flood limits."""

    minimum: SecurityProfile = SecurityProfile.NONE
    tls: TlsFiles | None = None
    tls_port: int | None = None  # the wss:// listener; None or no `tls`: none
    limits: GuardLimits = field(default_factory=GuardLimits)
