"""The record of a visit: who was visited, how, what was found, the photo evidence; whether
it counts as a home visit and the volunteer hours it credits (both from the rule sets)."""

import datetime as dt

from mongoengine import (
    DateTimeField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FileField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)

from ..archives import RISK_LABELS, RISK_LEVELS, Archive, ChildArchive
from ..base import TrackedDocument, ref_id
from ..clock import local_now
from ..errors import DomainError
from ..periods import period_keys
from ..reference import Township
from ..rules import get_rules
from ..services import snapshot, update_record
from ..timeline import on_timeline
from ..users import User
from ..volunteers import Volunteer

VISIT_MODES = (("home", "入户"), ("phone", "电话"), ("video", "视频"), ("school", "在校"), ("other", "其他"))
MODE_LABELS = dict(VISIT_MODES)
CONTACT = (("made", "已见到本人/家属"), ("attempted", "未见到（仅尝试）"))
PHOTO_COLLECTION = "visit_photos"
THUMBNAIL_SIZE = (320, 320)


class Photo(EmbeddedDocument):
    file = FileField(collection_name=PHOTO_COLLECTION, verbose_name="照片")
    # a list page shows thumbnails: showing one is not a download (no audit entry for it)
    thumbnail = FileField(collection_name=PHOTO_COLLECTION, verbose_name="缩略图", audited=False)
    filename = StringField(verbose_name="文件名")
    content_type = StringField()
    size = IntField(verbose_name="大小", audited=False)  # bookkeeping: not shown in the audit trail
    sha256 = StringField(verbose_name="摘要", audited=False)
    taken_at = DateTimeField(verbose_name="拍摄时间")
    duplicate_of = StringField(verbose_name="与其他探访重复的照片", audited=False)

    def __str__(self):
        return self.filename or "照片"


@on_timeline("people", "-visited_at", kept_in_summary="recent_visits")
class Visit(TrackedDocument):
    people = ListField(ReferenceField(Archive), verbose_name="探访对象")
    township = ReferenceField(Township, verbose_name="街道/乡镇")
    visited_at = DateTimeField(required=True, verbose_name="探访时间")
    mode = StringField(required=True, choices=VISIT_MODES, default="home", verbose_name="方式")
    contact = StringField(required=True, choices=CONTACT, default="made", verbose_name="是否见到")
    visitors = ListField(ReferenceField(User), verbose_name="探访社工")
    volunteers = StringField(max_length=200, verbose_name="其他志愿者（未登记）")
    volunteer_members = ListField(ReferenceField(Volunteer), verbose_name="登记的志愿者（计入志愿时数）")
    living = StringField(verbose_name="生活状况")
    guardianship = StringField(verbose_name="监护/照料情况")
    safety = StringField(verbose_name="安全情况")
    health = StringField(verbose_name="身体健康")
    school_life = StringField(verbose_name="学习或日常生活")
    needs = StringField(verbose_name="需求")
    notes = StringField(verbose_name="探访记录")
    findings = StringField(verbose_name="发现的问题")
    suggested_risk = StringField(choices=RISK_LEVELS, verbose_name="建议调整风险等级")
    follow_up = StringField(verbose_name="后续跟进")
    photos = ListField(EmbeddedDocumentField(Photo), verbose_name="照片")
    photo_hashes = ListField(StringField(), verbose_name="照片摘要")  # derived: see services._validate
    counts_as_home_visit = StringField(verbose_name="计入入户探访")
    year = StringField(verbose_name="年度")
    quarter = StringField(verbose_name="季度")
    month = StringField(verbose_name="月份")
    week = StringField(verbose_name="周次")
    day = StringField(verbose_name="日期")

    meta = {
        "collection": "visits",
        # records of earlier versions may still hold the "period|person" lists once grouped on
        # (removed: counting reads the visits, see visit_counts); sync-indexes removes them
        "strict": False,
        "ordering": ["-visited_at"],
        "indexes": ["mode", "contact", "people", "township", ("-visited_at", "-id"), "week", "month", "quarter", "year", "day", "visitors",
                    ("counts_as_home_visit", "visited_at"), "photo_hashes"],
    }
    scope_field = "township"
    file_fields = ("photos.file", "photos.thumbnail")
    unaudited_fields = frozenset({"year", "quarter", "month", "week", "day", "counts_as_home_visit"})

    def __str__(self):
        when = self.visited_at.strftime("%Y-%m-%d") if self.visited_at else ""
        return f"{when} {MODE_LABELS.get(self.mode, '')}探访"

    def prepare(self):
        self.set_period_keys()
        self.counts_as_home_visit = counts_as_home_visit(self.mode, self.contact)
        if self.people and not self.township:
            first = self.people[0]
            self.township = first.township if hasattr(first, "township") else None

    def timeline_events(self, person_id) -> list[dict]:
        return [visit_event(self.to_mongo())]

    def set_period_keys(self):
        if not self.visited_at:
            return
        for name, key in period_keys(self.visited_at).items():
            setattr(self, name, key)
        self.day = self.visited_at.strftime("%Y-%m-%d")

    def ledger_entries(self) -> list:
        """The volunteer-hour ledger lines this visit credits (models.derived keeps the ledger)."""
        return visit_ledger_entries(self.visited_at, self.mode, [ref_id(v) for v in self._data.get("volunteer_members") or []])

    def check_rules(self):
        if not self.people:
            raise DomainError("请选择探访对象。", field="people")
        if self.visited_at and self.visited_at > local_now() + dt.timedelta(minutes=5):
            raise DomainError("探访时间不能晚于现在。", field="visited_at")
        for person in self.people:
            if getattr(person, "status", "active") != "active" or getattr(person, "voided", False):
                raise DomainError(f"“{person.name}”的档案已结案、转出或作废，不能再登记探访。", field="people")
        if self.mode == "home" and self.contact == "made" and not self.photos:
            raise DomainError("入户探访请至少上传一张照片。", field="photo_upload")
        township_ids = {ref_id(p._data.get("township")) for p in self.people}
        if len(township_ids) > 1:
            raise DomainError("一次探访登记只能选同一街道/乡镇的对象（同一户）。", field="people")


