"""The measures of the archives, the visits and the street patrols: new complete
archives, the children's archives' completeness, home visits, the visit cadence of each
cohort (models.visits.compliance) and the weekly patrols."""

import datetime as dt
from collections import Counter

from bson import ObjectId

from ..archives import Archive, ChildArchive
from ..assessments import RiskAssessment
from ..base import WHOLE_RESULT
from ..patrols import Patrol, weekly_grid
from ..periods import period_bounds, period_key, period_label, periods_between
from ..reference import PersonCategory
from ..visits import Visit, compliance, policy, tallied_visits
from .engine import Evidence, Measurement, Scope, count_measure, entry, measures, plain_number

SCOPE_FIELDS = {"_cls": 1, "name": 1, "township": 1, "categories": 1, "risk_level": 1, "archive_date": 1,
                "complete": 1, "missing_items": 1, "status": 1, "worker": 1, "voided": 1, "visited_periods": 1}


def scope_archives(scope: Scope) -> list[dict]:
    """Every archive in scope, with the fields the measures use: one read for all of them.
    The values many archives share (classes, levels, townships, workers, categories and
    above all the period marks, a dozen or more an archive) are kept once (``shared_values``):
    a city's 100,000 archives take a third of the memory."""
    def read():
        shared: dict = {}
        return [shared_values(row, shared) for row in Archive._get_collection().find(
            scope.scoped({}), SCOPE_FIELDS, batch_size=WHOLE_RESULT)]
    return scope.remembered("archives", read)


def shared_values(row: dict, shared: dict) -> dict:
    """``row`` with each of its immutable values (a string, an id), and each such value in
    its lists, replaced by the equal one already in ``shared``, if any."""
    for key, value in row.items():
        if isinstance(value, list):
            row[key] = [shared.setdefault(item, item) if isinstance(item, (str, ObjectId)) else item
                        for item in value]
        elif isinstance(value, (str, ObjectId)) and key != "_id":
            row[key] = shared.setdefault(value, value)
    return row


def risk_history(scope: Scope) -> dict:
    def read():
        history: dict = {}
        for row in RiskAssessment._get_collection().find({"voided": False},
                                                         {"person": 1, "assessed_on": 1, "final_level": 1},
                                                         batch_size=WHOLE_RESULT).sort([("assessed_on", 1), ("_id", 1)]):
            history.setdefault(row["person"], []).append((row["assessed_on"], row["final_level"]))
        return history

    return scope.remembered("risk_history", read)


def _incomplete_archives(m: Measurement, rows: list[dict]) -> None:
    """The archives among ``rows`` not complete yet, each with its missing items."""
    m.near_misses = [(row, "缺项：" + "、".join(row.get("missing_items") or [])) for row in rows
                     if not row.get("complete")]
    m.near_document = Archive


def _cohort_coverage(m: Measurement, scope: Scope, policy_codes: list[str]) -> None:
    rows, due, visited = [], 0, 0
    names = scope.township_names()
    misses: Counter = Counter()
    counted, cells = [], []
    for code in policy_codes:
        item = policy(code)
        periods = compliance(item, scope.start, scope.until, scope.townships, archives=scope_archives(scope),
                             history=risk_history(scope)) \
            if scope.until >= scope.start else []
        ended = [p for p in periods if p["end"] < scope.today] or periods[-1:]
        for period in periods:
            month = None
            if item["period"] == "month":
                month = period["key"]
            elif item["period"] == "week":
                month = period_key("month", period_bounds("week", period["key"])[0])
            part = f"{code}|{period['key']}"
            label = period_label(item["period"], period["key"])
            rows.append({"label": f"{item['name']} · {label}", "key": period["key"], "due": period["due"],
                         "visited": period["visited"], "done": bool(period["due"]) and period["due"] == period["visited"],
                         "not_applicable": not period["due"],
                         "share": period["share"], "current": period["current"], "month": month, "part": part})
            counts_now = any(period is other for other in ended)
            for person in period["met"]:
                cells.append(entry(f"{person.get('name') or ''} · {item['name']} · {label}", Archive,
                                   person["_id"], parts=(part,)))
                if counts_now:
                    counted.append(cells[-1])
        for period in ended:
            due += period["due"]
            visited += period["visited"]
            for person in period["missed"]:
                misses[names.get(person.get("township"), "未填写")] += 1
        if ended and ended[-1]["missed"]:
            label = period_label(item["period"], ended[-1]["key"])
            m.near_misses += [(person, f"{label} 未探访") for person in ended[-1]["missed"]]
    m.achieved = round(visited * 100 / due, 1) if due else 0.0
    m.items = rows
    m.item_title = "各期探访"
    m.evidence = Evidence(Archive, None, entries=counted, cell_entries=cells)
    m.near_document = Archive
    m.counted = visited
    m.breakdown = sorted(misses.items(), key=lambda pair: -pair[1])
    m.note = f"已结束各期应探访 {due} 人次，已探访 {visited} 人次；分街道为未探访人次。"
    monthly: dict = {}
    for row in rows:
        if row["share"] is not None and row["month"]:
            monthly.setdefault(row["month"], []).append(row["share"] * 100)
    m.series = [(month, round(sum(v) / len(v), 1)) for month, v in sorted(monthly.items())]


