"""The cadence the contract sets (the visit policy, as data): who a policy covers, who is due
in which period and not yet visited enough, the schedule, and the compliance per period."""

import datetime as dt
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


def compliance(item: dict, start: dt.date, end: dt.date, townships: list | None = None,
               archives: list | None = None, history: dict | None = None) -> list[dict]:
    """Per period from ``start`` to ``end``: people due, visited, share, and the misses.

    A person is due in a period when the policy covers them at the end of that
    period (for child risk levels: the level in force then, from the assessment
    history) and their archive existed by then. A person's counted visits in each
    period are their archive's marks (``visited_periods``, which the visit service
    keeps and the schedule reads too): no visit is read. A caller measuring several
    policies at once passes the archives (with their marks) and the assessment
    history it has already read (each is read once instead of once per policy)."""
    period = item["period"]
    keys = periods_between(period, start, end)
    raw = cohort_filter(item, townships)
    levels = list(item.get("risk_levels") or [])
    if levels:
        raw.pop("risk_level")  # judged period by period from the history below
    if archives is None:
        people = list(Archive._get_collection().find(raw, {"name": 1, "archive_date": 1, "risk_level": 1, "worker": 1,
                                                            "township": 1, "visited_periods": 1},
                                                     batch_size=WHOLE_RESULT))
    else:
        covered = matcher(raw)  # in_cohort, the filter read once for all the archives
        people = [a for a in archives if covered(a)]
    if history is None:
        history = {}
        if levels and people:
            for assessment in RiskAssessment._get_collection().find(
                    {"person": {"$in": [p["_id"] for p in people]}, "voided": False},
                    {"person": 1, "assessed_on": 1, "final_level": 1}, batch_size=WHOLE_RESULT).sort([("assessed_on", 1), ("_id", 1)]):
                history.setdefault(assessment["person"], []).append((assessment["assessed_on"],
                                                                     assessment["final_level"]))
    marks = {person["_id"]: set(person.get("visited_periods") or ()) for person in people}
    counts: dict = {}  # {person: {period key: counted visits}}, read back from the marks of those missed once

    def counted(person_id, key) -> int:
        if person_id not in counts:
            counts[person_id] = tag_counts(marks[person_id])
        return counts[person_id].get(key, 0)

    today = local_today()
    result = []
    for key in keys:
        period_start, period_end = period_bounds(period, key)
        judge_day = min(period_end, today)
        cutoff = dt.datetime.combine(judge_day, dt.time.max)
        enough = tag_for(item, key)  # the mark of a person visited enough in this period (``meets``)
        due, missed = [], []
        for person in people:
            if person.get("archive_date") and person["archive_date"] > dt.datetime.combine(period_end, dt.time.max):
                continue
            if levels:
                level = _level_on(history.get(person["_id"]), cutoff, person.get("risk_level"))
                if level not in levels:
                    continue
            due.append(person)
            if enough not in marks[person["_id"]]:
                missed.append(person)
        visited = len(due) - len(missed)
        missed_ids = {id(person) for person in missed}
        result.append({"key": key, "start": period_start, "end": period_end, "due": len(due), "visited": visited,
                       "required": int(item["visits_required"]),
                       "counted": {person["_id"]: counted(person["_id"], key) for person in missed},
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
