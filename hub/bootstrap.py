"""The hub's composition root: `create_app(settings)` (DESIGN §1)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from nats.aio.client import Client

from contracts.errors import DomainError, NotFound
from hub.api import health, national
from hub.application import NationalHub
from hub.messaging import ProvinceFollower, serve_rpc
from hub.runtime import HubRuntime
from hub.settings import HubSettings
from xueji.bus import Bus
from xueji.http import install_log_context, install_problem_handlers
from xueji.lifecycle import stop_tasks
from xueji.logs import configure_logging, get_logger
from xueji.store import Writer, store_env
from xueji.telemetry import configure_tracing

log = get_logger("hub")


def create_app(settings: HubSettings | None = None) -> FastAPI:
    settings = settings or HubSettings()
    configure_logging(settings.log_level)
    configure_tracing()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime, tasks = await _start(settings)
        app.state.runtime = runtime
        try:
            yield
        finally:
            await stop_tasks(tasks)
            await runtime.bus.close()
            runtime.writer.shutdown()
            log.info("hub_stopped")

    app = FastAPI(title="xueji hub 跨省业务统一办理平台", lifespan=lifespan)
    install_problem_handlers(app, {NotFound: 404, DomainError: 409})
    install_log_context(app, "hub")
    for router in (health.router, national.router):
        app.include_router(router)
    return app


async def _start(settings: HubSettings) -> tuple[HubRuntime, list[asyncio.Task]]:
    writer = Writer("hub")
    hub = await writer(NationalHub, store_env(settings.store_url()))
    followers = [ProvinceFollower(hub, writer, p) for p in settings.provinces]
    tasks: list[asyncio.Task] = []

    async def on_connect(nc: Client) -> None:
        await serve_rpc(nc, hub, writer)
        for follower in followers:
            tasks.append(asyncio.create_task(follower.run(nc), name=f"follow-{follower.province}"))

    bus = Bus(settings.nats_url, "hub", on_connect=[on_connect])
    bus.start()
    log.info("hub_started", provinces=settings.provinces)
    return HubRuntime(settings, hub, writer, bus, followers), tasks
