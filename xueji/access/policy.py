"""Authorization in one place (SEC-1, SEC-3, SEC-4, REG-6, XPT-5, AUD-5).

Two questions, asked the same way by the JSON API, the consoles and the services:

- **may this session do this?** A `Requirement` is a set of roles at a set of levels
  (SEC-1: an account belongs to one unit and has one role), with the refusal it gives;
- **may this session see or act on this unit** (or a record of it)? `AccessPolicy` answers
  with the organisation tree: the caller's unit and everything below it, a school also from
  its locality bureau (`contracts/org.py`).

No framework here: the FastAPI dependencies built on it are in `xueji/access/guards.py`.
Whether a step of a chain awaits this unit (REG-6, XPT-3) is the process's own rule.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from contracts.codes import Level, Role
from contracts.errors import Forbidden, NotFound
from xueji.access.sessions import Session

OUTSIDE_JURISDICTION = "不在本单位管辖范围内"
ANY_ROLE = frozenset(Role)
ANY_LEVEL = frozenset(Level)


class Unit(Protocol):
    code: str
    name: str
    level: Level


class Jurisdiction(Protocol):
    """The service's organisation tree (a node's `OrgTree`; the hub's ministry-only one)."""

    def is_within(self, code: str, root: str) -> bool: ...

    def unit(self, code: str) -> Unit: ...

    def within(self, root: str, level: Level | None = None) -> list[Unit]: ...


@dataclass(frozen=True)
class Requirement:
    """Who may do something: one of `roles` at one of `levels`; else 403 `code`."""

    roles: frozenset[Role]
    levels: frozenset[Level]
    code: str
    message: str  # may name the caller's role: `{role}`

    def allows(self, session: Session) -> bool:
        return session.role in self.roles and session.level in self.levels

    def check(self, session: Session) -> Session:
        if not self.allows(session):
            raise Forbidden(self.message.format(role=session.role), code=self.code)
        return session


#: REG-1…REG-9, XPT-2/4/6, PGE-1: a school's registrar enters, reports, imports, starts a
#: cross-province case, revokes it and pulls the archive, for its own school.
SCHOOL_REGISTRAR = Requirement(
    frozenset({Role.REGISTRAR}),
    frozenset({Level.SCHOOL}),
    "school_registrar_only",
    "此项业务由学校学籍管理员办理",
)
#: SEC-2, SEC-3, SYS-5: account administration, at any level (over its jurisdiction).
SYSADMIN = Requirement(
    frozenset({Role.SYSADMIN}), ANY_LEVEL, "role_not_allowed", "当前角色（{role}）无权进行此操作"
)
#: GRD-2 毕业退回: a bureau's registrar (which bureau, and until when, the domain says).
BUREAU_REGISTRAR = Requirement(
    frozenset({Role.REGISTRAR}),
    frozenset({Level.PROVINCE, Level.CITY, Level.COUNTY}),
    "bureau_registrar_only",
    "此项业务由教育行政部门学籍管理员办理",
)
#: ADM-1: the admission result list is imported by the registrar of the unit the province's
#: import setting names — a school's or a bureau's (which one, the domain says); DRP-3
#: 控辍保学措施 by the school's or a bureau's registrar of the student's jurisdiction.
REGISTRAR = Requirement(
    frozenset({Role.REGISTRAR}),
    frozenset({Level.PROVINCE, Level.CITY, Level.COUNTY, Level.SCHOOL}),
    "registrar_only",
    "此项业务由学籍管理员办理",
)
#: SYS-1…SYS-3 province configuration, REG-5 sweeps run by hand, AUD-3 view rebuilds.
PROVINCE_SYSADMIN = Requirement(
    frozenset({Role.SYSADMIN}),
    frozenset({Level.PROVINCE}),
    "province_sysadmin_only",
    "此项操作由省级系统管理员办理",
)
#: KDC-1: a province's, city's or county's sysadmin chooses its controlled fields.
BUREAU_SYSADMIN = Requirement(
    frozenset({Role.SYSADMIN}),
    frozenset({Level.PROVINCE, Level.CITY, Level.COUNTY}),
    "bureau_sysadmin_only",
    "此项操作由省、地市或区县系统管理员办理",
)
#: ORG-1, ORG-2: the province imports the change files of the institution code system and
#: confirms region changes ([002 §20]: 省级教育部门学籍管理员; its sysadmin too).
PROVINCE_ORG = Requirement(
    frozenset({Role.REGISTRAR, Role.SYSADMIN}),
    frozenset({Level.PROVINCE}),
    "province_org_only",
    "此项业务由省级学籍管理员或系统管理员办理",
)
#: ORG-2 confirmations, ORG-4 profile edits: a registrar or sysadmin of a school or bureau
#: (which unit keeps which field, and which bureau confirms, the domain says).
ORG_EDITOR = Requirement(
    frozenset({Role.REGISTRAR, Role.SYSADMIN}),
    frozenset({Level.PROVINCE, Level.CITY, Level.COUNTY, Level.SCHOOL}),
    "org_editor_only",
    "此项业务由学籍管理员或系统管理员办理",
)
#: SYS-2: the national calendar is entered by the ministry's sysadmin.
MINISTRY_SYSADMIN = Requirement(
    frozenset({Role.SYSADMIN}),
    frozenset({Level.MINISTRY}),
    "role_not_allowed",
    "此项操作由教育部系统管理员办理",
)
#: PRB-3: the ministry arbitrates cross-province problem groups (its registrar or approver).
MINISTRY_ARBITER = Requirement(
    frozenset({Role.REGISTRAR, Role.APPROVER}),
    frozenset({Level.MINISTRY}),
    "ministry_arbiter_only",
    "跨省问题学籍由教育部学籍管理员或学籍主管领导仲裁",
)
#: AUD-5: investigations of the log are for the ministry and the province level.
AUDITOR = Requirement(
    ANY_ROLE,
    frozenset({Level.MINISTRY, Level.PROVINCE}),
    "audit_not_allowed",
    "审计查询仅限教育部或省级账号",
)


