"""A hub and province nodes in one test process, on a real nats-server, over HTTP (ASGI).

Each service runs its real lifespan (store, bus, relay, followers); stopping one and
starting it again on the same database is a restart. Every service connects to NATS over
TLS with its own client certificate of the session's PKI, as under `xueji up` (SEC-5).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from pathlib import Path

import httpx
from fastapi import FastAPI

from contracts import subjects
from hub.bootstrap import create_app as create_hub
from hub.settings import HubSettings
from province_node.bootstrap import create_app as create_node
from province_node.settings import NodeSettings
from simulations.demo import DEMO, DEMO_PASSWORD
from simulations.preschool import PreschoolRegistry
from simulations.registry import PopulationRegistry
from tests.support.nats import session_pki
from xueji.bus import Bus
from xueji.cipher import new_key
from xueji.clock import SHANGHAI, FixedClock
from xueji.pki import TlsFiles
from xueji.store import is_postgresql

TODAY = date(2026, 11, 22)
REGISTRY_PEOPLE = 200
PRESCHOOL_CHILDREN = 200
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)


class Mesh:
    def __init__(
        self,
        nats_url: str,
        store_urls: dict[str, str],
        provinces: list[str],
        cipher_key: str | None = None,
    ) -> None:
        self.nats_url, self.store_urls, self.provinces = nats_url, store_urls, provinces
        #: SEC-7: the stores' key; PostgreSQL (production) is always encrypted, SQLite when
        #: a test gives a key.
        postgresql = any(is_postgresql(url) for url in store_urls.values())
        self.cipher_key = cipher_key or (new_key() if postgresql else None)
        self.apps: dict[str, FastAPI] = {}
        self._lifespans: dict[str, AbstractAsyncContextManager] = {}
        self._tokens: dict[tuple[str, str], str] = {}
        self._registry_bus: Bus | None = None
        self._preschool_bus: Bus | None = None
        #: The one clock of the whole mesh: tests move it instead of sleeping.
        self.clock = FixedClock(NOW)
        self.blobs = Path(tempfile.mkdtemp(prefix="xueji-blobs-"))
        self.pki = session_pki()

    def tls(self, client: str) -> TlsFiles:
        return self.pki.client(client)

    def _nats(self, client: str) -> dict:
        files = self.tls(client)
        return {
            "nats_url": self.nats_url,
            "nats_ca_file": files.ca,
            "nats_cert_file": files.cert,
            "nats_key_file": files.key,
        }

    async def start(self, service: str) -> FastAPI:
        """Starts `hub` or a province code, on its database (kept across restarts)."""
        if service == "hub":
            app = create_hub(
                HubSettings(
                    db_url=self.store_urls["hub"],
                    **self._nats(subjects.HUB_CLIENT),
                    provinces=self.provinces,
                    outbox_poll_seconds=0.1,
                    allow_demo_on_postgresql=True,  # the demo seed on the PostgreSQL tests too
                    cipher_key=self.cipher_key,
                ),
                clock=self.clock,
                seed=DEMO,
            )
        else:
            app = create_node(
                NodeSettings(
                    province=service,
                    db_url=self.store_urls[service],
                    **self._nats(subjects.province_client(service)),
                    outbox_poll_seconds=0.1,
                    blobs_dir=self.blobs / service,
                    allow_demo_on_postgresql=True,
                    cipher_key=self.cipher_key,
                ),
                clock=self.clock,
                seed=DEMO,
            )
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        self.apps[service], self._lifespans[service] = app, lifespan
        return app

    async def stop(self, service: str) -> None:
        lifespan = self._lifespans.pop(service)
        del self.apps[service]
        self._tokens = {k: v for k, v in self._tokens.items() if k[0] != service}
        await lifespan.__aexit__(None, None, None)

    async def start_registry(self) -> None:
        """The population-registry stand-in, seeded with the first people of each province."""
        self.registry = PopulationRegistry.seeded(self.provinces, REGISTRY_PEOPLE)
        client = subjects.REGISTRY_CLIENT
        self._registry_bus = Bus(self.nats_url, client, [self.registry.serve], self.tls(client))
        self._registry_bus.start()
        await self._registry_bus.ready.wait()

    async def start_preschool(self) -> None:
        """The pre-school registry stand-in (REG-2), with its look-alikes."""
        self.preschool = PreschoolRegistry.seeded(self.provinces, PRESCHOOL_CHILDREN)
        client = subjects.PRESCHOOL_CLIENT
        self._preschool_bus = Bus(self.nats_url, client, [self.preschool.serve], self.tls(client))
        self._preschool_bus.start()
        await self._preschool_bus.ready.wait()

    async def start_all(self) -> None:
        await self.start_registry()
        await self.start_preschool()
        for service in ["hub", *self.provinces]:
            await self.start(service)
        await self.wait_until(  # a loaded 2-core CI box may take long to connect everyone
            lambda: all(app.state.runtime.bus.connected for app in self.apps.values()), 60.0
        )

    async def stop_all(self) -> None:
        for service in list(self._lifespans):
            await self.stop(service)
        if self._registry_bus is not None:
            await self._registry_bus.close()
        if self._preschool_bus is not None:
            await self._preschool_bus.close()
        shutil.rmtree(self.blobs, ignore_errors=True)  # the proofs this mesh stored

    def runtime(self, service: str):
        return self.apps[service].state.runtime

    def client(self, service: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.apps[service])
        return httpx.AsyncClient(transport=transport, base_url=f"http://{service}")

    async def login(self, service: str, username: str, password: str = DEMO_PASSWORD) -> str:
        """Logs in (once per service and user) and returns the bearer token."""
        if (service, username) not in self._tokens:
            async with self.client(service) as client:
                response = await client.post(
                    "/api/v1/auth/login", json={"username": username, "password": password}
                )
            assert response.status_code == 200, response.text
            self._tokens[(service, username)] = response.json()["access_token"]
        return self._tokens[(service, username)]

    async def get(
        self, service: str, path: str, *, as_: str | None = None, **kwargs
    ) -> httpx.Response:
        return await self._call("GET", service, path, as_, **kwargs)

    async def post(
        self, service: str, path: str, *, as_: str | None = None, **kwargs
    ) -> httpx.Response:
        return await self._call("POST", service, path, as_, **kwargs)

    async def put(
        self, service: str, path: str, *, as_: str | None = None, **kwargs
    ) -> httpx.Response:
        return await self._call("PUT", service, path, as_, **kwargs)

    async def patch(
        self, service: str, path: str, *, as_: str | None = None, **kwargs
    ) -> httpx.Response:
        return await self._call("PATCH", service, path, as_, **kwargs)

    async def request_delete(
        self, service: str, path: str, *, as_: str | None = None, **kwargs
    ) -> httpx.Response:
        return await self._call("DELETE", service, path, as_, **kwargs)

    async def _call(
        self, method: str, service: str, path: str, as_: str | None, **kwargs
    ) -> httpx.Response:
        """A request, as user `as_` (logged in on demand) or anonymous."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if as_ is not None:
            headers["Authorization"] = f"Bearer {await self.login(service, as_)}"
        async with self.client(service) as client:
            response = await client.request(method, path, headers=headers, **kwargs)
        if as_ is not None and response.status_code == 401 and self._expired(response):
            # The test moved the clock past the session's idle limit or its absolute lifetime
            # (SEC-2: tests move it by months), or the same account
            # logged in elsewhere (a browser test's page): log in again.
            del self._tokens[(service, as_)]
            return await self._call(method, service, path, as_, headers=headers, **kwargs)
        return response

    @staticmethod
    def _expired(response: httpx.Response) -> bool:
        ended = ("session_expired", "session_replaced", "session_lifetime_exceeded")
        return response.json().get("code") in ended

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


async def approve_fully(mesh: Mesh, province: str, registration_id: str) -> dict:
    """Walks a registration through its frozen chain with the demo accounts (REG-6): the
    school approver decides, the school registrar reports, each bureau's registrar decides."""
    path = f"/api/v1/registrations/{registration_id}"
    for _ in range(10):
        current = (await mesh.get(province, path, as_=f"{province}0000_registrar")).json()
        if current["status"] == "registered":
            return current
        if current["status"] == "school_approved":
            school = current["school_code"]
            response = await mesh.post(
                province,
                "/api/v1/registrations/report",
                as_=f"{school}_registrar",
                json={"ids": [registration_id]},
            )
        else:
            step = current["step"]
            role = "approver" if step["level"] == "school" else "registrar"
            response = await mesh.post(
                province,
                f"{path}/decisions",
                as_=f"{step['unit_code']}_{role}",
                json={"approve": True, "opinion": "同意"},
            )
        assert response.status_code == 200, response.text
    raise AssertionError(f"registration {registration_id} not registered after 10 steps")
