"""Each role's start page, with figures counted from the database."""

import datetime as dt

from flask import current_app, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user

from models.audit import ACTION_LABELS, AuditEntry
from models.casework import GroupSeries
from models.clock import local_today
from models.contracts import current_contract
from models.indicators import Indicator
from models.named_lists import HOME_CARDS, named_list
from models.reference import Township
from models.users import ROLE_LABELS, User, recent_entries
from models.visits import due_soon

from .base.scoping import scope_query

ROLE_INTRO = {
    "staff": "记录探访、巡查和服务，上传照片与签到表。以下是您最近的工作。",
    "coordinator": "查看团队的工作记录与修改痕迹，分派和检查工作。",
    "manager": "只读查看项目数据、指标和报表。",
    "admin": "管理账户、角色、参考数据和合同设置。",
}


#: How many people the start page lists as due this week (the rest are on the schedule page).
DUE_LISTED = 20
#: How many of a worker's groups the start page offers 记录一节活动 for (the newest; the rest are on the group list).
GROUPS_LISTED = 5


def _visits_due(user, townships) -> dict:
    """A worker's visits still due in a period ending this week, today's first: each row
    opens the visit form for that person, and saving it comes back here."""
    today = local_today()
    week_end = today + dt.timedelta(days=6 - today.weekday())
    due = due_soon(week_end, townships, user.pk, DUE_LISTED + 1)
    return {"due_today": [r for r in due[:DUE_LISTED] if r["ends"] == today],
            "due_week": [r for r in due[:DUE_LISTED] if r["ends"] != today],
            "due_more": len(due) > DUE_LISTED, "today": today}


def _quick_records(user, townships) -> dict:
    """The field records a worker starts from the home page in one tap: a patrol, and a session
    of each of the groups they lead (the newest first), each form coming back here when saved."""
    home = url_for("admin.index")
    query = {"facilitators": user.pk, "voided": False}
    if townships is not None:
        query["township"] = {"$in": townships}
    groups = GroupSeries.objects(__raw__=query).only("title").order_by("-started_on").limit(GROUPS_LISTED + 1)
    groups = list(groups)
    return {"quick_patrol": url_for("patrol.create_view", url=home),
            "quick_groups": [(g.title, url_for("groupseries.session_view", id=g.pk)) for g in groups[:GROUPS_LISTED]],
            "quick_groups_more": len(groups) > GROUPS_LISTED}


def list_endpoint(document) -> str:
    """The endpoint of the list of ``document``'s records (the first view registered for it)."""
    for view in current_app.extensions["admin"][0]._views:
        if getattr(view, "model", None) is document:
            return view.endpoint
    raise LookupError(document.__name__)


def home_card(code: str, user) -> tuple[str, int, str]:
    """(label, figure, link) of one card: the count of a named list and the list showing it."""
    if code == "indicators":  # the current contract's, as the overview shows them
        contract = current_contract()
        count = Indicator.objects(contract=contract.pk, voided=False).count() if contract else 0
        return "合同指标（查看完成情况）", count, url_for("indicators.index")
    named = named_list(code)
    document = named.document()
    count = scope_query(document.objects(__raw__=named.condition(user)), document).count()
    return named.label, count, url_for(f"{list_endpoint(document)}.index_view", only=code)


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
    context["figures"] = [home_card(code, user) for code in HOME_CARDS.get(user.role, [])]
    if user.role == "admin":
        context["role_counts"] = [
            (label, User.objects(role=code, active=True, voided=False).count()) for code, label in ROLE_LABELS.items()
        ]
        context["recent"] = recent_entries(AuditEntry.objects)
    elif user.role == "coordinator":
        context["recent"] = recent_entries(scope_query(AuditEntry.objects, AuditEntry))
    elif user.role == "staff":
        context["recent"] = recent_entries(AuditEntry.objects(actor_name=user.username))
        context.update(_visits_due(user, townships))
        context.update(_quick_records(user, townships))
    return context


class HomeView(AdminIndexView):
    """The start page: each role lands on its own."""

    def is_accessible(self):
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path))

    @expose("/")
    def index(self):
        return self.render("admin/home.html", **start_page_context(current_user._get_current_object()))
