"""Keep chargers' passwords out of the log: the `ocpp` library logs every frame it sends."""

from __future__ import annotations

from collections.abc import Callable, Iterable
import logging

REDACTED = "**REDACTED**"
# Where frames are logged: the library's logger (and so its children).
FRAME_LOGGER = "ocpp"


class PasswordRedaction(logging.Filter):
    """Replace every known password in a record's text before any handler sees it."""

    def __init__(self, passwords: Callable[[], Iterable[str]]) -> None:
        """`passwords` returns the passwords to hide, read at each record."""
        super().__init__()
        self._passwords = passwords

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record when it holds a password; never drop it."""
        secrets = [secret for secret in self._passwords() if secret]
        if not secrets:
            return True
        text = record.getMessage()
        if not any(secret in text for secret in secrets):
            return True
        for secret in secrets:
            text = text.replace(secret, REDACTED)
        record.msg, record.args = text, None
        return True


def install(redaction: PasswordRedaction) -> Callable[[], None]:
    """Attach to the frame logger; return what detaches it."""
    logger = logging.getLogger(FRAME_LOGGER)
    logger.addFilter(redaction)
    return lambda: logger.removeFilter(redaction)
