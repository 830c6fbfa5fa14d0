"""Derived data, declared in one place.

A derived figure is stored beside the records it is computed from, so that a page
reads it instead of computing it: an archive's visit marks, its latest visits, its
short change log, the monthly visit tallies, the volunteers' hour ledger and totals,
and the figures a record's own save computes from a rule set (completeness, whether
a visit counts as a home visit, a concern's deadlines). Each is declared below with
which record writes change it (``writes``: collections), which rule sets it is
computed from (``rule_sets``), how one write updates it (``update``), how the same
is done again safely after a fault (``repair``: idempotent), how a rule-set save
recomputes it (``recompute``), and how to compare what is stored with a fresh
computation from the records (``expected`` and ``stored``).

How it is kept right: the service layer (models.services) writes the pending note, the
record, its audit entry, then calls the updates this registry registers with
models.write_hooks, then removes the note; a failure is repaired on the next request and
at start-up (models.write_hooks says how).
"""

from collections.abc import Callable
from dataclasses import dataclass

# visits and summaries by module: a test makes their updates fail to prove the repair
from . import summaries, visits, write_hooks
from .activities import CommunityEvent, Training
from .archives import Archive
from .base import WHOLE_RESULT, ref_id
from .change_log import change_line, change_logs_from_trail
from .concerns import Concern
from .patrols import Patrol
from .recompute import (
    archive_completeness,
    concern_deadlines,
    home_visit_counting,
    visit_volunteer_hours,
)
from .summaries import RecordSummary
from .visits import (
    COUNTED,
    VISIT_EVENT_FIELDS,
    Visit,
    VisitTally,
    counts_as_home_visit,
    last_counted_visits,
    move_tally,
    period_counts,
    rebuild_visit_tallies,
    recent_visit_events,
    tally_slot,
    visit_tags,
)
from .volunteers import Volunteer, VolunteerHourEntry, ledger_rows, write_ledger

# the write path's bookkeeping, named here too: the app's start-up repairs through this registry
from .write_hooks import PendingDerived, _failed, repair_pending, repair_quietly, repair_wanted

__all__ = ["FIGURES", "LEDGER_SOURCES", "RECOMPUTERS", "Figure", "PendingDerived", "_failed", "figure",
           "recompute", "repair_pending", "repair_quietly", "repair_wanted", "stale"]


@dataclass(frozen=True)
class Figure:
    code: str
    label: str  # what it is, as a person reads it
    stored_in: str  # where it is kept: collection.field
    writes: tuple  # the collections whose record writes change it
    expected: Callable  # () -> {key: value}: a fresh computation from the records
    stored: Callable  # () -> {key: value}: what is kept
    rule_sets: tuple = ()  # the rule sets it is computed from
    update: Callable | None = None  # (doc, before, entry): one write; None: kept on the record by its save
    repair: Callable | None = None  # (doc, before): the same, safe to repeat; None: ``update``
    recompute: Callable | None = None  # (): after a rule-set save, {label: records changed}


FIGURES: list[Figure] = []


def declare(**kwargs) -> Figure:
    figure = Figure(**kwargs)
    FIGURES.append(figure)
    return figure


def figure(code: str) -> Figure:
    return next(f for f in FIGURES if f.code == code)


def stale(item: Figure) -> dict:
    """{key: (stored, expected)} where what is kept differs from a fresh computation."""
    expected, stored = item.expected(), item.stored()
    return {key: (stored.get(key), expected.get(key)) for key in expected.keys() | stored.keys()
            if stored.get(key) != expected.get(key)}


# ---------------------------------------------------------------- visits: marks, latest visits, tallies


def _visit_people(doc, before) -> list:
    people = {ref_id(p) for p in doc._data.get("people") or []}
    people |= set((before or {}).get("people") or [])
    return sorted(people)


def _refresh_people(doc, before, entry=None) -> None:
    visits.refresh_visit_marks(_visit_people(doc, before))


def _live_visits() -> list:
    fields = {**VISIT_EVENT_FIELDS, "week": 1, "month": 1, "quarter": 1, "year": 1}
    return list(Visit._get_collection().find({"voided": False}, fields, batch_size=WHOLE_RESULT))


def _expected_marks() -> dict:
    visits = _live_visits()
    people = {p for v in visits for p in v.get("people") or ()}
    counts = period_counts(visits, list(people))
    latest = last_counted_visits(visits)
    marks = {pid: (visit_tags(c), latest.get(pid)) for pid, c in counts.items()}
    return {pid: mark for pid, mark in marks.items() if mark != ([], None)}


def _stored_marks() -> dict:
    rows = Archive._get_collection().find({}, {"visited_periods": 1, "last_visited_at": 1}, batch_size=WHOLE_RESULT)
    marks = {row["_id"]: (sorted(row.get("visited_periods") or []), row.get("last_visited_at")) for row in rows}
    return {pid: mark for pid, mark in marks.items() if mark != ([], None)}


