"""Child protection response (监测预防、发现报告、协同处理): a concern is
discovered, reported, co-handled with services, and closed; each step has a
deadline, and overdue steps are listed."""

import datetime as dt

from mongoengine import (
    DateTimeField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    ListField,
    ReferenceField,
    StringField,
)

from .archives import ChildArchive
from .base import TrackedDocument
from .clock import local_now
from .errors import DomainError
from .loading import related
from .reference import Township
from .rules import get_rules
from .sensitivity import CONTENT
from .timeline import on_timeline

SOURCES = (("visit", "入户探访"), ("patrol", "街头巡查"), ("report", "群众/单位报告"), ("reception", "来访来电"),
           ("school", "学校反映"), ("other", "其他"))
REPORTED_TO = (("bureau", "民政局"), ("police", "公安"), ("school", "学校"), ("village", "村（居）委会"))
SERVICES = (("guardianship", "监护干预"), ("referral", "转介帮扶"), ("placement", "处置安置"),
            ("psychological", "心理支持"), ("legal", "法律援助"), ("rights", "权益保障"), ("crisis", "危机干预"))
STAGES = (("discovered", "已发现"), ("reported", "已报告"), ("handling", "协同处理中"), ("closed", "已结案"))
STAGE_LABELS = dict(STAGES)


class ConcernService(EmbeddedDocument):
    service = StringField(required=True, choices=SERVICES, verbose_name="服务")
    service_date = DateTimeField(verbose_name="日期")
    provider = StringField(max_length=80, verbose_name="提供方")
    outcome = StringField(max_length=300, verbose_name="结果")

    def __str__(self):
        when = self.service_date.strftime("%Y-%m-%d") if self.service_date else ""
        return f"{when} {dict(SERVICES).get(self.service, '')} {self.provider or ''} {self.outcome or ''}".strip()


@on_timeline("child", "-discovered_at")
class Concern(TrackedDocument):
    child = ReferenceField(ChildArchive, verbose_name="儿童")
    child_description = StringField(max_length=200, verbose_name="儿童情况（未建档时）")
    township = ReferenceField(Township, required=True, verbose_name="街道/乡镇")
    source = StringField(required=True, choices=SOURCES, verbose_name="来源")
    source_record = StringField(verbose_name="来源记录")
    discovered_at = DateTimeField(required=True, verbose_name="发现时间")
    discovered_by = StringField(required=True, max_length=60, verbose_name="发现人")
    description = StringField(required=True, verbose_name="发现的情况", sensitive=CONTENT)
    reported_to = ListField(StringField(choices=REPORTED_TO), verbose_name="报告对象")
    reported_at = DateTimeField(verbose_name="报告时间")
    services = ListField(EmbeddedDocumentField(ConcernService), verbose_name="协同处理")
    closed_at = DateTimeField(verbose_name="结案时间")
    outcome = StringField(verbose_name="结案情况", sensitive=CONTENT)
    stage = StringField(choices=STAGES, default="discovered", verbose_name="阶段")
    report_due = DateTimeField(verbose_name="报告期限")
    handle_due = DateTimeField(verbose_name="处理期限")
    close_due = DateTimeField(verbose_name="结案期限")
    overdue_step = StringField(verbose_name="逾期环节")

    meta = {"collection": "concerns", "ordering": ["-discovered_at"],
            "indexes": ["source", "township", "child", "stage", ("-discovered_at", "-id"), "overdue_step"]}
    scope_field = "township"
    unaudited_fields = frozenset({"stage", "report_due", "handle_due", "close_due", "overdue_step"})

    def __str__(self):
        who = str(self.child) if self.child else (self.child_description or "未建档儿童")
        return f"{who}（{STAGE_LABELS.get(self.stage, '')}）"

    def timeline_events(self, person_id) -> list[dict]:
        return [{"at": self.discovered_at, "kind": f"儿童保护处置（{STAGE_LABELS.get(self.stage)}）",
                 "text": (self.description or "")[:60], "field": "description", "who": self.discovered_by}]

    def prepare(self):
        if self.child and not self.township:
            self.township = self.child.township
        self.set_deadlines()

    #: The stored fields ``set_deadlines`` derives (from the visit policy's deadlines and the clock).
    DEADLINE_FIELDS = ("report_due", "handle_due", "close_due", "stage", "overdue_step")

    def set_deadlines(self):
        """Deadlines of each step from the visit policy, the stage, and the step overdue now."""
        hours = get_rules("visit_policy")["concern_deadlines_hours"]
        if self.discovered_at:
            self.report_due = self.discovered_at + dt.timedelta(hours=int(hours["report"]))
            self.close_due = self.discovered_at + dt.timedelta(hours=int(hours["close"]))
        if self.reported_at:
            self.handle_due = self.reported_at + dt.timedelta(hours=int(hours["handle"]))
        if self.closed_at:
            self.stage = "closed"
        elif self.services:
            self.stage = "handling"
        elif self.reported_at:
            self.stage = "reported"
        else:
            self.stage = "discovered"
        self.overdue_step = overdue_step(self, local_now())

    def check_rules(self):
        now = local_now() + dt.timedelta(minutes=5)
        if not self.child and not (self.child_description or "").strip():
            raise DomainError("请选择儿童档案，或填写儿童情况。", field="child")
        for name, label in (("discovered_at", "发现时间"), ("reported_at", "报告时间"), ("closed_at", "结案时间")):
            value = getattr(self, name)
            if value and value > now:
                raise DomainError(f"{label}不能晚于现在。", field=name)
        if self.reported_at and not self.reported_to:
            raise DomainError("请选择报告对象（民政局、公安、学校、村居）。", field="reported_to")
        if self.reported_at and self.discovered_at and self.reported_at < self.discovered_at:
            raise DomainError("报告时间不能早于发现时间。", field="reported_at")
        if self.closed_at:
            if not self.reported_at:
                raise DomainError("结案前须先记录报告。", field="closed_at")
            if not (self.outcome or "").strip():
                raise DomainError("结案时请填写结案情况。", field="outcome")


def overdue_step(concern: Concern, now: dt.datetime) -> str | None:
    if concern.closed_at:
        return None
    if not concern.reported_at:
        return "报告" if concern.report_due and now > concern.report_due else None
    if not concern.services:
        return "协同处理" if concern.handle_due and now > concern.handle_due else None
    return "结案" if concern.close_due and now > concern.close_due else None


def overdue_concerns(townships: list | None = None):
    """Open concerns with a step past its deadline, as of now (computed, not stored)."""
    now = local_now()
    query = Concern.objects(stage__ne="closed", voided=False)
    if townships is not None:
        query = query.filter(township__in=townships)
    found = []
    for concern in related(query):
        step = overdue_step(concern, now)
        if step:
            found.append((concern, step))
    return found


def high_risk_without_open_concern(townships: list | None = None):
    """一级 children with no open protection plan (concern)."""
    open_children = [row["_id"] for row in Concern._get_collection().aggregate([
        {"$match": {"stage": {"$ne": "closed"}, "voided": False, "child": {"$ne": None}}},
        {"$group": {"_id": "$child"}}])]
    raw = {"_cls": "Archive.ChildArchive", "risk_level": "1", "status": "active", "voided": False}
    if open_children:
        raw["_id"] = {"$nin": open_children}
    if townships is not None:
        raw["township"] = {"$in": list(townships)}
    return ChildArchive.objects(__raw__=raw)
