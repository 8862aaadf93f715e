"""A hub and province nodes in one test process, on a real nats-server, over HTTP (ASGI).

Each service runs its real lifespan (store, bus, relay, followers); stopping one and
starting it again on the same database is a restart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import date

import httpx
from fastapi import FastAPI

from hub.bootstrap import create_app as create_hub
from hub.settings import HubSettings
from province_node.bootstrap import create_app as create_node
from province_node.settings import NodeSettings

TODAY = date(2026, 11, 22)


class Mesh:
    def __init__(self, nats_url: str, store_urls: dict[str, str], provinces: list[str]) -> None:
        self.nats_url, self.store_urls, self.provinces = nats_url, store_urls, provinces
        self.apps: dict[str, FastAPI] = {}
        self._lifespans: dict[str, AbstractAsyncContextManager] = {}

    async def start(self, service: str) -> FastAPI:
        """Starts `hub` or a province code, on its database (kept across restarts)."""
        if service == "hub":
            app = create_hub(
                HubSettings(
                    db_url=self.store_urls["hub"], nats_url=self.nats_url, provinces=self.provinces
                )
            )
        else:
            app = create_node(
                NodeSettings(
                    province=service,
                    db_url=self.store_urls[service],
                    nats_url=self.nats_url,
                    outbox_poll_seconds=0.1,
                ),
                today=lambda: TODAY,
            )
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        self.apps[service], self._lifespans[service] = app, lifespan
        return app

    async def stop(self, service: str) -> None:
        lifespan = self._lifespans.pop(service)
        del self.apps[service]
        await lifespan.__aexit__(None, None, None)

    async def start_all(self) -> None:
        for service in ["hub", *self.provinces]:
            await self.start(service)
        await self.wait_until(
            lambda: all(app.state.runtime.bus.connected for app in self.apps.values())
        )

    async def stop_all(self) -> None:
        for service in list(self._lifespans):
            await self.stop(service)

    def runtime(self, service: str):
        return self.apps[service].state.runtime

    def client(self, service: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.apps[service])
        return httpx.AsyncClient(transport=transport, base_url=f"http://{service}")

    async def get(self, service: str, path: str, **kwargs) -> httpx.Response:
        async with self.client(service) as client:
            return await client.get(path, **kwargs)

    async def post(self, service: str, path: str, **kwargs) -> httpx.Response:
        async with self.client(service) as client:
            return await client.post(path, **kwargs)

    @staticmethod
    async def wait_until(
        check: Callable[[], bool | Awaitable[bool]], timeout: float = 15.0
    ) -> None:
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if isinstance(result, Awaitable):
                result = await result
            if result:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met in time")
            await asyncio.sleep(0.05)
