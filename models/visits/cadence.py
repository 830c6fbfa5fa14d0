"""The cadence the contract sets (the visit policy, as data): who a policy covers, who is due
in which period and not yet visited enough, the schedule, and the compliance per period."""

import datetime as dt
from collections import Counter
from functools import partial

from bson import ObjectId

from ..archives import Archive
from ..assessments import RiskAssessment
from ..base import WHOLE_RESULT, ask_at_once
from ..clock import local_today
from ..errors import DomainError
from ..matching import matcher, matches
from ..periods import period_bounds, period_key, periods_between, previous_period
from ..reference import PersonCategory
from ..rules import cached, get_rules, seed_rules
from .marks import tag_counts


def policies() -> list[dict]:
    return get_rules("visit_policy")["policies"]


def policy(code: str) -> dict:
    for item in policies():
        if item["code"] == code:
            return item
    raise DomainError(f"探访规则“{code}”不存在（可能已在“业务规则”中改名或删除）。")


def register_policy() -> dict:
    """The policy the elderly register prints, named in the visit policy (``register_policy``)."""
    code = get_rules("visit_policy").get("register_policy") or seed_rules("visit_policy")["register_policy"]
    return policy(code)


KIND_CLASS = {"child": "Archive.ChildArchive", "elderly": "Archive.ElderlyArchive",
              "homeless": "Archive.HomelessArchive"}


def category_ids(codes: list[str]) -> list[ObjectId]:
    """Category ids by code, kept as long as the rule sets (models.rules, RULES_CACHE_SECONDS):
    a page asks for several policies. Saving a category forgets them (PersonCategory.after_write)."""
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
        query["categories"] = {"$in": category_ids(item["categories"])}
    if townships is not None:
        query["township"] = {"$in": list(townships)}
    return query


def in_cohort(archive: dict, raw: dict) -> bool:
    """Whether a stored archive (as read from the collection) matches a ``cohort_filter``."""
    return matches(archive, raw)




def meets(item: dict, count: int) -> bool:
    """Whether ``count`` counted visits in one period meet the policy ``item``."""
    return count >= int(item["visits_required"])




def not_visited_filter(period: str, day: dt.date | None = None) -> dict:
    """The raw condition of archives with no counted home visit in the current ``period``
    (this week, month, quarter, year): one condition on the visit marks, which an index answers."""
    return {"visited_periods": {"$ne": current_key(period, day)}}




def tag_for(item: dict, key: str) -> str:
    """The mark of an archive visited enough in period ``key`` under the policy ``item``."""
    required = int(item["visits_required"])
    return key if required <= 1 else f"{key}#{required}"




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


#: A skip past the end of any collection, and still a number the database takes.
PAST_ANY_END = 2**31 - 1

SCHEDULE_FIELDS = {"_cls": 1, "name": 1, "township": 1, "community": 1, "worker": 1, "archive_date": 1, "status": 1,
                   "risk_level": 1, "categories": 1, "visited_periods": 1}


