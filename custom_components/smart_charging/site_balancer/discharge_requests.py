"""Discharges asked for by an action (`smart_charging.set_discharge`), until they expire."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later


class DischargeRequests:
    """Per connector: the power (W) asked for and until when (the engine's clock)."""

    def __init__(
        self, hass: HomeAssistant, clock: Callable[[], float], expired: Callable[[], None]
    ) -> None:
        """`expired` runs when a request ends by itself (the balancer allocates again)."""
        self._hass = hass
        self._clock = clock
        self._expired = expired
        self._requests: dict[str, tuple[float, float]] = {}
        self._timers: dict[str, CALLBACK_TYPE] = {}

    def set(self, key: str, power: float, duration: float) -> None:
        """Ask connector `key` to discharge `power` W for `duration` s; 0 W cancels."""
        self.cancel(key)
        if power <= 0:
            return
        self._requests[key] = (power, self._clock() + duration)
        self._timers[key] = async_call_later(self._hass, duration, self._end(key))

    def cancel(self, key: str) -> None:
        """Forget connector `key`'s request."""
        self._requests.pop(key, None)
        if (timer := self._timers.pop(key, None)) is not None:
            timer()

    def cancel_all(self) -> None:
        """Forget every request (the balancer stops)."""
        for key in list(self._requests):
            self.cancel(key)

    def power(self, key: str) -> float | None:
        """The power connector `key` is asked to discharge now (W), None: none."""
        request = self._requests.get(key)
        if request is None or request[1] <= self._clock():
            return None
        return request[0]

    def _end(self, key: str) -> Callable[[object], None]:
        @callback
        def end(_now: object) -> None:
            self._timers.pop(key, None)
            self._requests.pop(key, None)
            self._expired()

        return end
