"""The province node's composition root: `create_app(settings)` (DESIGN §1)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from nats.aio.client import Client

from contracts import subjects
from contracts.meta import CommandMeta
from contracts.org import OrgTree
from province_node.account_rpc import serve_account_resets
from province_node.admissions import AdmissionService
from province_node.api import (
    admissions,
    applications,
    bulk_exports,
    cases,
    complaints,
    dropouts,
    health,
    org,
    pending,
    photos,
    preschool,
    problems,
    queries,
    reauthentications,
    registrations,
    school_year,
    schools,
    students,
)
from province_node.api import settings as settings_api
from province_node.application import ProvinceNode
from province_node.applications import ApplicationService
from province_node.batch_edit import BatchEdits
from province_node.bulk_exports import BulkExportService
from province_node.calendar_client import HubCalendar
from province_node.card import StudentCards
from province_node.cases import CaseService
from province_node.claims import ClaimLedger, serve_claims
from province_node.complaints import ProvinceComplaints
from province_node.configuration import SettingsService
from province_node.console import install as install_console
from province_node.counting import serve_counts
from province_node.dropouts import DropoutService
from province_node.graduations import GraduationService
from province_node.imports import ImportService
from province_node.key_data_changes import KeyDataChanges
from province_node.later_checks import LaterChecks
from province_node.messaging import HubClient
from province_node.migrations import MigrationService
from province_node.notices import NoticeFollower, serve_prepare
from province_node.org_changes import OrgChangeService
from province_node.pending import PendingWork
from province_node.photos import PhotoService
from province_node.preschool import PreschoolService
from province_node.preschool_client import PreschoolClient
from province_node.problems import ProblemService
from province_node.promotions import PromotionService
from province_node.publishing import PUBLISHED_TOPICS, translate
from province_node.reauthentication import ReauthenticationService
from province_node.record_summary import serve_summary
from province_node.registrations import RegistrationService
from province_node.registry_client import RegistryClient
from province_node.repair import serve_repair
from province_node.reviews import ReviewService
from province_node.runtime import NodeRuntime
from province_node.schools import SchoolService
from province_node.settings import NodeSettings
from province_node.statistics import StudentStatistics
from province_node.students import StudentService
from province_node.sweeps import start_sweeps
from province_node.views.node import node_views
from xueji.access.api import admin, auth
from xueji.access.rules import AccountRules
from xueji.access.service import AccessService
from xueji.audit_api import audit_router
from xueji.blobs import BlobStore
from xueji.body_limit import install_body_limit
from xueji.bus import Bus
from xueji.cipher import cipher_of, refuse_plaintext_in_production
from xueji.clock import Clock, SystemClock
from xueji.http import install_log_context, install_problem_handlers
from xueji.lifecycle import Supervisor, stop_tasks, tune_garbage_collection
from xueji.logs import configure_logging, get_logger
from xueji.outbox import OutboxRelay
from xueji.seeding import NO_SEED, Seed, refuse_demo_in_production
from xueji.store import Writer, is_postgresql, store_env
from xueji.telemetry import configure_tracing

log = get_logger("province_node")
#: The routes that take an Excel import, and so the larger body limit (SEC-8).
UPLOAD_PATHS = (
    "/api/v1/registrations/import",
    "/registration/import",
    "/api/v1/photos/import",
    "/photos/import",
)


def create_app(
    settings: NodeSettings | None = None, clock: Clock | None = None, *, seed: Seed = NO_SEED
) -> FastAPI:
    """The node's ASGI app; `clock` lets tests set the time (default: the system clock),
    `seed` loads schools and accounts at start (default: none; `xueji up` gives the demo's)."""
    settings = settings or NodeSettings()
    configure_logging(settings.log_level)
    configure_tracing()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await _start(settings, clock or SystemClock(), seed)
        app.state.runtime = runtime
        tune_garbage_collection()
        supervisor = runtime.supervisor  # every loop started again if it crashed
        supervisor.start(
            "outbox", functools.partial(runtime.relay.run, settings.outbox_poll_seconds)
        )
        start_sweeps(runtime, supervisor)
        supervisor.start("views", functools.partial(runtime.views.run, settings.views_poll_seconds))
        try:
            yield
        finally:
            await stop_tasks([*supervisor.tasks, *runtime.background])
            await runtime.bus.close()
            runtime.writer.shutdown()
            runtime.views.close()
            runtime.node.close()  # the store's connections (a PostgreSQL server counts them)
            log.info("node_stopped", province=settings.province)

    app = FastAPI(title=f"xueji province node {settings.province}", lifespan=lifespan)
    install_problem_handlers(app)
    install_log_context(app, f"province-{settings.province}")
    routers = (
        health.router,
        auth,
        admin,
        org.router,  # before `schools`: /schools/changes is not a school code
        schools.router,
        registrations.router,
        preschool.router,
        pending.router,
        applications.router,
        school_year.router,
        dropouts.router,
        admissions.router,
        queries.router,  # before `students`: /students/info is not a student number
        students.router,
        photos.router,  # ID-7, DAY-6
        bulk_exports.router,  # SYS-6
        complaints.router,  # SYS-4
        settings_api.router,
        problems.router,
        reauthentications.router,  # ID-3, REG-5
        settings_api.calendar,
        audit_router(lambda runtime: runtime.node),  # AUD-5 over this node's own log
        *cases.routers,
    )
    for router in routers:
        app.include_router(router)
    install_console(app, settings.province)  # the operator console at `/` (issue 7)
    install_body_limit(app, settings, UPLOAD_PATHS)  # SEC-8: before anything reads a body
    return app


async def _start(settings: NodeSettings, clock: Clock, seed: Seed) -> NodeRuntime:
    province = settings.province
    writer = Writer(f"prov{province}")
    ring = settings.cipher_ring(settings.store_url())  # SEC-7: the stored events encrypted
    refuse_plaintext_in_production(is_postgresql(settings.store_url()), ring)
    node = await writer(ProvinceNode, province, store_env(settings.store_url(), ring))
    await refuse_demo_in_production(writer, node, settings, seed)  # SEC-8
    schools = SchoolService(node, writer)
    if seeds := seed.schools(province, clock.today()):
        meta = CommandMeta.new("system", province, "sysadmin")
        added = await schools.load(seeds, meta)
        log.info("seed_schools_loaded", province=province, added=added)
    org = OrgTree.for_province(province, await schools.schools())
    access = AccessService(node, writer, org, clock, AccountRules.from_settings(settings))
    views = await asyncio.to_thread(node_views, node, settings.views_store_url())
    accounts_for = seed.accounts  # ORG-1, ORG-2: new units get the accounts a seed gives
    org_changes = OrgChangeService(node, writer, org, access, views, clock, accounts_for, seed.demo)
    await org_changes.restore_tree()  # ORG-1: regions added or renamed since the table shipped
    if accounts := _seed_accounts(seed, org):
        added = await writer(access.load_accounts, accounts, seed.demo)
        log.info("seed_accounts_loaded", province=province, added=added)

    async def serve_cases(nc: Client) -> None:
        await serve_prepare(nc, case_service)
        follower = NoticeFollower(case_service, relay, problem_service)  # PRB-4: the hub's
        supervisor.start(f"notices-{province}", functools.partial(follower.run, nc))

    async def serve_summaries(nc: Client) -> None:  # QRY-4: the hub asks about a student
        await serve_summary(nc, case_service.sides)

    background: list[asyncio.Task] = []
    supervisor = Supervisor()
    counts = functools.partial(serve_counts, views=views, province=province)  # QRY-6 for the hub
    ledger = ClaimLedger(node, writer, views)  # REG-5 reconciliation, asked by the hub
    claims = functools.partial(serve_claims, ledger=ledger, province=province)
    hooks = [counts, serve_cases, serve_summaries, claims]

    async def repair(nc: Client) -> None:  # BUS-6: the hub asks for the log again
        await serve_repair(nc, relay, writer, province)

    hooks.append(repair)
    hooks.append(functools.partial(serve_account_resets, access=access, province=province))
    client = subjects.province_client(province)
    bus = Bus(settings.nats_url, client, on_connect=hooks, tls=settings.nats_tls())
    blobs = BlobStore(settings.blob_dir(), cipher_of(ring))  # SEC-7: the files too
    publish = functools.partial(translate, blobs=blobs)  # ID-7: the archive's photo
    relay = OutboxRelay(node, writer, bus, publish, PUBLISHED_TOPICS)
    case_service = CaseService(node, writer, bus, org, clock, blobs, settings.hub_timeout_seconds)
    bus.start()
    hub = HubClient(bus, province, settings.hub_timeout_seconds)
    registry = RegistryClient(bus, settings.hub_timeout_seconds)
    service = RegistrationService(node, writer, hub, registry, relay, clock, org, blobs, views)
    ledger.in_flight = service.in_flight
    log.info("node_started", province=province, store=settings.store_url().split("://")[0])
    imports = ImportService(node, writer, service, clock)
    archive = PreschoolClient(bus, province, settings.hub_timeout_seconds)
    preschool_service = PreschoolService(node, writer, archive, service, clock)
    calendar = HubCalendar(bus, province, settings.hub_timeout_seconds)  # SYS-2
    supervisor.start(f"calendar-{province}", calendar.run)
    reauthentication = ReauthenticationService(
        node, writer, views, registry, bus, relay, clock, background
    )
    await reauthentication.resume()  # ID-3: a run the node stopped in goes on
    key_data = KeyDataChanges(node, writer, org, blobs, hub, registry)
    # (before the bus's first connection: its follower mirrors the hub's problem notices)
    problem_service = ProblemService(node, writer, views, org, clock, blobs, key_data)
    return NodeRuntime(
        settings,
        node,
        writer,
        bus,
        relay,
        service,
        org,
        access,
        clock,
        imports,
        preschool_service,
        views,
        case_service,
        background,
        supervisor=supervisor,
        calendar=calendar,
        pending=PendingWork(views, case_service, province),
        applications=ApplicationService(
            node,
            writer,
            views,
            org,
            clock,
            blobs,
            calendar,
            access,
            key_data,
        ),  # fmt: skip
        problems=problem_service,
        graduations=GraduationService(node, writer, views, org, clock, access),
        admissions=AdmissionService(node, writer, views, org, clock, access),
        batch_edits=BatchEdits(node, writer, views, org, clock, access),
        bulk_exports=BulkExportService(node, writer, views, org, clock, access.policy),
        complaints=ProvinceComplaints(bus, province, org, settings.hub_timeout_seconds),
        statistics=StudentStatistics(views),
        promotions=PromotionService(node, writer, clock),
        schools=schools,
        org_changes=org_changes,
        migrations=MigrationService(node, writer, views, clock, org_changes.settle),
        configuration=SettingsService(node, writer, org),
        reviews=ReviewService(node, writer, clock, views, org),
        students=StudentService(node, writer, org, clock, views),
        dropouts=DropoutService(node, writer, views, org, clock, access),
        photos=PhotoService(node, writer, views, clock, blobs, access),
        cards=StudentCards(node, writer, org, blobs, clock),
        reauthentications=reauthentication,
        later_checks=LaterChecks(service),
    )


def _seed_accounts(seed: Seed, org: OrgTree) -> list[dict]:
    units = [(u.code, u.name, u.level.value) for u in org.within(org.province().code)]
    meta = CommandMeta.new("system", org.province().code, "sysadmin").as_dict()
    return [account | {"meta": meta} for account in seed.accounts(units)]
