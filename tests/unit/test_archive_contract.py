"""ID-7 / XPT-6: the archive contract and the photo it carries (`contracts.events`)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from contracts.errors import ContractError
from contracts.events import ArchivePhoto, StudentArchive
from tests.support.photos import jpeg

RECORD = {"student_number": "G440106201503097024", "name": "李四", "profile": {"phone": None}}


def test_id7_archive_photo_round_trips_the_jpeg_bytes() -> None:
    photo = jpeg("archive")
    carried = ArchivePhoto.of(photo)
    assert carried.sha256 == hashlib.sha256(photo).hexdigest()
    wire = StudentArchive(province="44", record=RECORD, history=[], photo=carried).wire()
    assert StudentArchive.parse(wire).photo.content() == photo
    assert wire["record"] == RECORD  # None values inside the record stay


def test_id7_an_archive_without_a_photo_still_decodes() -> None:
    """Archives from before ID-7 (and PRB-6) have neither key: they decode as before."""
    old = {"province": "44", "record": RECORD, "history": [{"business": "注册"}]}
    archive = StudentArchive.parse(old)
    assert archive.photo is None and archive.problems == []
    assert "photo" not in archive.wire()


def test_id7_a_photo_whose_hash_does_not_match_is_refused() -> None:
    carried = ArchivePhoto.of(jpeg("one")).model_copy(update={"sha256": "0" * 64})
    with pytest.raises(ContractError) as refused:
        carried.content()
    assert refused.value.field == "archive.photo" and refused.value.code == "photo_mismatch"


def test_id7_broken_base64_is_refused() -> None:
    carried = ArchivePhoto(jpeg_base64="****", sha256="0" * 64)
    with pytest.raises(ContractError) as refused:
        carried.content()
    assert refused.value.code == "malformed"


def test_id7_an_oversized_photo_does_not_decode() -> None:
    """Base64 of 60 KB or more is longer than the contract allows."""
    big = base64.b64encode(b"x" * (61 * 1024)).decode()
    wire = {"province": "44", "record": RECORD, "history": [],
            "photo": {"jpeg_base64": big, "sha256": "0" * 64}}  # fmt: skip
    with pytest.raises(ContractError) as refused:
        StudentArchive.parse(wire)
    assert refused.value.field == "archive.photo.jpeg_base64"


def test_xpt6_an_archive_with_an_unknown_field_is_refused() -> None:
    with pytest.raises(ContractError) as refused:
        StudentArchive.parse({"province": "44", "record": {}, "history": [], "extra": 1})
    assert refused.value.field == "archive.extra"
