"""An archive's visit marks (visited periods, the latest counted visit, its latest visits) stay
right when two processes save visits of one person at once, and come from the one rule of a
counted visit. Both lanes.

The race is shown without the per-process lock (models.write_hooks): one recount is called
directly (as another process would run it) and paused after it read the visits; a whole save
runs meanwhile in another thread; then the paused recount finishes."""

import datetime as dt
import itertools
import threading

import pytest

import models.visits.marks as marks
from models.archives import Archive
from models.services import void_record
from models.summaries import summary_of
from models.visits import CONTACT, VISIT_MODES, counts_as_home_visit, refresh_visit_marks

from .archive_helpers import make_child
from .helpers import run_in_thread
from .test_derived import assert_every_figure_fresh
from .test_visits import record_visit

EARLIER = dt.datetime(2026, 3, 10, 10)
LATER = dt.datetime(2026, 5, 12, 10)


def _marks(person) -> tuple:
    archive = Archive.objects(pk=person.pk).first()
    return archive.visited_periods, archive.last_visited_at, [e["record_id"] for e in
                                                              summary_of(person.pk).get("recent_visits") or []]


def _paused_recount(monkeypatch, person) -> tuple:
    """A recount of ``person`` started in its own thread and held after its read of the visits:
    (the thread, an event set once it read, an event that lets it go on)."""
    have_read, go_on = threading.Event(), threading.Event()
    counted = marks.recent_visit_events  # called on the visits just read, before any write
    errors: list = []

    def held(visits):
        if threading.current_thread() is recount and not have_read.is_set():
            have_read.set()
            assert go_on.wait(timeout=60)
        return counted(visits)

    def run():
        try:
            refresh_visit_marks([person.pk])
        except Exception as exc:  # fails the test below
            errors.append(exc)

    monkeypatch.setattr(marks, "recent_visit_events", held)
    recount = threading.Thread(target=run)
    recount.start()
    assert have_read.wait(timeout=60)
    return recount, go_on, errors


def test_a_recount_that_read_before_another_save_does_not_leave_that_visit_out(app, townships, monkeypatch):
    child = make_child(townships["东江街道"], sequence=61)
    record_visit(child, EARLIER, color=(3, 1, 1))
    recount, go_on, errors = _paused_recount(monkeypatch, child)
    saved = []
    run_in_thread(lambda: saved.append(record_visit(child, LATER, color=(5, 1, 2))))  # the other process's whole save
    assert "2026-05" in _marks(child)[0]
    go_on.set()
    recount.join(timeout=120)
    assert not recount.is_alive() and not errors, errors
    periods, last, recent = _marks(child)
    assert {"2026-03", "2026-05", "2026-Q2", "2026#2"} <= set(periods)
    assert last == LATER and recent[0] == saved[0].pk
    assert_every_figure_fresh()


def test_a_recount_that_read_before_a_void_does_not_bring_the_voided_visit_back(app, townships, monkeypatch,
                                                                                 accounts):
    child = make_child(townships["东江街道"], sequence=62)
    record_visit(child, EARLIER, color=(3, 1, 3))
    later = record_visit(child, LATER, color=(5, 1, 4))
    recount, go_on, errors = _paused_recount(monkeypatch, child)
    run_in_thread(lambda: void_record(later, "录入错误", accounts["staff"]))
    go_on.set()
    recount.join(timeout=120)
    assert not recount.is_alive() and not errors, errors
    periods, last, recent = _marks(child)
    assert "2026-05" not in periods and last == EARLIER and later.pk not in recent
    assert_every_figure_fresh()


def test_a_person_whose_visits_keep_changing_is_left_to_the_repair(app, townships, monkeypatch):
    child = make_child(townships["东江街道"], sequence=63)
    record_visit(child, EARLIER, color=(3, 1, 5))
    lose = marks.set_recent_visits_at
    monkeypatch.setattr(marks, "set_recent_visits_at", lambda *args: lose(*args) and False)
    with pytest.raises(marks.MarksConflict):
        refresh_visit_marks([child.pk])


