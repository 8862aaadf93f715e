"""ID-7 student photos `[004 Q66–69]`, `[002 §14]`: a JPEG under 60 KB per student, set one by
one or from a zip of a class, grade or school named by ID number or 学校标识码_班号_姓名; junk
and zip bombs refused; the photos exported as a zip behind a second account (SEC-4)."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.support.cases import enrolled_student
from tests.support.mesh import Mesh
from tests.support.people import PNG
from tests.support.photos import jpeg, sized_jpeg, zipped

JUNIOR = "3440106002"
OTHER = "3440106003"  # another junior school of the same county
REGISTRAR = f"{JUNIOR}_registrar"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    """SQLite only: each PostgreSQL mesh test leaves ~5 server connections open (the suite's
    one server runs out), and nothing here depends on the store's kind."""
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def _put(
    mesh: Mesh, number: str, data: bytes, status: int = 200, as_: str = REGISTRAR
) -> dict:
    reply = await mesh.put(
        "44",
        f"/api/v1/students/{number}/photo",
        as_=as_,
        content=data,
        headers={"Content-Type": "image/jpeg"},
    )
    assert reply.status_code == status, reply.text
    return reply.json()


async def _photo(mesh: Mesh, number: str, as_: str = "440106_registrar"):
    return await mesh.get("44", f"/api/v1/students/{number}/photo", as_=as_)


async def _photo_events(mesh: Mesh, number: str) -> list[dict]:
    reply = await mesh.get("44", f"/api/v1/students/{number}/history", as_="440000_registrar")
    return [e for e in reply.json()["items"] if e["type"] == "PhotoSet"]


async def _with_photo(mesh: Mesh, value: str) -> set[str]:
    reply = await mesh.get(
        "44",
        "/api/v1/students",
        as_="440106_registrar",
        params={"has_photo": value, "school_code": JUNIOR, "page_size": 200},
    )
    assert reply.status_code == 200, reply.text
    return {i["student_number"] for i in reply.json()["items"]}


async def _import(
    mesh: Mesh, data: bytes, status: int = 200, as_: str = REGISTRAR, **form: str
) -> dict:
    reply = await mesh.post(
        "44",
        "/api/v1/photos/import",
        as_=as_,
        data=form,
        files={"file": ("照片.zip", data, "application/zip")},
    )
    assert reply.status_code == status, reply.text
    return reply.json()


async def test_id7_a_jpeg_under_60kb_is_the_photo_and_replaces_the_previous_one(
    mesh: Mesh,
) -> None:
    number = await enrolled_student(mesh, "44", 801, "张照片", school=JUNIOR)
    missing = await _photo(mesh, number)
    assert missing.status_code == 404 and missing.json()["field"] == "photo"
    first, second = jpeg("first"), sized_jpeg(60 * 1024 - 1, "second")
    stored = await _put(mesh, number, first)
    assert stored["has_photo"] and stored["photo"]["size"] == len(first)
    assert stored["photo"]["width"] == 8
    shown = await _photo(mesh, number)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert shown.content == first
    await _put(mesh, number, second)  # just under 60 KB: accepted, replaces the first
    assert (await _photo(mesh, number)).content == second
    await _put(mesh, number, second)  # the same photo again stores nothing
    events = await _photo_events(mesh, number)
    assert len(events) == 2 and events[0]["actor"] == REGISTRAR
    assert events[0]["data"]["blob"] == stored["photo"]["blob"] != events[1]["data"]["blob"]
    assert number in await _with_photo(mesh, "true")
    audit = await mesh.get("44", "/api/v1/audit", as_="440000_registrar",
                           params={"student": number, "type": "RecordRead"})  # fmt: skip
    reads = [(e["account"], e["reason"]) for e in audit.json()["events"] if "照片" in e["reason"]]
    assert reads == [("440106_registrar", "查看学生照片")] * 3  # every read audited (issue 18)
    blob = events[1]["data"]["blob"]
    assert (mesh.blobs / "44" / blob[:2] / blob).is_file()  # the node's blob store (SEC-7)


