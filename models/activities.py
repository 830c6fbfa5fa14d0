"""Community events (社区活动) and trainings (培训): people served and size
class, themes, volunteers and their hours, attendees and township coverage."""

from mongoengine import (
    BooleanField,
    DateTimeField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FileField,
    FloatField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)

from .archives import Archive
from .base import DISTRICT_WIDE, TrackedDocument, ref_id
from .casework import check_hours, condition_query
from .charity import Partner
from .clock import local_today
from .errors import DomainError
from .periods import period_keys
from .reference import ThemeTag, Township
from .rules import compare, get_rules
from .timeline import on_timeline
from .visits import Photo  # noqa: F401  (registers the embedded photo document)
from .volunteers import Volunteer

TARGET_GROUPS = (("children", "儿童"), ("elderly", "老年人"), ("homeless", "流浪乞讨人员"), ("families", "困境家庭"),
                 ("residents", "社区居民"), ("volunteers", "志愿者"), ("mixed", "综合"))
SIZE_LABELS = {"large": "大型（>50人）", "small": "中小型（10–50人）", "none": "不计规模（<10人）"}
AUDIENCES = (("child_workers", "儿童督导员/儿童主任"), ("volunteers", "志愿者"), ("staff_supervision", "一线人员督导"),
             ("other", "其他"))


class EventVolunteer(EmbeddedDocument):
    volunteer = ReferenceField(Volunteer, required=True, verbose_name="志愿者")
    hours = FloatField(required=True, verbose_name="服务时数")

    def __str__(self):
        return f"{getattr(self.volunteer, 'name', '')} {self.hours or 0:g}小时"


def size_class(people_served: int | None) -> str:
    rules = get_rules("service_rules")["events"]
    served = people_served or 0
    if compare(served, rules["large"]):
        return "large"
    if compare(served, rules["small_min"]) and compare(served, rules["small_max"]):
        return "small"
    return "none"


def size_query(kind: str) -> dict:
    rules = get_rules("service_rules")["events"]
    if kind == "large":
        return {"people_served": condition_query(rules["large"])}
    low, high = condition_query(rules["small_min"]), condition_query(rules["small_max"])
    return {"people_served": {**low, **high}}


@on_timeline("participants", "-event_date")
class CommunityEvent(TrackedDocument):
    title = StringField(required=True, max_length=100, verbose_name="活动名称")
    event_date = DateTimeField(required=True, verbose_name="活动日期")
    hours = FloatField(required=True, verbose_name="活动时长（小时）")
    place = StringField(required=True, max_length=120, verbose_name="地点")
    township = ReferenceField(Township, required=True, verbose_name="街道/乡镇")
    target_group = StringField(required=True, choices=TARGET_GROUPS, verbose_name="服务对象")
    themes = ListField(ReferenceField(ThemeTag), verbose_name="主题（节日、节假日、宣传主题）")
    people_served = IntField(required=True, verbose_name="服务人数")
    participants = ListField(ReferenceField(Archive), verbose_name="已建档参与者")
    named_participants = ListField(StringField(max_length=40), verbose_name="其他参与者姓名")
    sign_in_sheet = FileField(collection_name="event_files", verbose_name="签到表扫描件")
    volunteer_activity = BooleanField(default=False, verbose_name="志愿服务队活动")
    volunteers = ListField(EmbeddedDocumentField(EventVolunteer), verbose_name="志愿者及时数")
    partners = ListField(ReferenceField(Partner), verbose_name="合作单位")
    resources = StringField(max_length=500, verbose_name="链接的资源")
    photos = ListField(EmbeddedDocumentField("Photo"), verbose_name="活动照片")
    photo_hashes = ListField(StringField(), verbose_name="照片摘要")  # derived: see services._validate
    summary = StringField(max_length=3000, verbose_name="活动内容与成效")
    year = StringField(verbose_name="年度")
    month = StringField(verbose_name="月份")

    meta = {"collection": "community_events", "ordering": ["-event_date"],
            "indexes": ["target_group", "volunteer_activity", "township", ("-event_date", "-id"), "year", "month", "themes", "participants", "people_served",
                        "photo_hashes", "volunteers.volunteer"]}
    scope_field = "township"
    file_fields = ("sign_in_sheet", "photos.file", "photos.thumbnail")
    unaudited_fields = frozenset({"year", "month"})

    def __str__(self):
        return f"{self.event_date:%Y-%m-%d} {self.title}" if self.event_date else (self.title or "活动")

    def timeline_events(self, person_id) -> list[dict]:
        return [{"at": self.event_date, "kind": "参加社区活动", "text": self.title, "who": self.place}]

    @property
    def size(self) -> str:
        return size_class(self.people_served)

    def prepare(self):
        self.named_participants = [n.strip() for n in self.named_participants or [] if n and n.strip()]
        if self.event_date:
            keys = period_keys(self.event_date)
            self.year, self.month = keys["year"], keys["month"]

    def check_rules(self):
        if self.event_date and self.event_date.date() > local_today():
            raise DomainError("活动日期不能晚于今天（计划中的活动请在举办后登记）。", field="event_date")
        check_hours(self.hours, "活动", "hours")
        if self.people_served is None or self.people_served < 0:
            raise DomainError("服务人数不能为负数。", field="people_served")
        named = len(self.participants or []) + len(self.named_participants or [])
        if self.people_served < named:
            raise DomainError(f"服务人数（{self.people_served}）少于登记的参与者（{named} 人），请核对签到表。",
                              field="people_served")
        seen = set()
        for entry in self.volunteers or []:
            volunteer_id = ref_id(entry._data.get("volunteer"))
            if volunteer_id in seen:
                raise DomainError(f"志愿者“{getattr(entry.volunteer, 'name', '')}”重复登记。", field="volunteers")
            seen.add(volunteer_id)
            check_hours(entry.hours, f"志愿者“{getattr(entry.volunteer, 'name', '')}”的服务", "volunteers")
            if self.hours and entry.hours > self.hours + 4:
                raise DomainError(f"志愿者“{getattr(entry.volunteer, 'name', '')}”的服务时数明显超过活动时长。",
                                  field="volunteers")
        if self.volunteer_activity and not self.volunteers:
            raise DomainError("志愿服务队活动请登记参加的志愿者及时数。", field="volunteers")

    def ledger_entries(self) -> list:
        """The volunteer-hour ledger lines this event credits (models.derived keeps the ledger)."""
        return [(ref_id(v._data.get("volunteer")), self.event_date, v.hours, self.title) for v in self.volunteers or []]


