"""The brand images the integration ships (HA 2026.3+ shows them instead of a placeholder)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smart_charging.const import DOMAIN

BRAND = Path(__file__).resolve().parents[2] / "custom_components" / DOMAIN / "brand"
ICONS = {"icon.png": 256, "icon@2x.png": 512}
LOGOS = {"logo.png": (128, 256), "logo@2x.png": (256, 512)}  # shortest side: min, max


@pytest.mark.parametrize("theme", ["", "dark_"])
def test_brand_images(theme: str) -> None:
    """Square icons of 256 and 512 px and landscape logos, transparent, for both themes."""
    for name, size in ICONS.items():
        with Image.open(BRAND / f"{theme}{name}") as image:
            assert image.format == "PNG"
            assert image.mode == "RGBA"
            assert image.size == (size, size)
            assert image.getpixel((0, 0))[3] == 0  # transparent corner
    for name, (low, high) in LOGOS.items():
        with Image.open(BRAND / f"{theme}{name}") as image:
            assert image.format == "PNG"
            assert image.mode == "RGBA"
            width, height = image.size
            assert width > height
            assert low <= height <= high


@pytest.mark.skipif(
    importlib.util.find_spec("homeassistant.components.brands") is None,
    reason="HA serves a custom integration's brand folder since 2026.3",
)
async def test_home_assistant_serves_our_icon(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """HA's brands endpoint answers with our own files, not a placeholder or the CDN."""
    assert await async_setup_component(hass, "brands", {})
    client = await hass_client()
    for image in ("icon.png", "dark_logo@2x.png"):
        response = await client.get(f"/api/brands/integration/{DOMAIN}/{image}")
        assert response.status == 200
        assert await response.read() == (BRAND / image).read_bytes()
