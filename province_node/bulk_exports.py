"""SYS-6 bulk data exports (`domain/bulk_export.py`): apply, decide on the engine's chain
(SYS-1 row `bulk_export`, to the province by default), download while available through the
SEC-4 guarded export, each download recorded on the application and as an export."""

from __future__ import annotations

import asyncio
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from contracts.approval import Step, StepLevel, check_opinion
from contracts.codes import Level, SchoolType, Stage, StudentStatus
from contracts.errors import ContractError, NotFound
from contracts.meta import CommandMeta
from contracts.org import OrgTree
from projections import excel
from projections.queries import StudentQuery, fields, rows
from projections.service import Views
from province_node.application import ProvinceNode
from province_node.domain.bulk_export import COMMITMENT, BulkExport, commitment_digest
from province_node.domain.workflow_defaults import BusinessType
from xueji.access.exports import ConfirmedExport
from xueji.access.policy import AccessPolicy
from xueji.access.sessions import Session
from xueji.clock import Clock
from xueji.store import Writer

BUSINESS = BusinessType.BULK_EXPORT
EXPORT_LIMIT = 100_000
BUREAUS = (Level.PROVINCE, Level.CITY, Level.COUNTY)


class BulkExportService:
    def __init__(self, node: ProvinceNode, writer: Writer, views: Views, org: OrgTree,
                 clock: Clock, policy: AccessPolicy) -> None:  # fmt: skip
        self.node, self.writer, self.views, self.org = node, writer, views, org
        self.clock, self.policy = clock, policy

    @staticmethod
    def commitment() -> dict:
        return {"text": COMMITMENT, "sha256": commitment_digest()}

    async def apply(self, user: Session, purpose: str, region: str | None, columns: list[str],
                    commitment_sha256: str, meta: CommandMeta) -> dict:  # fmt: skip
        """A bureau (county, city, province) applies; refused without the commitment accepted
        (the digest of the text shown), with an unknown column or a region outside its sight."""
        unit = self.org.unit(user.unit_code)
        if unit.level not in BUREAUS:
            raise ContractError("unit", "not_a_bureau", "数据批量导出须由教育行政部门申请")
        if commitment_sha256 != commitment_digest():
            raise ContractError(
                "commitment_sha256", "commitment_not_accepted", "须阅读并接受数据管理安全承诺书"
            )
        table = self.views.view("students").table("students")
        unknown = [c for c in columns if c not in fields(table)]
        if not columns or unknown:
            raise ContractError("columns", "unknown_field", f"未知的导出列 {','.join(unknown)}")
        if region:
            self.policy.school_filter(user, region)  # refuses a region outside its sight
        scope = {"region": region or None, "columns": list(columns)}
        at = self.clock.now().isoformat()
        return await self.writer(self._apply, unit, purpose, scope, at, meta)

    def _apply(self, unit, purpose: str, scope: dict, at: str, meta: CommandMeta) -> dict:
        try:  # BUS-2: the same command id answers with what it created
            return self._get(BulkExport.create_id(meta.command_id)).view()
        except NotFound:
            pass
        application = BulkExport(
            command_id=meta.command_id,
            unit_code=unit.code,
            unit_name=unit.name,
            purpose=purpose,
            scope=scope,
            commitment=COMMITMENT,
            commitment_sha256=commitment_digest(),
            chain=self._chain(unit),
            at=at,
            meta=meta.as_dict(),
        )
        self.node.save(application)
        return application.view()

    def _chain(self, unit) -> list[dict]:
        """SYS-1's rule for the applying bureau's region, each level's unit at or above the
        applicant (a level below it is skipped; its own level decides by another account, e.g.
        a province registrar's application by the province's approver)."""
        table = self.node.settings().workflow()
        regions = [unit.code, *(u.code for u in self.org.ancestors(unit.code))]
        rule = table.rule_for(BUSINESS, SchoolType.ORDINARY, Stage.JUNIOR, regions)
        order = list(Level)  # ministry first: a smaller index is a higher level
        steps: list[dict] = []
        for level in rule.steps:
            if level is StepLevel.SUPERVISING:
                above = self.org.unit(unit.parent) if unit.level is not Level.PROVINCE else unit
            elif level is StepLevel.SCHOOL:
                continue
            else:
                target = Level.CITY if level is StepLevel.CITY else Level.PROVINCE
                if order.index(unit.level) < order.index(target):
                    continue  # below the applicant
                above = self.org.above_at_level(unit.code, target)
            if not steps or steps[-1]["unit_code"] != above.code:
                step = Step(level=level, unit_code=above.code, unit_name=above.name)
                steps.append(step.model_dump(mode="json"))
        return steps or [
            Step(
                level=StepLevel.PROVINCE,
                unit_code=self.org.province().code,
                unit_name=self.org.province().name,
            ).model_dump(mode="json")
        ]

    async def decide(self, application_id: UUID, approve: bool, opinion: str | None,
                     meta: CommandMeta) -> dict:  # fmt: skip
        check_opinion(approve, opinion, BulkExport.OPINION_REQUIRED)
        at = self.clock.now().isoformat()
        return await self.writer(self._decide, application_id, approve, opinion, at, meta)

    def _decide(self, application_id: UUID, approve: bool, opinion: str | None, at: str,
                meta: CommandMeta) -> dict:  # fmt: skip
        application = self._get(application_id)
        if application.seen(meta.command_id):
            return application.view()
        application.check_decision(meta.unit_code, meta.role, approve, opinion)
        application.check_decider_is_not_applicant(meta.account)
        application.decide(approve=approve, opinion=opinion, at=at, meta=meta.as_dict())
        self.node.save(application)
        return application.view()

    async def get(self, application_id: UUID, user: Session) -> dict:
        application = await self.writer(self._get, application_id)
        chain_units = [s["unit_code"] for s in application.chain]
        if not self.policy.sees(user, application.unit_code) and user.unit_code not in chain_units:
            raise NotFound("数据导出申请不存在", field="id")  # as one nobody holds (SEC-8)
        return application.view()

    async def download(self, application_id: UUID, user: Session,
                       export: ConfirmedExport) -> bytes:  # fmt: skip
        """The approved scope as Excel, to the applicant while available; SEC-4 confirmed
        (`export`), recorded as an export and on the application."""
        application = await self.writer(self._get, application_id)
        application.check_downloadable(user.username, self.clock.now())
        columns, region = application.scope["columns"], application.scope["region"]
        q = StudentQuery(schools=self.policy.school_filter(user, region),
                         statuses=[StudentStatus.ENROLLED.value])  # fmt: skip
        await self.views.caught_up()
        table = self.views.view("students").table("students")
        found = await self.views.read(rows, table, q, columns, EXPORT_LIMIT)
        export.filters = {"bulk_export": str(application.id)} | export.filters
        await export.record(columns, len(found), f"数据批量导出: {application.purpose}")
        meta = {"account": user.username, "unit_code": user.unit_code, "role": user.role}
        await self.writer(self._downloaded, application_id, len(found), export.confirmer, meta)
        return await asyncio.to_thread(excel.workbook, columns, found)

    def _downloaded(self, application_id: UUID, count: int, confirmer: str, meta: dict) -> None:
        application = self._get(application_id)
        application.record_download(rows=count, confirmer=confirmer,
                                    at=self.clock.now().isoformat(), meta=meta)  # fmt: skip
        self.node.save(application)

    def _get(self, application_id: UUID) -> BulkExport:
        try:
            found = self.node.repository.get(application_id)
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, BulkExport):
            raise NotFound("数据导出申请不存在", field="id")
        return found
