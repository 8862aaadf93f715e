"""Schools and regions that change (ORG-1 区划变更, ORG-2 学校变更, ORG-4 学校基本信息).

The use cases of the change files of the institution code system and of the school profile:
each write runs on the node's writer; what a change does to the organisation tree (a new
county, a renamed school, a school under another bureau) is put on the running tree at once,
and the accounts of a new unit are opened as the node's seed opens them (the demo's, in demo
mode; none in production, where the province's sysadmin opens them). Revocations wait:
`settle` completes those whose region or school has nothing left — it runs after every
confirmation and by the node's sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from contracts.codes import Level, StudentStatus
from contracts.errors import DomainError, Forbidden
from contracts.meta import CommandMeta
from contracts.org import OrgTree, Unit
from contracts.regions import REGIONS, region_contains
from projections.service import Views
from province_node.application import ProvinceNode
from province_node.domain import region_change as rc
from province_node.domain import school_change as sc
from province_node.domain.school import BUREAU, PROFILE_FIELDS, SCHOOL, School
from province_node.excel.org_files import build_change_template, read_change_rows
from xueji.access.service import AccessService
from xueji.clock import Clock
from xueji.logs import get_logger
from xueji.store import Writer

log = get_logger("province_node.org_changes")
#: Statuses that keep a student on the school's roll (在籍): a revocation waits for them.
ON_ROLL = (StudentStatus.ENROLLED.value, StudentStatus.SUSPENDED.value)
REGION_EXAMPLES = [
    ("新增", "440118000000", "增城区", "440100000000", "2026"),
    ("更名", "440103000000", "荔湾新区", "", "2026"),
]
SCHOOL_EXAMPLES = [
    ("新增", "3440106101", "天河区第五小学", "440106000000", "440106000000", "", "普通中小学",
     "小学", "县级教育部门", "小学", "6-3", "", "2026", "3"),
    ("新增", "", "天河区实验小学东校区", "440106000000", "", "", "", "", "", "", "", "3440106001",
     "2026", "3"),
    ("撤销", "3440106004", "", "", "", "", "", "", "", "", "", "", "2026", "3"),
]  # fmt: skip

#: What `School.Registered` carries of an added school (the rest is its profile).
CORE_FIELDS = ("name", "region_code", "supervising_unit", "locality_unit", "school_type",
               "school_system")  # fmt: skip
AccountsFor = Callable[[list[tuple[str, str, str]]], list[dict]]


class OrgChangeService:
    def __init__(
        self,
        node: ProvinceNode,
        writer: Writer,
        org: OrgTree,
        access: AccessService,
        views: Views,
        clock: Clock,
        accounts_for: AccountsFor,
        demo: bool,
    ) -> None:
        """`accounts_for`: the seed's accounts of new units (none in production, SEC-8)."""
        self.node, self.writer, self.org, self.access = node, writer, org, access
        self.views, self.clock = views, clock
        self.accounts_for, self.demo = accounts_for, demo
        self.province = node.province

    # --- the books -------------------------------------------------------------------------

    def _region_book(self) -> rc.RegionChangeBook:
        found = self.node.find(rc.RegionChangeBook.create_id(self.province))
        return found or rc.RegionChangeBook(province=self.province)

    def _school_book(self) -> sc.SchoolChangeBook:
        found = self.node.find(sc.SchoolChangeBook.create_id(self.province))
        return found or sc.SchoolChangeBook(province=self.province)

    def _regions(self, book: rc.RegionChangeBook) -> dict[str, dict]:
        """The province's regions in force: the shipped table, then the changes made."""
        table = {
            r.code: {"code": r.code, "name": r.name, "level": r.level, "parent": r.parent or "",
                     "revoked": False}
            for r in REGIONS.values() if r.code[:2] == self.province
        }  # fmt: skip
        return table | {code: dict(r) for code, r in book.regions.items()}

    def _known_bureau(self, code: str) -> bool:
        if code not in self.org:
            return False
        unit = self.org.unit(code)
        revoked = self._region_book().regions.get(code, {}).get("revoked", False)
        return unit.level in (Level.COUNTY, Level.CITY, Level.PROVINCE) and not revoked

    def _school(self, code: str) -> School | None:
        found = self.node.find(School.create_id(code)) if code else None
        return found if isinstance(found, School) else None

    async def restore_tree(self) -> None:
        """At start: the regions the changes added or renamed join the organisation tree."""
        book = await self.writer(self._region_book)
        for region in book.regions.values():
            self.org.put(_bureau_unit(region))

    # --- ORG-1 region changes ----------------------------------------------------------------

    @staticmethod
    def region_template() -> bytes:
        return build_change_template(rc.REGION_COLUMNS, "区划变更", REGION_EXAMPLES)

    async def import_regions(self, data: bytes, filename: str, meta: CommandMeta) -> dict:
        rows = read_change_rows(data, rc.REGION_COLUMNS)
        return await self.writer(self._import_regions, rows, filename, meta)

    def _import_regions(self, rows: list, filename: str, meta: CommandMeta) -> dict:
        book = self._region_book()
        planned = rc.plan_region_rows(rows, self._regions(book), self.province, book.changes)
        return self._imported(book, planned, filename, meta, rc.view)

    def _imported(self, book, planned: list[dict], filename: str, meta: CommandMeta, show) -> dict:
        new = [{k: v for k, v in c.items() if k != "duplicate"} for c in planned
               if not c["duplicate"]]  # fmt: skip
        if new:
            book.import_changes(changes=new, filename=filename, at=self._now(), meta=meta.as_dict())
            self.node.save(book)
        words = {True: "已导入过，未重复导入", False: "已导入，待确认"}
        items = [
            show(book.changes[c["id"]]) | {"row": c["row"], "result": words[c["duplicate"]]}
            for c in planned
        ]
        return {"filename": filename, "rows": len(planned), "imported": len(new),
                "duplicates": len(planned) - len(new), "items": items}  # fmt: skip

    async def region_changes(self, year: int | None, state: str | None) -> list[dict]:
        book = await self.writer(self._region_book)
        return [rc.view(c) for c in book.listing(year, state)]

    async def confirm_regions(self, ids: list[str], meta: CommandMeta) -> dict:
        """The province confirms: adds and renames take effect; revokes wait (`settle`)."""
        done = await self.writer(self._confirm_regions, ids, meta)
        await self.settle(meta)
        book = await self.writer(self._region_book)
        return {"items": [rc.view(book.changes[i]) for i in ids], "accounts_opened": done}

    def _confirm_regions(self, ids: list[str], meta: CommandMeta) -> int:
        book, at, m = self._region_book(), self._now(), meta.as_dict()
        regions = self._regions(book)
        effects = []
        for change_id in dict.fromkeys(ids):
            change = book.check_confirm(change_id, regions)
            book.confirm(change_id=change_id, at=at, meta=m)
            if change["kind"] != "revoke":
                book.complete(change_id=change_id, disabled_accounts=[], at=at, meta=m)
                regions[change["code"]] = dict(book.regions[change["code"]])
                effects.append(book.regions[change["code"]])
        self.node.save(book)  # all confirmed at once, or (a refusal above) none
        opened = 0
        for region in effects:
            unit = _bureau_unit(region)
            new_unit = unit.code not in self.org
            self.org.put(unit)
            if new_unit:
                opened += self._open_accounts(unit, meta)
        return opened

    def _open_accounts(self, unit: Unit, meta: CommandMeta) -> int:
        seeds = self.accounts_for([(unit.code, unit.name, unit.level.value)])
        seeds = [s | {"meta": meta.as_dict()} for s in seeds]
        return self.access.load_accounts(seeds, self.demo) if seeds else 0

    # --- ORG-2 school changes ------------------------------------------------------------------

    @staticmethod
    def school_template() -> bytes:
        return build_change_template(sc.SCHOOL_COLUMNS, "学校变更", SCHOOL_EXAMPLES)

    async def import_schools(self, data: bytes, filename: str, meta: CommandMeta) -> dict:
        rows = read_change_rows(data, sc.SCHOOL_COLUMNS)
        return await self.writer(self._import_schools, rows, filename, meta)

    async def enter_school_change(self, cells: dict[str, str], meta: CommandMeta) -> dict:
        """One change entered by hand (`POST /api/v1/schools`): as a file of one row."""
        result = await self.writer(self._import_schools, [(0, cells)], "（单条录入）", meta)
        return result["items"][0]

    def _import_schools(self, rows: list, filename: str, meta: CommandMeta) -> dict:
        book = self._school_book()
        planned = sc.plan_school_rows(rows, self._school, self._known_bureau, book.changes)
        return self._imported(book, planned, filename, meta, sc.view)

    async def school_changes(
        self, sees: Callable[[str], bool], year: int | None, state: str | None
    ) -> list[dict]:
        book = await self.writer(self._school_book)
        return [sc.view(c) for c in book.listing(year, state) if sees(c["supervising_unit"])]

    async def confirm_schools(self, ids: list[str], meta: CommandMeta) -> dict:
        """The supervising bureau confirms: adds and changes take effect; revokes wait."""
        await self.writer(self._confirm_schools, ids, meta)
        await self.settle(meta)
        book = await self.writer(self._school_book)
        return {"items": [sc.view(book.changes[i]) for i in ids]}

    def _confirm_schools(self, ids: list[str], meta: CommandMeta) -> None:
        book, at, m = self._school_book(), self._now(), meta.as_dict()
        directory = self.node.directory()
        touched: dict[str, School] = {}
        new_units = []
        for change_id in dict.fromkeys(ids):
            change = book.check_confirm(change_id, meta.unit_code)
            target = change["main_school"] or change["school_code"]
            school = touched.get(target) or self._school(target)
            kind, fields = change["kind"], change["fields"]
            if kind == "add":
                if school is not None:
                    raise DomainError(f"学校 {target} 已存在", code="school_exists", field="ids")
                core = {k: fields[k] for k in CORE_FIELDS}
                school = School(school_code=target, stages=fields["stages"], meta=m, **core)
                extra = {k: v for k, v in fields.items() if k not in core and k != "stages"}
                if extra:
                    school.change_profile(changes=extra, meta=m)
                directory.add(target)
                new_units.append(school)
            elif school is None:
                raise DomainError(f"学校 {target} 不存在", code="unknown_school", field="ids")
            elif kind == "campus":
                school.check_active()
                school.attach_campus(name=fields["name"], address=fields["address"], meta=m)
            elif kind == "change":
                school.check_active()
                school.change_profile(changes=fields, meta=m)
            elif kind == "revoke":
                school.check_active()
                school.start_revocation(meta=m)
            else:  # revoke_stage
                school.check_active()
                school.start_stage_revocation(stage=change["stage"], meta=m)
            touched[target] = school
            book.confirm(change_id=change_id, at=at, meta=m)
            if kind in ("add", "campus", "change"):
                book.complete(change_id=change_id, disabled_accounts=[], at=at, meta=m)
        self.node.save(book, directory, *touched.values())
        for school in touched.values():
            self.org.put(_school_unit(school))
        for school in new_units:
            self._open_accounts(_school_unit(school), meta)

    # --- revocations that wait ------------------------------------------------------------------

    async def settle(self, meta: CommandMeta | None = None) -> dict:
        """Completes the confirmed revocations (schools, stages, regions) that nothing holds
        any more: no student on the roll, no business in flight, no school or lower region
        left; their accounts are disabled. Returns what each still waits for."""
        meta = meta or CommandMeta.new("system", f"{self.province}0000", "sysadmin")
        await self.views.caught_up()
        waiting: dict[str, list[str]] = {}
        for change in await self.writer(lambda: self._school_book().waiting()):
            blockers = await self._school_blockers(change["school_code"], change["stage"] or None)
            if blockers:
                waiting[change["id"]] = blockers
            else:
                await self._complete_school(change, meta)
        for change in await self.writer(lambda: self._region_book().waiting_revokes()):
            blockers = await self._region_blockers(change["code"])
            if blockers:
                waiting[change["id"]] = blockers
            else:
                await self._complete_region(change, meta)
        return {"waiting": waiting}

    async def blockers(self, change_id: str) -> list[str]:
        """What a confirmed revocation still waits for (the lists show it)."""
        school_book = await self.writer(self._school_book)
        if change := school_book.changes.get(change_id):
            return await self._school_blockers(change["school_code"], change["stage"] or None)
        region_book = await self.writer(self._region_book)
        if change := region_book.changes.get(change_id):
            return await self._region_blockers(change["code"])
        return []

    async def _school_blockers(self, school_code: str, stage: str | None) -> list[str]:
        students = self.views.view("students").table("students")
        pending = self.views.view("pending").table("pending")

        def query(connection: Any) -> tuple[int, list[str], list[str]]:
            on_roll = select(func.count()).where(
                students.c.school_code == school_code, students.c.status.in_(ON_ROLL)
            )
            if stage:
                on_roll = on_roll.where(students.c.stage == stage)
            numbers = connection.execute(
                select(students.c.student_number).where(
                    students.c.school_code == school_code, students.c.status != "已删除"
                )
            ).scalars().all()  # fmt: skip
            open_rows = connection.execute(
                select(pending.c.title, pending.c.school_code, pending.c.chain).where(
                    pending.c.unit_code.is_not(None)
                )
            ).all()  # fmt: skip
            busy = [r.title for r in open_rows if r.school_code == school_code
                    or any(s.get("unit_code") == school_code for s in r.chain or [])]  # fmt: skip
            return connection.execute(on_roll).scalar_one(), list(numbers), busy

        count, numbers, busy = await self.views.read(query)
        found = [f"尚有在籍学生{count}人"] if count else []
        if busy:
            found.append(f"尚有在办业务{len(busy)}件（如 {busy[0]}）")
        locked = await self.writer(self._locked_students, numbers)
        if locked:
            found.append(f"尚有学生业务在办（如 {locked[0]}）")
        return found

    def _locked_students(self, numbers: list[str]) -> list[str]:
        found = []
        for number in numbers:
            student = self.node.get_student(number)
            if student.in_flight:
                found.append(f"{student.name} {student.in_flight_label}")
        return found

    async def _region_blockers(self, code: str) -> list[str]:
        schools = await self.writer(self.node.schools)
        left = [
            s for s in schools
            if s["state"] != "revoked"
            and any(region_contains(code, s[k]) for k in ("region_code", "supervising_unit",
                                                          "locality_unit"))
        ]  # fmt: skip
        found = [f"区划内尚有学校{len(left)}所（如 {left[0]['name']}）"] if left else []
        regions = self._regions(await self.writer(self._region_book))
        lower = [r for r in regions.values() if r["parent"] == code and not r["revoked"]]
        if lower:
            found.append(f"尚有下级区划{len(lower)}个（如 {lower[0]['name']}）")
        pending = self.views.view("pending").table("pending")

        def query(connection: Any) -> list[str]:
            rows = connection.execute(
                select(pending.c.title, pending.c.chain).where(pending.c.unit_code.is_not(None))
            ).all()
            return [r.title for r in rows
                    if any(s.get("unit_code") == code for s in r.chain or [])]  # fmt: skip

        busy = await self.views.read(query)
        if busy:
            found.append(f"尚有涉及该区划的在办业务{len(busy)}件（如 {busy[0]}）")
        return found

    async def _complete_school(self, change: dict, meta: CommandMeta) -> None:
        code = change["school_code"]
        disabled = []
        if change["kind"] == "revoke":
            disabled = await self.writer(self.access.disable_unit_accounts, code,
                                         "学校撤销", meta.as_dict())  # fmt: skip
            self.access.end_sessions(disabled)
        await self.writer(self._finish_school, change, disabled, meta)
        log.info("school_change_done", school=code, kind=change["kind"], disabled=len(disabled))

    def _finish_school(self, change: dict, disabled: list[str], meta: CommandMeta) -> None:
        book, m = self._school_book(), meta.as_dict()
        school = self.node.get_school(change["school_code"])
        if change["kind"] == "revoke":
            school.revoke(disabled_accounts=disabled, meta=m)
        else:
            school.revoke_stage(stage=change["stage"], meta=m)
        book.complete(change_id=change["id"], disabled_accounts=disabled, at=self._now(), meta=m)
        self.node.save(book, school)

    async def _complete_region(self, change: dict, meta: CommandMeta) -> None:
        disabled = await self.writer(self.access.disable_unit_accounts, change["code"],
                                     "行政区划撤销", meta.as_dict())  # fmt: skip
        self.access.end_sessions(disabled)
        await self.writer(self._finish_region, change, disabled, meta)
        log.info("region_revoked", region=change["code"], disabled=len(disabled))

    def _finish_region(self, change: dict, disabled: list[str], meta: CommandMeta) -> None:
        book = self._region_book()
        book.complete(change_id=change["id"], disabled_accounts=disabled, at=self._now(),
                      meta=meta.as_dict())  # fmt: skip
        self.node.save(book)

    # --- ORG-4 the school profile ----------------------------------------------------------------

    async def profile(self, school_code: str) -> dict:
        school = await self.writer(self.node.get_school, school_code)
        return school.profile_view() | {"classes": list(school.classes.values())}

    async def profile_for(self, school_code: str, unit_code: str) -> dict:
        """The profile with the fields the caller's unit keeps (`editable`, ORG-4)."""
        school = await self.writer(self.node.get_school, school_code)
        try:
            editor = _editor(school, unit_code)
        except Forbidden:
            editor = None
        editable = [] if school.state == "revoked" or editor is None else [
            f.key for f in PROFILE_FIELDS if f.owner == editor
        ]  # fmt: skip
        return school.profile_view() | {"editable": editable}

    async def edit_profile(self, school_code: str, changes: dict, meta: CommandMeta) -> dict:
        """ORG-4: the school keeps its head, contacts and auxiliary fields, its supervising
        bureau the rest; an edit is one `ProfileChanged` event with its actor (SEC-6)."""
        return await self.writer(self._edit_profile, school_code, changes, meta)

    def _edit_profile(self, school_code: str, changes: dict, meta: CommandMeta) -> dict:
        school = self.node.get_school(school_code)
        editor = _editor(school, meta.unit_code)
        checked = school.check_profile(changes, editor, self._known_bureau)
        if checked:
            school.change_profile(changes=checked, meta=meta.as_dict())
            self.node.save(school)
            self.org.put(_school_unit(school))
        return school.profile_view() | {"changed": sorted(checked)}

    def _now(self) -> str:
        return self.clock.now().isoformat()


def _editor(school: School, unit_code: str) -> str:
    """Which keeper of the profile the caller's unit is (SCHOOL or BUREAU)."""
    if unit_code == school.school_code:
        return SCHOOL
    if unit_code == school.supervising_unit:
        return BUREAU
    raise Forbidden("学校基本信息由本校或其主管教育行政部门维护", code="outside_jurisdiction",
                    field="school_code")  # fmt: skip


def _bureau_unit(region: dict) -> Unit:
    level = Level(region["level"])
    suffix = "教育厅" if level is Level.PROVINCE else "教育局"
    return Unit(region["code"], f"{region['name']}{suffix}", level, region["parent"] or None)


def _school_unit(school: School) -> Unit:
    return Unit(school.school_code, school.name, Level.SCHOOL, school.supervising_unit,
                school.locality_unit)  # fmt: skip
