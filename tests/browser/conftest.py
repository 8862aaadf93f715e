"""Browser fixtures: the mesh over HTTP and Debian's chromium driven by Playwright.

Playwright's own browser downloads are never used: `make test` installs Debian's `chromium`
when `/usr/bin/chromium` is absent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.mesh import Mesh
from tests.support.served import CHROMIUM_ARGS, chromium_path, served

playwright_api = pytest.importorskip("playwright.async_api")


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


@pytest.fixture
async def urls(mesh: Mesh) -> AsyncIterator[dict[str, str]]:
    async with served(mesh) as urls:
        yield urls


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    path = chromium_path()
    if path is None:
        pytest.skip("chromium is not installed (`make test` installs Debian's chromium)")
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
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
    await page.get_by_role("navigation", name="功能菜单").get_by_role("link", name=label).click()
