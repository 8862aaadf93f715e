"""A province's configuration: switches (SYS-3), key-date overrides (SYS-2) and its own
workflow rules (SYS-1). Every change is an event: who changed what, when."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.calendar import KeyDates, Switches
from contracts.codes import Level, Stage
from contracts.errors import ContractError
from contracts.org import Unit
from province_node.domain.admission import ImportRule, check_import_rule
from province_node.domain.key_data_change import (
    DEFAULT_CONTROLLED,
    check_controlled_fields,
)
from province_node.domain.workflow import ChainRule, WorkflowTable

_NS = uuid5(NAMESPACE_URL, "xueji:province:settings")
#: SYS-2: the key dates a province may override — those a rule reads: the XPT-8 freeze and
#: the PGE-2 windows (the hub applies them to the cases this province starts), the GRD-3
#: promotion day, the GRD-1 graduation deadline and the ADM-4 admission windows. The PGE
#: admission deadline waits for the rule that will read it: stored now, it would change nothing.
OVERRIDABLE_KEY_DATES = frozenset(
    {
        "transfer_freeze",
        "pge_windows",
        "promotion",
        "graduation_deadline",
        "junior_admission_window",
        "senior_admission_window",
    }
)


class ProvinceSettings(Aggregate):
    @staticmethod
    def create_id(province: str) -> UUID:
        return uuid5(_NS, province)

    @event("Opened")
    def __init__(self, province: str) -> None:
        self.province = province
        self.switch_values: dict[str, bool] = {}
        self.key_date_overrides: dict = {}
        self.rules: list[dict] = []
        self.controlled: dict[str, list[str]] = {}  # KDC-1: region code → controlled fields
        #: ADM-1: "<stage>:<bureau code>" → {"level", "delegate"} (招生结果导入设置)
        self.admission_import: dict[str, dict] = {}

    # The checks run before the event is triggered: a stored event is always applicable.

    def change_switches(self, changes: dict[str, bool], meta: dict) -> Switches:
        switches = self.switches().with_changes(**changes)
        self._switches_changed(changes=changes, meta=meta)
        return switches

    def override_key_dates(self, overrides: dict, meta: dict) -> KeyDates:
        key_dates = KeyDates().with_overrides({**self.key_date_overrides, **overrides})
        for key in overrides:
            if key not in OVERRIDABLE_KEY_DATES:
                raise ContractError(
                    key, "key_date_not_in_use", f"关键日期 {key} 暂无业务使用，不能修改"
                )
        self._key_dates_overridden(overrides=overrides, meta=meta)
        return key_dates

    def set_workflow_rule(self, rule: dict, meta: dict) -> ChainRule:
        checked = ChainRule(**rule)
        self.workflow().with_rule(checked, self.province)
        self._workflow_rule_set(rule=checked.model_dump(mode="json"), meta=meta)
        return checked

    def set_controlled_fields(self, scope: str, fields: list[str], meta: dict) -> list[str]:
        """KDC-1: a province, city or county chooses its controlled fields (受控字段)."""
        checked = check_controlled_fields(fields)
        if not scope.startswith(self.province) or len(scope) != 6:
            raise ContractError("scope", "outside_jurisdiction", f"只能设置本省范围：{scope}")
        self._controlled_fields_set(scope=scope, fields=checked, meta=meta)
        return checked

    def controlled_fields(self, region_chain: list[str]) -> list[str]:
        """The most specific choice for a school's regions (nearest bureau first), else the
        national default."""
        for code in region_chain:
            if code in self.controlled:
                return list(self.controlled[code])
        return list(DEFAULT_CONTROLLED)

    def set_admission_import(self, stage: Stage, unit: Unit, rule: ImportRule,
                             meta: dict) -> ImportRule:  # fmt: skip
        """ADM-1: a bureau whose superiors delegated sets the importing level for its area."""
        check_import_rule(stage, unit, rule, self.import_rules(stage))
        self._admission_import_set(
            stage=stage.value,
            unit_code=unit.code,
            level=rule.level.value,
            delegate=rule.delegate,
            meta=meta,
        )
        return rule

    def import_rules(self, stage: Stage) -> dict[str, ImportRule]:
        """ADM-1: the stored settings of a stage, by bureau code."""
        prefix = f"{stage.value}:"
        return {
            key.removeprefix(prefix): ImportRule(Level(v["level"]), v["delegate"])
            for key, v in (getattr(self, "admission_import", None) or {}).items()
            if key.startswith(prefix)
        }

    @event("AdmissionImportSet")
    def _admission_import_set(self, stage: str, unit_code: str, level: str, delegate: bool,
                              meta: dict) -> None:  # fmt: skip
        if not hasattr(self, "admission_import"):  # settings opened before ADM-1
            self.admission_import = {}
        self.admission_import[f"{stage}:{unit_code}"] = {"level": level, "delegate": delegate}

    @event("ControlledFieldsSet")
    def _controlled_fields_set(self, scope: str, fields: list[str], meta: dict) -> None:
        self.controlled[scope] = list(fields)

    @event("SwitchesChanged")
    def _switches_changed(self, changes: dict[str, bool], meta: dict) -> None:
        self.switch_values.update(changes)

    @event("KeyDatesOverridden")
    def _key_dates_overridden(self, overrides: dict, meta: dict) -> None:
        self.key_date_overrides.update(overrides)

    @event("WorkflowRuleSet")
    def _workflow_rule_set(self, rule: dict, meta: dict) -> None:
        self.rules.append(rule)

    def switches(self) -> Switches:
        return Switches().with_changes(**self.switch_values)

    def key_dates(self) -> KeyDates:
        return KeyDates().with_overrides(self.key_date_overrides)

    def workflow(self) -> WorkflowTable:
        table = WorkflowTable.default()
        for rule in self.rules:
            table = table.with_rule(ChainRule(**rule), self.province)
        return table
