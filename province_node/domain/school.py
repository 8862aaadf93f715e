"""Schools and their classes as the province node knows them (organisation tree: issue 3),
their profile 学校基本信息 (ORG-4), branch campuses [004 Q14, Q16] and revocation (ORG-2).

A revoked school is never deleted [004 Q107]: it stays listed as 已撤销 with its records
readable, and nothing of it changes any more [004 Q14].
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.codes import ClassCode, SchoolSystem, SchoolType, Stage, stage_length
from contracts.errors import ContractError, DomainError, Forbidden

_NS = uuid5(NAMESPACE_URL, "xueji:province:school")

ACTIVE, REVOKING, REVOKED = "active", "revoking", "revoked"
STATE_LABELS = {ACTIVE: "正常", REVOKING: "撤销中", REVOKED: "已撤销"}
SCHOOL, BUREAU = "school", "bureau"
OWNER_LABELS = {SCHOOL: "学校", BUREAU: "学校主管教育行政部门"}
PUBLIC_SPONSORS = (
    "教育部门",
    "省级教育部门",
    "地级教育部门",
    "县级教育部门",
    "其他部门",
    "事业单位",
)
SPONSORS = (*PUBLIC_SPONSORS, "民办")
RUNNING_TYPES = ("小学", "初级中学", "九年一贯制学校", "完全中学", "高级中学", "十二年一贯制学校",
                 "特殊教育学校", "其他")  # fmt: skip
URBAN_RURAL = ("主城区", "城乡结合区", "镇中心区", "镇乡结合区", "特殊区域", "乡中心区", "村庄")
ATTACHED = ("附设小学班", "附设普通初中班", "附设普通高中班", "附设职业初中班", "附设中职班",
            "附设特教班")  # fmt: skip
BOARDING = ("无寄宿", "部分寄宿", "全部寄宿")
LAND = ("产权属学校", "产权非属学校但独立使用", "产权非属学校且共用")
YES_NO = ("是", "否")


@dataclass(frozen=True)
class ProfileField:
    """One field of 学校基本信息 (ORG-4): who keeps it (`owner`) and what it may hold."""

    key: str
    label: str
    owner: str
    kind: str = "text"  # text, digits, phone, email, choice, choices, number, year
    choices: tuple[str, ...] = ()
    max_length: int = 100
    bounds: tuple[float, float] = (0, 0)
    length: int = 0  # digits: exactly this many


#: ORG-4. The supervising bureau keeps what the institution code system says of the school
#: (names, address, bureaus, type, sponsor, school system); the school keeps its head,
#: contacts and the auxiliary fields (学校辅助信息). Each field has one owner.
PROFILE_FIELDS: tuple[ProfileField, ...] = (
    ProfileField("name", "学校名称", BUREAU, max_length=60),
    ProfileField("region_code", "学校地址代码", BUREAU, "region"),
    ProfileField("address", "学校地址", BUREAU, max_length=200),
    ProfileField("urban_rural", "学校驻地城乡类型", BUREAU, "choice", URBAN_RURAL),
    ProfileField("locality_unit", "属地管理教育行政部门代码", BUREAU, "bureau"),
    ProfileField("supervising_unit", "主管教育行政部门代码", BUREAU, "bureau"),
    ProfileField("school_type", "学校类别", BUREAU, "choice", tuple(t.value for t in SchoolType)),
    ProfileField("running_type", "学校办学类型", BUREAU, "choice", RUNNING_TYPES),
    ProfileField("sponsor", "学校举办者类型", BUREAU, "choice", SPONSORS),
    ProfileField("attached_classes", "附设班类型", BUREAU, "choices", ATTACHED),
    ProfileField("school_system", "学制", BUREAU, "choice", tuple(s.value for s in SchoolSystem)),
    ProfileField("english_name", "学校英文名称", SCHOOL, max_length=200),
    ProfileField("head_name", "校长姓名", SCHOOL, max_length=30),
    ProfileField("head_phone", "校长手机号码", SCHOOL, "digits", length=11),
    ProfileField("office_phone", "办公电话", SCHOOL, "phone"),
    ProfileField("fax", "传真电话", SCHOOL, "phone"),
    ProfileField("postcode", "邮政编码", SCHOOL, "digits", length=6),
    ProfileField("homepage", "主页地址", SCHOOL, max_length=200),
    ProfileField("email", "电子信箱", SCHOOL, "email"),
    ProfileField("reporter_email", "填表人邮箱", SCHOOL, "email"),
    ProfileField("credit_code", "统一社会信用代码", SCHOOL, "credit"),
    ProfileField("founded_year", "建校年份", SCHOOL, "year"),
    ProfileField("legal_person_cert", "法人登记证号", SCHOOL, max_length=40),
    ProfileField("anniversary", "校庆日", SCHOOL, max_length=20),
    ProfileField("land_ownership", "学校土地产权", SCHOOL, "choice", LAND),
    ProfileField("land_cert", "土地证号", SCHOOL, max_length=60),
    ProfileField("boarding", "寄宿制形式", SCHOOL, "choice", BOARDING),
    ProfileField("altitude", "海拔高度（米）", SCHOOL, "number", bounds=(-500, 9000)),
    ProfileField("longitude", "学校经度（度）", SCHOOL, "number", bounds=(-180, 180)),
    ProfileField("latitude", "学校纬度（度）", SCHOOL, "number", bounds=(-90, 90)),
    ProfileField("economic_zone", "所在地经济属性", SCHOOL, max_length=30),
    ProfileField("ethnic_zone", "所在地民族属性", SCHOOL, max_length=30),
    ProfileField("area_type", "所在地地域属性", SCHOOL, max_length=30),
    ProfileField("enrollment_radius", "招生半径（公里）", SCHOOL, "number", bounds=(0, 1000)),
    ProfileField("main_language", "主教学语言", SCHOOL, max_length=30),
    ProfileField("second_language", "辅教学语言", SCHOOL, max_length=30),
    ProfileField("ethnic_school", "是否独立设置的少数民族学校", SCHOOL, "choice", YES_NO),
    ProfileField("org_code_cert", "组织机构代码证号", SCHOOL, max_length=40),
    ProfileField("history", "历史沿革", SCHOOL, max_length=2000),
)
FIELDS: dict[str, ProfileField] = {f.key: f for f in PROFILE_FIELDS}
#: Fields that are attributes of the school itself (the rest are kept in `profile`).
_ATTRIBUTES = ("name", "region_code", "supervising_unit", "locality_unit", "school_type",
               "school_system")  # fmt: skip


def check_value(spec: ProfileField, raw: object, known_bureau: Callable[[str], bool]) -> object:
    """A profile value, normalized; ContractError naming the field if it does not fit."""
    bad = lambda why: ContractError(spec.key, "bad_profile_value", f"{spec.label}{why}")  # noqa: E731
    if spec.kind == "choices":
        values = (
            raw
            if isinstance(raw, list)
            else [v for v in str(raw or "").replace("、", ",").split(",") if v.strip()]
        )  # noqa: E501
        values = [str(v).strip() for v in values]
        wrong = [v for v in values if v not in spec.choices]
        if wrong:
            raise bad(f"不能为“{wrong[0]}”，可选：{'、'.join(spec.choices)}")
        return values
    text = str(raw if raw is not None else "").strip()
    if spec.kind == "number":
        if text == "":
            return None
        try:
            number = float(text)
        except ValueError:
            raise bad(f"应为数字：{text}") from None
        low, high = spec.bounds
        if not low <= number <= high:
            raise bad(f"应在{low:g}到{high:g}之间：{text}")
        return number
    if text == "":
        if spec.key in ("name", "region_code", "supervising_unit", "locality_unit",
                        "school_type", "school_system"):  # fmt: skip
            raise bad("不能为空")
        return ""
    if spec.kind in ("region", "bureau"):
        code = text[:6] if len(text) == 12 and text.endswith("000000") else text
        if not (len(code) == 6 and code.isdigit()) or not known_bureau(code):
            raise bad(f"不是本省已有的教育行政部门/行政区划代码：{text}")
        return code
    if spec.kind == "choice" and text not in spec.choices:
        raise bad(f"不能为“{text}”，可选：{'、'.join(spec.choices)}")
    if spec.kind == "digits" and not (text.isdigit() and len(text) == spec.length):
        raise bad(f"应为{spec.length}位数字：{text}")
    if spec.kind == "phone" and not (
        7 <= len(text) <= 20 and all(c.isdigit() or c == "-" for c in text)
    ):
        raise bad(f"应为电话号码（数字，可含“-”）：{text}")
    if spec.kind == "email" and not (
        "@" in text and "." in text.rsplit("@", 1)[-1] and " " not in text and len(text) <= 100
    ):
        raise bad(f"不是有效的电子信箱：{text}")
    if spec.kind == "credit" and not (len(text) == 18 and text.isalnum() and text.isascii()):
        raise bad(f"应为18位数字或大写字母：{text}")
    if spec.kind == "year" and not (
        text.isdigit() and len(text) == 4 and 1800 <= int(text) <= 2100
    ):
        raise bad(f"应为4位年份：{text}")
    if len(text) > spec.max_length:
        raise bad(f"不能超过{spec.max_length}个字")
    return text.upper() if spec.kind == "credit" else text


class School(Aggregate):
    """A school with its classes and profile. Supervising and locality bureaus may differ
    [004 Q10]; a branch campus (no identification code of its own [004 Q14]) is a campus of
    its main school, whose classes it numbers after (`check_new_class`, [004 Q16])."""

    @staticmethod
    def create_id(school_code: str) -> UUID:
        return uuid5(_NS, school_code)

    @event("Registered")
    def __init__(
        self,
        school_code: str,
        name: str,
        region_code: str,
        supervising_unit: str,
        locality_unit: str,
        school_type: str,
        stages: list[str],
        school_system: str,
        meta: dict,
    ) -> None:
        self.school_code = school_code
        self.name = name
        self.region_code = region_code
        self.supervising_unit = supervising_unit
        self.locality_unit = locality_unit
        self.school_type = school_type
        self.stages = list(stages)
        self.school_system = school_system
        self.classes: dict[str, dict] = {}
        self.profile: dict[str, object] = {}
        self.campuses: list[dict] = []  # branch campuses: {"number", "name", "address"}
        self.state = ACTIVE
        self.revoking_stages: list[str] = []

    @event("ClassOpened")
    def open_class(
        self, class_code: str, grade: str, name: str, meta: dict, campus: int = 0
    ) -> None:
        self.classes[class_code] = {"class_code": class_code, "grade": grade, "name": name}
        if campus:
            self.classes[class_code]["campus"] = campus

    # --- ORG-4 profile ----------------------------------------------------------------------

    def check_profile(
        self, changes: Mapping[str, object], editor: str, known_bureau: Callable[[str], bool]
    ) -> dict:
        """ORG-4: the edit as it would be stored; refused as a whole naming the first field
        that is unknown, kept by the other level (403), or bad."""
        self.check_not_revoked()
        if not changes:
            raise ContractError("fields", "nothing_to_change", "没有要修改的信息项")
        checked = {}
        for key, raw in changes.items():
            spec = FIELDS.get(key)
            if spec is None:
                raise ContractError(key, "unknown_field", f"学校基本信息没有“{key}”这一项")
            if spec.owner != editor:
                raise Forbidden(
                    f"“{spec.label}”由{OWNER_LABELS[spec.owner]}维护，"
                    f"{OWNER_LABELS[editor]}不能修改", code="field_not_editable", field=key,
                )  # fmt: skip
            checked[key] = check_value(spec, raw, known_bureau)
        system = checked.get("school_system", self.school_system)
        if system != self.school_system and self.classes:
            raise DomainError("学校已开设班级，不能变更学制（年级按学制计算）",
                                  code="school_system_fixed", field="school_system")  # fmt: skip
        return {k: v for k, v in checked.items() if self.value_of(k) != v}

    def value_of(self, key: str) -> object:
        if key in _ATTRIBUTES or key == "stages":
            return getattr(self, key)
        default = (
            [] if FIELDS[key].kind == "choices" else ("" if FIELDS[key].kind != "number" else None)
        )  # noqa: E501
        return self.profile.get(key, default)

    @event("ProfileChanged")
    def change_profile(self, changes: dict, meta: dict) -> None:
        """ORG-4 edits and ORG-2 变更 (a change of stages too): the new values."""
        for key, value in changes.items():
            if key in _ATTRIBUTES or key == "stages":
                setattr(self, key, list(value) if key == "stages" else value)
            else:
                self.profile[key] = value

    def profile_view(self) -> dict:
        """学校基本信息 as the API shows it: every field, school-system years per stage."""
        system = SchoolSystem(self.school_system)
        years = {s.label: stage_length(s, system) for s in Stage if s.value in self.stages}
        return self.summary() | {
            "profile": {f.key: self.value_of(f.key) for f in PROFILE_FIELDS},
            "address_code": f"{self.region_code}000000",
            "stage_years": years,
            "campuses": list(self.campuses),
            "revoking_stages": list(self.revoking_stages),
        }

    # --- ORG-2 branch campuses, revocation ---------------------------------------------------

    @property
    def is_public(self) -> bool:
        return self.profile.get("sponsor", "县级教育部门") in PUBLIC_SPONSORS

    @event("CampusAttached")
    def attach_campus(self, name: str, address: str, meta: dict) -> None:
        """[004 Q14]: a school without an identification code becomes a branch campus."""
        self.campuses.append({"number": len(self.campuses) + 1, "name": name, "address": address})

    def check_not_revoked(self) -> None:
        if self.state == REVOKED:
            raise DomainError(f"学校 {self.school_code}（{self.name}）已撤销，信息不能再修改",
                              code="school_revoked", field="school_code")  # fmt: skip

    def check_active(self) -> None:
        """New business (a class, a registration) needs a school that is not being revoked."""
        self.check_not_revoked()
        if self.state == REVOKING:
            raise DomainError(f"学校 {self.school_code}（{self.name}）正在撤销，不能办理新业务",
                              code="school_revoking", field="school_code")  # fmt: skip

    @event("RevocationConfirmed")
    def start_revocation(self, meta: dict) -> None:
        self.state = REVOKING

    @event("Revoked")
    def revoke(self, disabled_accounts: list[str], meta: dict) -> None:
        self.state = REVOKED

    @event("StageRevocationConfirmed")
    def start_stage_revocation(self, stage: str, meta: dict) -> None:
        self.revoking_stages.append(stage)

    @event("StageRevoked")
    def revoke_stage(self, stage: str, meta: dict) -> None:
        self.stages = [s for s in self.stages if s != stage]
        self.revoking_stages = [s for s in self.revoking_stages if s != stage]

    # --- classes -------------------------------------------------------------------------------

    def check_new_class(self, class_code: str, school_year: int, campus: int = 0) -> dict:
        """ORG / ID-5: a class the school may open now (this year's, or next year's before
        the promotion), and its grade name and default name; refused naming `class_code`.
        [004 Q16]: a branch campus numbers its classes after the main campus's in the grade."""
        self.check_active()
        code = ClassCode.parse(class_code)
        if code.stage.value not in self.stages or code.stage.value in self.revoking_stages:
            raise DomainError(f"本校没有{code.stage.label}学段，不能开设班级 {class_code}",
                              code="stage_not_taught", field="class_code")  # fmt: skip
        length = stage_length(code.stage, SchoolSystem(self.school_system))
        if not school_year - length < code.entry_year <= school_year + 1:
            first, last = school_year - length + 1, school_year + 1
            raise DomainError(
                f"班级 {class_code} 的入学年份应在{first}至{last}年之间",
                code="class_year_out_of_range",
                field="class_code",
            )
        if class_code in self.classes:
            raise DomainError(
                f"班级 {class_code} 已存在", code="duplicate_class", field="class_code"
            )
        self._check_campus_number(code, campus)
        grade = max(1, code.grade_in(school_year))
        place = self.campuses[campus - 1]["name"] if campus else ""
        klass = {"class_code": class_code, "grade": code.grade_name,
                 "name": f"{place}{code.stage.label}{grade}年级{code.number}班"}  # fmt: skip
        return klass | ({"campus": campus} if campus else {})

    def _check_campus_number(self, code: ClassCode, campus: int) -> None:
        if campus and not 1 <= campus <= len(self.campuses):
            raise ContractError("campus", "unknown_campus", f"本校没有第{campus}校区")
        same_grade = [
            (ClassCode.parse(c).number, k.get("campus", 0))
            for c, k in self.classes.items()
            if c[:5] == str(code)[:5]
        ]
        main = [n for n, where in same_grade if where == 0]
        branch = [n for n, where in same_grade if where != 0]
        if campus and main and code.number <= max(main):
            raise DomainError(
                f"分校区班号应排在主校区之后：主校区该年级已有{max(main)}个班号，"
                f"分校区班号应从{max(main) + 1:02d}起", code="campus_class_number",
                field="class_code",
            )  # fmt: skip
        if not campus and branch and code.number >= min(branch):
            raise DomainError(
                f"主校区班号应排在分校区之前：分校区该年级班号从{min(branch):02d}起",
                code="campus_class_number", field="class_code",
            )  # fmt: skip

    def has_class(self, class_code: str) -> bool:
        return class_code in self.classes

    def summary(self) -> dict:
        return {
            "school_code": self.school_code,
            "name": self.name,
            "region_code": self.region_code,
            "supervising_unit": self.supervising_unit,
            "locality_unit": self.locality_unit,
            "school_type": self.school_type,
            "stages": self.stages,
            "school_system": self.school_system,
            "state": self.state,
            "state_label": STATE_LABELS[self.state],
        }


class SchoolDirectory(Aggregate):
    """The list of a province's school codes, so the schools can be listed without a scan."""

    @staticmethod
    def create_id(province: str) -> UUID:
        return uuid5(_NS, f"directory:{province}")

    @event("Opened")
    def __init__(self, province: str) -> None:
        self.province = province
        self.school_codes: list[str] = []

    @event("SchoolListed")
    def add(self, school_code: str) -> None:
        self.school_codes.append(school_code)
