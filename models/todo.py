"""The to-do centre (待办): what a worker or a coordinator has to do, computed from the
records each time (never stored, never ticked by hand): an item is there while its record
asks for it and goes away when the record no longer does.

Each kind registers a function that returns its items for a user. A worker's items are
those of their people (the archives they are the worker of, the checks assigned to them,
the contacts they received); a coordinator's are the team's, within their townships. The
lead times come from the rule set ``todo_rules``; who is due a visit comes from the
schedule's own ``due_filter`` (models.visits). Every kind asks a fixed number of queries,
each at most ``items_listed_per_kind`` rows, whatever the data size."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from mongoengine.base import get_document

from .archives import Archive, ChildArchive, ElderlyArchive
from .assessments import add_months
from .clock import local_now, local_today
from .concerns import Concern
from .periods import period_bounds, previous_period
from .reception import ReceptionContact
from .rules import get_rules
from .subsidy import SpotCheck
from .visits import Visit, category_ids, current_key, due_filter, policies, tag_for


@dataclass
class TodoItem:
    kind: str  # the code of the kind (TO_DO_KINDS)
    title: str  # who or what, as a person reads it
    detail: str  # what is asked, with its deadline
    document: type  # the kind of record the item opens (views.links finds the view showing it)
    page: str  # which of its pages does it: "create" (a prefilled form), "edit", "risk", "capability"
    args: dict = field(default_factory=dict)
    due: dt.date | None = None
    overdue: bool = False
    worker: object = None  # the user id the item is for (None: no one assigned)
    record_id: object = None


@dataclass(frozen=True)
class TodoKind:
    code: str
    label: str
    collect: Callable  # (user, townships, rules) -> list[TodoItem]


TO_DO_KINDS: dict[str, TodoKind] = {}


def todo_kind(code: str, label: str):
    def register(function):
        TO_DO_KINDS[code] = TodoKind(code, label, function)
        return function

    return register


def _mine(user) -> bool:
    """Whether the user's items are those of their own people (a worker) or the team's."""
    return getattr(user, "role", None) == "staff"


def _archive_scope(user, townships) -> dict:
    raw = {"status": "active", "voided": False}
    if townships is not None:
        raw["township"] = {"$in": list(townships)}
    if _mine(user):
        raw["worker"] = user.pk
    return raw


def _limit(rules) -> int:
    return int(rules["items_listed_per_kind"])


def _day(value) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def _lead(rules, days: str) -> dt.datetime:
    """The end of the day the lead time ``rules[days]`` reaches from today."""
    return dt.datetime.combine(local_today() + dt.timedelta(days=int(rules[days])), dt.time.max)


def _for_record(kind: str, row: dict, title: str, detail: str, document: type, page: str, due=None,
                overdue=None, owner: str = "worker") -> TodoItem:
    """An item about one stored record (``row``) of ``document``, opened on its ``page``; overdue
    when ``due`` is past (unless said)."""
    if overdue is None:
        overdue = due is not None and due < local_today()
    return TodoItem(kind, title, detail, document, page, {"id": str(row["_id"])}, due, overdue, row.get(owner),
                    row["_id"])


def _rows_due(document, raw: dict, due_field: str, fields: tuple, user, townships, rules, lead_days: str,
              owner: str | None = None):
    """(row, due day) of the records of ``document`` matching ``raw`` whose ``due_field`` is past
    or within the lead time ``rules[lead_days]``, soonest first, in the user's townships (and, for
    a worker, their own by ``owner``): one read, at most the listed number."""
    raw = {**raw, due_field: {"$lte": _lead(rules, lead_days)}}
    if townships is not None and "township" not in raw:
        raw["township"] = {"$in": list(townships)}
    if owner and _mine(user):
        raw[owner] = user.pk
    rows = document._get_collection().find(raw, {**dict.fromkeys(fields, 1), due_field: 1}).sort(
        [(due_field, 1), ("_id", 1)]).limit(_limit(rules))
    for row in rows:
        yield row, row[due_field].date()


@todo_kind("visits", "探访到期与逾期")
def _visits(user, townships, rules) -> list[TodoItem]:
    """People due a visit in a current period that ends within the lead time, or who were
    missed in the previous period and are still not visited (each person once, by the
    soonest end)."""
    today = local_today()
    soon = today + dt.timedelta(days=int(rules["visit_due_soon_days"]))
    found: dict = {}
    collection = Archive._get_collection()
    for item in policies():
        key = current_key(item["period"])
        end = period_bounds(item["period"], key)[1]
        previous = previous_period(item["period"], key)
        missed_tag = tag_for(item, previous)
        # on file by the end of the previous period: due then too (the archive date, as due_filter judges it)
        last_end = dt.datetime.combine(period_bounds(item["period"], previous)[1], dt.time.max)
        raw = due_filter(item, key, townships, user.pk if _mine(user) else None)
        if end > soon:  # not ending soon: only those missed last period are listed now
            raw = {**raw, "visited_periods": {"$nin": [tag_for(item, key), missed_tag]},
                   "$or": [{"archive_date": {"$lte": last_end}}, {"archive_date": None}]}
        rows = collection.find(raw, {"name": 1, "worker": 1, "visited_periods": 1, "archive_date": 1}).sort(
            [("name", 1), ("_id", 1)]).limit(_limit(rules))
        for row in rows:
            on_file = row.get("archive_date") is None or row["archive_date"] <= last_end
            overdue = on_file and missed_tag not in (row.get("visited_periods") or [])
            listed = found.get(row["_id"])
            if listed is not None and (listed.overdue, -listed.due.toordinal()) >= (overdue, -end.toordinal()):
                continue
            what = f"{item['name']}：本期 {end:%m月%d日} 前探访" + ("（上期未探访）" if overdue else "")
            found[row["_id"]] = TodoItem("visits", row.get("name") or "", what, Visit, "create",
                                         {"person": str(row["_id"])}, end, overdue, row.get("worker"), row["_id"])
    return list(found.values())


STEP_FIELDS = (("discovered", "report_due", "报告"), ("reported", "handle_due", "协同处理"),
               ("handling", "close_due", "结案"))


@todo_kind("concerns", "儿童保护处置环节期限")
def _concerns(user, townships, rules) -> list[TodoItem]:
    """Open protection responses whose current step's deadline is near or past."""
    now = local_now()
    warn = now + dt.timedelta(hours=int(rules["concern_warning_hours"]))
    raw = {"voided": False, "$or": [{"stage": stage, deadline: {"$lte": warn}} for stage, deadline, _ in STEP_FIELDS]}
    if townships is not None:
        raw["township"] = {"$in": list(townships)}
    concerns = list(Concern._get_collection().find(raw, {"child": 1, "child_description": 1, "stage": 1,
                                                         "report_due": 1, "handle_due": 1, "close_due": 1,
                                                         "created_by": 1}).limit(_limit(rules)))
    children = {row["_id"]: row for row in Archive._get_collection().find(
        {"_id": {"$in": [c["child"] for c in concerns if c.get("child")]}}, {"name": 1, "worker": 1})}
    items = []
    for concern in concerns:
        child = children.get(concern.get("child")) or {}
        worker = child.get("worker")
        if _mine(user) and worker != user.pk and concern.get("created_by") != user.username:
            continue
        _, deadline, step = next(s for s in STEP_FIELDS if s[0] == concern.get("stage"))
        due = concern[deadline]
        items.append(TodoItem("concerns", child.get("name") or concern.get("child_description") or "未建档儿童",
                              f"须在 {due:%m月%d日 %H:%M} 前完成“{step}”", Concern, "edit",
                              {"id": str(concern["_id"])}, due.date(), due < now, worker, concern["_id"]))
    return items


