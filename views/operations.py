"""Daily operation: the reception log (来访来电), the duty roster, and returnee
escort assistance (返乡护送协助)."""

import datetime as dt

from flask import abort, request, url_for
from flask_admin import expose
from flask_admin.contrib.mongoengine import EmbeddedForm
from flask_login import current_user
from markupsafe import Markup

from models.archives import ChildArchive
from models.clock import local_now, local_today
from models.concerns import STAGE_LABELS, Concern
from models.escorts import STATES as ESCORT_STATES
from models.escorts import escort_counts
from models.periods import period_label
from models.reception import PLACES, STATES, roster_month
from models.users import User

from .base import SecureModelView, scope_query, user_townships, year_arg
from .forms import DateOnlyField

NEW_ARCHIVE_HINT = Markup(
    '未建档的请先<a href="/homelessarchive/new/" target="_blank">新建流浪乞讨人员档案</a>或'
    '<a href="/elderlyarchive/new/" target="_blank">老年人档案</a>、'
    '<a href="/childarchive/new/" target="_blank">儿童档案</a>（新窗口，保存后回来选择）。')


def _reception_status(view, context, model, name):
    label = dict(STATES).get(model.status, "")
    if model.overdue:
        return Markup(f'{label} <span class="badge badge-danger">跟进逾期</span>')
    return label


class FollowUpForm(EmbeddedForm):
    form_overrides = {"on": DateOnlyField}
    form_widget_args = {"notes": {"rows": 2}, "situation": {"rows": 2}}


class ReceptionView(SecureModelView):
    area = "records"
    date_fields = ("follow_up_due",)
    column_list = ("received_at", "place", "channel", "caller_name", "person", "township", "category", "matter",
                   "status", "follow_up_due")
    column_formatters = {"status": _reception_status}
    column_filters = ("township", "place", "channel", "category", "status", "received_at", "follow_up_due", "month",
                      "person")
    column_searchable_list = ("caller_name", "caller_phone", "matter", "person_description", "referral")
    column_default_sort = ("received_at", True)
    column_details_exclude_list = ("version", "year", "month")
    form_columns = ("received_at", "place", "channel", "caller_name", "caller_phone", "caller_relation", "person",
                    "person_description", "township", "category", "matter", "action_taken", "referral",
                    "follow_up_due", "follow_ups", "handled_by", "closed_at", "outcome")
    form_ajax_refs = {"person": {"fields": ("name", "name_initials"), "minimum_input_length": 1,
                                 "placeholder": "输入当事人姓名"},
                      "handled_by": {"fields": ("display_name", "username"), "minimum_input_length": 0,
                                     "placeholder": "输入接待人姓名"}}
    form_subdocuments = {"follow_ups": {"form_subdocuments": {None: FollowUpForm()}}}
    form_args = {"follow_up_due": {"description": "需要回访或转介跟进时填写；到期未办结会出现在首页提醒中。"},
                 "closed_at": {"description": "办结时填写，同时填写办结情况。"}}
    form_widget_args = {"matter": {"rows": 3}, "action_taken": {"rows": 3}, "outcome": {"rows": 2}}

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET":
            form.received_at.data = local_now().replace(second=0, microsecond=0)
            form.handled_by.data = current_user._get_current_object()
            townships = current_user.township_ids()
            if townships and len(townships) == 1 and hasattr(form.township, "queryset"):
                form.township.data = form.township.queryset.filter(pk=townships[0]).first()
        return form

    def details_links(self, model):
        links = []
        is_child = isinstance(model.person, ChildArchive)
        if self.can_create and (model.category == "child" or is_child):
            args = {"source": "reception", "record": str(model.pk)}
            if is_child:
                args["child"] = str(model.person.pk)
            links.append(("开启儿童保护处置", url_for("concern.create_view", **args)))
        for concern in scope_query(Concern.objects(source_record=str(model.pk), voided=False), Concern):
            links.append((f"儿童保护处置：{STAGE_LABELS.get(concern.stage)}",
                          url_for("concern.details_view", id=concern.pk)))
        return links


