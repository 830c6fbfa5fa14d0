"""Casework (个案) and group work (小组): sessions with hours, the stages of a
case with a document each, and whether each record qualifies under its
indicator rule (kept as data in the ``service_rules`` rule set)."""

from collections import defaultdict

from mongoengine import (
    DateTimeField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FloatField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)

from .archives import Archive
from .base import TrackedDocument
from .clock import local_today
from .errors import DomainError
from .periods import period_keys
from .reference import Township
from .rules import compare, describe, get_rules
from .sensitivity import CONTENT
from .services import snapshot, update_record
from .timeline import on_timeline
from .users import User
from .visits import add_photo, discard_photos

CASE_TYPES = (("consultation", "咨询个案"), ("professional", "专业个案"))
STAGES = (("intake", "接案"), ("assessment", "预估"), ("planning", "计划"), ("intervention", "介入"),
          ("evaluation", "评估"), ("closing", "结案"))
STAGE_ORDER = [code for code, _ in STAGES]
ARRANGED_SERVICES = (("legal", "法律咨询"), ("rights", "权益保障"), ("daily_care", "生活照顾"), ("medical", "就医支持"),
                     ("psychological", "心理疏导"), ("policy", "政策链接"), ("material", "物资救助"),
                     ("schooling", "就学支持"), ("referral", "转介"), ("other", "其他"))
MONGO_OPERATORS = {">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte", "==": "$eq"}


def condition_query(condition: dict) -> dict:
    """A rule condition as a query operator: ``{"op": ">", "value": 2}`` -> ``{"$gt": 2}``."""
    return {MONGO_OPERATORS[condition["op"]]: condition["value"]}


def check_hours(hours, label: str, field: str) -> None:
    """Hours of one session or event: more than 0 and at most a day's worth."""
    limit = float(get_rules("service_rules")["max_hours_per_day"])
    if hours is None:
        raise DomainError(f"{label}请填写时长（小时）。", field=field)
    if hours <= 0:
        raise DomainError(f"{label}时长须大于 0 小时。", field=field)
    if hours > limit:
        raise DomainError(f"{label}时长 {hours:g} 小时不合理：一天最多 {limit:g} 小时。", field=field)


def check_day_totals(sessions, label: str, field: str, date_name: str = "session_date") -> None:
    limit = float(get_rules("service_rules")["max_hours_per_day"])
    totals: dict = defaultdict(float)
    for session in sessions:
        day = getattr(session, date_name)
        if day is not None and session.hours:
            totals[day.date()] += session.hours
    for day, total in totals.items():
        if round(total, 2) > limit:
            raise DomainError(f"{label}{day:%Y-%m-%d} 共记录 {total:g} 小时，超过一天 {limit:g} 小时。", field=field)


def _hours_total(sessions) -> float:
    return round(sum(s.hours or 0 for s in sessions), 2)


class CaseSession(EmbeddedDocument):
    session_date = DateTimeField(required=True, verbose_name="日期")
    hours = FloatField(required=True, verbose_name="工时（小时）")
    content = StringField(required=True, max_length=2000, verbose_name="服务内容", sensitive=CONTENT)  # case notes
    worker = StringField(max_length=40, verbose_name="社工")

    def __str__(self):
        when = f"{self.session_date:%Y-%m-%d}" if self.session_date else ""
        return f"{when} {self.hours or 0:g}小时 {self.content or ''}"[:120]


class StageDocument(EmbeddedDocument):
    stage = StringField(required=True, choices=STAGES, verbose_name="阶段")
    written_on = DateTimeField(required=True, verbose_name="日期")
    content = StringField(required=True, max_length=5000, verbose_name="内容（接案表、预估、服务计划、介入记录、评估、结案报告）",
                          sensitive=CONTENT)

    def __str__(self):
        when = f"{self.written_on:%Y-%m-%d}" if self.written_on else ""
        return f"{dict(STAGES).get(self.stage, '')} {when}：{(self.content or '')[:60]}"


