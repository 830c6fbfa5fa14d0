"""The measures of the archives, the visits and the street patrols: new complete
archives, the children's archives' completeness, home visits, the visit cadence of each
cohort (models.visits.ComplianceFold) and the weekly patrols. The measures of the archives
count from one pass over them that keeps only counts (``archive_tallies``)."""

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from functools import partial

from ..archives import Archive, ChildArchive
from ..base import WHOLE_RESULT
from ..errors import DomainError
from ..patrols import Patrol, weekly_grid
from ..periods import period_bounds, period_key, period_label, periods_between
from ..reference import PersonCategory
from ..visits import (
    KIND_CLASS,
    ComplianceFold,
    Visit,
    policies,
    policy,
    risk_history,
    tallied_visits,
    visited_people,
)
from .engine import Measurement, Scope, count_measure, measures, plain_number
from .evidence import Evidence, entry

#: The fields of an archive the tallies read (the cohort filters' fields, the marks, completeness).
TALLY_FIELDS = {"_cls": 1, "name": 1, "township": 1, "categories": 1, "risk_level": 1, "archive_date": 1, "complete": 1,
                "status": 1, "voided": 1, "visited_periods": 1}
NEAR_FIELDS = {"name": 1, "township": 1, "missing_items": 1}
CHILD_CLASS = KIND_CLASS["child"]


@dataclass
class ArchiveTallies:
    """What the archive measures count, from one pass over the archives in scope: only counts
    are kept, never the archives, so the memory is the same for a district and a city."""

    dated: Counter  # (month, township, complete) -> archives dated in the period
    children: Counter  # (township, complete, frozenset of categories) -> active children's archives
    cadence: ComplianceFold | None  # every visit policy's compliance per period
    problem: Exception | None = None  # why the visit policies could not be folded (malformed rules)


def archive_tallies(scope: Scope) -> ArchiveTallies:
    """The tallies of the archives in scope: one read, streamed through the counters (the
    driver holds one batch at a time)."""
    def read():
        fold, problem, history = None, None, {}
        if scope.until >= scope.start:
            try:
                items = policies()
                # a detail page lists the people missed in each policy's last ended period
                fold = ComplianceFold(items, scope.start, scope.until, scope.townships,
                                      keep_missed={last_ended(item, scope) for item in items} if scope.detail else None)
            except (DomainError, KeyError, TypeError, ValueError) as exc:
                problem = exc
            else:
                if any(item.get("risk_levels") for item in items):
                    history = assessments_in_force(scope)
        low = dt.datetime.combine(scope.start, dt.time())
        high = dt.datetime.combine(scope.until, dt.time.max)
        dated: Counter = Counter()
        children: Counter = Counter()
        for row in Archive._get_collection().find(scope.scoped({}), TALLY_FIELDS, batch_size=WHOLE_RESULT):
            complete = bool(row.get("complete"))
            township = row.get("township")
            day = row.get("archive_date")
            if day and low <= day <= high:
                dated[(period_key("month", day), township, complete)] += 1
            if row.get("_cls") == CHILD_CLASS and row.get("status") == "active":
                children[(township, complete, frozenset(row.get("categories") or ()))] += 1
            if fold is not None:
                fold.add(row, history.get(row["_id"]))
        return ArchiveTallies(dated, children, fold, problem)
    return scope.remembered("archive_tallies", read)


def ended_periods(periods: list[dict], scope: Scope) -> list[dict]:
    """The periods (each with its ``end``) over by ``scope.today``; the current one when none is."""
    return [p for p in periods if p["end"] < scope.today] or periods[-1:]


def last_ended(item: dict, scope: Scope) -> tuple[str, str | None]:
    """(policy code, key of its last period in ``ended_periods``)."""
    keys = periods_between(item["period"], scope.start, scope.until)
    ended = ended_periods([{"key": key, "end": period_bounds(item["period"], key)[1]} for key in keys], scope)
    return item["code"], ended[-1]["key"] if ended else None


def assessments_in_force(scope: Scope) -> dict:
    """Every person's risk-level history (``risk_history``), read once per scope."""
    return scope.remembered("risk_history", risk_history)


def _incomplete_archives(m: Measurement, scope: Scope, raw: dict) -> None:
    """The archives of ``raw`` not complete yet, each with its missing items (a detail page's;
    the overview reads none)."""
    m.near_document = Archive
    if not scope.detail:
        return
    cursor = Archive._get_collection().find({**raw, "complete": False}, NEAR_FIELDS,
                                            batch_size=WHOLE_RESULT).sort([("_id", 1)])
    m.near_misses = [(row, "缺项：" + "、".join(row.get("missing_items") or [])) for row in cursor]


