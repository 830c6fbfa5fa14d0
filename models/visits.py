"""Visits: the record of a visit with its photo evidence, and the cadence the
contract sets (visit policy as data): who is due in which period, who was
visited, who was missed."""

import datetime as dt
import hashlib
import io

from bson import ObjectId
from mongoengine import (
    DateTimeField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FileField,
    IntField,
    ListField,
    ObjectIdField,
    ReferenceField,
    StringField,
)

from .archives import RISK_LEVELS, Archive
from .base import WHOLE_RESULT, TrackedDocument, ref_id
from .clock import local_now, local_today
from .errors import DomainError
from .files import base_name, check_upload
from .periods import period_bounds, period_key, period_keys, periods_between
from .reference import Township
from .rules import cached, get_rules
from .summaries import SUMMARY_LENGTH, set_recent_visits
from .timeline import on_timeline
from .users import User
from .volunteers import Volunteer

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


@on_timeline("people", "visit", "-visited_at", kept_in_summary="recent_visits")
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


# ---------------------------------------------------------------- photos


def read_exif_time(image) -> dt.datetime | None:
    try:
        exif = image.getexif()
        raw = exif.get(36867) or exif.get_ifd(0x8769).get(36867) or exif.get(306)
    except Exception:
        return None
    if not raw:
        return None
    try:
        return dt.datetime.strptime(str(raw).strip("\x00"), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def add_photo(visit, data: bytes, filename: str, max_bytes: int) -> Photo:
    """Check an image, keep it with a thumbnail and its EXIF time, flag reuse
    (the same picture already kept on another record of the same kind)."""
    from mongoengine.fields import GridFSProxy
    from PIL import Image

    content_type = check_upload(data, filename, max_bytes, images_only=True, field="photo_upload")
    filename = base_name(filename)
    digest = hashlib.sha256(data).hexdigest()
    with Image.open(io.BytesIO(data)) as image:
        taken_at = read_exif_time(image)
        image.thumbnail(THUMBNAIL_SIZE)
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="JPEG", quality=80)
    original = GridFSProxy(collection_name=PHOTO_COLLECTION)
    original.put(data, filename=filename, content_type=content_type)
    thumbnail = GridFSProxy(collection_name=PHOTO_COLLECTION)
    thumbnail.put(buffer.getvalue(), filename=f"thumb-{filename}", content_type="image/jpeg")
    earlier = type(visit).objects(photo_hashes=digest, voided=False)
    if visit.pk:
        earlier = earlier.filter(pk__ne=visit.pk)
    earlier = earlier.only("id").first()
    photo = Photo(file=original, thumbnail=thumbnail, filename=filename, content_type=content_type, size=len(data),
                  sha256=digest, taken_at=taken_at, duplicate_of=str(earlier.pk) if earlier else None)
    visit.photos = [*list(visit.photos or []), photo]
    return photo


def request_risk_review(visit: Visit, actor) -> list:
    """A visit that suggests another risk level opens a reassessment task on the child."""
    from .archives import RISK_LABELS, ChildArchive
    from .services import snapshot, update_record

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


def discard_photos(visit: Visit, keep: set) -> None:
    """Remove the GridFS files of photos added to a save that was refused."""
    for photo in visit.photos or []:
        if photo.file and photo.file.grid_id not in keep:
            photo.file.delete()
            if photo.thumbnail:
                photo.thumbnail.delete()


# ---------------------------------------------------------------- policy and compliance


def policies() -> list[dict]:
    return get_rules("visit_policy")["policies"]


def policy(code: str) -> dict:
    for item in policies():
        if item["code"] == code:
            return item
    raise DomainError(f"探访规则“{code}”不存在（可能已在“业务规则”中改名或删除）。")


def register_policy() -> dict:
    """The policy the elderly register prints, named in the visit policy (``register_policy``)."""
    from .rules import seed_rules

    code = get_rules("visit_policy").get("register_policy") or seed_rules("visit_policy")["register_policy"]
    return policy(code)