@todo_kind("reassessments", "重新评估")
def _reassessments(user, townships, rules) -> list[TodoItem]:
    """Elderly people whose capability reassessment is due (the standard's months after the
    last), and children a visit suggested another risk level for."""
    elderly = {**_archive_scope(user, townships), "_cls": "Archive.ElderlyArchive"}
    items = [_for_record("reassessments", row, row.get("name") or "", f"能力评估复评：{due:%Y-%m-%d} 前",
                         ElderlyArchive, "capability", due)
             for row, due in _rows_due(Archive, elderly, "next_assessment_due", ("name", "worker"), user, townships,
                                       rules, "reassessment_lead_days")]
    children = {**_archive_scope(user, townships), "_cls": "Archive.ChildArchive",
                "risk_review_requested": {"$nin": [None, ""]}}
    for row in Archive._get_collection().find(children, {"name": 1, "worker": 1, "risk_review_requested": 1}).sort(
            [("name", 1), ("_id", 1)]).limit(_limit(rules)):
        items.append(_for_record("reassessments", row, row.get("name") or "",
                                 f"风险等级重新评估：{row['risk_review_requested']}", ChildArchive, "risk"))
    return items


@todo_kind("reception", "来访来电待跟进")
def _reception(user, townships, rules) -> list[TodoItem]:
    rows = _rows_due(ReceptionContact, {"status": "open", "voided": False}, "follow_up_due",
                     ("caller_name", "matter", "handled_by"), user, townships, rules, "reception_lead_days",
                     owner="handled_by")
    return [_for_record("reception", row, row.get("caller_name") or "",
                        f"跟进期限 {due:%Y-%m-%d}：{(row.get('matter') or '')[:30]}", ReceptionContact, "edit", due,
                        owner="handled_by") for row, due in rows]


