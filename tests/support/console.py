"""A logged-in console session over HTTP (the consoles' own login form)."""

from __future__ import annotations

import re
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


async def national_query(
    mesh: Mesh, client: httpx.AsyncClient, service: str, name: str, number: str,
    path: str = "/national",
) -> httpx.Response:  # fmt: skip
    """QRY-4 on a console as a person does it: open the page, read the image (here: the
    answer the console holds for its challenge), then query with it."""
    page = await client.get(path)
    challenge = re.search(r'name="challenge" value="([^"]+)"', page.text)[1]
    answer = mesh.apps[service].state.console.captchas.answer(challenge)
    params = {"name": name, "number": number, "challenge": challenge, "captcha": answer}
    return await client.get(path, params=params)
