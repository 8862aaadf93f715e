"""Schools and their classes: the directory loaded from seeds, and its reads for the routes."""

from __future__ import annotations

from datetime import date

from contracts.errors import Forbidden
from contracts.meta import CommandMeta
from province_node.application import ProvinceNode
from province_node.domain.school import School
from xueji.store import Writer


class SchoolService:
    def __init__(self, node: ProvinceNode, writer: Writer) -> None:
        self.node, self.writer = node, writer

    async def load(self, schools: list[dict], meta: CommandMeta) -> int:
        """Adds the schools (with their classes) not yet known; returns how many were new."""
        return await self.writer(load_schools, self.node, schools, meta)

    async def schools(self) -> list[dict]:
        return await self.writer(self.node.schools)

    async def codes(self) -> list[str]:
        return await self.writer(self.node.school_codes)

    async def school(self, school_code: str) -> dict:
        """One school with its classes."""
        return await self.writer(self.node.school, school_code)

    async def classes(self, school_code: str) -> list[dict]:
        return (await self.school(school_code))["classes"]

    async def open_class(self, school_code: str, class_code: str, name: str | None,
                         today: date, meta: CommandMeta, campus: int = 0) -> dict:  # fmt: skip
        """ORG: the school opens a class by hand (next year's before the promotion, too),
        at its main campus or a branch campus (numbered after the main's, [004 Q16])."""
        if meta.unit_code != school_code:
            raise Forbidden("只能为本校开设班级", code="outside_jurisdiction", field="school_code")
        return await self.writer(
            self._open_class, school_code, class_code, name, today, meta, campus
        )

    def _open_class(self, school_code: str, class_code: str, name: str | None, today: date,
                    meta: CommandMeta, campus: int = 0) -> dict:  # fmt: skip
        school = self.node.get_school(school_code)
        if class_code in school.classes and any(  # BUS-2: a repeat answers the first result
            isinstance(e, School.ClassOpened) and e.class_code == class_code
            and e.meta.get("command_id") == meta.command_id
            for e in self.node.events.get(school.id)
        ):  # fmt: skip
            return school.classes[class_code]
        year = self.node.settings().key_dates().school_year(today)
        klass = school.check_new_class(class_code, year, campus)
        klass |= {"name": name} if name else {}
        school.open_class(meta=meta.as_dict(), **klass)
        self.node.save(school)
        return klass

    async def store_position(self) -> int:
        """The last stored event's notification id: the health check's question to the store."""
        return await self.writer(self.node.recorder.max_notification_id)


def load_schools(node: ProvinceNode, schools: list[dict], meta: CommandMeta) -> int:
    """On the writer thread (or a node of its own, as tests and benchmarks have): adds the
    schools not yet known in one transaction; how many were new (loading twice adds nothing)."""
    directory = node.directory()
    new = []
    for seed in schools:
        if seed["school_code"] in directory.school_codes:
            continue
        school = School(meta=meta.as_dict(), **{k: v for k, v in seed.items() if k != "classes"})
        for klass in seed["classes"]:
            school.open_class(meta=meta.as_dict(), **klass)
        directory.add(school.school_code)
        new.append(school)
    if new:
        node.save(directory, *new)
    return len(new)
