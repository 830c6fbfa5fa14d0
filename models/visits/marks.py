"""Counting visits: the one rule of a counted visit, the counts per period and person behind
the schedule's marks, the compliance page and the indicators, the marks and latest visits
kept on each archive, and the monthly tallies."""

import datetime as dt

from mongoengine import Document, IntField, ObjectIdField, StringField

from ..archives import Archive
from ..base import WHOLE_RESULT
from ..matching import matches
from ..summaries import SUMMARY_LENGTH, RecordSummary, bump_marks, marks_seqs, set_recent_visits_at
from .document import VISIT_EVENT_FIELDS, Visit, visit_event


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




COUNTED = {"counts_as_home_visit": "yes", "voided": False}


def is_counted(stored: dict) -> bool:
    """Whether a stored visit counts towards the visit policy (``COUNTED``)."""
    return matches(stored, COUNTED)


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
        if stored.get("voided"):
            continue
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


def tag_counts(tags) -> dict[str, int]:
    """{period key: counted visits} from an archive's ``visited_periods`` (``visit_tags`` read back)."""
    counts: dict[str, int] = {}
    for tag in tags or ():
        key, _, number = tag.partition("#")
        counts[key] = max(counts.get(key, 0), int(number) if number.isdigit() else 1)
    return counts


def last_counted_visits(visits) -> dict:
    """{person id: the time of their latest counted home visit} from stored visits."""
    latest: dict = {}
    for visit in visits:
        if not is_counted(visit) or not visit.get("visited_at"):
            continue
        for person in visit.get("people") or ():
            if person not in latest or latest[person] < visit["visited_at"]:
                latest[person] = visit["visited_at"]
    return latest




#: Recounts of one person's marks tried in a row when later changes keep coming in: then the
#: write's pending note is left for the repair.
MARK_ATTEMPTS = 5


class MarksConflict(RuntimeError):
    """The visits of a person kept changing while their marks were counted."""


def refresh_visit_marks(person_ids: list | None = None, attempts: int = MARK_ATTEMPTS) -> int:
    """Recompute ``visited_periods`` and ``last_visited_at`` on archives and the latest visits in their
    summaries from their visits (all archives with visits when ``person_ids`` is None).

    Right across processes without a lock: the marks sequence of each person named is bumped
    first (the visits changed), then read, then their visits; the marks are written, then the
    latest visits only if the sequence is unchanged (models.summaries.set_recent_visits_at). A
    person whose sequence moved meanwhile was changed by another write after this read: they are
    counted again (up to ``attempts`` times, then MarksConflict leaves the write to the repair).
    One bump, one read of the sequences, one of the visits and two writes per person."""
    if person_ids is None:
        return _refresh_all()
    if not person_ids:
        return 0
    bump_marks(person_ids)
    todo = list(person_ids)
    for _ in range(attempts):
        todo = _recount(todo, marks_seqs(todo, bumped=True))
        if not todo:
            return len(person_ids)
    raise MarksConflict("探访标记更新冲突，将自动修复。")


def _marks_read(match: dict) -> tuple[list, dict]:
    """(the live visits ``match``, only the fields counted; {person: their latest visit events})."""
    fields = {**VISIT_EVENT_FIELDS, "week": 1, "month": 1, "quarter": 1, "year": 1}
    visits = list(Visit._get_collection().find({**match, "voided": False}, fields, batch_size=WHOLE_RESULT))
    return visits, recent_visit_events(visits)


def _recount(people: list, seqs: dict) -> list:
    """Count the marks of ``people`` (their sequences ``seqs`` read before): the people lost to a later write."""
    visits, recent = _marks_read({"people": {"$in": list(people)}})
    tallies = period_counts(visits, people)
    latest = last_counted_visits(visits)
    collection = Archive._get_collection()
    lost = []
    for pid in people:  # one per person: a visit holds one household
        collection.update_one({"_id": pid}, {"$set": {"visited_periods": visit_tags(tallies[pid]),
                                                      "last_visited_at": latest.get(pid)}})
        if not set_recent_visits_at(pid, recent.get(pid, []), seqs[pid]):
            lost.append(pid)
    return lost


def _refresh_all() -> int:
    """Every archive's marks again (after a load or a rule change): the marks that changed written,
    the latest visits of every archive with visits or marks; those lost to a concurrent write
    counted again one by one (``refresh_visit_marks``)."""
    collection = Archive._get_collection()
    stored = {row["_id"]: (row.get("visited_periods") or [], row.get("last_visited_at")) for row in
              collection.find({}, {"visited_periods": 1, "last_visited_at": 1}, batch_size=WHOLE_RESULT)}
    seqs = {row["_id"]: row.get("marks_seq", 0) for row in
            RecordSummary._get_collection().find({}, {"marks_seq": 1}, batch_size=WHOLE_RESULT)}
    visits, recent = _marks_read({})
    tallies = period_counts(visits, list(recent))
    tallies.update({pid: {} for pid, (tags, last) in stored.items() if (tags or last) and pid not in tallies})
    latest = last_counted_visits(visits)
    lost = [pid for pid in tallies if pid not in seqs]  # no summary yet: counted with one
    for pid, counts in tallies.items():
        tags = visit_tags(counts)
        if pid in seqs and stored.get(pid, ([], None)) != (tags, latest.get(pid)):
            collection.update_one({"_id": pid}, {"$set": {"visited_periods": tags, "last_visited_at": latest.get(pid)}})
        if pid in seqs and not set_recent_visits_at(pid, recent.get(pid, []), seqs[pid]):
            lost.append(pid)
    for start in range(0, len(lost), 100):  # a short "$in" each (the local database checks it per visit)
        refresh_visit_marks(lost[start:start + 100])
    return len(tallies)


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
