"""A rule-set save reaches the data stored from it: for each rule set that feeds a
stored figure (the recomputers declared in models.recompute), the rule set is edited
through the service layer, and every stored figure then equals a fresh computation with
the same functions a save uses; the recomputation is in the audit trail as the system's,
and its database commands do not grow with the number of records left unchanged."""

import datetime as dt
from collections import Counter

import pytest

from models.archives import Archive
from models.audit import AuditEntry
from models.concerns import Concern
from models.contracts import current_contract
from models.derived import RECOMPUTERS, recompute
from models.indicators import Indicator, Scope, measure
from models.rules import RuleSet
from models.services import create_record, snapshot, update_record
from models.visits import (
    Visit,
    VisitTally,
    add_photo,
    counts_as_home_visit,
    period_counts,
    visit_ledger_entries,
    visit_tags,
)
from models.volunteers import Volunteer, VolunteerHourEntry

from .archive_helpers import make_child
from .dbcount import count_commands
from .helpers import png_bytes

#: Edits of each rule set that feeds stored data; a new dependency needs its edit here.
EDITS = {
    "visit_policy": [
        ("电话探访计入", lambda d: d["counting_modes"].append("phone")),
        ("处置时限缩短", lambda d: d["concern_deadlines_hours"].update(report=12, close=240)),
        ("只计视频", lambda d: d.update(counting_modes=["video"])),
    ],
    "archive_rules": [
        ("儿童不再要求风险等级等", lambda d: d["completeness"].update(child={"id_number": "身份证号"})),
        ("通用项增加电话", lambda d: d["completeness"]["common"].update(phone="联系电话")),
    ],
    "service_rules": [
        ("探访志愿时数 2.5", lambda d: d.update(visit_volunteer_hours=2.5)),
        ("探访不计志愿时数", lambda d: d.update(visit_volunteer_hours=0)),
        ("探访志愿时数 1", lambda d: d.update(visit_volunteer_hours=1)),
    ],
}
CASES = [(key, label, change) for key, edits in EDITS.items() for label, change in edits]


def test_every_rule_set_feeding_stored_data_has_edits_here():
    assert set(EDITS) == set(RECOMPUTERS)


def edit_rules(key, change):
    import json

    rule_set = RuleSet.objects(key=key).get()
    before = snapshot(rule_set)
    data = rule_set.parsed()
    change(data)
    rule_set.content = json.dumps(data, ensure_ascii=False)
    update_record(rule_set, before, rule_set.version, None)


def make_records(townships, accounts, households=3, start=0):
    home = townships["东江街道"]
    helper = create_record(Volunteer(name=f"志愿者{start}", phone=f"1370000{start:04d}"), None)
    for i in range(start, start + households):
        child = make_child(home, name=f"重算儿童{i}", sequence=500 + i, phone="13800000000" if i % 2 else None)
        for day, mode in ((3, "home"), (4, "phone"), (5, "video")):
            visit = Visit(people=[child], visited_at=dt.datetime(2026, 3, day + i, 10), mode=mode, contact="made",
                          visitors=[accounts["staff"]], volunteer_members=[helper] if mode != "video" else [])
            if mode == "home":
                add_photo(visit, png_bytes(color=(i, day, 1)), "p.png", 5 * 1024 * 1024)
            create_record(visit, accounts["staff"])
        create_record(Concern(child=child, township=home, source="visit", discovered_at=dt.datetime(2026, 3, 6 + i, 9),
                              discovered_by="张社工", description="情况需要跟进"), None)
    return helper


def assert_stored_equals_fresh():
    visits = list(Visit._get_collection().find({}, {"photos": 0}))
    for row in visits:
        assert row["counts_as_home_visit"] == counts_as_home_visit(row["mode"], row["contact"]), row["mode"]
    counted = Counter((v["month"], v["township"]) for v in visits
                      if v["counts_as_home_visit"] == "yes" and not v["voided"])
    tallies = {(t["month"], t["township"]): t["count"] for t in VisitTally._get_collection().find() if t["count"]}
    assert tallies == dict(counted)
    live = [v for v in visits if not v["voided"]]
    for row in Archive._get_collection().find():
        fresh = Archive._from_son(row)
        fresh.compute_completeness()
        assert (row["complete"], row["missing_items"], row["completeness"]) == \
               (fresh.complete, fresh.missing_items, fresh.completeness)
        assert (row.get("visited_periods") or []) == visit_tags(period_counts(live, [row["_id"]])[row["_id"]])
    ledger = Counter()
    for row in live:
        for volunteer, _, hours, _ in visit_ledger_entries(row["visited_at"], row["mode"],
                                                           row.get("volunteer_members") or []):
            ledger[volunteer] += hours
    stored = Counter()
    for entry in VolunteerHourEntry._get_collection().find({"source": "visit"}):
        stored[entry["volunteer"]] += entry["hours"]
    assert +stored == +ledger
    for volunteer in Volunteer._get_collection().find():
        assert volunteer["total_hours"] == round(sum(e["hours"] for e in VolunteerHourEntry._get_collection().find(
            {"volunteer": volunteer["_id"]})), 2)
    for row in Concern._get_collection().find():
        fresh = Concern._from_son(row)
        fresh.set_deadlines()
        assert {n: row.get(n) for n in Concern.DEADLINE_FIELDS} == {n: getattr(fresh, n) for n in Concern.DEADLINE_FIELDS}


@pytest.mark.parametrize(("key", "label", "change"), CASES, ids=[f"{k}:{label}" for k, label, _ in CASES])
def test_an_edited_rule_set_leaves_every_stored_figure_as_a_fresh_computation(app, townships, accounts, key, label,
                                                                               change):
    make_records(townships, accounts)
    assert_stored_equals_fresh()
    edit_rules(key, change)
    assert_stored_equals_fresh()
    entry = AuditEntry.objects(action="recompute").order_by("-at").first()
    assert entry is not None and entry.actor_name == "系统" and entry.record_label == str(RuleSet.objects(key=key).get())
    assert "规则修改后重新计算" in entry.detail


def test_adding_phone_makes_existing_phone_visits_count(app, townships, accounts):
    make_records(townships, accounts)
    contract = current_contract(dt.date(2026, 3, 1))
    home_visits = Indicator.objects(contract=contract.pk, code="visits.home").get()
    assert measure(home_visits, Scope(contract, dt.date(2026, 7, 1))).achieved == 3
    edit_rules("visit_policy", lambda d: d["counting_modes"].append("phone"))
    assert measure(home_visits, Scope(contract, dt.date(2026, 7, 1))).achieved == 6
    assert Visit.objects(mode="phone", counts_as_home_visit="yes").count() == 3
    entry = AuditEntry.objects(action="recompute").order_by("-at").first()
    assert "入户探访是否计入 3 条" in entry.detail
    # two counted visits in March now: the orphan-yearly style "#2" mark and the month's mark are there
    child = Archive.objects(name="重算儿童0").get()
    assert "2026-03#2" in child.visited_periods


@pytest.mark.parametrize("key", sorted(RECOMPUTERS))
def test_recomputing_costs_the_same_commands_whatever_the_unchanged_records(app, townships, accounts, key):
    make_records(townships, accounts, households=2)
    with count_commands() as few:
        recompute(key)
    make_records(townships, accounts, households=6, start=2)
    recompute(key)  # the new records' own first recomputation (the clock moved on: a concern's overdue step)
    with count_commands() as more:
        recompute(key)
    assert more.value == few.value, (few.value, more.value)
