#!/usr/bin/env python3
"""Writes the web app's PNG icons (public/icons/) for the PWA manifest and iOS home screens.

The design is the one in public/favicon.svg: the orange lightning bolt on the dark header colour.
Only the standard library is used (zlib + struct), so no image library has to be installed.
Run from anywhere: python3 scripts/make-icons.py
"""
import os
import struct
import zlib

# colours from style/main.css (--text is the header background, --accent the bolt)
BACKGROUND = (0x1D, 0x24, 0x30)
BOLT = (0xF7, 0x93, 0x1A)
# the bolt of public/favicon.svg, "M18 3 7 18h7l-2 11 11-15h-7z" in its 32x32 view box
BOLT_POLYGON = [(18, 3), (7, 18), (14, 18), (12, 29), (23, 14), (16, 14)]
SUPERSAMPLE = 4  # sub-pixel rows/columns per pixel, for anti-aliased edges


def coverage_row(polygon, y):
    """Spans [x0, x1) covered by `polygon` on the horizontal line at `y` (even-odd rule)."""
    xs = []
    n = len(polygon)
    for i in range(n):
        (x0, y0), (x1, y1) = polygon[i], polygon[(i + 1) % n]
        if (y0 <= y < y1) or (y1 <= y < y0):
            xs.append(x0 + (y - y0) * (x1 - x0) / (y1 - y0))
    xs.sort()
    return list(zip(xs[0::2], xs[1::2]))


def rounded_rect_inside(x, y, size, radius):
    """Whether the point (x, y) lies in a size x size square with corners rounded by `radius`."""
    if radius <= 0:
        return 0 <= x < size and 0 <= y < size
    cx = min(max(x, radius), size - radius)
    cy = min(max(y, radius), size - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius


def render(size, bolt_box, corner_radius):
    """RGBA rows of a `size` px icon: background square (rounded by `corner_radius` px, transparent
    outside) and the bolt scaled to fit the square `bolt_box` = (left, top, side) in px."""
    left, top, side = bolt_box
    scale = side / 26.0  # the bolt spans x 7..23 and y 3..29 (26 units) in the 32-unit box
    poly = [(left + (x - 7 + (26 - 16) / 2) * scale, top + (y - 3) * scale) for x, y in BOLT_POLYGON]
    s = SUPERSAMPLE
    samples = s * s
    rows = []
    for py in range(size):
        bolt_hits = [0] * size
        bg_hits = [0] * size
        for sy in range(s):
            y = py + (sy + 0.5) / s
            for x0, x1 in coverage_row(poly, y):
                # sub-samples at x = px + (sx + 0.5) / s inside [x0, x1)
                first = max(0, int((x0 * s) - 0.5 + 0.999999))
                last = min(size * s - 1, int((x1 * s) - 0.5 - 1e-9))
                for k in range(first, last + 1):
                    bolt_hits[k // s] += 1
            for px in range(size):
                for sx in range(s):
                    if rounded_rect_inside(px + (sx + 0.5) / s, y, size, corner_radius):
                        bg_hits[px] += 1
        row = bytearray()
        for px in range(size):
            bolt = bolt_hits[px] / samples
            alpha = bg_hits[px] / samples
            colour = [round(b * (1 - bolt) + f * bolt) for b, f in zip(BACKGROUND, BOLT)]
            row += bytes(colour) + bytes([round(255 * max(alpha, bolt))])
        rows.append(bytes(row))
    return rows


def png_bytes(rows, size):
    """A PNG file (8-bit RGBA, no filtering) holding `rows`."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "public", "icons")
    os.makedirs(out_dir, exist_ok=True)
    icons = {
        # "any" icons: rounded square like the favicon, bolt filling most of it
        "icon-192.png": (192, (192 * 0.10, 192 * 0.10, 192 * 0.80), 192 * 0.1875),
        "icon-512.png": (512, (512 * 0.10, 512 * 0.10, 512 * 0.80), 512 * 0.1875),
        # maskable: full-bleed square, bolt inside the central safe circle (diameter 80 %)
        "icon-maskable-512.png": (512, (512 * 0.23, 512 * 0.23, 512 * 0.54), 0),
        # iOS home screen (iOS rounds the corners itself, so full-bleed)
        "apple-touch-icon.png": (180, (180 * 0.15, 180 * 0.15, 180 * 0.70), 0),
    }
    for name, (size, bolt_box, radius) in icons.items():
        path = os.path.join(out_dir, name)
        with open(path, "wb") as f:
            f.write(png_bytes(render(size, bolt_box, radius), size))
        print(f"wrote {os.path.normpath(path)} ({size}x{size})")


if __name__ == "__main__":
    main()