async def test_id7_bad_photos_are_refused_naming_the_field_and_nothing_is_stored(
    mesh: Mesh,
) -> None:
    number = await enrolled_student(mesh, "44", 802, "李坏图", school=JUNIOR)
    too_large = await _put(mesh, number, sized_jpeg(61 * 1024), status=422)
    assert (too_large["field"], too_large["code"]) == ("photo", "photo_too_large")
    assert "60KB" in too_large["detail"] and "61.0KB" in too_large["detail"]
    png = await _put(mesh, number, PNG, status=422)  # a PNG renamed .jpg is still a PNG
    assert png["code"] == "photo_not_jpeg" and "JPG" in png["detail"]
    truncated = await _put(mesh, number, jpeg("cut")[:-40], status=422)
    assert truncated["code"] == "photo_broken"
    fake = await _put(mesh, number, b"\xff\xd8\xff" + b"not a picture" * 10, status=422)
    assert fake["code"] == "photo_broken"
    empty = await _put(mesh, number, b"", status=422)
    assert empty["code"] == "photo_required"
    other = await _put(mesh, number, jpeg("other"), status=404, as_=f"{OTHER}_registrar")
    assert other["code"] == "not_found"  # SEC-8: another school's student is not there
    bureau = await _put(mesh, number, jpeg("bureau"), status=403, as_="440106_registrar")
    assert bureau["code"]
    assert await _photo_events(mesh, number) == []
    assert number not in await _with_photo(mesh, "true")


async def test_id7_zip_import_gives_a_result_per_file_and_refuses_junk_by_name(
    mesh: Mesh,
) -> None:
    by_id = await enrolled_student(mesh, "44", 803, "王一", school=JUNIOR)
    by_name = await enrolled_student(mesh, "44", 804, "王二", school=JUNIOR)
    elsewhere = await enrolled_student(mesh, "44", 805, "王三", school=OTHER)
    id_number = by_id[1:]
    files = {
        f"初二1班/{id_number}.jpg": jpeg("one"),
        f"初二1班/{JUNIOR}_2026201_王二.jpg": jpeg("two"),
        "Thumbs.db": b"\x00" * 100,
        f"__MACOSX/初二1班/._{id_number}.jpg": b"\x00\x05\x16\x07",
        ".DS_Store": b"\x00\x00\x00\x01Bud1",
        f"{elsewhere[1:]}.jpg": jpeg("three"),  # another school's student
        f"{OTHER}_2026201_王三.jpg": jpeg("four"),
        f"{id_number[:-1]}x.jpg": jpeg("five"),  # lower-case x
        "readme.txt": b"photos",
        "王二.jpg": jpeg("six"),
    }
    if id_number.endswith("X"):  # the lower-case file must name someone else then
        files.pop(f"{id_number[:-1]}x.jpg")
    result = await _import(mesh, zipped(files))
    items = {i["file"]: i for i in result["items"]}
    assert result["accepted"] == 2 and result["total"] == len(files)
    assert items[f"初二1班/{id_number}.jpg"]["student_number"] == by_id
    assert items[f"初二1班/{JUNIOR}_2026201_王二.jpg"]["student_number"] == by_name
    for junk in ("Thumbs.db", f"__MACOSX/初二1班/._{id_number}.jpg", ".DS_Store"):
        assert items[junk]["result"] == "refused" and "系统生成" in items[junk]["reason"]
    assert "本校没有身份证件号" in items[f"{elsewhere[1:]}.jpg"]["reason"]
    assert "不是本校" in items[f"{OTHER}_2026201_王三.jpg"]["reason"]
    assert ".jpg" in items["readme.txt"]["reason"]
    assert "学校标识码_班号_姓名" in items["王二.jpg"]["reason"]
    if f"{id_number[:-1]}x.jpg" in items:
        assert "大写" in items[f"{id_number[:-1]}x.jpg"]["reason"]
    assert (await _photo(mesh, by_id)).content == jpeg("one")
    assert (await _photo(mesh, by_name)).content == jpeg("two")
    assert await _photo_events(mesh, elsewhere) == []
    assert {by_id, by_name} <= await _with_photo(mesh, "true")
    # a class's zip: a student of another class is refused, nothing stored for it
    scoped = await _import(mesh, zipped({f"{id_number}.jpg": jpeg("seven")}), class_code="2026202")
    assert scoped["accepted"] == 0 and "所选班级" in scoped["items"][0]["reason"]
    assert (await _photo(mesh, by_id)).content == jpeg("one")
    bad = await _import(
        mesh, zipped({f"{id_number}.jpg": PNG, f"{by_name[1:]}.jpg": sized_jpeg(61 * 1024, "big")})
    )
    reasons = [i["reason"] for i in bad["items"]]
    assert bad["accepted"] == 0 and "JPG" in reasons[0] and "60KB" in reasons[1]
    assert len(await _photo_events(mesh, by_id)) == 1


