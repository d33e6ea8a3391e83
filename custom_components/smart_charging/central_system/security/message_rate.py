"""A token bucket per connection: a charger that floods is slowed down, nothing is dropped.

Reading stops while the bucket is empty, so TCP pushes back on the charger; its frames
wait in its own buffers instead of in Home Assistant's memory.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class MessageRate:
    """`rate` frames a second sustained, `burst` at once (times on a monotonic clock)."""

    rate: float
    burst: int
    _tokens: float = -1.0
    _at: float = 0.0

    def wait(self, now: float) -> float:
        """Take a token for one frame; return how long to wait before reading it (s)."""
        if self._tokens < 0:
            self._tokens, self._at = float(self.burst), now
        self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.rate)
        self._at = now
        self._tokens -= 1.0
        if self._tokens >= 0:
            return 0.0
        return -self._tokens / self.rate
