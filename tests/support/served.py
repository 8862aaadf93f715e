"""The mesh's apps served over real HTTP (uvicorn, same event loop) for a browser to visit.

The mesh runs each app's lifespan itself; uvicorn only serves requests (`lifespan="off"`).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn

from tests.support.mesh import Mesh
from xueji.processes import free_port

CHROMIUM = Path("/usr/bin/chromium")
#: Debian's chromium, headless, with everything that would reach the network switched off.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")


@contextlib.asynccontextmanager
async def served(mesh: Mesh) -> AsyncIterator[dict[str, str]]:
    """{service: base URL} for every running service of the mesh."""
    servers, tasks, urls = [], [], {}
    for service, app in mesh.apps.items():
        port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
        server = uvicorn.Server(config)
        servers.append(server)
        tasks.append(asyncio.create_task(server.serve()))
        urls[service] = f"http://127.0.0.1:{port}"
    await mesh.wait_until(lambda: all(s.started for s in servers))
    try:
        yield urls
    finally:
        for server in servers:
            server.should_exit = server.force_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
