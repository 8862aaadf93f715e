"""SEC-8 "request bodies limited before they are read" (issue 18 item 2): an import over
12 MB, any other body over 3 MB, is refused with 413 whether it declares its length or
streams in chunks, before authentication and before any route parses it; nothing is stored."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date

import pytest

from simulations.demo import school_code
from simulations.excel import filled
from tests.support.mesh import Mesh
from tests.support.people import JUNIOR_SCHOOL, REGISTRAR, registration, resident_id
from tests.support.served import served
from xueji.body_limit import MB

PRIMARY = school_code("440106", 1)  # 天河区实验小学
IMPORTER = f"{PRIMARY}_registrar"
BOUNDARY = "xueji-boundary-7f3a"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


def _import_body(xlsx: bytes, padding: int) -> bytes:
    """A valid import form (the file first) followed by a second file of `padding` bytes."""
    parts = [
        ("entry", None, b"primary"),
        ("id_group", None, b"resident"),
        ("file", "新生.xlsx", xlsx),
        ("padding", "padding.bin", b"0" * padding),
    ]
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename:
            disposition += f'; filename="{filename}"'
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += content + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


async def _chunks(body: bytes, size: int = MB) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def _xlsx(mesh: Mesh) -> bytes:
    template = await mesh.get(
        "44",
        "/api/v1/registrations/templates/resident",
        as_=IMPORTER,
        params={"entry": "primary"},
    )
    child = {
        "姓名": "张小一",
        "身份证件类型": "1-居民身份证",
        "身份证件号": resident_id(born=date(2020, 3, 9), sequence=401),
        "民族": "01-汉族",
        "班号": "2026101",
    }
    return filled(template.content, [child])


async def _registrations(mesh: Mesh, account: str) -> list[dict]:
    response = await mesh.get("44", "/api/v1/registrations", as_=account)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _refused(response, limit: int) -> None:
    assert response.status_code == 413, response.text
    problem = response.json()
    assert problem["code"] == "body_too_large" and problem["status"] == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "请求内容过大" in problem["detail"] and problem["limit_bytes"] == limit


async def test_sec8_an_import_over_12_mb_is_refused_declared_or_chunked_and_stores_nothing(
    mesh: Mesh,
) -> None:
    xlsx = await _xlsx(mesh)
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    path = "/api/v1/registrations/import"
    # Under the limit the same form imports its row: the padding alone makes the difference.
    small = await mesh.post(
        "44", path, as_=IMPORTER, content=_import_body(xlsx, MB), headers=headers
    )
    assert small.status_code == 200 and small.json()["passed"] == 1, small.text
    assert len(await _registrations(mesh, IMPORTER)) == 1

    big = _import_body(xlsx, 12 * MB)
    declared = await mesh.post("44", path, as_=IMPORTER, content=big, headers=headers)
    _refused(declared, 12 * MB)
    chunked = await mesh.post("44", path, as_=IMPORTER, content=_chunks(big), headers=headers)
    assert "content-length" not in chunked.request.headers
    _refused(chunked, 12 * MB)
    assert len(await _registrations(mesh, IMPORTER)) == 1  # nothing more was stored


async def test_sec8_any_other_body_over_3_mb_is_refused_and_stores_nothing(mesh: Mesh) -> None:
    body = registration(JUNIOR_SCHOOL["44"], resident_id(sequence=431), name="李大")
    # Valid JSON, padded with whitespace past 3 MB: without the limit it would be registered.
    padded = json.dumps(body, ensure_ascii=False).encode()[:-1] + b" " * (3 * MB) + b"}"
    headers = {"content-type": "application/json"}
    path = "/api/v1/registrations"
    declared = await mesh.post("44", path, as_=REGISTRAR["44"], content=padded, headers=headers)
    _refused(declared, 3 * MB)
    chunked = await mesh.post(
        "44", path, as_=REGISTRAR["44"], content=_chunks(padded), headers=headers
    )
    _refused(chunked, 3 * MB)
    assert await _registrations(mesh, REGISTRAR["44"]) == []
    # The import's larger limit belongs to the import routes only; the hub has the same limit.
    login = b'{"username": "moe_registrar", "password": "x"' + b" " * (3 * MB) + b"}"
    _refused(await mesh.post("hub", "/api/v1/auth/login", content=login, headers=headers), 3 * MB)


async def test_sec8_paging_is_bounded(mesh: Mesh) -> None:
    """A list's page size is capped (200): nobody pulls a province in one page."""
    for path in ("/api/v1/students", "/api/v1/students/info"):
        response = await mesh.get("44", path, as_="440000_registrar", params={"page_size": 201})
        assert response.status_code == 422 and response.json()["field"] == "page_size"


async def test_sec8_a_declared_length_over_the_limit_is_answered_before_the_body_is_sent(
    mesh: Mesh,
) -> None:
    """Over real HTTP (uvicorn): the headers alone get the 413, anonymous too, while the
    client has not sent a byte of the body (so no route, no authentication ran on it)."""
    async with served(mesh) as urls:
        port = int(urls["44"].rsplit(":", 1)[1])
        for path, length in (("/api/v1/registrations/import", 2**31), ("/login", 4 * MB)):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                f"POST {path} HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n"
                f"Content-Length: {length}\r\n\r\n".encode()
            )
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            assert head.startswith(b"HTTP/1.1 413"), head
            writer.close()
