"""招生入学 (ADM-1…ADM-4): admission of graduates into the next stage, on the approval engine.

The seed's flow [002 §3]: the admission result list is imported (导入招生结果名单) by the unit the
province's import setting names → the admitting school admits 录取 one or many → its bureau
approves, and for a compulsory-stage admission across counties or a senior admission across
cities the graduating school's bureau too → the admitting school pulls the archive 调档 (the
student becomes its student) → it assigns a class 分班. Each listed student is one `Admission`;
before the pull another school may admit the same student [004 Q95]; after it only a transfer
moves the student on [004 Q101], except the county's rollback of a wrong admission 招生回退
[003 §四.3].
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.approval import Step, StepLevel
from contracts.calendar import KeyDates
from contracts.codes import ClassCode, Level, Stage, StudentStatus
from contracts.errors import ContractError, DomainError, Forbidden
from contracts.org import OrgTree, Unit
from province_node.domain.approval import Approval
from province_node.domain.workflow_defaults import BusinessType as B

_NS = uuid5(NAMESPACE_URL, "xueji:province:admission")

#: The stage an admission enters, from the stage the student graduated from.
NEXT_STAGE = {Stage.PRIMARY: Stage.JUNIOR, Stage.JUNIOR: Stage.SENIOR}
#: SYS-1: the row each admission climbs (招生录取 per stage).
ADMISSION_BUSINESS = {Stage.JUNIOR: B.ADMISSION_JUNIOR, Stage.SENIOR: B.ADMISSION_SENIOR}
#: ADM-1: the import setting's levels, lowest first (the seed's 导入单位级别).
IMPORT_LEVELS = (Level.SCHOOL, Level.COUNTY, Level.CITY, Level.PROVINCE)
#: ADM-1: with no setting stored, counties import the junior lists and cities the senior
#: ones, without delegation (the seed's example settings [002 §3]).
DEFAULT_IMPORT = {Stage.JUNIOR: Level.COUNTY, Stage.SENIOR: Level.CITY}
LEVEL_LABELS = {
    Level.SCHOOL: "学校",
    Level.COUNTY: "区县",
    Level.CITY: "地市",
    Level.PROVINCE: "省级",
}


def parse_stage(raw: str | None, field: str = "stage") -> Stage:
    """An admission's stage: 初中 (`2`) or 高中 (`3`)."""
    try:
        stage = Stage(str(raw))
    except ValueError:
        stage = None
    if stage not in ADMISSION_BUSINESS:
        raise ContractError(field, "bad_stage", f"招生学段应为 2（初中）或 3（高中）：{raw}")
    return stage


def admission_year(today: date, key_dates: KeyDates) -> int:
    """招生年度: the school year the admitted students enter — the coming one from March up to
    the promotion, the one in force after it."""
    year = key_dates.school_year(today)
    return year + 1 if year < today.year and today.month >= 3 else year


def check_window(stage: Stage, today: date, key_dates: KeyDates) -> None:
    """ADM-4: lists are imported and students admitted only in the province's window."""
    window = key_dates.admission_window(stage)
    if not window.contains(today):
        raise DomainError(
            f"{stage.label}招生的办理时间为每年{window.said}，当前不在办理时间内",
            code="outside_admission_window",
        )


# --- ADM-1: who imports the list -------------------------------------------------------------


@dataclass(frozen=True)
class ImportRule:
    """One bureau's import setting for a stage: the importing level, and whether the units
    below may set their own."""

    level: Level
    delegate: bool = False


def check_import_rule(stage: Stage, setter: Unit, rule: ImportRule,
                      rules: dict[str, ImportRule]) -> None:  # fmt: skip
    """A bureau whose superiors all delegated chooses a level at or below its own; a county
    has nothing to delegate [002 §3]."""
    if setter.level not in (Level.PROVINCE, Level.CITY, Level.COUNTY):
        raise Forbidden("只有教育部门可以设置招生结果导入单位", code="not_a_bureau")
    if IMPORT_LEVELS.index(rule.level) > IMPORT_LEVELS.index(setter.level):
        raise ContractError("level", "level_above_setter", "导入单位级别不能高于本级")
    if setter.level is Level.COUNTY and rule.delegate:
        raise ContractError("delegate", "county_cannot_delegate", "区县级不需设置是否下放")
    province, city = setter.code[:2] + "0000", setter.code[:4] + "00"
    above = {Level.PROVINCE: [], Level.CITY: [province], Level.COUNTY: [province, city]}
    for code in above[setter.level]:
        if not (rules.get(code) or ImportRule(DEFAULT_IMPORT[stage])).delegate:
            raise Forbidden("上级教育部门未下放招生结果导入设置", code="not_delegated")


