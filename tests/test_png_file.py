"""png_file.png_bytes: a standard 8-bit RGB PNG (chunks, CRCs, resolution as Pillow writes it) that decodes
to exactly the pixels given, for any size, and refuses what is not an RGB image."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from spinestats.reports.png_file import SIGNATURE, png_bytes, pixels_per_metre


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data.startswith(SIGNATURE)
    out, at = [], len(SIGNATURE)
    while at < len(data):
        (n,) = struct.unpack(">I", data[at:at + 4])
        tag, body = data[at + 4:at + 8], data[at + 8:at + 8 + n]
        (crc,) = struct.unpack(">I", data[at + 8 + n:at + 12 + n])
        assert crc == zlib.crc32(tag + body)
        out.append((tag, body))
        at += 12 + n
    return out


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (5, 1), (37, 53), (600, 900)])
def test_the_file_decodes_to_the_pixels_given(shape):
    rng = np.random.default_rng(sum(shape))
    rgb = rng.integers(0, 256, size=(*shape, 3), dtype=np.uint8)
    rgb[: shape[0] // 2] = 255  # white paper beside noise
    data = png_bytes(rgb, 300)
    with Image.open(io.BytesIO(data)) as im:
        im.verify()
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "PNG" and im.mode == "RGB" and im.size == (shape[1], shape[0])
        assert np.array_equal(np.asarray(im), rgb)


def test_chunks_header_and_resolution():
    rgb = np.zeros((4, 6, 3), dtype=np.uint8)
    rgb[1, 2] = (255, 0, 128)
    chunks = _chunks(png_bytes(rgb, 600))
    assert [tag for tag, _ in chunks] == [b"IHDR", b"pHYs", b"IDAT", b"IEND"]
    assert struct.unpack(">IIBBBBB", chunks[0][1]) == (6, 4, 8, 2, 0, 0, 0)
    assert struct.unpack(">IIB", chunks[1][1]) == (23622, 23622, 1)  # 600 / 0.0254, rounded
    rows = np.frombuffer(zlib.decompress(chunks[2][1]), dtype=np.uint8).reshape(4, 1 + 6 * 3)
    assert (rows[:, 0] == 0).all()  # every row unfiltered
    assert np.array_equal(rows[:, 1:].reshape(4, 6, 3), rgb)
    assert chunks[3][1] == b""


@pytest.mark.parametrize("dpi", [72, 150, 300, 600, 1200])
def test_resolution_reads_back_as_from_pillows_own_png(dpi):
    rgb = np.full((3, 3, 3), 200, dtype=np.uint8)
    ref = io.BytesIO()
    Image.fromarray(rgb).save(ref, format="PNG", dpi=(dpi, dpi))
    with Image.open(io.BytesIO(png_bytes(rgb, dpi))) as ours, Image.open(ref) as theirs:
        assert ours.info["dpi"] == theirs.info["dpi"]
        assert round(ours.info["dpi"][0]) == dpi
    assert pixels_per_metre(300) == 11811  # 300 / 0.0254 = 11811.02


def _views():
    rgba = np.random.default_rng(4).integers(0, 256, size=(13, 17, 4), dtype=np.uint8)
    frozen = rgba.copy()
    frozen.setflags(write=False)
    return {
        "RGBA's first three channels": rgba[:, :, :3],
        "contiguous RGB": np.ascontiguousarray(rgba[:, :, :3]),
        "every other row and third column": rgba[::2, ::3, :3],
        "a read-only buffer": frozen[:, :, :3],
        "Fortran order": np.asfortranarray(rgba[:, :, :3]),
        "columns reversed": rgba[:, ::-1, :3],
        "rows reversed": rgba[::-1, :, :3],
        "RGBA's last three channels": rgba[:, :, 1:],
        "channels reversed (BGR)": rgba[:, :, 2::-1],
    }


@pytest.mark.parametrize("name", list(_views()))
def test_every_layout_of_the_pixels_gives_the_same_file(name):
    """Pixels whose three bytes sit side by side are copied a pixel at a time (3-byte items), any
    other layout byte by byte: Pillow decodes the file to the pixels given, whatever their strides."""
    rgb = _views()[name]
    data = png_bytes(rgb, 300)
    with Image.open(io.BytesIO(data)) as im:
        assert np.array_equal(np.asarray(im), rgb)
    assert data == png_bytes(np.ascontiguousarray(rgb), 300)


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 4), np.uint8),
                                 np.zeros((4, 4, 3), np.float64), np.zeros((0, 4, 3), np.uint8)])
def test_what_is_not_an_rgb_image_is_refused(bad):
    with pytest.raises(ValueError, match="height x width x 3 uint8"):
        png_bytes(bad, 300)
