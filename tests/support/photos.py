"""Real JPEGs and zips for the ID-7 tests, made without an imaging library.

`jpeg()` writes a baseline JPEG of one 8×8 grey block: SOI, JFIF, a quantisation table, the
frame header, two one-code Huffman tables, the scan (DC 0, end of block) and EOI; `pad`
bytes of comment make it as large as a test needs, `tag` makes each photo distinct.
"""

from __future__ import annotations

import io
import struct
import zipfile


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def jpeg(tag: str = "", pad: int = 0, width: int = 8, height: int = 8) -> bytes:
    jfif = b"JFIF\x00\x01\x01\x01\x00\x48\x00\x48\x00\x00"
    quant = b"\x00" + bytes([1] * 64)
    frame = b"\x08" + struct.pack(">HH", height, width) + b"\x01\x01\x11\x00"
    one_code = bytes([1] + [0] * 15) + b"\x00"  # one code of length 1, for value 0
    huffman = b"\x00" + one_code + b"\x10" + one_code  # DC table 0, AC table 0
    scan = b"\x01\x01\x00\x00\x3f\x00"
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    bits = "00" * blocks  # per block: DC difference 0, then end of block
    bits += "1" * (-len(bits) % 8)
    data = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))
    comment = (tag.encode() + b" " * pad)[: max(0, 65000)]
    out = b"\xff\xd8" + _segment(0xE0, jfif) + _segment(0xFE, comment or b"x")
    while pad > 65000:  # more comment segments for a large file
        out += _segment(0xFE, b" " * 65000)
        pad -= 65000
    out += _segment(0xDB, quant) + _segment(0xC0, frame) + _segment(0xC4, huffman)
    return out + _segment(0xDA, scan) + data + b"\xff\xd9"


def sized_jpeg(size: int, tag: str = "") -> bytes:
    """A JPEG of exactly `size` bytes."""
    base = len(jpeg(tag))
    photo = jpeg(tag, pad=size - base + len(tag.encode() or b"x") - len(tag.encode()))
    assert len(photo) == size, (len(photo), size)
    return photo


def zipped(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()
