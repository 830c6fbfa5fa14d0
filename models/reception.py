"""Daily operation of the station and the 未成年人保护站: the reception log of
walk-ins and phone calls, followed through to closure, and the duty roster."""

import datetime as dt

from mongoengine import (
    DateTimeField,
    EmbeddedDocumentField,
    ListField,
    ReferenceField,
    StringField,
)

from .archives import Archive
from .base import DISTRICT_WIDE, FollowUp, TrackedDocument
from .clock import local_now, local_today
from .errors import DomainError
from .loading import related
from .periods import period_keys
from .reference import Township
from .timeline import on_timeline
from .users import User

PLACES = (("station", "民政服务站"), ("protection", "未成年人保护站"))
CHANNELS = (("visit", "来访"), ("phone", "来电"), ("online", "网络/微信"), ("letter", "信件"))
CALLER_RELATIONS = (("self", "本人"), ("family", "家属"), ("neighbour", "邻居/群众"), ("community", "社区/村委"),
                    ("school", "学校"), ("agency", "单位/部门"), ("other", "其他"))
CATEGORIES = (("policy", "政策咨询"), ("assistance", "救助申请"), ("child", "儿童保护"), ("elderly", "养老服务"),
              ("homeless", "流浪乞讨"), ("marriage", "婚姻/婚育"), ("complaint", "投诉建议"), ("other", "其他"))
STATES = (("open", "处理中"), ("closed", "已办结"))


@on_timeline("person", "-received_at")
class ReceptionContact(TrackedDocument):
    received_at = DateTimeField(required=True, verbose_name="接待时间")
    place = StringField(required=True, choices=PLACES, default="station", verbose_name="接待地点")
    channel = StringField(required=True, choices=CHANNELS, default="visit", verbose_name="方式")
    caller_name = StringField(required=True, max_length=40, verbose_name="来访/来电人")
    caller_phone = StringField(max_length=20, verbose_name="联系电话")
    caller_relation = StringField(choices=CALLER_RELATIONS, verbose_name="与当事人关系")
    person = ReferenceField(Archive, verbose_name="当事人档案")
    person_description = StringField(max_length=100, verbose_name="当事人（未建档时）")
    township = ReferenceField(Township, required=True, verbose_name="街道/乡镇")
    category = StringField(required=True, choices=CATEGORIES, verbose_name="事项类别")
    matter = StringField(required=True, max_length=2000, verbose_name="反映事项")
    action_taken = StringField(max_length=2000, verbose_name="处理情况")
    referral = StringField(max_length=200, verbose_name="转介至")
    follow_up_due = DateTimeField(verbose_name="跟进期限")
    follow_ups = ListField(EmbeddedDocumentField(FollowUp), verbose_name="跟进记录")
    handled_by = ReferenceField(User, verbose_name="接待人")
    closed_at = DateTimeField(verbose_name="办结时间")
    outcome = StringField(max_length=1000, verbose_name="办结情况")
    status = StringField(choices=STATES, default="open", verbose_name="状态")
    year = StringField(verbose_name="年度")
    month = StringField(verbose_name="月份")

    meta = {"collection": "reception_contacts", "ordering": ["-received_at"],
            "indexes": ["place", "channel", "township", "person", ("-received_at", "-id"), "status", "follow_up_due", "category", "month"]}
    scope_field = "township"
    unaudited_fields = frozenset({"status", "year", "month"})

    def __str__(self):
        when = f"{self.received_at:%Y-%m-%d %H:%M} " if self.received_at else ""
        return f"{when}{self.caller_name or ''}{dict(CHANNELS).get(self.channel, '')}"

    def timeline_events(self, person_id) -> list[dict]:
        return [{"at": self.received_at, "kind": f"{dict(PLACES).get(self.place)}{dict(CHANNELS).get(self.channel)}",
                 "text": f"{dict(CATEGORIES).get(self.category, '')}：{(self.matter or '')[:60]}",
                 "who": dict(STATES).get(self.status, "")}]

    @property
    def overdue(self) -> bool:
        return self.status == "open" and bool(self.follow_up_due) and self.follow_up_due.date() < local_today()

    def prepare(self):
        if self.person is not None and not self.township:
            self.township = self.person.township
        self.status = "closed" if self.closed_at else "open"
        if self.received_at:
            keys = period_keys(self.received_at)
            self.year, self.month = keys["year"], keys["month"]

    def check_rules(self):
        now = local_now() + dt.timedelta(minutes=5)
        if self.received_at and self.received_at > now:
            raise DomainError("接待时间不能晚于现在。", field="received_at")
        if self.person is None and not (self.person_description or "").strip() and self.category != "policy":
            raise DomainError("请选择当事人档案，或填写当事人情况（纯政策咨询可不填）。", field="person")
        if self.follow_up_due and self.received_at and self.follow_up_due.date() < self.received_at.date():
            raise DomainError("跟进期限不能早于接待日期。", field="follow_up_due")
        for entry in self.follow_ups or []:
            if self.received_at and entry.on and entry.on.date() < self.received_at.date():
                raise DomainError("跟进日期不能早于接待日期。", field="follow_ups")
        if self.closed_at:
            if self.received_at and self.closed_at < self.received_at:
                raise DomainError("办结时间不能早于接待时间。", field="closed_at")
            if self.closed_at > now:
                raise DomainError("办结时间不能晚于现在。", field="closed_at")
            if not (self.action_taken or "").strip():
                raise DomainError("办结前请填写处理情况。", field="action_taken")
            if not (self.outcome or "").strip():
                raise DomainError("办结时请填写办结情况。", field="outcome")


