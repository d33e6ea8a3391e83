"""TLS for profiles 2 and 3: the server's context, and checks of the files before use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
import ssl
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID


class CertificateProblem(StrEnum):
    """What is wrong with the chosen files (the options flow's error keys)."""

    CERTIFICATE_UNREADABLE = "certificate_unreadable"
    KEY_UNREADABLE = "key_unreadable"
    KEY_MISMATCH = "key_mismatch"
    EXPIRED = "certificate_expired"
    NOT_YET_VALID = "certificate_not_yet_valid"
    CA_UNREADABLE = "ca_unreadable"


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsFiles:
    """The server's certificate chain and key; a CA for client certificates (profile 3)."""

    certificate: str
    key: str
    client_ca: str | None = None


def server_context(files: TlsFiles) -> ssl.SSLContext:
    """A TLS 1.2+ server context; with a CA, chargers may show a certificate it signed."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(files.certificate, files.key)
    if files.client_ca:
        context.load_verify_locations(cafile=files.client_ca)
        # Optional: profile 2 chargers on the same port show none.
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


def check_files(files: TlsFiles, now: datetime | None = None) -> dict[str, CertificateProblem]:
    """Problems with the files, by which file ("certificate", "key", "client_ca")."""
    now = now or datetime.now(UTC)
    try:
        certificate = x509.load_pem_x509_certificate(Path(files.certificate).read_bytes())
    except (OSError, ValueError):
        return {"certificate": CertificateProblem.CERTIFICATE_UNREADABLE}
    try:
        serialization.load_pem_private_key(Path(files.key).read_bytes(), password=None)
    except (OSError, ValueError, TypeError):  # TypeError: a key protected by a passphrase
        return {"key": CertificateProblem.KEY_UNREADABLE}
    problems: dict[str, CertificateProblem] = {}
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
            files.certificate, files.key
        )
    except OSError:  # ssl.SSLError is an OSError: a key of another certificate, or no key
        problems["key"] = CertificateProblem.KEY_MISMATCH
    if certificate.not_valid_after_utc < now:
        problems["certificate"] = CertificateProblem.EXPIRED
    elif certificate.not_valid_before_utc > now:
        problems["certificate"] = CertificateProblem.NOT_YET_VALID
    if files.client_ca:
        try:
            ssl.create_default_context().load_verify_locations(cafile=files.client_ca)
        except (OSError, ValueError):
            problems["client_ca"] = CertificateProblem.CA_UNREADABLE
    return problems


def client_name(peer_certificate: dict[str, Any] | None) -> str | None:
    """The common name of a verified client certificate (`SSLObject.getpeercert()`)."""
    if not peer_certificate:
        return None
    for rdn in peer_certificate.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None


def certificate_common_name(path: str) -> str | None:
    """The common name in a PEM certificate file (for the options' description)."""
    certificate = x509.load_pem_x509_certificate(Path(path).read_bytes())
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else None
