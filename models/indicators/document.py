"""A contract indicator: seeded from ``seeds/indicators.json``, edited by an admin: its
kind, target, comparison, period and parameters (what the measure of its code reads)."""

import json

from mongoengine import FloatField, IntField, ReferenceField, StringField

from ..base import DISTRICT_WIDE, TrackedDocument
from ..contracts import Contract
from ..errors import DomainError
from ..indicator_terms import AREAS, KINDS, OPERATORS, PERCENT_KINDS, PERIODS
from ..rules import COMPARISONS

#: Checks an indicator passes before it is saved, registered by the modules that know the
#: codes its parameters name (models.rule_checks): each is called with the indicator.
SAVE_CHECKS: list = []


class Indicator(TrackedDocument):
    contract = ReferenceField(Contract, required=True, verbose_name="合同")
    code = StringField(required=True, max_length=40, regex=r"^[a-z_.]+$", verbose_name="代码")
    name = StringField(required=True, max_length=60, verbose_name="指标")
    area = StringField(required=True, choices=AREAS, verbose_name="领域")
    kind = StringField(required=True, choices=KINDS, verbose_name="类型")
    target = FloatField(required=True, verbose_name="目标值")
    op = StringField(required=True, choices=OPERATORS, default=">=", verbose_name="达标比较")
    unit = StringField(max_length=10, verbose_name="单位")
    period = StringField(choices=PERIODS, verbose_name="逐期周期")
    per_period = FloatField(verbose_name="每期最少")
    section = StringField(max_length=60, verbose_name="方案条款")
    rule = StringField(max_length=300, verbose_name="计算口径")
    params = StringField(default="{}", verbose_name="计算参数")
    sort_order = IntField(default=0, verbose_name="排序")

    meta = {"collection": "indicators", "ordering": ["sort_order"],
            "indexes": ["area", "kind", ("sort_order", "id"), {"fields": ["contract", "code"], "unique": True}]}
    scope_field = DISTRICT_WIDE  # the contract's indicators

    def __str__(self):
        return self.name or self.code or "指标"

    def duplicate_message(self, actor=None):
        return f"本合同已有代码为 {self.code} 的指标。"

    def parameters(self) -> dict:
        try:
            return json.loads(self.params or "{}")
        except json.JSONDecodeError:
            return {}

    def check_rules(self):
        if self.target is None or self.target <= 0:
            raise DomainError("目标值必须大于 0。", field="target")
        if self.kind in PERCENT_KINDS and self.target > 100:
            raise DomainError("比例类指标的目标值是百分数，不能超过 100。", field="target")
        if self.op not in COMPARISONS:
            raise DomainError("请选择达标比较方式。", field="op")
        if self.kind == "periodic" and (not self.period or not self.per_period or self.per_period <= 0):
            raise DomainError("逐期指标须选择周期，并填写大于 0 的每期最少次数。", field="per_period")
        try:
            if not isinstance(json.loads(self.params or "{}"), dict):
                raise ValueError
        except ValueError as exc:
            raise DomainError("计算参数须是 JSON 对象，例如 {\"audience\": \"volunteers\"}。", field="params") from exc
        for check in SAVE_CHECKS:
            check(self)  # the visit policies, categories and themes it names exist


def unit_of(indicator: Indicator) -> str:
    """"%" for a share, else the indicator's unit of whole things (次, 场, 人)."""
    return "%" if indicator.kind in PERCENT_KINDS or indicator.unit == "%" else (indicator.unit or "")


def indicators_for(contract: Contract) -> list[Indicator]:
    return list(Indicator.objects(contract=contract.pk, voided=False).order_by("sort_order"))
