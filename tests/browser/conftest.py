"""Browser fixtures: one mesh over HTTP per module and Debian's chromium driven by Playwright.

Playwright's own browser downloads are never used: `make test` installs Debian's `chromium`
when `/usr/bin/chromium` is absent. Tests share the mesh (each uses its own people) and get
a fresh browser context (cookies) per user.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright import async_api as playwright_api

from tests.support.mesh import Mesh
from tests.support.served import CHROMIUM_ARGS, chromium_path, served


@pytest.fixture(scope="module")
def mesh(module_mesh: Mesh) -> Mesh:
    """One mesh for the whole module (tests/conftest.py `module_mesh`)."""
    return module_mesh


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def urls(mesh: Mesh) -> AsyncIterator[dict[str, str]]:
    async with served(mesh) as urls:
        yield urls


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[object]:
    path = chromium_path()
    if path is None:
        pytest.fail("chromium is not installed: `make test` installs Debian's chromium")
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest_asyncio.fixture(loop_scope="module")
async def new_page(browser):
    """A fresh browser context (its own cookies) per user."""
    contexts = []

    async def make():
        context = await browser.new_context(locale="zh-CN")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return await context.new_page()

    yield make
    for context in contexts:
        await context.close()


async def log_in(page, base: str, username: str, password: str = "Xueji@2026") -> None:
    await page.goto(f"{base}/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码", exact=True).fill(password)
    await page.get_by_role("button", name="登录").click()


async def menu(page, label: str) -> None:
    """Follows an entry of the menu tree."""
    navigation = page.get_by_role("navigation", name="功能菜单")
    await navigation.get_by_role("link", name=label, exact=True).click()