def import_rule_chain(stage: Stage, county: str, rules: dict[str, ImportRule]) -> list[str]:
    """The bureaus whose setting may decide for a county-supervised school, province first:
    a bureau's setting counts only while every bureau above it delegated."""
    city, province = county[:4] + "00", county[:2] + "0000"
    deciding = [province]
    for code in (city, county):
        above = rules.get(deciding[-1]) or ImportRule(DEFAULT_IMPORT[stage])
        if not above.delegate:
            break
        deciding.append(code)
    return deciding


def importing_unit(stage: Stage, school_code: str, org: OrgTree,
                   rules: dict[str, ImportRule]) -> str:  # fmt: skip
    """ADM-1: the unit that imports this school's admission list. Schools run by a city or the
    province are imported by their own supervising bureau; for a county's school the nearest
    bureau whose setting counts fixes the level."""
    supervising = org.unit(org.unit(school_code).parent or "")
    if supervising.level is not Level.COUNTY:
        return supervising.code
    level = DEFAULT_IMPORT[stage]
    for code in import_rule_chain(stage, supervising.code, rules):
        if code in rules:
            level = rules[code].level
    if level is Level.SCHOOL:
        return school_code
    return org.above_at_level(school_code, level).code


# --- ADM-2 / ADM-3: the admission ------------------------------------------------------------


def check_admissible(status: str, graduation: dict | None, stage: Stage) -> None:
    """ADM-3: only graduates (this year's or past years') of the stage below are admitted."""
    if status != StudentStatus.GRADUATED.value or graduation is None:
        raise DomainError(
            f"只有毕业生可以招生录取，该学生学籍状态为“{status}”", code="not_a_graduate"
        )
    graduated = Stage(graduation["stage"])
    if NEXT_STAGE.get(graduated) is not stage:
        raise DomainError(
            f"该学生是{graduated.label}毕业生，不能录取到{stage.label}", code="wrong_stage"
        )


def crosses_bureaus(stage: Stage, admitting_region: str, graduating_region: str) -> bool:
    """ADM-2: a compulsory-stage admission across counties, or a senior one across cities,
    needs the graduating school's bureau too."""
    if stage is Stage.SENIOR:
        return admitting_region[:4] != graduating_region[:4]
    return admitting_region != graduating_region


def graduating_bureau_step(org: OrgTree, graduating_school: str) -> dict:
    """The step the graduating school's supervising bureau decides (毕业学校学籍主管部门)."""
    bureau = org.superior(graduating_school)
    assert bureau is not None  # a school always hangs under a bureau
    step = Step(level=StepLevel.SUPERVISING, unit_code=bureau.code, unit_name=bureau.name)
    return step.model_dump(mode="json")


def check_class_for(class_code: str, stage: Stage, year: int) -> None:
    """分班: the admitted student goes into grade 1 of the stage, the class of its year."""
    code = ClassCode.parse(class_code)
    if code.stage is not stage or code.entry_year != year:
        raise DomainError(
            f"班级 {class_code} 不是{year}级{stage.label}新生班级", code="not_entry_class",
            field="class_code",
        )  # fmt: skip