async def test_id7_a_zip_bomb_or_a_non_zip_is_refused_whole(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 806, "赵炸弹", school=JUNIOR)
    bomb = zipped({f"{number[1:]}.jpg": jpeg("ok"), "big.jpg": b"\x00" * (20 * 2**20)})
    assert len(bomb) < 100_000
    refused = await _import(mesh, bomb, status=422)
    assert (refused["code"], refused["field"]) == ("zip_bomb", "file")
    assert "压缩炸弹" in refused["detail"]
    many = zipped({f"{i}.jpg": b"" for i in range(3_001)}, zipfile.ZIP_STORED)
    assert (await _import(mesh, many, status=422))["code"] == "zip_bomb"
    not_zip = await _import(mesh, jpeg("plain"), status=422)
    assert not_zip["code"] == "bad_zip" and "zip" in not_zip["detail"]
    assert await _photo_events(mesh, number) == []
    bureau = await mesh.post(
        "44",
        "/api/v1/photos/import",
        as_="440106_registrar",
        files={"file": ("照片.zip", bomb, "application/zip")},
    )
    assert bureau.status_code == 403


async def test_id7_photo_export_is_a_zip_by_id_number_behind_a_second_account(
    mesh: Mesh,
) -> None:
    first = await enrolled_student(mesh, "44", 807, "钱导出", school=JUNIOR)
    second = await enrolled_student(mesh, "44", 808, "孙导出", school=JUNIOR)
    await enrolled_student(mesh, "44", 809, "周无照", school=JUNIOR)
    await _put(mesh, first, jpeg("a"))
    await _put(mesh, second, jpeg("b"))
    path, params = "/api/v1/photos/export", {"school_code": JUNIOR}
    unconfirmed = await mesh.get("44", path, as_=REGISTRAR, params=params)
    assert unconfirmed.status_code == 403
    assert unconfirmed.json()["code"] == "second_account_required"
    confirm = {
        "X-Export-Confirmer": f"{JUNIOR}_approver",
        "X-Export-Confirmer-Password": "Xueji@2026",
    }
    wrong = await mesh.get(
        "44",
        path,
        as_=REGISTRAR,
        params=params,
        headers=confirm | {"X-Export-Confirmer-Password": "wrong"},
    )
    assert wrong.status_code == 401
    outside = await mesh.get("44", path, as_=f"{OTHER}_registrar", params=params, headers=confirm)
    assert outside.status_code == 403
    exported = await mesh.get("44", path, as_=REGISTRAR, params=params, headers=confirm)
    assert exported.status_code == 200, exported.text
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        assert sorted(archive.namelist()) == sorted([f"{first[1:]}.jpg", f"{second[1:]}.jpg"])
        assert archive.read(f"{first[1:]}.jpg") == jpeg("a")
    klass = await mesh.get(
        "44", path, as_=REGISTRAR, headers=confirm, params=params | {"class_code": "2026202"}
    )
    assert zipfile.ZipFile(io.BytesIO(klass.content)).namelist() == []
    exports = mesh.runtime("44").node.recorder.select_notifications(
        start=1, limit=10_000, topics=["xueji.access.account:Account.DataExported"]
    )
    assert len(exports) == 2  # SEC-4: each export recorded (the refused ones are not)
