"""The hub's composition root: `create_app(settings)` (DESIGN §1)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from nats.aio.client import Client

from contracts import subjects
from contracts.codes import MINISTRY_UNIT, Level
from contracts.errors import NotFound
from contracts.meta import CommandMeta
from contracts.org import Unit
from hub import notices
from hub.api import (
    accounts,
    calendar,
    cases,
    complaints,
    health,
    national,
    problems,
    reconciliation,
    repairs,
    statistics,
)
from hub.application import NationalHub
from hub.calendar import CalendarService
from hub.calendar_rpc import serve_calendar
from hub.case_rpc import serve_case_rpc
from hub.cases import CaseService
from hub.complaints import ComplaintService, serve_complaints
from hub.console import install as install_console
from hub.identities import IdentityService
from hub.messaging import ProvinceFollower, serve_rpc
from hub.national_query import NationalQueryService
from hub.problems import ProblemService
from hub.province_accounts import ProvinceAccountResets
from hub.reconciliation import ClaimReconciliation, reconcile_periodically
from hub.repair import StreamRepair
from hub.runtime import HubRuntime
from hub.settings import HubSettings
from hub.statistics import NationalStatistics
from xueji.access.api import admin, auth
from xueji.access.rules import AccountRules
from xueji.access.service import AccessService
from xueji.audit_api import audit_router
from xueji.body_limit import install_body_limit
from xueji.bus import Bus, ensure_durable, ensure_stream
from xueji.cipher import refuse_plaintext_in_production
from xueji.clock import Clock, SystemClock
from xueji.http import install_log_context, install_problem_handlers
from xueji.lifecycle import Supervisor, stop_tasks, tune_garbage_collection
from xueji.logs import configure_logging, get_logger
from xueji.outbox import OutboxRelay
from xueji.seeding import NO_SEED, Seed, refuse_demo_in_production
from xueji.store import Writer, is_postgresql, store_env
from xueji.telemetry import configure_tracing

log = get_logger("hub")


def create_app(
    settings: HubSettings | None = None, clock: Clock | None = None, *, seed: Seed = NO_SEED
) -> FastAPI:
    """The hub's ASGI app; `clock` lets tests set the time (default: the system clock),
    `seed` loads the ministry's accounts at start (default: none; `xueji up` gives the demo's)."""
    settings = settings or HubSettings()
    configure_logging(settings.log_level)
    configure_tracing()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime, tasks = await _start(settings, clock or SystemClock(), seed)
        app.state.runtime = runtime
        tune_garbage_collection()
        try:
            yield
        finally:
            await stop_tasks(tasks)
            await runtime.bus.close()
            runtime.writer.shutdown()
            runtime.hub.close()  # the store's connections (a PostgreSQL server counts them)
            log.info("hub_stopped")

    app = FastAPI(title="xueji hub 跨省业务统一办理平台", lifespan=lifespan)
    install_problem_handlers(app)
    install_log_context(app, "hub")
    audit = audit_router(lambda runtime: runtime.hub)  # AUD-5 over the hub's own log
    routers = (health.router, auth, admin, national.router, statistics.router, calendar.router)
    routers += (audit, problems.router, reconciliation.router, complaints.router, repairs.router,
                accounts.router)  # fmt: skip
    for router in (*routers, *cases.routers):
        app.include_router(router)
    install_console(app)  # the ministry's console at `/` (issue 7)
    install_body_limit(app, settings)  # SEC-8: before anything reads a body (no imports here)
    return app


async def _start(
    settings: HubSettings, clock: Clock, seed: Seed
) -> tuple[HubRuntime, list[asyncio.Task]]:
    writer = Writer("hub")
    ring = settings.cipher_ring(settings.store_url())  # SEC-7: the stored events encrypted
    refuse_plaintext_in_production(is_postgresql(settings.store_url()), ring)
    hub = await writer(NationalHub, store_env(settings.store_url(), ring))
    await refuse_demo_in_production(writer, hub, settings, seed)  # SEC-8
    rules = AccountRules.from_settings(settings)  # SEC-2, SYS-5
    access = AccessService(hub, writer, MinistryJurisdiction(), clock, rules)
    if accounts := _seed_accounts(seed):
        added = await writer(access.load_accounts, accounts, seed.demo)
        log.info("seed_accounts_loaded", added=added)
    followers = [
        ProvinceFollower(
            hub,
            writer,
            p,
            check_seconds=settings.stream_check_seconds,
            replicas=settings.stream_replicas,
        )  # fmt: skip
        for p in settings.provinces
    ]
    supervisor = Supervisor()  # every background loop, restarted when it crashed

    async def on_connect(nc: Client) -> None:
        replicas = settings.stream_replicas
        hub_out = [f"{subjects.HUB_OUT_PREFIX}.>"]
        await ensure_stream(nc, subjects.HUB_OUT_STREAM, hub_out, replicas)
        dead = [f"{subjects.DEAD_LETTER_PREFIX}.>"]
        await ensure_stream(nc, subjects.DEAD_LETTER_STREAM, dead, replicas)  # BUS-6
        for province in settings.provinces:  # each node may only read its own (SEC-5)
            await ensure_durable(
                nc,
                subjects.HUB_OUT_STREAM,
                subjects.hub_out_for(province),
                subjects.hub_out_durable(province),
                subjects.HUB_OUT_ACK_WAIT_SECONDS,
            )
        await serve_rpc(nc, runtime.identities)
        await serve_case_rpc(nc, runtime)
        await serve_calendar(nc, runtime.calendar)
        await serve_complaints(nc, runtime.complaints)  # SYS-4
        for follower in followers:
            supervisor.start(f"follow-{follower.province}", functools.partial(follower.run, nc))

    bus = Bus(settings.nats_url, subjects.HUB_CLIENT, [on_connect], settings.nats_tls())
    relay = OutboxRelay(hub, writer, bus, notices.translate, notices.PUBLISHED_TOPICS)
    case_service = CaseService(hub, writer, bus, clock, relay, settings.auto_pull)
    identities, national_calendar = IdentityService(hub, writer), CalendarService(hub, writer)
    statistics = NationalStatistics(bus, settings.provinces)
    problem_service = ProblemService(hub, writer, clock, relay)
    runtime = HubRuntime(settings, hub, writer, bus, followers, access, clock, relay,
                         identities, case_service, national_calendar, statistics,
                         problem_service,
                         complaints=ComplaintService(hub, writer, clock))  # fmt: skip
    runtime.national = NationalQueryService(identities, bus, clock)
    runtime.province_accounts = ProvinceAccountResets(bus, settings.provinces)
    runtime.claims = ClaimReconciliation(
        hub, writer, bus, settings.provinces, settings.claim_grace_seconds
    )
    every = settings.claim_reconcile_seconds
    runtime.supervisor = supervisor
    runtime.repair = StreamRepair(hub, writer, bus, followers, supervisor)  # BUS-6
    supervisor.start("claims", functools.partial(reconcile_periodically, runtime.claims, every))
    supervisor.start("hub-outbox", functools.partial(relay.run, settings.outbox_poll_seconds))
    supervisor.start("hub-deadlines", functools.partial(_deadlines, runtime))
    supervisor.start("hub-accounts", functools.partial(_account_sweep, runtime))  # SYS-5
    bus.start()
    log.info("hub_started", provinces=settings.provinces)
    return runtime, supervisor.tasks  # the followers join the list once the bus connects


async def _deadlines(runtime: HubRuntime) -> None:
    """XPT-6/XPT-7 on the hub clock: overdue steps, unpulled and stale cases."""
    while True:
        await asyncio.sleep(runtime.settings.deadline_poll_seconds)
        try:
            await run_deadlines(runtime)
        except Exception:  # the store is busy or failing: try at the next tick
            log.exception("deadlines_failed")


async def _account_sweep(runtime: HubRuntime) -> None:
    """SYS-5 on the hub: accounts unused longer than the period are frozen (the ministry's
    own are never, `AccountRules`; the sweep is there for any other unit's account)."""
    meta = CommandMeta.new("system", MINISTRY_UNIT, "sysadmin").as_dict()
    while True:
        await asyncio.sleep(runtime.settings.account_sweep_seconds)
        try:
            await runtime.access.freeze_unused(meta)
        except Exception:  # the store is busy or failing: try at the next tick
            log.exception("account_sweep_failed")


async def run_deadlines(runtime: HubRuntime) -> dict[str, int]:
    counts = await runtime.cases.run_deadlines()
    if counts["calendar_missing"]:
        log.warning("deadlines_wait_for_calendar", cases=counts["calendar_missing"])
    if any(counts[k] for k in ("overdue", "cancel", "clean", "resend")):
        runtime.relay.wake()
        log.info("deadlines_applied", **counts)
    return counts


class MinistryJurisdiction:
    """The hub's accounts are the ministry's: it sees everything, any other unit itself."""

    def is_within(self, code: str, root: str) -> bool:
        return root == MINISTRY_UNIT or code == root

    def unit(self, code: str) -> Unit:
        if code != MINISTRY_UNIT:
            raise NotFound(f"单位 {code} 不在中央平台", field="unit_code")
        return Unit(MINISTRY_UNIT, "教育部", Level.MINISTRY, None)


def _seed_accounts(seed: Seed) -> list[dict]:
    meta = CommandMeta.new("system", MINISTRY_UNIT, "sysadmin").as_dict()
    units = [(MINISTRY_UNIT, "教育部", "ministry")]
    return [account | {"meta": meta} for account in seed.accounts(units)]
