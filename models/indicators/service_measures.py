"""The measures of the professional services and the activities: trainings, cases,
groups, community events, the social-assistance publicity and the theme checklists
(events, publicity and patrol campaigns that carry a contract's themes)."""

import datetime as dt
from collections import Counter

from ..activities import CommunityEvent, Training, size_query, township_coverage
from ..casework import Case, GroupSeries, qualifying_cases_query, qualifying_groups_query
from ..patrols import Patrol
from ..publicity import PublicityActivity
from ..reference import ThemeTag, Township
from .engine import count_measure, counted_by, measures, months_grid
from .evidence import Evidence, entry


@measures("trainings.child_workers", "volunteers.trainings", "staff.supervision")
def _trainings(m, indicator, scope):
    params = indicator.parameters()
    match = {"audience": params.get("audience", "child_workers")}
    if params.get("min_hours"):
        match["hours"] = {"$gte": float(params["min_hours"])}
    count_measure(m, Training, match, scope, "training_date", township_field=None)
    if params.get("min_hours"):
        short = {"audience": match["audience"], "hours": {"$lt": float(params["min_hours"])}}
        m.near_misses = [(t, f"时长 {t.hours:g} 小时，须不少于 {params['min_hours']} 小时")
                         for t in scope.records(Training, "training_date", short, township_field=None)]
    if params.get("cover_townships"):
        coverage = township_coverage(match["audience"], str(scope.start.year))
        m.items = [{"label": t.name, "done": True} for t in coverage["covered"]] + \
                  [{"label": t.name, "done": False} for t in coverage["missing"]]
        m.item_title = "街道/乡镇覆盖"
        m.extra_met = not coverage["missing"]


def _near_qualifying(m, scope, document, date_field: str, query: dict) -> None:
    """The period's records that do not qualify yet, each with what it lacks."""
    for record in scope.records(document, date_field, query, limit=None):
        met, lacking = record.qualification()
        if not met:
            m.near_misses.append((record, "；".join(lacking)))


@measures("cases.consultation", "cases.professional")
def _cases(m, indicator, scope):
    case_type = indicator.parameters().get("case_type", indicator.code.split(".")[1])
    count_measure(m, Case, qualifying_cases_query(case_type), scope, "opened_on")
    _near_qualifying(m, scope, Case, "opened_on", {"case_type": case_type})


@measures("groups.series")
def _groups(m, indicator, scope):
    count_measure(m, GroupSeries, qualifying_groups_query(), scope, "started_on")
    _near_qualifying(m, scope, GroupSeries, "started_on", {})


@measures("events.large", "events.small")
def _events(m, indicator, scope):
    size = indicator.parameters().get("size", indicator.code.split(".")[1])
    count_measure(m, CommunityEvent, size_query(size), scope, "event_date")
    band = {"$gt": 40, "$lte": 50} if size == "large" else {"$gte": 5, "$lt": 10}
    wanted = "须 > 50 人" if size == "large" else "须 10–50 人"
    for event in scope.records(CommunityEvent, "event_date", {"people_served": band}):
        m.near_misses.append((event, f"服务 {event.people_served} 人，{wanted}"))


@measures("publicity.social_assistance")
def _social_assistance(m, indicator, scope):
    params = indicator.parameters()
    topic = ThemeTag.objects(code=params.get("topic", "social_assistance")).first()
    match = scope.scoped({"topics": topic.pk if topic else None, **scope.between("held_on")}, "townships")
    held = scope.select(PublicityActivity, "held_on", {"topics": topic.pk if topic else None}, "townships")
    by_month = counted_by(held, "month")
    m.achieved = sum(by_month.values())
    months_grid(m, scope, by_month, indicator.per_period or 1)
    m.evidence = Evidence(PublicityActivity, match, "-held_on", "held_on", rows=held)
    m.counted = len(held)
    if params.get("cover_townships"):
        covered = set()
        for row in held:
            covered |= set(row.get("townships") or [])
        townships = list(Township.objects(voided=False).order_by("code"))
        missing = [t.name for t in townships if t.pk not in covered]
        m.breakdown = [(t.name, "已覆盖" if t.pk in covered else "未覆盖") for t in townships]
        if missing:
            m.extra_met = False
            m.note = (m.note + " " if m.note else "") + f"{len(missing)} 个街道/乡镇尚未覆盖：" + "、".join(missing) + "。"
            if scope.until >= scope.end:  # no period left in which to cover them
                m.lost.append(f"服务期已结束，{len(missing)} 个街道/乡镇未覆盖")


@measures("child.holiday_activities", "child.safety_topics", "elderly.festivals", "rescue.campaigns",
          "publicity.holidays")
def _checklist(m, indicator, scope):
    params = indicator.parameters()
    tags = {t.code: t for t in ThemeTag.objects(code__in=params.get("themes", []))}
    ids = [t.pk for t in tags.values()]
    counts: Counter = Counter()
    codes = {t.pk: code for code, t in tags.items()}
    entries = []
    counted = 0

    def listed(document, row, date, parts):
        # the overview only counts the evidence; the detail page lists it, each record by its name
        if scope.detail:
            entries.append(entry(str(document._from_son(row)), document, row["_id"], date, parts))

    for document, tag_field, date_field, township_field in (
            (CommunityEvent, "themes", "event_date", "township"),
            (PublicityActivity, "topics", "held_on", "townships")):
        fields = None if scope.detail else (tag_field, date_field)
        for row in scope.select(document, date_field, {tag_field: {"$in": ids}}, township_field, fields=fields):
            found = [tag for tag in row.get(tag_field) or () if tag in ids]
            counts.update(found)
            counted += 1
            listed(document, row, row.get(date_field), [codes[tag] for tag in found])
    campaigns = params.get("patrol_campaigns") or {}
    if campaigns:
        wanted = {campaign: code for code, campaign in campaigns.items() if code in tags}
        fields = None if scope.detail else ("campaign", "patrol_date")
        for row in scope.select(Patrol, "patrol_date", {"campaign": {"$in": list(wanted)}}, fields=fields):
            counts[tags[wanted[row["campaign"]]].pk] += 1
            counted += 1
            listed(Patrol, row, row.get("patrol_date"), [wanted[row["campaign"]]])
    m.items = [{"label": tags[code].name if code in tags else code, "count": counts.get(tags[code].pk, 0) if code in tags
                else 0, "done": code in tags and counts.get(tags[code].pk, 0) > 0, "code": code, "part": code}
               for code in params.get("themes", [])]
    m.item_title = "清单"
    m.achieved = sum(1 for item in m.items if item["done"])
    m.near_misses = [({"name": item["label"]}, "尚无活动或宣传") for item in m.items if not item["done"]]
    entries.sort(key=lambda e: (e["date"] or dt.datetime.min, str(e["id"])), reverse=True)
    m.evidence = Evidence(None, None, entries=entries)
    m.counted = counted
