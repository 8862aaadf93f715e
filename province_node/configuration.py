"""Province configuration use cases: switches (SYS-3), key dates (SYS-2), the workflow table
(SYS-1) and the fields under key data change (KDC-1). The routes check who may change them."""

from __future__ import annotations

from contracts.calendar import KeyDates
from contracts.codes import SchoolType, Stage
from contracts.meta import CommandMeta
from contracts.org import OrgTree
from province_node.application import ProvinceNode
from province_node.domain.workflow import BusinessType
from xueji.store import Writer


class SettingsService:
    def __init__(self, node: ProvinceNode, writer: Writer, org: OrgTree) -> None:
        self.node, self.writer, self.org = node, writer, org

    # --- reads ------------------------------------------------------------------------------

    async def switches(self) -> dict:
        """SYS-3 switches in force in this province."""
        return (await self.writer(self.node.settings)).switches().model_dump()

    async def key_dates(self) -> dict:
        """SYS-2 key dates in force: national defaults with this province's overrides."""
        return (await self.key_dates_in_force()).model_dump(mode="json")

    async def key_dates_in_force(self) -> KeyDates:
        """The same as the model (the school year's calendar reads its dates)."""
        return (await self.writer(self.node.settings)).key_dates()

    async def workflow_rules(self, business_type: BusinessType | None = None) -> list[dict]:
        """SYS-1: the table in force (shipped defaults, then this province's rows)."""
        table = (await self.writer(self.node.settings)).workflow()
        return [
            r.model_dump(mode="json")
            for r in table.rules
            if business_type is None or r.business_type is business_type
        ]

    async def workflow_chain(
        self, business_type: BusinessType, school_code: str, stage: Stage
    ) -> dict:
        """The concrete approving units a new case of this school would get now."""
        school = await self.writer(self.node.school, school_code)
        table = (await self.writer(self.node.settings)).workflow()
        frozen = table.freeze(
            business_type, school_code, SchoolType(school["school_type"]), stage, self.org
        )
        return frozen.model_dump(mode="json")

    async def controlled_fields(self, school_code: str) -> dict:
        """KDC-1: the fields that go through key data change for this school."""
        return await self.writer(self.node.controlled_fields, school_code, self.org)

    # --- changes (the province's sysadmin; controlled fields also a bureau's) ----------------

    async def change_switches(self, changes: dict[str, bool], meta: CommandMeta) -> dict:
        return await self.writer(self._change_switches, changes, meta)

    def _change_switches(self, changes: dict[str, bool], meta: CommandMeta) -> dict:
        settings = self.node.settings()
        switches = settings.change_switches(changes, meta.as_dict())
        self.node.save(settings)
        return switches.model_dump()

    async def override_key_dates(self, overrides: dict, meta: CommandMeta) -> dict:
        return await self.writer(self._override_key_dates, overrides, meta)

    def _override_key_dates(self, overrides: dict, meta: CommandMeta) -> dict:
        settings = self.node.settings()
        key_dates = settings.override_key_dates(overrides, meta.as_dict())
        self.node.save(settings)
        return key_dates.model_dump(mode="json")

    async def set_controlled_fields(self, scope: str, fields: list[str], meta: CommandMeta) -> list:
        return await self.writer(self._set_controlled_fields, scope, fields, meta)

    def _set_controlled_fields(self, scope: str, fields: list[str], meta: CommandMeta) -> list:
        settings = self.node.settings()
        checked = settings.set_controlled_fields(scope, fields, meta.as_dict())
        self.node.save(settings)
        return checked

    async def set_workflow_rule(self, rule: dict, meta: CommandMeta) -> dict:
        return await self.writer(self._set_workflow_rule, rule, meta)

    def _set_workflow_rule(self, rule: dict, meta: CommandMeta) -> dict:
        settings = self.node.settings()
        checked = settings.set_workflow_rule(rule, meta.as_dict())
        self.node.save(settings)
        return checked.model_dump(mode="json")