def schedule(item: dict, key: str, townships: list | None = None, worker=None, page: int = 0,
             page_size: int | None = None) -> dict:
    """The schedule of one policy and period: the people due and not yet visited (by
    township and name; one page of them when ``page_size`` is given), how many they are,
    whether each listed person was missed in the previous period, the workload per worker
    and per township, and the number due under every policy in its current period. Each
    figure is one question to the database on ``due_filter`` (a count, a group, the listed
    rows), which its indexes answer, all asked at the same time; nothing reads the whole cohort."""
    collection = Archive._get_collection()
    due_match = due_filter(item, key, townships)
    listed = due_filter(item, key, townships, worker)
    others = [(other, current_key(other["period"])) for other in policies()]

    def load_by(field_name):
        rows = collection.aggregate([{"$match": due_match}, {"$group": {"_id": f"${field_name}", "due": {"$sum": 1}}}])
        return sorted(({"id": row["_id"], "due": row["due"]} for row in rows),
                      key=lambda r: (-r["due"], str(r["id"] or "")))

    def listed_rows():
        cursor = collection.find(listed, SCHEDULE_FIELDS, batch_size=page_size or WHOLE_RESULT).sort(
            [("township", 1), ("name", 1), ("_id", 1)])
        if page_size:
            # past the end (even a page number typed beyond any count): an empty page
            cursor = cursor.skip(min(max(page, 0) * page_size, PAST_ANY_END)).limit(page_size)
        return list(cursor)

    # The figures are independent questions, asked at the same time. The policy shown
    # is counted by its township load (its listed total too, unless for one worker).
    shown = [other["code"] == item["code"] and other_key == key for other, other_key in others]
    questions = [partial(load_by, "worker"), partial(load_by, "township"), listed_rows]
    if worker is not None:
        questions.append(partial(collection.count_documents, listed))
    questions += [partial(collection.count_documents, due_filter(other, other_key, townships))
                  for (other, other_key), is_shown in zip(others, shown, strict=True) if not is_shown]
    answers = ask_at_once(*questions)
    load = {"worker": answers[0], "township": answers[1]}
    due = answers[2]
    due_now_shown = sum(r["due"] for r in load["township"])
    total = due_now_shown if worker is None else answers[3]
    counts = iter(answers[4 if worker is not None else 3:])
    previous = previous_period(item["period"], key)
    missed_last = {a["_id"] for a in due if tag_for(item, previous) not in (a.get("visited_periods") or [])}
    summary = [{"policy": other, "key": other_key, "due": due_now_shown if is_shown else next(counts)}
               for (other, other_key), is_shown in zip(others, shown, strict=True)]
    return {"due": due, "total": total, "missed_last": missed_last, "previous": previous, "workload": load,
            "summary": summary}


#: The fields of an archive the compliance fold reads: those a cohort filter tests and its marks.
COHORT_FIELDS = {"_cls": 1, "name": 1, "township": 1, "worker": 1, "categories": 1, "risk_level": 1,
                 "archive_date": 1, "status": 1, "voided": 1, "visited_periods": 1}


class ComplianceFold:
    """The compliance of several policies, folded one archive at a time: per policy and
    period the people due, those visited enough and the misses per township. Only these
    counts are kept, so a city's archives can stream through it; with ``keep`` each period
    also keeps the people met and missed (a page that lists them).

    A person is due in a period when the policy covers them at the end of that period (for
    child risk levels: the level in force then, from the assessment history) and their
    archive existed by then. Whether they were visited enough is their archive's mark for the
    period (``visited_periods``, which the visit service keeps and the schedule reads too)."""

    def __init__(self, items: list[dict], start: dt.date, end: dt.date, townships: list | None = None,
                 keep: bool = False, keep_missed: set | None = None):
        """``keep_missed``: the (policy code, period key) whose people missed are kept without ``keep``."""
        today = local_today()
        self.keep = keep
        self.policies = []
        for item in items:
            raw = cohort_filter(item, townships)
            levels = frozenset(item.get("risk_levels") or ())
            if levels:
                raw.pop("risk_level")  # judged period by period from the history
            periods = []
            for key in periods_between(item["period"], start, end):
                period_start, period_end = period_bounds(item["period"], key)
                periods.append({"key": key, "start": period_start, "end": period_end, "due": 0, "visited": 0,
                                "required": int(item["visits_required"]), "missed_by_township": Counter(),
                                "met": [] if keep else None,
                                "missed": [] if keep or (item["code"], key) in (keep_missed or ()) else None,
                                "current": period_start <= today <= period_end,
                                # the last moment an archive may date from, the moment its level is read,
                                # the mark of a person visited enough (``meets``)
                                "_last": dt.datetime.combine(period_end, dt.time.max),
                                "_cutoff": dt.datetime.combine(min(period_end, today), dt.time.max),
                                "_enough": tag_for(item, key)})
            self.policies.append((item, matcher(raw), levels, periods))

    def add(self, person: dict, history: list | None = None) -> None:
        """Count ``person`` (an archive as read, with COHORT_FIELDS) in every policy covering
        them; ``history`` is their assessments as (assessed_on, final level), oldest first."""
        marks = None
        for _item, covered, levels, periods in self.policies:
            if not covered(person):
                continue
            if marks is None:
                marks = set(person.get("visited_periods") or ())
            archive_date = person.get("archive_date")
            for period in periods:
                if archive_date and archive_date > period["_last"]:
                    continue
                if levels and _level_on(history, period["_cutoff"], person.get("risk_level")) not in levels:
                    continue
                period["due"] += 1
                if period["_enough"] in marks:
                    period["visited"] += 1
                    if self.keep:
                        period["met"].append(person)
                else:
                    period["missed_by_township"][person.get("township")] += 1
                    if period["missed"] is not None:  # without ``keep``, only what names the person
                        period["missed"].append(person if self.keep else {
                            "_id": person["_id"], "name": person.get("name"), "township": person.get("township")})

    def periods(self, code: str) -> list[dict]:
        """The periods of the policy ``code``: key, start, end, due, visited, share, current,
        required and the misses per township (with ``keep``: met, missed, and the counted
        visits of each person missed)."""
        found = next((periods for item, _covered, _levels, periods in self.policies if item["code"] == code), [])
        result = []
        for period in found:
            row = {name: value for name, value in period.items() if not name.startswith("_")}
            row["share"] = (row["visited"] / row["due"]) if row["due"] else None
            if self.keep:
                row["counted"] = {person["_id"]: tag_counts(person.get("visited_periods")).get(row["key"], 0)
                                  for person in row["missed"]}
            result.append(row)
        return result