KIND_CLASS = {"child": "Archive.ChildArchive", "elderly": "Archive.ElderlyArchive",
              "homeless": "Archive.HomelessArchive"}


def _category_ids(codes: list[str]) -> list[ObjectId]:
    """Category ids by code, kept as long as the rule sets (models.rules, RULES_CACHE_SECONDS):
    a page asks for several policies. Saving a category forgets them (PersonCategory.after_write)."""
    from .reference import PersonCategory

    if not codes:
        return []
    key = tuple(sorted(codes))
    return cached("categories", key,
                  lambda: [c.pk for c in PersonCategory.objects(code__in=list(codes)).only("id")])


def cohort_filter(item: dict, townships: list | None = None) -> dict:
    """The raw filter of the people a policy covers today."""
    query = {"_cls": KIND_CLASS[item["kind"]], "status": "active", "voided": False}
    if item.get("risk_levels"):
        query["risk_level"] = {"$in": list(item["risk_levels"])}
    if item.get("categories"):
        query["categories"] = {"$in": _category_ids(item["categories"])}
    if townships is not None:
        query["township"] = {"$in": list(townships)}
    return query


def in_cohort(archive: dict, raw: dict) -> bool:
    """Whether a stored archive (as read from the collection) matches a ``cohort_filter``."""
    if archive.get("_cls") != raw["_cls"] or archive.get("status") != raw["status"] or archive.get("voided"):
        return False
    if "risk_level" in raw and archive.get("risk_level") not in raw["risk_level"]["$in"]:
        return False
    if "categories" in raw and not set(archive.get("categories") or []) & set(raw["categories"]["$in"]):
        return False
    return "township" not in raw or archive.get("township") in raw["township"]["$in"]


class VisitTally(Document):
    """Counted home visits per month and township, kept by the visit service on every
    write, so that the contract's visit count needs no read of the visits."""

    month = StringField(required=True)
    township = ObjectIdField()
    count = IntField(default=0)

    meta = {"collection": "visit_tallies", "indexes": [("month", "township")]}
    scope_field = "township"  # counts of one township's visits


def tally_slot(stored: dict | None) -> tuple | None:
    """The (month, township) a stored visit counts in, or None when it does not count."""
    if not stored or stored.get("voided") or stored.get("counts_as_home_visit") != "yes":
        return None
    return stored.get("month"), stored.get("township")


def move_tally(before: tuple | None, after: tuple | None) -> None:
    """One visit moved from the tally slot ``before`` to ``after`` (None: counted nowhere)."""
    if before == after:
        return
    collection = VisitTally._get_collection()
    for slot, step in ((before, -1), (after, 1)):
        if slot is not None:
            collection.update_one({"month": slot[0], "township": slot[1]}, {"$inc": {"count": step}}, upsert=True)


def rebuild_visit_tallies() -> int:
    """Count every counted visit again into the tallies (after a bulk load or an upgrade)."""
    counts: dict = {}
    for visit in Visit._get_collection().find({"counts_as_home_visit": "yes", "voided": False},
                                              {"month": 1, "township": 1}, batch_size=WHOLE_RESULT):
        slot = (visit.get("month"), visit.get("township"))
        counts[slot] = counts.get(slot, 0) + 1
    collection = VisitTally._get_collection()
    collection.delete_many({})
    if counts:
        collection.insert_many([{"month": m, "township": t, "count": n} for (m, t), n in counts.items()])
    return sum(counts.values())


def tallied_visits(months: list[str], townships: list | None = None) -> list[dict]:
    """The tallies of ``months`` (in the given townships): [{month, township, count}]."""
    match: dict = {"month": {"$in": months}, "count": {"$gt": 0}}
    if townships is not None:
        match["township"] = {"$in": list(townships)}
    return list(VisitTally._get_collection().find(match, {"_id": 0}, batch_size=WHOLE_RESULT))


