"""End-to-end tests: the integration in a running Home Assistant."""