class DutyDayView(SecureModelView):
    area = "roster"
    date_fields = ("day",)
    column_list = ("day", "place", "on_duty", "phone", "notes")
    column_filters = ("place", "day", "on_duty")
    column_default_sort = ("day", True)
    form_columns = ("day", "place", "on_duty", "phone", "notes")

    def _people(self, form):
        form.on_duty.queryset = User.objects(active=True, voided=False).order_by("display_name")

    def create_form(self, obj=None):
        form = super().create_form(obj)
        self._people(form)
        if request.method == "GET":
            try:
                form.day.data = dt.date.fromisoformat(request.args.get("day", ""))
            except ValueError:
                form.day.data = local_today()
            if request.args.get("place") in dict(PLACES):
                form.place.data = request.args["place"]
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        self._people(form)
        return form

    @expose("/month/")
    def month_view(self):
        today = local_today()
        year = request.args.get("year", type=int) or today.year
        month = request.args.get("month", type=int) or today.month
        place = request.args.get("place") if request.args.get("place") in dict(PLACES) else "station"
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            abort(404)
        grid = roster_month(year, month, place)
        first = dt.date(year, month, 1)
        previous = first - dt.timedelta(days=1)
        following = first + dt.timedelta(days=32)
        gaps = sum(1 for d in grid if d["workday"] and not d["people"])
        return self.render("admin/duty_month.html", grid=grid, year=year, month=month, place=place, places=PLACES,
                           leading=first.weekday(), gaps=gaps, today=today,
                           previous={"year": previous.year, "month": previous.month},
                           following={"year": following.year, "month": following.month})


def _escort_status(view, context, model, name):
    return dict(ESCORT_STATES).get(model.status, "")


class EscortView(SecureModelView):
    area = "records"
    date_fields = ("request_date", "handover_date")
    column_list = ("request_date", "person", "township", "from_place", "handover_date", "received_by",
                   "receiver_name", "status")
    column_formatters = {"status": _escort_status}
    column_filters = ("township", "status", "year", "month", "request_date", "received_by", "person")
    column_searchable_list = ("from_place", "receiver_name", "handover_place", "requested_by")
    column_default_sort = ("request_date", True)
    column_details_exclude_list = ("version", "year", "month")
    form_columns = ("request_date", "requested_by", "request_contact", "person", "township", "from_place",
                    "situation", "handover_date", "handover_place", "received_by", "receiver_name", "receiver_phone",
                    "station_staff", "follow_ups")
    form_ajax_refs = {"person": {"fields": ("name", "name_initials"), "minimum_input_length": 1,
                                 "placeholder": "输入返乡人员姓名"}}
    form_subdocuments = {"follow_ups": {"form_subdocuments": {None: FollowUpForm()}}}
    form_args = {"person": {"description": NEW_ARCHIVE_HINT},
                 "handover_date": {"description": "尚未交接时留空；交接后填写地点、接收方和接收人。"}}
    form_widget_args = {"situation": {"rows": 3}}

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET":
            form.request_date.data = local_today()
            form.station_staff.data = current_user.display_name
        return form

    @expose("/summary/")
    def summary_view(self):
        year = year_arg()
        counts = escort_counts(str(year), user_townships())
        months = [{"key": f"{year}-{m:02d}", "label": period_label("month", f"{year}-{m:02d}"),
                   "count": counts.get(f"{year}-{m:02d}", 0)} for m in range(1, 13)]
        return self.render("admin/escort_summary.html", year=year, months=months, total=sum(counts.values()))


def reception_due_url() -> str:
    """The reception list filtered to open contacts whose follow-up is due."""
    tomorrow = local_today() + dt.timedelta(days=1)
    return url_for("reception.index_view", flt0_status_equals="open",
                   flt1_follow_up_due_lt=f"{tomorrow:%Y-%m-%d} 00:00:00")