VISIT_EVENT_FIELDS = {"visited_at": 1, "mode": 1, "counts_as_home_visit": 1, "notes": 1, "findings": 1, "living": 1,
                      "photos": 1, "people": 1}


def visit_event(stored: dict) -> dict:
    """How one visit (as stored) reads on a person's timeline."""
    counted = "（计入入户）" if stored.get("counts_as_home_visit") == "yes" else ""
    return {"at": stored.get("visited_at"), "kind": f"{MODE_LABELS.get(stored.get('mode'), '')}探访{counted}",
            "text": (stored.get("notes") or stored.get("findings") or stored.get("living") or "")[:80],
            "who": f"照片 {len(stored.get('photos') or [])} 张", "record_id": stored.get("_id")}


#: The one rule of a counted visit, as a database condition and (``is_counted``) as a test of a stored visit.
COUNTED = {"counts_as_home_visit": "yes", "voided": False}


def is_counted(stored: dict) -> bool:
    """Whether a stored visit counts towards the visit policy (``COUNTED``)."""
    return stored.get("counts_as_home_visit") == "yes" and not stored.get("voided")


def meets(item: dict, count: int) -> bool:
    """Whether ``count`` counted visits in one period meet the policy ``item``."""
    return count >= int(item["visits_required"])


PERIODS = ("week", "month", "quarter", "year")


def count_visits(visits, periods: tuple = PERIODS) -> dict[tuple, int]:
    """{(period key, person id): counted visits} from stored visits: the one count of "visited
    in this period", behind the schedule's marks, the compliance page and the indicators alike.
    Each person of a visit's ``people`` is counted (one visit to a household counts for each)."""
    counts: dict = {}
    for visit in visits:
        if not is_counted(visit):
            continue
        for person in visit.get("people") or ():
            for period in periods:
                key = visit.get(period)
                if key:
                    counts[(key, person)] = counts.get((key, person), 0) + 1
    return counts


def period_counts(visits, people: list) -> dict:
    """{person: {period key: counted visits}} for each of ``people`` (``count_visits``, by person)."""
    tallies: dict = {person: {} for person in people}
    for (key, person), count in count_visits(visits).items():
        if person in tallies:
            tallies[person][key] = count
    return tallies


def recent_visit_events(visits) -> dict:
    """{person id: the latest SUMMARY_LENGTH visit events, newest first} from stored visits."""
    by_person: dict = {}
    newest_first = sorted(visits, key=lambda v: (v.get("visited_at") or dt.datetime.min, str(v.get("_id", ""))),
                          reverse=True)
    for stored in newest_first:
        for person in stored.get("people") or ():
            events = by_person.setdefault(person, [])
            if len(events) < SUMMARY_LENGTH:
                events.append(visit_event(stored))
    return by_person


def visit_tags(period_counts: dict[str, int]) -> list[str]:
    """Tags for an archive's ``visited_periods``: "K" once visited in period K, and "K#2" up to
    "K#n" for n visits (no cap: a policy asking for n visits finds "K#n" only after n visits)."""
    tags = []
    for key, count in period_counts.items():
        tags.append(key)
        tags.extend(f"{key}#{n}" for n in range(2, count + 1))
    return sorted(tags)


def last_counted_visits(visits) -> dict:
    """{person id: the time of their latest counted home visit} from stored visits."""
    latest: dict = {}
    for visit in visits:
        if visit.get("counts_as_home_visit") != "yes" or not visit.get("visited_at"):
            continue
        for person in visit.get("people") or ():
            if person not in latest or latest[person] < visit["visited_at"]:
                latest[person] = visit["visited_at"]
    return latest


def not_visited_filter(period: str, day: dt.date | None = None) -> dict:
    """The raw condition of archives with no counted home visit in the current ``period``
    (this week, month, quarter, year): one condition on the visit marks, which an index answers."""
    return {"visited_periods": {"$ne": current_key(period, day)}}


