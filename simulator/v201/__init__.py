"""A simulated OCPP 2.0.1 charging station for tests."""

from .car import Car
from .station import SimulatedStation201, StationError

__all__ = ["Car", "SimulatedStation201", "StationError"]
