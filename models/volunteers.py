"""Volunteers, their teams, and the hours ledger fed by trainings, events,
patrols and visits. The ledger is derived: each source record rewrites its own
entries when it is saved or voided, so totals are one aggregation."""

from mongoengine import (
    DateTimeField,
    Document,
    FloatField,
    IntField,
    ListField,
    ObjectIdField,
    ReferenceField,
    StringField,
)

from .base import DISTRICT_WIDE, WHOLE_RESULT, TrackedDocument, update_by_ids
from .errors import DomainError
from .periods import period_keys
from .users import User

STATUSES = (("active", "在册"), ("paused", "暂停"), ("left", "已退出"))
SOURCES = (("training", "培训"), ("event", "社区活动"), ("patrol", "街头巡查"), ("visit", "入户探访"))


class VolunteerTeam(TrackedDocument):
    name = StringField(required=True, unique=True, max_length=60, verbose_name="队伍名称")
    leader = StringField(max_length=40, verbose_name="队长")
    founded_on = DateTimeField(verbose_name="成立日期")
    description = StringField(max_length=1000, verbose_name="简介")
    coordinator = ReferenceField(User, verbose_name="联络社工")

    meta = {"collection": "volunteer_teams", "ordering": ["name"]}
    scope_field = DISTRICT_WIDE  # volunteers serve the whole district

    def __str__(self):
        return self.name or "志愿服务队"

    def duplicate_message(self, actor=None):
        return f"已有同名志愿服务队“{self.name}”。"


class Volunteer(TrackedDocument):
    name = StringField(required=True, max_length=40, verbose_name="姓名")
    sex = StringField(choices=(("男", "男"), ("女", "女")), verbose_name="性别")
    phone = StringField(required=True, max_length=20, verbose_name="联系电话")
    teams = ListField(ReferenceField(VolunteerTeam), verbose_name="所属队伍")
    skills = StringField(max_length=200, verbose_name="特长技能")
    organisation = StringField(max_length=80, verbose_name="工作单位/学校")
    joined_on = DateTimeField(verbose_name="加入日期")
    status = StringField(required=True, choices=STATUSES, default="active", verbose_name="状态")
    total_hours = FloatField(default=0, verbose_name="累计服务时数")
    training_hours = FloatField(default=0, verbose_name="累计培训时数")
    #: Bumped by every change of the ledger before the totals are counted again: the totals are
    #: written only if it did not move meanwhile (right across processes, without a lock).
    totals_seq = IntField(default=0, verbose_name="时数计算序号")

    meta = {"collection": "volunteers", "ordering": ["name"], "indexes": ["total_hours", "training_hours", "teams", "status", "phone"]}
    scope_field = DISTRICT_WIDE  # volunteers serve the whole district
    unaudited_fields = frozenset({"total_hours", "training_hours", "totals_seq"})

    def __str__(self):
        return self.name or "志愿者"

    def check_rules(self):
        clash = Volunteer.objects(name=self.name, phone=self.phone, voided=False, pk__ne=self.pk).first()
        if clash is not None:
            raise DomainError(f"已登记过志愿者“{self.name}”（电话 {self.phone}）。", field="phone")


class VolunteerHourEntry(Document):
    """One line of a volunteer's ledger, written by the record it comes from."""

    volunteer = ReferenceField(Volunteer, required=True)
    source = StringField(required=True, choices=SOURCES)
    source_id = ObjectIdField(required=True)
    served_on = DateTimeField(required=True)
    hours = FloatField(required=True)
    activity = StringField()
    year = StringField()

    meta = {"collection": "volunteer_hours", "ordering": ["served_on"], "indexes": ["source_id", ("volunteer", "served_on"), ("source", "served_on")]}
    scope_field = DISTRICT_WIDE  # the volunteers' hour ledger, as the volunteers


def write_ledger(source: str, record, entries: list[tuple]) -> None:
    """Replace the ledger lines of one source record by ``entries``
    ((volunteer id, date, hours, activity), ...). A voided record keeps none."""
    collection = VolunteerHourEntry._get_collection()
    affected = {row["volunteer"] for row in collection.find({"source_id": record.pk}, {"volunteer": 1})}
    collection.delete_many({"source_id": record.pk})
    rows = [] if record.voided else ledger_rows(source, record.pk, entries)
    if rows:
        collection.insert_many(rows)
    affected |= {row["volunteer"] for row in rows}
    refresh_totals(list(affected))


def ledger_rows(source: str, source_id, entries: list[tuple]) -> list[dict]:
    """The stored ledger lines of one source record's ``entries`` (those with a volunteer, a day and hours)."""
    return [{"volunteer": volunteer, "source": source, "source_id": source_id, "served_on": day,
             "hours": float(hours), "activity": activity, "year": period_keys(day)["year"]}
            for volunteer, day, hours, activity in entries if volunteer is not None and day and hours]


#: Countings of a volunteer's totals tried in a row while later ledger changes keep coming in.
TOTAL_ATTEMPTS = 5


class TotalsConflict(RuntimeError):
    """A volunteer's ledger kept changing while their totals were counted."""


def refresh_totals(volunteer_ids: list, attempts: int = TOTAL_ATTEMPTS) -> None:
    """Store each volunteer's total and training hours (for lists and filters), right across
    processes: their sequence is bumped (the ledger changed), read, then the ledger; a total is
    written only where the sequence did not move since, and counted again where it did (up to
    ``attempts`` times, then TotalsConflict leaves the write to the repair)."""
    if not volunteer_ids:
        return
    volunteers = Volunteer._get_collection()
    todo = list(volunteer_ids)
    update_by_ids(volunteers, todo, {"$inc": {"totals_seq": 1}})
    for _ in range(attempts):
        seqs = {row["_id"]: row.get("totals_seq", 0) for row in volunteers.find({"_id": {"$in": todo}},
                                                                             {"totals_seq": 1})}
        totals, training = ledger_totals(todo)
        todo = [volunteer for volunteer in todo if volunteer in seqs and not volunteers.update_one(
            {"_id": volunteer, "totals_seq": seqs[volunteer]},
            {"$set": {"total_hours": round(totals.get(volunteer, 0), 2),
                      "training_hours": round(training.get(volunteer, 0), 2)}}).matched_count]
        if not todo:
            return
    raise TotalsConflict("志愿者时数更新冲突，将自动修复。")


def ledger_totals(volunteer_ids: list) -> tuple[dict, dict]:
    """({volunteer: total hours}, {volunteer: training hours}) from the ledger."""
    collection = VolunteerHourEntry._get_collection()
    # a few volunteers (a saved record): ask for theirs; many (a bulk load): group the whole ledger
    # (the local database checks a long "$in" list element by element for every entry)
    named = {"volunteer": {"$in": volunteer_ids}} if len(volunteer_ids) <= 100 else {}
    totals = {row["_id"]: row["n"] for row in collection.aggregate([
        {"$match": named}, {"$group": {"_id": "$volunteer", "n": {"$sum": "$hours"}}}], batchSize=WHOLE_RESULT)}
    training = {row["_id"]: row["n"] for row in collection.aggregate([
        {"$match": {**named, "source": "training"}},
        {"$group": {"_id": "$volunteer", "n": {"$sum": "$hours"}}}], batchSize=WHOLE_RESULT)}
    return totals, training


def ledger(volunteer_id, year: str | None = None) -> list[VolunteerHourEntry]:
    query = VolunteerHourEntry.objects(volunteer=volunteer_id)
    if year:
        query = query.filter(year=year)
    return list(query.order_by("served_on").batch_size(WHOLE_RESULT))
