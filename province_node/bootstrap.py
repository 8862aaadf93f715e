"""The province node's composition root: `create_app(settings)` (DESIGN §1)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date

from fastapi import FastAPI
from nats.aio.client import Client

from contracts import subjects
from contracts.meta import CommandMeta
from province_node.api import health, registrations, schools, students
from province_node.application import ProvinceNode
from province_node.domain.errors import DomainError, NotFound
from province_node.messaging import PUBLISHED_TOPICS, HubClient, translate
from province_node.registrations import RegistrationService
from province_node.runtime import NodeRuntime
from province_node.settings import NodeSettings
from simulations.demo import demo_schools
from xueji.bus import Bus, ensure_stream
from xueji.http import install_log_context, install_problem_handlers
from xueji.lifecycle import stop_tasks
from xueji.logs import configure_logging, get_logger
from xueji.outbox import OutboxRelay
from xueji.store import Writer, store_env
from xueji.telemetry import configure_tracing

log = get_logger("province_node")


def create_app(
    settings: NodeSettings | None = None, today: Callable[[], date] = date.today
) -> FastAPI:
    settings = settings or NodeSettings()
    configure_logging(settings.log_level)
    configure_tracing()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await _start(settings, today)
        app.state.runtime = runtime
        relay_task = asyncio.create_task(runtime.relay.run(settings.outbox_poll_seconds))
        try:
            yield
        finally:
            await stop_tasks([relay_task])
            await runtime.bus.close()
            runtime.writer.shutdown()
            log.info("node_stopped", province=settings.province)

    app = FastAPI(title=f"xueji province node {settings.province}", lifespan=lifespan)
    install_problem_handlers(app, {NotFound: 404, DomainError: 409})
    install_log_context(app, f"province-{settings.province}")
    for router in (health.router, schools.router, registrations.router, students.router):
        app.include_router(router)
    return app


async def _start(settings: NodeSettings, today: Callable[[], date]) -> NodeRuntime:
    province = settings.province
    writer = Writer(f"prov{province}")
    node = await writer(ProvinceNode, province, store_env(settings.store_url()))
    if settings.demo_data:
        meta = CommandMeta.new("system", province, "sysadmin")
        added = await writer(node.load_schools, demo_schools(province, today()), meta)
        log.info("demo_schools_loaded", province=province, added=added)

    async def declare_stream(nc: Client) -> None:
        await ensure_stream(
            nc, subjects.province_stream(province), [subjects.province_events(province)]
        )

    bus = Bus(settings.nats_url, f"prov{province}", on_connect=[declare_stream])
    bus.start()
    relay = OutboxRelay(node, writer, bus, translate, PUBLISHED_TOPICS)
    hub = HubClient(bus, province, settings.hub_timeout_seconds)
    service = RegistrationService(node, writer, hub, relay, today)
    log.info("node_started", province=province, store=settings.store_url().split("://")[0])
    return NodeRuntime(settings, node, writer, bus, relay, service)
