"""ID-7 student photos: one upload, a zip import per class / grade / school, the read, and the
export behind SEC-4.

A photo's bytes go to the node's blob store (encrypted at rest, SEC-7) under their sha256;
the `Student.PhotoSet` event names that blob. A new photo replaces the previous one; the
same photo again stores nothing.

Import: the school registrar imports its own school's photos (a bureau does not: photos are
taken and matched at the school, where the registrar knows the classes — DESIGN note in
docs/architecture.md). Each file gets a result, accepted or refused with its reason; a refused
file stores nothing; a zip bomb is refused whole before any entry is read.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from dataclasses import dataclass

from contracts.errors import ContractError, DomainError, NotFound
from contracts.meta import CommandMeta
from projections.service import Views
from province_node.application import ProvinceNode
from province_node.domain.photo import (
    MAX_PHOTO_BYTES,
    Photo,
    PhotoName,
    ZipEntry,
    check_photo,
    check_zip_entries,
    junk_reason,
    parse_photo_name,
)
from province_node.views.photos import photographed, school_students
from xueji.access.exports import ConfirmedExport
from xueji.access.service import AccessService
from xueji.blobs import BlobStore
from xueji.clock import Clock
from xueji.logs import get_logger
from xueji.store import Writer

log = get_logger("province_node.photos")
#: The read audit's word for viewing a photo (`AccessService.record_read`).
READ = "查看学生照片"
EXPORT_LIMIT = 10_000
_UTF8_NAMES = 0x800


@dataclass(frozen=True)
class ImportScope:
    """What the zip is for: the school's photos, or one grade's, or one class's."""

    class_code: str | None = None
    grade: str | None = None


class PhotoService:
    def __init__(
        self,
        node: ProvinceNode,
        writer: Writer,
        views: Views,
        clock: Clock,
        blobs: BlobStore,
        exports: AccessService,
    ) -> None:
        self.node, self.writer, self.views, self.clock = node, writer, views, clock
        self.blobs, self.exports = blobs, exports

    # --- one photo --------------------------------------------------------------------------

    async def put(self, student_number: str, data: bytes, meta: CommandMeta) -> dict:
        """The student's school sets its photo (JPEG < 60 KB); it replaces the previous one."""
        photo = check_photo(data)
        at = self.clock.now().isoformat()

        def put() -> dict:
            student = self.node.get_student(student_number)
            self._set(student, data, photo, "upload", at, meta)
            self.node.save(student)
            return self._facts(student)

        return await self.writer(put)

    async def facts(self, student_number: str) -> dict:
        return await self.writer(lambda: self._facts(self.node.get_student(student_number)))

    async def read(self, student_number: str) -> bytes:
        """The photo's bytes (the routes record the read first: `READ`, issue 18's audit)."""
        facts = await self.facts(student_number)
        if not facts["has_photo"]:
            raise NotFound("该学生暂无照片", field="photo")
        return await asyncio.to_thread(self.blobs.get, facts["photo"]["blob"])

    def _set(self, student, data: bytes, photo, source: str, at: str, meta: CommandMeta) -> bool:
        """The photo on the record, unless it is the one already there (False)."""
        student.check_editable(meta.unit_code)
        return store_photo(self.blobs, student, data, photo, source, at, meta.as_dict())

    @staticmethod
    def _facts(student) -> dict:
        photo = student.photo
        return {
            "student_number": student.student_number,
            "has_photo": photo is not None,
            "photo": photo,
        }

    # --- the zip import ---------------------------------------------------------------------

    async def import_zip(
        self, data: bytes, filename: str, scope: ImportScope, meta: CommandMeta
    ) -> dict:
        """Each file of the zip accepted or refused with its reason (nothing of a refused
        file is stored); a zip bomb or a broken zip is refused whole."""
        filename = filename[-200:]  # kept in each photo's event (`source`)
        if not data:
            raise ContractError("file", "file_required", "请选择照片压缩包（.zip）")
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise ContractError("file", "bad_zip", f"文件“{filename}”不是 zip 压缩包")
        await self.views.caught_up()
        table = self.views.view("students").table("students")
        students = await self.views.read(school_students, table, meta.unit_code)
        checked = await asyncio.to_thread(_read_zip, data, students, scope, meta.unit_code)
        at = self.clock.now().isoformat()
        await self.writer(self._store, checked, filename, at, meta)
        items = [item for item, _, _ in checked]
        accepted = sum(1 for i in items if i["result"] == "accepted")
        log.info("photos_imported", file=filename, accepted=accepted, files=len(items))
        return {
            "file": filename,
            "total": len(items),
            "accepted": accepted,
            "refused": len(items) - accepted,
            "items": items,
        }

    def _store(self, checked: list, filename: str, at: str, meta: CommandMeta) -> None:
        changed = []
        for item, data, photo in checked:
            if data is None:
                continue
            try:
                student = self.node.get_student(item["student_number"])
                if self._set(student, data, photo, f"import:{filename}", at, meta):
                    changed.append(student)
                else:
                    item["reason"] = "与该学生现有照片相同，未重复保存"
            except DomainError as refused:  # the record left the school meanwhile
                item |= {"result": "refused", "reason": refused.message}
        if changed:
            self.node.save(*changed)

    # --- the export (SEC-4) -----------------------------------------------------------------

    async def export(
        self,
        schools: list[str] | None,
        equals: dict[str, str | None],
        export: ConfirmedExport,
        purpose: str = "照片导出",
    ) -> tuple[bytes, int]:
        """The selected school's (grade's, class's) photos as a zip named by ID number;
        confirmed by a second account of the unit (SEC-4), and the export is recorded."""
        await self.views.caught_up()
        table = self.views.view("students").table("students")
        rows = await self.views.read(photographed, table, schools, equals, EXPORT_LIMIT)

        def blobs() -> list[tuple[dict, str]]:
            found = []
            for row in rows:
                photo = self.node.get_student(row["student_number"]).photo
                if photo:
                    found.append((row, photo["blob"]))
            return found

        named = await self.writer(blobs)
        data = await asyncio.to_thread(self._zip, named)
        await export.record(["id_number", "photo"], len(named), purpose)
        return data, len(named)

    def _zip(self, named: list[tuple[dict, str]]) -> bytes:
        out = io.BytesIO()
        used: set[str] = set()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
            for row, blob in named:
                stem = (row["id_number"] or row["student_number"]).upper()
                if stem in used:
                    stem = row["student_number"]
                used.add(stem)
                info = zipfile.ZipInfo(f"{stem}.jpg", date_time=(2026, 1, 1, 0, 0, 0))
                info.flag_bits |= _UTF8_NAMES
                archive.writestr(info, self.blobs.get(blob))
        return out.getvalue()