def compliance(item: dict, start: dt.date, end: dt.date, townships: list | None = None) -> list[dict]:
    """Per period from ``start`` to ``end``: people due, visited, share, and the people met
    and missed (``ComplianceFold`` with ``keep``): one read of the policy's cohort, and one of
    its assessments when the policy goes by risk level."""
    fold = ComplianceFold([item], start, end, townships, keep=True)
    raw = cohort_filter(item, townships)
    raw.pop("risk_level", None)
    people = list(Archive._get_collection().find(raw, COHORT_FIELDS, batch_size=WHOLE_RESULT))
    history = risk_history([p["_id"] for p in people]) if item.get("risk_levels") and people else {}
    for person in people:
        fold.add(person, history.get(person["_id"]))
    return fold.periods(item["code"])


def risk_history(people: list | None = None) -> dict:
    """{person id: [(assessed_on, final level), ...] oldest first}: the assessments in force
    (of ``people``, or of everyone)."""
    query = {"voided": False}
    if people is not None:
        query["person"] = {"$in": people}
    history: dict = {}
    for row in RiskAssessment._get_collection().find(query, {"person": 1, "assessed_on": 1, "final_level": 1},
                                                     batch_size=WHOLE_RESULT).sort([("assessed_on", 1), ("_id", 1)]):
        history.setdefault(row["person"], []).append((row["assessed_on"], row["final_level"]))
    return history


def visited_people(item: dict, keys: list[str], townships: list | None = None, history: dict | None = None):
    """The people due in the periods ``keys`` of the policy ``item`` and visited enough in
    at least one, in the order of their archives' ids, each with the keys where they were, as
    ``ComplianceFold`` counts them: one read, narrowed by the database to the periods' marks;
    a risk level is judged from ``history`` (``risk_history``) as the fold judges it."""
    raw = cohort_filter(item, townships)
    levels = frozenset(item.get("risk_levels") or ())
    if levels:
        raw.pop("risk_level")
    today = local_today()
    periods = []
    for key in keys:
        _, end = period_bounds(item["period"], key)
        periods.append((key, tag_for(item, key), dt.datetime.combine(end, dt.time.max),
                        dt.datetime.combine(min(end, today), dt.time.max)))
    latest = max(last for _key, _tag, last, _cutoff in periods)
    raw["$or"] = [{"archive_date": {"$lte": latest}}, {"archive_date": None}]
    raw["visited_periods"] = {"$in": [tag for _key, tag, _last, _cutoff in periods]}
    history = history or {}
    for person in Archive._get_collection().find(raw, COHORT_FIELDS, batch_size=WHOLE_RESULT).sort([("_id", 1)]):
        marks = set(person.get("visited_periods") or ())
        archive_date = person.get("archive_date")
        met = [key for key, tag, last, cutoff in periods
               if tag in marks and not (archive_date and archive_date > last)
               and (not levels or _level_on(history.get(person["_id"]), cutoff, person.get("risk_level")) in levels)]
        if met:
            yield person, met


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