def _expected_recent() -> dict:
    return {pid: events for pid, events in recent_visit_events(_live_visits()).items() if events}


def _stored_recent() -> dict:
    rows = RecordSummary._get_collection().find({}, {"recent_visits": 1}, batch_size=WHOLE_RESULT)
    return {row["_id"]: row["recent_visits"] for row in rows if row.get("recent_visits")}


def _move_tally(doc, before, entry=None) -> None:
    move_tally(tally_slot(before), tally_slot(doc.to_mongo()))


def _rebuild_tallies(doc, before) -> None:
    rebuild_visit_tallies()  # a move done twice would count twice: a repair counts them all again


def _expected_tallies() -> dict:
    counts: dict = {}
    for row in Visit._get_collection().find(COUNTED, {"month": 1, "township": 1}, batch_size=WHOLE_RESULT):
        slot = (row.get("month"), row.get("township"))
        counts[slot] = counts.get(slot, 0) + 1
    return counts


def _stored_tallies() -> dict:
    return {(row["month"], row.get("township")): row["count"]
            for row in VisitTally._get_collection().find({"count": {"$ne": 0}}, batch_size=WHOLE_RESULT)}


declare(code="visit_marks", label="档案的已探访周期和最近探访", stored_in="archives.visited_periods/last_visited_at",
        writes=("visits",), rule_sets=("visit_policy",), update=_refresh_people,
        expected=_expected_marks, stored=_stored_marks)
declare(code="recent_visits", label="档案的最近探访记录", stored_in="record_summaries.recent_visits",
        writes=("visits",), rule_sets=("visit_policy",), update=_refresh_people,
        expected=_expected_recent, stored=_stored_recent)
declare(code="visit_tallies", label="按月入户探访计数", stored_in="visit_tallies.count",
        writes=("visits",), rule_sets=("visit_policy",), update=_move_tally, repair=_rebuild_tallies,
        expected=_expected_tallies, stored=_stored_tallies)


# ---------------------------------------------------------------- the figures a record's save computes


def _expected_counting() -> dict:
    return {row["_id"]: counts_as_home_visit(row.get("mode"), row.get("contact"))
            for row in Visit._get_collection().find({}, {"mode": 1, "contact": 1}, batch_size=WHOLE_RESULT)}


def _stored_counting() -> dict:
    return {row["_id"]: row.get("counts_as_home_visit")
            for row in Visit._get_collection().find({}, {"counts_as_home_visit": 1}, batch_size=WHOLE_RESULT)}


def _completeness_rows(fresh: bool) -> dict:
    values = {}
    for row in Archive._get_collection().find({}, {"visited_periods": 0}, batch_size=WHOLE_RESULT):
        if fresh:
            archive = Archive._from_son(row)
            archive.compute_completeness()
            row = {"_id": row["_id"], "completeness": archive.completeness, "complete": archive.complete,
                   "missing_items": list(archive.missing_items)}
        values[row["_id"]] = (row.get("completeness"), row.get("complete"), list(row.get("missing_items") or []))
    return values


def _deadline_rows(fresh: bool) -> dict:
    values = {}
    for row in Concern._get_collection().find({"voided": False}, batch_size=WHOLE_RESULT):
        if fresh:
            concern = Concern._from_son(row)
            concern.set_deadlines()
            row = {"_id": row["_id"], **{name: getattr(concern, name) for name in Concern.DEADLINE_FIELDS}}
        values[row["_id"]] = tuple(row.get(name) for name in Concern.DEADLINE_FIELDS)
    return values


declare(code="counts_as_home_visit", label="入户探访是否计入", stored_in="visits.counts_as_home_visit",
        writes=("visits",), rule_sets=("visit_policy",), recompute=home_visit_counting,
        expected=_expected_counting, stored=_stored_counting)
declare(code="completeness", label="档案完整度", stored_in="archives.completeness/complete/missing_items",
        writes=("archives",), rule_sets=("archive_rules",), recompute=archive_completeness,
        expected=lambda: _completeness_rows(True), stored=lambda: _completeness_rows(False))
declare(code="concern_deadlines", label="儿童保护处置期限", stored_in="concerns.report_due/handle_due/close_due",
        writes=("concerns",), rule_sets=("visit_policy",), recompute=concern_deadlines,
        expected=lambda: _deadline_rows(True), stored=lambda: _deadline_rows(False))


# ---------------------------------------------------------------- volunteers: the hour ledger and totals

#: The records that credit volunteer hours: collection -> (ledger source, the stored field naming the volunteers).
LEDGER_SOURCES = {"visits": ("visit", "volunteer_members"), "patrols": ("patrol", "volunteer_members"),
                  "community_events": ("event", "volunteers"), "trainings": ("training", "attendees")}


def _write_ledger(doc, before, entry=None) -> None:
    source, field = LEDGER_SOURCES[doc._get_collection_name()]
    entries = doc.ledger_entries()
    if entries or (before or {}).get(field):  # a record that never named a volunteer has no ledger lines
        write_ledger(source, doc, entries)