def store_photo(
    blobs: BlobStore, student, data: bytes, photo: Photo, source: str, at: str, meta: dict
) -> bool:
    """The one way a photo reaches a record (upload, zip import, a transfer's archive): the
    bytes, checked by `check_photo`, go to the blob store, then the event names them; False
    when it is the photo the record already has."""
    if student.photo and student.photo["blob"] == photo.sha256:
        return False
    blobs.put(data)  # content-addressed: stored just before the event naming it
    student.set_photo(
        blob=photo.sha256,
        size=photo.size,
        width=photo.width,
        height=photo.height,
        source=source,
        at=at,
        meta=meta,
    )
    return True


def _entry_name(info: zipfile.ZipInfo) -> str:
    """Zips made on Chinese Windows carry GBK names without the UTF-8 flag."""
    if info.flag_bits & _UTF8_NAMES:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _read_zip(
    data: bytes, students: list[dict], scope: ImportScope, school_code: str
) -> list[tuple[dict, bytes | None, object]]:
    """(result, bytes to store or None, the checked photo) per file, in the zip's order."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        check_zip_entries(
            ZipEntry(i.filename, i.compress_size, i.file_size, i.is_dir()) for i in infos
        )
        by_id = {s["id_number"].upper(): s for s in students if s["id_number"]}
        taken: dict[str, str] = {}
        results = []
        for info in infos:
            if info.is_dir():
                continue
            name = _entry_name(info)
            item: dict = {"file": name[-300:], "result": "refused"}
            try:
                student = _match(name, by_id, students, school_code)
                _in_scope(student, scope)
                if info.flag_bits & 0x1:
                    raise ContractError("file", "encrypted", "文件已加密，无法读取")
                if info.file_size >= MAX_PHOTO_BYTES:
                    size = info.file_size / 1024
                    raise ContractError(
                        "file", "photo_too_large", f"照片须小于60KB（当前 {size:.1f}KB）"
                    )
                with archive.open(info) as member:
                    content = member.read(MAX_PHOTO_BYTES)  # bounded whatever the header says
                photo = check_photo(content, "file")
                number = student["student_number"]
                if number in taken:
                    raise ContractError(
                        "file", "duplicate", f"与文件“{taken[number]}”是同一名学生，未导入"
                    )
                taken[number] = name
            except (ContractError, DomainError, zipfile.BadZipFile, OSError) as refused:
                reason = getattr(refused, "message", None) or "文件损坏，无法读取"
                results.append((item | {"reason": reason}, None, None))
                continue
            item |= {
                "result": "accepted",
                "student_number": number,
                "name": student["name"],
                "class_code": student["class_code"],
            }
            results.append((item, content, photo))
        return results


def _match(path: str, by_id: dict[str, dict], students: list[dict], school_code: str) -> dict:
    reason = junk_reason(path)
    if reason:
        raise ContractError("file", "junk_file", reason)
    named: PhotoName = parse_photo_name(path)
    if named.id_number is not None:
        found = by_id.get(named.id_number)
        if found is None:
            raise ContractError(
                "file", "no_student", f"本校没有身份证件号为 {named.id_number} 的在校学生"
            )
        return found
    if named.school_code != school_code:
        message = f"学校标识码 {named.school_code} 不是本校，只能导入本校学生的照片"
        raise ContractError("file", "other_school", message)
    same = [s for s in students if s["class_code"] == named.class_code and s["name"] == named.name]
    if not same:
        message = f"本校班号 {named.class_code} 中没有名为“{named.name}”的学生"
        raise ContractError("file", "no_student", message)
    if len(same) > 1:
        raise ContractError(
            "file",
            "ambiguous",
            f"班号 {named.class_code} 中有 {len(same)} 名“{named.name}”，请以身份证件号命名照片",
        )
    return same[0]


def _in_scope(student: dict, scope: ImportScope) -> None:
    if scope.class_code and student["class_code"] != scope.class_code:
        raise ContractError(
            "file", "outside_scope", f"该学生不在所选班级（{scope.class_code}），未导入"
        )
    if scope.grade and student["grade"] != scope.grade:
        raise ContractError("file", "outside_scope", f"该学生不在所选年级（{scope.grade}），未导入")
