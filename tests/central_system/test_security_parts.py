"""The security package's parts on their own: credentials, decisions, limits, TLS checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging
from pathlib import Path

import pytest

from custom_components.smart_charging.central_system.security.authentication import (
    Attempt,
    Refusal,
    authenticate,
    parse_basic,
)
from custom_components.smart_charging.central_system.security.credentials import (
    ChargerCredentials,
    CredentialBook,
    PasswordState,
)
from custom_components.smart_charging.central_system.security.guard import (
    LOG_EVERY,
    ConnectionGuard,
    GuardLimits,
)
from custom_components.smart_charging.central_system.security.log_redaction import (
    REDACTED,
    PasswordRedaction,
)
from custom_components.smart_charging.central_system.security.message_rate import MessageRate
from custom_components.smart_charging.central_system.security.profile import SecurityProfile
from custom_components.smart_charging.central_system.security.tls import (
    CertificateProblem,
    TlsFiles,
    certificate_common_name,
    check_files,
    client_name,
)
from simulator.pki import Pki
from simulator.uplink import basic_authorization

PASSWORD = "0123456789abcdef0123456789abcdef01234567"


def _attempt(authorization: str | None = None, **fields: object) -> Attempt:
    values: dict[str, object] = {"charger_id": "CP-1", "authorization": authorization, "tls": False}
    values.update(fields)
    return Attempt(**values)  # type: ignore[arg-type]


def _active() -> ChargerCredentials:
    return ChargerCredentials(password=PASSWORD, state=PasswordState.ACTIVE)


def test_basic_header_parsing() -> None:
    """RFC 7617: scheme case-insensitive, user up to the first colon, bad base64 refused."""
    assert parse_basic(basic_authorization("CP-1", "a:b")) == ("CP-1", b"a:b")
    assert parse_basic("basic " + basic_authorization("X", "y").split()[1]) == ("X", b"y")
    assert parse_basic("Bearer abc") is None
    assert parse_basic("Basic") is None
    assert parse_basic("Basic !!!") is None
    assert parse_basic("Basic " + "bm9jb2xvbg==") is None  # "nocolon"


@pytest.mark.parametrize(
    ("attempt", "credentials", "minimum", "profile", "refusal"),
    [
        (_attempt(), None, SecurityProfile.NONE, SecurityProfile.NONE, None),
        (_attempt(), None, SecurityProfile.BASIC, None, Refusal.PROFILE_TOO_LOW),
        (_attempt(), _active(), SecurityProfile.NONE, None, Refusal.NO_PASSWORD),
        (
            _attempt(basic_authorization("CP-1", PASSWORD)),
            _active(),
            SecurityProfile.NONE,
            SecurityProfile.BASIC,
            None,
        ),
        (
            _attempt(basic_authorization("CP-1", PASSWORD), tls=True),
            _active(),
            SecurityProfile.TLS_BASIC,
            SecurityProfile.TLS_BASIC,
            None,
        ),
        (
            _attempt(basic_authorization("CP-1", PASSWORD)),
            _active(),
            SecurityProfile.TLS_BASIC,
            None,
            Refusal.PROFILE_TOO_LOW,
        ),
        (
            _attempt(basic_authorization("CP-2", PASSWORD)),
            _active(),
            SecurityProfile.NONE,
            None,
            Refusal.WRONG_USER,
        ),
        (
            _attempt(basic_authorization("CP-1", "x" * 20)),
            _active(),
            SecurityProfile.NONE,
            None,
            Refusal.WRONG_PASSWORD,
        ),
        # Before its password is in use, an installer's password counts as none.
        (
            _attempt(basic_authorization("CP-1", "x" * 20)),
            ChargerCredentials(password=PASSWORD),
            SecurityProfile.NONE,
            SecurityProfile.NONE,
            None,
        ),
        (_attempt("Basic %%%"), None, SecurityProfile.NONE, None, Refusal.MALFORMED),
        (
            _attempt(tls=True, client_name="CP-1"),
            _active(),
            SecurityProfile.TLS_CLIENT_CERTIFICATE,
            SecurityProfile.TLS_CLIENT_CERTIFICATE,
            None,
        ),
        (
            _attempt(tls=True, client_name="CP-9"),
            None,
            SecurityProfile.NONE,
            None,
            Refusal.CERTIFICATE_MISMATCH,
        ),
    ],
)
def test_decisions(
    attempt: Attempt,
    credentials: ChargerCredentials | None,
    minimum: SecurityProfile,
    profile: SecurityProfile | None,
    refusal: Refusal | None,
) -> None:
    """Each combination of transport, credentials and minimum gets its profile or refusal."""
    verdict = authenticate(attempt, credentials, minimum)
    assert (verdict.profile, verdict.refusal) == (profile, refusal)
    assert verdict.accepted is (profile is not None)


def test_a_key_taken_as_hex_is_accepted_as_its_bytes() -> None:
    """A 1.6 charger that decoded the AuthorizationKey as hex sends its 20 bytes."""
    credentials = _active()
    assert credentials.match(bytes.fromhex(PASSWORD)) == "current"
    assert credentials.match(PASSWORD.encode()) == "current"
    assert credentials.match(b"other") is None
    text_only = ChargerCredentials(password="not hex at all, 24 chars", state=PasswordState.ACTIVE)
    assert text_only.match(b"not hex at all, 24 chars") == "current"


def test_rotation_and_storage() -> None:
    """A rotation keeps the password in use as the previous one until the new one is used."""
    book = CredentialBook()
    first = book.ensure("CP-1")
    assert book.ensure("CP-1") is first
    assert len(first.password) == 40
    assert not first.required  # not installed yet
    first.state = PasswordState.ACTIVE
    second = book.issue("CP-1")
    assert second.previous == first.password
    assert second.required
    assert second.match(first.password.encode()) == "previous"
    # A second rotation before the charger took the first keeps the one it still uses.
    third = book.issue("CP-1")
    assert third.previous == first.password
    assert sorted(book.secrets()) == sorted([third.password, first.password])
    third.used("previous")
    assert third.previous == first.password
    third.used("current")
    assert (third.state, third.previous) == (PasswordState.ACTIVE, None)
    restored = CredentialBook()
    restored.load(book.as_dict())
    assert restored.as_dict() == book.as_dict()
    restored.forget("CP-1")
    assert restored.get("CP-1") is None
    # Rotating a password never used leaves nothing required behind.
    fresh = CredentialBook()
    fresh.ensure("CP-2")
    assert fresh.issue("CP-2").previous is None
    # One only stored stays valid (the charger may use it), without being required.
    stored = fresh.ensure("CP-2")
    stored.state = PasswordState.MANUAL
    after = fresh.issue("CP-2")
    assert (after.previous, after.previous_required, after.required) == (
        stored.password,
        False,
        False,
    )
    assert after.match(stored.password.encode()) == "previous"
    # An old store without the flag: a previous password was a required one.
    legacy = ChargerCredentials.from_dict({"password": PASSWORD, "previous": "p" * 40})
    assert legacy.required


def test_guard_limits_by_address_and_logs_by_id() -> None:
    """Blocked after too many failures in the window, for a while; one log line a minute."""
    guard = ConnectionGuard(GuardLimits(failures_per_address=3, failure_window=10, blocked_for=60))
    first = guard.failed("1.2.3.4", "CP-1", now=0.0)
    assert (first.log, first.in_a_row) == (True, 1)
    second = guard.failed("1.2.3.4", "CP-1", now=1.0)
    assert (second.log, second.in_a_row) == (False, 2)
    assert not guard.blocked("1.2.3.4", now=1.0)
    guard.failed("1.2.3.4", "CP-2", now=2.0)
    assert guard.blocked("1.2.3.4", now=2.0)
    assert not guard.blocked("5.6.7.8", now=2.0)
    assert not guard.blocked("1.2.3.4", now=62.0)
    # Failures spread wider than the window do not block.
    for t in (100.0, 111.0, 122.0):
        guard.failed("9.9.9.9", "CP-3", now=t)
    assert not guard.blocked("9.9.9.9", now=122.0)
    assert guard.failed("1.2.3.4", "CP-1", now=LOG_EVERY + 1).log
    assert guard.succeeded("CP-1")
    assert not guard.succeeded("CP-1")


def test_guard_memory_is_bounded() -> None:
    """A flood of distinct ids and addresses does not grow the guard without end."""
    guard = ConnectionGuard(GuardLimits(failures_per_address=1000))
    for i in range(10_050):
        guard.failed(f"10.0.{i // 256}.{i % 256}", f"ID-{i}", now=float(i) * 0.001)
    guard.failed("x", "late", now=1000.0)
    assert len(guard._by_address) < 10_000
    assert len(guard._logged_at) < 10_000


def test_message_rate() -> None:
    """A burst passes at once; beyond it each frame waits for its share of the rate."""
    rate = MessageRate(rate=10.0, burst=3)
    assert [rate.wait(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert rate.wait(0.0) == pytest.approx(0.1)
    assert rate.wait(10.0) == 0.0  # refilled, up to the burst


def test_redaction_rewrites_only_records_with_a_password() -> None:
    """The library's frame log loses the password and keeps the rest."""
    redaction = PasswordRedaction(lambda: [PASSWORD, ""])
    record = logging.LogRecord("ocpp", logging.INFO, __file__, 1, "send %s", (PASSWORD,), None)
    assert redaction.filter(record)
    assert record.getMessage() == f"send {REDACTED}"
    plain = logging.LogRecord("ocpp", logging.INFO, __file__, 1, "send %s", ("x",), None)
    assert redaction.filter(plain)
    assert plain.args == ("x",)
    assert PasswordRedaction(list).filter(plain)