@on_timeline("client", "-opened_on")
class Case(TrackedDocument):
    case_type = StringField(required=True, choices=CASE_TYPES, verbose_name="个案类型")
    client = ReferenceField(Archive, required=True, verbose_name="服务对象")
    township = ReferenceField(Township, verbose_name="街道/乡镇")
    worker = ReferenceField(User, required=True, verbose_name="负责社工")
    title = StringField(required=True, max_length=100, verbose_name="个案名称")
    problem = StringField(max_length=2000, verbose_name="主要问题与需求", sensitive=CONTENT)
    opened_on = DateTimeField(required=True, verbose_name="接案日期")
    closed_on = DateTimeField(verbose_name="结案日期")
    stage_documents = ListField(EmbeddedDocumentField(StageDocument), verbose_name="阶段文书")
    sessions = ListField(EmbeddedDocumentField(CaseSession), verbose_name="服务记录")
    services_arranged = ListField(StringField(choices=ARRANGED_SERVICES), verbose_name="链接的服务")
    stage = StringField(choices=STAGES, verbose_name="当前阶段")
    session_count = IntField(default=0, verbose_name="服务次数")
    total_hours = FloatField(default=0, verbose_name="累计工时")
    year = StringField(verbose_name="年度")
    month = StringField(verbose_name="月份")

    meta = {"collection": "cases", "ordering": ["-opened_on"],
            "indexes": ["stage", "township", "client", "worker", "case_type", ("-opened_on", "-id"), "year"]}
    scope_field = "township"
    unaudited_fields = frozenset({"stage", "session_count", "total_hours", "year", "month"})

    def __str__(self):
        return f"{self.title or ''}（{dict(CASE_TYPES).get(self.case_type, '')}）"

    def timeline_events(self, person_id) -> list[dict]:
        events = [{"at": self.opened_on, "kind": dict(CASE_TYPES).get(self.case_type, "个案") + "接案",
                   "text": self.title, "who": str(self.worker or "")}]
        events += [{"at": s.session_date, "kind": "个案服务", "text": f"{s.hours:g} 小时：{(s.content or '')[:60]}",
                    "field": "sessions", "who": s.worker or ""} for s in self.sessions or []]
        return events

    def prepare(self):
        if not self.township and self.client is not None:  # the client is loaded only when needed
            self.township = getattr(self.client, "township", None)
        self.session_count = len(self.sessions or [])
        self.total_hours = _hours_total(self.sessions or [])
        done = {d.stage for d in self.stage_documents or []}
        reached = [code for code in STAGE_ORDER if code in done]
        self.stage = reached[-1] if reached else None
        if self.opened_on:
            keys = period_keys(self.opened_on)
            self.year, self.month = keys["year"], keys["month"]

    def check_rules(self):
        today = local_today()
        if self.opened_on and self.opened_on.date() > today:
            raise DomainError("接案日期不能晚于今天。", field="opened_on")
        for index, session in enumerate(self.sessions or [], start=1):
            check_hours(session.hours, f"第 {index} 次服务", "sessions")
            if session.session_date and self.opened_on and session.session_date < self.opened_on:
                raise DomainError(f"第 {index} 次服务的日期早于接案日期。", field="sessions")
            if session.session_date and session.session_date.date() > today:
                raise DomainError(f"第 {index} 次服务的日期不能晚于今天。", field="sessions")
        check_day_totals(self.sessions or [], "服务记录：", "sessions")
        done = [d.stage for d in self.stage_documents or []]
        for code in done:
            missing = [dict(STAGES)[c] for c in STAGE_ORDER[:STAGE_ORDER.index(code)] if c not in done]
            if missing:
                raise DomainError(f"阶段文书须按顺序填写：写“{dict(STAGES)[code]}”之前先完成{'、'.join(missing)}。",
                                  field="stage_documents")
        if self.closed_on:
            if "closing" not in done:
                raise DomainError("结案前请填写“结案”阶段文书（结案报告）。", field="closed_on")
            if self.opened_on and self.closed_on < self.opened_on:
                raise DomainError("结案日期不能早于接案日期。", field="closed_on")

    def qualification(self) -> tuple[bool, list[str]]:
        """Whether the case counts for its indicator, and what it lacks."""
        rules = get_rules("service_rules")["cases"][self.case_type]
        lacking = []
        if not compare(self.session_count or 0, rules["sessions"]):
            lacking.append(f"服务 {self.session_count or 0} 次，须 {describe(rules['sessions'], '次')}")
        if not compare(round(self.total_hours or 0, 2), rules["hours"]):
            lacking.append(f"累计 {self.total_hours or 0:g} 工时，须 {describe(rules['hours'], '小时')}")
        return not lacking, lacking


def qualifying_cases_query(case_type: str) -> dict:
    rules = get_rules("service_rules")["cases"][case_type]
    return {"case_type": case_type, "voided": False, "session_count": condition_query(rules["sessions"]),
            "total_hours": condition_query(rules["hours"])}


class GroupSession(EmbeddedDocument):
    session_date = DateTimeField(required=True, verbose_name="日期")
    hours = FloatField(required=True, verbose_name="时长（小时）")
    topic = StringField(max_length=100, verbose_name="主题")
    content = StringField(max_length=3000, verbose_name="活动内容")
    attendance = ListField(StringField(max_length=40), verbose_name="出席成员")
    # the id the phone gave a session recorded offline: sending it again never adds a second one
    offline_id = StringField(max_length=64)

    def __str__(self):
        when = f"{self.session_date:%Y-%m-%d}" if self.session_date else ""
        names = "、".join(self.attendance or [])
        return f"{when} {self.topic or ''} {self.hours or 0:g}小时，出席 {len(self.attendance or [])} 人：{names}"


