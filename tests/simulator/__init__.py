"""Tests of the simulated OCPP 1.6J charge point."""
