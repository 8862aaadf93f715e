"""Pre-school archive list use cases (REG-2) and supplementary entry then registration (REG-3).

Store calls run on the writer thread; the pre-school registry is asked between them, so a
registry outage never blocks the list: the entry waits as `待查询学前学籍` and is matched
again on request.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, replace
from datetime import date
from uuid import UUID, uuid5

from contracts.errors import ContractError
from contracts.ids import IdGroup, normalize_name
from contracts.meta import CommandMeta
from province_node.application import ProvinceNode
from province_node.domain.preschool import ChildIdentity, check_identity
from province_node.domain.registration_rules import (
    RegistrationForm,
    ValidRegistration,
    validate_registration,
)
from province_node.excel.archive_list import export_entries
from province_node.preschool_client import PreschoolClient
from province_node.preschool_store import PreschoolStore
from province_node.registrations import RegistrationService
from xueji.clock import Clock
from xueji.store import Writer


class PreschoolService:
    def __init__(
        self,
        node: ProvinceNode,
        writer: Writer,
        client: PreschoolClient,
        registrations: RegistrationService,
        clock: Clock,
    ) -> None:
        self.node, self.writer, self.client = node, writer, client
        self.store = PreschoolStore(node)
        self.registrations, self.clock = registrations, clock

    # --- REG-2: the list ------------------------------------------------------------------

    async def add(self, child: ChildIdentity, guardian: dict | None, meta: CommandMeta) -> dict:
        """Idempotent by command id: a repeated POST returns the entry it made."""
        child = check_identity(child, self.clock.today())
        entry_id = await self.writer(self.store.add, child, _guardian(guardian), meta)
        return await self.match(entry_id, meta)

    async def modify(
        self, entry_id: UUID, child: ChildIdentity, guardian: dict | None, meta: CommandMeta
    ) -> dict:
        child = check_identity(child, self.clock.today())
        await self.writer(self.store.modify, entry_id, child, _guardian(guardian), meta)
        return await self.match(entry_id, meta)

    async def match(self, entry_id: UUID, meta: CommandMeta) -> dict:
        """Asks the pre-school registry; unreachable → the entry stays `待查询学前学籍`."""
        view = await self.entry(entry_id, meta)
        fields = ("id_type", "name", "sex", "birth_date", "id_number")
        child = ChildIdentity(**{k: view[k] for k in fields} | {"birth_date": _date(view)})
        found = await self.client.match(child, meta)
        if found is None:
            return view
        candidates = [c.model_dump(mode="json") for c in found.candidates]
        return await self.writer(self.store.matched, entry_id, candidates, meta)

    async def delete(self, entry_id: UUID, meta: CommandMeta) -> dict:
        return await self.writer(self.store.delete, entry_id, meta)

    async def confirm(self, entry_id: UUID, record_id: str | None, meta: CommandMeta) -> dict:
        return await self.writer(self.store.confirm, entry_id, record_id, meta)

    async def entry(self, entry_id: UUID, meta: CommandMeta) -> dict:
        return await self.writer(lambda: self.store.own(entry_id, meta).view())

    async def entries(self, school_code: str, state: str | None) -> list[dict]:
        views = await self.writer(self.store.views, school_code)
        return [v for v in views if state is None or v["state"] == state]

    async def export(self, school_code: str, id_group: IdGroup, ids: list[UUID] | None) -> bytes:
        """The group's entries in its registration import template, to complete and import."""
        if id_group is IdGroup.NO_DOCUMENT:
            raise ContractError(
                "id_group", "not_exportable", "无身份证件的学生不支持学籍导入，不能导出"
            )
        views = await self.writer(self.store.exportable, school_code, id_group, ids)
        return export_entries(id_group, views)

    # --- REG-3: supplementary entry, then registration -----------------------------------

    async def complete(
        self, entry_id: UUID, completion: dict, proof: bytes | None, meta: CommandMeta
    ) -> dict:
        """Checked with the registration rules now, so registering later finds no surprise:
        everything the registration takes beyond the matched identity, the proof included
        (REG-6: a document-less child needs one)."""
        view = await self.writer(self.store.completable, entry_id, meta)
        await self.writer(self.node.check_placement, view["school_code"], completion["class_code"])
        form = replace(_form(view, completion), proof=proof)
        valid = _valid_primary(form, self.clock.today(), False)
        checked = {k: getattr(valid.form, k) for k in ("ethnicity", "class_code", "guardians")}
        if valid.proof is not None:  # content-addressed: stored before the event naming it
            await asyncio.to_thread(self.registrations.blobs.put, proof)
            checked["proof"] = asdict(valid.proof)
        return await self.writer(self.store.complete, entry_id, checked, meta)

    async def start_registration(self, entry_id: UUID, meta: CommandMeta) -> dict:
        """Hands the completed entry to the normal registration as a primary new student."""
        view = await self.writer(self.store.registrable, entry_id, meta)
        switches = (await self.writer(self.node.settings)).switches()
        form = replace(_form(view, view["completion"]), proof=await self._proof(view))
        valid = _valid_primary(form, self.clock.today(), switches.under_age_blocks)
        # One registration per entry: a repeat (or a retry after a crash) finds the first.
        run = replace(meta, command_id=str(uuid5(UUID(view["id"]), "registration")))
        summary = await self.registrations.register_valid(valid, run)
        await self.writer(self.store.started, entry_id, summary["id"], meta)
        return summary

    async def _proof(self, view: dict) -> bytes | None:
        proof = view["completion"].get("proof")
        if proof is None:
            return None
        return await asyncio.to_thread(self.registrations.blobs.get, proof["sha256"])


def _guardian(raw: dict | None) -> dict | None:
    if not raw:
        return None
    return raw | {"name": normalize_name(str(raw.get("name") or ""), field="guardian.name")}


def _date(view: dict) -> date:
    return date.fromisoformat(view["birth_date"])


def _form(view: dict, completion: dict) -> RegistrationForm:
    return RegistrationForm(
        entry="primary",
        id_type=view["id_type"],
        name=view["name"],
        school_code=view["school_code"],
        class_code=completion["class_code"],
        id_number=view["id_number"],
        sex=view["sex"],
        birth_date=_date(view),
        ethnicity=completion.get("ethnicity"),
        guardians=completion.get("guardians") or ([view["guardian"]] if view["guardian"] else []),
    )


def _valid_primary(
    form: RegistrationForm, today: date, under_age_blocks: bool
) -> ValidRegistration:
    """The pre-school list is a primary entrant's other way in besides an Excel import."""
    return validate_registration(
        form, today=today, under_age_blocks=under_age_blocks, single_entry=False
    )
