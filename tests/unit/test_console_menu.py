"""The console's menu tree shows each role and level only what it may use (issue 7)."""

from __future__ import annotations

from xueji.console.menu import HUB_MENU, PROVINCE_MENU, active_path, visible


def _leaves(menu: list[dict]) -> set[str]:
    found = set()
    for item in menu:
        found |= _leaves(item["children"]) if item["children"] else {item["label"]}
    return found


def test_school_registrar_enters_imports_reports_and_applies() -> None:
    leaves = _leaves(visible(PROVINCE_MENU, "registrar", "school"))
    assert {
        "学籍注册录入",
        "学籍注册导入",
        "学籍注册上报",
        "跨省转学申请",
        "跨省转学撤销",
    } <= leaves
    assert {"学籍注册审核", "跨省转学核办"}.isdisjoint(leaves)


def test_school_approver_reviews_and_never_enters() -> None:
    leaves = _leaves(visible(PROVINCE_MENU, "approver", "school"))
    assert {"学籍注册审核", "跨省转学核办", "毕业后跨省就学核办"} <= leaves
    assert {"学籍注册录入", "学籍注册导入", "跨省转学申请"}.isdisjoint(leaves)


def test_county_registrar_reviews_queries_and_does_not_apply() -> None:
    leaves = _leaves(visible(PROVINCE_MENU, "registrar", "county"))
    assert {"学籍注册审核", "跨省转学核办", "在校生查询", "全国学籍查询"} <= leaves
    assert {"学籍注册录入", "跨省转学申请", "跨省转学撤销"}.isdisjoint(leaves)


def test_sysadmin_sees_no_business_menus() -> None:
    menu = visible(PROVINCE_MENU, "sysadmin", "province")
    assert "学籍注册" not in {m["label"] for top in menu for m in top["children"]}
    # GRD-3, ID-3/REG-5: the system jobs; ORG-1/ORG-2: the change files of the institution
    # code system
    org = {"学校信息", "学校变更", "区划变更"}
    accounts = {"账号管理", "未登录账号"}  # SYS-5
    assert _leaves(menu) == {"升级与校历", "重新认证", "在线用户", "修改密码"} | org | accounts


def test_ministry_menu_and_the_current_entry() -> None:
    menu = visible(HUB_MENU, "registrar", "ministry")
    leaves = {
        "全国学籍查询",
        "跨省转学查询",
        "毕业后跨省就学查询",
        "跨省问题学籍",  # PRB-3/PRB-4: the ministry's list and arbitration
        "跨省业务监控",
        "全国学籍统计",
        "投诉处理",  # SYS-4
        "修改密码",
    }
    assert leaves | {"节假日录入"} == _leaves(menu)  # SYS-2: everyone sees, sysadmin enters
    hub_sysadmin = _leaves(visible(HUB_MENU, "sysadmin", "ministry"))
    assert {"在线用户", "账号管理", "未登录账号", "省级账号重置"} <= hub_sysadmin  # SYS-5, SEC-2
    province = visible(PROVINCE_MENU, "registrar", "school")
    assert active_path(province, "/transfers/new") == "/transfers/new"
    assert active_path(province, "/students/G440106201503091239") == "/students"
