"""The original menu tree (`[002]`: 学籍管理 → 学籍注册 / 跨省转学 / 毕业后跨省就学 / 综合查询 …),
filtered to what the logged-in role and level may use."""

from __future__ import annotations

from dataclasses import dataclass, field

ANY = frozenset({"school", "county", "city", "province", "ministry"})
BUREAUS = frozenset({"county", "city", "province"})
SCHOOL = frozenset({"school"})


@dataclass(frozen=True)
class Item:
    label: str
    href: str = ""
    roles: frozenset[str] = frozenset({"registrar", "approver", "sysadmin"})
    levels: frozenset[str] = ANY
    children: tuple[Item, ...] = field(default_factory=tuple)
    #: (level, role) pairs excluded although both are allowed on their own.
    not_for: frozenset[tuple[str, str]] = frozenset()

    def allows(self, role: str, level: str) -> bool:
        return role in self.roles and level in self.levels and (level, role) not in self.not_for


def visible(items: tuple[Item, ...], role: str, level: str) -> list[dict]:
    """The menu a user sees: leaves they may use, and branches with at least one of them."""
    shown = []
    for item in items:
        if not item.allows(role, level):
            continue
        if item.children:
            kids = visible(item.children, role, level)
            if kids:
                shown.append({"label": item.label, "href": item.href, "children": kids})
        else:
            shown.append({"label": item.label, "href": item.href, "children": []})
    return shown


def active_path(menu: list[dict], path: str) -> str | None:
    """The href of the deepest menu entry that the current path falls under."""
    best = None
    for item in menu:
        href = item["href"]
        if href and (path == href or path.startswith(href.rstrip("/") + "/")):
            best = href if best is None or len(href) > len(best) else best
        inner = active_path(item["children"], path)
        if inner and (best is None or len(inner) > len(best)):
            best = inner
    return best


REGISTRARS = frozenset({"registrar"})
DECIDERS = frozenset({"registrar", "approver"})
WORKERS = frozenset({"registrar", "approver"})
#: 学校管理 (ORG): registrars keep school data, sysadmins too [002 §20].
ORG_ROLES = frozenset({"registrar", "sysadmin"})
#: At a school the approver (学籍主管领导) decides and the registrar prepares and reports.
NOT_SCHOOL_REGISTRAR = frozenset({("school", "registrar")})


def _cross_province(kind: str, title: str) -> Item:
    base = f"/{kind}"
    return Item(
        title,
        roles=WORKERS,
        levels=SCHOOL | BUREAUS,
        children=(
            Item(f"{title}申请", f"{base}/new", roles=REGISTRARS, levels=SCHOOL),
            Item(f"{title}核办", f"{base}/pending", roles=DECIDERS, not_for=NOT_SCHOOL_REGISTRAR),
            # XPT-6: the same list at a school's registrar holds the approved cases to pull.
            Item(f"{title}调档", f"{base}/pending", roles=REGISTRARS, levels=SCHOOL),
            Item(f"{title}查询", f"{base}/query", roles=WORKERS),
            Item(f"{title}撤销", f"{base}/revoke", roles=REGISTRARS, levels=SCHOOL),
        ),
    )


def _application(path: str, title: str, word: str, decide: str, revoke: bool = False) -> Item:
    """A business on the approval engine: the school applies, the chain decides, all query
    (学籍异动, 省内转学 with its own 撤销 list, 关键数据变更)."""
    base = f"/{path}"
    items = [
        Item(f"{word}申请", f"{base}/new", roles=REGISTRARS, levels=SCHOOL),
        Item(f"{word}{decide}", f"{base}/pending", roles=DECIDERS, not_for=NOT_SCHOOL_REGISTRAR),
        Item(f"{word}查询", f"{base}/query", roles=WORKERS),
    ]
    if revoke:
        items.append(Item(f"{word}撤销", f"{base}/revoke", roles=REGISTRARS, levels=SCHOOL))
    return Item(title, roles=WORKERS, children=tuple(items))


SYSADMIN = frozenset({"sysadmin"})
SYSTEM = (
    Item("在线用户", "/admin/online-users", roles=SYSADMIN),
    # SYS-5: every account of the jurisdiction (冻结/解冻), the weekly "did not log in" list
    Item("账号管理", "/admin/accounts", roles=SYSADMIN),
    Item("未登录账号", "/admin/accounts/inactive", roles=SYSADMIN),
    Item("修改密码", "/password"),
)