@on_timeline("member_archives", "-started_on")
class GroupSeries(TrackedDocument):
    title = StringField(required=True, max_length=100, verbose_name="小组名称")
    goal = StringField(required=True, max_length=2000, verbose_name="小组目标")
    township = ReferenceField(Township, required=True, verbose_name="街道/乡镇")
    target_group = StringField(max_length=60, verbose_name="服务对象")
    facilitators = ListField(ReferenceField(User), verbose_name="带领社工")
    members = ListField(StringField(max_length=40), verbose_name="小组成员")
    member_archives = ListField(ReferenceField(Archive), verbose_name="已建档成员")
    started_on = DateTimeField(required=True, verbose_name="开始日期")
    sessions = ListField(EmbeddedDocumentField(GroupSession), verbose_name="各节活动")
    photos = ListField(EmbeddedDocumentField("Photo"), verbose_name="活动照片")
    photo_hashes = ListField(StringField(), verbose_name="照片摘要")  # derived: see services._validate
    evaluation = StringField(max_length=3000, verbose_name="小组评估")
    session_count = IntField(default=0, verbose_name="节数")
    min_session_hours = FloatField(verbose_name="最短一节时长")
    total_hours = FloatField(default=0, verbose_name="累计时长")
    year = StringField(verbose_name="年度")

    meta = {"collection": "group_series", "ordering": ["-started_on"],
            "indexes": ["township", ("-started_on", "-id"), "year", "member_archives", "photo_hashes"]}
    scope_field = "township"
    file_fields = ("photos.file", "photos.thumbnail")
    unaudited_fields = frozenset({"session_count", "min_session_hours", "total_hours", "year"})

    def __str__(self):
        return self.title or "小组"

    def timeline_events(self, person_id) -> list[dict]:
        return [{"at": self.started_on, "kind": "小组", "text": f"{self.title}（{self.session_count} 节）",
                 "who": "、".join(str(u) for u in self.facilitators or [])}]

    def prepare(self):
        self.members = [m.strip() for m in self.members or [] if m and m.strip()]
        for archive in self.member_archives or []:
            name = getattr(archive, "name", None)
            if name and name not in self.members:
                self.members.append(name)
        self.session_count = len(self.sessions or [])
        self.total_hours = _hours_total(self.sessions or [])
        self.min_session_hours = min((s.hours or 0 for s in self.sessions), default=None) if self.sessions else None
        if self.started_on:
            self.year = period_keys(self.started_on)["year"]

    def check_rules(self):
        if len(set(self.members)) != len(self.members):
            raise DomainError("小组成员姓名有重复，请区分（如 张三（东江））。", field="members")
        for index, session in enumerate(self.sessions or [], start=1):
            check_hours(session.hours, f"第 {index} 节", "sessions")
            if session.session_date and self.started_on and session.session_date < self.started_on:
                raise DomainError(f"第 {index} 节的日期早于小组开始日期。", field="sessions")
            if session.session_date and session.session_date.date() > local_today():
                raise DomainError(f"第 {index} 节的日期不能晚于今天。", field="sessions")
            strangers = [name for name in session.attendance or [] if name not in self.members]
            if strangers:
                raise DomainError(f"第 {index} 节的出席者不是小组成员：{'、'.join(strangers)}。", field="sessions")
        check_day_totals(self.sessions or [], "小组活动：", "sessions")

    def qualification(self) -> tuple[bool, list[str]]:
        rules = get_rules("service_rules")["groups"]
        lacking = []
        if not compare(self.session_count or 0, rules["sessions"]):
            lacking.append(f"共 {self.session_count or 0} 节，须 {describe(rules['sessions'], '节')}")
        short = [i for i, s in enumerate(self.sessions or [], start=1) if not compare(s.hours or 0, rules["session_hours"])]
        if short:
            lacking.append(f"第 {'、'.join(str(i) for i in short)} 节时长不足（每节须 {describe(rules['session_hours'], '小时')}）")
        return not lacking, lacking


def qualifying_groups_query() -> dict:
    rules = get_rules("service_rules")["groups"]
    return {"voided": False, "session_count": condition_query(rules["sessions"]),
            "min_session_hours": condition_query(rules["session_hours"])}


def record_group_session(group: GroupSeries, session: GroupSession, actor, expected_version: int | None = None,
                         photos: tuple = (), max_bytes: int = 10 * 1024 * 1024,
                         detail: str | None = None) -> GroupSeries:
    """Add one session (and its photos) to a group through the service layer
    (version-checked, audited). A refused session leaves no file behind."""
    before = snapshot(group)
    expected = expected_version or group.version or 1
    kept = {p.file.grid_id for p in group.photos or [] if p.file}
    try:
        for data, filename in photos:
            add_photo(group, data, filename, max_bytes)
        group.sessions = [*list(group.sessions or []), session]
        update_record(group, before, expected, actor, detail=detail)
    except DomainError:
        discard_photos(group, kept)
        raise
    return group


