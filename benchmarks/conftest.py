"""Benchmarks that need a running Home Assistant borrow the test suite's fixtures."""

import ocpp.messages

from tests.conftest import (  # noqa: F401 - fixtures
    approved_chargers,
    auto_enable_custom_integrations,
    auto_enable_sockets,
    entity_registry,
    entry_options,
    mock_config_entry,
    ocpp_port,
)

# The simulated chargers share the benchmark's process with Home Assistant. The `ocpp`
# library would validate their frames in HA's executor threads; real chargers validate on
# their own hardware, so theirs runs inline here (the central system validates inline anyway).
ocpp.messages.ASYNC_VALIDATION = False
