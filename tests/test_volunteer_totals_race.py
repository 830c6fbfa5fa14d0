"""A volunteer's total hours stay right when two processes change their ledger at once. Both lanes.

The race is shown without the per-process lock (models.write_hooks): one counting of the totals
is called directly (as another process would run it) and paused after it read the ledger; a
whole save of another record with that volunteer's hours runs meanwhile in another thread; then
the paused counting finishes. Before the totals were guarded by a sequence, it wrote the total it
had read, without the other record's hours."""

import datetime as dt
import threading

import pytest

import models.volunteers as volunteers
from models.activities import CommunityEvent, EventVolunteer
from models.base import update_by_ids
from models.services import create_record, void_record
from models.volunteers import TotalsConflict, Volunteer, refresh_totals

from .helpers import run_in_thread
from .test_activities import event, volunteer


def _paused_counting(monkeypatch, person) -> tuple:
    """A counting of ``person``'s totals in its own thread, held after its read of the ledger:
    (the thread, an event set once it read, an event that lets it go on, its errors)."""
    have_read, go_on = threading.Event(), threading.Event()
    read = volunteers.ledger_totals
    errors: list = []

    def held(ids):
        found = read(ids)
        if threading.current_thread() is counting and not have_read.is_set():
            have_read.set()
            assert go_on.wait(timeout=60)
        return found

    def run():
        try:
            refresh_totals([person.pk])
        except Exception as exc:  # fails the test below
            errors.append(exc)

    monkeypatch.setattr(volunteers, "ledger_totals", held)
    counting = threading.Thread(target=run)
    counting.start()
    assert have_read.wait(timeout=60)
    return counting, go_on, errors


def _total(person) -> float:
    return Volunteer.objects(pk=person.pk).first().total_hours


def _helping(townships, person, hours, day=1):
    return event(townships, 20, title=f"活动{day}", event_date=dt.datetime(2026, 6, day), volunteer_activity=True,
                 volunteers=[EventVolunteer(volunteer=person, hours=hours)])


def test_a_counting_that_read_before_another_save_does_not_leave_its_hours_out(app, townships, monkeypatch):
    helper = volunteer()
    _helping(townships, helper, 3)
    counting, go_on, errors = _paused_counting(monkeypatch, helper)
    run_in_thread(lambda: _helping(townships, helper, 2, day=2))  # the other process's whole save
    assert _total(helper) == 5.0
    go_on.set()
    counting.join(timeout=120)
    assert not counting.is_alive() and not errors, errors
    assert _total(helper) == 5.0


def test_a_counting_that_read_before_a_void_does_not_bring_its_hours_back(app, townships, monkeypatch):
    helper = volunteer()
    _helping(townships, helper, 3)
    second = _helping(townships, helper, 2, day=2)
    counting, go_on, errors = _paused_counting(monkeypatch, helper)
    run_in_thread(lambda: void_record(CommunityEvent.objects(pk=second.pk).first(), "重复登记", None))
    go_on.set()
    counting.join(timeout=120)
    assert not counting.is_alive() and not errors, errors
    assert _total(helper) == 3.0


def test_a_counting_that_keeps_losing_leaves_it_to_the_repair(app, townships, monkeypatch):
    helper = volunteer()
    collection = Volunteer._get_collection()
    read = volunteers.ledger_totals

    def always_changed(ids):
        update_by_ids(collection, ids, {"$inc": {"totals_seq": 1}})  # another write, every time
        return read(ids)

    monkeypatch.setattr(volunteers, "ledger_totals", always_changed)
    with pytest.raises(TotalsConflict):
        refresh_totals([helper.pk])


def test_the_sequence_is_no_field_a_person_sees(app, login_as, townships):
    helper = create_record(Volunteer(name="周志愿", phone="13900000009"), None)
    client = login_as("coordinator")
    assert "时数计算序号" not in client.get(f"/volunteer/details/?id={helper.pk}").get_data(as_text=True)
    assert "时数计算序号" not in client.get("/volunteer/edit/?id=" + str(helper.pk)).get_data(as_text=True)