@todo_kind("rectification", "补贴抽查整改期限")
def _rectification(user, townships, rules) -> list[TodoItem]:
    rows = _rows_due(SpotCheck, {"status": "rectifying", "voided": False}, "rectification_due",
                     ("assigned_to", "kind"), user, townships, rules, "rectification_lead_days", owner="assigned_to")
    return [_for_record("rectification", row, "补贴抽查", f"整改期限 {due:%Y-%m-%d}", SpotCheck, "edit", due,
                        owner="assigned_to") for row, due in rows]


@todo_kind("entrustment", "委托监护确认书缺失或到期")
def _entrustment(user, townships, rules) -> list[TodoItem]:
    """Children of the categories that need a 委托监护确认书 with none signed, or with one
    that expires within the lead time (its signing date plus its validity)."""
    today = local_today()
    categories = category_ids(list(rules["entrustment_categories"]))
    if not categories:
        return []
    months = int(rules["entrustment_valid_months"])
    # signed on or before this day: it expires within the lead time
    horizon = dt.datetime.combine(today + dt.timedelta(days=int(rules["entrustment_lead_days"])), dt.time())
    signed_by = add_months(horizon, -months)
    raw = {**_archive_scope(user, townships), "_cls": "Archive.ChildArchive", "categories": {"$in": categories},
           "$or": [{"entrustment_signed": {"$ne": True}}, {"entrustment_date": None},
                   {"entrustment_date": {"$lte": signed_by}}]}
    items = []
    for row in Archive._get_collection().find(raw, {"name": 1, "worker": 1, "entrustment_signed": 1,
                                                    "entrustment_date": 1}).sort(
            [("name", 1), ("_id", 1)]).limit(_limit(rules)):
        signed = row.get("entrustment_date") if row.get("entrustment_signed") else None
        if signed is None:
            what, due, overdue = "尚未签订委托监护确认书", None, True
        else:
            due = add_months(signed, months).date()
            what, overdue = f"委托监护确认书 {due:%Y-%m-%d} 到期，请续签", due < today
        items.append(_for_record("entrustment", row, row.get("name") or "", what, ChildArchive, "edit", due,
                                 overdue))
    return items


@todo_kind("incomplete", "档案不完整")
def _incomplete(user, townships, rules) -> list[TodoItem]:
    raw = {**_archive_scope(user, townships), "complete": False}
    items = []
    for row in Archive._get_collection().find(raw, {"_cls": 1, "name": 1, "worker": 1, "missing_items": 1}).sort(
            [("name", 1), ("_id", 1)]).limit(_limit(rules)):
        items.append(_for_record("incomplete", row, row.get("name") or "",
                                 "缺：" + "、".join(row.get("missing_items") or []), get_document(row["_cls"]), "edit"))
    return items


@dataclass
class TodoList:
    groups: list  # [(TodoKind, [TodoItem, ...], truncated)]
    limit: int

    @property
    def items(self) -> list[TodoItem]:
        return [item for _, items, _ in self.groups for item in items]

    @property
    def count(self) -> int:
        return len(self.items)

    def overdue_by_worker(self) -> dict:
        """{worker id (None: unassigned): {kind code: overdue items}} of the overdue items."""
        table: dict = {}
        for item in self.items:
            if item.overdue:
                row = table.setdefault(item.worker, {})
                row[item.kind] = row.get(item.kind, 0) + 1
        return table


def todo_list(user, townships, worker=None) -> TodoList:
    """Every to-do item of ``user`` (the team's for a coordinator, limited to ``worker``'s when
    given), soonest and overdue first within each kind."""
    rules = get_rules("todo_rules")
    groups = []
    for kind in TO_DO_KINDS.values():
        items = kind.collect(user, townships, rules)
        if worker is not None:
            items = [i for i in items if i.worker == worker or (worker == "none" and i.worker is None)]
        items.sort(key=lambda i: (not i.overdue, i.due or dt.date.max, i.title))
        groups.append((kind, items, len(items) >= _limit(rules)))
    return TodoList(groups, _limit(rules))