def refresh_visit_marks(person_ids: list | None = None) -> int:
    """Recompute ``visited_periods`` and ``last_visited_at`` on archives and the latest visits in their
    summaries from their visits (all archives with visits when ``person_ids`` is
    None): one read of those visits and two writes per person (bulk_write is not
    in mongomock's reach)."""
    match = {"voided": False}
    if person_ids is not None:
        if not person_ids:
            return 0
        match["people"] = {"$in": list(person_ids)}
    fields = {**VISIT_EVENT_FIELDS, "week": 1, "month": 1, "quarter": 1, "year": 1}
    visits = list(Visit._get_collection().find(match, fields, batch_size=WHOLE_RESULT))
    recent = recent_visit_events(visits)
    tallies = period_counts(visits, person_ids if person_ids is not None else list(recent))
    latest = last_counted_visits(visits)
    collection = Archive._get_collection()
    stored = {}
    if person_ids is None:  # recomputing everything: write only the marks that changed (one read of them)
        stored = {row["_id"]: (row.get("visited_periods") or [], row.get("last_visited_at")) for row in
                  collection.find({}, {"visited_periods": 1, "last_visited_at": 1}, batch_size=WHOLE_RESULT)}
        tallies.update({pid: {} for pid, (tags, last) in stored.items() if (tags or last) and pid not in tallies})
    for pid, counts in tallies.items():  # one per person: a visit holds one household
        tags = visit_tags(counts)
        if person_ids is None and stored.get(pid, ([], None)) == (tags, latest.get(pid)):
            continue
        collection.update_one({"_id": pid}, {"$set": {"visited_periods": tags, "last_visited_at": latest.get(pid)}})
    set_recent_visits({pid: recent.get(pid, []) for pid in tallies})
    return len(tallies)


def tag_for(item: dict, key: str) -> str:
    """The mark of an archive visited enough in period ``key`` under the policy ``item``."""
    required = int(item["visits_required"])
    return key if required <= 1 else f"{key}#{required}"


def visit_counts(period: str, keys: list[str] | None = None, person_ids: list | None = None) -> dict[tuple, int]:
    """{(period key, person id): counted visits} of the periods ``keys`` of ``period`` (every
    one when None): the counted visits read once, only the fields counted, then ``count_visits``.
    (Reading them is about ten times faster on the local database than grouping them there.)"""
    match = dict(COUNTED)
    if keys is not None:
        match[period] = {"$in": list(keys)}
    if person_ids is not None:
        match["people"] = {"$in": list(person_ids)}
    rows = Visit._get_collection().find(match, {"people": 1, period: 1, "counts_as_home_visit": 1, "voided": 1},
                                        batch_size=WHOLE_RESULT)
    counts = count_visits(rows, (period,))
    if person_ids is not None:  # a visit to a household also counts for its other people
        wanted = set(person_ids)
        counts = {slot: n for slot, n in counts.items() if slot[1] in wanted}
    return counts


def visit_counts_in(keys: dict[str, list[str]]) -> dict[str, dict[tuple, int]]:
    """{period: {(period key, person id): counted visits}} for the keys ``keys[period]`` of each
    kind of period, from one read of the counted visits their days span (``count_visits``): the
    indicators ask every kind at once, and the local database's cost is per visit read."""
    spans = [period_bounds(period, key) for period, listed in keys.items() for key in (listed[:1] + listed[-1:])]
    result: dict = {period: {} for period in keys}
    if not spans:
        return result
    low = dt.datetime.combine(min(first for first, _ in spans), dt.time())
    high = dt.datetime.combine(max(last for _, last in spans), dt.time.max)
    rows = Visit._get_collection().find({**COUNTED, "visited_at": {"$gte": low, "$lte": high}},
                                        {"people": 1, "counts_as_home_visit": 1, "voided": 1, **dict.fromkeys(keys, 1)},
                                        batch_size=WHOLE_RESULT)
    wanted = {period: set(listed) for period, listed in keys.items()}
    for (key, person), count in count_visits(rows, tuple(keys)).items():
        for period, listed in wanted.items():
            if key in listed:
                result[period][(key, person)] = count
    return result


