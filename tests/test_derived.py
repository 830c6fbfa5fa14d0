"""Derived data stays right: the figures declared in models.derived equal a fresh
computation after the demo's data and after faults; a write whose derived update fails
keeps the record and its audit entry, and the figures are repaired without a command
(on the next request, at start-up); a policy asking for more visits than four keeps
the person on the schedule until the visits are made."""

import dataclasses
import datetime as dt

import pytest

from models.archives import Archive
from models.audit import AuditEntry
from models.derived import FIGURES, PendingDerived, stale
from models.periods import period_key
from models.services import snapshot, update_record
from models.summaries import summary_of
from models.visits import Visit, compliance, due_query, policy, schedule

from .archive_helpers import make_child
from .conftest import make_app
from .test_rule_recompute import edit_rules
from .test_visits import record_visit


def assert_every_figure_fresh():
    for item in FIGURES:
        if item.code == "concern_deadlines":
            continue  # a concern's overdue step moves on with the clock; test_rule_recompute checks it
        assert stale(item) == {}, item.label


def test_every_figure_equals_a_fresh_computation_on_the_demo_data(app):
    from seeds.demo import generate_demo_data

    with app.app_context():
        generate_demo_data(40, seed=7)
    assert_every_figure_fresh()


def test_every_record_kind_writing_a_figure_is_declared():
    """Each kind that credits volunteer hours names its ledger lines, and the ledger figure names its collection."""
    from mongoengine.base import _document_registry

    from models.derived import LEDGER_SOURCES

    crediting = {d._get_collection_name() for d in _document_registry.values()
                 if not d._meta.get("abstract") and hasattr(d, "ledger_entries")}
    assert crediting == set(LEDGER_SOURCES)
    for item in FIGURES:
        assert item.label and item.writes and item.stored_in


def _orphan(townships, sequence):
    from models.reference import PersonCategory

    orphan = make_child(townships["东江街道"], name=f"孤儿{sequence}", sequence=sequence,
                        categories=[PersonCategory.objects(code="orphan").first()])
    Archive.objects(pk=orphan.pk).update(set__archive_date=dt.datetime(2026, 1, 2))
    return orphan


def test_a_policy_of_five_visits_with_four_made_keeps_the_person_on_the_schedule(app, townships, login_as):
    edit_rules("visit_policy", lambda d: next(p for p in d["policies"] if p["code"] == "orphans_yearly").update(
        visits_required=5))
    orphan = _orphan(townships, 31)
    for month in (1, 3, 5, 7):
        record_visit(orphan, dt.datetime(2026, month, 10, 10), color=(month, 1, 1))
    item = policy("orphans_yearly")
    year = period_key("year", dt.date(2026, 7, 1))
    assert orphan.pk in {p.pk for p in due_query(item, year)}
    assert orphan.pk in {row["_id"] for row in schedule(item, year)["due"]}
    row = next(r for r in compliance(item, dt.date(2026, 1, 1), dt.date(2026, 11, 30)) if r["key"] == year)
    assert [p["_id"] for p in row["missed"]] == [orphan.pk] and row["visited"] == 0
    assert row["counted"][orphan.pk] == 4 and row["required"] == 5
    page = login_as("coordinator").get("/schedule/compliance?policy=orphans_yearly&from=2026-01-01")
    assert "4/5" in page.get_data(as_text=True)
    record_visit(orphan, dt.datetime(2026, 9, 10, 10), color=(9, 1, 1))
    assert orphan.pk not in {p.pk for p in due_query(item, year)}


def _fail(monkeypatch, module, name):
    def broken(*args, **kwargs):
        raise RuntimeError("派生数据写入中断")

    monkeypatch.setattr(module, name, broken)


def test_a_failed_derived_write_keeps_record_and_audit_entry_and_is_repaired_on_the_next_request(
        app, townships, accounts, login_as, monkeypatch):
    import models.summaries
    import models.visits

    child = make_child(townships["东江街道"], sequence=41, actor=accounts["staff"])
    client = login_as("staff")
    with monkeypatch.context() as patch:
        _fail(patch, models.visits, "refresh_visit_marks")
        _fail(patch, models.summaries, "prepend_change")
        visit = record_visit(child, dt.datetime(2026, 11, 20, 10), actor=accounts["staff"])
        before = snapshot(child)
        child.school = "朝阳乡中心小学"
        update_record(child, before, child.version, accounts["staff"])
    assert Visit.objects(pk=visit.pk).count() == 1  # the records are saved, with their audit entries
    assert AuditEntry.objects(collection="visits", record_id=str(visit.pk), action="create").count() == 1
    assert AuditEntry.objects(collection="archives", record_id=str(child.pk), action="update").count() == 1
    assert not Archive.objects(pk=child.pk).first().visited_periods  # the derived figures are behind
    assert PendingDerived.objects.count() == 2
    assert client.get("/").status_code == 200  # any request: no command, no person
    assert PendingDerived.objects.count() == 0
    assert "2026-11" in Archive.objects(pk=child.pk).first().visited_periods
    assert [line["action"] for line in summary_of(child.pk)["change_log"]] == ["update", "create"]
    assert len(summary_of(child.pk)["recent_visits"]) == 1
    assert_every_figure_fresh()


