"""Account governance (xueji/access/rules.py): SYS-5 sealing of unused accounts, SEC-2
password expiry, the absolute session lifetime; pure, no store."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from contracts.org import OrgTree
from hub.settings import HubSettings
from province_node.settings import NodeSettings
from xueji.access.account import AccountFacts
from xueji.access.policy import AccessPolicy
from xueji.access.rules import AccountRules
from xueji.access.sessions import Session, SessionEnded, SessionRegistry
from xueji.clock import SHANGHAI

NOW = datetime(2026, 11, 22, 10, tzinfo=SHANGHAI)
RULES = AccountRules()  # 90 days unused, 180 days password, 12 h session


def account(**given: object) -> AccountFacts:
    facts = {
        "level": "school",
        "demo": False,
        "frozen": False,
        "disabled": False,
        "created_at": NOW - timedelta(days=400),
        "last_login_at": None,
        "password_changed_at": None,
    }
    return AccountFacts(**(facts | given))


def test_sys5_defaults_and_settings_of_both_services() -> None:
    assert (RULES.unused_days, RULES.password_max_age_days, RULES.session_lifetime_hours) == (
        90,
        180,
        12.0,
    )
    for settings in (
        NodeSettings(account_unused_days=30, password_max_age_days=60, session_lifetime_hours=4),
        HubSettings(account_unused_days=30, password_max_age_days=60, session_lifetime_hours=4),
    ):
        assert AccountRules.from_settings(settings) == AccountRules(30, 60, 4)
        assert settings.account_sweep_seconds > 0


@pytest.mark.parametrize(("days_ago", "frozen"), [(89, False), (90, False), (91, True)])
def test_sys5_an_account_unused_longer_than_the_period_is_frozen(
    days_ago: int, frozen: bool
) -> None:
    used = account(last_login_at=NOW - timedelta(days=days_ago))
    assert RULES.should_freeze(used, NOW) is frozen
    assert AccountRules(unused_days=30).should_freeze(used, NOW) is (days_ago > 30)


def test_sys5_a_never_logged_in_account_counts_from_its_creation() -> None:
    assert RULES.should_freeze(account(created_at=NOW - timedelta(days=91)), NOW)
    assert not RULES.should_freeze(account(created_at=NOW - timedelta(days=10)), NOW)
    # a recent login outweighs an old creation
    recent = account(created_at=NOW - timedelta(days=400), last_login_at=NOW - timedelta(days=1))
    assert not RULES.should_freeze(recent, NOW)


@pytest.mark.parametrize(
    "kept",
    [
        {"level": "ministry"},  # the ministry's accounts are never frozen by the sweep
        {"demo": True},  # nor a demo account
        {"frozen": True},  # already frozen: nothing to do
        {"disabled": True},  # its unit was revoked: it cannot log in anyway
    ],
)
def test_sys5_ministry_demo_frozen_and_disabled_accounts_are_not_swept(kept: dict) -> None:
    assert not RULES.should_freeze(account(**kept), NOW)
    assert RULES.should_freeze(account(), NOW)  # the same account otherwise is


def test_sec2_password_expires_after_its_maximum_age() -> None:
    changed = account(password_changed_at=NOW - timedelta(days=170))
    assert RULES.password_days_left(changed, NOW) == 10
    assert not RULES.password_expired(changed, NOW)
    assert RULES.password_age_days(changed, NOW) == 170
    later = NOW + timedelta(days=10)
    assert RULES.password_days_left(changed, later) == 0 and RULES.password_expired(changed, later)
    assert RULES.password_days_left(changed, NOW + timedelta(days=9, hours=1)) == 1


def test_sec2_a_never_changed_password_ages_from_the_account_creation() -> None:
    assert RULES.password_expired(account(created_at=NOW - timedelta(days=181)), NOW)
    assert RULES.password_days_left(account(created_at=NOW - timedelta(days=1)), NOW) == 179


def test_sec2_demo_passwords_do_not_expire() -> None:
    """Published and never in production (SEC-8); tests move the clock by years."""
    demo = account(demo=True, created_at=NOW - timedelta(days=4000))
    assert RULES.password_days_left(demo, NOW) is None and not RULES.password_expired(demo, NOW)


def test_sec2_a_session_ends_after_its_lifetime_even_if_active() -> None:
    registry = SessionRegistry(rules=RULES)
    session = registry.open("440106_registrar", "440106", "county", "registrar", NOW)
    at = NOW
    for _ in range(12):  # active every hour: the idle limit never ends it
        at += timedelta(hours=1)
        registry.touch(session.token, at)
    with pytest.raises(SessionEnded) as ended:
        registry.touch(session.token, at + timedelta(minutes=1))
    assert ended.value.code == "session_lifetime_exceeded"
    with pytest.raises(SessionEnded) as again:  # and it stays ended, saying why
        registry.touch(session.token, at)
    assert again.value.code == "session_lifetime_exceeded"


def test_sec2_online_users_leave_out_sessions_past_their_lifetime() -> None:
    registry = SessionRegistry(rules=AccountRules(session_lifetime_hours=1))
    registry.open("a", "440106", "county", "sysadmin", NOW)
    fresh = registry.open("b", "440106", "county", "sysadmin", NOW + timedelta(minutes=50))
    assert [s.username for s in registry.online(NOW + timedelta(minutes=70))] == [fresh.username]


def test_sys5_only_a_superior_units_sysadmin_governs_an_account() -> None:
    org = OrgTree.for_province("44", [])
    rules = AccessPolicy(org)
    at = NOW
    county = Session("t", "440106_sysadmin", "440106", "county", "sysadmin", at, at)
    province = Session("t", "440000_sysadmin", "440000", "province", "sysadmin", at, at)
    assert rules.is_superior(province, "440106") and rules.is_superior(province, "440100")
    assert not rules.is_superior(county, "440106")  # its own unit: not its superior
    assert not rules.is_superior(county, "440103")  # another county
    assert not rules.is_superior(province, "440000")
