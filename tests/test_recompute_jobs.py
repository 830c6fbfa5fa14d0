"""A long rule-set recomputation runs in the background, and the pages say so: with the
threshold of the rule data lowered, a rule-set save answers at once with the message, the
pages whose figures depend on it show the note while the job runs and not after, the job
ends with every stored figure equal to a fresh computation and the usual audit entry; a
job left running by a stopped process, or a failed one, is run again without a person."""

import datetime as dt
import json
import threading
import time

import pytest

import models.recompute_jobs as jobs
from models.audit import AuditEntry
from models.clock import local_now
from models.derived import RECOMPUTERS, _failed
from models.recompute_jobs import RecomputeJob
from models.rules import RuleSet

from .conftest import make_app, submit
from .test_rule_recompute import CASES, assert_stored_equals_fresh, edit_rules, make_records

#: The pages whose figures depend on the rule sets that feed stored data.
PAGES = ["/", "/indicators/", "/indicators/show/visits.home/", "/schedule/", "/schedule/compliance"]
NOTE = "依赖它的数字正在后台重新计算"


def set_background(records_over=0, **more):
    """Lower the threshold through the rule data. The new threshold is in force for this edit's own
    recomputation already: its job is run here, to its end, before the test goes on."""
    runner, held = jobs.runner, jobs.HOLD
    jobs.runner, jobs.HOLD = [jobs.run_job], None
    try:
        edit_rules("service_rules", lambda d: d["background_recompute"].update(records_over=records_over, **more))
    finally:
        jobs.runner, jobs.HOLD = runner, held
    assert RecomputeJob.objects(key="service_rules").get().state == "done"


def wait_for(job_id, timeout=60.0) -> RecomputeJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = RecomputeJob.objects(pk=job_id).get()
        if job.state != "running":
            return job
        time.sleep(0.05)
    raise AssertionError("后台重新计算没有在时限内结束")


def counting_entries() -> int:
    """The recomputation entries that recounted visits (visit_policy's edits)."""
    return sum("入户探访是否计入" in entry.detail for entry in AuditEntry.objects(action="recompute"))


@pytest.fixture
def hold(monkeypatch):
    """A job waits on this event before it starts; every job has ended when the test ends."""
    event = threading.Event()
    monkeypatch.setattr(jobs, "HOLD", event)
    yield event
    event.set()
    for row in RecomputeJob._get_collection().find({"state": "running"}, {"_id": 1}):
        wait_for(row["_id"])


def test_a_small_rule_edit_is_recomputed_in_the_request_with_no_job(app, townships, accounts):
    make_records(townships, accounts)
    edit_rules("visit_policy", lambda d: d["counting_modes"].append("phone"))
    assert RecomputeJob.objects.count() == 0
    assert_stored_equals_fresh()


@pytest.mark.parametrize("recomputer", sorted({f for fs in RECOMPUTERS.values() for f in fs}, key=lambda f: f.__name__),
                         ids=lambda f: f.__name__)
def test_every_recomputer_has_its_estimate_of_the_records_it_reads(app, townships, accounts, recomputer):
    """A recomputer without one would make every edit of its rule set fail before it starts."""
    make_records(townships, accounts, households=2)
    import models.recompute  # the estimates beside the recomputers

    assert recomputer in models.recompute.RECORDS_READ
    assert models.recompute.records_read(recomputer) > 0


def test_the_threshold_is_rule_data_read_from_the_seed():
    assert jobs.settings()["records_over"] >= 0 and jobs.settings()["stalled_after_seconds"] > 0


def test_a_long_edit_answers_at_once_and_the_pages_say_so_until_it_ends(app, townships, accounts, login_as, hold):
    make_records(townships, accounts)
    set_background()
    client = login_as("admin")
    rule_set = RuleSet.objects(key="visit_policy").get()
    data = rule_set.parsed()
    data["counting_modes"].append("phone")
    response = submit(client, f"/ruleset/edit/?id={rule_set.pk}",
                      {"content": json.dumps(data, ensure_ascii=False), "note": "电话探访计入",
                       "record_version": str(rule_set.version)}, follow_redirects=True)
    page = response.get_data(as_text=True)
    job = RecomputeJob.objects(key="visit_policy").get()
    assert job.state == "running" and job.total == jobs.estimate("visit_policy") > 0
    assert f"依赖它的 {job.total} 条记录正在后台重新计算" in page
    assert not AuditEntry.objects(action="recompute", record_id=str(rule_set.pk)).count()
    for url in PAGES:
        shown = client.get(url).get_data(as_text=True)
        assert shown.count(NOTE) == 1, url
        assert f"已完成 0/{job.total}" in shown
    hold.set()
    job = wait_for(job.pk)
    assert job.state == "done" and job.done == job.total and job.saved_by == "admin1"
    assert_stored_equals_fresh()
    entry = AuditEntry.objects(action="recompute", record_id=str(rule_set.pk)).get()
    assert entry.detail.startswith("规则修改后重新计算已保存的数据：") and "入户探访是否计入" in entry.detail
    for url in PAGES:
        assert NOTE not in client.get(url).get_data(as_text=True), url