def _ledger_documents():
    return {"visits": Visit, "patrols": Patrol, "community_events": CommunityEvent, "trainings": Training}


def _expected_ledger_rows() -> list:
    rows = []
    for collection, document in _ledger_documents().items():
        source = LEDGER_SOURCES[collection][0]
        for row in document._get_collection().find({"voided": False}, {"photos": 0}, batch_size=WHOLE_RESULT):
            rows += ledger_rows(source, row["_id"], document._from_son(row).ledger_entries())
    return rows


def _ledger_key(row: dict) -> tuple:
    return (row["source"], row["source_id"], row["volunteer"], row["served_on"], round(float(row["hours"]), 4),
            row.get("activity"), row.get("year"))


def _lines(rows) -> dict:
    lines: dict = {}
    for row in rows:
        key = _ledger_key(row)
        lines[key] = lines.get(key, 0) + 1
    return lines


def _stored_ledger_rows() -> list:
    return list(VolunteerHourEntry._get_collection().find({}, {"_id": 0}, batch_size=WHOLE_RESULT))


def _totals(rows) -> dict:
    totals = {row["_id"]: (0, 0) for row in Volunteer._get_collection().find({}, {"_id": 1}, batch_size=WHOLE_RESULT)}
    sums: dict = {}
    for row in rows:
        total, training = sums.get(row["volunteer"], (0.0, 0.0))
        sums[row["volunteer"]] = (total + float(row["hours"]),
                                  training + (float(row["hours"]) if row["source"] == "training" else 0.0))
    totals.update({v: (round(t, 2), round(tr, 2)) for v, (t, tr) in sums.items() if v in totals})
    return totals


def _stored_totals() -> dict:
    return {row["_id"]: (round(row.get("total_hours") or 0, 2), round(row.get("training_hours") or 0, 2))
            for row in Volunteer._get_collection().find({}, {"total_hours": 1, "training_hours": 1},
                                                        batch_size=WHOLE_RESULT)}


declare(code="volunteer_ledger", label="志愿服务时数明细", stored_in="volunteer_hours",
        writes=tuple(LEDGER_SOURCES), rule_sets=("service_rules",), update=_write_ledger, recompute=visit_volunteer_hours,
        expected=lambda: _lines(_expected_ledger_rows()), stored=lambda: _lines(_stored_ledger_rows()))
declare(code="volunteer_totals", label="志愿者累计时数", stored_in="volunteers.total_hours/training_hours",
        writes=tuple(LEDGER_SOURCES), rule_sets=("service_rules",), update=_write_ledger,
        expected=lambda: _totals(_expected_ledger_rows()), stored=_stored_totals)


# ---------------------------------------------------------------- an archive's short change log


def _prepend_change(doc, before, entry=None) -> None:
    if entry is not None and getattr(doc, "keeps_change_log", False):
        summaries.prepend_change(doc.pk, change_line(entry))


def _rebuild_change_log(doc, before) -> None:
    if getattr(doc, "keeps_change_log", False):
        summaries.rebuild_change_log(doc.pk, lambda: change_logs_from_trail(type(doc), [doc.pk]).get(doc.pk, []))


def _expected_change_logs() -> dict:
    return {pid: lines for pid, lines in change_logs_from_trail(Archive).items() if lines}


def _stored_change_logs() -> dict:
    rows = RecordSummary._get_collection().find({}, {"change_log": 1}, batch_size=WHOLE_RESULT)
    return {row["_id"]: row["change_log"] for row in rows if row.get("change_log")}


declare(code="change_log", label="档案的最近修改", stored_in="record_summaries.change_log",
        writes=("archives",), update=_prepend_change, repair=_rebuild_change_log,
        expected=_expected_change_logs, stored=_stored_change_logs)


# ---------------------------------------------------------------- rule-set saves


def recompute(key: str) -> dict:
    """Recompute every figure stored from the rule set ``key``: {what: records changed}."""
    changed: dict = {}
    for item in FIGURES:
        if item.recompute and key in item.rule_sets:
            changed.update(item.recompute())
    return changed


# ---------------------------------------------------------------- one write, and its repair


def _updates(doc, repairing: bool) -> list:
    """The updates of the figures a written record changes (each once), in declaration order."""
    collection = doc._get_collection_name()
    seen, functions = set(), []
    for item in FIGURES:
        function = (item.repair or item.update) if repairing else item.update
        if function is not None and collection in item.writes and function not in seen:
            seen.add(function)
            functions.append(function)
    return functions


#: {rule-set key: [recomputers]}, as declared above.
RECOMPUTERS = {key: [item.recompute for item in FIGURES if item.recompute and key in item.rule_sets]
               for key in sorted({key for item in FIGURES if item.recompute for key in item.rule_sets})}

write_hooks.register(_updates, recompute)
