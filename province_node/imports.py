"""Excel registration import (REG-4): parse the file, then every valid row goes through the
same national checks and review as a single entry. Long files run in the background and
their file record shows how far they got."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from contracts.errors import ContractError, DomainError
from contracts.ids import IdGroup
from contracts.meta import CommandMeta
from province_node.application import ProvinceNode
from province_node.domain.import_file import FAILED, NOT_TEMPLATE, SUCCEEDED, ImportFile
from province_node.domain.registration import Registration
from province_node.domain.registration_rules import ValidRegistration
from province_node.excel.reader import read_registration_file
from province_node.import_rows import ImportChecks, ImportRow
from province_node.registrations import RegistrationService
from xueji.clock import Clock
from xueji.faults import fault_point
from xueji.logs import get_logger
from xueji.store import Writer

log = get_logger("province_node.imports")
_NS = uuid5(NAMESPACE_URL, "xueji:province:import")

INLINE_ROWS = 200  # up to this many rows the upload answers with the final result
CHUNK_ROWS = 500  # rows per registry request, hub request and node transaction


class ImportService:
    def __init__(
        self, node: ProvinceNode, writer: Writer, registrations: RegistrationService, clock: Clock
    ) -> None:
        self.node, self.writer, self.registrations, self.clock = node, writer, registrations, clock
        self.checks = ImportChecks(registrations)
        self._running: set[asyncio.Task] = set()

    async def import_file(
        self, data: bytes, filename: str, entry: str, id_group: str, meta: CommandMeta
    ) -> dict:
        """Idempotent by command id; the caller is the school registrar."""
        file_id = uuid5(_NS, meta.command_id)
        existing = await self.writer(self._view, file_id)
        if existing is not None:
            return existing
        school = await self.writer(self.node.school, meta.unit_code)
        switches = (await self.writer(self.node.settings)).switches()
        # Off the event loop: a 10,000-row file takes seconds to read, and the node's other
        # requests and bus traffic must not wait for it.
        parsed = await asyncio.to_thread(
            read_registration_file,
            data,
            filename=filename,
            id_group=IdGroup(id_group),
            entry=entry,
            school_code=meta.unit_code,
            known_classes={c["class_code"] for c in school["classes"]},
            today=self.clock.today(),
            under_age_blocks=switches.under_age_blocks,
        )
        problems = [
            {"row": p.row, "messages": p.messages, "blocking": p.blocking} for p in parsed.problems
        ]
        record = ImportFile(
            file_id=file_id,
            filename=filename,
            school_code=meta.unit_code,
            entry=entry,
            id_group=id_group,
            rows=parsed.rows,
            problems=problems,
            received_at=self.clock.now().isoformat(),
            meta=meta.as_dict(),
        )
        if parsed.result == NOT_TEMPLATE:
            record.finish(result=NOT_TEMPLATE)
        await self.writer(self.node.save, record)
        if parsed.result != NOT_TEMPLATE:
            work = self._process(file_id, parsed.valid, meta)
            if len(parsed.valid) <= INLINE_ROWS:
                await work
            else:
                task = asyncio.create_task(work, name=f"import-{file_id}")
                self._running.add(task)
                task.add_done_callback(self._running.discard)
        return await self.writer(self._view, file_id)

    async def file(self, file_id: UUID) -> dict | None:
        return await self.writer(self._view, file_id)

    async def _process(
        self, file_id: UUID, rows: list[tuple[int, ValidRegistration]], meta: CommandMeta
    ) -> None:
        """`CHUNK_ROWS` rows at a time: one registry request, one hub request and one node
        transaction per chunk (rows and the file's progress)."""
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = [
                ImportRow(row, valid, replace(meta, command_id=str(uuid5(file_id, str(row)))))
                for row, valid in rows[start : start + CHUNK_ROWS]
            ]
            ids = [str(Registration.create_id(r.meta.command_id)) for r in chunk]
            with self.registrations.claiming(ids):  # REG-5: claimed, not stored yet
                await self.checks.check(chunk, meta)
                fault_point("node.import.after_claim")  # the hub holds the chunk's claims
                await self.writer(self._record_chunk, file_id, chunk, start + len(chunk))
            self.registrations.relay.wake()
            log.info("import_chunk_recorded", file_id=str(file_id), done=start + len(chunk))
        await self.writer(self._finish, file_id)
        log.info("import_finished", file_id=str(file_id), rows=len(rows))

    def _record_chunk(self, file_id: UUID, chunk: list[ImportRow], done: int) -> None:
        """One transaction. If it collides (rows recorded before — a repeated import —, a
        random `L` number drawn twice), the chunk is recorded row by row instead."""
        aggregates = self.checks.build(chunk)
        record = self._record(file_id)
        record.progress(done=done, problems=[p for r in chunk if (p := r.refusal())])
        try:
            self.node.save(*aggregates, record)
        except IntegrityError:
            log.info("import_chunk_row_by_row", file_id=str(file_id), done=done)
            self._record_rows(file_id, chunk, done)

    def _record_rows(self, file_id: UUID, chunk: list[ImportRow], done: int) -> None:
        """As a single entry records: a row recorded before is found, not stored again."""
        for row in chunk:
            if row.checks is None or row.problem is not None:
                continue
            row.summary = self.node.find_registration(row.meta.command_id)
            if row.summary is None:
                try:
                    row.summary = self.registrations.record_checked(
                        row.valid, row.checks, row.chain, row.meta
                    )
                except (DomainError, ContractError) as error:
                    row.problem = error.message
        record = self._record(file_id)
        record.progress(done=done, problems=[p for r in chunk if (p := r.refusal())])
        self.node.save(record)

    def _record(self, file_id: UUID) -> ImportFile:
        return self.node.repository.get(ImportFile.create_id(file_id))

    def _view(self, file_id: UUID) -> dict | None:
        try:
            return self._record(file_id).view()
        except AggregateNotFoundError:
            return None

    def _progress(self, file_id: UUID, done: int, problems: list[dict]) -> None:
        record = self._record(file_id)
        record.progress(done=done, problems=problems)
        self.node.save(record)

    def _finish(self, file_id: UUID) -> None:
        record = self._record(file_id)
        blocking = any(p["blocking"] for p in record.problems)
        record.finish(result=FAILED if blocking else SUCCEEDED)
        self.node.save(record)
