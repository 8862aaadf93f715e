"""ID-7's rules on their own: a JPEG judged by its markers, the two naming schemes, junk by
name, zip bombs by their sizes; and DAY-6's status-change history lines."""

from __future__ import annotations

import zipfile

import pytest

from contracts.errors import ContractError
from province_node.card import card_content, status_history
from province_node.domain.photo import (
    MAX_ENTRIES,
    MAX_PHOTO_BYTES,
    ZipEntry,
    check_photo,
    check_zip_entries,
    junk_reason,
    parse_photo_name,
)
from province_node.photos import _entry_name
from tests.support.people import PNG
from tests.support.photos import jpeg, sized_jpeg

ID = "44010620150309801X"


def _code(data: bytes) -> str:
    with pytest.raises(ContractError) as refused:
        check_photo(data)
    assert refused.value.field == "photo"
    return refused.value.code


def test_id7_a_jpeg_is_judged_by_its_markers_and_its_size() -> None:
    photo = check_photo(jpeg("a", width=16, height=24))
    assert (photo.width, photo.height, photo.size) == (16, 24, len(jpeg("a", width=16, height=24)))
    assert check_photo(sized_jpeg(MAX_PHOTO_BYTES - 1)).size == MAX_PHOTO_BYTES - 1
    assert _code(sized_jpeg(MAX_PHOTO_BYTES)) == "photo_too_large"  # "< 60 KB"
    assert _code(PNG) == "photo_not_jpeg"
    assert _code(b"GIF89a" + b"\x00" * 20) == "photo_not_jpeg"
    assert _code(b"") == "photo_required"
    assert _code(jpeg("a")[:-2]) == "photo_broken"  # no EOI: truncated
    assert _code(jpeg("a")[:40]) == "photo_broken"  # cut inside a segment
    assert _code(b"\xff\xd8\xff\xd9") == "photo_broken"  # SOI, EOI, nothing between
    no_frame = jpeg("a").replace(b"\xff\xc0", b"\xff\xe1")  # the frame header made an APP1
    assert _code(no_frame) == "photo_broken"
    zero = jpeg("a", width=0, height=0)
    assert _code(zero) == "photo_broken"


def test_id7_files_are_named_by_id_number_or_school_class_name() -> None:
    assert parse_photo_name(f"一班/{ID}.jpg").id_number == ID
    assert parse_photo_name(f"{ID}.JPEG").id_number == ID
    named = parse_photo_name("3440106002_2026201_张 三.jpg")
    assert (named.school_code, named.class_code, named.name) == ("3440106002", "2026201", "张 三")
    for bad, words in (
        (f"{ID[:-1]}x.jpg", "大写"),
        (f"{ID}.png", ".jpg"),
        ("张三.jpg", "学校标识码_班号_姓名"),
        ("3440106002_20262_张三.jpg", "学校标识码_班号_姓名"),
        (ID, ".jpg"),
    ):
        with pytest.raises(ContractError) as refused:
            parse_photo_name(bad)
        assert refused.value.field == "file" and words in refused.value.message, bad


def test_id7_junk_is_refused_by_name() -> None:
    for junk in ("Thumbs.db", "一班/thumbs.db", ".DS_Store", "__MACOSX/一班/._a.jpg",
                 "desktop.ini", "一班/._44010620150309801X.jpg"):  # fmt: skip
        assert junk_reason(junk), junk
    assert junk_reason(f"一班/{ID}.jpg") is None


def test_id7_a_zip_bomb_is_refused_by_its_sizes_before_any_entry_is_read() -> None:
    photos = [ZipEntry(f"{i}.jpg", 30_000, 30_500) for i in range(50)]
    check_zip_entries(photos)  # photos hardly compress: fine
    with pytest.raises(ContractError) as bomb:
        check_zip_entries([*photos, ZipEntry("big.jpg", 20_000, 2**30)])
    assert bomb.value.code == "zip_bomb" and "压缩炸弹" in bomb.value.message
    with pytest.raises(ContractError) as many:
        check_zip_entries([ZipEntry(f"{i}.jpg", 100, 100) for i in range(MAX_ENTRIES + 1)])
    assert many.value.code == "zip_bomb" and str(MAX_ENTRIES) in many.value.message
    folders = [ZipEntry(f"{i}/", 0, 0, is_dir=True) for i in range(MAX_ENTRIES + 1)]
    check_zip_entries(folders)  # folders are not files


def test_id7_names_of_a_zip_made_on_chinese_windows_are_read_as_gbk() -> None:
    info = zipfile.ZipInfo("3440106002_2026201_张三.jpg".encode("gbk").decode("cp437"))
    assert _entry_name(info) == "3440106002_2026201_张三.jpg"
    flagged = zipfile.ZipInfo("一班/张三.jpg")
    flagged.flag_bits |= 0x800
    assert _entry_name(flagged) == "一班/张三.jpg"


def test_day6_the_status_change_history_leaves_maintenance_out() -> None:
    names = {"3440106002": "天河区第一初级中学"}
    history = [
        {"at": "2026-09-01T02:00:00+00:00", "type": "Registered",
         "data": {"school_code": "3440106002", "class_code": "2026201"}},
        {"at": "2026-09-02T02:00:00+00:00", "type": "Edited", "data": {"changes": {}}},
        {"at": "2026-09-03T02:00:00+00:00", "type": "PhotoSet", "data": {}},
        {"at": "2026-11-20T02:00:00+00:00", "type": "Changed",
         "data": {"business": "suspension", "status": "休学", "school_code": "3440106002",
                  "class_code": "2026201", "change_date": "2026-11-20"}},
        {"at": "2027-07-01T02:00:00+00:00", "type": "Graduated",
         "data": {"status": "毕业", "graduation_date": "2027-07-01"}},
    ]  # fmt: skip
    lines = status_history(history, names)
    assert [line["at"] for line in lines] == [
        "2026-09-01 10:00:00", "2026-11-20 10:00:00", "2027-07-01 10:00:00"
    ]  # fmt: skip
    assert lines[0]["text"] == "在天河区第一初级中学完成学籍注册（班级 2026201）"
    assert lines[1]["text"].startswith("休学：学籍状态“休学”")
    assert lines[2]["text"] == "毕业（2027-07-01）"


def test_day6_what_the_record_does_not_hold_shows_a_dash() -> None:
    from datetime import datetime

    from xueji.clock import SHANGHAI

    record = {"student_number": "G" + ID, "name": "张三", "sex": "1", "id_type": "1",
              "birth_date": "2015-03-09", "id_number": ID, "ethnicity": "01", "status": "在校",
              "school_code": "3440106002", "class_code": "2026201", "guardians": [],
              "profile": {}}  # fmt: skip
    content = card_content(
        record, [], {}, {}, False, "card", datetime(2026, 11, 22, tzinfo=SHANGHAI)
    )
    assert (content["sex"], content["ethnicity"], content["id_type"]) == (
        "男",
        "汉族",
        "居民身份证",
    )
    assert content["household_location"] == content["address"] == content["grade"] == "—"
    assert content["nationality"] == "中国" and content["hmt"] == "否" and content["members"] == []
