"""Tests for the Smart Charging (OCPP) integration."""