PROVINCE_MENU: tuple[Item, ...] = (
    Item(
        "学籍管理",
        children=(
            Item(
                "学籍注册",
                roles=WORKERS,
                children=(
                    Item("学籍注册录入", "/registration/new", roles=REGISTRARS, levels=SCHOOL),
                    Item("学籍注册导入", "/registration/import", roles=REGISTRARS, levels=SCHOOL),
                    Item("学籍注册上报", "/registration/report", roles=REGISTRARS, levels=SCHOOL),
                    Item(
                        "学籍注册审核",
                        "/registration/review",
                        roles=DECIDERS,
                        not_for=NOT_SCHOOL_REGISTRAR,
                    ),
                    Item("学籍注册查询", "/registration/list", roles=WORKERS),
                ),
            ),
            _application("status-changes", "学籍异动", "异动", "审核"),
            _application("in-province-transfers", "省内转学", "转学", "核办", revoke=True),
            _application("key-data-changes", "关键数据变更", "变更", "审核"),
            Item(
                "问题学籍管理",
                roles=WORKERS,
                children=(
                    Item("省内问题学籍处理", "/problems/province", roles=WORKERS),
                    Item("跨省问题学籍处理", "/problems/cross", roles=WORKERS),
                    Item(
                        "问题学籍审核",
                        "/problems/actions/pending",
                        roles=DECIDERS,
                        not_for=NOT_SCHOOL_REGISTRAR,
                    ),
                    Item(
                        "省内问题学籍仲裁",
                        "/problems/arbitration",
                        roles=DECIDERS,
                        levels=BUREAUS,
                    ),
                ),
            ),
            Item(
                "毕业升级",
                roles=WORKERS,
                children=(
                    Item("毕业办理", "/graduations/new", roles=REGISTRARS, levels=SCHOOL),
                    Item(
                        "毕业审核",
                        "/graduations/pending",
                        roles=DECIDERS,
                        not_for=NOT_SCHOOL_REGISTRAR,
                    ),
                    Item("毕业生查询", "/graduates", roles=WORKERS),
                    Item("升级与校历", "/promotion", roles=WORKERS),
                ),
            ),
            Item(
                "控辍保学",
                roles=WORKERS,
                children=(
                    Item("辍学登记", "/dropouts/new", roles=REGISTRARS, levels=SCHOOL),
                    Item("控辍保学管理", "/dropouts", roles=WORKERS),
                    Item(
                        "返校审核",
                        "/dropouts/returns/pending",
                        roles=DECIDERS,
                        levels=BUREAUS,
                    ),
                    Item("辍学查询", "/dropouts/query", roles=WORKERS),
                ),
            ),
            Item(
                "招生入学",
                roles=WORKERS,
                levels=SCHOOL | BUREAUS,
                children=(
                    Item("招生结果导入", "/admissions/import", roles=REGISTRARS),
                    Item("录取新生", "/admissions/admit", roles=REGISTRARS, levels=SCHOOL),
                    Item("调取新生档案", "/admissions/pull", roles=REGISTRARS, levels=SCHOOL),
                    Item("学生分班", "/admissions/assign", roles=REGISTRARS, levels=SCHOOL),
                    Item(
                        "招生审核",
                        "/admissions/pending",
                        roles=DECIDERS,
                        not_for=NOT_SCHOOL_REGISTRAR,
                    ),
                    Item("招生结果导入设置", "/admissions/settings", roles=WORKERS, levels=BUREAUS),
                ),
            ),
            _cross_province("transfers", "跨省转学"),
            _cross_province("enrollments", "毕业后跨省就学"),
            Item(
                "日常管理",
                roles=WORKERS,
                children=(
                    Item("照片导入", "/photos/import", roles=REGISTRARS, levels=SCHOOL),
                    Item("照片导出", "/photos/export", roles=WORKERS),
                    # DAY-3…DAY-7: the lists beside the school's grade → class tree
                    Item("随迁子女", "/records/migrant", roles=WORKERS),
                    Item("留守儿童", "/records/left-behind", roles=WORKERS),
                    Item("特殊群体（残疾）", "/records/special", roles=WORKERS),
                    Item("学籍信息变更记录", "/records/updates", roles=WORKERS),
                ),
            ),
            Item(
                "综合查询",
                children=(
                    Item("在校生查询", "/students", roles=WORKERS),
                    Item("学生信息查询", "/students/info", roles=WORKERS),
                    Item("全国学籍查询", "/national", roles=WORKERS),
                    # [003 §三]: schools and counties tell parents the national number
                    Item(
                        "全国学籍号查询服务",
                        "/national/number",
                        roles=WORKERS,
                        levels=SCHOOL | {"county"},
                    ),  # fmt: skip
                    Item("省内招生升学查询", "/admissions/query", roles=WORKERS),
                    Item("学生统计", "/statistics", roles=WORKERS),
                ),
            ),
        ),
    ),
    # ORG-1, ORG-2, ORG-4 [002 §20]: the profile for schools and bureaus, the change files'
    # confirmation for the bureaus, the region changes for the province.
    Item(
        "学校管理",
        roles=ORG_ROLES,
        levels=SCHOOL | BUREAUS,
        children=(
            Item("学校信息", "/org/schools"),
            Item("学校变更", "/org/school-changes", levels=BUREAUS),
            Item("区划变更", "/org/regions", levels=frozenset({"province"})),
            Item("学生学籍转移", "/org/migrations", roles=REGISTRARS, levels=BUREAUS),
            Item("学籍转入确认", "/org/migrations/incoming", roles=REGISTRARS, levels=SCHOOL),
        ),
    ),
    # GRD-3: the province's sysadmin runs or resumes the promotion job there.
    Item(
        "系统管理",
        children=(
            Item("升级与校历", "/promotion", roles=frozenset({"sysadmin"})),
            # ID-3, REG-5: the yearly re-authentication of the `L` records
            Item(
                "重新认证",
                "/reauthentication",
                roles=frozenset({"sysadmin"}),
                levels=frozenset({"province"}),
            ),  # fmt: skip
            *SYSTEM,
        ),
    ),
)

HUB_MENU: tuple[Item, ...] = (
    Item(
        "跨省业务统一办理平台",
        children=(
            Item("全国学籍查询", "/national"),
            Item("跨省转学查询", "/transfers/query"),
            Item("毕业后跨省就学查询", "/enrollments/query"),
            Item("跨省问题学籍", "/problems"),
            Item("跨省业务监控", "/monitoring"),
            Item("全国学籍统计", "/statistics"),
            Item("投诉处理", "/complaints"),  # SYS-4
        ),
    ),
    Item(
        "系统管理",
        children=(
            Item("节假日录入", "/calendar"),
            # SEC-2 [004 Q111]: the ministry resets a province-level account's password
            Item("省级账号重置", "/admin/province-accounts", roles=SYSADMIN),
            *SYSTEM,
        ),
    ),
)