UNASSIGNED = "none"  # the ``worker`` of the people no worker is assigned to


def due_filter(item: dict, key: str, townships: list | None = None, worker=None) -> dict:
    """The raw filter of archives due in the period ``key`` and not yet visited enough."""
    raw = cohort_filter(item, townships)
    _, end = period_bounds(item["period"], key)
    # an archive with no archive date is due as soon as the policy covers it
    raw["$or"] = [{"archive_date": {"$lte": dt.datetime.combine(end, dt.time.max)}}, {"archive_date": None}]
    raw["visited_periods"] = {"$ne": tag_for(item, key)}
    if worker is not None:
        raw["worker"] = None if worker == UNASSIGNED else worker
    return raw


def due_query(item: dict, key: str, townships: list | None = None, worker=None):
    """Archives due in the period ``key`` and not yet visited enough (a queryset)."""
    return Archive.objects(__raw__=due_filter(item, key, townships, worker))


SCHEDULE_FIELDS = {"_cls": 1, "name": 1, "township": 1, "community": 1, "worker": 1, "archive_date": 1, "status": 1,
                   "risk_level": 1, "categories": 1, "visited_periods": 1}


def schedule(item: dict, key: str, townships: list | None = None, worker=None, page: int = 0,
             page_size: int | None = None) -> dict:
    """The schedule of one policy and period: the people due and not yet visited (by
    township and name; one page of them when ``page_size`` is given), how many they are,
    whether each listed person was missed in the previous period, the workload per worker
    and per township, and the number due under every policy in its current period. Each
    figure is one question to the database on ``due_filter`` (a count, a group, the listed
    rows), which its indexes answer; nothing reads the whole cohort."""
    from .periods import previous_period

    collection = Archive._get_collection()
    due_match = due_filter(item, key, townships)
    load = {}
    for field_name in ("worker", "township"):
        rows = collection.aggregate([{"$match": due_match}, {"$group": {"_id": f"${field_name}", "due": {"$sum": 1}}}])
        load[field_name] = sorted(({"id": row["_id"], "due": row["due"]} for row in rows),
                                  key=lambda r: (-r["due"], str(r["id"] or "")))
    listed = due_filter(item, key, townships, worker)
    total = sum(r["due"] for r in load["township"]) if worker is None else collection.count_documents(listed)
    cursor = collection.find(listed, SCHEDULE_FIELDS, batch_size=page_size or WHOLE_RESULT).sort(
        [("township", 1), ("name", 1), ("_id", 1)])
    if page_size:
        cursor = cursor.skip(min(max(page, 0) * page_size, total)).limit(page_size)  # past the end: an empty page
    due = list(cursor)
    previous = previous_period(item["period"], key)
    missed_last = {a["_id"] for a in due if tag_for(item, previous) not in (a.get("visited_periods") or [])}
    summary = []
    for other in policies():
        other_key = current_key(other["period"])
        summary.append({"policy": other, "key": other_key,
                        "due": collection.count_documents(due_filter(other, other_key, townships))})
    return {"due": due, "total": total, "missed_last": missed_last, "previous": previous, "workload": load,
            "summary": summary}