def _visited_entries(scope: Scope, spans: list) -> list[dict]:
    """The evidence of period cells (``policy code|period key``): the people visited enough
    in each, each span ``(cell, skip, limit or None)`` in order; one read per policy
    (``visited_people``)."""
    wanted: dict = {}  # code -> {key: (skip, limit)}
    for part, skip, limit in spans:
        code, _, key = part.partition("|")
        wanted.setdefault(code, {})[key] = (skip, limit)
    found: dict = {}  # part -> entries
    for code, keys in wanted.items():
        item = policy(code)
        seen = dict.fromkeys(keys, 0)
        for person, met in visited_people(item, list(keys), scope.townships, assessments_in_force(scope)):
            for key in met:
                skip, limit = keys[key]
                seen[key] += 1
                if seen[key] > skip and (limit is None or seen[key] <= skip + limit):
                    label = period_label(item["period"], key)
                    found.setdefault(f"{code}|{key}", []).append(entry(
                        f"{person.get('name') or ''} · {item['name']} · {label}", Archive, person["_id"],
                        parts=(f"{code}|{key}",)))
            if all(limit is not None and seen[key] >= skip + limit for key, (skip, limit) in keys.items()):
                break
    return [row for part, _skip, _limit in spans for row in found.get(part, ())]


def _cohort_coverage(m: Measurement, scope: Scope, policy_codes: list[str]) -> None:
    tallies = archive_tallies(scope)
    if tallies.problem is not None:
        raise tallies.problem
    rows, due, visited = [], 0, 0
    names = scope.township_names()
    misses: Counter = Counter()
    counted, cells = {}, {}  # {cell: people visited enough}: those that count (ended periods), all
    for code in policy_codes:
        item = policy(code)
        periods = tallies.cadence.periods(code) if tallies.cadence is not None else []
        ended = ended_periods(periods, scope)
        ended_keys = {p["key"] for p in ended}
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
            cells[part] = period["visited"]
            if period["key"] in ended_keys:
                counted[part] = period["visited"]
        for period in ended:
            due += period["due"]
            visited += period["visited"]
            for township, number in period["missed_by_township"].items():
                misses[names.get(township, "未填写")] += number
        if scope.detail and ended and ended[-1]["missed"]:
            label = period_label(item["period"], ended[-1]["key"])
            missed = sorted(ended[-1]["missed"], key=lambda person: (
                names.get(person.get("township"), ""), person.get("name") or "", person["_id"]))
            m.near_misses += [(person, f"{label} 未探访") for person in missed]
    m.achieved = round(visited * 100 / due, 1) if due else 0.0
    m.items = rows
    m.item_title = "各期探访"
    m.evidence = Evidence(Archive, None, part_field=None, reader=partial(_visited_entries, scope),
                          part_totals=counted, cell_totals=cells)
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


def _dated_in_month(raw: dict, date_field: str, month: str) -> dict:
    """``raw`` (dated in a period) narrowed to the days of ``month`` within it."""
    first, last = period_bounds("month", month)
    within = raw[date_field]
    return {**raw, date_field: {"$gte": max(within["$gte"], dt.datetime.combine(first, dt.time())),
                                "$lte": min(within["$lte"], dt.datetime.combine(last, dt.time.max))}}


@measures("archives.new", reads=archive_tallies)
def _new_archives(m, indicator, scope):
    dated = archive_tallies(scope).dated
    months: Counter = Counter()
    by_township: Counter = Counter()
    names = scope.township_names()
    for (month, township, complete), number in dated.items():
        if complete:
            months[month] += number
            by_township[names.get(township, "未填写")] += number
    m.achieved = sum(months.values())
    incomplete = sum(dated.values()) - m.achieved
    m.note = f"期内建档 {sum(dated.values())} 份，档案完整 {m.achieved} 份" + \
        (f"；{incomplete} 份尚有缺项，补齐后计入。" if incomplete else "。")
    m.series = [(month, months.get(month, 0)) for month in scope.months()]
    m.breakdown = sorted(by_township.items(), key=lambda p: -p[1])
    in_period = scope.scoped(scope.between("archive_date"))
    m.evidence = Evidence(Archive, {**in_period, "complete": True}, "-archive_date", "archive_date", total=m.achieved,
                          part_query=partial(_dated_in_month, {**in_period, "complete": True}, "archive_date"))
    m.counted = m.achieved
    _incomplete_archives(m, scope, in_period)


@measures("archives.children_coverage", reads=archive_tallies)
def _children_coverage(m, indicator, scope):
    codes = indicator.parameters().get("categories", [])
    ids = {c.pk for c in PersonCategory.objects(code__in=codes)}
    names = scope.township_names()
    per_township: dict = {}
    for (township, complete, categories), number in archive_tallies(scope).children.items():
        if ids & categories:
            name = names.get(township, "未填写")
            total, done = per_township.get(name, (0, 0))
            per_township[name] = (total + number, done + (number if complete else 0))
    listed = sum(total for total, _ in per_township.values())
    complete = sum(done for _, done in per_township.values())
    m.achieved = round(complete * 100 / listed, 1) if listed else 0.0
    m.breakdown = [(name, round(done * 100 / total, 1)) for name, (total, done) in sorted(per_township.items())]
    match = scope.scoped({"_cls": CHILD_CLASS, "status": "active", "categories": {"$in": list(ids)}})
    m.evidence = Evidence(ChildArchive, {**match, "complete": True}, "name", "archive_date", total=complete)
    m.counted = complete
    _incomplete_archives(m, scope, match)
    m.note = f"名单内儿童 {listed} 人，档案完整 {complete} 人；分街道为完整率（%）。"


@measures("visits.risk_cadence", "visits.orphans", "visits.elderly_monthly", reads=archive_tallies)
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