@pytest.mark.parametrize(("key", "label", "change"), CASES, ids=[f"{k}:{label}" for k, label, _ in CASES])
def test_every_edit_recomputed_in_the_background_equals_a_fresh_computation(app, townships, accounts, key, label,
                                                                             change):
    make_records(townships, accounts)
    set_background()
    edit_rules(key, change)  # an edit that changes nothing (the value it had) starts no job
    for job in RecomputeJob.objects(key=key):
        assert wait_for(job.pk).state == "done"
    assert_stored_equals_fresh()
    entries = AuditEntry.objects(action="recompute", record_id=str(RuleSet.objects(key=key).get().pk))
    assert entries.count() == RecomputeJob.objects(key=key).count() >= 1  # one entry when each job ends


def test_a_job_left_running_by_a_stopped_process_is_resumed_at_start_up(app, townships, accounts, monkeypatch):
    make_records(townships, accounts)
    set_background()
    with monkeypatch.context() as patch:
        patch.setattr(jobs, "runner", [lambda job_id: None])  # the process stopped before the job ran
        edit_rules("visit_policy", lambda d: d["counting_modes"].append("phone"))
    job = RecomputeJob.objects(key="visit_policy").get()
    stalled = float(jobs.settings()["stalled_after_seconds"])
    import admin_app

    monkeypatch.setattr(admin_app, "connect_database", lambda settings: None)
    make_app(MONGODB_DB=app.config["MONGODB_DB"])  # a running job whose heartbeat is fresh is left alone
    assert RecomputeJob.objects(pk=job.pk).get().attempts == 0
    RecomputeJob._get_collection().update_one(
        {"_id": job.pk}, {"$set": {"heartbeat": local_now() - dt.timedelta(seconds=stalled + 1)}})
    _failed.clear()
    make_app(MONGODB_DB=app.config["MONGODB_DB"])  # the next start
    job = wait_for(job.pk)
    assert (job.state, job.attempts) == ("done", 1)
    assert_stored_equals_fresh()
    assert counting_entries() == 1


def test_a_failed_job_is_marked_failed_shown_and_retried_on_the_next_request(app, townships, accounts, login_as,
                                                                             monkeypatch, caplog):
    make_records(townships, accounts)
    set_background()
    real = RECOMPUTERS["visit_policy"][0]
    calls = []

    def broken():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("计算中断")
        return real()

    broken.__name__ = real.__name__
    monkeypatch.setitem(RECOMPUTERS, "visit_policy", [broken, *RECOMPUTERS["visit_policy"][1:]])
    import models.recompute

    monkeypatch.setitem(models.recompute.RECORDS_READ, broken, models.recompute.RECORDS_READ[real])
    client = login_as("coordinator")
    with monkeypatch.context() as patch:
        started = []
        patch.setattr(jobs, "runner", [started.append])
        edit_rules("visit_policy", lambda d: d["counting_modes"].append("phone"))
    job_id = started[0]
    jobs.run_job(job_id)  # the first run, here: it fails
    job = RecomputeJob.objects(pk=job_id).get()
    assert job.state == "failed" and "计算中断" in job.error
    assert "后台重新计算失败" in caplog.text
    jobs._failed.discard(job_id)  # seen from another process, which does not retry at once: the pages say so
    for url in PAGES:
        assert client.get(url).get_data(as_text=True).count("后台重新计算时出错") == 1, url
    assert RecomputeJob.objects(pk=job_id).get().state == "failed"
    jobs._failed.add(job_id)
    client.get("/schedule/")  # the next request of the process where it failed retries it
    job = wait_for(job_id)
    assert (job.state, job.attempts) == ("done", 2)
    assert_stored_equals_fresh()
    assert counting_entries() == 1
    for url in PAGES:
        page = client.get(url).get_data(as_text=True)
        assert NOTE not in page and "后台重新计算时出错" not in page, url