def compliance(item: dict, start: dt.date, end: dt.date, townships: list | None = None,
               archives: list | None = None, history: dict | None = None, counts: dict | None = None) -> list[dict]:
    """Per period from ``start`` to ``end``: people due, visited, share, and the misses.

    A person is due in a period when the policy covers them at the end of that
    period (for child risk levels: the level in force then, from the assessment
    history) and their archive existed by then. A caller measuring several
    policies at once passes the archives, the assessment history and the visit
    counts it has already read (each is read once instead of once per policy)."""
    from .assessments import RiskAssessment

    period = item["period"]
    keys = periods_between(period, start, end)
    raw = cohort_filter(item, townships)
    levels = list(item.get("risk_levels") or [])
    if levels:
        raw.pop("risk_level")  # judged period by period from the history below
    if archives is None:
        people = list(Archive._get_collection().find(raw, {"name": 1, "archive_date": 1, "risk_level": 1, "worker": 1,
                                                            "township": 1}, batch_size=WHOLE_RESULT))
    else:
        people = [a for a in archives if in_cohort(a, raw)]
    if history is None:
        history = {}
        if levels and people:
            for assessment in RiskAssessment._get_collection().find(
                    {"person": {"$in": [p["_id"] for p in people]}, "voided": False},
                    {"person": 1, "assessed_on": 1, "final_level": 1}, batch_size=WHOLE_RESULT).sort([("assessed_on", 1), ("_id", 1)]):
                history.setdefault(assessment["person"], []).append((assessment["assessed_on"],
                                                                     assessment["final_level"]))
    if counts is None:
        counts = visit_counts(period, keys)  # all visits of those periods: filtering by thousands of people costs more
    today = local_today()
    result = []
    for key in keys:
        period_start, period_end = period_bounds(period, key)
        judge_day = min(period_end, today)
        cutoff = dt.datetime.combine(judge_day, dt.time.max)
        due, missed = [], []
        for person in people:
            if person.get("archive_date") and person["archive_date"] > dt.datetime.combine(period_end, dt.time.max):
                continue
            if levels:
                level = _level_on(history.get(person["_id"]), cutoff, person.get("risk_level"))
                if level not in levels:
                    continue
            due.append(person)
            if not meets(item, counts.get((key, person["_id"]), 0)):
                missed.append(person)
        visited = len(due) - len(missed)
        missed_ids = {id(person) for person in missed}
        result.append({"key": key, "start": period_start, "end": period_end, "due": len(due), "visited": visited,
                       "required": int(item["visits_required"]),
                       "counted": {person["_id"]: counts.get((key, person["_id"]), 0) for person in missed},
                       "share": (visited / len(due)) if due else None, "missed": missed,
                       "met": [person for person in due if id(person) not in missed_ids],
                       "current": period_start <= today <= period_end})
    return result


def _level_on(history, cutoff, current):
    if not history:
        return current
    level = None
    for assessed_on, final_level in history:
        if assessed_on <= cutoff:
            level = final_level
    return level if level is not None else history[0][1]


def current_key(period: str, day: dt.date | None = None) -> str:
    return period_key(period, day or local_today())


def due_soon(until: dt.date, townships: list | None, worker, limit: int) -> list[dict]:
    """The people ``worker`` still has to visit in a current period that ends by ``until``
    (the week's end for a start page), soonest end first, then by name: each a dict of the
    archive's ``id``, ``name``, the ``policy`` and the period's last day ``ends``. A person due
    under two policies is listed once, by the sooner end. One read per policy, each at most
    ``limit`` rows."""
    found: dict = {}
    collection = Archive._get_collection()
    for item in policies():
        key = current_key(item["period"])
        end = period_bounds(item["period"], key)[1]
        if end > until:
            continue
        rows = collection.find(due_filter(item, key, townships, worker), {"name": 1}).sort(
            [("name", 1), ("_id", 1)]).limit(limit)
        for row in rows:
            if row["_id"] not in found or end < found[row["_id"]]["ends"]:
                found[row["_id"]] = {"id": row["_id"], "name": row.get("name") or "", "policy": item, "ends": end}
    return sorted(found.values(), key=lambda r: (r["ends"], r["name"], str(r["id"])))[:limit]


#: Fields visits of earlier versions stored and no read needs any more (removed by ``drop_retired_fields``).
RETIRED_FIELDS = ("week_people", "month_people", "quarter_people", "year_people")


def drop_retired_fields() -> int:
    """Remove from stored visits the fields no longer kept (an upgrade step): the visits changed."""
    return Visit._get_collection().update_many({RETIRED_FIELDS[0]: {"$exists": True}},
                                              {"$unset": dict.fromkeys(RETIRED_FIELDS, "")}).modified_count
