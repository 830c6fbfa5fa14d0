"""The purchase-of-service contract the station runs: buyer, provider, budget
and period. Budget lines, expenses and indicators belong to one contract."""

import datetime as dt

from mongoengine import DateTimeField, FloatField, StringField

from .base import DISTRICT_WIDE, TrackedDocument
from .clock import local_today
from .errors import DomainError
from .money import FenField, format_yuan


class Contract(TrackedDocument):
    name = StringField(required=True, max_length=120, verbose_name="项目名称")
    station = StringField(required=True, max_length=80, verbose_name="服务站")
    buyer = StringField(required=True, max_length=80, verbose_name="购买方")
    provider = StringField(max_length=120, verbose_name="承接机构")  # the brief's and summary's sender
    budget_fen = FenField(required=True, verbose_name="预算金额（元）")
    start_date = DateTimeField(required=True, verbose_name="服务开始日期")
    end_date = DateTimeField(required=True, verbose_name="服务结束日期")
    scope = StringField(max_length=80, verbose_name="服务范围")
    lagging_share = FloatField(default=0.8, verbose_name="滞后判定线（实际进度低于应完成进度的此比例为“风险”）")
    notes = StringField(max_length=1000, verbose_name="备注")

    meta = {"collection": "contracts", "ordering": ["-start_date"], "indexes": ["station", "-start_date"]}
    scope_field = DISTRICT_WIDE  # the purchase-of-service contract covers the district

    def __str__(self):
        return self.name or "合同"

    @property
    def budget_text(self) -> str:
        return format_yuan(self.budget_fen)

    def covers(self, day: dt.date | dt.datetime) -> bool:
        if isinstance(day, dt.datetime):
            day = day.date()
        return self.start_date.date() <= day <= self.end_date.date()

    def check_rules(self):
        if self.budget_fen is None or self.budget_fen <= 0:
            raise DomainError("预算金额必须大于 0。", field="budget_fen")
        if self.lagging_share is not None and not 0 < self.lagging_share <= 1:
            raise DomainError("滞后判定线须在 0 到 1 之间（如 0.8）。", field="lagging_share")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise DomainError("服务结束日期不能早于开始日期。", field="end_date")
        others = Contract.objects(station=self.station, voided=False, pk__ne=self.pk,
                                  start_date__lte=self.end_date, end_date__gte=self.start_date).first()
        if others is not None:
            raise DomainError(
                f"与已有合同“{others.name}”（{others.start_date:%Y-%m-%d} 至 {others.end_date:%Y-%m-%d}）"
                "的服务期重叠：同一服务站同一时间只能有一份合同。", field="start_date")


def current_contract(day: dt.date | None = None) -> Contract | None:
    """The contract in force on ``day`` (today by default), else the latest one."""
    day = day or local_today()
    moment = dt.datetime.combine(day, dt.time())
    found = Contract.objects(voided=False, start_date__lte=moment, end_date__gte=moment).first()
    return found or Contract.objects(voided=False).order_by("-start_date").first()
