"""What a service loads at start besides its own log: an adapter of `create_app` (DESIGN §1).

The production default loads nothing (SEC-8: no default credentials outside the local demo);
the first sysadmin is created by `xueji create-sysadmin` (a one-time password), schools and
further accounts then come in through the API and the console. `xueji up` and the tests pass
the demo seed (`simulations.demo.DEMO`), so no service imports `simulations`.

A service whose store is PostgreSQL — the production backend — refuses to start with the
demo seed, or with demo accounts already in its store (`refuse_demo_in_production`).
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from eventsourcing.application import Application

from xueji.access.service import demo_usernames
from xueji.logs import get_logger
from xueji.store import Writer, is_postgresql

log = get_logger("xueji.seeding")


class Seed(Protocol):
    #: It brings accounts whose password is published (the demo's).
    demo: bool

    def schools(self, province: str, today: date) -> list[dict]:
        """School records for `province_node.schools.load_schools` (loading twice adds nothing)."""
        ...

    def accounts(self, units: list[tuple[str, str, str]]) -> list[dict]:
        """Account seeds for `AccessService.load_accounts`, `password_hash` included and
        `meta` left to the caller, for (unit code, unit name, level) triples."""
        ...


class NoSeed:
    """The production default: nothing."""

    demo = False

    def schools(self, province: str, today: date) -> list[dict]:
        return []

    def accounts(self, units: list[tuple[str, str, str]]) -> list[dict]:
        return []


NO_SEED = NoSeed()


class DemoDataRefused(RuntimeError):
    """SEC-8: a production store (PostgreSQL) with demo accounts; the service does not start."""


async def refuse_demo_in_production(writer: Writer, app: Application, settings, seed: Seed) -> None:
    """Raises `DemoDataRefused` (the writer shut down) unless the store is SQLite (the local
    demo), or `settings.allow_demo_on_postgresql` (a test of the PostgreSQL backend), or
    neither the seed nor the store has demo accounts."""
    store_url = settings.store_url()
    if settings.allow_demo_on_postgresql or not is_postgresql(store_url):
        return
    present = await writer(demo_usernames, app)
    if not (seed.demo or present):
        return
    found = (
        f"库中已有演示账号 {len(present)} 个（如 {present[0]}）" if present else "指定加载演示数据"
    )
    log.error("demo_data_refused", stored=len(present), seed=seed.demo)
    writer.shutdown()
    raise DemoDataRefused(
        f"拒绝启动：生产数据库（PostgreSQL）不得含有公开密码的演示账号，{found}。"
        "请去掉 --demo-data / XUEJI_DEMO_DATA，使用全新的数据库，并以 "
        "`xueji create-sysadmin` 创建首个系统管理员。"
        " (refusing to start: demo accounts with a published password on a PostgreSQL store)"
    )
