"""The OCPP security profiles (1.6 security whitepaper; 2.0.1 part 2, A00)."""

from __future__ import annotations

from enum import IntEnum


class SecurityProfile(IntEnum):
    """How a connection proved who it is; higher is stronger."""

    NONE = 0  # ws://, no credentials (not a profile of the spec: the unsecured default)
    BASIC = 1  # ws:// with HTTP Basic authentication
    TLS_BASIC = 2  # wss:// (server certificate) with HTTP Basic authentication
    TLS_CLIENT_CERTIFICATE = 3  # wss:// with the charger's own certificate
