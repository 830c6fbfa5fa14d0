"""Each role's start page, with figures counted from the database."""

import datetime as dt

from models.archives import Archive, ChildArchive, ElderlyArchive, HomelessArchive
from models.attachments import Attachment
from models.audit import ACTION_LABELS, AuditEntry, recent_entries
from models.casework import Case
from models.clock import local_today
from models.indicators import Indicator
from models.other_work import BureauTask
from models.reception import due_follow_ups
from models.reference import Community, PersonCategory, Township
from models.subsidy import SpotCheck
from models.users import ROLE_LABELS, User
from models.visits import due_soon

from .base import scope_query
from .operations import reception_due_url

ROLE_INTRO = {
    "staff": "记录探访、巡查和服务，上传照片与签到表。以下是您最近的工作。",
    "coordinator": "查看团队的工作记录与修改痕迹，分派和检查工作。",
    "manager": "只读查看项目数据、指标和报表。",
    "admin": "管理账户、角色、参考数据和合同设置。",
}


#: How many people the start page lists as due this week (the rest are on the schedule page).
DUE_LISTED = 20


def _visits_due(user, townships) -> dict:
    """A worker's visits still due in a period ending this week, today's first: each row
    opens the visit form for that person, and saving it comes back here."""
    today = local_today()
    week_end = today + dt.timedelta(days=6 - today.weekday())
    due = due_soon(week_end, townships, user.pk, DUE_LISTED + 1)
    return {"due_today": [r for r in due[:DUE_LISTED] if r["ends"] == today],
            "due_week": [r for r in due[:DUE_LISTED] if r["ends"] != today],
            "due_more": len(due) > DUE_LISTED, "today": today}


def start_page_context(user) -> dict:
    townships = user.township_ids()
    scope_names = [str(t) for t in Township.objects(pk__in=townships)] if townships else []
    context = {
        "role_label": user.role_label,
        "intro": ROLE_INTRO.get(user.role, ""),
        "scope_names": scope_names,
        "action_labels": ACTION_LABELS,
        "figures": [],
        "recent": [],
    }
    attachments = scope_query(Attachment.objects(voided=False), Attachment)
    archives = scope_query(Archive.objects(voided=False, status="active"), Archive)
    children = scope_query(ChildArchive.objects(voided=False, status="active"), ChildArchive)
    if user.role == "admin":
        context["figures"] = [
            ("启用账户", User.objects(active=True, voided=False).count(), "user.index_view"),
            ("街道/乡镇", Township.objects(voided=False).count(), "township.index_view"),
            ("社区/村委", Community.objects(voided=False).count(), "community.index_view"),
            ("对象类别", PersonCategory.objects(voided=False).count(), "category.index_view"),
        ]
        context["role_counts"] = [
            (label, User.objects(role=code, active=True, voided=False).count()) for code, label in ROLE_LABELS.items()
        ]
        context["recent"] = recent_entries(AuditEntry.objects)
    elif user.role == "coordinator":
        context["figures"] = [
            ("在档档案", archives.count(), "archive.index_view"),
            ("档案不完整", archives.filter(complete=False).count(), "archive.index_view"),
            ("一级（高）风险儿童", children.filter(risk_level="1").count(), "childarchive.index_view"),
            ("未分派社工", archives.filter(worker=None).count(), "archive.index_view"),
        ]
        context["figures"].append(("来访来电待跟进", due_follow_ups(townships).count(), reception_due_url()))
        context["figures"].insert(0, ("合同指标（查看完成情况）", Indicator.objects(voided=False).count(),
                                      "indicators.index"))
        context["figures"].append(("交办任务未完成", BureauTask.objects(status__ne="done", voided=False).count(),
                                   "bureautask.index_view"))
        context["figures"].append(("补贴抽查未办结", scope_query(SpotCheck.objects(
            status__in=["assigned", "rectifying"], voided=False), SpotCheck).count(), "spotcheck.index_view"))
        context["recent"] = recent_entries(scope_query(AuditEntry.objects, AuditEntry))
    elif user.role == "staff":
        mine = archives.filter(worker=user.pk)
        context["figures"] = [
            ("我负责的档案", mine.count(), "archive.index_view"),
            ("其中档案不完整", mine.filter(complete=False).count(), "archive.index_view"),
            ("我负责的一级风险儿童", children.filter(worker=user.pk, risk_level="1").count(), "childarchive.index_view"),
            ("我上传的资料", attachments.filter(created_by=user.username).count(), "attachment.index_view"),
            ("来访来电待跟进", due_follow_ups(townships).count(), reception_due_url()),
            ("我负责的在办个案", Case.objects(worker=user.pk, closed_on=None, voided=False).count(), "case.index_view"),
            ("分派给我的补贴抽查", SpotCheck.objects(assigned_to=user.pk, status="assigned", voided=False).count(),
             "spotcheck.index_view"),
        ]
        context["recent"] = recent_entries(AuditEntry.objects(actor_name=user.username))
        context.update(_visits_due(user, townships))
    else:
        context["figures"] = [
            ("合同指标（查看完成情况）", Indicator.objects(voided=False).count(), "indicators.index"),
            ("在档档案", archives.count(), "archive.index_view"),
            ("儿童", scope_query(ChildArchive.objects(voided=False, status="active"), ChildArchive).count(),
             "childarchive.index_view"),
            ("老年人", scope_query(ElderlyArchive.objects(voided=False, status="active"), ElderlyArchive).count(),
             "elderlyarchive.index_view"),
            ("流浪乞讨人员",
             scope_query(HomelessArchive.objects(voided=False, status="active"), HomelessArchive).count(),
             "homelessarchive.index_view"),
        ]
    return context
