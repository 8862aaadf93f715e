"""The pre-school archive list in the province's store (REG-2, REG-3): each method is one
transaction, run on the writer thread by `PreschoolService`."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from contracts.errors import DomainError, NotFound
from contracts.ids import DocumentType, IdGroup
from contracts.meta import CommandMeta
from province_node.application import ProvinceNode
from province_node.domain.preschool import (
    ChildIdentity,
    PreschoolEntry,
    PreschoolList,
    match_state,
)


class PreschoolStore:
    def __init__(self, node: ProvinceNode) -> None:
        self.node = node

    def school_list(self, school_code: str) -> PreschoolList:
        try:
            return self.node.repository.get(PreschoolList.create_id(school_code))
        except AggregateNotFoundError:
            return PreschoolList(school_code=school_code)

    def own(self, entry_id: UUID, meta: CommandMeta) -> PreschoolEntry:
        try:
            entry = self.node.repository.get(entry_id)
        except AggregateNotFoundError:
            entry = None
        if (
            not isinstance(entry, PreschoolEntry)
            or entry.deleted
            or entry.school_code != meta.unit_code  # SEC-8: another school's, as if missing
        ):
            raise NotFound(f"学前调档名单中没有 {entry_id}", field="entry_id")
        return entry

    def add(self, child: ChildIdentity, guardian: dict | None, meta: CommandMeta) -> UUID:
        entry_id = PreschoolEntry.create_id(meta.command_id)
        school_list = self.school_list(meta.unit_code)
        if str(entry_id) in school_list.entries:
            return entry_id
        school_list.check_document(child.document)
        entry = PreschoolEntry(
            command_id=meta.command_id,
            school_code=meta.unit_code,
            child=vars(child),
            guardian=guardian,
            meta=meta.as_dict(),
        )
        school_list.add(entry_id=str(entry.id), document=child.document)
        self.node.save(school_list, entry)
        return entry.id

    def modify(
        self, entry_id: UUID, child: ChildIdentity, guardian: dict | None, meta: CommandMeta
    ) -> None:
        entry = self.own(entry_id, meta)
        entry.check_unlocked("修改")
        school_list = self.school_list(entry.school_code)
        school_list.check_document(child.document, entry_id)
        entry.modify(child=vars(child), guardian=guardian, meta=meta.as_dict())
        school_list.change_document(entry_id=str(entry_id), document=child.document)
        self.node.save(school_list, entry)

    def matched(self, entry_id: UUID, candidates: list[dict], meta: CommandMeta) -> dict:
        entry = self.own(entry_id, meta)
        entry.record_match(
            state=match_state(candidates), candidates=candidates, meta=meta.as_dict()
        )
        self.node.save(entry)
        return entry.view()

    def delete(self, entry_id: UUID, meta: CommandMeta) -> dict:
        entry = self.own(entry_id, meta)
        entry.check_unlocked("删除")
        school_list = self.school_list(entry.school_code)
        entry.delete(meta=meta.as_dict())
        school_list.remove(entry_id=str(entry_id))
        self.node.save(school_list, entry)
        return entry.view()

    def confirm(self, entry_id: UUID, record_id: str | None, meta: CommandMeta) -> dict:
        entry = self.own(entry_id, meta)
        entry.check_confirmable(record_id)
        entry.confirm(record_id=record_id, meta=meta.as_dict())
        self.node.save(entry)
        return entry.view()

    def completable(self, entry_id: UUID, meta: CommandMeta) -> dict:
        entry = self.own(entry_id, meta)
        entry.check_completable()
        return entry.view()

    def complete(self, entry_id: UUID, completion: dict, meta: CommandMeta) -> dict:
        entry = self.own(entry_id, meta)
        entry.check_completable()
        entry.complete(**completion, meta=meta.as_dict())
        self.node.save(entry)
        return entry.view()

    def registrable(self, entry_id: UUID, meta: CommandMeta) -> dict:
        entry = self.own(entry_id, meta)
        entry.check_registrable()
        return entry.view()

    def started(self, entry_id: UUID, registration_id: str, meta: CommandMeta) -> None:
        entry = self.own(entry_id, meta)
        if entry.registration_id is None:
            entry.start_registration(registration_id=registration_id, meta=meta.as_dict())
            self.node.save(entry)

    def views(self, school_code: str) -> list[dict]:
        entries = self.school_list(school_code).entries
        return [self.node.repository.get(UUID(e)).view() for e in entries]

    def exportable(self, school_code: str, id_group: IdGroup, ids: list[UUID] | None) -> list:
        entries = [self.node.repository.get(UUID(e)) for e in self.school_list(school_code).entries]
        group = [e for e in entries if DocumentType(e.child["id_type"]).group is id_group]
        if ids is None:  # the whole group: what may not be exported is left out
            return [e.view() for e in group if _exportable(e)]
        chosen = [e for e in group if e.id in set(ids)]
        for entry in chosen:  # a chosen entry that may not be exported refuses the export
            entry.check_exportable()
        return [e.view() for e in chosen]


def _exportable(entry: PreschoolEntry) -> bool:
    try:
        entry.check_exportable()
    except DomainError:
        return False
    return True