def counts_as_home_visit(mode: str | None, contact: str | None, modes: list | None = None) -> str:
    """"yes" when a visit counts as a home visit: a counting mode of the visit policy, contact made."""
    modes = get_rules("visit_policy")["counting_modes"] if modes is None else modes
    return "yes" if (mode in modes and contact == "made") else "no"


def visit_ledger_entries(visited_at, mode: str | None, volunteer_ids: list, hours: float | None = None) -> list:
    """The volunteer-hour ledger lines of one visit: each registered volunteer, the rule's hours."""
    if hours is None:
        hours = float(get_rules("service_rules")["visit_volunteer_hours"])
    return [(volunteer, visited_at, hours, f"协助{MODE_LABELS.get(mode, '')}探访") for volunteer in volunteer_ids]




def request_risk_review(visit: Visit, actor) -> list:
    """A visit that suggests another risk level opens a reassessment task on the child."""
    flagged = []
    if not visit.suggested_risk:
        return flagged
    for person in visit.people:
        if not isinstance(person, ChildArchive) or person.risk_level == visit.suggested_risk:
            continue
        fresh = ChildArchive.objects(pk=person.pk).first()
        before = snapshot(fresh)
        fresh.risk_review_requested = (f"{visit.visited_at:%Y-%m-%d} 探访建议调整为{RISK_LABELS[visit.suggested_risk]}："
                                       f"{(visit.findings or '').strip()[:100]}")
        update_record(fresh, before, fresh.version, actor)
        flagged.append(fresh)
    return flagged




VISIT_EVENT_FIELDS = {"visited_at": 1, "mode": 1, "counts_as_home_visit": 1, "voided": 1, "notes": 1, "findings": 1,
                      "living": 1, "photos": 1, "people": 1}


def visit_event(stored: dict) -> dict:
    """How one visit (as stored) reads on a person's timeline."""
    counted = "（计入入户）" if stored.get("counts_as_home_visit") == "yes" else ""
    return {"at": stored.get("visited_at"), "kind": f"{MODE_LABELS.get(stored.get('mode'), '')}探访{counted}",
            "text": (stored.get("notes") or stored.get("findings") or stored.get("living") or "")[:80],
            "who": f"照片 {len(stored.get('photos') or [])} 张", "record_id": stored.get("_id")}


#: The one rule of a counted visit, as a database condition and (``is_counted``) as a test of a stored visit.


RETIRED_FIELDS = ("week_people", "month_people", "quarter_people", "year_people")


def drop_retired_fields() -> int:
    """Remove from stored visits the fields no longer kept (an upgrade step): the visits changed."""
    return Visit._get_collection().update_many({RETIRED_FIELDS[0]: {"$exists": True}},
                                              {"$unset": dict.fromkeys(RETIRED_FIELDS, "")}).modified_count
