"""Street patrols (街头巡查救助) with their encounters, and the weekly count
against the contract's minimum (at least 2 patrols every ISO week)."""

import datetime as dt

from mongoengine import (
    BooleanField,
    DateTimeField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    ListField,
    ReferenceField,
    StringField,
)

from .archives import HOMELESS_HEALTH, HomelessArchive
from .base import TrackedDocument, ref_id
from .clock import local_now
from .errors import DomainError
from .periods import period_bounds, period_key, period_keys, periods_between
from .reference import Township
from .rules import VISIT_POLICY_INCOMPLETE, get_rules, seed_rules
from .timeline import on_timeline
from .users import User
from .visits import Photo  # noqa: F401  (registers the embedded photo document)
from .volunteers import Volunteer

CAMPAIGNS = (("winter", "寒冬送温暖"), ("summer", "夏季送清凉"), ("special", "专项整治"), ("major_event", "重大活动"))
ACTIONS = (
    ("escort_station", "劝导护送救助站"), ("onsite_aid", "现场救助"), ("police_110", "报警110/移交公安"),
    ("medical_120", "呼叫120/送医"), ("contact_family", "联系家属"), ("notify_urban", "通知城管劝离"),
    ("counselling", "心理疏导"), ("refused", "拒绝救助"),
)
ACTION_LABELS = dict(ACTIONS)


class Encounter(EmbeddedDocument):
    person = ReferenceField(HomelessArchive, verbose_name="已建档人员")
    description = StringField(max_length=300, verbose_name="体貌特征（未建档时）")
    minor = BooleanField(default=False, verbose_name="未成年人")
    health_state = StringField(choices=HOMELESS_HEALTH, verbose_name="健康状况")
    actions = ListField(StringField(choices=ACTIONS), verbose_name="处置")
    items_given = StringField(max_length=200, verbose_name="发放物品")
    no_call_reason = StringField(max_length=300, verbose_name="未报警/未呼叫120的原因")
    outcome = StringField(max_length=300, verbose_name="结果")
    rescue_system_entered = BooleanField(default=False, verbose_name="已录入全国救助管理信息系统")
    rescue_system_number = StringField(max_length=40, verbose_name="救助系统编号")

    def __str__(self):
        who = str(self.person) if self.person else (self.description or "未建档人员")
        acts = "、".join(ACTION_LABELS.get(a, a) for a in self.actions or [])
        return f"{who}{'（未成年）' if self.minor else ''}：{acts or '未处置'}"


def rescue_call_rules(data: dict | None = None) -> list[dict]:
    """The street-rescue calls (``visit_policy.street_rescue_calls``): who must be handed to
    the police (110) or to a hospital (120). A stored rule set without them uses the seed's."""
    found = (data if data is not None else get_rules("visit_policy")).get("street_rescue_calls")
    return found if found is not None else seed_rules("visit_policy")["street_rescue_calls"]


