"""Tests of the OCPP central system package (no Home Assistant involved)."""
