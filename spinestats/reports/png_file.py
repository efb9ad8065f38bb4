"""PNG files of rendered figures, written directly with zlib.

A figure rendered by Agg is mostly flat colour (white paper, solid lines, text):
deflated row by row without a PNG filter it compresses better than with the
adaptive per-row filter Pillow's encoder chooses (which tries five filters on
every row), in about half the time.  The file is a standard 8-bit RGB PNG
(signature, ``IHDR``, ``pHYs`` with the resolution in pixels per metre as
Pillow writes it, one ``IDAT``, ``IEND``; each chunk with its CRC), and it
decodes to exactly the pixels given: PNG compression is lossless whatever the
filter and the deflate level.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

#: zlib level of PNG files.  Deflate is lossless, so the level changes the bytes, never the pixels.  On the 28
#: figures of the 100,000-patient plan at 300 dpi (Pillow's adaptive filters) level 3 wrote them in 0.88 s CPU and
#: 3.52 MB, zlib's default (6) in 1.19 s and 3.31 MB; unfiltered rows at level 3 take about half of Pillow's time
PNG_COMPRESS_LEVEL = 3

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(tag)))


class _Pixels:
    """The pixels of ``rgb`` (height x width x 3 bytes, each pixel's three bytes side by side) as a
    height x width array of 3-byte items, where they are stored: no copy.

    Copying an RGB image byte by byte (NumPy's loop then runs over a pixel's three channels, its
    shortest axis) took 13-15 ms for a figure at 300 dpi, and more than its deflate; a pixel at a
    time takes 6 ms.  The array interface is NumPy's public protocol for memory described from
    outside; the object keeps ``rgb`` alive as long as the array built on it."""

    def __init__(self, rgb: np.ndarray) -> None:
        face = dict(rgb.__array_interface__)
        face.update(shape=rgb.shape[:2], strides=rgb.strides[:2], typestr="|V3", descr=[("", "|V3")])
        self.__array_interface__ = face
        self.rgb = rgb


def pixels_per_metre(dpi: float) -> int:
    """The ``pHYs`` resolution of ``dpi`` dots per inch, rounded as Pillow rounds it."""
    return int(dpi / 0.0254 + 0.5)


def png_bytes(rgb: np.ndarray, dpi: float, level: int = PNG_COMPRESS_LEVEL) -> bytes:
    """An 8-bit RGB PNG of ``rgb`` (height x width x 3, uint8) carrying ``dpi``."""
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3 or 0 in rgb.shape[:2]:
        raise ValueError(f"expected a non-empty height x width x 3 uint8 array, got {rgb.dtype} {rgb.shape}")
    height, width = rgb.shape[:2]
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # each row: filter type 0 (none), then its pixels
    if rgb.strides[2] == 1 and rgb.strides[1] >= 3:  # each pixel's three bytes side by side (RGB, or RGBA's first three)
        rows[:, 1:].view("V3")[...] = np.asarray(_Pixels(rgb))  # a pixel at a time, not a byte at a time
    else:
        rows[:, 1:].reshape(height, width, 3)[...] = rgb
    ppm = pixels_per_metre(dpi)
    return b"".join((
        SIGNATURE,
        _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),  # 8 bits, RGB, deflate, no interlace
        _chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),  # unit: metre
        _chunk(b"IDAT", zlib.compress(rows.data, level)),
        _chunk(b"IEND", b""),
    ))