def test_a_write_cut_off_after_the_record_is_completed_at_start_up(app, townships, accounts, monkeypatch):
    """The process stopped between the record and its audit entry: the next start writes the
    entry and the derived figures from the pending note."""
    import models.derived
    import models.services

    child = make_child(townships["东江街道"], sequence=43)
    with monkeypatch.context() as patch:
        def stopped(doc, entry):
            raise SystemExit("进程中止")

        patch.setattr(models.services, "save_entry", stopped)
        with pytest.raises(SystemExit):
            record_visit(child, dt.datetime(2026, 11, 21, 10), actor=accounts["staff"])
    visit = Visit.objects.get()
    assert not AuditEntry.objects(collection="visits").count()
    models.derived._failed.clear()  # a new process knows nothing of the old one's failures
    import admin_app

    # the next start, on the same database (kept connected: an in-memory database lives in its client)
    monkeypatch.setattr(admin_app, "connect_database", lambda settings: None)
    make_app(MONGODB_DB=app.config["MONGODB_DB"])
    assert PendingDerived.objects.count() == 0
    assert AuditEntry.objects(collection="visits", record_id=str(visit.pk), action="create").count() == 1
    assert "2026-11" in Archive.objects(pk=child.pk).first().visited_periods
    assert_every_figure_fresh()


@pytest.mark.parametrize("code", [item.code for item in FIGURES if item.update is not None])
def test_each_figure_kept_on_write_is_repaired_after_its_update_fails(app, townships, accounts, monkeypatch, code,
                                                                      login_as):
    """Generated over the registry: every figure one write updates, its update made to fail."""
    import models.derived
    from models.patrols import Patrol
    from models.services import create_record
    from models.volunteers import Volunteer

    item = next(f for f in FIGURES if f.code == code)
    helper = create_record(Volunteer(name="志愿者甲", phone="13700001111"), None)
    child = make_child(townships["东江街道"], sequence=45)
    with monkeypatch.context() as patch:
        def broken(*args, **kwargs):
            raise RuntimeError("派生数据写入中断")

        patch.setattr(models.derived, "FIGURES", [f if f.code != code else dataclasses.replace(f, update=broken)
                                                  for f in FIGURES])
        visit = Visit(people=[child], visited_at=dt.datetime(2026, 11, 22, 10), mode="phone", contact="made",
                      township=child.township, volunteer_members=[helper])
        create_record(visit, accounts["staff"])
        create_record(Patrol(patrol_date=dt.datetime(2026, 11, 22), township=child.township, places="车站",
                             start_time="09:00", end_time="11:00", volunteer_members=[helper], staff=[accounts["staff"]]),
                      accounts["staff"])
        before = snapshot(child)
        child.school = "朝阳乡中心小学"
        update_record(child, before, child.version, accounts["staff"])
    assert PendingDerived.objects.count() >= 1
    login_as("staff").get("/")
    assert PendingDerived.objects.count() == 0
    assert stale(item) == {}


def test_visits_of_an_earlier_version_load_and_lose_their_retired_fields(app, townships):
    from models.visits import RETIRED_FIELDS, drop_retired_fields

    child = make_child(townships["东江街道"], sequence=47)
    visit = record_visit(child, dt.datetime(2026, 11, 23, 10))
    collection = Visit._get_collection()
    collection.update_one({"_id": visit.pk}, {"$set": {name: [f"2026-11|{child.pk}"] for name in RETIRED_FIELDS}})
    assert Visit.objects(pk=visit.pk).first().mode == "home"  # still opens
    assert drop_retired_fields() == 1
    assert not set(RETIRED_FIELDS) & set(collection.find_one({"_id": visit.pk}))
    assert drop_retired_fields() == 0
