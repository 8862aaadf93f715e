"""ID-7 student photos 学生照片 `[004 Q66–69]`: JPEG only, under 60 KB, named by the ID number
(upper-case X) or `学校标识码_班号_姓名`; a zip per class, grade or school, junk refused by name,
a zip bomb refused whole.

A photo is judged by its content: the JPEG markers are walked from SOI through the frame
header (its size), the tables and the scan to EOI, so a PNG renamed `.jpg`, a truncated file
or text with a JPEG's first bytes is refused. (Pillow is not a dependency of the project; the
markers are the check.)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from contracts.errors import ContractError

#: "< 60 KB": a photo of 60 KB or more is refused.
MAX_PHOTO_BYTES = 60 * 1024
#: A zip of a whole school's photos (a large school imports per grade or class).
MAX_ENTRIES = 3_000
MAX_UNCOMPRESSED = 200 * 2**20
#: JPEGs hardly compress: a far higher ratio is a zip bomb (or not photos at all).
MAX_RATIO = 20

_SOI, _EOI, _SOS = b"\xff\xd8", 0xD9, 0xDA
#: Start-of-frame markers (baseline, extended, progressive, lossless …), not DHT/JPG/DAC.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RST0-7: no length
_JUNK_NAMES = {"thumbs.db", ".ds_store", "desktop.ini", "ehthumbs.db"}
_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
_SCHOOL_CLASS_NAME = re.compile(r"^(\d{10})_(\d{7})_(.+)$")


@dataclass(frozen=True)
class Photo:
    sha256: str
    size: int
    width: int
    height: int


def check_photo(data: bytes, field: str = "photo", what: str = "照片") -> Photo:
    """The facts kept about an accepted photo; the bytes go to the blob store by hash."""
    if not data:
        raise ContractError(field, "photo_required", f"请上传{what}（JPG 图片）")
    if len(data) >= MAX_PHOTO_BYTES:
        size = len(data) / 1024
        raise ContractError(field, "photo_too_large", f"{what}须小于60KB（当前 {size:.1f}KB）")
    if not data.startswith(_SOI + b"\xff"):
        raise ContractError(field, "photo_not_jpeg", f"{what}只能是 JPG（JPEG）格式的图片")
    width, height = _jpeg_size(data, field, what)
    return Photo(hashlib.sha256(data).hexdigest(), len(data), width, height)


def _jpeg_size(data: bytes, field: str, what: str) -> tuple[int, int]:
    """Walks the markers: a frame header with a size, then a scan, then EOI at the end."""
    broken = ContractError(field, "photo_broken", f"{what}不是完整的 JPEG 图片，无法识别")
    size: tuple[int, int] | None = None
    at = 2
    while at < len(data):
        if data[at] != 0xFF:
            raise broken
        while at < len(data) and data[at] == 0xFF:  # fill bytes
            at += 1
        if at >= len(data):
            raise broken
        marker = data[at]
        at += 1
        if marker in _STANDALONE:
            continue
        if marker == _EOI:
            raise broken  # EOI before any scan
        if at + 2 > len(data):
            raise broken
        length = int.from_bytes(data[at : at + 2], "big")
        if length < 2 or at + length > len(data):
            raise broken
        if marker in _SOF:
            if length < 8:
                raise broken
            height = int.from_bytes(data[at + 3 : at + 5], "big")
            width = int.from_bytes(data[at + 5 : at + 7], "big")
            if not (width and height):
                raise broken
            size = (width, height)
        if marker == _SOS:
            if size is None:
                raise broken
            if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
                raise broken  # truncated: the scan never ends
            return size
        at += length
    raise broken


# --- the names of the files in a zip ------------------------------------------------------


@dataclass(frozen=True)
class PhotoName:
    """Who a file in an import is for: an ID number, or school code, class code and name."""

    id_number: str | None = None
    school_code: str | None = None
    class_code: str | None = None
    name: str | None = None


def junk_reason(path: str) -> str | None:
    """Files an operating system leaves in a zip (`Thumbs.db`, `__MACOSX/…`, `.DS_Store`)."""
    parts = path.replace("\\", "/").split("/")
    base = parts[-1]
    if "__MACOSX" in parts or base.lower() in _JUNK_NAMES or base.startswith("._"):
        return "系统生成的文件，不是学生照片，已拒绝"
    return None


def parse_photo_name(path: str) -> PhotoName:
    """The file's name (folders ignored): `<ID number>.jpg` with an upper-case X, or
    `学校标识码_班号_姓名.jpg`."""
    base = path.replace("\\", "/").split("/")[-1]
    stem, dot, extension = base.rpartition(".")
    if not dot or extension.lower() not in ("jpg", "jpeg"):
        raise ContractError("file", "photo_not_jpeg", "照片文件须为 .jpg 或 .jpeg 文件")
    stem = stem.strip()
    if re.fullmatch(r"\d{17}x", stem):
        raise ContractError("file", "bad_photo_name", "身份证件号末位的 X 须大写")
    if _ID_NUMBER.match(stem):
        return PhotoName(id_number=stem)
    named = _SCHOOL_CLASS_NAME.match(stem)
    if named:
        school_code, class_code, name = named.groups()
        return PhotoName(school_code=school_code, class_code=class_code, name=name.strip())
    raise ContractError(
        "file",
        "bad_photo_name",
        "文件名须为学生的身份证件号（末位X大写），或“学校标识码_班号_姓名”",
    )


@dataclass(frozen=True)
class ZipEntry:
    name: str
    compressed: int
    size: int
    is_dir: bool = False


def check_zip_entries(entries: Iterable[ZipEntry], field: str = "file") -> None:
    """A zip bomb is refused whole, before any entry is read: too many entries, or an
    uncompressed size far above the compressed."""
    files = [e for e in entries if not e.is_dir]
    if len(files) > MAX_ENTRIES:
        raise ContractError(
            field, "zip_bomb", f"压缩包文件过多（{len(files)} 个，上限 {MAX_ENTRIES}），已整体拒绝"
        )
    total = sum(e.size for e in files)
    packed = sum(e.compressed for e in files)
    if total > MAX_UNCOMPRESSED or total > max(packed, 1) * MAX_RATIO + MAX_PHOTO_BYTES:
        raise ContractError(
            field,
            "zip_bomb",
            f"压缩包解压后过大（{total / 2**20:.1f}MB，压缩后 {packed / 2**20:.1f}MB），"
            "疑似压缩炸弹，已整体拒绝",
        )
