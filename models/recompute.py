"""What is stored from a rule set, recomputed when the rule set is saved.

Some figures are computed from a rule set when their record is saved and kept on the
record: whether a visit counts as a home visit (``visit_policy.counting_modes``, and from
it the monthly tallies, the archives' visit marks and their recent-visit summaries), the
deadlines of a child-protection concern (``visit_policy.concern_deadlines_hours``), an
archive's completeness and missing items (``archive_rules.completeness``), the hours a
volunteer is credited for a visit (``service_rules.visit_volunteer_hours``, and from them
the volunteers' totals). models.derived declares each recomputer below with its figure
and the rule sets it reads, and a rule-set save
(``models.services.recompute_for_rule_set``) runs those of its key.

Each reads what it needs in one query, computes with the same function a save uses, and
writes only the records whose stored value differs: records that take the same new value
are written together (one command per distinct value), so the commands stay bounded
whatever the number of records, except one write per record whose value is its own
(a concern's deadline, a person's visit marks)."""

from .archives import Archive
from .base import WHOLE_RESULT, update_by_ids
from .concerns import Concern
from .rules import get_rules
from .visits import (
    Visit,
    counts_as_home_visit,
    rebuild_visit_tallies,
    refresh_visit_marks,
    visit_ledger_entries,
)
from .volunteers import VolunteerHourEntry, ledger_rows, refresh_totals

BATCH = 1000


def _set_grouped(collection, changed: dict) -> None:
    """Write {record id: {field: new value}}: one update by ``_id`` each (models.base.update_by_ids)."""
    for record_id, values in changed.items():
        update_by_ids(collection, [record_id], {"$set": values})


def home_visit_counting() -> dict:
    modes = get_rules("visit_policy")["counting_modes"]
    collection = Visit._get_collection()
    changed, people = {}, set()
    for row in collection.find({}, {"mode": 1, "contact": 1, "counts_as_home_visit": 1, "people": 1, "voided": 1},
                               batch_size=WHOLE_RESULT):
        counted = counts_as_home_visit(row.get("mode"), row.get("contact"), modes)
        if counted != row.get("counts_as_home_visit"):
            changed[row["_id"]] = {"counts_as_home_visit": counted}
            if not row.get("voided"):
                people.update(row.get("people") or ())
    if changed:
        _set_grouped(collection, changed)
        rebuild_visit_tallies()
        refresh_visit_marks(sorted(people))
    return {"入户探访是否计入": len(changed)}


def concern_deadlines() -> dict:
    collection = Concern._get_collection()
    fields = Concern.DEADLINE_FIELDS
    changed = {}
    for row in collection.find({"voided": False}, batch_size=WHOLE_RESULT):
        concern = Concern._from_son(row)
        concern.set_deadlines()
        values = {name: getattr(concern, name) for name in fields}
        if any(row.get(name) != value for name, value in values.items()):
            changed[row["_id"]] = values
    for record_id, values in changed.items():  # each concern has its own dates
        collection.update_one({"_id": record_id}, {"$set": values})
    return {"儿童保护处置期限": len(changed)}


def archive_completeness() -> dict:
    collection = Archive._get_collection()
    changed = {}
    for row in collection.find({}, {"visited_periods": 0}, batch_size=WHOLE_RESULT):
        archive = Archive._from_son(row)
        archive.compute_completeness()
        values = {"completeness": archive.completeness, "complete": archive.complete,
                  "missing_items": list(archive.missing_items)}
        if any(row.get(name) != value for name, value in values.items()):
            changed[row["_id"]] = values
    _set_grouped(collection, changed)
    return {"档案完整度": len(changed)}


def visit_volunteer_hours() -> dict:
    ledger = VolunteerHourEntry._get_collection()
    wanted = []
    for row in Visit._get_collection().find({"voided": False}, {"visited_at": 1, "mode": 1, "volunteer_members": 1},
                                            batch_size=WHOLE_RESULT):
        if not row.get("volunteer_members"):
            continue
        wanted += ledger_rows("visit", row["_id"], visit_ledger_entries(row["visited_at"], row.get("mode"),
                                                                          list(row["volunteer_members"])))

    def lines(rows) -> dict:
        grouped: dict = {}
        for row in rows:
            grouped.setdefault(row["source_id"], set()).add(
                (row["volunteer"], row["served_on"], round(float(row["hours"]), 4), row.get("activity")))
        return grouped

    stored_rows = list(ledger.find({"source": "visit"}, {"_id": 0}, batch_size=WHOLE_RESULT))
    stored, fresh = lines(stored_rows), lines(wanted)
    changed = [source for source in stored.keys() | fresh.keys() if stored.get(source) != fresh.get(source)]
    if changed:
        for source_id in changed:  # equality on each: the local database's index answers it
            ledger.delete_many({"source": "visit", "source_id": source_id})
        rows = [row for row in wanted if row["source_id"] in set(changed)]
        for start in range(0, len(rows), BATCH):
            ledger.insert_many(rows[start:start + BATCH])
        refresh_totals(list({line[0] for source in changed for line in stored.get(source, set()) | fresh.get(source, set())}))
    return {"志愿服务时数（探访）": len(changed)}



#: What each recomputer reads, to estimate the work of a rule-set save before it starts:
#: (document, filter), counted with one command each.
RECORDS_READ = {
    home_visit_counting: (Visit, {}),
    concern_deadlines: (Concern, {"voided": False}),
    archive_completeness: (Archive, {}),
    visit_volunteer_hours: (Visit, {"voided": False}),
}


def records_read(recomputer) -> int:
    """How many records ``recomputer`` reads (one count command)."""
    document, query = RECORDS_READ[recomputer]
    return document._get_collection().count_documents(query)
