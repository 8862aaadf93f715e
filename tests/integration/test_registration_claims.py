"""REG-5 / REG-9: a national claim is released exactly once when its registration ends
without a student, through the outbox; a province's retry finds its own claim."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from contracts.ids import DocumentType, dedup_key
from contracts.meta import CommandMeta
from tests.support.cases import national_identity
from tests.support.mesh import Mesh
from tests.support.people import JUNIOR_SCHOOL, REGISTRAR, registration, resident_id

PATH = "/api/v1/registrations"
RELEASED = "hub.domain.identity:NationalIdentity.ClaimReleased"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:  # the flow is the same on both backends
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def _register(mesh: Mesh, province: str, id_number: str):
    body = registration(JUNIOR_SCHOOL[province], id_number)
    return await mesh.post(province, PATH, as_=REGISTRAR[province], json=body)


async def _national_status(mesh: Mesh, id_number: str) -> str | None:
    found = await national_identity(mesh, "张三", id_number=id_number)
    return found["status"] if found else None


async def _released(mesh: Mesh, id_number: str) -> bool:
    return await _national_status(mesh, id_number) == "released"


async def test_reg5_deleted_registration_frees_its_claim(mesh: Mesh) -> None:
    child = resident_id(sequence=601)
    first = await _register(mesh, "44", child)
    assert first.status_code == 201, first.text
    deleted = await mesh.request_delete("44", f"{PATH}/{first.json()['id']}", as_=REGISTRAR["44"])
    assert deleted.status_code == 200 and deleted.json()["status"] == "deleted"

    # Right away, whether or not the hub has applied the release yet: the same child again.
    again = await _register(mesh, "44", child)
    assert again.status_code == 201, again.text
    assert again.json()["dedup_status"] == "passed"

    # Deleted once more: the release reaches the hub and the child registers elsewhere.
    await mesh.request_delete("44", f"{PATH}/{again.json()['id']}", as_=REGISTRAR["44"])
    await mesh.wait_until(lambda: _released(mesh, child))
    elsewhere = await _register(mesh, "34", child)
    assert elsewhere.status_code == 201, elsewhere.text


async def test_reg9_a_deleted_entry_releases_once_and_only_its_own_claim(mesh: Mesh) -> None:
    """The release of an entry whose claim has moved on changes nothing (REG-9)."""
    child = resident_id(sequence=602)
    first = (await _register(mesh, "44", child)).json()
    await mesh.request_delete("44", f"{PATH}/{first['id']}", as_=REGISTRAR["44"])
    await mesh.wait_until(lambda: _released(mesh, child))
    taken = await _register(mesh, "34", child)  # now 34's registration holds the identity
    assert taken.status_code == 201, taken.text

    second = await _register(mesh, "44", child)
    assert second.status_code == 409 and second.json()["holder_province"] == "34"
    hub = mesh.runtime("hub").hub
    await mesh.wait_until(lambda: hub.position("44") == 1)  # the one release
    assert await _national_status(mesh, child) == "claimed"
    releases = hub.recorder.select_notifications(start=1, limit=100, topics=[RELEASED])
    assert len(releases) == 1


async def test_reg5_retry_after_a_lost_hub_reply_finds_its_own_claim(mesh: Mesh) -> None:
    """The hub recorded the claim, its answer never arrived, nothing was stored on the node:
    the registrar tries again (a new command id) and is not refused as a duplicate of itself;
    another province still is."""
    child = resident_id(sequence=603)
    identity = {
        "dedup_key": dedup_key(DocumentType.RESIDENT_ID, child, "张三", None, None),
        "id_type": "1",
        "id_number": child,
        "name": "张三",
        "sex": "1",
        "birth_date": date(2015, 3, 9),
        "school_code": JUNIOR_SCHOOL["44"],
    }
    meta = CommandMeta.new(REGISTRAR["44"], JUNIOR_SCHOOL["44"], "registrar")
    lost = await mesh.runtime("44").registrations.hub.claim_identity(str(uuid4()), identity, meta)
    assert lost.outcome == "free"  # the answer the node never got

    elsewhere = await _register(mesh, "34", child)
    assert elsewhere.status_code == 409 and elsewhere.json()["holder_province"] == "44"
    retried = await _register(mesh, "44", child)
    assert retried.status_code == 201, retried.text
    assert retried.json()["dedup_status"] == "passed"


async def test_reg5_a_returned_registration_left_lying_is_abandoned_and_frees_its_claim(
    mesh: Mesh, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Returned to the school and not resubmitted for 30 days (`returned_expiry_days`): the
    system closes it and releases its claim; one returned since is left alone."""
    monkeypatch.setenv("XUEJI_ABANDON_SWEEP_SECONDS", "0.2")
    await mesh.stop("44")
    await mesh.start("44")
    await mesh.wait_until(lambda: mesh.runtime("44").bus.connected)
    approver = f"{JUNIOR_SCHOOL['44']}_approver"
    child, recent = resident_id(sequence=604), resident_id(sequence=605)
    old = (await _register(mesh, "44", child)).json()
    reject = {"approve": False, "opinion": "信息有误"}
    await mesh.post("44", f"{PATH}/{old['id']}/decisions", as_=approver, json=reject)
    mesh.clock.advance(days=20)
    young = (await _register(mesh, "44", recent)).json()
    await mesh.post("44", f"{PATH}/{young['id']}/decisions", as_=approver, json=reject)
    mesh.clock.advance(days=11)

    await mesh.wait_until(lambda: _released(mesh, child))
    entry = await mesh.get("44", f"{PATH}/{old['id']}", as_=REGISTRAR["44"])
    assert entry.json()["status"] == "abandoned"
    kept = await mesh.get("44", f"{PATH}/{young['id']}", as_=REGISTRAR["44"])
    assert kept.json()["status"] == "returned"
    assert await _national_status(mesh, recent) == "claimed"
    elsewhere = await _register(mesh, "34", child)
    assert elsewhere.status_code == 201, elsewhere.text