def due_follow_ups(townships: list | None = None, today: dt.date | None = None):
    """Open contacts whose follow-up is due today or overdue."""
    today = today or local_today()
    query = ReceptionContact.objects(status="open", voided=False,
                                     follow_up_due__lte=dt.datetime.combine(today, dt.time()))
    if townships is not None:
        query = query.filter(township__in=townships)
    return query.order_by("follow_up_due")


class DutyDay(TrackedDocument):
    day = DateTimeField(required=True, verbose_name="日期")
    place = StringField(required=True, choices=PLACES, default="station", verbose_name="值班地点")
    on_duty = ListField(ReferenceField(User), verbose_name="值班人员")
    phone = StringField(max_length=20, verbose_name="值班电话")
    notes = StringField(max_length=300, verbose_name="备注")

    meta = {"collection": "duty_days", "ordering": ["day"],
            "indexes": ["place", "on_duty", ("day", "id"), {"fields": ["day", "place"], "unique": True}]}
    scope_field = DISTRICT_WIDE  # the station's duty roster

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {dict(PLACES).get(self.place, '')}值班" if self.day else "值班"

    def duplicate_message(self, actor=None):
        return f"{self.day:%Y-%m-%d} {dict(PLACES).get(self.place, '')}已有值班安排，请直接修改那一天。"

    def check_rules(self):
        if not self.on_duty and not self.voided:
            raise DomainError("值班日须至少安排一名值班人员。", field="on_duty")
        inactive = [u.display_name for u in self.on_duty or [] if hasattr(u, "active") and not u.active]
        if inactive:
            raise DomainError(f"账户已停用，不能排班：{'、'.join(inactive)}。", field="on_duty")


def roster_month(year: int, month: int, place: str = "station") -> list[dict]:
    """Every day of a month with who is on duty (an empty list where nobody is)."""
    start = dt.date(year, month, 1)
    end = dt.date(year + month // 12, month % 12 + 1, 1)
    days = {d.day.date(): d for d in related(DutyDay.objects(
        place=place, voided=False, day__gte=dt.datetime.combine(start, dt.time()),
        day__lt=dt.datetime.combine(end, dt.time())))}
    grid = []
    day = start
    while day < end:
        record = days.get(day)
        grid.append({"day": day, "weekday": "一二三四五六日"[day.weekday()], "record": record,
                     "people": [u.display_name for u in (record.on_duty if record else []) if hasattr(u, "display_name")],
                     "workday": day.weekday() < 5})
        day += dt.timedelta(days=1)
    return grid
