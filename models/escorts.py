"""Returnee escort assistance (流浪乞讨救助 2.6): the 市救助站 brings a person
who was found elsewhere back home to this district; the station helps with the
handover and follows up afterwards."""


from mongoengine import (
    DateTimeField,
    EmbeddedDocumentField,
    ListField,
    ReferenceField,
    StringField,
)

from .archives import Archive
from .base import FollowUp, TrackedDocument
from .clock import local_now
from .errors import DomainError
from .inputs import TEXT
from .periods import period_keys
from .reference import Township
from .timeline import on_timeline

RECEIVERS = (("family", "家属"), ("village", "村（居）委会"), ("institution", "养老/福利机构"), ("other", "其他"))
STATES = (("requested", "已接到协助请求"), ("handed_over", "已交接"), ("following", "回访中"))


@on_timeline("person", "-request_date")
class ReturneeEscort(TrackedDocument):
    request_date = DateTimeField(required=True, verbose_name="请求日期")
    requested_by = StringField(required=True, max_length=60, default="桂林市救助管理站", verbose_name="请求单位")
    request_contact = StringField(max_length=60, input_kind=TEXT, verbose_name="请求单位联系人及电话")
    person = ReferenceField(Archive, required=True, verbose_name="返乡人员档案")
    township = ReferenceField(Township, required=True, verbose_name="街道/乡镇")
    from_place = StringField(required=True, max_length=120, verbose_name="从何处护送返回")
    handover_date = DateTimeField(verbose_name="交接日期")
    handover_place = StringField(max_length=120, verbose_name="交接地点")
    received_by = StringField(choices=RECEIVERS, verbose_name="接收方")
    receiver_name = StringField(max_length=60, verbose_name="接收人")
    receiver_phone = StringField(max_length=20, verbose_name="接收人电话")
    station_staff = StringField(max_length=100, verbose_name="我站对接人员")
    situation = StringField(max_length=1000, verbose_name="返乡人员情况")
    follow_ups = ListField(EmbeddedDocumentField(FollowUp), verbose_name="后续回访")
    status = StringField(choices=STATES, default="requested", verbose_name="状态")
    year = StringField(verbose_name="年度")
    month = StringField(verbose_name="月份")

    meta = {"collection": "returnee_escorts", "ordering": ["-request_date"],
            "indexes": ["month", "received_by", "township", "person", ("-request_date", "-id"), "year", "status"]}
    scope_field = "township"
    unaudited_fields = frozenset({"status", "year", "month"})

    def __str__(self):
        when = f"{self.request_date:%Y-%m-%d} " if self.request_date else ""
        return f"{when}{getattr(self.person, 'name', '') or ''}返乡对接"

    def timeline_events(self, person_id) -> list[dict]:
        events = [{"at": self.request_date, "kind": "返乡护送协助", "text": f"自{self.from_place}护送返乡，"
                   + dict(STATES).get(self.status, ""), "who": self.requested_by}]
        if self.handover_date:
            events.append({"at": self.handover_date, "kind": "返乡交接",
                           "text": f"{self.handover_place or ''}交接给{dict(RECEIVERS).get(self.received_by, '')}"
                                   f"{self.receiver_name or ''}", "who": self.station_staff or ""})
        events += [{"at": f.on, "kind": "返乡后回访", "text": f.notes, "who": f.by or ""}
                   for f in self.follow_ups or []]
        return events

    def prepare(self):
        if self.person is not None and not self.township:
            self.township = self.person.township
        if self.follow_ups:
            self.status = "following"
        elif self.handover_date:
            self.status = "handed_over"
        else:
            self.status = "requested"
        if self.request_date:
            keys = period_keys(self.request_date)
            self.year, self.month = keys["year"], keys["month"]

    def check_rules(self):
        today = local_now().date()
        if self.request_date and self.request_date.date() > today:
            raise DomainError("请求日期不能晚于今天。", field="request_date")
        if self.handover_date:
            if self.request_date and self.handover_date < self.request_date:
                raise DomainError("交接日期不能早于请求日期。", field="handover_date")
            if self.handover_date.date() > today:
                raise DomainError("交接日期不能晚于今天（尚未交接时请留空）。", field="handover_date")
            if not (self.handover_place or "").strip():
                raise DomainError("已交接时请填写交接地点。", field="handover_place")
            if not self.received_by or not (self.receiver_name or "").strip():
                raise DomainError("已交接时请填写接收方和接收人。", field="receiver_name")
        for entry in self.follow_ups or []:
            if not self.handover_date:
                raise DomainError("交接后才能登记回访。", field="follow_ups")
            if entry.on and entry.on < self.handover_date:
                raise DomainError("回访日期不能早于交接日期。", field="follow_ups")
            if entry.on and entry.on.date() > today:
                raise DomainError("回访日期不能晚于今天。", field="follow_ups")


def escort_counts(year: str, townships: list | None = None) -> dict[str, int]:
    """Escort requests per month of a year (for the bureau)."""
    match = {"year": year, "voided": False}
    if townships is not None:
        match["township"] = {"$in": list(townships)}
    rows = ReturneeEscort._get_collection().aggregate([{"$match": match}, {"$group": {"_id": "$month", "n": {"$sum": 1}}}])
    return {row["_id"]: row["n"] for row in rows}


