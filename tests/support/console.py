"""A logged-in console session over HTTP (the consoles' own login form)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from simulations.demo import DEMO_PASSWORD
from tests.support.mesh import Mesh


@asynccontextmanager
async def console_session(
    mesh: Mesh, username: str, service: str = "44"
) -> AsyncIterator[httpx.AsyncClient]:
    async with mesh.client(service) as client:
        response = await client.post("/login", data={"username": username,
                                                     "password": DEMO_PASSWORD})  # fmt: skip
        assert response.status_code == 303, response.text
        client.cookies.set("xueji_session", response.cookies["xueji_session"])
        yield client
