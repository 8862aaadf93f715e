"""This province's side of a cross-province case (XPT, PGE): the school's chain in force
(SYS-1), the units that may track it (XPT-5), grades across school systems (XPT-9), and the
answers to the hub's questions about one of our students (`PrepareCaseOut`, and QRY-4's
`RecordSummaryQuery`)."""

from __future__ import annotations

from contracts.cases import (
    CaseOutPreparation,
    CaseSide,
    CaseStep,
    CaseStudent,
    Flow,
    PrepareCaseOut,
)
from contracts.codes import (
    ClassCode,
    SchoolSystem,
    SchoolType,
    Stage,
    class_grade,
    school_year_of,
)
from contracts.errors import ContractError, NotFound
from contracts.national import RecordSummary, RecordSummaryQuery
from contracts.org import OrgTree
from province_node.application import ProvinceNode
from province_node.domain.workflow_defaults import BusinessType, StepLevel
from xueji.clock import Clock
from xueji.store import Writer

#: Which side's chain a flow uses: (transfer-in / admitting, transfer-out / graduating).
_BUSINESS = {
    "transfer": (BusinessType.CROSS_PROVINCE_TRANSFER_IN, BusinessType.CROSS_PROVINCE_TRANSFER_OUT),
    "enrollment": (BusinessType.POST_GRADUATION_ADMITTING, BusinessType.POST_GRADUATION_GRADUATING),
}
_STEP = {StepLevel.SUPERVISING: "bureau"}


class CaseSides:
    def __init__(self, node: ProvinceNode, writer: Writer, org: OrgTree, clock: Clock) -> None:
        self.node, self.writer, self.org, self.clock = node, writer, org, clock

    async def side(self, flow: Flow, school_code: str, stage: Stage, incoming: bool) -> CaseSide:
        """The school's side of a case: its chain (SYS-1) and the units that oversee it."""
        school = await self.writer(self.node.school, school_code)
        business = _BUSINESS[flow][0 if incoming else 1]
        settings = await self.writer(self.node.settings)
        chain = settings.workflow().freeze(
            business, school_code, SchoolType(school["school_type"]), stage, self.org
        )
        prefix = "in" if incoming else "out"
        steps = [
            CaseStep(
                step=f"{prefix}_{_STEP.get(s.level, s.level.value)}",
                unit_code=s.unit_code,
                unit_name=s.unit_name,
            )
            for s in chain.steps
        ]
        return CaseSide(
            province=self.node.province,
            school_code=school_code,
            school_name=school["name"],
            school_system=school["school_system"],
            steps=steps,
            units=self._overseers(school_code),
        )

    async def hub_settings(self) -> dict:
        """What of this province's settings the hub applies to a case it starts (SYS-2,
        SYS-3): the key-date overrides and the auto-archive-pull switch (`InitiateCase`)."""
        settings = await self.writer(self.node.settings)
        return {
            "key_date_overrides": dict(settings.key_date_overrides),
            "auto_archive_pull": settings.switches().auto_archive_pull,
        }

    def _overseers(self, school_code: str) -> list[str]:
        """The school and every bureau over it, by supervision or locality (XPT-5)."""
        school = self.org.unit(school_code)
        codes = [school.code, *(u.code for u in self.org.ancestors(school.code))]
        if school.locality and school.locality in self.org:
            codes += [school.locality, *(u.code for u in self.org.ancestors(school.locality))]
        return list(dict.fromkeys(c for c in codes if c != "000000"))

    def grade_of(self, school: dict, class_code: str) -> int:
        """XPT-9: grades across 6-3 and 5-4 systems compare as years of schooling (1–12)."""
        code, system = ClassCode.parse(class_code), SchoolSystem(school["school_system"])
        return class_grade(code, school_year_of(self.clock.today()), system)

    async def prepare_out(self, question: PrepareCaseOut) -> CaseOutPreparation:
        student = await self.writer(
            self.node.student_for_case, question.student_number, question.student_name
        )
        school = await self.writer(self.node.school, student.school_code)
        grade = self.grade_of(school, student.class_code)
        stage = ClassCode.parse(student.class_code).stage
        problems = await self.writer(self.node.open_problems, student.student_number)
        student.check_case_eligible(question.flow, grade, stage.value, problems)
        return CaseOutPreparation(
            student=CaseStudent(
                student_number=student.student_number,
                name=student.name,
                sex=student.sex,
                id_type=student.id_type,
                id_number=student.id_number,
                status=student.status,
                stage=stage.value,
                national_grade=grade,
                class_code=student.class_code,
            ),
            side=await self.side(question.flow, student.school_code, stage, incoming=False),
        )

    async def summary(self, question: RecordSummaryQuery) -> RecordSummary:
        """QRY-4: what only the province of record knows of a student (stage, grade, 学籍
        status, an open problem record, the last change); nothing when it holds no record."""
        number = question.student_number
        try:
            student = await self.writer(self.node.get_student, number)
        except NotFound:
            return RecordSummary(province=self.node.province, student_number=number)
        stage = grade = None
        if student.class_code:  # ADM-2: an admitted student waits for its class
            code = ClassCode.parse(student.class_code)
            school = await self.writer(self.node.school, student.school_code)
            stage = code.stage.label
            try:
                grade = self.grade_of(school, student.class_code)
            except ContractError:  # a class whose first year has not begun
                grade = None
        problems = await self.writer(self.node.open_problems, number)
        return RecordSummary(
            province=self.node.province,
            student_number=number,
            stage=stage,
            grade=grade,
            status=student.status,
            has_open_problem=bool(problems),
            last_change_at=student.modified_on.isoformat(),
        )