@measures("visits.home")
def _home_visits(m, indicator, scope):
    """From the monthly tallies the visit service keeps (no read of the visits), when the
    period is whole months up to today; else from the visits themselves."""
    whole_months = scope.start.day == 1 and (scope.until == scope.today or
                                             (scope.until + dt.timedelta(days=1)).day == 1)
    if not whole_months:
        count_measure(m, Visit, {"counts_as_home_visit": "yes"}, scope, "visited_at")
        return
    months = periods_between("month", scope.start, scope.until) if scope.until >= scope.start else []
    by_month: Counter = Counter()
    by_township: Counter = Counter()
    names = scope.township_names()
    for row in tallied_visits(months, scope.townships):
        by_month[row["month"]] += row["count"]
        by_township[names.get(row.get("township"), "未填写")] += row["count"]
    m.achieved = sum(by_month.values())
    m.series = [(month, by_month.get(month, 0)) for month in scope.months()]
    m.breakdown = sorted(by_township.items(), key=lambda pair: -pair[1])
    m.evidence = Evidence(Visit, scope.scoped({"counts_as_home_visit": "yes", **scope.between("visited_at")}),
                          "-visited_at", "visited_at", total=m.achieved)
    m.counted = m.achieved


@measures("archives.new")
def _new_archives(m, indicator, scope):
    low = dt.datetime.combine(scope.start, dt.time())
    high = dt.datetime.combine(scope.until, dt.time.max)
    period = [a for a in scope_archives(scope) if a.get("archive_date") and low <= a["archive_date"] <= high]
    rows = [a for a in period if a.get("complete")]
    months = Counter(period_key("month", r["archive_date"]) for r in rows)
    names = scope.township_names()
    m.achieved = len(rows)
    m.series = [(month, months.get(month, 0)) for month in scope.months()]
    m.breakdown = sorted(Counter(names.get(r.get("township"), "未填写") for r in rows).items(), key=lambda p: -p[1])
    m.evidence = Evidence(Archive, scope.scoped({"complete": True, **scope.between("archive_date")}),
                          "-archive_date", "archive_date", rows=rows,
                          parts_of=lambda row: [period_key("month", row["archive_date"])])
    m.counted = len(rows)
    _incomplete_archives(m, period)


@measures("archives.children_coverage")
def _children_coverage(m, indicator, scope):
    codes = indicator.parameters().get("categories", [])
    ids = {c.pk for c in PersonCategory.objects(code__in=codes)}
    rows = [a for a in scope_archives(scope) if a.get("_cls") == "Archive.ChildArchive" and a.get("status") == "active"
            and ids & set(a.get("categories") or [])]
    complete = [r for r in rows if r.get("complete")]
    m.achieved = round(len(complete) * 100 / len(rows), 1) if rows else 0.0
    names = scope.township_names()
    per_township: dict = {}
    for row in rows:
        name = names.get(row.get("township"), "未填写")
        total, done = per_township.get(name, (0, 0))
        per_township[name] = (total + 1, done + (1 if row.get("complete") else 0))
    m.breakdown = [(name, round(done * 100 / total, 1)) for name, (total, done) in sorted(per_township.items())]
    match = scope.scoped({"_cls": "Archive.ChildArchive", "status": "active", "categories": {"$in": list(ids)},
                          "complete": True})
    m.evidence = Evidence(ChildArchive, match, "name", "archive_date", rows=complete)
    m.counted = len(complete)
    _incomplete_archives(m, rows)
    m.note = f"名单内儿童 {len(rows)} 人，档案完整 {len(complete)} 人；分街道为完整率（%）。"


@measures("visits.risk_cadence", "visits.orphans", "visits.elderly_monthly")
def _visit_coverage(m, indicator, scope):
    _cohort_coverage(m, scope, indicator.parameters().get("policies", []))


@measures("patrols.weekly")
def _patrols(m, indicator, scope):
    minimum = int(indicator.per_period or 2)
    weeks = weekly_grid(scope.start, scope.until, scope.townships, minimum) if scope.until >= scope.start else []
    ended = [w for w in weeks if w["status"] != "open"]
    met = [w for w in ended if w["status"] == "met"]
    m.achieved = round(len(met) * 100 / len(ended), 1) if ended else 0.0
    m.items = [{"label": period_label("week", w["key"]), "key": w["key"], "part": w["key"], "count": w["count"],
                "done": w["status"] == "met", "current": w["status"] == "open"} for w in weeks]
    m.item_title = f"逐周（每周不少于 {plain_number(indicator.per_period or 2)} 次）"
    match = scope.scoped(scope.between("patrol_date"))
    by_month: dict = {}  # the share of each month's ended weeks that met the minimum (a week is in its Thursday's month)
    for week in ended:
        month = period_key("month", week["start"] + dt.timedelta(days=3))
        met_weeks, all_weeks = by_month.get(month, (0, 0))
        by_month[month] = (met_weeks + (week["status"] == "met"), all_weeks + 1)
    m.series = [(month, round(by_month[month][0] * 100 / by_month[month][1], 1) if month in by_month else None)
                for month in scope.months()]
    m.evidence = Evidence(Patrol, match, "-patrol_date", "patrol_date", part_field="week", part_raw=scope.scoped({}))
    m.counted = Patrol._get_collection().count_documents(scope.period_match("patrol_date", {}))
    m.near_misses = [({"name": period_label("week", w["key"])}, f"只有 {w['count']} 次") for w in ended
                     if w["status"] != "met"]
    m.note = f"已结束 {len(ended)} 周，达标 {len(met)} 周。"
    missed = [w["key"] for w in ended if w["status"] != "met"]
    if missed:
        m.note += "未达标的周：" + "、".join(missed) + "。"
        m.lost.append(f"每周不少于 {plain_number(minimum)} 次，已有 {len(missed)} 周未达到")
