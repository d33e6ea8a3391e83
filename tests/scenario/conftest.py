"""The scenario benchmark's pieces are pure Python: no Home Assistant instance."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the root fixture: nothing to enable, no `hass` to start."""