class Attendee(EmbeddedDocument):
    name = StringField(required=True, max_length=40, verbose_name="姓名")
    township = ReferenceField(Township, verbose_name="街道/乡镇")
    role = StringField(max_length=40, verbose_name="身份（儿童督导员、儿童主任等）")
    volunteer = ReferenceField(Volunteer, verbose_name="志愿者（已登记）")

    def __str__(self):
        return f"{self.name}（{self.township or ''}{'，' + self.role if self.role else ''}）"


class Training(TrackedDocument):
    title = StringField(required=True, max_length=100, verbose_name="培训主题")
    training_date = DateTimeField(required=True, verbose_name="培训日期")
    audience = StringField(required=True, choices=AUDIENCES, verbose_name="培训对象")
    hours = FloatField(required=True, verbose_name="时长（小时）")
    trainer = StringField(required=True, max_length=60, verbose_name="授课人/督导")
    place = StringField(max_length=120, verbose_name="地点")
    attendees = ListField(EmbeddedDocumentField(Attendee), verbose_name="参训人员")
    materials = FileField(collection_name="training_files", verbose_name="培训资料")
    photos = ListField(EmbeddedDocumentField("Photo"), verbose_name="培训照片")
    photo_hashes = ListField(StringField(), verbose_name="照片摘要")  # derived: see services._validate
    summary = StringField(max_length=3000, verbose_name="培训内容")
    covered_townships = ListField(ReferenceField(Township), verbose_name="覆盖街道/乡镇")
    attendee_count = IntField(default=0, verbose_name="参训人数")
    year = StringField(verbose_name="年度")
    month = StringField(verbose_name="月份")

    meta = {"collection": "trainings", "ordering": ["-training_date"],
            "indexes": ["audience", ("-training_date", "-id"), "year", "covered_townships", "attendees.volunteer",
                        "photo_hashes"]}
    scope_field = DISTRICT_WIDE  # district trainings of child supervisors and volunteers from several townships; they name no person on file
    file_fields = ("materials", "photos.file", "photos.thumbnail")
    unaudited_fields = frozenset({"covered_townships", "attendee_count", "year", "month"})

    def __str__(self):
        return f"{self.training_date:%Y-%m-%d} {self.title}" if self.training_date else (self.title or "培训")

    def prepare(self):
        townships = []
        for attendee in self.attendees or []:
            township = ref_id(attendee._data.get("township"))
            if township is not None and township not in townships:
                townships.append(township)
        self.covered_townships = townships
        self.attendee_count = len(self.attendees or [])
        if self.training_date:
            keys = period_keys(self.training_date)
            self.year, self.month = keys["year"], keys["month"]

    def check_rules(self):
        if self.training_date and self.training_date.date() > local_today():
            raise DomainError("培训日期不能晚于今天。", field="training_date")
        check_hours(self.hours, "培训", "hours")
        if not self.attendees:
            raise DomainError("请登记参训人员（姓名及所属街道/乡镇）。", field="attendees")
        if self.audience == "child_workers":
            missing = [a.name for a in self.attendees if a.township is None]
            if missing:
                raise DomainError(f"儿童督导员、儿童主任培训须填写参训人员的街道/乡镇：{'、'.join(missing[:5])}。",
                                  field="attendees")
        names = [(a.name, ref_id(a._data.get("township"))) for a in self.attendees]
        if len(set(names)) != len(names):
            raise DomainError("参训人员有重复（同一街道/乡镇同名）。", field="attendees")

    def ledger_entries(self) -> list:
        """The volunteer-hour ledger lines this training credits (models.derived keeps the ledger)."""
        return [(ref_id(a._data.get("volunteer")), self.training_date, self.hours, self.title)
                for a in self.attendees or [] if a._data.get("volunteer") is not None]


def township_coverage(audience: str, year: str) -> dict:
    """Which townships the trainings of an audience reached in a year, and which not."""
    covered = set()
    for row in Training._get_collection().find({"audience": audience, "year": year, "voided": False},
                                               {"covered_townships": 1}):
        covered |= set(row.get("covered_townships") or [])
    townships = list(Township.objects(voided=False).order_by("code"))
    return {"covered": [t for t in townships if t.pk in covered], "missing": [t for t in townships if t.pk not in covered],
            "trainings": Training.objects(audience=audience, year=year, voided=False).count()}