@pytest.mark.parametrize("order", list(itertools.permutations(["read", "save", "write"])))
def test_any_order_of_a_recount_and_a_save_leaves_the_marks_fresh(app, townships, order):
    """Every interleaving of a recount's read (bump, sequence, visits), its writes, and another whole save."""
    child = make_child(townships["东江街道"], sequence=64)
    record_visit(child, EARLIER, color=(3, 1, 6))
    steps: dict = {}
    for step in order:
        if step == "read":
            marks.bump_marks([child.pk])
            steps["seqs"] = marks.marks_seqs([child.pk], bumped=True)
            steps["read"] = marks._marks_read({"people": {"$in": [child.pk]}})
        elif step == "save":
            record_visit(child, LATER, color=(5, 1, 6))
        elif "read" in steps:
            steps["lost"] = _write_read(child, steps["read"], steps["seqs"])
    if "lost" not in steps:  # its writes come after its read whatever the order
        steps["lost"] = _write_read(child, steps["read"], steps["seqs"])
    if steps["lost"]:  # the recount lost its race: it counts again
        refresh_visit_marks(steps["lost"])
    assert _marks(child)[1] == LATER
    assert_every_figure_fresh()


def _write_read(child, read, seqs) -> list:
    """The writes of a recount that read ``read`` (models.visits.marks._recount after its read)."""
    visits, recent = read
    tallies, latest = marks.period_counts(visits, [child.pk]), marks.last_counted_visits(visits)
    Archive._get_collection().update_one({"_id": child.pk}, {"$set": {
        "visited_periods": marks.visit_tags(tallies[child.pk]), "last_visited_at": latest.get(child.pk)}})
    return [] if marks.set_recent_visits_at(child.pk, recent.get(child.pk, []), seqs[child.pk]) else [child.pk]


@pytest.mark.parametrize(("mode", "contact", "voided"), [
    (mode, contact, voided) for (mode, _), (contact, _), voided in itertools.product(VISIT_MODES, CONTACT, (False, True))])
def test_only_a_counted_visit_makes_the_latest_visit(app, townships, accounts, mode, contact, voided):
    """Generated over every visit mode and contact value of the visit records, voided or not."""
    child = make_child(townships["东江街道"], sequence=65)
    record_visit(child, EARLIER, color=(3, 2, 1))
    visit = record_visit(child, LATER, mode=mode, contact=contact, color=(5, 2, 1))
    if voided:
        void_record(visit, "录入错误", accounts["staff"])
    counted = counts_as_home_visit(mode, contact) == "yes" and not voided
    periods, last, recent = _marks(child)
    assert last == (LATER if counted else EARLIER)
    assert ("2026-05" in periods) == counted
    assert (visit.pk in recent) == (not voided)  # the timeline lists every live visit, counted or not
    refresh_visit_marks()
    assert _marks(child) == (periods, last, recent)
    assert_every_figure_fresh()


def test_a_change_log_rebuilt_from_a_trail_read_before_another_change_keeps_that_change(app, townships, accounts,
                                                                                          monkeypatch):
    """The change log's repair (read the audit trail, write the log) raced by an edit saved after its read."""
    import models.derived
    from models.change_log import change_logs_from_trail
    from models.services import snapshot, update_record

    child = make_child(townships["东江街道"], sequence=66)
    edits = []

    def read_then_edit(document_class, record_ids=None):
        lines = change_logs_from_trail(document_class, record_ids)
        if not edits:  # the edit is saved after this read, before the rebuild writes
            before = snapshot(child)
            child.school = "朝阳乡中心小学"
            edits.append(update_record(child, before, child.version, accounts["staff"]))
        return lines

    monkeypatch.setattr(models.derived, "change_logs_from_trail", read_then_edit)
    models.derived.figure("change_log").repair(child, None)
    log = summary_of(child.pk)["change_log"]
    assert [line["action"] for line in log] == ["update", "create"] and "就读学校" in log[0]["text"], log
    monkeypatch.undo()
    assert_every_figure_fresh()
