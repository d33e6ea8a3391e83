"""A simulated OCPP 2.0.1 charging station for tests."""

from .station import SimulatedStation201, StationError

__all__ = ["SimulatedStation201", "StationError"]