class Admission(Approval):
    """One listed graduate and one admitting school: 待录取 → 审核中 → 待调档 → 待分班 → 已分班."""

    LISTED: ClassVar[str] = "listed"
    PULLED: ClassVar[str] = "pulled"
    DONE: ClassVar[str] = "done"
    CANCELLED: ClassVar[str] = "cancelled"
    ROLLED_BACK: ClassVar[str] = "rolled_back"
    STATUS_LABELS: ClassVar[dict[str, str]] = {
        "listed": "待录取",
        "in_progress": "审核中",
        "approved": "待调档",
        "pulled": "待分班",
        "done": "已分班",
        "rejected": "审核不通过",
        "revoked": "已撤销",
        "cancelled": "已被他校调档",
        "rolled_back": "已退回毕业生",
    }
    NOT_IN_REVIEW = "该招生录取不在审核环节"
    NOT_YOUR_STEP = "该招生录取当前不由本单位（本角色）审核"
    OPINION_REQUIRED = "审核不通过时须填写审核意见"
    #: still open before the pull: another school's pull cancels these [004 Q95]
    OPEN: ClassVar[frozenset[str]] = frozenset({"listed", "in_progress", "approved"})
    admitted_by = pulled_by = None  # the commands that admitted and pulled it (BUS-2)

    @staticmethod
    def create_id(import_id: str, student: dict, school_code: str) -> UUID:
        return uuid5(_NS, f"{import_id}:{student['student_number']}:{school_code}")

    @event("Listed")
    def __init__(
        self,
        import_id: str,
        year: int,
        stage: str,
        school_code: str,
        student: dict,
        graduating: dict,
        class_code: str | None,
        at: str,
        meta: dict,
    ) -> None:
        """`student`: {id, student_number, name, sex, birth_date, id_number}; `graduating`:
        {school_code, class_code, stage, date} as the record's graduation says."""
        self.import_id, self.year, self.stage = import_id, year, stage
        self.school_code, self.student, self.graduating = school_code, student, graduating
        self.class_code = class_code  # the list's class, if it names one; 分班 may change it
        self.listed_at, self.listed_by = at, meta.get("unit_code")
        self.status, self.chain, self.step = self.LISTED, [], 0
        self.decisions: list[dict] = []

    @property
    def business(self) -> B:
        return ADMISSION_BUSINESS[Stage(self.stage)]

    @property
    def student_id(self) -> UUID:
        return UUID(self.student["id"])

    def check_school(self, school_code: str, action: str) -> None:
        if school_code != self.school_code:
            raise Forbidden(f"只有录取学校可以{action}", code="not_admitting_school")

    def check_admit(self, school_code: str) -> None:
        self.check_school(school_code, "录取")
        if self.status != self.LISTED:
            raise DomainError(
                f"该学生已{self.STATUS_LABELS[self.status]}，不能再次录取", code="not_listed"
            )

    def admit(self, chain: list[dict], at: str, meta: dict) -> None:
        """录取: the admission climbs its chain (the event names whom, for the pending list)."""
        self._admitted(chain=chain, school_code=self.school_code, stage=self.stage,
                       student_number=self.student["student_number"],
                       student_name=self.student["name"], at=at, meta=meta)  # fmt: skip

    @event("Admitted")
    def _admitted(self, chain: list[dict], school_code: str, stage: str, student_number: str,
                  student_name: str, at: str, meta: dict) -> None:  # fmt: skip
        self.admitted_at, self.admitted_by = at, meta.get("command_id")
        self._enter_chain(chain, at)

    def check_pull(self, school_code: str) -> None:
        self.check_school(school_code, "调档")
        if self.status != self.APPROVED:
            label = self.STATUS_LABELS.get(self.status, self.status)
            raise DomainError(f"只有审核通过的录取可以调档（当前：{label}）", code="not_approved")

    @event("ArchivePulled")
    def pull(self, at: str, meta: dict) -> None:
        """调档: the student is now the admitting school's (the record moves in the same
        transaction, `Student.join_by_admission`)."""
        self.status, self.pulled_at, self.pulled_by = self.PULLED, at, meta.get("command_id")

    def check_assign(self, school_code: str) -> None:
        self.check_school(school_code, "分班")
        if self.status != self.PULLED:
            raise DomainError("只有已调档、未分班的学生可以分班", code="not_pulled")

    @event("ClassAssigned")
    def assign(self, class_code: str, at: str, meta: dict) -> None:
        self.status, self.class_code, self.assigned_at = self.DONE, class_code, at

    @event("Cancelled")
    def cancel(self, reason: str, at: str, meta: dict) -> None:
        """Another school pulled the archive first [004 Q95]."""
        self.status, self.cancel_reason = self.CANCELLED, reason

    def check_rollback(self, unit_code: str, supervising_unit: str, province: str) -> None:
        """招生回退 [003 §四.3]: the admitting school's county (or the province) undoes a wrong
        admission after the pull; the school itself cannot [004 Q101]."""
        if self.status not in (self.PULLED, self.DONE):
            raise DomainError("只有已调档的招生可以回退", code="not_pulled")
        if unit_code not in (supervising_unit, province):
            raise Forbidden(
                "只有录取学校的主管教育部门可以办理招生回退", code="outside_jurisdiction"
            )

    @event("RolledBack")
    def roll_back(self, reason: str, at: str, meta: dict) -> None:
        self.status, self.rollback_reason = self.ROLLED_BACK, reason

    def view(self) -> dict:
        return {
            "id": str(self.id),
            "year": self.year,
            "stage": self.stage,
            "school_code": self.school_code,
            "student": self.student,
            "graduating": self.graduating,
            "class_code": self.class_code,
            "listed_at": self.listed_at,
            **self.process_view(),
            "status_label": self.STATUS_LABELS.get(self.status, self.status),
        }


class AdmissionList(Aggregate):
    """One imported admission result file (导入招生结果名单): its rows, what was listed and the
    problem of each refused row (REG-4's shape)."""

    @staticmethod
    def create_id(command_id: str) -> UUID:
        return uuid5(_NS, f"list:{command_id}")

    @event("Imported")
    def __init__(self, command_id: str, filename: str, stage: str, year: int, rows: int,
                 listed: list[str], problems: list[dict], at: str, meta: dict) -> None:  # fmt: skip
        self.filename, self.stage, self.year, self.rows = filename, stage, year, rows
        self.listed, self.problems = list(listed), list(problems)
        self.imported_at, self.unit_code = at, meta.get("unit_code")

    def view(self) -> dict:
        failed = len({p["row"] for p in self.problems})
        return {
            "id": str(self.id),
            "filename": self.filename,
            "stage": self.stage,
            "year": self.year,
            "rows": self.rows,
            "listed": len(self.listed),
            "failed": failed,
            "result": "处理成功" if not failed else ("处理失败" if not self.listed else "部分成功"),
            "problems": self.problems,
            "admission_ids": self.listed,
            "imported_at": self.imported_at,
        }