class AccessPolicy:
    """Jurisdiction over units and their records, by the service's organisation tree."""

    def __init__(self, jurisdiction: Jurisdiction) -> None:
        self.jurisdiction = jurisdiction

    def sees(self, session: Session, unit_code: str) -> bool:
        """The unit is the caller's own or below it; an unknown unit is seen by nobody."""
        try:
            return self.jurisdiction.is_within(unit_code, session.unit_code)
        except NotFound:
            return False

    def ensure_sees(self, session: Session, unit_code: str) -> None:
        """403 with nothing about the target, whether it exists elsewhere or not (SEC-8)."""
        if not self.sees(session, unit_code):
            raise Forbidden(OUTSIDE_JURISDICTION, code="outside_jurisdiction")

    def ensure_sees_record(
        self,
        session: Session,
        unit_code: str | list[str] | None,
        what: str,
        field: str | None = None,
    ) -> None:
        """SEC-8 "a refusal never reveals whether a record exists elsewhere": a record of a
        unit outside the caller's jurisdiction (`unit_code`, or any of a list: a business
        between two schools is seen from either side) answers exactly as one that does not
        exist (`unit_code` None): the same 404, code and message, naming only what was
        asked (`what`, e.g. the number)."""
        codes = [unit_code] if isinstance(unit_code, str) else unit_code or []
        if not any(self.sees(session, code) for code in codes):
            raise NotFound(f"{what}不存在或不在本单位管辖范围内", field=field)

    async def record_in_sight(
        self,
        session: Session,
        load: Callable[[], Awaitable[dict]],
        what: str,
        field: str | None = None,
        unit_key: str = "school_code",
        units: Callable[[dict], list[str]] | None = None,
    ) -> dict:
        """`load()`'s record if the caller sees its unit (`record[unit_key]`, or one of
        `units(record)`); NotFound from `load` and a record outside the jurisdiction give the
        one answer of `ensure_sees_record`."""
        try:
            record = await load()
        except NotFound:
            record = None
        codes = None
        if record is not None:
            codes = units(record) if units is not None else record[unit_key]
        self.ensure_sees_record(session, codes, what, field)
        return record

    def in_sight(self, session: Session, rows: list[dict], key: str = "unit_code") -> list[dict]:
        """The rows of a many-unit listing (XPT-10 monitoring …) about units the caller sees."""
        return [row for row in rows if self.sees(session, row[key])]

    def is_superior(self, session: Session, unit_code: str) -> bool:
        """SEC-2, SYS-5: the unit is below the caller's, not the caller's own: a superior
        unit's sysadmin resets an account's password, freezes and unfreezes it."""
        return unit_code != session.unit_code and self.sees(session, unit_code)

    def ensure_superior(self, session: Session, unit_code: str, what: str) -> None:
        if not self.is_superior(session, unit_code):
            raise Forbidden(f"只能由上级单位的系统管理员{what}", code="outside_jurisdiction")

    def ensure_sees_one_of(self, session: Session, unit_codes: list[str]) -> None:
        """A business between two units (an in-province transfer) is seen from either side."""
        if not any(self.sees(session, code) for code in unit_codes):
            raise Forbidden(OUTSIDE_JURISDICTION, code="outside_jurisdiction")

    def acts_for(self, session: Session, unit_code: str) -> bool:
        """Acting *for* a unit (a school registering its students, or revoking the case it
        started) is for that unit's own accounts; its superiors see, they do not act."""
        return unit_code == session.unit_code

    def ensure_own(self, session: Session, unit_code: str, field: str) -> None:
        if not self.acts_for(session, unit_code):
            raise Forbidden("只能办理本单位的业务", code="outside_jurisdiction", field=field)

    def units(self, session: Session, *levels: Level) -> list[Unit]:
        """The units of the caller's jurisdiction, of the given levels (any if none given)."""
        found = self.jurisdiction.within(session.unit_code)
        return [u for u in found if not levels or u.level in levels]

    def school_scope(self, session: Session, asked: str) -> str:
        """The school a list is narrowed to: a school's own account always sees its own
        school, whatever it asked for; a bureau the one it asked for (or none)."""
        if self.jurisdiction.unit(session.unit_code).level is Level.SCHOOL:
            return session.unit_code
        return asked

    def schools(self, session: Session, under: str | None = None) -> list[str]:
        """The schools the caller sees, all of them or those under `under` (in sight too)."""
        root = under or session.unit_code
        self.ensure_sees(session, root)
        return [
            u.code
            for u in self.jurisdiction.within(root, Level.SCHOOL)
            if self.sees(session, u.code)
        ]

    def school_filter(self, session: Session, under: str | None = None) -> list[str] | None:
        """`schools`, or None when that is every school of the province (no filter needed)."""
        root = under or session.unit_code
        self.ensure_sees(session, root)
        if self.jurisdiction.unit(root).level is Level.PROVINCE:
            return None
        return self.schools(session, root)
