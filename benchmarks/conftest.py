"""Benchmarks that need a running Home Assistant borrow the test suite's fixtures."""

from tests.conftest import (  # noqa: F401 - fixtures
    approved_chargers,
    auto_enable_custom_integrations,
    auto_enable_sockets,
    entity_registry,
    entry_options,
    mock_config_entry,
    ocpp_port,
)
