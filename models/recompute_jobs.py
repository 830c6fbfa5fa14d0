"""A rule-set save whose recomputation is long runs it in the background, and says so.

After an admin's edit of a rule set, the figures stored from it are recomputed
(models.recompute). The work is estimated first (how many records its recomputers read,
one count each): at or under ``service_rules.background_recompute.records_over`` it is
done in the request as before; over it a job is recorded (``RecomputeJob``) and the
recomputation runs in a background thread, its heartbeat and progress kept on the job.
The pages whose figures depend on it show one note while a job is running or failed.

A job left running by a stopped process (its heartbeat older than
``stalled_after_seconds``) or a failed one is run again without a person, at start-up and
on a later request (the app calls ``resume_jobs``): the recomputation is idempotent, so
resuming is running it again. When a job ends, its audit entry is written as a request's."""

import datetime as dt
import logging
import threading
from collections.abc import Callable

from mongoengine import DateTimeField, DictField, Document, IntField, ObjectIdField, StringField

from .base import DISTRICT_WIDE
from .clock import local_now
from .derived import RECOMPUTERS
from .recompute import records_read
from .rules import RuleSet, get_rules, seed_rules
from .services import recompute_for_rule_set

log = logging.getLogger(__name__)

STATES = (("running", "重新计算中"), ("done", "已完成"), ("failed", "失败，将自动重试"))
RULES_KEY, SECTION = "service_rules", "background_recompute"

#: Tests hold a job here (a threading.Event): the job waits on it before it starts.
HOLD: threading.Event | None = None
#: Jobs of this process that failed: retried on its next request.
_failed: set = set()


class RecomputeJob(Document):
    """One rule-set save's recomputation run in the background."""

    rule_set = ObjectIdField(required=True)
    key = StringField(required=True)
    rule_version = IntField()
    state = StringField(choices=STATES, default="running")
    saved_by = StringField()
    started_at = DateTimeField()
    finished_at = DateTimeField()
    heartbeat = DateTimeField()
    total = IntField(default=0)
    done = IntField(default=0)
    attempts = IntField(default=0)
    changed = DictField()
    error = StringField()

    meta = {"collection": "recompute_jobs", "indexes": ["state"]}
    scope_field = DISTRICT_WIDE  # bookkeeping of the rule-set saves

    def __str__(self):
        return f"重新计算（{self.key}）"


def settings() -> dict:
    """The threshold and the stall timeout (the seed's when a stored copy lacks them)."""
    return get_rules(RULES_KEY).get(SECTION) or seed_rules(RULES_KEY)[SECTION]


def _start_thread(job_id) -> None:
    threading.Thread(target=run_job, args=(job_id,), name="recompute-job", daemon=True).start()


#: How a job is started: a daemon thread of this process (the database connection is the process's).
runner: list[Callable] = [_start_thread]


def estimate(key: str) -> int:
    """How many records the recomputers of ``key`` read (one count each)."""
    return sum(records_read(recomputer) for recomputer in RECOMPUTERS.get(key, ()))


def after_rule_edit(rule_set) -> None:
    """Recompute what is stored from ``rule_set``: in the request when small, else in a job."""
    total = estimate(rule_set.key)
    if total <= int(settings()["records_over"]):
        recompute_for_rule_set(rule_set)
        return
    now = local_now()
    job = RecomputeJob(rule_set=rule_set.pk, key=rule_set.key, rule_version=rule_set.version,
                       saved_by=rule_set.updated_by, started_at=now, heartbeat=now, total=total)
    job.save(force_insert=True)
    runner[0](job.pk)


def run_job(job_id) -> None:
    """Run the recomputers of a job one by one (heartbeat after each), then write the audit entry."""
    collection = RecomputeJob._get_collection()
    try:
        if HOLD is not None:
            HOLD.wait()
        row = collection.find_one_and_update({"_id": job_id}, {"$set": {"state": "running", "heartbeat": local_now(),
                                                                          "done": 0}, "$inc": {"attempts": 1}})
        rule_set = RuleSet.objects(pk=row["rule_set"]).get()
        changed, done = {}, 0
        for recomputer in RECOMPUTERS.get(row["key"], ()):
            weight = records_read(recomputer)
            changed.update(recomputer())
            done += weight
            collection.update_one({"_id": job_id}, {"$set": {"heartbeat": local_now(), "done": done}})
        recompute_for_rule_set(rule_set, changed)
        collection.update_one({"_id": job_id}, {"$set": {"state": "done", "finished_at": local_now(),
                                                          "changed": changed, "error": None}})
        _failed.discard(job_id)
    except Exception as exc:
        log.exception("规则修改后的后台重新计算失败，将自动重试")
        _failed.add(job_id)
        collection.update_one({"_id": job_id}, {"$set": {"state": "failed", "error": str(exc)[:500]}})


def retry_wanted() -> bool:
    return bool(_failed)


def resume_jobs() -> int:
    """Run again every failed job and every running one whose heartbeat stopped: how many."""
    cutoff = local_now() - dt.timedelta(seconds=float(settings()["stalled_after_seconds"]))
    collection = RecomputeJob._get_collection()
    query = {"$or": [{"state": "failed"}, {"state": "running", "heartbeat": {"$lte": cutoff}}]}
    resumed = 0
    _failed.clear()  # the stored states say which jobs to run again
    for row in collection.find(query, {"_id": 1}):
        collection.update_one({"_id": row["_id"]}, {"$set": {"state": "running", "heartbeat": local_now()}})
        runner[0](row["_id"])
        resumed += 1
    return resumed


def job_of_save(rule_set) -> RecomputeJob | None:
    """The background job a rule-set save started, if it started one."""
    return RecomputeJob.objects(rule_set=rule_set.pk, rule_version=rule_set.version).first()


def unfinished_note() -> str | None:
    """The note the pages show while a job is running or failed (one query), else None."""
    row = RecomputeJob._get_collection().find_one({"state": {"$in": ["running", "failed"]}},
                                                  {"state": 1, "done": 1, "total": 1})
    if row is None:
        return None
    if row["state"] == "failed":
        return "规则刚修改，依赖它的数字后台重新计算时出错，系统正在自动重试，完成前部分数字可能仍是旧值。"
    return (f"规则刚修改，依赖它的数字正在后台重新计算（已完成 {row.get('done', 0)}/{row.get('total', 0)}），"
            "完成前部分数字可能仍是旧值。")


def started_message(job: RecomputeJob) -> str:
    return (f"规则已保存。依赖它的 {job.total} 条记录正在后台重新计算，"
            "依赖该规则的数字将在计算完成后更新。")
