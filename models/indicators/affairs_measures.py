"""The measures of the volunteers and of the other work: trained volunteers and their
activities, media articles, the subsidy spot checks, hospital accompaniment, adoption
assessments and the staffing rules."""

import datetime as dt
from collections import Counter

from ..accompaniment import Accompaniment, eligible_categories, ineligibility
from ..activities import CommunityEvent
from ..base import WHOLE_RESULT, ref_id
from ..loading import related
from ..other_work import AdoptionAssessment, MediaArticle
from ..rules import get_rules
from ..staffing import StaffMember, staffing_check
from ..subsidy import SpotCheck, check_shares
from ..volunteers import Volunteer, VolunteerHourEntry
from .engine import count_measure, grouped, measures
from .evidence import Evidence, entry


@measures("volunteers.trained")
def _volunteers_trained(m, indicator, scope):
    minimum = float(indicator.parameters().get("min_hours", 2))
    hours = grouped(VolunteerHourEntry, {"source": "training", **scope.between("served_on")}, "volunteer", "$hours")
    trained = [vid for vid, total in hours.items() if round(total, 2) >= minimum]
    m.achieved = len(trained)
    m.evidence = Evidence(Volunteer, {"_id": {"$in": trained}}, "name", "joined_on", part_field=None)
    m.counted = len(trained)
    short = [vid for vid, total in hours.items() if round(total, 2) < minimum]
    names = {v.pk: v for v in Volunteer.objects(pk__in=short)}
    m.near_misses = [(names[vid], f"培训 {hours[vid]:g} 小时，须不少于 {minimum:g} 小时") for vid in short
                     if vid in names]


@measures("volunteers.activities")
def _volunteer_activities(m, indicator, scope):
    minimum = float(indicator.parameters().get("min_hours", 2))
    count_measure(m, CommunityEvent, {"volunteer_activity": True, "hours": {"$gte": minimum}}, scope, "event_date")
    short = {"volunteer_activity": True, "hours": {"$lt": minimum}}
    m.near_misses = [(e, f"时长 {e.hours:g} 小时，须不少于 {minimum:g} 小时")
                     for e in scope.records(CommunityEvent, "event_date", short)]


@measures("media.articles")
def _media(m, indicator, scope):
    levels = indicator.parameters().get("levels", ["city", "province", "national"])
    count_measure(m, MediaArticle, {"level": {"$in": levels}}, scope, "published_on", township_field=None)
    m.near_misses = [(a, "区级媒体，不计入") for a in scope.records(MediaArticle, "published_on",
                                                                  {"level": {"$nin": levels}}, township_field=None)]


@measures("subsidy.onsite_check", "subsidy.quality_check")
def _subsidy(m, indicator, scope):
    kind = indicator.parameters().get("kind", "assessment")
    start, until = dt.datetime.combine(scope.start, dt.time()), dt.datetime.combine(scope.until, dt.time.max)
    shares = check_shares(kind, start, until)
    m.achieved = round(shares["share"] * 100, 2)
    m.items = [{"label": "服务期内总数", "count": shares["population"], "done": True},
               {"label": "已核查", "count": shares["checked"], "done": shares["checked"] > 0}]
    m.item_title = "核查数量"
    m.evidence = Evidence(SpotCheck, scope.scoped({"item": {"$in": shares["item_ids"]}, "checked_on": {"$ne": None}}),
                          "-checked_on", "checked_on", part_field=None)
    m.counted = shares["checked"]


@measures("accompaniment.rules")
def _accompaniment(m, indicator, scope):
    rules = get_rules("service_rules")["accompaniment"]
    match = scope.scoped(scope.between("start_date"))
    records = related(Accompaniment.objects(__raw__=match).order_by("start_date").batch_size(WHOLE_RESULT))
    violations = []
    per_person: Counter = Counter()
    categories = eligible_categories()
    for record in records:
        refusal = ineligibility(record.person, categories)  # recorded before the rule was checked
        if refusal:
            violations.append((record, refusal))
        per_person[(ref_id(record._data.get("person")), record.year)] += 1
        if (record.days or 0) > int(rules["max_days"]):
            violations.append((record, f"陪护 {record.days} 天，超过 {rules['max_days']} 天"))
        if per_person[(ref_id(record._data.get("person")), record.year)] > int(rules["per_person_per_year"]):
            violations.append((record, f"同一人年内超过 {rules['per_person_per_year']} 次"))
        at_once = [r for r in records if r is not record and r.start_date <= record.start_date <= r.end_date]
        if len(at_once) + 1 > int(rules["max_concurrent"]):
            violations.append((record, f"{record.start_date:%Y-%m-%d} 同时陪护 {len(at_once) + 1} 人"))
    bad = {id(record) for record, _ in violations}
    m.achieved = round((len(records) - len(bad)) * 100 / len(records), 1) if records else 100.0
    m.near_misses = violations
    kept = [record for record in reversed(records) if id(record) not in bad]
    m.evidence = Evidence(Accompaniment, match,
                          entries=[entry(str(r), Accompaniment, r.pk, r.start_date) for r in kept])
    m.counted = len(kept)
    m.note = f"服务期内陪护 {len(records)} 次，违反规则 {len(bad)} 次（新登记的违规记录会被拒绝）。"


@measures("adoption.assessments")
def _adoption(m, indicator, scope):
    match = scope.scoped({**scope.between("assigned_on"), "status": {"$ne": "withdrawn"}})
    by_status = grouped(AdoptionAssessment, match, "status")
    assigned = sum(by_status.values())
    reported = by_status.get("reported", 0)
    m.achieved = round(reported * 100 / assigned, 1) if assigned else 100.0
    within = AdoptionAssessment.objects(__raw__={**match, "within_city": True}).count()
    limit = int(indicator.parameters().get("within_city_limit", 2))
    m.items = [{"label": "交办", "count": assigned, "done": True}, {"label": "已出具报告", "count": reported,
                                                                   "done": reported == assigned},
               {"label": f"市区内（不超过 {limit} 例）", "count": within, "done": within <= limit}]
    m.item_title = "收养评估"
    m.extra_met = within <= limit
    m.evidence = Evidence(AdoptionAssessment, {**match, "status": "reported"}, "-assigned_on", "assigned_on",
                          part_field=None)
    m.counted = reported


@measures("staffing.rules")
def _staffing(m, indicator, scope):
    result = staffing_check(scope.until)
    checks = result["checks"]
    m.achieved = round(sum(1 for c in checks if c["met"]) * 100 / len(checks), 1)
    m.items = [{"label": c["label"], "count": c["actual"], "done": c["met"], "detail": c["names"]} for c in checks]
    m.item_title = "人员配备规则"
    m.near_misses = [({"name": c["label"]}, f"要求 {c['required']}，实际 {c['actual']}") for c in checks if not c["met"]]
    people = {s.pk: [] for s in result["staff"]}
    for check, item in zip(checks, m.items, strict=True):
        if "people" in check:  # the rules that count people: their cell lists them
            item["part"] = check["label"]
            for person in check["people"]:
                people[person.pk].append(check["label"])
    m.evidence = Evidence(StaffMember, {"voided": False},
                          entries=[entry(str(p), StaffMember, p.pk, p.started_on, people[p.pk])
                                   for p in result["staff"]])
    m.counted = len(result["staff"])
