"""Draw the integration's brand images: custom_components/smart_charging/brand/*.png.

    .venv/bin/python scripts/brand.py

HA 2026.3 and later show a custom integration's own icon and logo from its brand/ folder:
icon.png (256 px square) and icon@2x.png (512 px), logo.png (landscape, 128 px high) and
logo@2x.png (256 px), each with a dark_ variant for dark themes. The mark: a lightning bolt
in a disc, our own drawing. Drawn 4x larger and scaled down for smooth edges.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = Path(__file__).resolve().parent.parent / "custom_components" / "smart_charging" / "brand"
SUPERSAMPLE = 4
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
NAME = "Smart Charging"

# (disc, bolt, text) per theme.
LIGHT = ((0, 150, 136, 255), (255, 255, 255, 255), (38, 50, 56, 255))
DARK = ((38, 198, 178, 255), (18, 24, 28, 255), (236, 239, 241, 255))

# The bolt, in units of the disc's diameter (0..1 on both axes).
BOLT = [
    (0.50, 0.13),
    (0.28, 0.55),
    (0.46, 0.55),
    (0.38, 0.88),
    (0.72, 0.43),
    (0.54, 0.43),
    (0.66, 0.13),
]


def mark(size: int, disc: tuple[int, ...], bolt: tuple[int, ...]) -> Image.Image:
    """The disc with its bolt, `size` pixels square, on a transparent background."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    margin = big * 0.02
    draw.ellipse((margin, margin, big - margin, big - margin), fill=disc)
    draw.polygon([(x * big, y * big) for x, y in BOLT], fill=bolt)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def logo(height: int, theme: tuple[tuple[int, ...], ...]) -> Image.Image:
    """The mark and the name side by side, `height` pixels high, trimmed to its content."""
    disc, bolt, text = theme
    big = height * SUPERSAMPLE
    font = ImageFont.truetype(str(FONT), int(big * 0.42))
    left, top, right, bottom = font.getbbox(NAME)
    gap = int(big * 0.18)
    image = Image.new("RGBA", (big + gap + round(right - left), big), (0, 0, 0, 0))
    image.alpha_composite(mark(big, disc, bolt))
    draw = ImageDraw.Draw(image)
    draw.text((big + gap - left, (big - (bottom - top)) / 2 - top), NAME, font=font, fill=text)
    width = round(image.width / SUPERSAMPLE)
    return image.resize((width, height), Image.Resampling.LANCZOS)


def main() -> None:
    """Write every image."""
    BRAND.mkdir(exist_ok=True)
    for prefix, theme in (("", LIGHT), ("dark_", DARK)):
        disc, bolt, _ = theme
        mark(256, disc, bolt).save(BRAND / f"{prefix}icon.png", optimize=True)
        mark(512, disc, bolt).save(BRAND / f"{prefix}icon@2x.png", optimize=True)
        logo(128, theme).save(BRAND / f"{prefix}logo.png", optimize=True)
        logo(256, theme).save(BRAND / f"{prefix}logo@2x.png", optimize=True)


if __name__ == "__main__":
    main()