def test_tls_file_checks(tmp_path: Path) -> None:
    """Readable, matching, within its validity; a CA that loads."""
    pki = Pki(tmp_path)
    good = pki.issue("good", "127.0.0.1", server=True)
    assert check_files(TlsFiles(certificate=good.certificate, key=good.key, client_ca=pki.ca)) == {}
    expired = pki.issue("old", "x", valid_days=-1, starts_in_days=-3)
    assert check_files(TlsFiles(certificate=expired.certificate, key=expired.key)) == {
        "certificate": CertificateProblem.EXPIRED
    }
    later = pki.issue("later", "x", starts_in_days=2)
    assert check_files(TlsFiles(certificate=later.certificate, key=later.key)) == {
        "certificate": CertificateProblem.NOT_YET_VALID
    }
    assert check_files(TlsFiles(certificate=good.certificate, key=later.key)) == {
        "key": CertificateProblem.KEY_MISMATCH
    }
    missing = str(tmp_path / "missing.pem")
    assert check_files(TlsFiles(certificate=missing, key=good.key)) == {
        "certificate": CertificateProblem.CERTIFICATE_UNREADABLE
    }
    assert check_files(TlsFiles(certificate=good.certificate, key=missing)) == {
        "key": CertificateProblem.KEY_UNREADABLE
    }
    assert check_files(TlsFiles(certificate=good.certificate, key=good.certificate)) == {
        "key": CertificateProblem.KEY_UNREADABLE
    }
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    assert check_files(
        TlsFiles(certificate=good.certificate, key=good.key, client_ca=str(garbage))
    ) == {"client_ca": CertificateProblem.CA_UNREADABLE}
    assert check_files(
        TlsFiles(certificate=good.certificate, key=good.key),
        now=datetime.now(UTC) + timedelta(days=365),
    ) == {"certificate": CertificateProblem.EXPIRED}
    assert certificate_common_name(good.certificate) == "127.0.0.1"


def test_client_name_from_a_peer_certificate() -> None:
    """The common name of the subject, as `getpeercert()` gives it."""
    peer = {"subject": ((("countryName", "DE"),), (("commonName", "CP-7"),))}
    assert client_name(peer) == "CP-7"
    assert client_name({"subject": ((("countryName", "DE"),),)}) is None
    assert client_name(None) is None
    assert client_name({}) is None