def check_rescue_calls(key: str, data: dict) -> None:
    """A visit policy about to be saved: its street-rescue calls name a handling the patrol
    form offers and health states it knows, whom they apply to and the text shown."""
    if key != "visit_policy" or "street_rescue_calls" not in data:
        return
    try:
        _check_rescue_calls(data["street_rescue_calls"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DomainError(VISIT_POLICY_INCOMPLETE, field="content") from exc


def _check_rescue_calls(rules: list) -> None:
    states = dict(HOMELESS_HEALTH)
    for rule in rules:
        name, action, text = str(rule["label"]), rule["action"], str(rule["text"])
        str(rule["code"])
        if action not in ACTION_LABELS:
            raise DomainError(f"街头救助规则“{name}”的处置“{action}”不存在，可选：{'、'.join(ACTION_LABELS)}。",
                              field="content")
        health = list(rule.get("health_states") or [])
        unknown = [s for s in health if s not in states]
        if unknown:
            raise DomainError(f"街头救助规则“{name}”的健康状况“{'、'.join(map(str, unknown))}”不存在，"
                              f"可选：{'、'.join(states)}。", field="content")
        if not rule.get("minor") and not health:
            raise DomainError(f"街头救助规则“{name}”须写明适用对象（minor 为 true，或 health_states）。",
                              field="content")
        if not text.strip():
            raise DomainError(f"街头救助规则“{name}”须写明提示文字（text）。", field="content")


def calls_needed(encounter: Encounter, rules: list[dict] | None = None) -> list[dict]:
    """The call rules that apply to the person met: a minor, or a health state a rule names."""
    return [rule for rule in (rules if rules is not None else rescue_call_rules())
            if (rule.get("minor") and encounter.minor) or encounter.health_state in (rule.get("health_states") or ())]


def check_encounter(encounter: Encounter, index: int, rules: list[dict] | None = None) -> None:
    """The street-rescue rules: minors to the police, medical emergencies to 120 (as the rule set says)."""
    label = f"第 {index} 个发现对象"
    if not encounter.person and not (encounter.description or "").strip():
        raise DomainError(f"{label}：请选择已建档人员，或填写体貌特征。", field="encounters")
    actions = set(encounter.actions or [])
    reason = (encounter.no_call_reason or "").strip()
    for rule in calls_needed(encounter, rules):
        if rule["action"] not in actions and not reason:
            raise DomainError(f"{label}是{rule['label']}：须记录“{ACTION_LABELS.get(rule['action'], rule['action'])}”，"
                              f"或在“{Encounter.no_call_reason.verbose_name}”中写明原因。", field="encounters")
    if "onsite_aid" in actions and not (encounter.items_given or "").strip():
        raise DomainError(f"{label}：现场救助请填写发放的物品。", field="encounters")
    if encounter.rescue_system_entered and not encounter.rescue_system_number:
        raise DomainError(f"{label}：已录入救助系统时请填写系统编号。", field="encounters")


@on_timeline("encounters__person", "-patrol_date")
class Patrol(TrackedDocument):
    patrol_date = DateTimeField(required=True, verbose_name="巡查日期")
    start_time = StringField(required=True, regex=r"^\d{1,2}:\d{2}$", max_length=5, verbose_name="开始时间")
    end_time = StringField(required=True, regex=r"^\d{1,2}:\d{2}$", max_length=5, verbose_name="结束时间")
    township = ReferenceField(Township, required=True, verbose_name="街道/乡镇")
    places = StringField(required=True, max_length=300, verbose_name="巡查地点")
    staff = ListField(ReferenceField(User), verbose_name="巡查社工")
    volunteers = StringField(max_length=200, verbose_name="其他志愿者（未登记）")
    volunteer_members = ListField(ReferenceField(Volunteer), verbose_name="登记的志愿者（计入志愿时数）")
    campaign = StringField(choices=CAMPAIGNS, verbose_name="专项活动")
    encounters = ListField(EmbeddedDocumentField(Encounter), verbose_name="发现对象")
    photos = ListField(EmbeddedDocumentField("Photo"), verbose_name="现场照片")
    photo_hashes = ListField(StringField(), verbose_name="照片摘要")  # derived: see services._validate
    summary = StringField(verbose_name="巡查情况")
    year = StringField(verbose_name="年度")
    month = StringField(verbose_name="月份")
    quarter = StringField(verbose_name="季度")
    week = StringField(verbose_name="周次")

    meta = {"collection": "patrols", "ordering": ["-patrol_date"],
            "indexes": ["campaign", "staff", "township", ("-patrol_date", "-id"), "week", "month", "year", "encounters.person", "photo_hashes"]}
    file_fields = ("photos.file", "photos.thumbnail")
    scope_field = "township"
    unaudited_fields = frozenset({"year", "month", "quarter", "week"})

    def __str__(self):
        return f"{self.patrol_date:%Y-%m-%d} {self.places or ''}巡查" if self.patrol_date else "巡查"

    def prepare(self):
        if self.patrol_date:
            for name, key in period_keys(self.patrol_date).items():
                setattr(self, name, key)

    def ledger_entries(self) -> list:
        """The volunteer-hour ledger lines this patrol credits (models.derived keeps the ledger)."""
        hours = 0.0
        if self.start_time and self.end_time:
            hours = round((_minutes(self.end_time) - _minutes(self.start_time)) / 60, 2)
        return [(ref_id(v), self.patrol_date, hours, f"街头巡查：{self.places or ''}")
                for v in self._data.get("volunteer_members") or []]

    def timeline_events(self, person_id) -> list[dict]:
        return [{"at": self.patrol_date, "kind": "街头巡查发现", "text": str(encounter), "who": self.places}
                for encounter in self.encounters or [] if ref_id(encounter._data.get("person")) == person_id]

    def check_rules(self):
        if self.patrol_date and self.patrol_date.date() > local_now().date():
            raise DomainError("巡查日期不能晚于今天。", field="patrol_date")
        if self.start_time and self.end_time and _minutes(self.end_time) <= _minutes(self.start_time):
            raise DomainError("结束时间应晚于开始时间。", field="end_time")
        if not self.staff:
            raise DomainError("请选择参加巡查的社工。", field="staff")
        rules = rescue_call_rules()
        for index, encounter in enumerate(self.encounters or [], start=1):
            check_encounter(encounter, index, rules)


def _minutes(text: str) -> int:
    hours, minutes = (int(x) for x in text.split(":"))
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise DomainError(f"时间格式不正确：{text}（应为 09:30 这样的格式）。", field="start_time")
    return hours * 60 + minutes


def weekly_grid(start: dt.date, end: dt.date, townships: list | None = None, minimum: int | None = None) -> list[dict]:
    """Every ISO week from ``start`` to ``end`` with its patrol count against the minimum."""
    if minimum is None:
        minimum = int(get_rules("visit_policy")["patrol_minimum_per_week"])
    keys = periods_between("week", start, end)
    match = {"week": {"$in": keys}, "voided": False}
    if townships is not None:
        match["township"] = {"$in": list(townships)}
    counts = {row["_id"]: row["n"] for row in Patrol._get_collection().aggregate(
        [{"$match": match}, {"$group": {"_id": "$week", "n": {"$sum": 1}}}])}
    today_key = period_key("week", local_now().date())
    grid = []
    for key in keys:
        first, last = period_bounds("week", key)
        count = counts.get(key, 0)
        status = "met" if count >= minimum else ("open" if key >= today_key else "short")
        grid.append({"key": key, "start": first, "end": last, "count": count, "minimum": minimum,
                     "status": status})
    return grid
